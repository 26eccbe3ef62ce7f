import { randomUUID } from 'node:crypto';
import { withTransaction, type Pool } from '@surety/db';

export interface OrderRequest {
  customerId: string;
  items: { sku: string; quantity: number }[];
}

export type SyncOutcome =
  | { kind: 'confirmed'; orderId: string }
  | { kind: 'cancelled'; orderId: string; reason: string }
  | { kind: 'unknown-sku'; skus: string[] }
  /** The gateway failed or timed out: the request fails and nothing retries it. */
  | { kind: 'failed'; orderId: string; reason: string };

type Charge = { status: 'captured' | 'declined'; id: string } | { status: 'failed'; reason: string };

async function charge(gatewayUrl: string, timeoutMs: number, orderId: string, amountCents: number): Promise<Charge> {
  try {
    const response = await fetch(new URL('/charges', gatewayUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `charge-${orderId}` },
      body: JSON.stringify({ orderId, amountCents }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as { id?: string };
    if (response.status === 201 || response.status === 200) return { status: 'captured', id: String(body.id) };
    if (response.status === 402) return { status: 'declined', id: String(body.id) };
    return { status: 'failed', reason: `gateway answered ${response.status}` };
  } catch (error) {
    return { status: 'failed', reason: `gateway unreachable: ${(error as Error).message}` };
  }
}

async function settle(pool: Pool, orderId: string, status: 'CONFIRMED' | 'CANCELLED', reason?: string) {
  await pool.query(
    `UPDATE orders.orders SET status = $2, reason = $3, updated_at = clock_timestamp(), completed_at = clock_timestamp()
      WHERE id = $1`,
    [orderId, status, reason ?? null],
  );
}

/** reserve takes every line's stock or none, in SKU order so concurrent requests cannot deadlock. */
async function reserve(pool: Pool, orderId: string, items: OrderRequest['items']): Promise<string | undefined> {
  const lines = [...items].sort((a, b) => a.sku.localeCompare(b.sku));
  return withTransaction(pool, async (tx) => {
    await tx.query('SAVEPOINT take_stock');
    for (const line of lines) {
      const taken = await tx.query(
        `UPDATE inventory.stock SET available = available - $2, reserved = reserved + $2
          WHERE sku = $1 AND available >= $2`,
        [line.sku, line.quantity],
      );
      if (taken.rowCount === 0) {
        await tx.query('ROLLBACK TO SAVEPOINT take_stock');
        await tx.query(`INSERT INTO inventory.reservations (order_id, status, reason) VALUES ($1, 'rejected', $2)`, [
          orderId,
          `out of stock: ${line.sku}`,
        ]);
        return line.sku;
      }
    }
    await tx.query(`INSERT INTO inventory.reservations (order_id, status, items) VALUES ($1, 'reserved', $2)`, [
      orderId,
      JSON.stringify(lines),
    ]);
    return undefined;
  });
}

/**
 * placeOrderSync is the request path of the system before Surety: inside the request it records the
 * order, charges through the gateway, reserves stock and writes the notification, then answers.
 * A slow gateway makes every request slow; a gateway that is down fails the request, and the
 * order is left CANCELLED with nobody to finish it.
 */
export async function placeOrderSync(
  deps: { pool: Pool; gatewayUrl: string; gatewayTimeoutMs: number },
  request: OrderRequest,
): Promise<SyncOutcome> {
  const { pool } = deps;
  const skus = request.items.map((i) => i.sku);
  const prices = await pool.query<{ sku: string; price_cents: number }>(
    'SELECT sku, price_cents FROM orders.products WHERE sku = ANY($1)',
    [skus],
  );
  const priceOf = new Map(prices.rows.map((r) => [r.sku, r.price_cents]));
  const unknown = skus.filter((sku) => !priceOf.has(sku));
  if (unknown.length > 0) return { kind: 'unknown-sku', skus: unknown };
  const totalCents = request.items.reduce((sum, i) => sum + (priceOf.get(i.sku) ?? 0) * i.quantity, 0);

  const orderId = randomUUID();
  await withTransaction(pool, async (tx) => {
    await tx.query('INSERT INTO orders.orders (id, customer_id, total_cents) VALUES ($1, $2, $3)', [
      orderId,
      request.customerId,
      totalCents,
    ]);
    await tx.query(
      `INSERT INTO orders.order_lines (order_id, sku, quantity, price_cents)
       SELECT $1, * FROM unnest($2::text[], $3::int[], $4::int[])`,
      [orderId, skus, request.items.map((i) => i.quantity), request.items.map((i) => priceOf.get(i.sku) ?? 0)],
    );
  });

  const charged = await charge(deps.gatewayUrl, deps.gatewayTimeoutMs, orderId, totalCents);
  if (charged.status === 'failed') {
    await settle(pool, orderId, 'CANCELLED', charged.reason);
    return { kind: 'failed', orderId, reason: charged.reason };
  }
  if (charged.status === 'declined') {
    await settle(pool, orderId, 'CANCELLED', 'payment declined');
    return { kind: 'cancelled', orderId, reason: 'payment declined' };
  }
  const shortSku = await reserve(pool, orderId, request.items);
  const about = shortSku ? 'order.cancelled' : 'order.confirmed';
  await pool.query(
    `INSERT INTO notifications.notifications (id, order_id, about, channel, recipient, body, message_id)
     VALUES ($1, $2, $3, 'email', $4, $5, $6)`,
    [randomUUID(), orderId, about, request.customerId, `Your order ${orderId}: ${about}.`, randomUUID()],
  );
  if (shortSku) {
    // The charge stays captured: the system before Surety had no compensation.
    await settle(pool, orderId, 'CANCELLED', `out of stock: ${shortSku}`);
    return { kind: 'cancelled', orderId, reason: `out of stock: ${shortSku}` };
  }
  await pool.query(`UPDATE orders.orders SET payment_status = 'captured', stock_status = 'reserved' WHERE id = $1`, [
    orderId,
  ]);
  await settle(pool, orderId, 'CONFIRMED');
  return { kind: 'confirmed', orderId };
}
