import { getJson } from '../api.js';

export interface QueueStats {
  queue: string;
  consumer: string;
  ready: number;
  unacked: number;
  consumers: number;
  deadLetters: number;
}

export interface Overview {
  at: string;
  queues: QueueStats[];
  queuesError?: string;
  outbox: { schema: string; unpublished: number; oldestAgeSeconds: number }[];
}

export interface DeadLetter {
  deadLetterQueue: string;
  queue: string;
  messageId: string;
  type: string;
  reason: string;
  errorClass: string;
  attempts: number;
  replays: number;
  firstFailedAt: string | null;
}

export interface ReplayAnswer {
  dryRun: boolean;
  actions: { action: string; letter: DeadLetter; refused?: string }[];
}

export interface ReportEntry {
  kind: 'drills' | 'bench';
  name: string;
}

/** opsClient calls the api's admin routes with the operator's bearer token. */
export function opsClient(token: string) {
  const headers = { authorization: `Bearer ${token}` };
  return {
    overview: () => getJson<Overview>('/admin/overview', { headers }),
    deadLetters: () => getJson<{ count: number; letters: DeadLetter[] }>('/admin/dlq', { headers }),
    replay: (messageId: string, dryRun: boolean) =>
      getJson<ReplayAnswer>('/admin/dlq/replay', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ messageId, dryRun }),
      }),
    reports: () => getJson<{ reports: ReportEntry[] }>('/admin/reports', { headers }),
    report: async (entry: ReportEntry) => {
      const response = await fetch(`/admin/reports/${entry.kind}/${encodeURIComponent(entry.name)}`, { headers });
      if (!response.ok) throw new Error(`report answered ${response.status}`);
      return response.text();
    },
  };
}

export type OpsClient = ReturnType<typeof opsClient>;
