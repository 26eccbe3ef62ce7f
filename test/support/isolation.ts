import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createGrantedVhost, deleteVhost, vhostUserOf } from '../../apps/cli/src/isolated-resources.js';
import { amqpUrlFor, databaseUrlFor, management, templateDatabase, testPrefix } from './env.js';

function uniqueName(): string {
  return `${testPrefix}${randomBytes(5).toString('hex')}`;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: databaseUrlFor('postgres') });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** createTestDatabase clones the migrated template into a database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = uniqueName();
  await withAdmin(async (admin) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase}`);
        return;
      } catch (error) {
        // Two files cloning the template at the same instant can collide; the clone is retried.
        if (attempt >= 10 || !/being accessed by other users/.test(String(error))) throw error;
        await sleep(200 * attempt);
      }
    }
  });
  return {
    name,
    url: databaseUrlFor(name),
    drop: () =>
      withAdmin(async (admin) => {
        await dropReplicationSlots(admin, name);
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

/**
 * dropReplicationSlots removes a database's logical replication slots (a CDC relay's), ending the
 * connections that read them: Postgres keeps WAL for a slot, and will not drop a database that has one.
 */
export async function dropReplicationSlots(admin: pg.Client, database: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { rows } = await admin.query<{ slot_name: string; active_pid: number | null }>(
      'SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1',
      [database],
    );
    if (rows.length === 0) return;
    try {
      for (const { slot_name, active_pid } of rows) {
        if (active_pid !== null) await admin.query('SELECT pg_terminate_backend($1)', [active_pid]);
        await admin.query('SELECT pg_drop_replication_slot($1)', [slot_name]);
      }
    } catch (error) {
      // A reader just terminated may hold its slot a moment longer.
      if (attempt >= 20 || !/is active for PID/.test(String(error))) throw error;
      await sleep(100);
    }
  }
}

export interface TestVhost {
  name: string;
  amqpUrl: string;
  drop(): Promise<void>;
}

/** createTestVhost gives a test file its own RabbitMQ vhost, so queues never mix between files. */
export async function createTestVhost(): Promise<TestVhost> {
  const name = uniqueName();
  const path = encodeURIComponent(name);
  await createGrantedVhost(management, path, vhostUserOf(amqpUrlFor(name)));
  return { name, amqpUrl: amqpUrlFor(name), drop: () => deleteVhost(management, path) };
}
