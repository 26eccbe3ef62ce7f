import { createPool } from '@surety/db';
import { armFailpoints } from '@surety/failpoints';
import { Broker, ConfirmPublisher } from '@surety/messaging';
import {
  createLogger,
  createRegistry,
  registerConnectionMetrics,
  startOpsServer,
  type RunningService,
} from '@surety/telemetry';
import type { RelayConfig } from './config.js';
import { PollingRelay } from './relay.js';
import { registerReplicationSlotMetrics } from './replication-slot-metrics.js';
import { OutboxWakeup } from './wakeup.js';

export interface RelayService extends RunningService {
  url: string;
  relay: PollingRelay;
}

/** startRelay ships outbox rows to RabbitMQ until stopped; stop finishes the batch in hand. */
export async function startRelay(config: RelayConfig): Promise<RelayService> {
  armFailpoints(config.failpoints);
  const logger = createLogger('relay', config.logLevel);
  const registry = createRegistry('relay');
  const pool = createPool(config.databaseUrl, logger, { applicationName: 'surety-relay', max: 4 });
  const broker = await Broker.connect(config.amqpUrl, logger);
  const publisher = await ConfirmPublisher.create(broker);
  registerConnectionMetrics(registry, { broker, pool });
  registerReplicationSlotMetrics(registry, pool);
  const wakeup = new OutboxWakeup(config.databaseUrl, logger);
  await wakeup.start();
  const relay = new PollingRelay({ ...config, pool, publisher, wakeup, logger, registry });
  relay.start();
  const ops = await startOpsServer({
    host: config.host,
    port: config.port,
    registry,
    logger,
    probe: { isReady: () => publisher.ready },
  });
  logger.info({ url: ops.url, relayId: relay.id, schemas: config.schemas }, 'relay running');
  return {
    url: ops.url,
    relay,
    async stop() {
      await relay.stop();
      await wakeup.stop();
      await ops.close();
      await broker.close();
      await pool.end();
    },
  };
}
