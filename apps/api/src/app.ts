import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Pool } from '@surety/db';
import { httpLogging, registerProbes, type Logger } from '@surety/telemetry';
import type { Registry } from 'prom-client';
import type { DeadLetterBox } from '@surety/messaging';
import { adminBearer } from './admin/auth.js';
import { dlqRoutes } from './admin/dlq-routes.js';
import { answerUnknownRoutes } from './method-not-allowed.js';
import { validatorCompiler } from './validation.js';
import { handleError } from './errors.js';
import { eventDocRoutes } from './event-docs.js';
import type { OrderChanges } from './orders/order-changes.js';
import { orderEventRoutes } from './orders/order-events.js';
import { orderRoutes } from './orders/routes.js';
import { tracePageRoutes } from './orders/trace-page.js';
import type { Dispatch } from './orders/place-order.js';
import { opsRoutes } from './ops/ops-routes.js';
import type { Gauges } from './ops/gauges.js';
import type { QueueStats } from './ops/queue-stats.js';
import { productRoutes } from './products.js';
import { webRoutes, type WebOptions } from './web.js';

/** What the HTTP API is built from. */
export interface ApiAppOptions {
  pool: Pool;
  /** Publishes a placed order's event once it has committed. */
  dispatch: Dispatch;
  logger: Logger;
  registry: Registry;
  bodyLimitBytes: number;
  rateLimit: { max: number; windowMs: number };
  shedWhenWaiting: number;
  shedAboveLagMs: number;
  admin?: {
    token: string;
    deadLetters: () => Promise<DeadLetterBox>;
    queueStats: () => Promise<QueueStats[]>;
    gauges: () => Promise<Gauges>;
    reportsDir: string;
  };
  live: { changes: OrderChanges; heartbeatMs: number };
  web: Omit<WebOptions, 'logger' | 'traceWaterfall'>;
  /** Jaeger's query API: when given, /orders/:id/trace renders an order's trace. */
  jaegerQueryUrl?: string;
}

/** buildApiApp assembles the HTTP API: routes, OpenAPI document, probes and error shape. */
export async function buildApiApp(options: ApiAppOptions) {
  const { pool } = options;
  const app = Fastify({
    ...httpLogging(options.logger),
    bodyLimit: options.bodyLimitBytes,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(handleError);
  answerUnknownRoutes(app);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Surety API',
        version: '0.1.0',
        description: 'Place orders and watch them settle. The events behind them: [/docs/asyncapi](/docs/asyncapi).',
      },
      components: { securitySchemes: { adminBearer } },
    },
    hideUntagged: true,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(eventDocRoutes);
  registerProbes(app, options.registry, {
    isReady: () =>
      pool.query('SELECT 1').then(
        () => true,
        () => false,
      ),
  });
  await app.register(productRoutes, { pool });
  await app.register(rateLimit, { global: false });
  await app.register(orderRoutes, {
    pool,
    dispatch: options.dispatch,
    rateLimit: options.rateLimit,
    shedWhenWaiting: options.shedWhenWaiting,
    shedAboveLagMs: options.shedAboveLagMs,
  });
  await app.register(orderEventRoutes, { pool, ...options.live });
  if (options.jaegerQueryUrl) await app.register(tracePageRoutes, { pool, jaegerQueryUrl: options.jaegerQueryUrl });
  if (options.admin) {
    const { token, deadLetters, queueStats, gauges, reportsDir } = options.admin;
    await app.register(dlqRoutes, { pool, token, deadLetters });
    await app.register(opsRoutes, { pool, token, queueStats, gauges, reportsDir });
  }
  await app.register(webRoutes, {
    ...options.web,
    traceWaterfall: options.jaegerQueryUrl !== undefined,
    logger: options.logger,
  });
  return app;
}
