import type { Writable } from 'node:stream';
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { PoolClient } from './pool.js';

interface ClientInternals {
  connection?: { stream?: Writable };
}

/**
 * WriteCoalescer corks a pipelined client's socket while statements are issued and uncorks it once
 * the turn of the event loop that issued a statement someone waits for has ended. Statements issued
 * as held (`queryHeld`) do not uncork it: they leave with the next statement that is not held.
 */
class WriteCoalescer {
  private corked = false;
  private flushScheduled = false;

  constructor(
    private readonly stream: Writable,
    private readonly query: (...args: unknown[]) => unknown,
  ) {}

  issue(args: unknown[], held = false): unknown {
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
    }
    if (!held && !this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
    return this.query(...args);
  }

  private flush(): void {
    this.flushScheduled = false;
    this.corked = false;
    this.stream.uncork();
  }
}

const coalescers = new WeakMap<PoolClient, WriteCoalescer>();

/**
 * coalesceQueryWrites makes a pipelined client send every statement issued in one turn of the event
 * loop in one socket write. pg writes each statement on its own, so a transaction's BEGIN, inbox
 * claim and locks cost as many system calls, and as many wake-ups of the server, as statements;
 * corked until the turn ends, they leave together. Should pg's internals change shape, the client is
 * left as it is: slower, never wrong.
 */
export function coalesceQueryWrites(client: PoolClient): boolean {
  if (coalescers.has(client)) return true;
  const stream = (client as unknown as ClientInternals).connection?.stream;
  if (!stream || typeof stream.cork !== 'function') return false;
  const coalescer = new WriteCoalescer(stream, client.query.bind(client));
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) =>
    coalescer.issue(args);
  coalescers.set(client, coalescer);
  return true;
}

/**
 * queryHeld issues a statement nobody waits for yet: on a coalescing client its write waits for the
 * next statement that is not held (one someone waits for, or the COMMIT), so the writes handlers
 * send one by one as their answers come in (a batch's charges, say) reach the server in one write
 * and wake it once. Whoever holds a statement must issue one that is not held before waiting for
 * it, or it is never written.
 */
export function queryHeld<Row extends QueryResultRow>(
  client: PoolClient,
  statement: QueryConfig,
): Promise<QueryResult<Row>> {
  const coalescer = coalescers.get(client);
  if (!coalescer) return client.query<Row>(statement);
  return coalescer.issue([statement], true) as Promise<QueryResult<Row>>;
}
