import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  placeOrder,
  setGatewayFaults,
  startStack,
  type Stack,
  expectConfirmedAndChargedOnce,
} from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: {
      GATEWAY_BREAKER_VOLUME: '3',
      GATEWAY_BREAKER_RESET_MS: '1000',
      RETRY_DELAYS_MS: '200,400',
      RETRY_BUDGET: '30',
    },
  });
});
afterAll(() => stack?.stop());

async function failedCalls(orderIds: string[]): Promise<number> {
  const rows = await stack.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM gateway.requests WHERE fault = 'failure' AND order_id = ANY($1)`,
    [orderIds],
  );
  return rows.rows[0]!.n;
}

describe('the circuit breaker around the gateway', () => {
  it('stops hammering a failing gateway, retries through the tiers, and completes every order after recovery', async () => {
    await setGatewayFaults(stack.gatewayUrl, { failureRate: 1 });
    const placed = await Promise.all(
      Array.from({ length: 20 }, () => placeOrder(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }])),
    );
    const ids = placed.map((p) => p.body.id);
    const outageMs = 4_000;
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    const failed = await failedCalls(ids);
    // Without the circuit every order would be tried every 400 ms: over 150 calls in the outage.
    // With it, a few calls open it and one trial per second probes.
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(failed).toBeLessThan(40);

    await setGatewayFaults(stack.gatewayUrl, { failureRate: 0 });
    await expectConfirmedAndChargedOnce(stack.pool, ids);
  });
});
