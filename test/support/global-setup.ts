import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { dropReplicationSlots, migrate } from '@surety/db';
import { ensureCompiled } from '../../apps/cli/src/compiled.js';
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
 * Removes what an interrupted earlier run left: test databases and vhosts that nothing is connected
 * to. Those of a run going on beside this one (they have connections) are left alone.
 */
async function sweep(admin: pg.Client): Promise<void> {
  const stale = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database d
      WHERE datname LIKE $1 AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
    [`${testPrefix}%`],
  );
  for (const { datname } of stale.rows) {
    await dropReplicationSlots(admin, datname);
    await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  const vhosts = (await (await management('/vhosts')).json()) as { name: string }[];
  const connections = (await (await management('/connections')).json()) as { vhost: string }[];
  const inUse = new Set(connections.map((connection) => connection.vhost));
  for (const { name } of vhosts.filter((v) => v.name.startsWith(testPrefix) && !inUse.has(v.name))) {
    await management(`/vhosts/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
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
    await sweep(admin);
    await admin.query(`DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${templateDatabase}`);
    await migrate(databaseUrlFor(templateDatabase));
  } finally {
    await admin.end();
  }
}
