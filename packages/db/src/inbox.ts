import type { PoolClient } from './pool.js';
import type { SchemaName } from './schemas.js';

/**
 * recordManyInInbox claims several messages in one statement and returns the ids seen for the
 * first time. Rows are inserted in id order, so two transactions claiming overlapping sets wait on
 * each other instead of deadlocking.
 */
export async function recordManyInInbox(
  client: PoolClient,
  schema: SchemaName,
  consumer: string,
  messageIds: readonly string[],
): Promise<Set<string>> {
  const ids = [...new Set(messageIds)].sort();
  if (ids.length === 0) return new Set();
  const result = await client.query<{ message_id: string }>({
    name: `inbox-claim-${schema}`,
    text: `INSERT INTO ${schema}.inbox (consumer, message_id)
           SELECT $1, id FROM unnest($2::uuid[]) AS id ORDER BY id
           ON CONFLICT DO NOTHING RETURNING message_id`,
    values: [consumer, ids],
  });
  return new Set(result.rows.map((row) => row.message_id));
}
