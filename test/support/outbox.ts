import type pg from 'pg';
import { emittingSchemas } from '@surety/db';

/** unpublishedRows counts outbox rows not yet published, over every emitting schema. */
export async function unpublishedRows(pool: pg.Pool): Promise<number> {
  const counts = await Promise.all(
    emittingSchemas.map(
      async (schema) =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.outbox WHERE status <> 'published'`))
          .rows[0]!.n,
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}
