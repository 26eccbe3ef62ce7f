import { createPool } from '@surety/db';
import {
  createLogger,
  createRegistry,
  registerConnectionMetrics,
  startOpsServer,
  type RunningService,
} from '@surety/telemetry';
import { Authorities } from './authorities.js';
import type { ReconcilerConfig } from './config.js';
import { Reconciler } from './reconciler.js';

export interface ReconcilerService extends RunningService {
  url: string;
  reconciler: Reconciler;
}

export function createReconciler(config: ReconcilerConfig) {
  const logger = createLogger('reconciler', config.logLevel);
  const registry = createRegistry('reconciler');
  const pool = createPool(config.databaseUrl, logger, { applicationName: 'surety-reconciler', max: 2 });
  registerConnectionMetrics(registry, { pool });
  const reconciler = new Reconciler(
    pool,
    new Authorities(config.gatewayUrl, config.inventoryUrl),
    { afterMs: config.afterMs, cooldownMs: config.cooldownMs, batch: config.batch },
    logger,
    registry,
  );
  return { logger, registry, pool, reconciler };
}

/** startReconciler runs a pass every interval until stopped. */
export async function startReconciler(config: ReconcilerConfig): Promise<ReconcilerService> {
  const { logger, registry, pool, reconciler } = createReconciler(config);
  let pass: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    pass = pass.then(() =>
      reconciler.reconcileOnce().catch((error: unknown) => logger.warn({ err: error }, 'reconcile pass failed')),
    );
  }, config.intervalMs);
  const ops = await startOpsServer({
    host: config.host,
    port: config.port,
    registry,
    logger,
    probe: { isReady: () => true },
  });
  logger.info({ url: ops.url, afterMs: config.afterMs, intervalMs: config.intervalMs }, 'reconciling');
  return {
    url: ops.url,
    reconciler,
    async stop() {
      clearInterval(timer);
      await pass;
      await ops.close();
      await pool.end();
    },
  };
}
