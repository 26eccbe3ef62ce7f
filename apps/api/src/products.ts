import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '@surety/db';
import { refusals } from './errors.js';
import { NoQuery, Product } from './orders/schemas.js';

/** productRoutes serves the seeded catalogue. */
export const productRoutes: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  app.get(
    '/products',
    {
      schema: {
        tags: ['products'],
        summary: 'The catalogue.',
        querystring: NoQuery,
        response: { 200: Type.Array(Product), ...refusals(400, 503) },
      },
    },
    async () => {
      const result = await pool.query<{ sku: string; name: string; price_cents: number }>(
        'SELECT sku, name, price_cents FROM orders.products ORDER BY sku',
      );
      return result.rows.map((row) => ({ sku: row.sku, name: row.name, priceCents: row.price_cents, available: true }));
    },
  );
};
