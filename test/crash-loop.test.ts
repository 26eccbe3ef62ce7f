import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { createEvent } from '@surety/contracts';
import { deadLetterQueueName, declareTopology, type QueueSpec } from '@surety/messaging';
import { management } from './support/env.js';
import { spawnProcess } from './support/processes.js';
import { isolatedResources } from './support/stack.js';
import { waitFor } from './support/wait.js';

let resources: Awaited<ReturnType<typeof isolatedResources>>;
let connection: amqp.ChannelModel;
let channel: amqp.Channel;

beforeAll(async () => {
  resources = await isolatedResources();
  connection = await amqp.connect(resources.vhost.amqpUrl);
  channel = await connection.createChannel();
  await resources.pool.query('CREATE TABLE fixture_effects (message_id uuid NOT NULL)');
});
afterAll(async () => {
  await connection?.close();
  await resources.pool.end();
  await Promise.all([resources.db.drop(), resources.vhost.drop()]);
});

function order(customerId: string) {
  return createEvent({
    type: 'order.placed',
    orderId: randomUUID(),
    payload: { customerId, items: [{ sku: 'TEA-GREEN', quantity: 1, priceCents: 650 }], totalCents: 650 },
  });
}

describe('a message that kills the consumer process on every delivery', () => {
  it('is quarantined by the delivery limit, and a fresh consumer processes the rest', async () => {
    const deliveryLimit = 3;
    const queue: QueueSpec = { name: 'crash.events', bindings: ['order.placed'], deliveryLimit };
    await declareTopology(channel, [queue]);
    const before = [order('a'), order('b')];
    const poison = order('crash');
    const after = [order('c'), order('d'), order('e')];
    for (const event of [...before, poison, ...after]) {
      channel.sendToQueue(queue.name, Buffer.from(JSON.stringify(event)), { messageId: event.id, persistent: true });
    }

    // A supervisor's job, done by hand: start the consumer again each time it dies.
    const env = { ...resources.env, QUEUE: queue.name, DELIVERY_LIMIT: String(deliveryLimit) };
    const exits: (number | string)[] = [];
    const handled = async () =>
      (await resources.pool.query(`SELECT message_id FROM orders.inbox WHERE consumer = 'crashing-consumer'`)).rowCount;
    for (let run = 0; run < 10; run++) {
      const consumer = spawnProcess('test/fixtures/crashing-consumer.ts', env);
      const outcome = await Promise.race([
        consumer.exited,
        waitFor('the rest to be processed', handled, (n) => n === 5, { timeoutMs: 20_000 }).then(() => 'done' as const),
      ]);
      if (outcome === 'done') {
        consumer.child.kill('SIGKILL');
        await consumer.exited;
        break;
      }
      exits.push(outcome);
    }

    expect(exits).toEqual(Array(deliveryLimit + 1).fill(70));
    const letter = await waitFor(
      'the poison in the DLQ',
      () => channel.get(deadLetterQueueName(queue.name)),
      (m) => m !== false,
    );
    if (letter === false) throw new Error('unreachable');
    expect(letter.properties.messageId).toBe(poison.id);
    const deaths = letter.properties.headers?.['x-death'] as { reason: string; queue: string }[];
    expect(deaths[0]).toMatchObject({ reason: 'delivery_limit', queue: queue.name });
    const inbox = await resources.pool.query<{ message_id: string }>(
      `SELECT message_id FROM orders.inbox WHERE consumer = 'crashing-consumer'`,
    );
    expect(inbox.rows.map((r) => r.message_id).sort()).toEqual([...before, ...after].map((e) => e.id).sort());
  });
});

describe('a consumer that dies between committing a batch and acking it', () => {
  it('gets the whole batch again, and every effect stays applied once', async () => {
    const queue: QueueSpec = { name: 'ack-crash.events', bindings: ['order.placed'] };
    await declareTopology(channel, [queue]);
    const batch = Array.from({ length: 6 }, (_, i) => order(`batch-${i}`));
    for (const event of batch) {
      channel.sendToQueue(queue.name, Buffer.from(JSON.stringify(event)), { messageId: event.id, persistent: true });
    }
    const ids = batch.map((e) => e.id).sort();
    const effects = async () =>
      (
        await resources.pool.query<{ message_id: string }>(
          'SELECT message_id FROM fixture_effects WHERE message_id = ANY($1) ORDER BY message_id',
          [ids],
        )
      ).rows.map((r) => r.message_id);
    const env = { ...resources.env, QUEUE: queue.name, DELIVERY_LIMIT: '10', PREFETCH: '10' };

    const crashing = spawnProcess('test/fixtures/crashing-consumer.ts', {
      ...env,
      SURETY_FAILPOINTS: 'consumer.before-ack=crash',
    });
    expect(await crashing.exited).toBe('SIGKILL');
    // The first batch committed (the deliveries of one socket read: all six, or the first few),
    // and nothing was acked.
    const committedBeforeCrash = await effects();
    expect(committedBeforeCrash.length).toBeGreaterThan(0);
    expect(new Set(committedBeforeCrash).size).toBe(committedBeforeCrash.length);
    // Nothing was acked: once the broker sees the dead connection, the whole batch is ready again.
    const ready = await waitFor(
      'the unacked batch to be requeued',
      async () => (await channel.checkQueue(queue.name)).messageCount,
      (n) => n === batch.length,
      { timeoutMs: 10_000 },
    );
    expect(ready).toBe(batch.length);

    const fresh = spawnProcess('test/fixtures/crashing-consumer.ts', env);
    try {
      // The queue's messages ready and unacknowledged, as the management API counts them. checkQueue
      // counts only the ready ones, which reach zero as soon as the batch is delivered, before its
      // effects are committed: waiting on it, the test read three of six effects once.
      const messages = async () => {
        const response = await management(
          `/queues/${encodeURIComponent(resources.vhost.name)}/${encodeURIComponent(queue.name)}`,
        );
        if (!response.ok) throw new Error(`management API answered ${response.status}`);
        return ((await response.json()) as { messages?: number }).messages;
      };
      await waitFor('the redelivered batch to be applied', effects, (applied) => applied.length >= ids.length, {
        timeoutMs: 20_000,
      });
      await waitFor('the redelivered batch to be acked', messages, (n) => n === 0, { timeoutMs: 30_000 });
      expect(await effects()).toEqual(ids);
    } finally {
      fresh.child.kill('SIGKILL');
      await fresh.exited;
    }
  });
});
