import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder, startStack, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

let stack: Stack;
beforeAll(async () => {
  // Nothing downstream runs: these tests are about what the API writes, and only that.
  stack = await startStack({ without: ['relay', 'payment', 'inventory', 'saga', 'notification'] });
});
afterAll(() => stack?.stop());

async function written() {
  const counts = await stack.pool.query<{ orders: number; outbox: number; keys: number }>(
    `SELECT (SELECT count(*)::int FROM orders.orders) AS orders,
            (SELECT count(*)::int FROM orders.outbox) AS outbox,
            (SELECT count(*)::int FROM orders.idempotency_keys) AS keys`,
  );
  return counts.rows[0]!;
}

async function post(body: string | Buffer, headers: Record<string, string> = {}, query = '') {
  const response = await fetch(`${stack.apiUrl}/orders${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error: string; message: string } };
}

describe('POST /orders refuses bad requests with a clear 4xx and writes nothing', () => {
  const valid = { customerId: 'c-1', items: [{ sku: 'TEA-GREEN', quantity: 1 }] };
  const cases: [string, () => Promise<{ status: number; body: { error: string; message: string } }>, number, RegExp][] =
    [
      ['malformed JSON', () => post('{"customerId": "c-1", "items": ['), 400, /json/i],
      ['a missing customerId', () => post(JSON.stringify({ items: valid.items })), 400, /customerId/],
      ['missing items', () => post(JSON.stringify({ customerId: 'c-1' })), 400, /items/],
      ['an empty item list', () => post(JSON.stringify({ ...valid, items: [] })), 400, /items/],
      [
        'a zero quantity',
        () => post(JSON.stringify({ ...valid, items: [{ sku: 'TEA-GREEN', quantity: 0 }] })),
        400,
        /quantity/,
      ],
      [
        'a negative quantity',
        () => post(JSON.stringify({ ...valid, items: [{ sku: 'TEA-GREEN', quantity: -2 }] })),
        400,
        /quantity/,
      ],
      [
        'a fractional quantity',
        () => post(JSON.stringify({ ...valid, items: [{ sku: 'TEA-GREEN', quantity: 1.5 }] })),
        400,
        /quantity/,
      ],
      ['an unknown property', () => post(JSON.stringify({ ...valid, coupon: 'FREE' })), 400, /additional/i],
      [
        'the same SKU twice',
        () => post(JSON.stringify({ ...valid, items: [valid.items[0], valid.items[0]] })),
        400,
        /TEA-GREEN/,
      ],
      [
        'an unknown SKU',
        () => post(JSON.stringify({ ...valid, items: [{ sku: 'NOPE-1', quantity: 1 }] })),
        422,
        /NOPE-1/,
      ],
      [
        'no Idempotency-Key',
        () =>
          fetch(`${stack.apiUrl}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(valid),
          }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: string; message: string } })),
        400,
        /Idempotency-Key/,
      ],
      ['a 1 MB body', () => post(JSON.stringify({ ...valid, customerId: 'x'.repeat(1024 * 1024) })), 413, /large/i],
      [
        'a quantity sent as text',
        () => post(JSON.stringify({ ...valid, items: [{ sku: 'TEA-GREEN', quantity: '2' }] })),
        400,
        /quantity/,
      ],
      ['a NUL in the customerId', () => post(JSON.stringify({ ...valid, customerId: 'c\u0000' })), 400, /customerId/],
      ['a query parameter', () => post(JSON.stringify(valid), {}, '?coupon=FREE'), 400, /additional/i],
    ];

  it.each(cases)('%s', async (_name, send, status, reason) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.body.error).toEqual(expect.any(String));
    expect(`${answer.body.error} ${answer.body.message}`).toMatch(reason);
    expect(await written()).toEqual({ orders: 0, outbox: 0, keys: 0 });
  });
});

describe('Idempotency-Key', () => {
  it('creates one order for a request retried with the same key, and answers it the same way', async () => {
    const key = randomUUID();
    const items = [{ sku: 'TEA-BLACK', quantity: 2 }];
    const first = await placeOrder(stack.apiUrl, items, { key, customerId: 'retrier' });
    const retries = await Promise.all(
      Array.from({ length: 5 }, () => placeOrder(stack.apiUrl, items, { key, customerId: 'retrier' })),
    );
    expect(first.status).toBe(202);
    for (const retry of retries) {
      expect(retry.status).toBe(202);
      expect(retry.body.id).toBe(first.body.id);
    }
    const orders = await stack.pool.query(`SELECT id FROM orders.orders WHERE customer_id = 'retrier'`);
    const events = await stack.pool.query(`SELECT id FROM orders.outbox WHERE order_id = $1`, [first.body.id]);
    expect(orders.rowCount).toBe(1);
    expect(events.rowCount).toBe(1);
  });

  it('creates one order when the same request races itself', async () => {
    const key = randomUUID();
    const items = [{ sku: 'FILTER-50', quantity: 1 }];
    const racing = await Promise.all(
      Array.from({ length: 10 }, () => placeOrder(stack.apiUrl, items, { key, customerId: 'racer' })),
    );
    expect(new Set(racing.map((r) => r.body.id)).size).toBe(1);
    expect((await stack.pool.query(`SELECT id FROM orders.orders WHERE customer_id = 'racer'`)).rowCount).toBe(1);
  });

  it('refuses the same key with another body with 422', async () => {
    const key = randomUUID();
    await placeOrder(stack.apiUrl, [{ sku: 'TIN-SMALL', quantity: 1 }], { key, customerId: 'changer' });
    const changed = await placeOrder(stack.apiUrl, [{ sku: 'TIN-SMALL', quantity: 3 }], { key, customerId: 'changer' });
    expect(changed.status).toBe(422);
    expect(changed.body).toMatchObject({ error: 'idempotency_key_reused' });
    expect((await stack.pool.query(`SELECT id FROM orders.orders WHERE customer_id = 'changer'`)).rowCount).toBe(1);
  });
});

describe('reads', () => {
  it("lists a customer's orders newest first and 404s an unknown order", async () => {
    const customerId = `lister-${randomUUID()}`;
    const a = await placeOrder(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }], { customerId });
    const b = await placeOrder(stack.apiUrl, [{ sku: 'TEA-BLACK', quantity: 1 }], { customerId });
    const list = (await (await fetch(`${stack.apiUrl}/orders?customerId=${customerId}`)).json()) as { id: string }[];
    expect(list.map((o) => o.id)).toEqual([b.body.id, a.body.id]);
    const missing = await fetch(`${stack.apiUrl}/orders/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect((await fetch(`${stack.apiUrl}/orders/not-a-uuid`)).status).toBe(400);
  });

  it('serves the catalogue, the probes and the OpenAPI document', async () => {
    const products = (await (await fetch(`${stack.apiUrl}/products`)).json()) as { sku: string; priceCents: number }[];
    expect(products.map((p) => p.sku)).toContain('TEA-GREEN');
    expect((await fetch(`${stack.apiUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.apiUrl}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${stack.apiUrl}/metrics`)).text()).toContain('process_cpu_seconds_total');
    const openapi = (await (await fetch(`${stack.apiUrl}/docs/json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(openapi.openapi).toMatch(/^3\./);
    // test/api-fuzz.test.ts holds the API to this document.
    const events = (await (await fetch(`${stack.apiUrl}/docs/asyncapi.json`)).json()) as {
      asyncapi: string;
      channels: Record<string, unknown>;
    };
    expect(events.asyncapi).toMatch(/^3\./);
    expect(Object.keys(events.channels)).toContain('order.placed');
    const page = await fetch(`${stack.apiUrl}/docs/asyncapi`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('order.placed@1');
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/orders', '/orders/{id}', '/products']));
  });
});

describe('routes', () => {
  it('answers a method a path does not take with 405 and Allow, and an unknown path with 404', async () => {
    const deleted = await fetch(`${stack.apiUrl}/orders`, { method: 'DELETE' });
    expect(deleted.status).toBe(405);
    expect(deleted.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
    expect(((await deleted.json()) as { error: string }).error).toBe('method_not_allowed');
    const put = await fetch(`${stack.apiUrl}/orders/${randomUUID()}`, { method: 'PUT', body: '{' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD']);
    const nowhere = await fetch(`${stack.apiUrl}/nowhere/at/all`, { method: 'POST' });
    expect(nowhere.status).toBe(404);
    expect(((await nowhere.json()) as { error: string }).error).toBe('not_found');
  });

  it('refuses a query parameter it does not know', async () => {
    const unknown = await fetch(`${stack.apiUrl}/orders/${randomUUID()}?expand=all`);
    expect(unknown.status).toBe(400);
    const listed = await fetch(`${stack.apiUrl}/orders?customerId=c-1&page=2`);
    expect(listed.status).toBe(400);
  });
});

describe('prices', () => {
  it('charges a product added to the catalogue at once, and a changed price within a second', async () => {
    await stack.pool.query(`INSERT INTO orders.products (sku, name, price_cents) VALUES ('NEW-1', 'New', 100)`);
    const first = await placeOrder(stack.apiUrl, [{ sku: 'NEW-1', quantity: 2 }]);
    expect(first.status).toBe(202);
    expect(first.body.totalCents).toBe(200);

    await stack.pool.query(`UPDATE orders.products SET price_cents = 300 WHERE sku = 'NEW-1'`);
    const repriced = await waitFor(
      'the new price on a new order',
      async () => (await placeOrder(stack.apiUrl, [{ sku: 'NEW-1', quantity: 1 }])).body.totalCents,
      (total) => total === 300,
      { timeoutMs: 3_000, intervalMs: 250 },
    );
    expect(repriced).toBe(300);
  });
});
