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

export interface GaugeReading {
  title: string;
  unit: 'messages' | 'seconds' | 'bytes';
  /** The runbook section (an anchor of docs/runbook.md) that triages it. */
  runbook: string;
  query: string;
  series: { label: string; points: [number, number][] }[];
}

export interface Gauges {
  from: number;
  to: number;
  stepSeconds: number;
  problem?: string;
  gauges: GaugeReading[];
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
    gauges: () => getJson<Gauges>('/admin/gauges', { headers }),
    reports: () => getJson<{ reports: ReportEntry[] }>('/admin/reports', { headers }),
    report: async (entry: ReportEntry) => {
      const response = await fetch(`/admin/reports/${entry.kind}/${encodeURIComponent(entry.name)}`, { headers });
      if (!response.ok) throw new Error(`report answered ${response.status}`);
      return response.text();
    },
  };
}

export type OpsClient = ReturnType<typeof opsClient>;
