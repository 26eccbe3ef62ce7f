import { createPool } from '@surety/db';
import { createLogger, createRegistry, type RunningService } from '@surety/telemetry';
import { buildApiApp } from './app.js';
import type { ApiConfig } from './config.js';

export interface ApiService extends RunningService {
  url: string;
}

/** startApi serves the HTTP API until stopped; stop lets in-flight requests finish. */
export async function startApi(config: ApiConfig): Promise<ApiService> {
  const logger = createLogger('api', config.logLevel);
  const pool = createPool(config.databaseUrl, logger, { applicationName: 'surety-api', max: config.poolSize });
  const app = await buildApiApp({
    pool,
    logger,
    registry: createRegistry('api'),
    bodyLimitBytes: config.bodyLimitBytes,
  });
  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url, docs: `${url}/docs` }, 'api listening');
  return {
    url,
    async stop() {
      await app.close();
      await pool.end();
    },
  };
}
