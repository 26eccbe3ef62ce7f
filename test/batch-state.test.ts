import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { createEvent, type AnyEvent } from '@surety/contracts';
import { declareTopology, queues } from '@surety/messaging';
import { publishEvents } from './support/queues.js';
import { placeOrder, startStack, waitForTerminal, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

/**
 * Consumers lock the rows of a whole batch at once and hand them to its handlers: a batch that
 * holds two events about one order must act on the state the first one left. Events are queued
 * while no consumer runs, so each consumer takes them as one batch when it starts.
 */
let stack: Stack;
let raw: amqp.ChannelModel;
let channel: amqp.ConfirmChannel;

beforeAll(async () => {
  // Only the events published here flow: what the services write stays in their outboxes.
  stack = await startStack({
    without: ['relay', 'payment', 'inventory', 'saga', 'notification'],
    env: { OUTBOX_DISPATCH: 'relay' },
  });
  raw = await amqp.connect(stack.vhost.amqpUrl);
  channel = await raw.createConfirmChannel();
  await declareTopology(channel, Object.values(queues));
});
afterAll(async () => {
  await raw?.close();
  await stack?.stop();
});

const publish = (events: AnyEvent[]) => publishEvents(channel, events);

async function stockOf(sku: string): Promise<number> {
  const found = await stack.pool.query<{ available: number }>('SELECT available FROM inventory.stock WHERE sku = $1', [
    sku,
  ]);
  return found.rows[0]!.available;
}

describe('two events about one order in one batch', () => {
  it('a cancellation ahead of its order.placed charges and reserves nothing; a second order sees the stock the first took', async () => {
    const orderId = randomUUID();
    const before = await stockOf('TEA-GREEN');
    const placed = createEvent({
      type: 'order.placed',
      orderId,
      payload: { customerId: 'batch-1', items: [{ sku: 'TEA-GREEN', quantity: 2, priceCents: 450 }], totalCents: 900 },
    });
    const cancelled = createEvent({
      type: 'order.cancelled',
      orderId,
      payload: { customerId: 'batch-1', reason: 'cancelled before it arrived' },
    });
    // Two orders for more of the limited SKU than there is: the second sees what the first took.
    const limited = [randomUUID(), randomUUID()].sort();
    const claims = limited.map((id) =>
      createEvent({
        type: 'order.placed',
        orderId: id,
        payload: {
          customerId: 'batch-1',
          items: [{ sku: 'SAMPLER-LTD', quantity: 15, priceCents: 2500 }],
          totalCents: 37_500,
        },
      }),
    );
    // A reservation and its release in one batch: the stock moves there and back, and the
    // reservation ends released.
    const changedMind = randomUUID();
    const placedThenCancelled = [
      createEvent({
        type: 'order.placed',
        orderId: changedMind,
        payload: {
          customerId: 'batch-1',
          items: [{ sku: 'TIN-SMALL', quantity: 3, priceCents: 850 }],
          totalCents: 2550,
        },
      }),
      createEvent({
        type: 'order.cancelled',
        orderId: changedMind,
        payload: { customerId: 'batch-1', reason: 'changed their mind' },
      }),
    ];
    const tinBefore = await stockOf('TIN-SMALL');
    await publish([cancelled, placed, ...claims, ...placedThenCancelled]);
    await Promise.all([stack.start('payment'), stack.start('inventory')]);

    const inboxes = async () =>
      (
        await stack.pool.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM payments.inbox WHERE message_id = ANY($1))
                + (SELECT count(*) FROM inventory.inbox WHERE message_id = ANY($1)) AS n`,
          [[placed.id, cancelled.id]],
        )
      ).rows[0]!.n;
    await waitFor('both consumers to take both events', inboxes, (n) => n === 4);

    const payment = await stack.pool.query('SELECT status FROM payments.payments WHERE order_id = $1', [orderId]);
    expect(payment.rows).toEqual([{ status: 'voided' }]);
    const charges = await stack.pool.query('SELECT 1 FROM gateway.requests WHERE order_id = $1', [orderId]);
    expect(charges.rowCount).toBe(0);
    const reservation = await stack.pool.query('SELECT status FROM inventory.reservations WHERE order_id = $1', [
      orderId,
    ]);
    expect(reservation.rows).toEqual([{ status: 'voided' }]);
    expect(await stockOf('TEA-GREEN')).toBe(before);

    const limitedOutcome = await waitFor(
      'both limited orders to be decided',
      async () =>
        (
          await stack.pool.query<{ order_id: string; status: string }>(
            'SELECT order_id, status FROM inventory.reservations WHERE order_id = ANY($1) ORDER BY order_id',
            [limited],
          )
        ).rows,
      (rows) => rows.length === 2 && rows.every((r) => r.status !== 'pending'),
    );
    expect(limitedOutcome.map((r) => r.status)).toEqual(['reserved', 'rejected']);
    expect(await stockOf('SAMPLER-LTD')).toBe(10);

    const released = await waitFor(
      'the reservation and its release',
      async () =>
        (
          await stack.pool.query<{ status: string; items: unknown }>(
            'SELECT status, items FROM inventory.reservations WHERE order_id = $1',
            [changedMind],
          )
        ).rows,
      (rows) => rows[0]?.status === 'released',
    );
    expect(released).toEqual([{ status: 'released', items: [{ sku: 'TIN-SMALL', quantity: 3 }] }]);
    expect(await stockOf('TIN-SMALL')).toBe(tinBefore);
    const reserved = await stack.pool.query('SELECT reserved FROM inventory.stock WHERE sku = $1', ['TIN-SMALL']);
    expect(reserved.rows).toEqual([{ reserved: 0 }]);
    // Payment charges, then refunds, in the same batch: the row is written once, refunded.
    const refunded = await waitFor(
      'the charge and its refund',
      async () =>
        (
          await stack.pool.query<{ status: string; charge_id: string | null; refund_id: string | null }>(
            'SELECT status, charge_id, refund_id FROM payments.payments WHERE order_id = $1',
            [changedMind],
          )
        ).rows,
      (rows) => rows[0]?.status === 'refunded',
    );
    expect(refunded[0]!.charge_id).toEqual(expect.any(String));
    expect(refunded[0]!.refund_id).toEqual(expect.any(String));
  });

  it('the saga folds a capture and a reservation of one batch into one CONFIRMED, emitted once, updating the order once', async () => {
    const placed = await placeOrder(stack.apiUrl, [{ sku: 'MUG-WHITE', quantity: 1 }]);
    expect(placed.status).toBe(202);
    const orderId = placed.body.id;
    // Nothing else updates orders here; a transaction's counts reach the statistics together.
    const updatesOfOrders = async () =>
      Number(
        (
          await stack.pool.query<{ n: string }>(
            `SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE schemaname = 'orders' AND relname = 'orders'`,
          )
        ).rows[0]!.n,
      );
    const updatesBefore = await updatesOfOrders();
    await publish([
      createEvent({ type: 'payment.captured', orderId, payload: { chargeId: 'ch_batch', amountCents: 1 } }),
      createEvent({
        type: 'stock.reserved',
        orderId,
        payload: { items: [{ sku: 'MUG-WHITE', quantity: 1 }] },
      }),
    ]);
    await stack.start('saga');

    const outcome = await waitForTerminal(stack.pool, [orderId]);
    expect(outcome.get(orderId)?.status).toBe('CONFIRMED');
    const steps = await stack.pool.query<{ step: string }>(
      'SELECT step FROM orders.order_timeline WHERE order_id = $1 ORDER BY at',
      [orderId],
    );
    expect(steps.rows.map((r) => r.step)).toEqual(['placed', 'charged', 'reserved', 'confirmed']);
    const confirmations = await stack.pool.query(
      `SELECT 1 FROM orders.outbox WHERE order_id = $1 AND type = 'order.confirmed'`,
      [orderId],
    );
    expect(confirmations.rowCount).toBe(1);
    const updatesAfter = await waitFor(
      "the saga's update in the statistics",
      updatesOfOrders,
      (n) => n > updatesBefore,
    );
    expect(updatesAfter - updatesBefore).toBe(1);
  });

  it('the saga retries a result that arrives before its order is visible, instead of dead-lettering it', async () => {
    // Logical decoding sends a commit before the committing session has made it visible, so through
    // the CDC relay a reservation can reach the saga before its order does (seen once in a drill).
    const orderId = randomUUID();
    await publish([
      createEvent({ type: 'stock.reserved', orderId, payload: { items: [{ sku: 'MUG-WHITE', quantity: 1 }] } }),
    ]);
    const sagaMetrics = `${stack.urls().saga}/metrics`;
    const failed = await waitFor(
      'the saga to have failed the reservation once',
      async () => (await (await fetch(sagaMetrics)).text()).split('\n'),
      (lines) => lines.some((l) => /^surety_messages_consumed_total\{.*outcome="(retried|dead-lettered)"/.test(l)),
    );
    expect(failed.filter((l) => l.includes('outcome="dead-lettered"'))).toEqual([]);
    await stack.pool.query(`INSERT INTO orders.orders (id, customer_id, total_cents) VALUES ($1, 'late-1', 650)`, [
      orderId,
    ]);
    await waitFor(
      'the reservation folded into the order',
      () =>
        stack.pool.query<{ stock_status: string | null }>('SELECT stock_status FROM orders.orders WHERE id = $1', [
          orderId,
        ]),
      (result) => result.rows[0]?.stock_status === 'reserved',
    );
  });

  it('the notification writes the rows of a batch together: one per order and outcome, a second event about it sends nothing', async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    const confirmed = (orderId: string) =>
      createEvent({ type: 'order.confirmed', orderId, payload: { customerId: 'batch-n', totalCents: 650 } });
    const events = [confirmed(first), confirmed(first), confirmed(second)];
    await publish(events);
    await stack.start('notification');
    const sent = await waitFor(
      'the batch to be notified',
      async () =>
        (
          await stack.pool.query<{ order_id: string; about: string }>(
            'SELECT order_id, about FROM notifications.notifications WHERE order_id = ANY($1) ORDER BY order_id',
            [[first, second]],
          )
        ).rows,
      (rows) => rows.length >= 2,
    );
    const inbox = await stack.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM notifications.inbox WHERE message_id = ANY($1)',
      [events.map((e) => e.id)],
    );
    expect(inbox.rows[0]!.n).toBe(3);
    expect(sent).toEqual([first, second].sort().map((orderId) => ({ order_id: orderId, about: 'order.confirmed' })));
  });
});
