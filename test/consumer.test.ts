import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { BusinessRuleError, createEvent, TransientError } from '@surety/contracts';
import { createPool, type Pool } from '@surety/db';
import {
  Broker,
  ConfirmPublisher,
  Consumer,
  deadLetterQueueName,
  declareTopology,
  EVENTS_EXCHANGE,
  failureHeaders,
  type Handler,
  type QueueSpec,
} from '@surety/messaging';
import { createLogger, createRegistry } from '@surety/telemetry';
import type { Registry } from 'prom-client';
import { isolatedResources } from './support/stack.js';
import { waitFor } from './support/wait.js';

/** The shared contract every consumer gets from `consume`: decode, dedupe, retry, dead-letter. */
let resources: Awaited<ReturnType<typeof isolatedResources>>;
let broker: Broker;
let publisher: ConfirmPublisher;
let pool: Pool;
let raw: amqp.ChannelModel;
let channel: amqp.Channel;
const logger = createLogger('consumer-test', 'silent');

beforeAll(async () => {
  resources = await isolatedResources();
  pool = createPool(resources.db.url, logger);
  broker = await Broker.connect(resources.vhost.amqpUrl, logger);
  publisher = await ConfirmPublisher.create(broker);
  raw = await amqp.connect(resources.vhost.amqpUrl);
  channel = await raw.createChannel();
});
afterAll(async () => {
  await raw?.close();
  await broker?.close();
  await pool?.end();
  await Promise.all([resources.db.drop(), resources.vhost.drop()]);
});

async function withConsumer(
  handler: Handler,
  test: (queue: QueueSpec, registry: Registry) => Promise<void>,
  options: { prefetch?: number; beforeStart?: (queue: QueueSpec) => Promise<void> } = {},
) {
  const queue: QueueSpec = { name: `test-${randomUUID().slice(0, 8)}.events`, bindings: ['order.placed'] };
  await declareTopology(channel, [queue]);
  await options.beforeStart?.(queue);
  const registry = createRegistry('consumer-test');
  const consumer = await Consumer.start({
    broker,
    publisher,
    pool,
    schema: 'orders',
    consumerName: queue.name,
    queue,
    handler,
    logger,
    registry,
    retry: { delaysMs: [150, 300], budget: 3 },
    ...(options.prefetch ? { prefetch: options.prefetch } : {}),
  });
  try {
    await test(queue, registry);
  } finally {
    await consumer.stop(1000);
  }
}

async function outcomesOf(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('surety_messages_consumed_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.outcome), v.value]));
}

function orderPlaced() {
  return createEvent({
    type: 'order.placed',
    orderId: randomUUID(),
    payload: { customerId: 'c', items: [{ sku: 'TEA-GREEN', quantity: 1, priceCents: 650 }], totalCents: 650 },
  });
}

function send(queue: QueueSpec, body: string | Buffer, messageId: string, type = 'order.placed') {
  channel.sendToQueue(queue.name, Buffer.isBuffer(body) ? body : Buffer.from(body), {
    messageId,
    type,
    persistent: true,
  });
}

async function drainDlq(queue: QueueSpec, expected: number) {
  const letters: amqp.GetMessage[] = [];
  await waitFor(
    `${expected} dead letters in ${deadLetterQueueName(queue.name)}`,
    async () => {
      const message = await channel.get(deadLetterQueueName(queue.name), { noAck: true });
      if (message) letters.push(message);
      return letters.length;
    },
    (n) => n >= expected,
    { intervalMs: 20 },
  );
  return letters;
}

describe('consume(queue, handler)', () => {
  it('dead-letters poison at once, with the reason in its headers, while the rest keeps flowing', async () => {
    const handled: string[] = [];
    await withConsumer(
      async (event) => void handled.push(event.id),
      async (queue) => {
        const good = [orderPlaced(), orderPlaced()];
        const unknownType = { ...orderPlaced(), type: 'order.teleported' };
        const badPayload = { ...orderPlaced(), payload: { customerId: 'c', items: [], totalCents: -1 } };
        send(queue, JSON.stringify(good[0]), good[0]!.id);
        send(queue, '{ not json', 'poison-1');
        send(queue, Buffer.from([0xff, 0xfe, 0x00]), 'poison-2');
        send(queue, JSON.stringify(unknownType), unknownType.id);
        send(queue, JSON.stringify(badPayload), badPayload.id);
        send(queue, JSON.stringify(good[1]), good[1]!.id);

        const letters = await drainDlq(queue, 4);
        await waitFor(
          'the good messages',
          async () => handled.length,
          (n) => n === 2,
        );
        expect(handled.sort()).toEqual(good.map((e) => e.id).sort());
        for (const letter of letters) {
          const headers = letter.properties.headers ?? {};
          expect(headers[failureHeaders.errorClass]).toBe('SURETY_ERR_CONTRACT');
          expect(headers[failureHeaders.attempts]).toBe(1);
          expect(headers[failureHeaders.consumer]).toBe(queue.name);
          expect(String(headers[failureHeaders.error])).not.toBe('');
        }
        const reasons = letters.map((l) => String(l.properties.headers?.[failureHeaders.error]));
        expect(reasons).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/not JSON/),
            expect.stringMatching(/unknown event type order.teleported@1/),
          ]),
        );
        expect((await channel.checkQueue(queue.name)).messageCount).toBe(0);
      },
    );
  });

  it('retries a transient failure through the delay tiers and applies the effect once', async () => {
    const attempts = new Map<string, number>();
    const handler: Handler = async (event, ctx) => {
      const n = (attempts.get(event.id) ?? 0) + 1;
      attempts.set(event.id, n);
      if (n < 3) throw new TransientError('gateway answered 503');
      await ctx.tx.query(
        `INSERT INTO orders.order_timeline (order_id, step) SELECT id, 'test' FROM orders.orders LIMIT 0`,
      );
    };
    await withConsumer(handler, async (queue, registry) => {
      const event = orderPlaced();
      send(queue, JSON.stringify(event), event.id);
      await waitFor(
        'the third attempt',
        async () => attempts.get(event.id) ?? 0,
        (n) => n === 3,
      );
      const outcomes = await waitFor(
        'the outcomes to be counted',
        () => outcomesOf(registry),
        (o) => o.acked === 1,
      );
      expect(outcomes).toEqual({ retried: 2, acked: 1 });
      const inbox = await waitFor(
        'the inbox row of the successful attempt',
        async () =>
          (
            await pool.query('SELECT 1 FROM orders.inbox WHERE consumer = $1 AND message_id = $2', [
              queue.name,
              event.id,
            ])
          ).rowCount,
        (n) => n === 1,
      );
      expect(inbox).toBe(1);
      expect((await channel.checkQueue(deadLetterQueueName(queue.name))).messageCount).toBe(0);
    });
  });

  it('dead-letters after the retry budget, and a business refusal at once', async () => {
    const attempts = new Map<string, number>();
    const flaky = orderPlaced();
    const refused = orderPlaced();
    const fine = [orderPlaced(), orderPlaced(), orderPlaced()];
    const fineIds = new Set(fine.map((e) => e.id));
    const handledWhileFlaky = new Set<string>();
    const handler: Handler = async (event) => {
      if (fineIds.has(event.id)) {
        handledWhileFlaky.add(event.id);
        return;
      }
      attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
      if (event.id === refused.id) throw new BusinessRuleError('no such order');
      throw new TransientError('still down');
    };
    await withConsumer(handler, async (queue) => {
      send(queue, JSON.stringify(flaky), flaky.id);
      send(queue, JSON.stringify(refused), refused.id);
      for (const event of fine) send(queue, JSON.stringify(event), event.id);
      // The others flow while the flaky one waits in its delay tiers.
      await waitFor(
        'the others to be handled',
        async () => handledWhileFlaky.size,
        (n) => n === 3,
      );
      expect(attempts.get(flaky.id) ?? 0).toBeLessThan(3);
      const letters = await drainDlq(queue, 2);
      const byId = new Map(letters.map((l) => [String(l.properties.messageId), l.properties.headers ?? {}]));
      expect(byId.get(flaky.id)).toMatchObject({
        [failureHeaders.attempts]: 3,
        [failureHeaders.errorClass]: 'SURETY_ERR_TRANSIENT',
      });
      expect(byId.get(refused.id)).toMatchObject({
        [failureHeaders.attempts]: 1,
        [failureHeaders.errorClass]: 'SURETY_ERR_BUSINESS_RULE',
      });
      // A handler may also run inside a batch that rolled back; attempts are the deliveries it failed alone.
      expect(attempts.get(flaky.id)).toBeGreaterThanOrEqual(3);
      expect(attempts.get(refused.id)).toBeGreaterThanOrEqual(1);
      const inbox = await pool.query('SELECT 1 FROM orders.inbox WHERE consumer = $1 AND message_id = ANY($2)', [
        queue.name,
        [flaky.id, refused.id],
      ]);
      expect(inbox.rowCount).toBe(0);
    });
  });

  it('absorbs a redelivered message: one effect, one inbox row', async () => {
    let effects = 0;
    await withConsumer(
      async () => void effects++,
      async (_queue, registry) => {
        const event = orderPlaced();
        for (let i = 0; i < 3; i++)
          channel.publish(EVENTS_EXCHANGE, 'order.placed', Buffer.from(JSON.stringify(event)), { messageId: event.id });
        const outcomes = await waitFor(
          'all three deliveries to be handled',
          () => outcomesOf(registry),
          (seen) => (seen.acked ?? 0) + (seen.duplicate ?? 0) === 3,
        );
        expect(outcomes).toEqual({ acked: 1, duplicate: 2 });
        expect(effects).toBe(1);
      },
    );
  });

  describe('in batches', () => {
    const effects = async (ids: string[]) =>
      (
        await pool.query<{ message_id: string }>('SELECT message_id FROM batch_effects WHERE message_id = ANY($1)', [
          ids,
        ])
      ).rows
        .map((r) => r.message_id)
        .sort();
    const recordingHandler =
      (refuse: Set<string> = new Set()): Handler =>
      async (event, ctx) => {
        await ctx.tx.query('INSERT INTO batch_effects (message_id) VALUES ($1)', [event.id]);
        if (refuse.has(event.id)) throw new BusinessRuleError('refused');
      };
    const batchSizes = async (registry: Registry) => {
      const metric = await registry.getSingleMetric('surety_consumer_batch_size')!.get();
      const named = (name: string) =>
        (metric.values as { metricName?: string; value: number }[]).find((v) => v.metricName === name)?.value ?? 0;
      return { count: named('surety_consumer_batch_size_count'), sum: named('surety_consumer_batch_size_sum') };
    };

    beforeAll(async () => {
      // No unique key: an effect applied twice shows as two rows.
      await pool.query('CREATE TABLE IF NOT EXISTS batch_effects (message_id uuid NOT NULL)');
    });

    it('isolates a refusal and a poison inside a batch; the rest commit once, in fewer transactions', async () => {
      const good = Array.from({ length: 8 }, orderPlaced);
      const refused = orderPlaced();
      const all = [...good.slice(0, 4), refused, ...good.slice(4)];
      await withConsumer(
        recordingHandler(new Set([refused.id])),
        async (queue, registry) => {
          const letters = await drainDlq(queue, 2);
          await waitFor(
            'every good message committed',
            () => effects(good.map((e) => e.id)),
            (found) => found.length === good.length,
          );
          expect(await effects(all.map((e) => e.id))).toEqual(good.map((e) => e.id).sort());
          const byId = new Map(letters.map((l) => [String(l.properties.messageId), l.properties.headers ?? {}]));
          expect(byId.get(refused.id)).toMatchObject({
            [failureHeaders.attempts]: 1,
            [failureHeaders.errorClass]: 'SURETY_ERR_BUSINESS_RULE',
          });
          expect(byId.get('poison-in-batch')).toMatchObject({ [failureHeaders.errorClass]: 'SURETY_ERR_CONTRACT' });
          const outcomes = await outcomesOf(registry);
          expect(outcomes).toEqual({ acked: 8, 'dead-lettered': 2 });
          // The ten deliveries came as one batch, or at least not one by one.
          const sizes = await batchSizes(registry);
          expect(sizes.sum).toBe(10);
          expect(sizes.count).toBeLessThan(10);
          expect((await channel.checkQueue(queue.name)).messageCount).toBe(0);
        },
        {
          prefetch: 20,
          beforeStart: async (queue) => {
            for (const event of all.slice(0, 2)) send(queue, JSON.stringify(event), event.id);
            send(queue, '{ not json', 'poison-in-batch');
            for (const event of all.slice(2)) send(queue, JSON.stringify(event), event.id);
            await waitFor(
              'the batch queued',
              async () => (await channel.checkQueue(queue.name)).messageCount,
              (n) => n === 10,
            );
          },
        },
      );
    });

    it('dedupes copies of one message inside a batch and across batches', async () => {
      const event = orderPlaced();
      const other = orderPlaced();
      await withConsumer(
        recordingHandler(),
        async (queue, registry) => {
          await waitFor(
            'all five deliveries',
            () => outcomesOf(registry),
            (o) => (o.acked ?? 0) + (o.duplicate ?? 0) === 5,
          );
          for (let i = 0; i < 2; i++) send(queue, JSON.stringify(event), event.id);
          const outcomes = await waitFor(
            'the later copies',
            () => outcomesOf(registry),
            (o) => (o.acked ?? 0) + (o.duplicate ?? 0) === 7,
          );
          expect(outcomes).toEqual({ acked: 2, duplicate: 5 });
          expect(await effects([event.id, other.id])).toEqual([event.id, other.id].sort());
          expect((await batchSizes(registry)).count).toBeLessThan(7);
        },
        {
          prefetch: 20,
          beforeStart: async (queue) => {
            for (let i = 0; i < 4; i++) send(queue, JSON.stringify(event), event.id);
            send(queue, JSON.stringify(other), other.id);
            await waitFor(
              'the copies queued',
              async () => (await channel.checkQueue(queue.name)).messageCount,
              (n) => n === 5,
            );
          },
        },
      );
    });
  });
});
