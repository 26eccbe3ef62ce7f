import type { Writable } from 'node:stream';
import type { PoolClient } from './pool.js';

interface CoalescedClient {
  connection?: { stream?: Writable };
  coalesced?: true;
}

/**
 * coalesceQueryWrites makes a pipelined client send every statement issued in one turn of the event
 * loop in one socket write. pg writes each statement on its own, so a transaction's BEGIN, inbox
 * claim and locks cost as many system calls, and as many wake-ups of the server, as statements;
 * corked until the turn ends, they leave together. Should pg's internals change shape, the client is
 * left as it is: slower, never wrong.
 */
export function coalesceQueryWrites(client: PoolClient): boolean {
  const internals = client as unknown as CoalescedClient;
  const stream = internals.connection?.stream;
  if (!stream || typeof stream.cork !== 'function') return false;
  if (internals.coalesced) return true;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return query(...args);
  };
  internals.coalesced = true;
  return true;
}
