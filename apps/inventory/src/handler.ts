import { BusinessRuleError, type Envelope } from '@surety/contracts';
import type { Handler, HandlerContext } from '@surety/messaging';

type ReservationStatus = 'pending' | 'reserved' | 'rejected' | 'voided' | 'released';
type StockLine = { sku: string; quantity: number };

/** lockReservation creates the order's reservation row if missing and locks it. */
async function lockReservation(ctx: HandlerContext, orderId: string, initial: ReservationStatus) {
  await ctx.tx.query(
    `INSERT INTO inventory.reservations (order_id, status) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING`,
    [orderId, initial],
  );
  const locked = await ctx.tx.query<{ status: ReservationStatus; items: StockLine[] }>(
    'SELECT status, items FROM inventory.reservations WHERE order_id = $1 FOR UPDATE',
    [orderId],
  );
  const row = locked.rows[0];
  if (!row) throw new Error(`reservation row for ${orderId} vanished`);
  return row;
}

/** takeStock decrements every line or none; it returns the first SKU that was short. */
async function takeStock(ctx: HandlerContext, lines: StockLine[]): Promise<string | undefined> {
  await ctx.tx.query('SAVEPOINT take_stock');
  for (const line of lines) {
    const taken = await ctx.tx.query(
      `UPDATE inventory.stock SET available = available - $2, reserved = reserved + $2
        WHERE sku = $1 AND available >= $2`,
      [line.sku, line.quantity],
    );
    if (taken.rowCount === 0) {
      await ctx.tx.query('ROLLBACK TO SAVEPOINT take_stock');
      return line.sku;
    }
  }
  await ctx.tx.query('RELEASE SAVEPOINT take_stock');
  return undefined;
}

async function reserve(event: Envelope<'order.placed'>, ctx: HandlerContext) {
  const reservation = await lockReservation(ctx, event.orderId, 'pending');
  if (reservation.status !== 'pending') {
    ctx.log.debug({ status: reservation.status }, 'order already settled here; not reserving');
    return;
  }
  // A fixed lock order over SKUs keeps concurrent reservations from deadlocking.
  const lines = event.payload.items
    .map(({ sku, quantity }) => ({ sku, quantity }))
    .sort((a, b) => a.sku.localeCompare(b.sku));
  const shortSku = await takeStock(ctx, lines);
  if (shortSku) {
    const reason = `out of stock: ${shortSku}`;
    await ctx.tx.query(
      `UPDATE inventory.reservations SET status = 'rejected', reason = $2, updated_at = clock_timestamp() WHERE order_id = $1`,
      [event.orderId, reason],
    );
    await ctx.emit({ type: 'stock.rejected', payload: { reason, sku: shortSku } });
    return;
  }
  await ctx.tx.query(
    `UPDATE inventory.reservations SET status = 'reserved', items = $2, updated_at = clock_timestamp() WHERE order_id = $1`,
    [event.orderId, JSON.stringify(lines)],
  );
  await ctx.emit({ type: 'stock.reserved', payload: { items: lines } });
}

async function release(event: Envelope<'order.cancelled'>, ctx: HandlerContext) {
  const reservation = await lockReservation(ctx, event.orderId, 'voided');
  if (reservation.status !== 'reserved') return;
  for (const line of reservation.items) {
    await ctx.tx.query(
      'UPDATE inventory.stock SET available = available + $2, reserved = reserved - $2 WHERE sku = $1',
      [line.sku, line.quantity],
    );
  }
  await ctx.tx.query(
    `UPDATE inventory.reservations SET status = 'released', updated_at = clock_timestamp() WHERE order_id = $1`,
    [event.orderId],
  );
  await ctx.emit({ type: 'stock.released', payload: { items: reservation.items } });
}

/** inventoryHandler reserves stock on order.placed (all lines or none) and releases it on order.cancelled. */
export const inventoryHandler: Handler = async (event, ctx) => {
  switch (event.type) {
    case 'order.placed':
      return reserve(event, ctx);
    case 'order.cancelled':
      return release(event, ctx);
    default:
      throw new BusinessRuleError(`inventory does not handle ${event.type}`);
  }
};
