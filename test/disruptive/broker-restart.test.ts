import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infra } from '../support/infra.js';
import { placeOrder, startStack, type Stack, expectConfirmedAndChargedOnce } from '../support/stack.js';
import { countUnpublished } from '@surety/db';
import { deadLetterDepths, emptyDeadLetterQueues } from '../support/queues.js';
import { waitFor } from '../support/wait.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_LATENCY_MS: '100' } });
});
afterAll(async () => {
  await infra('broker-start').catch(() => undefined);
  await stack?.stop();
});

describe('RabbitMQ restarted under load', () => {
  it('loses nothing: 200 orders in flight all settle, one charge each', async () => {
    const placing = Array.from({ length: 200 }, (_, i) =>
      placeOrder(stack.apiUrl, [{ sku: 'TEA-BLACK', quantity: 1 + (i % 2) }]),
    );
    const firstHalf = await Promise.all(placing.slice(0, 100));
    await infra('broker-stop');
    // The API keeps accepting while the broker is away: the outbox holds the events.
    const secondHalf = await Promise.all(placing.slice(100));
    const placed = [...firstHalf, ...secondHalf];
    expect(placed.every((p) => p.status === 202)).toBe(true);
    const ready = await fetch(`${stack.apiUrl}/readyz`);
    expect(ready.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await infra('broker-start');

    const ids = placed.map((p) => p.body.id);
    await expectConfirmedAndChargedOnce(stack.pool, ids, 120_000);
    const unpublished = await waitFor(
      'every outbox to drain',
      () => countUnpublished(stack.pool),
      (n) => n === 0,
    );
    expect(unpublished).toBe(0);
    expect(await deadLetterDepths(stack.vhost.amqpUrl)).toEqual(emptyDeadLetterQueues);
  });
});
