import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  sendInTransaction,
  transactionQueries,
  withTransaction,
  type Pool,
  type PoolClient,
} from '@surety/db';
import { createLogger } from '@surety/telemetry';
import { createTestDatabase, type TestDatabase } from './support/isolation.js';

const logger = createLogger('transaction-test', 'silent');
let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, logger, { max: 2 });
  await pool.query('CREATE TABLE pipelined (id int PRIMARY KEY, note text NOT NULL)');
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const insert = (id: number, note: string | null = 'ok') => ({
  text: 'INSERT INTO pipelined (id, note) VALUES ($1, $2)',
  values: [id, note],
});

/** spyOnWrites records each socket write of the client's connection in `writes`; it returns the undo. */
function spyOnWrites(client: PoolClient, writes: string[]): () => void {
  const stream = (client as unknown as { connection: { stream: { _writev: unknown; _write: unknown } } }).connection
    .stream;
  const spy = (name: '_writev' | '_write') => {
    const original = stream[name] as (...args: unknown[]) => unknown;
    stream[name] = (...args: unknown[]) => {
      writes.push(name);
      return original.apply(stream, args);
    };
    return () => (stream[name] = original);
  };
  const undo = [spy('_writev'), spy('_write')];
  return () => undo.forEach((restore) => restore());
}

async function ids(): Promise<number[]> {
  const result = await pool.query<{ id: number }>('SELECT id FROM pipelined ORDER BY id');
  return result.rows.map((row) => row.id);
}

describe('withTransaction on a pipelined connection', () => {
  it('commits what was sent without waiting, and its results can be read once committed', async () => {
    let sent: Promise<{ rowCount: number | null }> | undefined;
    await withTransaction(pool, async (client) => {
      const tx = transactionQueries(client);
      sent = tx.send(insert(1));
      void tx.send(insert(2));
    });
    expect(await ids()).toEqual([1, 2]);
    expect((await sent!).rowCount).toBe(1);
  });

  it('does not commit when a sent statement fails, and reports that failure, not the statements it aborted', async () => {
    await expect(
      withTransaction(pool, async (client) => {
        const tx = transactionQueries(client);
        void tx.send(insert(10));
        void tx.send(insert(11, null));
        void tx.send(insert(12));
        // Awaited after the failure: it fails with "current transaction is aborted".
        await tx.query('SELECT 1');
      }),
    ).rejects.toThrow(/null value in column "note"/);
    await expect(
      withTransaction(pool, async (client) => {
        void sendInTransaction(client, insert(13));
        void sendInTransaction(client, insert(13));
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await ids()).toEqual([1, 2]);
  });

  it('does not report a COMMIT that rolled back as committed, when the work swallowed a failure', async () => {
    await expect(
      withTransaction(pool, async (client) => {
        await client.query(insert(20));
        await client.query(insert(1)).catch(() => undefined);
      }),
    ).rejects.toThrow(/ROLLBACK instead of COMMIT/);
    expect(await ids()).toEqual([1, 2]);
  });

  it('refuses a statement sent outside a transaction, whose failure nobody would see', async () => {
    const client = await pool.connect();
    try {
      expect(() => sendInTransaction(client, insert(30))).toThrow(/only be sent inside withTransaction/);
    } finally {
      client.release();
    }
  });

  it('sends the statements issued in one turn of the event loop in one socket write', async () => {
    const client = await pool.connect();
    const writes: string[] = [];
    const restore = spyOnWrites(client, writes);
    try {
      await Promise.all([
        client.query('BEGIN'),
        client.query(insert(50)),
        client.query(insert(51)),
        client.query('ROLLBACK'),
      ]);
      expect(writes).toHaveLength(1);
    } finally {
      restore();
      client.release();
    }
  });

  it('writes statements sent in earlier turns of the event loop together with the COMMIT', async () => {
    const writes: string[] = [];
    await withTransaction(pool, async (client) => {
      const tx = transactionQueries(client);
      await tx.query('SELECT 1');
      const restore = spyOnWrites(client, writes);
      // As a batch's handlers send their writes, each when its own answer came in.
      void tx.send(insert(60));
      await new Promise((resolve) => setTimeout(resolve, 5));
      void tx.send(insert(61));
      await new Promise((resolve) => setTimeout(resolve, 5));
      // Unspied once the COMMIT has been issued and its turn has ended.
      process.nextTick(() => setImmediate(restore));
    });
    expect(writes).toHaveLength(1);
    expect(await ids()).toEqual([1, 2, 60, 61]);
  });

  it('writes a sent statement before one issued after it that is waited for', async () => {
    await withTransaction(pool, async (client) => {
      const tx = transactionQueries(client);
      void tx.send(insert(62));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const seen = await tx.query<{ count: number }>('SELECT count(*)::int AS count FROM pipelined WHERE id = 62');
      expect(seen.rows[0]?.count).toBe(1);
    });
  });

  it("rolls back, and reports the work's own error, when the work fails after sending a statement not yet written", async () => {
    await expect(
      withTransaction(pool, async (client) => {
        const tx = transactionQueries(client);
        await tx.query('SELECT 1');
        void tx.send(insert(63));
        throw new Error('handler refused after its write');
      }),
    ).rejects.toThrow('handler refused after its write');
    expect(await ids()).not.toContain(63);
  });

  it('leaves the connection clean for the next transaction after a failure', async () => {
    await withTransaction(pool, async (client) => {
      await client.query(insert(40));
    });
    expect(await ids()).toEqual([1, 2, 40, 60, 61, 62]);
  });
});
