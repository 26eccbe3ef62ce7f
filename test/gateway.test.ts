import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, startGateway, type GatewayService } from '@surety/gateway';
import { isolatedResources } from './support/stack.js';

let resources: Awaited<ReturnType<typeof isolatedResources>>;
let gateway: GatewayService;

beforeAll(async () => {
  resources = await isolatedResources();
  gateway = await startGateway(loadGatewayConfig(resources.env));
});
afterAll(async () => {
  await gateway?.stop();
  await resources.pool.end();
  await Promise.all([resources.db.drop(), resources.vhost.drop()]);
});

async function call(method: string, path: string, body?: unknown, key?: string) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & Record<string, unknown>[],
  };
}

describe('the payment gateway stand-in', () => {
  it('charges once per idempotency key and logs every request, replays included', async () => {
    const orderId = randomUUID();
    const key = `charge-${orderId}`;
    const first = await call('POST', '/charges', { orderId, amountCents: 1200 }, key);
    const again = await Promise.all([1, 2, 3].map(() => call('POST', '/charges', { orderId, amountCents: 1200 }, key)));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ orderId, amountCents: 1200, status: 'captured' });
    for (const replay of again) expect(replay).toEqual(first);

    const otherBody = await call('POST', '/charges', { orderId, amountCents: 1 }, key);
    expect(otherBody.status).toBe(422);
    expect(otherBody.body.error).toBe('idempotency_key_reused');

    const charges = await call('GET', `/charges?orderId=${orderId}`);
    expect(charges.body).toEqual([{ id: first.body.id, orderId, amountCents: 1200, status: 'captured' }]);
    const log = (await call('GET', `/requests?orderId=${orderId}`)).body as unknown as {
      replayed: boolean;
      responseStatus: number;
    }[];
    expect(log.map((r) => [r.replayed, r.responseStatus])).toEqual([
      [false, 201],
      [true, 201],
      [true, 201],
      [true, 201],
      [true, 422],
    ]);
  });

  it('charges once when requests with one key arrive together, and answers each with that charge', async () => {
    const orderId = randomUUID();
    const key = `charge-${orderId}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => call('POST', '/charges', { orderId, amountCents: 700 }, key)),
    );
    const charges = (await call('GET', `/charges?orderId=${orderId}`)).body;
    expect(charges).toHaveLength(1);
    for (const answer of answers) expect(answer).toEqual({ status: 201, body: charges[0] });
    const log = (await call('GET', `/requests?orderId=${orderId}`)).body as unknown as { replayed: boolean }[];
    expect(log.map((r) => r.replayed).sort()).toEqual([false, true, true, true, true, true, true, true]);
  });

  it('refunds a captured charge once, and refuses a second refund under another key', async () => {
    const orderId = randomUUID();
    const charge = await call('POST', '/charges', { orderId, amountCents: 500 }, `charge-${orderId}`);
    const refund = await call('POST', '/refunds', { chargeId: charge.body.id }, `refund-${orderId}`);
    const replay = await call('POST', '/refunds', { chargeId: charge.body.id }, `refund-${orderId}`);
    const second = await call('POST', '/refunds', { chargeId: charge.body.id }, `another-${orderId}`);
    expect(refund.status).toBe(201);
    expect(replay).toEqual(refund);
    expect(second.status).toBe(409);
    const charges = await call('GET', `/charges?orderId=${orderId}`);
    expect(charges.body).toMatchObject([{ status: 'refunded' }]);
  });

  it('injects declines, failures and latency, and logs each injected failure', async () => {
    await call('PUT', '/admin/faults', { declineRate: 1 });
    const declinedOrder = randomUUID();
    const declined = await call(
      'POST',
      '/charges',
      { orderId: declinedOrder, amountCents: 100 },
      `charge-${declinedOrder}`,
    );
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({ status: 'declined', declineReason: 'card_declined' });

    await call('PUT', '/admin/faults', { declineRate: 0, failureRate: 1 });
    const failedOrder = randomUUID();
    const failed = await call('POST', '/charges', { orderId: failedOrder, amountCents: 100 }, `charge-${failedOrder}`);
    expect(failed.status).toBe(503);

    await call('PUT', '/admin/faults', { failureRate: 0, latencyMs: 300 });
    const started = Date.now();
    const slow = await call('POST', '/charges', { orderId: failedOrder, amountCents: 100 }, `charge-${failedOrder}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // The injected failure did no work, so the same key now charges for real.
    expect(slow.status).toBe(201);
    await call('PUT', '/admin/faults', { latencyMs: 0 });

    const log = (await call('GET', `/requests?orderId=${failedOrder}`)).body as unknown as {
      fault: string | null;
      responseStatus: number;
    }[];
    expect(log.map((r) => [r.fault, r.responseStatus])).toEqual([
      ['failure', 503],
      [null, 201],
    ]);
  });

  it('requires an idempotency key', async () => {
    const response = await call('POST', '/charges', { orderId: randomUUID(), amountCents: 100 });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('idempotency_key_required');
  });
});
