import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emittingSchemas } from '@surety/db';
import { startProcessStack, type PipelineApp, type ProcessStack } from './support/process-stack.js';
import { waitForTerminal } from './support/stack.js';
import { waitFor } from './support/wait.js';

// With no span exported, no AMQP span is made either: the trace crosses the broker in the headers
// the outbox row carries, and each consumer reads it back from them.
const consumers: PipelineApp[] = ['payment', 'inventory', 'saga', 'notification'];

let stack: ProcessStack;

beforeAll(async () => {
  // A handled message is logged at debug.
  stack = await startProcessStack({ LOG_LEVEL: 'debug' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function placeOrder(): Promise<string> {
  const response = await fetch(`${stack.urls.api}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomBytes(8).toString('hex') },
    body: JSON.stringify({ customerId: 'customer-untraced', items: [{ sku: 'TEA-GREEN', quantity: 1 }] }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

describe('trace ids without spans exported', () => {
  it("name each order's trace in every consumer's log lines and every outbox row, across the broker", async () => {
    const placed = await Promise.all(Array.from({ length: 6 }, placeOrder));
    await waitForTerminal(stack.resources.pool, placed);
    const traces = await stack.resources.pool.query<{ id: string; trace_id: string }>(
      'SELECT id, trace_id FROM orders.orders WHERE id = ANY($1)',
      [placed],
    );
    const traceOf = new Map(traces.rows.map((row) => [row.id, row.trace_id]));
    expect(traceOf.size).toBe(placed.length);
    for (const traceId of traceOf.values()) expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    for (const app of consumers) {
      // A line is written after its batch's ack, and the notification handles an order after it
      // has settled: wait for each consumer's line about every order.
      const lines = await waitFor(
        `${app} to log every order handled`,
        async () =>
          stack
            .output(app)
            .split('\n')
            .filter((line) => line.includes('"message handled"'))
            .map((line) => JSON.parse(line) as { orderId: string; traceId?: string }),
        (found) => placed.every((orderId) => found.some((line) => line.orderId === orderId)),
      );
      for (const line of lines) expect(line.traceId, `${app}: ${line.orderId}`).toBe(traceOf.get(line.orderId));
    }

    const rows = await stack.resources.pool.query<{ schema: string; order_id: string; traceparent: string | null }>(
      emittingSchemas
        .map(
          (schema) =>
            `SELECT '${schema}' AS schema, order_id, headers->>'traceparent' AS traceparent FROM ${schema}.outbox WHERE order_id = ANY($1)`,
        )
        .join(' UNION ALL '),
      [placed],
    );
    // The notification emits nothing in the normal course; every other step does.
    expect(new Set(rows.rows.map((row) => row.schema))).toEqual(new Set(['orders', 'payments', 'inventory']));
    for (const row of rows.rows) {
      expect(row.traceparent?.split('-')[1], `${row.schema} outbox: ${row.order_id}`).toBe(traceOf.get(row.order_id));
    }
  });
});
