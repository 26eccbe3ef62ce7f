import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelListener, createPool, notifyAfterCommit, withTransaction, type Pool } from '@surety/db';
import { createLogger } from '@surety/telemetry';
import { createTestDatabase, type TestDatabase } from './support/isolation.js';
import { waitFor } from './support/wait.js';

const logger = createLogger('notifications-test', 'silent');
const channel = 'surety_test_channel';
let db: TestDatabase;
let pool: Pool;
let listener: ChannelListener;
const received: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, logger, { max: 4 });
  listener = new ChannelListener({
    databaseUrl: db.url,
    channel,
    applicationName: 'notifications-test',
    logger,
    onNotification: (payload) => received.push(payload ?? ''),
    onListening: () => undefined,
  });
  await listener.start();
});

afterAll(async () => {
  await listener?.stop();
  await pool?.end();
  await db?.drop();
});

describe('notifications after commit', () => {
  it('are sent once the transaction commits, never from inside it, and never after a rollback', async () => {
    await withTransaction(pool, async (tx) => {
      await tx.query('SELECT 1');
      notifyAfterCommit(tx, channel, 'committed');
      notifyAfterCommit(tx, channel, 'committed');
    });
    await expect(
      withTransaction(pool, async (tx) => {
        notifyAfterCommit(tx, channel, 'rolled-back');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await withTransaction(pool, async (tx) => notifyAfterCommit(tx, channel, 'after'));
    await waitFor(
      'both committed notifications',
      async () => [...received],
      (seen) => seen.includes('after'),
    );
    // Duplicates within a batch are sent once; the rolled-back one never.
    expect(received).toEqual(['committed', 'after']);
  });

  it('are never sent by a trigger: a NOTIFY inside a transaction serializes every commit on the server', async () => {
    const notifyingTriggers = await pool.query<{ trigger: string }>(
      `SELECT n.nspname || '.' || c.relname || ':' || t.tgname AS trigger
         FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND p.prosrc ILIKE '%notify%'`,
    );
    expect(notifyingTriggers.rows).toEqual([]);
  });
});
