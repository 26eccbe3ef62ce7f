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
  const result = await client.query(
    `INSERT INTO ${schema}.inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    [consumer, messageId],
  );
  return result.rowCount === 1;
}
