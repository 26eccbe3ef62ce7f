import { TransientError } from '@surety/contracts';
import { createPool, notifyOutboxSoon, type Pool } from '@surety/db';
import { Broker, ConfirmPublisher, DeadLetterBox, OutboxDispatcher, vhostOf } from '@surety/messaging';
import {
  createLogger,
  createRegistry,
  registerConnectionMetrics,
  registerReplicationSlotMetrics,
  type Logger,
  type RunningService,
} from '@surety/telemetry';
import type { Registry } from 'prom-client';
import { buildApiApp } from './app.js';
import type { ApiConfig } from './config.js';
import { OrderChanges } from './orders/order-changes.js';
import { registerOrderStateMetrics } from './orders/order-state-metrics.js';
import { gaugesReader } from './ops/gauges.js';
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

/**
 * The api's outbox dispatcher publishes each placed order's event once it has committed. Its broker
 * connection comes up in the background and recovers on its own: until it is up, the relay
 * publishes what the api wrote, so taking orders never waits for the broker either.
 */
function orderDispatcher(amqpUrl: string, pool: Pool, logger: Logger, registry: Registry) {
  let broker: Broker | undefined;
  let publisher: ConfirmPublisher | undefined;
  let closed = false;
  let wakeFromPause: () => void = () => undefined;
  const connect = async () => {
    while (!closed && !broker) {
      try {
        const connected = await Broker.connect(amqpUrl, logger, { initialMaxRetries: 3 });
        if (closed) await connected.close();
        else {
          broker = connected;
          publisher = await ConfirmPublisher.create(connected);
        }
      } catch (error) {
        logger.warn({ err: error }, 'no broker for the outbox dispatcher yet; the relay publishes meanwhile');
        await new Promise<void>((resolve) => {
          wakeFromPause = resolve;
          setTimeout(resolve, 5_000).unref();
        });
      }
    }
  };
  // Stopping waits for an attempt in flight, so that nothing declares on a broker (or vhost) after stop.
  const connecting = connect();
  const dispatcher = new OutboxDispatcher({
    publisher: () => publisher,
    pool,
    schema: 'orders',
    logger,
    registry,
    markAfterMs: 50,
  });
  return {
    dispatch: dispatcher.dispatch.bind(dispatcher),
    get connected() {
      return publisher?.ready === true;
    },
    async close() {
      closed = true;
      wakeFromPause();
      await connecting;
      await dispatcher.settle();
      await broker?.close();
    },
  };
}

/** startApi serves the HTTP API until stopped; stop lets in-flight requests finish. */
export async function startApi(config: ApiConfig): Promise<ApiService> {
  const logger = createLogger('api', config.logLevel);
  const pool = createPool(config.databaseUrl, logger, { applicationName: 'surety-api', max: config.poolSize });
  const registry = createRegistry('api');
  // With OUTBOX_DISPATCH=relay the api has no dispatcher, and so no broker link: it wakes the relay.
  const writer =
    config.outboxDispatch === 'writer' ? orderDispatcher(config.amqpUrl, pool, logger, registry) : undefined;
  // The pool's gauge is read before the order counts' query can make a scrape wait for a connection.
  registerConnectionMetrics(registry, writer ? { pool, broker: writer } : { pool });
  registerReplicationSlotMetrics(registry, pool);
  registerOrderStateMetrics(registry, pool);
  const deadLetters = lazyDeadLetterBox(config.amqpUrl, logger);
  const changes = new OrderChanges(config.databaseUrl, logger);
  const app = await buildApiApp({
    pool,
    dispatch: writer?.dispatch ?? (() => notifyOutboxSoon(pool, 'orders')),
    logger,
    registry,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimit: config.rateLimit,
    shedWhenWaiting: config.shedWhenWaiting,
    shedAboveLagMs: config.shedAboveLagMs,
    live: { changes, heartbeatMs: config.sseHeartbeatMs },
    web: {
      webRoot: config.webRoot,
      jaegerUiUrl: config.jaegerUiUrl,
      runbookFile: config.runbookFile,
      runbookUrl: config.runbookUrl,
    },
    ...(config.jaegerQueryUrl ? { jaegerQueryUrl: config.jaegerQueryUrl } : {}),
    ...(config.adminToken
      ? {
          admin: {
            token: config.adminToken,
            deadLetters: deadLetters.get,
            queueStats: queueStatsReader(config.rabbitManagementUrl, config.amqpUrl),
            gauges: gaugesReader(config.prometheusUrl, vhostOf(config.amqpUrl), config.prometheusSelector),
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
      await writer?.close();
      await changes.close();
      await deadLetters.close();
      await pool.end();
    },
  };
}
