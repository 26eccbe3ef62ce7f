import { countUnpublished, emittingSchemas, type Pool, type SchemaName } from '@surety/db';
import { queues, type ConsumerName, type DeadLetter } from '@surety/messaging';

export type StockLevels = Record<string, { available: number; reserved: number }>;

/** Everything a drill is judged on, read from the systems of record, never from our own counters. */
export interface Evidence {
  /** The orders the api acknowledged (202) to the drill's load. */
  accepted: string[];
  /** The rows the database has of them. */
  orders: { id: string; status: string; reason: string | null; lines: { sku: string; quantity: number }[] }[];
  /** The gateway's charges: one row per charge it executed. */
  charges: { orderId: string; status: string }[];
  /** The gateway's request log for /charges, per order. */
  chargeRequests: { orderId: string; executed: number; replayed: number; faulted: number }[];
  refunds: { orderId: string }[];
  stockBefore: StockLevels;
  stockAfter: StockLevels;
  notifications: { orderId: string; about: string }[];
  unpublishedOutboxRows: number;
  /** Messages still in each queue (consumer, delay and dead-letter queues) after the drill. */
  queueDepths: Record<string, number>;
  deadLetters: DeadLetter[];
  /** Message ids of poison the drill injected on purpose. */
  poisonInjected: string[];
}

/** pendingCount counts the given orders still PENDING. */
export async function pendingCount(pool: Pool, orderIds: string[]): Promise<number> {
  const rows = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders.orders WHERE id = ANY($1) AND status = 'PENDING'`,
    [orderIds],
  );
  return rows.rows[0]?.n ?? 0;
}

export async function readStock(pool: Pool): Promise<StockLevels> {
  const rows = await pool.query<{ sku: string; available: number; reserved: number }>(
    'SELECT sku, available, reserved FROM inventory.stock',
  );
  return Object.fromEntries(rows.rows.map((r) => [r.sku, { available: r.available, reserved: r.reserved }]));
}

/** readLedgers reads orders, the gateway's ledgers and the notification sink for the given orders. */
export async function readLedgers(pool: Pool, orderIds: string[]) {
  const [orders, charges, chargeRequests, refunds, notifications, unpublishedOutboxRows] = await Promise.all([
    pool.query<Evidence['orders'][number]>(
      `SELECT o.id, o.status, o.reason,
              COALESCE(json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity)) FILTER (WHERE l.sku IS NOT NULL), '[]') AS lines
         FROM orders.orders o LEFT JOIN orders.order_lines l ON l.order_id = o.id
        WHERE o.id = ANY($1) GROUP BY o.id`,
      [orderIds],
    ),
    pool.query<{ orderId: string; status: string }>(
      'SELECT order_id AS "orderId", status FROM gateway.charges WHERE order_id = ANY($1)',
      [orderIds],
    ),
    pool.query<Evidence['chargeRequests'][number]>(
      `SELECT order_id AS "orderId",
              count(*) FILTER (WHERE NOT replayed AND fault IS NULL)::int AS executed,
              count(*) FILTER (WHERE replayed)::int AS replayed,
              count(*) FILTER (WHERE fault IS NOT NULL)::int AS faulted
         FROM gateway.requests WHERE path = '/charges' AND order_id = ANY($1) GROUP BY order_id`,
      [orderIds],
    ),
    pool.query<{ orderId: string }>('SELECT order_id AS "orderId" FROM gateway.refunds WHERE order_id = ANY($1)', [
      orderIds,
    ]),
    pool.query<{ orderId: string; about: string }>(
      'SELECT order_id AS "orderId", about FROM notifications.notifications WHERE order_id = ANY($1)',
      [orderIds],
    ),
    countUnpublished(pool),
  ]);
  return {
    orders: orders.rows,
    charges: charges.rows,
    chargeRequests: chargeRequests.rows,
    refunds: refunds.rows,
    notifications: notifications.rows,
    unpublishedOutboxRows,
  };
}

/**
 * readMessageCounts counts, across the schemas that emit events, the outbox rows of the given orders
 * (and those marked published) and the deliveries the consumers took in (inbox
 * rows: all of the database, which a local run has to itself).
 */
export async function readMessageCounts(
  pool: Pool,
  orderIds: string[],
): Promise<{ outboxRows: number; markedPublished: number; deliveriesTakenIn: number }> {
  const outbox = await pool.query<{ rows: number; published: number }>(
    `SELECT count(*)::int AS rows, count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published FROM (${emittingSchemas
      .map((schema) => `SELECT published_at FROM ${schema}.outbox WHERE order_id = ANY($1)`)
      .join(' UNION ALL ')}) o`,
    [orderIds],
  );
  const inbox = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (${emittingSchemas.map((schema) => `SELECT 1 FROM ${schema}.inbox`).join(' UNION ALL ')}) i`,
  );
  return {
    outboxRows: outbox.rows[0]?.rows ?? 0,
    markedPublished: outbox.rows[0]?.published ?? 0,
    deliveriesTakenIn: inbox.rows[0]?.n ?? 0,
  };
}

/** The schema each consumer keeps its inbox in (apps/<consumer>/src/service.ts). */
const inboxSchemas: Record<ConsumerName, SchemaName> = {
  payment: 'payments',
  inventory: 'inventory',
  saga: 'orders',
  notification: 'notifications',
};

/**
 * countPublishedThenLost counts, for every consumer, the given orders' outbox rows marked published
 * whose event the consumer's queue is bound to, yet is neither in its inbox nor in a DLQ: what the
 * broker was trusted with and never delivered.
 */
export async function countPublishedThenLost(pool: Pool, orderIds: string[], deadLetterIds: string[]): Promise<number> {
  const published = emittingSchemas
    .map((schema) => `SELECT id, type FROM ${schema}.outbox WHERE order_id = ANY($1) AND published_at IS NOT NULL`)
    .join(' UNION ALL ');
  const counts = await Promise.all(
    (Object.keys(inboxSchemas) as ConsumerName[]).map(async (consumer) => {
      const result = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (${published}) o
          WHERE o.type = ANY($2) AND NOT (o.id = ANY($3::uuid[]))
            AND NOT EXISTS (SELECT 1 FROM ${inboxSchemas[consumer]}.inbox i WHERE i.consumer = $4 AND i.message_id = o.id)`,
        [orderIds, queues[consumer].bindings, deadLetterIds, consumer],
      );
      return result.rows[0]?.n ?? 0;
    }),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}
