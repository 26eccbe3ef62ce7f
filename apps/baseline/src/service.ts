import Fastify from 'fastify';
import { createPool } from '@surety/db';
import { createLogger, createRegistry, httpLogging, registerProbes, type RunningService } from '@surety/telemetry';
import type { BaselineConfig } from './config.js';
import { placeOrderSync, type OrderRequest } from './place-order-sync.js';

const orderBody = {
  type: 'object',
  required: ['customerId', 'items'],
  additionalProperties: false,
  properties: {
    customerId: { type: 'string', minLength: 1, maxLength: 100 },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        required: ['sku', 'quantity'],
        additionalProperties: false,
        properties: { sku: { type: 'string', minLength: 1 }, quantity: { type: 'integer', minimum: 1, maximum: 100 } },
      },
    },
  },
} as const;

export interface BaselineService extends RunningService {
  url: string;
}

/**
 * startBaseline serves `POST /orders` the synchronous way (201 when confirmed, 503 when the gateway
 * failed), for the bench to compare with Surety's 202-then-settle path.
 */
export async function startBaseline(config: BaselineConfig): Promise<BaselineService> {
  const logger = createLogger('baseline', config.logLevel);
  const pool = createPool(config.databaseUrl, logger, { applicationName: 'surety-baseline', max: config.poolSize });
  const registry = createRegistry('baseline');
  const app = Fastify({ ...httpLogging(logger) });
  registerProbes(app, registry, { isReady: () => true });
  app.post<{ Body: OrderRequest }>('/orders', { schema: { body: orderBody } }, async (request, reply) => {
    const outcome = await placeOrderSync(
      { pool, gatewayUrl: config.gatewayUrl, gatewayTimeoutMs: config.gatewayTimeoutMs },
      request.body,
    );
    switch (outcome.kind) {
      case 'confirmed':
        return reply.code(201).send({ id: outcome.orderId, status: 'CONFIRMED' });
      case 'cancelled':
        return reply.code(201).send({ id: outcome.orderId, status: 'CANCELLED', reason: outcome.reason });
      case 'unknown-sku':
        return reply.code(422).send({ error: 'unknown_sku', message: `unknown SKU ${outcome.skus.join(', ')}` });
      case 'failed':
        return reply.code(503).send({ error: 'payment_unavailable', message: outcome.reason, id: outcome.orderId });
    }
  });
  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url }, 'baseline listening');
  return {
    url,
    async stop() {
      await app.close();
      await pool.end();
    },
  };
}
