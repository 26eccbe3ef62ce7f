import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnProcess, type AppProcess } from './support/processes.js';
import { deadLetterDepths, emptyDeadLetterQueues } from './support/queues.js';
import {
  placeOrder,
  setGatewayFaults,
  startStack,
  type Stack,
  expectConfirmedAndChargedOnce,
} from './support/stack.js';
import { waitFor } from './support/wait.js';

let stack: Stack;
const running: AppProcess[] = [];

beforeAll(async () => {
  stack = await startStack({ without: ['payment'] });
});
afterAll(async () => {
  for (const app of running) app.child.kill('SIGKILL');
  await stack?.stop();
});

function startPayment(graceMs: number): AppProcess {
  const app = spawnProcess('apps/payment/src/main.ts', {
    ...stack.env,
    PREFETCH: '10',
    SHUTDOWN_GRACE_MS: String(graceMs),
    LOG_LEVEL: 'info',
  });
  running.push(app);
  return app;
}

async function chargeRequests(orderIds: string[]) {
  const rows = await stack.pool.query<{ order_id: string; executed: number }>(
    `SELECT order_id, count(*) FILTER (WHERE NOT replayed)::int AS executed
       FROM gateway.requests WHERE path = '/charges' AND order_id = ANY($1) GROUP BY order_id`,
    [orderIds],
  );
  return rows.rows;
}

async function requestCount(orderIds: string[]) {
  return (await chargeRequests(orderIds)).reduce((sum, row) => sum + row.executed, 0);
}

/**
 * stopMidBatch sends SIGTERM while the process holds a full prefetch of deliveries whose gateway
 * calls are still under way: it waits until the process consumes, then a moment, well inside the
 * gateway's added latency.
 */
async function stopMidBatch(app: AppProcess, orderIds: string[]) {
  const before = await requestCount(orderIds);
  await waitFor(
    'the payment consumer to be consuming',
    async () => app.output(),
    (text) => text.includes('"msg":"consuming"'),
    {
      intervalMs: 20,
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await requestCount(orderIds)).toBe(before);
  app.child.kill('SIGTERM');
  return app.exited;
}

describe('SIGTERM to a consumer mid-batch', () => {
  it('exits 0 whether in-flight handlers finish within the bound or are cut off, losing and repeating nothing', async () => {
    await setGatewayFaults(stack.gatewayUrl, { latencyMs: 1500 });
    const placed = await Promise.all(
      Array.from({ length: 40 }, () => placeOrder(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }])),
    );
    const ids = placed.map((p) => p.body.id);

    // A bound long enough: the batch in hand finishes and is acked.
    const patient = startPayment(5_000);
    expect(await stopMidBatch(patient, ids)).toBe(0);
    expect(patient.output()).toContain('"msg":"stopped"');

    // A bound too short: handlers are cut off, not acked, and come back to the next consumer.
    const hasty = startPayment(50);
    expect(await stopMidBatch(hasty, ids)).toBe(0);
    expect(hasty.output()).toContain('channel lost before ack');

    await setGatewayFaults(stack.gatewayUrl, { latencyMs: 0 });
    startPayment(5_000);
    await expectConfirmedAndChargedOnce(stack.pool, ids);
    expect(await deadLetterDepths(stack.vhost.amqpUrl)).toEqual(emptyDeadLetterQueues);
  });
});
