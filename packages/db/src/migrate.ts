import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import { createLogger } from '@surety/telemetry';
import { checkOut } from './host-list.js';
import { createPool } from './pool.js';
import { schemas } from './schemas.js';

const migrationsRoot = fileURLToPath(new URL('../migrations/', import.meta.url));

/**
 * migrate brings every schema up to date, each with its own migrations table inside it, so a
 * service's schema can move on its own. Concurrent callers wait on the advisory lock.
 */
export async function migrate(databaseUrl: string, log: (message: string) => void = () => undefined): Promise<void> {
  // Through the project's pool, which finds the primary of a multi-host URL; node-pg-migrate's own client would not.
  const pool = createPool(databaseUrl, createLogger('migrate', 'silent'), { max: 1 });
  const client = await checkOut(pool, databaseUrl);
  try {
    for (const schema of schemas) {
      await runner({
        dbClient: client,
        dir: `${migrationsRoot}${schema}`,
        schema,
        createSchema: true,
        migrationsTable: 'pgmigrations',
        direction: 'up',
        advisoryLockMode: 'wait',
        checkOrder: true,
        log: (message) => log(`[${schema}] ${message}`),
      });
    }
  } finally {
    client.release();
    await pool.end();
  }
}
