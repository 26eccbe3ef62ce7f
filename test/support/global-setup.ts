import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '@surety/db/migrate';
import { ensureCompiled } from '../../apps/cli/src/compiled.js';
import { sweepStaleResources } from '../../apps/cli/src/isolated-resources.js';
import { databaseUrlFor, management, templateDatabase, testEnv, testPrefix } from './env.js';

const hint = 'start them with `scripts/infra.sh up` (make test does)';

async function requirePostgres(): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: databaseUrlFor('postgres') });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${testEnv.databaseUrl}: ${hint}`, { cause: error });
  }
  return admin;
}

async function requireRabbit(): Promise<void> {
  const response = await management('/overview').catch((error: unknown) => {
    throw new Error(`RabbitMQ management is not reachable at ${testEnv.managementUrl}: ${hint}`, { cause: error });
  });
  if (!response.ok) throw new Error(`RabbitMQ management answered ${response.status}: ${hint}`);
}

/**
 * The integration suite needs the real servers: it fails, never skips, without them. It builds one
 * migrated template database that every test file clones.
 */
export default async function setup(): Promise<void> {
  // Once, before the files that start apps as processes (they run compiled, as make run does).
  ensureCompiled(fileURLToPath(new URL('../../', import.meta.url)));
  const admin = await requirePostgres();
  try {
    await requireRabbit();
    // What an interrupted earlier run left: databases and vhosts nothing is connected to.
    await sweepStaleResources(testEnv, testPrefix);
    await admin.query(`DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${templateDatabase}`);
    await migrate(databaseUrlFor(templateDatabase));
  } finally {
    await admin.end();
  }
}
