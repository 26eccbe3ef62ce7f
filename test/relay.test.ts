import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { createEvent } from '@surety/contracts';
import { appendToOutbox, withTransaction } from '@surety/db';
import { queues } from '@surety/messaging';
import { loadRelayConfig, startRelay, type RelayService } from '@surety/relay';
import { randomUUID } from 'node:crypto';
import { isolatedResources } from './support/stack.js';
import { waitFor } from './support/wait.js';

let resources: Awaited<ReturnType<typeof isolatedResources>>;
const relays: RelayService[] = [];

beforeAll(async () => {
  resources = await isolatedResources({ RELAY_BATCH_SIZE: '25', RELAY_POLL_INTERVAL_MS: '50' });
});
afterAll(async () => {
  for (const relay of relays) await relay.stop();
  await resources.pool.end();
  await Promise.all([resources.db.drop(), resources.vhost.drop()]);
});

/** Writes `count` order.placed events in small concurrent transactions, as many API requests would. */
async function writeEvents(count: number, writers: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (ids.length < count) {
        await withTransaction(resources.pool, async (tx) => {
          for (let i = 0; i < 5 && ids.length < count; i++) {
            const event = createEvent({
              type: 'order.placed',
              orderId: randomUUID(),
              payload: {
                customerId: 'c',
                items: [{ sku: 'TEA-GREEN', quantity: 1, priceCents: 650 }],
                totalCents: 650,
              },
            });
            ids.push(event.id);
            await appendToOutbox(tx, 'orders', event);
          }
        });
      }
    }),
  );
  return ids;
}

describe('two relays on one outbox', () => {
  it('publish every row, lose none, and leave nothing unpublished', async () => {
    const env = { ...resources.env, RELAY_SCHEMAS: 'orders' };
    relays.push(await startRelay(loadRelayConfig(env)), await startRelay(loadRelayConfig(env)));

    const connection = await amqp.connect(resources.vhost.amqpUrl);
    const channel = await connection.createChannel();
    const received = new Map<string, number>();
    await channel.consume(
      queues.payment.name,
      (message) => {
        if (!message) return;
        const id = String(message.properties.messageId);
        received.set(id, (received.get(id) ?? 0) + 1);
      },
      { noAck: true },
    );

    const written = await writeEvents(1500, 6);
    await waitFor(
      'every written event to arrive',
      async () => received.size,
      (n) => n >= written.length,
      { timeoutMs: 60_000 },
    );
    await channel.close();
    await connection.close();

    expect(new Set(written).size).toBe(1500);
    expect(written.every((id) => received.has(id))).toBe(true);
    const rows = await resources.pool.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM orders.outbox GROUP BY status',
    );
    expect(rows.rows).toEqual([{ status: 'published', n: 1500 }]);
    const byRelay = await Promise.all(relays.map(async (relay) => (await fetch(`${relay.url}/metrics`)).text()));
    const batches = byRelay.map((text) =>
      Number(/surety_relay_publish_batch_size_count\{[^}]*schema="orders"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0),
    );
    expect(batches.every((n) => n > 0)).toBe(true);
  });
});
