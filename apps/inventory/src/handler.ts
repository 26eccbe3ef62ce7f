import { BusinessRuleError, type AnyEvent, type Envelope } from '@surety/contracts';
import type { TransactionQueries } from '@surety/db';
import type { Handler, HandlerContext } from '@surety/messaging';

type ReservationStatus = 'pending' | 'reserved' | 'rejected' | 'voided' | 'released';
type StockLine = { sku: string; quantity: number };

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  items: StockLine[];
}

/**
 * What a batch locked: its orders' reservation rows by order id, and the available stock of every
 * SKU it touches; each handler keeps both up to date as it goes.
 */
export interface LockedBatch {
  reservations: Map<string, ReservationRow>;
  available: Map<string, number>;
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
  // One row per SKU: an UPDATE … FROM changes each target row once, whatever it joins.
  const sums = quantitiesBySku(lines);
  for (const [sku, quantity] of sums) {
    const before = ctx.batch.available.get(sku);
    if (before !== undefined) ctx.batch.available.set(sku, before + direction * quantity);
  }
  void ctx.tx.send({
    name: 'stock-move',
    text: `UPDATE inventory.stock AS s SET available = s.available + $3 * l.quantity, reserved = s.reserved - $3 * l.quantity
       FROM unnest($1::text[], $2::int[]) AS l(sku, quantity) WHERE s.sku = l.sku`,
    values: [[...sums.keys()], [...sums.values()], direction],
  });
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
    ctx.batch.reservations.set(event.orderId, { ...reservation, status: 'rejected' });
    void ctx.tx.send({
      name: 'reservation-rejected',
      text: `UPDATE inventory.reservations SET status = 'rejected', reason = $2, updated_at = clock_timestamp() WHERE order_id = $1`,
      values: [event.orderId, reason],
    });
    await ctx.emit({ type: 'stock.rejected', payload: { reason, sku: shortSku } });
    return;
  }
  ctx.batch.reservations.set(event.orderId, { ...reservation, status: 'reserved', items: lines });
  void ctx.tx.send({
    name: 'reservation-reserved',
    text: `UPDATE inventory.reservations SET status = 'reserved', items = $2, updated_at = clock_timestamp() WHERE order_id = $1`,
    values: [event.orderId, JSON.stringify(lines)],
  });
  await ctx.emit({ type: 'stock.reserved', payload: { items: lines } });
}

async function release(event: Envelope<'order.cancelled'>, ctx: InventoryContext) {
  const reservation = reservationOf(ctx, event.orderId);
  if (reservation.status !== 'reserved') return;
  ctx.batch.reservations.set(event.orderId, { ...reservation, status: 'released' });
  moveStock(ctx, reservation.items, 1);
  void ctx.tx.send({
    name: 'reservation-released',
    text: `UPDATE inventory.reservations SET status = 'released', updated_at = clock_timestamp() WHERE order_id = $1`,
    values: [event.orderId],
  });
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
  if (placedSkus.length === 0 && cancelledOrders.length === 0) return { reservations: new Map(), available: new Map() };
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
      text: `SELECT order_id, status, items FROM inventory.reservations
            WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE`,
      values: [ids],
    }),
  ]);
  return {
    reservations: new Map(locked.rows.map((row) => [row.order_id, row])),
    available: new Map(stock.rows.map((row) => [row.sku, row.available])),
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
