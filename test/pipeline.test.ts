import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  placeOrder,
  placeOrderRetrying,
  setGatewayFaults,
  startStack,
  waitForTerminal,
  type Stack,
} from './support/stack.js';
import { waitFor } from './support/wait.js';
import { relayModeEnv } from '../apps/cli/src/apps.js';

// The stack of the describe running: one per relay mode, one after the other.
let stack: Stack;

async function stockOf(sku: string) {
  const result = await stack.pool.query<{ available: number; reserved: number }>(
    'SELECT available, reserved FROM inventory.stock WHERE sku = $1',
    [sku],
  );
  return result.rows[0]!;
}

async function chargesByOrder(orderIds: string[]) {
  const result = await stack.pool.query<{ order_id: string; status: string }>(
    'SELECT order_id, status FROM gateway.charges WHERE order_id = ANY($1)',
    [orderIds],
  );
  return result.rows;
}

// Both relays carry the whole pipeline: polling claims rows from the outboxes (each writer publishing
// its own first), CDC reads every row from the WAL.
describe.each(['polling', 'cdc'] as const)('the pipeline end to end, %s relay', (mode) => {
  beforeAll(async () => {
    stack = await startStack({ env: relayModeEnv({ RELAY_MODE: mode }) });
  });
  afterAll(() => stack?.stop());

  it('reads the outboxes the way its mode says: through a replication slot only for CDC', async () => {
    await placeOrder(stack.apiUrl, [{ sku: 'TEA-BLACK', quantity: 1 }]);
    const slots = await stack.pool.query<{ active: boolean }>(
      'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
      [stack.env.RELAY_CDC_SLOT],
    );
    expect(slots.rows).toEqual(mode === 'cdc' ? [{ active: true }] : []);
  });

  it('confirms 100 orders placed over HTTP, each charged once and notified once', async () => {
    const before = await stockOf('TEA-GREEN');
    const placed = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        placeOrderRetrying(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 + (i % 3) }]),
      ),
    );
    expect(placed.map((p) => p.status)).toEqual(Array(100).fill(202));
    expect(placed.every((p) => p.body.status === 'PENDING')).toBe(true);
    const ids = placed.map((p) => p.body.id);

    const outcome = await waitForTerminal(stack.pool, ids);
    expect([...outcome.values()].filter((o) => o.status === 'CONFIRMED')).toHaveLength(100);

    const charges = await chargesByOrder(ids);
    expect(charges).toHaveLength(100);
    expect(new Set(charges.map((c) => c.order_id)).size).toBe(100);
    const quantity = placed.reduce((sum, _p, i) => sum + 1 + (i % 3), 0);
    const after = await stockOf('TEA-GREEN');
    expect(before.available - after.available).toBe(quantity);
    expect(after.reserved - before.reserved).toBe(quantity);
    // The notification follows the confirmation through its own event: wait for it, then count.
    const notified = await waitFor(
      'a notification for every order',
      async () =>
        (
          await stack.pool.query<{ order_id: string; n: number }>(
            `SELECT order_id, count(*)::int AS n FROM notifications.notifications
            WHERE order_id = ANY($1) AND about = 'order.confirmed' GROUP BY order_id`,
            [ids],
          )
        ).rows,
      (rows) => rows.length === 100,
    );
    expect(notified.every((row) => row.n === 1)).toBe(true);
  });

  it('shows the order PENDING at once, then CONFIRMED with every hop on its timeline', async () => {
    const { body } = await placeOrder(stack.apiUrl, [{ sku: 'MUG-WHITE', quantity: 1 }]);
    expect(body.status).toBe('PENDING');
    await waitForTerminal(stack.pool, [body.id]);
    // The `published` step is written when the api marks its event, a moment after the broker confirmed it.
    const hops = ['placed', 'published', 'charged', 'reserved', 'confirmed'];
    const order = await waitFor(
      'every hop on the timeline',
      async () =>
        (await (await fetch(`${stack.apiUrl}/orders/${body.id}`)).json()) as {
          status: string;
          timeline: { step: string }[];
        },
      (found) => hops.every((hop) => found.timeline.some((t) => t.step === hop)),
    );
    expect(order.status).toBe('CONFIRMED');
    const steps = order.timeline.map((t) => t.step);
    // In time order: the event was on the broker before anyone acted on it.
    expect(steps.indexOf('published')).toBeLessThan(Math.min(steps.indexOf('charged'), steps.indexOf('reserved')));
  });

  it('cancels declined orders and releases their stock, never going negative', async () => {
    await setGatewayFaults(stack.gatewayUrl, { declineRate: 0.4 });
    try {
      const before = await stockOf('KETTLE-1');
      const placed = await Promise.all(
        Array.from({ length: 40 }, () => placeOrderRetrying(stack.apiUrl, [{ sku: 'KETTLE-1', quantity: 2 }])),
      );
      const ids = placed.map((p) => p.body.id);
      const outcome = [...(await waitForTerminal(stack.pool, ids)).values()];
      const cancelled = outcome.filter((o) => o.status === 'CANCELLED');
      const confirmed = outcome.filter((o) => o.status === 'CONFIRMED');
      expect(cancelled.length).toBeGreaterThan(0);
      expect(confirmed.length).toBeGreaterThan(0);
      expect(cancelled.every((o) => o.reason?.startsWith('payment declined'))).toBe(true);

      // Releases follow the cancellations through order.cancelled: wait for stock to settle.
      const after = await waitFor(
        'stock of KETTLE-1 to match the confirmed orders',
        () => stockOf('KETTLE-1'),
        (s) => before.available - s.available === confirmed.length * 2,
      );
      expect(after.reserved - before.reserved).toBe(confirmed.length * 2);
      const released = await stack.pool.query(
        `SELECT count(*)::int AS n FROM inventory.reservations WHERE order_id = ANY($1) AND status = 'released'`,
        [cancelled.map((o) => o.id)],
      );
      const rejectedBeforeReserving = await stack.pool.query(
        `SELECT count(*)::int AS n FROM inventory.reservations WHERE order_id = ANY($1) AND status = 'voided'`,
        [cancelled.map((o) => o.id)],
      );
      expect(released.rows[0].n + rejectedBeforeReserving.rows[0].n).toBe(cancelled.length);
    } finally {
      await setGatewayFaults(stack.gatewayUrl, { declineRate: 0 });
    }
  });

  it('accepts an order beyond the stock, cancels it, and refunds the charge', async () => {
    await stack.pool.query(`UPDATE inventory.stock SET available = 3 WHERE sku = 'SAMPLER-LTD'`);
    const placed = await Promise.all(
      Array.from({ length: 5 }, () => placeOrderRetrying(stack.apiUrl, [{ sku: 'SAMPLER-LTD', quantity: 1 }])),
    );
    expect(placed.every((p) => p.status === 202)).toBe(true);
    const ids = placed.map((p) => p.body.id);
    const outcome = [...(await waitForTerminal(stack.pool, ids)).values()];
    expect(outcome.filter((o) => o.status === 'CONFIRMED')).toHaveLength(3);
    const cancelled = outcome.filter((o) => o.status === 'CANCELLED');
    expect(cancelled).toHaveLength(2);
    expect(cancelled.every((o) => o.reason === 'out of stock: SAMPLER-LTD')).toBe(true);
    expect((await stockOf('SAMPLER-LTD')).available).toBe(0);

    // Compensation: a charge captured before the rejection is refunded, exactly once, at the gateway.
    const cancelledIds = cancelled.map((o) => o.id);
    const charges = await waitFor(
      'charges of cancelled orders to be refunded',
      () => chargesByOrder(cancelledIds),
      (rows) => rows.every((c) => c.status !== 'captured'),
    );
    const refunds = await stack.pool.query<{ order_id: string }>(
      'SELECT order_id FROM gateway.refunds WHERE order_id = ANY($1)',
      [cancelledIds],
    );
    expect(refunds.rowCount).toBe(charges.filter((c) => c.status === 'refunded').length);
    expect(new Set(refunds.rows.map((r) => r.order_id)).size).toBe(refunds.rowCount);
    // The gateway's own log: exactly one executed refund request per refunded order.
    const refundRequests = await stack.pool.query<{ order_id: string; executed: number }>(
      `SELECT order_id, count(*) FILTER (WHERE NOT replayed AND response_status = 201)::int AS executed
         FROM gateway.requests WHERE path = '/refunds' AND order_id = ANY($1) GROUP BY order_id`,
      [cancelledIds],
    );
    expect(refundRequests.rows.map((r) => r.executed)).toEqual(refunds.rows.map(() => 1));
  });

  it('compensates a decline after the reservation: stock returns to its start value', async () => {
    await setGatewayFaults(stack.gatewayUrl, { declineRate: 1 });
    try {
      const before = await stockOf('TIN-SMALL');
      const placed = await Promise.all(
        Array.from({ length: 10 }, () => placeOrderRetrying(stack.apiUrl, [{ sku: 'TIN-SMALL', quantity: 3 }])),
      );
      const ids = placed.map((p) => p.body.id);
      const outcome = [...(await waitForTerminal(stack.pool, ids)).values()];
      expect(outcome.every((o) => o.status === 'CANCELLED' && o.reason === 'payment declined: card_declined')).toBe(
        true,
      );
      const after = await waitFor(
        'every reservation to be released or never made',
        async () =>
          (
            await stack.pool.query<{ status: string }>(
              'SELECT status FROM inventory.reservations WHERE order_id = ANY($1)',
              [ids],
            )
          ).rows,
        (rows) => rows.length === 10 && rows.every((r) => r.status === 'released' || r.status === 'voided'),
      );
      expect(after).toHaveLength(10);
      expect(await stockOf('TIN-SMALL')).toEqual(before);
    } finally {
      await setGatewayFaults(stack.gatewayUrl, { declineRate: 0 });
    }
  });
});
