import { channels, notifySoon, type Pool, type SchemaName } from '@surety/db';

export interface OutboxRow {
  seq: number;
  id: string;
  orderId: string;
  type: string;
  envelope: unknown;
  headers: Record<string, string>;
}

/**
 * OutboxStore moves outbox rows through their states: pending → in_progress (claimed with a lease)
 * → published. A claim whose lease ran out (its relay died) can be claimed again.
 */
export class OutboxStore {
  constructor(
    private readonly pool: Pool,
    private readonly relayId: string,
    private readonly leaseMs: number,
  ) {}

  /** claim takes up to `limit` unpublished rows no other relay holds, oldest first. */
  async claim(schema: SchemaName, limit: number): Promise<OutboxRow[]> {
    const result = await this.pool.query<OutboxRow>(
      `UPDATE ${schema}.outbox
          SET status = 'in_progress', claimed_by = $1,
              claimed_until = clock_timestamp() + make_interval(secs => $2 / 1000.0),
              attempts = attempts + 1
        WHERE seq IN (
          SELECT seq FROM ${schema}.outbox
           WHERE status = 'pending' OR (status = 'in_progress' AND claimed_until < clock_timestamp())
           ORDER BY seq
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
      RETURNING seq, id, order_id AS "orderId", type, envelope, headers`,
      [this.relayId, this.leaseMs, limit],
    );
    return result.rows.sort((a, b) => a.seq - b.seq);
  }

  /** markPublished records the broker's confirm; only then is a row done. */
  async markPublished(schema: SchemaName, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const marked = await this.pool.query<{ order_id: string; type: string }>(
      `UPDATE ${schema}.outbox
          SET status = 'published', published_at = clock_timestamp(),
              claimed_by = NULL, claimed_until = NULL, last_error = NULL
        WHERE id = ANY($1::uuid[])
      RETURNING order_id, type`,
      [ids],
    );
    // An order.placed on the broker is the timeline's `published` step: live views look again.
    notifySoon(
      this.pool,
      marked.rows
        .filter((row) => row.type === 'order.placed')
        .map((row) => ({ channel: channels.orderChanged, payload: row.order_id })),
    );
  }

  /** release hands rows back for another try, keeping the reason. */
  async release(schema: SchemaName, ids: readonly string[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE ${schema}.outbox
          SET status = 'pending', claimed_by = NULL, claimed_until = NULL, last_error = $2
        WHERE id = ANY($1::uuid[]) AND status = 'in_progress' AND claimed_by = $3`,
      [ids, reason, this.relayId],
    );
  }
}
