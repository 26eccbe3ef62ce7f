import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { notifySoon, takeNotifications } from './notifications.js';
import type { Pool, PoolClient } from './pool.js';
import { queryHeld } from './query-coalescing.js';

/** What a piece of work may do with the transaction it shares: run statements in it. */
export interface TransactionQueries {
  query: PoolClient['query'];
  /**
   * send runs a statement without waiting for it: on the pool's pipelined connection it travels
   * with the next statement someone waits for, or with the COMMIT, instead of costing a round trip
   * and a write of its own. If it fails, the transaction does not commit and its error is the one
   * reported. Its result may be read once the transaction has committed, never before: it may not
   * have been written yet.
   */
  send<Row extends QueryResultRow = QueryResultRow>(statement: QueryConfig): Promise<QueryResult<Row>>;
}

/** The statements sent into each open transaction, in the order they were sent. */
const sentByTransaction = new WeakMap<PoolClient, Promise<unknown>[]>();

/** sendInTransaction is `send` on a client that withTransaction has open. */
export function sendInTransaction<Row extends QueryResultRow = QueryResultRow>(
  client: PoolClient,
  statement: QueryConfig,
): Promise<QueryResult<Row>> {
  const sent = sentByTransaction.get(client);
  // Outside withTransaction nobody would wait for it, and its failure would go unseen.
  if (!sent) throw new Error('a statement can only be sent inside withTransaction');
  const result = queryHeld<Row>(client, statement);
  // Handled here, so a failure nobody reads is not an unhandled rejection; withTransaction reports it.
  result.catch(() => undefined);
  sent.push(result);
  return result;
}

/** transactionQueries is what handlers sharing a transaction get of its client. */
export function transactionQueries(client: PoolClient): TransactionQueries {
  const query: PoolClient['query'] = client.query.bind(client);
  return { query, send: (statement) => sendInTransaction(client, statement) };
}

/**
 * withTransaction runs work in one transaction on one client, committing only if the work and
 * every statement it sent succeeded; then it sends the notifications the work asked for
 * (notifyAfterCommit). On the pool's pipelined connection BEGIN travels with the work's first
 * statement and the COMMIT with its last sent ones. BEGIN can fail only when everything after it
 * fails too (a lost connection, or a transaction already aborted), so nothing runs outside the
 * transaction; and a COMMIT after a failed statement rolls back, which is checked.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const begun = client.query('BEGIN');
  begun.catch(() => undefined);
  const sent: Promise<unknown>[] = [begun];
  sentByTransaction.set(client, sent);
  try {
    const result = await work(client);
    const commit = client.query('COMMIT');
    commit.catch(() => undefined);
    await firstFailure(sent);
    const { command } = await commit;
    if (command !== 'COMMIT') throw new Error(`the transaction ended in ${command} instead of COMMIT`);
    notifySoon(pool, takeNotifications(client));
    return result;
  } catch (error) {
    takeNotifications(client);
    // Issued before waiting for what was sent: a sent statement may not have been written yet, and
    // leaves with the ROLLBACK, behind which it runs.
    const rolledBack = client.query('ROLLBACK').catch(() => undefined);
    // A statement that failed aborts the transaction, and everything after it fails with "current
    // transaction is aborted": the first failure is the cause.
    const cause = await firstFailure(sent).then(
      () => error,
      (failure: unknown) => failure,
    );
    await rolledBack;
    throw cause;
  } finally {
    sentByTransaction.delete(client);
    client.release();
  }
}

/** firstFailure waits for every statement and rejects with the first, in sending order, that failed. */
async function firstFailure(statements: readonly Promise<unknown>[]): Promise<void> {
  const outcomes = await Promise.allSettled(statements);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
