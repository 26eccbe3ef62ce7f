import { emittingSchemas, type SchemaName } from './schemas.js';
import type { Pool } from './pool.js';

export interface OutboxBacklog {
  schema: SchemaName;
  /** Rows not yet published. */
  unpublished: number;
  /** Seconds since the oldest unpublished row was written; 0 when there is none. */
  oldestAgeSeconds: number;
}

/**
 * outboxBacklog reports, per schema (every schema that emits events unless told), how many rows
 * wait to be published and how long the oldest has waited.
 */
export async function outboxBacklog(
  pool: Pick<Pool, 'query'>,
  schemas: readonly SchemaName[] = emittingSchemas,
): Promise<OutboxBacklog[]> {
  return Promise.all(
    schemas.map(async (schema) => {
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

/** countUnpublished counts outbox rows not yet published, over every schema that emits events. */
export async function countUnpublished(pool: Pick<Pool, 'query'>): Promise<number> {
  return (await outboxBacklog(pool)).reduce((sum, backlog) => sum + backlog.unpublished, 0);
}
