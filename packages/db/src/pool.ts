import pg from 'pg';
import type { Logger } from '@surety/telemetry';
import { clientClassFor } from './host-list.js';
import { coalesceQueryWrites } from './query-coalescing.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// Postgres bigint and numeric arrive as strings by default; counts in this project fit in a number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

/**
 * createPool opens a pool whose connection errors are logged instead of crashing the process:
 * without a listener, an error on a connection (a Postgres restart) is an uncaught exception. A
 * multi-host URL (a primary and its standbys, `target_session_attrs=read-write`) connects to
 * whichever host takes writes (host-list.ts).
 */
export function createPool(
  connectionString: string,
  logger: Logger,
  options: { max?: number; applicationName?: string } = {},
): Pool {
  const pool = new pg.Pool({
    connectionString,
    Client: clientClassFor(connectionString),
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'surety',
    connectionTimeoutMillis: 5_000,
    // Statements sent without waiting travel together (a transaction's BEGIN with its first
    // statement, its last writes with its COMMIT): each round trip puts both ends to sleep and wakes
    // them again, which costs more than most statements.
    pipeline: true,
  });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle postgres client failed'));
  // A connection lost while a client is checked out also emits 'error' on that client, sometimes
  // twice; the query in flight already reports it, so the event only needs a listener.
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.debug({ err: error }, 'postgres client failed'));
    if (!coalesceQueryWrites(client)) logger.warn('pg changed shape: each statement is written on its own');
  });
  return pool;
}
