import type { PoolClient } from './pool.js';
import type { SchemaName } from './migrate.js';

/**
 * recordInInbox claims a message for a consumer inside the caller's transaction and tells whether
 * this is its first delivery. A concurrent duplicate waits on the primary key until the first
 * transaction ends, then sees the row: the effect and its dedupe commit together.
 */
export async function recordInInbox(
  client: PoolClient,
  schema: SchemaName,
  consumer: string,
  messageId: string,
): Promise<boolean> {
  return (await recordManyInInbox(client, schema, consumer, [messageId])).has(messageId);
}

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
