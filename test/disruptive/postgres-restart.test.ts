import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infra } from '../support/infra.js';
import { deadLetterDepths, emptyDeadLetterQueues } from '../support/queues.js';
import { countUnpublished } from '@surety/db';
import {
  placeOrder,
  startStack,
  type PlacedOrder,
  type Stack,
  expectConfirmedAndChargedOnce,
} from '../support/stack.js';
import { waitFor } from '../support/wait.js';

let stack: Stack;
beforeAll(async () => {
  // A retry budget that outlasts a restart (as the production default of 1 s, 10 s, 60 s does).
  stack = await startStack({
    env: { GATEWAY_LATENCY_MS: '50', RETRY_DELAYS_MS: '500,1000,2000', RETRY_BUDGET: '10' },
  });
});
afterAll(async () => {
  await infra('pg-start').catch(() => undefined);
  await stack?.stop();
});

/** A client that retries a refused or failed request with the same Idempotency-Key, as it should. */
async function placeUntilAccepted(sku: string): Promise<{ answers: number[]; placed: PlacedOrder }> {
  const key = randomUUID();
  const answers: number[] = [];
  for (;;) {
    const placed = await placeOrder(stack.apiUrl, [{ sku, quantity: 1 }], { key }).catch(() => undefined);
    answers.push(placed?.status ?? 0);
    if (placed?.status === 202) return { answers, placed };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('PostgreSQL restarted under load', () => {
  it('answers 503 while it is away, loses nothing, and every order settles with one charge', async () => {
    const clients = Array.from({ length: 150 }, (_, i) =>
      new Promise((resolve) => setTimeout(resolve, i * 10)).then(() => placeUntilAccepted('TIN-SMALL')),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    await infra('pg-restart');
    const results = await Promise.all(clients);
    const ids = results.map((r) => r.placed.body.id);
    expect(new Set(ids).size).toBe(150);
    // Refusals while the database was away were clear 503s, never a 500.
    const refusals = results.flatMap((r) => r.answers.filter((status) => status !== 202));
    expect(refusals.filter((status) => status !== 503 && status !== 0)).toEqual([]);

    await expectConfirmedAndChargedOnce(stack.pool, ids, 120_000);
    expect(
      await waitFor(
        'every outbox to drain',
        () => countUnpublished(stack.pool),
        (n) => n === 0,
      ),
    ).toBe(0);
    expect(await deadLetterDepths(stack.vhost.amqpUrl)).toEqual(emptyDeadLetterQueues);
  });
});
