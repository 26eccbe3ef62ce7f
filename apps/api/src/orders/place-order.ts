import { createHash, randomUUID } from 'node:crypto';
import { createEvent } from '@surety/contracts';
import { activeTraceFields } from '@surety/telemetry';
import { outboxEntry, outboxInsertStatement, type OutboxEntry, type Pool } from '@surety/db';
import type { PriceList } from './price-list.js';
import type { OrderView, PlaceOrderBody } from './schemas.js';

export type PlaceOrderResult =
  | { kind: 'placed'; order: OrderView }
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

async function priceLines(priceList: PriceList, body: PlaceOrderBody) {
  const skus = body.items.map((item) => item.sku);
  const priceOf = await priceList.pricesOf(skus);
  const unknown = skus.filter((sku) => !priceOf.has(sku));
  const lines = body.items
    .map((item) => ({ sku: item.sku, quantity: item.quantity, priceCents: priceOf.get(item.sku) ?? 0 }))
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  return { unknown, lines };
}

// The key, the order, its lines, its first timeline entry and its order.placed event, written by
// one statement: one round trip, one transaction. Every clause but the first writes only when the
// key was claimed; a concurrent request with the same key waits on the key's row, then claims nothing.
const placeStatement = (outboxClause: string) => `
WITH claimed AS (
  INSERT INTO orders.idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3)
  ON CONFLICT (key) DO NOTHING RETURNING order_id
), placed AS (
  INSERT INTO orders.orders (id, customer_id, total_cents, trace_id)
  SELECT order_id, $4, $5, $6 FROM claimed RETURNING id, created_at
), lines AS (
  INSERT INTO orders.order_lines (order_id, sku, quantity, price_cents)
  SELECT placed.id, l.sku, l.quantity, l.price_cents
    FROM placed, unnest($7::text[], $8::int[], $9::int[]) AS l(sku, quantity, price_cents)
), timeline AS (
  INSERT INTO orders.order_timeline (order_id, step) SELECT id, 'placed' FROM placed RETURNING at
), event AS (
  ${outboxClause}
)
SELECT placed.created_at, timeline.at FROM placed, timeline`;

/** What publishes an order's event once it has committed (the api's outbox dispatcher). */
export type Dispatch = (entries: readonly OutboxEntry[]) => void;

/**
 * placeOrder is hop 1: the order, its lines, its first timeline entry and its order.placed event
 * commit together, keyed by the Idempotency-Key. A retry with the same key and body finds the first
 * order; a concurrent one waits on the key's row, then finds it too. Once committed, the event is
 * handed to `dispatch`.
 */
export async function placeOrder(
  pool: Pool,
  dispatch: Dispatch,
  priceList: PriceList,
  idempotencyKey: string,
  body: PlaceOrderBody,
  trace: { traceparent?: string; traceId?: string } = {},
): Promise<PlaceOrderResult> {
  const repeated = duplicates(body.items.map((item) => item.sku));
  if (repeated.length > 0) return { kind: 'duplicate-sku', skus: repeated };
  const hash = requestHash(body);
  const { unknown, lines } = await priceLines(priceList, body);
  if (unknown.length > 0) return { kind: 'unknown-sku', skus: unknown };
  const orderId = randomUUID();
  const totalCents = lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0);
  const traceId = activeTraceFields().traceId ?? trace.traceId;
  const event = createEvent({
    type: 'order.placed',
    orderId,
    payload: { customerId: body.customerId, items: lines, totalCents },
  });
  const entry = outboxEntry(event, trace.traceparent ? { traceparent: trace.traceparent } : {});
  const outbox = outboxInsertStatement('orders', entry, 10, 'EXISTS (SELECT 1 FROM placed)');
  const placed = await pool.query<{ created_at: Date; at: Date }>({
    name: 'place-order',
    text: placeStatement(outbox.text),
    values: [
      idempotencyKey,
      hash,
      orderId,
      body.customerId,
      totalCents,
      traceId ?? null,
      lines.map((l) => l.sku),
      lines.map((l) => l.quantity),
      lines.map((l) => l.priceCents),
      ...outbox.values,
    ],
  });
  const row = placed.rows[0];
  if (!row) return replayOf(pool, idempotencyKey, hash);
  dispatch([entry]);
  const createdAt = row.created_at.toISOString();
  return {
    kind: 'placed',
    order: {
      id: orderId,
      customerId: body.customerId,
      status: 'PENDING',
      items: lines,
      totalCents,
      createdAt,
      updatedAt: createdAt,
      timeline: [{ step: 'placed', at: row.at.toISOString() }],
      ...(traceId ? { traceId } : {}),
    },
  };
}
