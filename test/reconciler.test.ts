import { afterEach, describe, expect, it } from 'vitest';
import { queues } from '@surety/messaging';
import { createReconciler, loadReconcilerConfig } from '@surety/reconciler';
import { management } from './support/env.js';
import { placeOrder, startStack, type Stack, expectConfirmedAndChargedOnce } from './support/stack.js';
import { waitFor } from './support/wait.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function dropMessages(current: Stack, queue: string) {
  const response = await management(`/queues/${encodeURIComponent(current.vhost.name)}/${queue}/contents`, {
    method: 'DELETE',
  });
  expect(response.status).toBeLessThan(300);
}

function reconcilerFor(current: Stack, inventoryUrl: string) {
  return createReconciler(
    loadReconcilerConfig({ ...current.env, INVENTORY_URL: inventoryUrl, RECONCILE_AFTER_MS: '0', LOG_LEVEL: 'silent' }),
  );
}

async function statusOf(current: Stack, orderId: string) {
  return (await current.pool.query<{ status: string }>('SELECT status FROM orders.orders WHERE id = $1', [orderId]))
    .rows[0]!.status;
}

describe('the reconciler', () => {
  it('resolves an order whose results were dropped on the way to the saga', async () => {
    const current = (stack = await startStack({ without: ['saga'] }));
    const { body } = await placeOrder(current.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }]);
    await waitFor(
      'payment and inventory to act',
      async () =>
        (
          await current.pool.query(
            `SELECT 1 FROM payments.outbox WHERE order_id = $1 AND status = 'published'
           UNION ALL SELECT 1 FROM inventory.outbox WHERE order_id = $1 AND status = 'published'`,
            [body.id],
          )
        ).rowCount,
      (n) => n === 2,
    );
    await dropMessages(current, queues.saga.name);
    await current.start('saga');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await statusOf(current, body.id)).toBe('PENDING');

    const inventory = await current.start('inventory');
    const { reconciler, pool } = reconcilerFor(current, inventory.url);
    try {
      // Two passes at once: one takes the order, the other leaves it alone.
      const reports = await Promise.all([reconciler.reconcileOnce(), reconciler.reconcileOnce()]);
      expect(reports.map((r) => r.factsForwarded).sort()).toEqual([0, 2]);
    } finally {
      await pool.end();
    }
    await expectConfirmedAndChargedOnce(current.pool, [body.id]);
  });

  it('sends the order again to a participant that never received it', async () => {
    const current = (stack = await startStack({ without: ['payment', 'inventory'] }));
    const { body } = await placeOrder(current.apiUrl, [{ sku: 'TEA-BLACK', quantity: 2 }]);
    const inventory = await current.start('inventory');
    await waitFor(
      'inventory to reserve',
      async () =>
        (await current.pool.query(`SELECT 1 FROM inventory.reservations WHERE order_id = $1`, [body.id])).rowCount,
      (n) => n === 1,
    );
    await dropMessages(current, queues.payment.name);
    await current.start('payment');

    const { reconciler, pool } = reconcilerFor(current, inventory.url);
    try {
      const report = await reconciler.reconcileOnce();
      expect(report).toMatchObject({ examined: 1, ordersRepublished: 1 });
    } finally {
      await pool.end();
    }
    await expectConfirmedAndChargedOnce(current.pool, [body.id]);
    const stock = await current.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM inventory.inbox WHERE consumer = 'inventory'`,
    );
    expect(stock.rows[0]!.n).toBe(1);
  });
});
