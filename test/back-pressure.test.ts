import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { placeOrder, startStack, waitForTerminal, type Stack } from './support/stack.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function post(apiUrl: string, customerId: string) {
  const response = await fetch(`${apiUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ customerId, items: [{ sku: 'TEA-GREEN', quantity: 1 }] }),
  });
  const body = (await response.json()) as { id?: string; error?: string };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

describe('back-pressure at the door', () => {
  it('answers a customer over the rate with 429 and Retry-After; accepted orders all complete', async () => {
    stack = await startStack({ env: { ORDERS_RATE_LIMIT: '10', ORDERS_RATE_WINDOW_MS: '60000' } });
    const apiUrl = stack.apiUrl;
    const burst = await Promise.all(Array.from({ length: 30 }, () => post(apiUrl, 'eager')));
    const accepted = burst.filter((r) => r.status === 202);
    const limited = burst.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(10);
    expect(limited).toHaveLength(20);
    for (const refusal of limited) {
      expect(refusal.body.error).toBe('rate_limited');
      expect(Number(refusal.retryAfter)).toBeGreaterThan(0);
    }
    // Another customer is not held back by the first.
    expect((await placeOrder(apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }], { customerId: 'patient' })).status).toBe(202);

    const ids = accepted.map((r) => r.body.id!);
    const outcome = await waitForTerminal(stack.pool, ids);
    expect([...outcome.values()].every((o) => o.status === 'CONFIRMED')).toBe(true);
    const written = await stack.pool.query(`SELECT 1 FROM orders.orders WHERE customer_id = 'eager'`);
    expect(written.rowCount).toBe(10);
  });

  it('sheds load with 503 at once while the event loop runs late, and takes orders again after', async () => {
    stack = await startStack({
      without: ['relay', 'payment', 'inventory', 'saga', 'notification'],
      env: { API_SHED_LAG_MS: '50' },
    });
    const apiUrl = stack.apiUrl;
    expect((await post(apiUrl, 'calm')).status).toBe(202);
    // The api shares this process's event loop: block it for half a second, so its lag timer fires late.
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    busy(250);
    await new Promise((resolve) => setImmediate(resolve));
    busy(250);
    const refused = await post(apiUrl, 'starved');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('overloaded');
    expect(refused.retryAfter).toBe('1');
    const written = await stack.pool.query(`SELECT 1 FROM orders.orders WHERE customer_id = 'starved'`);
    expect(written.rowCount).toBe(0);

    // Once the loop has been idle again, orders are taken.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await post(apiUrl, 'calm')).status).toBe(202);
  });

  it('sheds load with 503 when requests queue for a database connection, writing nothing half-way', async () => {
    stack = await startStack({
      without: ['relay', 'payment', 'inventory', 'saga', 'notification'],
      env: { DATABASE_POOL_SIZE: '1', API_SHED_WAITING: '2' },
    });
    const apiUrl = stack.apiUrl;
    // Hold the orders table so the api's one connection stays busy and requests really queue,
    // however fast this machine places an order.
    const holder = await stack.pool.connect();
    let spike: Awaited<ReturnType<typeof post>>[];
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE orders.orders IN EXCLUSIVE MODE');
      let firstShed!: () => void;
      const shedSeen = new Promise<void>((resolve) => (firstShed = resolve));
      const pending = Array.from({ length: 60 }, (_, i) =>
        post(apiUrl, `spike-${i}`).then((r) => {
          if (r.status === 503) firstShed();
          return r;
        }),
      );
      await Promise.race([shedSeen, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await holder.query('COMMIT');
      spike = await Promise.all(pending);
    } finally {
      holder.release();
    }
    const statuses = spike.map((r) => r.status);
    expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
    const shed = spike.filter((r) => r.status === 503);
    expect(shed.filter((r) => r.body.error === 'overloaded').length).toBeGreaterThan(0);
    // On a busy machine a request the door let in before the queue built up may wait out the pool's
    // connection timeout behind the ones before it: refused as unavailable, also before any write.
    expect(shed.filter((r) => !['overloaded', 'unavailable'].includes(r.body.error as string))).toEqual([]);
    expect(shed.every((r) => r.retryAfter === '1')).toBe(true);
    const counts = await stack.pool.query<{ orders: number; events: number }>(
      `SELECT (SELECT count(*)::int FROM orders.orders) AS orders, (SELECT count(*)::int FROM orders.outbox) AS events`,
    );
    expect(counts.rows[0]).toEqual({ orders: 60 - shed.length, events: 60 - shed.length });
  });
});
