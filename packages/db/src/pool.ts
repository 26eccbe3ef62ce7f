import pg from 'pg';
import type { Logger } from '@surety/telemetry';
import { notifySoon, takeNotifications } from './notifications.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// Postgres bigint and numeric arrive as strings by default; counts in this project fit in a number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

/**
 * createPool opens a pool whose connection errors are logged instead of crashing the process:
 * without a listener, an error on a connection (a Postgres restart) is an uncaught exception.
 */
export function createPool(
  connectionString: string,
  logger: Logger,
  options: { max?: number; applicationName?: string } = {},
): Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'surety',
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle postgres client failed'));
  // A connection lost while a client is checked out also emits 'error' on that client, sometimes
  // twice; the query in flight already reports it, so the event only needs a listener.
  pool.on('connect', (client) => client.on('error', (error) => logger.debug({ err: error }, 'postgres client failed')));
  return pool;
}

/**
 * withTransaction runs work in one transaction on one client, committing only if it resolves; then
 * it sends the notifications the work asked for (notifyAfterCommit).
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    notifySoon(pool, takeNotifications(client));
    return result;
  } catch (error) {
    takeNotifications(client);
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** What a handler may do with its transaction: run statements in it. */
export type TransactionQueries = Pick<PoolClient, 'query'>;

/**
 * serialQueries lets several pieces of work share one transaction's connection: their statements
 * run one after another in the order they were asked for, each waiting for the one before, so no
 * statement is sent while another is in flight (which pg is removing).
 */
export function serialQueries(client: PoolClient): TransactionQueries {
  let tail: Promise<unknown> = Promise.resolve();
  const query = (...args: unknown[]): Promise<unknown> => {
    const run = tail.then(() => (client.query as (...a: unknown[]) => Promise<unknown>)(...args));
    tail = run.catch(() => undefined);
    return run;
  };
  return { query: query as PoolClient['query'] };
}
