import { afterAll, beforeAll, expect, it } from 'vitest';
import { placeOrder, startStack, waitForTerminal, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

/** Writers publish their own events once they have committed: an order settles with no relay at all. */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ without: ['relay'] });
});
afterAll(async () => {
  await stack?.stop();
});

it('settles an order with no relay running, every event published and marked by its writer', async () => {
  // The api's broker connection comes up in the background: until it is up, orders wait for a relay.
  const metrics = async () => (await fetch(`${stack.apiUrl}/metrics`)).text();
  await waitFor('the api to publish for itself', metrics, (text) =>
    /^surety_broker_connected(\{[^}]*\})? 1$/m.test(text),
  );
  const placed = await placeOrder(stack.apiUrl, [{ sku: 'TEA-GREEN', quantity: 1 }]);
  expect(placed.status).toBe(202);
  const orderId = placed.body.id;
  const outcome = await waitForTerminal(stack.pool, [orderId], 20_000);
  expect(outcome.get(orderId)?.status).toBe('CONFIRMED');

  const states = async () =>
    (
      await stack.pool.query<{ type: string; status: string }>(
        `SELECT type, status FROM orders.outbox WHERE order_id = $1
         UNION ALL SELECT type, status FROM payments.outbox WHERE order_id = $1
         UNION ALL SELECT type, status FROM inventory.outbox WHERE order_id = $1
         UNION ALL SELECT type, status FROM notifications.outbox WHERE order_id = $1
         ORDER BY type`,
        [orderId],
      )
    ).rows;
  const rows = await waitFor(
    'every row written and marked published',
    states,
    (found) => found.length === 4 && found.every((row) => row.status === 'published'),
  );
  // The notification emits nothing: its row in notifications.notifications is what it did.
  expect(rows.map((row) => row.type)).toEqual([
    'order.confirmed',
    'order.placed',
    'payment.captured',
    'stock.reserved',
  ]);
});
