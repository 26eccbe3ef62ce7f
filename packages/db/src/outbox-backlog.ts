import { emittingSchemas } from './migrate.js';
import type { Pool } from './pool.js';

export interface OutboxBacklog {
  schema: string;
  /** Rows not yet published. */
  unpublished: number;
  /** Seconds since the oldest unpublished row was written; 0 when there is none. */
  oldestAgeSeconds: number;
}

/** outboxBacklog reports, per schema that emits events, how many rows wait and how long the oldest has. */
export async function outboxBacklog(pool: Pick<Pool, 'query'>): Promise<OutboxBacklog[]> {
  return Promise.all(
    emittingSchemas.map(async (schema) => {
      const result = await pool.query<{ unpublished: number; oldest_age_seconds: number }>(
        `SELECT count(*)::int AS unpublished,
                coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS oldest_age_seconds
           FROM ${schema}.outbox WHERE status <> 'published'`,
      );
      const row = result.rows[0];
      return { schema, unpublished: row?.unpublished ?? 0, oldestAgeSeconds: row?.oldest_age_seconds ?? 0 };
    }),
  );
}
