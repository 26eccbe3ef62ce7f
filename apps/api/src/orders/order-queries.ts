import type { Pool } from '@surety/db';
import type { OrderSummary, OrderView } from './schemas.js';

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderSummary['status'];
  reason: string | null;
  total_cents: number;
  created_at: Date;
  updated_at: Date;
  trace_id: string | null;
  items: OrderSummary['items'];
}

const selectOrders = `
  SELECT o.id, o.customer_id, o.status, o.reason, o.total_cents, o.created_at, o.updated_at, o.trace_id,
         COALESCE((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity, 'priceCents', l.price_cents) ORDER BY l.sku)
                     FROM orders.order_lines l WHERE l.order_id = o.id), '[]') AS items
    FROM orders.orders o`;

function toSummary(row: OrderRow): OrderSummary {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    ...(row.reason ? { reason: row.reason } : {}),
    items: row.items,
    totalCents: row.total_cents,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * getOrder reads an order with its timeline. The 'published' step comes from the outbox row of
 * its order.placed event, marked once the broker confirmed it.
 */
export async function getOrder(pool: Pool, orderId: string): Promise<OrderView | undefined> {
  const order = await pool.query<OrderRow>(`${selectOrders} WHERE o.id = $1`, [orderId]);
  const row = order.rows[0];
  if (!row) return undefined;
  const timeline = await pool.query<{ step: string; at: Date; detail: Record<string, unknown> | null }>(
    `SELECT step, at, detail FROM orders.order_timeline WHERE order_id = $1
     UNION ALL
     SELECT 'published', published_at, NULL FROM orders.outbox
      WHERE order_id = $1 AND type = 'order.placed' AND published_at IS NOT NULL
     ORDER BY at`,
    [orderId],
  );
  return {
    ...toSummary(row),
    ...(row.trace_id ? { traceId: row.trace_id } : {}),
    timeline: timeline.rows.map((entry) => ({
      step: entry.step,
      at: entry.at.toISOString(),
      ...(entry.detail ? { detail: entry.detail } : {}),
    })),
  };
}

/** listOrders gives a customer's orders, newest first. */
export async function listOrders(pool: Pool, customerId: string, limit: number): Promise<OrderSummary[]> {
  const orders = await pool.query<OrderRow>(
    `${selectOrders} WHERE o.customer_id = $1 ORDER BY o.created_at DESC, o.id LIMIT $2`,
    [customerId, limit],
  );
  return orders.rows.map(toSummary);
}
