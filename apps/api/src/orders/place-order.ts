import { createHash, randomUUID } from 'node:crypto';
import { createEvent } from '@surety/contracts';
import { activeTraceFields } from '@surety/telemetry';
import { appendToOutbox, withTransaction, type Pool, type PoolClient } from '@surety/db';
import type { PlaceOrderBody } from './schemas.js';

export type PlaceOrderResult =
  | { kind: 'placed'; orderId: string }
  | { kind: 'replayed'; orderId: string }
  | { kind: 'key-reused' }
  | { kind: 'unknown-sku'; skus: string[] }
  | { kind: 'duplicate-sku'; skus: string[] };

/** requestHash fingerprints a request body: same key with another fingerprint is a 422. */
export function requestHash(body: PlaceOrderBody): string {
  return createHash('sha256')
    .update(JSON.stringify({ customerId: body.customerId, items: body.items }))
    .digest('hex');
}

function duplicates(skus: string[]): string[] {
  return [...new Set(skus.filter((sku, index) => skus.indexOf(sku) !== index))];
}

async function replayOf(pool: Pool, key: string, hash: string): Promise<PlaceOrderResult> {
  const existing = await pool.query<{ request_hash: string; order_id: string }>(
    'SELECT request_hash, order_id FROM orders.idempotency_keys WHERE key = $1',
    [key],
  );
  const row = existing.rows[0];
  if (!row) throw new Error(`idempotency key ${key} vanished`);
  return row.request_hash === hash ? { kind: 'replayed', orderId: row.order_id } : { kind: 'key-reused' };
}

async function priceLines(tx: PoolClient, body: PlaceOrderBody) {
  const skus = body.items.map((item) => item.sku);
  const prices = await tx.query<{ sku: string; price_cents: number }>(
    'SELECT sku, price_cents FROM orders.products WHERE sku = ANY($1)',
    [skus],
  );
  const priceOf = new Map(prices.rows.map((row) => [row.sku, row.price_cents]));
  const unknown = skus.filter((sku) => !priceOf.has(sku));
  const lines = body.items.map((item) => ({ ...item, priceCents: priceOf.get(item.sku) ?? 0 }));
  return { unknown, lines };
}

/**
 * placeOrder is hop 1: the order, its lines, its first timeline entry and its order.placed event
 * commit in one transaction, keyed by the Idempotency-Key. A retry with the same key and body
 * finds the first order; a concurrent one waits on the key's row, then finds it too.
 */
export async function placeOrder(
  pool: Pool,
  idempotencyKey: string,
  body: PlaceOrderBody,
  trace: { traceparent?: string; traceId?: string } = {},
): Promise<PlaceOrderResult> {
  const repeated = duplicates(body.items.map((item) => item.sku));
  if (repeated.length > 0) return { kind: 'duplicate-sku', skus: repeated };
  const hash = requestHash(body);
  const orderId = randomUUID();
  const result = await withTransaction(pool, async (tx): Promise<PlaceOrderResult | 'taken'> => {
    const claimed = await tx.query(
      `INSERT INTO orders.idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO NOTHING`,
      [idempotencyKey, hash, orderId],
    );
    if (claimed.rowCount === 0) return 'taken';
    const { unknown, lines } = await priceLines(tx, body);
    if (unknown.length > 0) {
      throw new UnknownSkuSignal(unknown);
    }
    const totalCents = lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0);
    await tx.query('INSERT INTO orders.orders (id, customer_id, total_cents, trace_id) VALUES ($1, $2, $3, $4)', [
      orderId,
      body.customerId,
      totalCents,
      activeTraceFields().traceId ?? trace.traceId ?? null,
    ]);
    await tx.query(
      `INSERT INTO orders.order_lines (order_id, sku, quantity, price_cents)
       SELECT $1, * FROM unnest($2::text[], $3::int[], $4::int[])`,
      [orderId, lines.map((l) => l.sku), lines.map((l) => l.quantity), lines.map((l) => l.priceCents)],
    );
    await tx.query(`INSERT INTO orders.order_timeline (order_id, step) VALUES ($1, 'placed')`, [orderId]);
    const event = createEvent({
      type: 'order.placed',
      orderId,
      payload: { customerId: body.customerId, items: lines, totalCents },
    });
    await appendToOutbox(tx, 'orders', event, trace.traceparent ? { traceparent: trace.traceparent } : {});
    return { kind: 'placed', orderId };
  }).catch((error: unknown) => {
    if (error instanceof UnknownSkuSignal) return { kind: 'unknown-sku', skus: error.skus } as const;
    throw error;
  });
  return result === 'taken' ? replayOf(pool, idempotencyKey, hash) : result;
}

/** Unwinds the placing transaction when a SKU is unknown, so the key is not kept. */
class UnknownSkuSignal extends Error {
  constructor(readonly skus: string[]) {
    super(`unknown SKU ${skus.join(', ')}`);
  }
}
