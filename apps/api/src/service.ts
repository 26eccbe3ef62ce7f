import { TransientError } from '@surety/contracts';
import { createPool } from '@surety/db';
import { Broker, DeadLetterBox } from '@surety/messaging';
import {
  createLogger,
  createRegistry,
  registerConnectionMetrics,
  type Logger,
  type RunningService,
} from '@surety/telemetry';
import { buildApiApp } from './app.js';
import type { ApiConfig } from './config.js';
import { OrderChanges } from './orders/order-changes.js';
import { registerOrderStateMetrics } from './orders/order-state-metrics.js';
import { queueStatsReader } from './ops/queue-stats.js';

export interface ApiService extends RunningService {
  url: string;
}

/**
 * The admin routes reach RabbitMQ on first use only: taking orders never waits for the broker,
 * and a broker that is down makes an admin call fail fast with 503.
 */
function lazyDeadLetterBox(amqpUrl: string, logger: Logger) {
  let broker: Promise<Broker> | undefined;
  return {
    get: async () => {
      broker ??= Broker.connect(amqpUrl, logger, { initialMaxRetries: 1 }).catch((error: unknown) => {
        broker = undefined;
        throw new TransientError('rabbitmq is unavailable', { cause: error });
      });
      return new DeadLetterBox(await broker);
    },
    close: async () => (await broker?.catch(() => undefined))?.close(),
  };
}

/** startApi serves the HTTP API until stopped; stop lets in-flight requests finish. */
export async function startApi(config: ApiConfig): Promise<ApiService> {
  const logger = createLogger('api', config.logLevel);
  const pool = createPool(config.databaseUrl, logger, { applicationName: 'surety-api', max: config.poolSize });
  const registry = createRegistry('api');
  registerConnectionMetrics(registry, { pool });
  registerOrderStateMetrics(registry, pool);
  const deadLetters = lazyDeadLetterBox(config.amqpUrl, logger);
  const changes = new OrderChanges(config.databaseUrl, logger);
  const app = await buildApiApp({
    pool,
    logger,
    registry,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimit: config.rateLimit,
    shedWhenWaiting: config.shedWhenWaiting,
    shedAboveUtilization: config.shedAboveUtilization,
    live: { changes, heartbeatMs: config.sseHeartbeatMs },
    web: { webRoot: config.webRoot, jaegerUiUrl: config.jaegerUiUrl },
    ...(config.adminToken
      ? {
          admin: {
            token: config.adminToken,
            deadLetters: deadLetters.get,
            queueStats: queueStatsReader(config.rabbitManagementUrl, config.amqpUrl),
            reportsDir: config.reportsDir,
          },
        }
      : {}),
  });
  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url, docs: `${url}/docs` }, 'api listening');
  return {
    url,
    async stop() {
      await app.close();
      await changes.close();
      await deadLetters.close();
      await pool.end();
    },
  };
}
