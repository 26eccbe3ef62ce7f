import { BusinessRuleError, type AnyEvent, type Envelope } from '@surety/contracts';
import type { TransactionQueries } from '@surety/db';
import { BatchRows, type Handler, type HandlerContext } from '@surety/messaging';

type ReservationStatus = 'pending' | 'reserved' | 'rejected' | 'voided' | 'released';
type StockLine = { sku: string; quantity: number };

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  items: StockLine[];
  reason: string | null;
}

/**
 * What a batch locked: its orders' reservation rows by order id, and the available stock of every
 * SKU it touches; each handler keeps both up to date as it goes, and records what moved from each
 * SKU's available stock to its reserved stock (`moved`), which writeBatch writes, with the changed
 * reservations, once they have all run.
 */
export interface LockedBatch {
  reservations: BatchRows<ReservationRow>;
  available: Map<string, number>;
  moved: Map<string, number>;
}
type InventoryContext = HandlerContext<LockedBatch>;

function reservationOf(ctx: InventoryContext, orderId: string): ReservationRow {
  const row = ctx.batch.reservations.get(orderId);
  if (!row) throw new Error(`reservation row for ${orderId} was not locked`);
  return row;
}

/**
 * takeStock decrements every line or none; it returns the first SKU that was short. The batch locked
 * the stock rows before any handler ran, so the check and the decrement see the same stock.
 */
function takeStock(ctx: InventoryContext, lines: StockLine[]): string | undefined {
  const wanted = quantitiesBySku(lines);
  const { available } = ctx.batch;
  const short = [...wanted].find(([sku, quantity]) => (available.get(sku) ?? 0) < quantity);
  if (short) return short[0];
  moveStock(ctx, lines, -1);
  return undefined;
}

/** quantitiesBySku sums the lines of each SKU, in SKU order. */
function quantitiesBySku(lines: readonly StockLine[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of [...lines].sort((a, b) => a.sku.localeCompare(b.sku))) {
    sums.set(line.sku, (sums.get(line.sku) ?? 0) + line.quantity);
  }
  return sums;
}

/** moveStock moves every line's quantity from available to reserved (direction -1) or back (+1). */
function moveStock(ctx: InventoryContext, lines: StockLine[], direction: 1 | -1): void {
  const { available, moved } = ctx.batch;
  for (const [sku, quantity] of quantitiesBySku(lines)) {
    const before = available.get(sku);
    if (before !== undefined) available.set(sku, before + direction * quantity);
    moved.set(sku, (moved.get(sku) ?? 0) + direction * quantity);
  }
}

/**
 * writeBatch sends what a batch's handlers changed: each SKU's stock moved once, by the sum of the
 * batch's moves, and each changed reservation written once, in its last state.
 */
export function writeBatch(batch: LockedBatch, tx: TransactionQueries): void {
  // One row per SKU: an UPDATE … FROM changes each target row once, whatever it joins.
  const moves = [...batch.moved].filter(([, delta]) => delta !== 0).sort(([a], [b]) => a.localeCompare(b));
  if (moves.length > 0) {
    void tx.send({
      name: 'stock-move',
      text: `UPDATE inventory.stock AS s SET available = s.available + l.delta, reserved = s.reserved - l.delta
         FROM unnest($1::text[], $2::int[]) AS l(sku, delta) WHERE s.sku = l.sku`,
      values: [moves.map(([sku]) => sku), moves.map(([, delta]) => delta)],
    });
  }
  const changed = batch.reservations.changed();
  if (changed.length > 0) {
    void tx.send({
      name: 'reservation-change',
      text: `UPDATE inventory.reservations AS r
                SET status = c.status, items = c.items, reason = c.reason, updated_at = clock_timestamp()
               FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[]) AS c(order_id, status, items, reason)
              WHERE r.order_id = c.order_id`,
      values: [
        changed.map((row) => row.order_id),
        changed.map((row) => row.status),
        changed.map((row) => JSON.stringify(row.items)),
        changed.map((row) => row.reason),
      ],
    });
  }
}

async function reserve(event: Envelope<'order.placed'>, ctx: InventoryContext) {
  const reservation = reservationOf(ctx, event.orderId);
  if (reservation.status !== 'pending') {
    ctx.log.debug({ status: reservation.status }, 'order already settled here; not reserving');
    return;
  }
  // A fixed lock order over SKUs keeps concurrent reservations from deadlocking.
  const lines = event.payload.items
    .map(({ sku, quantity }) => ({ sku, quantity }))
    .sort((a, b) => a.sku.localeCompare(b.sku));
  const shortSku = takeStock(ctx, lines);
  if (shortSku) {
    const reason = `out of stock: ${shortSku}`;
    ctx.batch.reservations.change(event.orderId, { ...reservation, status: 'rejected', reason });
    await ctx.emit({ type: 'stock.rejected', payload: { reason, sku: shortSku } });
    return;
  }
  ctx.batch.reservations.change(event.orderId, { ...reservation, status: 'reserved', items: lines });
  await ctx.emit({ type: 'stock.reserved', payload: { items: lines } });
}

async function release(event: Envelope<'order.cancelled'>, ctx: InventoryContext) {
  const reservation = reservationOf(ctx, event.orderId);
  if (reservation.status !== 'reserved') return;
  ctx.batch.reservations.change(event.orderId, { ...reservation, status: 'released' });
  moveStock(ctx, reservation.items, 1);
  await ctx.emit({ type: 'stock.released', payload: { items: reservation.items } });
}

/**
 * lockBatch locks, in SKU order, every stock row a batch's handlers will touch: the lines of its
 * orders and those reserved for its cancellations. Batches lock many orders' stock at once, so
 * without one fixed order two of them could each hold a row the other waits for. Then it creates
 * each order's reservation row if it is missing (pending for a reservation, voided when the
 * cancellation came first, so a late order.placed reserves nothing) and locks them all in
 * order-id order, for the handlers.
 */
export async function lockBatch(events: readonly AnyEvent[], tx: TransactionQueries): Promise<LockedBatch> {
  const placedSkus = events.flatMap((e) => (e.type === 'order.placed' ? e.payload.items.map((i) => i.sku) : []));
  const cancelledOrders = events.filter((e) => e.type === 'order.cancelled').map((e) => e.orderId);
  if (placedSkus.length === 0 && cancelledOrders.length === 0) {
    return { reservations: new BatchRows(), available: new Map(), moved: new Map() };
  }
  const initial = new Map<string, ReservationStatus>();
  for (const event of events) {
    if (initial.has(event.orderId)) continue;
    if (event.type === 'order.placed') initial.set(event.orderId, 'pending');
    if (event.type === 'order.cancelled') initial.set(event.orderId, 'voided');
  }
  const ids = [...initial.keys()].sort();
  // Sent together, in this order: the stock first, then the reservations the insert creates.
  const [stock, , locked] = await Promise.all([
    tx.query<{ sku: string; available: number }>({
      name: 'stock-lock-batch',
      text: `SELECT sku, available FROM inventory.stock
      WHERE sku = ANY($1::text[])
         OR sku IN (SELECT line->>'sku' FROM inventory.reservations AS r, jsonb_array_elements(r.items) AS line
                     WHERE r.order_id = ANY($2::uuid[]))
      ORDER BY sku FOR UPDATE`,
      values: [placedSkus, cancelledOrders],
    }),
    tx.query({
      name: 'reservation-create-batch',
      text: `INSERT INTO inventory.reservations (order_id, status)
           SELECT * FROM unnest($1::uuid[], $2::text[]) ORDER BY 1 ON CONFLICT (order_id) DO NOTHING`,
      values: [ids, ids.map((id) => initial.get(id)!)],
    }),
    tx.query<ReservationRow>({
      name: 'reservation-lock-batch',
      text: `SELECT order_id, status, items, reason FROM inventory.reservations
            WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE`,
      values: [ids],
    }),
  ]);
  return {
    reservations: new BatchRows(new Map(locked.rows.map((row) => [row.order_id, row]))),
    available: new Map(stock.rows.map((row) => [row.sku, row.available])),
    moved: new Map(),
  };
}

/** inventoryHandler reserves stock on order.placed (all lines or none) and releases it on order.cancelled. */
export const inventoryHandler: Handler<LockedBatch> = async (event, ctx) => {
  switch (event.type) {
    case 'order.placed':
      return reserve(event, ctx);
    case 'order.cancelled':
      return release(event, ctx);
    default:
      throw new BusinessRuleError(`inventory does not handle ${event.type}`);
  }
};
