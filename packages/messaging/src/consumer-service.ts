import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { defaults, readEnv } from '@surety/config';
import { armFailpoints } from '@surety/failpoints';
import { createPool, type Pool, type SchemaName } from '@surety/db';
import {
  createLogger,
  createRegistry,
  registerConnectionMetrics,
  startOpsServer,
  type Logger,
  type RunningService,
} from '@surety/telemetry';
import { Broker } from './broker.js';
import { Consumer, type BatchConcurrency, type ConsumerOptions, type Handler } from './consumer.js';
import { OutboxDispatchEnv, type OutboxDispatch } from './outbox-dispatcher.js';
import { ConfirmPublisher } from './publisher.js';
import type { QueueSpec } from './topology.js';

/** The environment every consumer process reads; apps add their own variables to it. */
export const ConsumerEnv = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  DATABASE_URL: Type.String({ default: defaults.databaseUrl }),
  AMQP_URL: Type.String({ default: defaults.amqpUrl }),
  PREFETCH: Type.Integer({ default: 50, minimum: 1, maximum: 2000 }),
  RETRY_DELAYS_MS: Type.String({ default: '1000,10000,60000', pattern: '^\\d+(,\\d+)*$' }),
  RETRY_BUDGET: Type.Integer({ default: 5, minimum: 1 }),
  SHUTDOWN_GRACE_MS: Type.Integer({ default: 10_000, minimum: 0 }),
  SURETY_FAILPOINTS: Type.String({ default: '' }),
  OUTBOX_DISPATCH: OutboxDispatchEnv,
  LOG_LEVEL: Type.String({ default: 'info' }),
});

export interface ConsumerServiceConfig {
  host: string;
  port: number;
  databaseUrl: string;
  amqpUrl: string;
  prefetch: number;
  retry: { delaysMs: number[]; budget: number };
  shutdownGraceMs: number;
  /** Crash points to arm (see packages/failpoints); empty in normal operation. */
  failpoints: string;
  /** Who publishes the events this consumer's handlers emit. */
  outboxDispatch: OutboxDispatch;
  logLevel: string;
}

function consumerServiceConfig(env: Static<typeof ConsumerEnv> & { PORT: number }): ConsumerServiceConfig {
  return {
    host: env.HOST,
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    amqpUrl: env.AMQP_URL,
    prefetch: env.PREFETCH,
    retry: { delaysMs: env.RETRY_DELAYS_MS.split(',').map(Number), budget: env.RETRY_BUDGET },
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    failpoints: env.SURETY_FAILPOINTS,
    outboxDispatch: env.OUTBOX_DISPATCH,
    logLevel: env.LOG_LEVEL,
  };
}

/** loadConsumerConfig reads a consumer's environment; only the default of its port differs. */
export function loadConsumerConfig(
  defaultPort: number,
  env: Record<string, string | undefined>,
): Readonly<ConsumerServiceConfig> {
  const Env = Type.Composite([
    ConsumerEnv,
    Type.Object({ PORT: Type.Integer({ default: defaultPort, minimum: 0, maximum: 65535 }) }),
  ]);
  return Object.freeze(consumerServiceConfig(readEnv(Env, env)));
}

export interface ConsumerServiceSpec<Batch = undefined> {
  /** The service name, and the consumer name its inbox rows carry. */
  name: string;
  schema: SchemaName;
  queue: QueueSpec;
  config: ConsumerServiceConfig;
  handler: (deps: { pool: Pool; logger: Logger; registry: Registry }) => Handler<Batch>;
  beforeBatch?: ConsumerOptions<Batch>['beforeBatch'];
  afterBatch?: ConsumerOptions<Batch>['afterBatch'];
  concurrency?: BatchConcurrency;
  /** Read-only HTTP routes served beside the probes (inventory's reservations, say). */
  routes?: (app: FastifyInstance, deps: { pool: Pool }) => void;
}

export interface ConsumerService extends RunningService {
  url: string;
}

/**
 * startConsumerService runs one handler as a process: pool, broker connection, confirm publisher
 * for retries and dead letters, the consumer, and the probes. stop drains within the grace bound.
 */
export async function startConsumerService<Batch = undefined>(
  spec: ConsumerServiceSpec<Batch>,
): Promise<ConsumerService> {
  const { config } = spec;
  armFailpoints(config.failpoints);
  const logger = createLogger(spec.name, config.logLevel);
  const registry = createRegistry(spec.name);
  // One batch holds one connection at a time; the others serve after-commit notifications and reads.
  const pool = createPool(config.databaseUrl, logger, { applicationName: `surety-${spec.name}`, max: 3 });
  const broker = await Broker.connect(config.amqpUrl, logger);
  const publisher = await ConfirmPublisher.create(broker);
  registerConnectionMetrics(registry, { broker, pool });
  const consumer = await Consumer.start<Batch>({
    broker,
    publisher,
    pool,
    schema: spec.schema,
    consumerName: spec.name,
    queue: spec.queue,
    handler: spec.handler({ pool, logger, registry }),
    ...(spec.beforeBatch ? { beforeBatch: spec.beforeBatch } : {}),
    ...(spec.afterBatch ? { afterBatch: spec.afterBatch } : {}),
    ...(spec.concurrency ? { concurrency: spec.concurrency } : {}),
    logger,
    registry,
    prefetch: config.prefetch,
    retry: config.retry,
    dispatch: config.outboxDispatch,
  });
  const ops = await startOpsServer({
    host: config.host,
    port: config.port,
    registry,
    logger,
    probe: { isReady: () => consumer.consuming && publisher.ready },
    ...(spec.routes ? { routes: (app: FastifyInstance) => spec.routes?.(app, { pool }) } : {}),
  });
  logger.info({ url: ops.url, queue: spec.queue.name }, 'consuming');
  return {
    url: ops.url,
    async stop() {
      await consumer.stop(config.shutdownGraceMs);
      await ops.close();
      await broker.close();
      await pool.end();
    },
  };
}
