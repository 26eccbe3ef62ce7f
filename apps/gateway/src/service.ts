import { createPool } from '@surety/db';
import { createLogger, createRegistry, registerConnectionMetrics, type RunningService } from '@surety/telemetry';
import { buildGatewayApp } from './app.js';
import type { GatewayConfig } from './config.js';

export interface GatewayService extends RunningService {
  url: string;
}

/** startGateway serves the payment provider stand-in until stopped. */
export async function startGateway(config: GatewayConfig): Promise<GatewayService> {
  const logger = createLogger('gateway', config.logLevel);
  const pool = createPool(config.databaseUrl, logger, { applicationName: 'surety-gateway', max: 20 });
  const registry = createRegistry('gateway');
  registerConnectionMetrics(registry, { pool });
  const app = buildGatewayApp({ pool, faults: config.faults, logger, registry });
  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url }, 'gateway listening');
  return {
    url,
    async stop() {
      await app.close();
      await pool.end();
    },
  };
}
