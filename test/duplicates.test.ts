import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '@surety/db';
import { Broker, ConfirmPublisher, type OutgoingMessage } from '@surety/messaging';
import { OutboxWakeup, PollingRelay, RowPublisher } from '@surety/relay';
import { createLogger, createRegistry } from '@surety/telemetry';
import { placeOrder, setGatewayFaults, startStack, waitForTerminal, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

/**
 * Every event is delivered twice: a relay that publishes each row two times, the copies racing
 * each other to the consumers, with the same messageId.
 */
let stack: Stack;
let stopRelay: () => Promise<void>;

beforeAll(async () => {
  // Every event goes through the relay below, which publishes it twice.
  stack = await startStack({ without: ['relay'], env: { OUTBOX_DISPATCH: 'relay' } });
  const logger = createLogger('duplicating-relay', 'silent');
  const pool = createPool(stack.db.url, logger);
  const broker = await Broker.connect(stack.vhost.amqpUrl, logger);
  const inner = await ConfirmPublisher.create(broker);
  const twice = Object.create(inner) as ConfirmPublisher;
  twice.publish = (messages: readonly OutgoingMessage[]) => inner.publish([...messages, ...messages]);
  const wakeup = new OutboxWakeup(stack.db.url, logger);
  await wakeup.start();
  const registry = createRegistry('duplicating-relay');
  const relay = new PollingRelay({
    pool,
    rowPublisher: new RowPublisher({ publisher: twice, logger, registry }),
    wakeup,
    schemas: ['orders', 'payments', 'inventory', 'notifications'],
    batchSize: 50,
    pollIntervalMs: 100,
    idlePollMaxMs: 100,
    sweepAfterMs: 0,
    logger,
    registry,
  });
  relay.start();
  stopRelay = async () => {
    await relay.stop();
    await wakeup.stop();
    await broker.close();
    await pool.end();
  };
});

afterAll(async () => {
  await stopRelay?.();
  await stack?.stop();
});

describe('every event delivered twice', () => {
  it('has one effect per consumer: one charge, one reservation, one notification per order', async () => {
    await setGatewayFaults(stack.gatewayUrl, { declineRate: 0.25 });
    const placed = await Promise.all(
      Array.from({ length: 60 }, (_, i) => placeOrder(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 + (i % 2) }])),
    );
    const ids = placed.map((p) => p.body.id);
    const outcome = [...(await waitForTerminal(stack.pool, ids)).values()];
    const confirmed = outcome.filter((o) => o.status === 'CONFIRMED');
    const cancelled = outcome.filter((o) => o.status === 'CANCELLED');

    // The gateway's own log is the evidence: one executed charge request per order, whatever was replayed.
    const charges = await stack.pool.query<{ order_id: string; executed: number }>(
      `SELECT order_id, count(*) FILTER (WHERE NOT replayed AND fault IS NULL)::int AS executed
         FROM gateway.requests WHERE path = '/charges' AND order_id = ANY($1) GROUP BY order_id`,
      [ids],
    );
    expect(charges.rowCount).toBe(60);
    expect(charges.rows.every((row) => row.executed === 1)).toBe(true);
    expect((await stack.pool.query('SELECT 1 FROM gateway.charges WHERE order_id = ANY($1)', [ids])).rowCount).toBe(60);

    const notifications = await waitFor(
      'one notification per order',
      async () =>
        (
          await stack.pool.query<{ order_id: string; n: number }>(
            'SELECT order_id, count(*)::int AS n FROM notifications.notifications WHERE order_id = ANY($1) GROUP BY order_id',
            [ids],
          )
        ).rows,
      (rows) => rows.length === 60,
    );
    expect(notifications.every((row) => row.n === 1)).toBe(true);

    // Each confirmed order's stock was taken once; each cancelled one holds none.
    await waitFor(
      'cancelled orders to hold no stock',
      async () =>
        (
          await stack.pool.query(
            `SELECT 1 FROM inventory.reservations WHERE order_id = ANY($1) AND status = 'reserved'`,
            [cancelled.map((o) => o.id)],
          )
        ).rowCount,
      (held) => held === 0,
    );
    const reservations = await stack.pool.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM inventory.reservations WHERE order_id = ANY($1) GROUP BY status',
      [ids],
    );
    const byStatus = Object.fromEntries(reservations.rows.map((r) => [r.status, r.n]));
    expect(byStatus.reserved ?? 0).toBe(confirmed.length);

    // The saga recorded each captured charge once, though it received every payment.captured twice.
    const charged = await stack.pool.query<{ order_id: string; n: number }>(
      `SELECT order_id, count(*)::int AS n FROM orders.order_timeline
        WHERE order_id = ANY($1) AND step = 'charged' GROUP BY order_id`,
      [ids],
    );
    const capturedAtGateway = await stack.pool.query(
      `SELECT 1 FROM gateway.charges WHERE order_id = ANY($1) AND status IN ('captured', 'refunded')`,
      [ids],
    );
    expect(charged.rowCount).toBe(capturedAtGateway.rowCount);
    expect(charged.rows.every((row) => row.n === 1)).toBe(true);
  });
});
