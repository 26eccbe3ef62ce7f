import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '@surety/db';

export interface WaitEventShare {
  application: string;
  /** `CPU or running` when the backend was not waiting; otherwise `type: event` from pg_stat_activity. */
  waitingOn: string;
  /** Share of the samples of this application's active backends. */
  share: number;
}

/**
 * sampleWaitEvents samples what the bench database's active backends wait on (pg_stat_activity)
 * every `intervalMs` until stopped, and returns per application the share of each wait: where the
 * time of a slow request goes inside Postgres.
 */
export function sampleWaitEvents(pool: Pool, intervalMs = 250) {
  const counts = new Map<string, Map<string, number>>();
  let running = true;
  const sampling = (async () => {
    while (running) {
      const rows = await pool
        .query<{ application: string; waiting_on: string }>(
          `SELECT application_name AS application,
                  coalesce(wait_event_type || ': ' || wait_event, 'CPU or running') AS waiting_on
             FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
        )
        .catch(() => ({ rows: [] }));
      for (const { application, waiting_on } of rows.rows) {
        const mine = counts.get(application) ?? new Map<string, number>();
        mine.set(waiting_on, (mine.get(waiting_on) ?? 0) + 1);
        counts.set(application, mine);
      }
      await sleep(intervalMs);
    }
  })();
  return {
    async stop(): Promise<WaitEventShare[]> {
      running = false;
      await sampling;
      const shares: WaitEventShare[] = [];
      for (const [application, events] of counts) {
        const total = [...events.values()].reduce((sum, n) => sum + n, 0);
        for (const [waitingOn, n] of events) shares.push({ application, waitingOn, share: n / total });
      }
      return shares.sort((a, b) => a.application.localeCompare(b.application) || b.share - a.share);
    },
  };
}
