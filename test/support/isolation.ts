import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { dropReplicationSlots } from '@surety/db/outbox-changes';
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
