import type { FastifyInstance } from 'fastify';
import type { Pool } from '@surety/db';

/**
 * reservationRoutes lets the reconciler ask inventory, the authority on stock, what it decided for
 * an order: `GET /reservations/:orderId`.
 */
export function reservationRoutes(app: FastifyInstance, { pool }: { pool: Pool }): void {
  app.get<{ Params: { orderId: string } }>('/reservations/:orderId', async (request, reply) => {
    const { orderId } = request.params;
    if (!/^[0-9a-f-]{36}$/i.test(orderId)) return reply.code(400).send({ error: 'invalid_order_id', message: orderId });
    const found = await pool.query<{ status: string; items: unknown; reason: string | null }>(
      'SELECT status, items, reason FROM inventory.reservations WHERE order_id = $1',
      [orderId],
    );
    const row = found.rows[0];
    if (!row) return reply.code(404).send({ error: 'not_found', message: `no reservation for ${orderId}` });
    return { orderId, status: row.status, items: row.items, reason: row.reason };
  });
}
