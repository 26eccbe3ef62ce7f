import { createPool } from '@surety/db';
import { armFailpoints } from '@surety/failpoints';
import { Broker, ConfirmPublisher } from '@surety/messaging';
import {
  createLogger,
  createRegistry,
  registerConnectionMetrics,
  registerReplicationSlotMetrics,
  startOpsServer,
  type RunningService,
} from '@surety/telemetry';
import type { RelayConfig } from './config.js';
import { PollingRelay } from './relay.js';
import { RowPublisher } from './row-publisher.js';
import { OutboxWakeup, TimerWakeup, type Wakeup } from './wakeup.js';

export interface RelayService extends RunningService {
  url: string;
  /** The table relay: the whole relay when polling, the sweep beside the stream in CDC mode. */
  relay: PollingRelay;
}

/** How long the CDC relay waits before reading the slot again after a failure. */
const cdcRetryDelayMs = 1_000;

/** startRelay ships outbox rows to RabbitMQ until stopped; stop finishes the batch in hand. */
export async function startRelay(config: RelayConfig): Promise<RelayService> {
  armFailpoints(config.failpoints);
  const logger = createLogger('relay', config.logLevel);
  const registry = createRegistry('relay');
  const pool = createPool(config.databaseUrl, logger, { applicationName: 'surety-relay', max: 4 });
  const broker = await Broker.connect(config.amqpUrl, logger);
  const publisher = await ConfirmPublisher.create(broker, { awaitConfirms: config.confirms === 'wait' });
  if (config.confirms === 'skip')
    logger.warn('RELAY_CONFIRMS=skip: rows are marked published unconfirmed, and can be lost');
  registerConnectionMetrics(registry, { broker, pool });
  registerReplicationSlotMetrics(registry, pool);
  const rowPublisher = new RowPublisher({ publisher, logger, registry });
  // Polling, the writers' NOTIFY wakes the relay; beside a CDC stream, the sweep keeps to its timer.
  const listener = config.mode === 'polling' ? new OutboxWakeup(config.databaseUrl, logger) : undefined;
  await listener?.start();
  const wakeup: Wakeup = listener ?? new TimerWakeup();
  const relay = new PollingRelay({ ...config, pool, rowPublisher, wakeup, logger, registry });
  relay.start();
  // Loaded only in CDC mode: the logical-replication client is memory a polling relay never uses.
  const cdc =
    config.mode === 'cdc'
      ? new (await import('./cdc-relay.js')).CdcRelay({
          ...config,
          pool,
          rowPublisher,
          sweep: relay,
          retryDelayMs: cdcRetryDelayMs,
          logger,
          registry,
        })
      : undefined;
  cdc?.start();
  const ops = await startOpsServer({
    host: config.host,
    port: config.port,
    registry,
    logger,
    probe: { isReady: () => publisher.ready },
  });
  logger.info({ url: ops.url, relayId: relay.id, mode: config.mode, schemas: config.schemas }, 'relay running');
  return {
    url: ops.url,
    relay,
    async stop() {
      await cdc?.stop();
      await relay.stop();
      await listener?.stop();
      await ops.close();
      await broker.close();
      await pool.end();
    },
  };
}
