import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from '@surety/db';
import { getOrder, listOrders } from './order-queries.js';
import { placeOrder, type Dispatch } from './place-order.js';
import { EventLoopLag } from './event-loop-lag.js';
import { PriceList } from './price-list.js';
import { refusals } from '../errors.js';
import { CustomerId, NoQuery, OrderSummary, OrderView, PlaceOrderBody } from './schemas.js';

const PlaceOrderHeaders = Type.Object({
  'idempotency-key': Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'Chosen by the client, once per order: a retry with the same key and body gets the first answer.',
  }),
  traceparent: Type.Optional(Type.String()),
});

/** The answer to an accepted order: where to watch it, and whether it is a replay of an earlier request. */
const Accepted = {
  ...OrderView,
  description: 'Accepted: the order is PENDING and the pipeline settles it.',
  headers: {
    location: { type: 'string', description: 'The order: GET it, or its /events.' },
    'idempotent-replayed': {
      type: 'string',
      enum: ['true'],
      description: 'Present when this answers an earlier request with the same Idempotency-Key.',
    },
  },
};

export interface OrderRoutesOptions {
  pool: Pool;
  /** Publishes a placed order's event once it has committed. */
  dispatch: Dispatch;
  rateLimit: { max: number; windowMs: number };
  shedWhenWaiting: number;
  /** Event-loop lag, in ms, beyond which new orders are shed with 503 (0 never sheds on lag). */
  shedAboveLagMs: number;
}

/**
 * The door's back-pressure: a customer over the rate gets 429 with Retry-After, and when requests
 * already queue for a database connection, or the event loop has lately run late (the api cannot
 * keep up with what arrives), a new order is refused with 503 before any work, so a spike turns into polite
 * refusals instead of timeouts, accepted orders keep a short answer time, and nothing is half-written.
 */
function doorPolicy({ pool, rateLimit, shedWhenWaiting, shedAboveLagMs }: OrderRoutesOptions) {
  const lag = new EventLoopLag();
  return {
    config: {
      rateLimit: {
        max: rateLimit.max,
        timeWindow: rateLimit.windowMs,
        hook: 'preHandler' as const,
        keyGenerator: (request: FastifyRequest) => {
          const body = request.body as { customerId?: unknown } | undefined;
          return typeof body?.customerId === 'string' ? `customer:${body.customerId}` : `ip:${request.ip}`;
        },
        errorResponseBuilder: (_request: FastifyRequest, context: { after: string }) =>
          Object.assign(new Error(`too many orders from this customer; retry in ${context.after}`), {
            statusCode: 429,
            code: 'SURETY_RATE_LIMITED',
          }),
      },
    },
    onRequest: async (_request: FastifyRequest, reply: FastifyReply) => {
      if (pool.waitingCount >= shedWhenWaiting || (shedAboveLagMs > 0 && lag.recent() > shedAboveLagMs)) {
        return reply.code(503).header('retry-after', '1').send({
          error: 'overloaded',
          message: 'too busy to take this order now; retry with the same Idempotency-Key',
        });
      }
    },
  };
}

const defaultListLimit = 50;

/** orderRoutes is the customer-facing HTTP contract of docs/architecture.md. */
export const orderRoutes: FastifyPluginAsyncTypebox<OrderRoutesOptions> = async (app, options) => {
  const { pool } = options;
  const priceList = new PriceList(pool);
  app.post(
    '/orders',
    {
      ...doorPolicy(options),
      schema: {
        tags: ['orders'],
        summary: 'Place an order: answered at once with PENDING, settled by the pipeline.',
        headers: PlaceOrderHeaders,
        querystring: NoQuery,
        body: PlaceOrderBody,
        response: { 202: Accepted, ...refusals(400, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const traceparent = request.headers.traceparent;
      const result = await placeOrder(
        pool,
        options.dispatch,
        priceList,
        key,
        request.body,
        traceparent ? { traceparent, traceId: traceparent.split('-')[1] } : {},
      );
      switch (result.kind) {
        case 'duplicate-sku':
          return reply
            .code(400)
            .send({ error: 'duplicate_sku', message: `each SKU may appear once: ${result.skus.join(', ')}` });
        case 'unknown-sku':
          return reply.code(422).send({ error: 'unknown_sku', message: `unknown SKU: ${result.skus.join(', ')}` });
        case 'key-reused':
          return reply.code(422).send({
            error: 'idempotency_key_reused',
            message: 'this Idempotency-Key was already used with another request body',
          });
        case 'placed':
        case 'replayed': {
          const order = result.kind === 'placed' ? result.order : await getOrder(pool, result.orderId);
          if (!order)
            throw new Error(`order ${result.kind === 'replayed' ? result.orderId : ''} not found after placing it`);
          if (result.kind === 'replayed') void reply.header('idempotent-replayed', 'true');
          request.log.info({ orderId: order.id, replayed: result.kind === 'replayed' }, 'order accepted');
          return reply.code(202).header('location', `/orders/${order.id}`).send(order);
        }
      }
    },
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        tags: ['orders'],
        summary: 'An order with its status and timeline, read from the primary.',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        querystring: NoQuery,
        response: { 200: OrderView, ...refusals(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const order = await getOrder(pool, request.params.id);
      return order ?? reply.code(404).send({ error: 'order_not_found', message: `no order ${request.params.id}` });
    },
  );

  app.get(
    '/orders',
    {
      schema: {
        tags: ['orders'],
        summary: "A customer's orders, newest first.",
        querystring: Type.Object(
          {
            customerId: CustomerId,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: defaultListLimit })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(OrderSummary), ...refusals(400, 503) },
      },
    },
    async (request) => listOrders(pool, request.query.customerId, request.query.limit ?? defaultListLimit),
  );
};
