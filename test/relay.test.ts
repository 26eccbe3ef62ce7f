import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import amqp from 'amqplib';
import { createEvent } from '@surety/contracts';
import { appendToOutbox, withTransaction } from '@surety/db';
import { prepareOutboxSlot } from '@surety/db/outbox-changes';
import { declareTopology, queues } from '@surety/messaging';
import { loadRelayConfig, startRelay, type RelayService } from '@surety/relay';
import { randomUUID } from 'node:crypto';
import { spawnProcess } from './support/processes.js';
import { isolatedResources } from './support/stack.js';
import { waitFor } from './support/wait.js';

let resources: Awaited<ReturnType<typeof isolatedResources>>;
const relays: RelayService[] = [];

beforeAll(async () => {
  resources = await isolatedResources({ RELAY_BATCH_SIZE: '25', RELAY_POLL_INTERVAL_MS: '50' });
  // Each test may run alone: the queue it reads exists before any relay has run.
  const connection = await amqp.connect(resources.vhost.amqpUrl);
  await declareTopology(await connection.createChannel(), [queues.payment]);
  await connection.close();
});
// A failed test leaves no relay running into the next.
afterEach(stopRelays);
afterAll(async () => {
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
            appendToOutbox(tx, 'orders', event);
          }
        });
      }
    }),
  );
  return ids;
}

/** consumePayments counts, per messageId, what reaches the payment queue. */
async function consumePayments() {
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
  return {
    received,
    close: async () => {
      await channel.close();
      await connection.close();
    },
  };
}

type Consumer = Awaited<ReturnType<typeof consumePayments>>;

/** arrived waits until every one of `ids` has reached the consumer at least once. */
async function arrived(what: string, consumer: Consumer, ids: readonly string[], timeoutMs?: number): Promise<void> {
  await waitFor(
    what,
    async () => ids.filter((id) => consumer.received.has(id)).length,
    (n) => n === ids.length,
    timeoutMs === undefined ? {} : { timeoutMs },
  );
}

/** unpublishedRows counts the outbox rows no relay or writer has marked published. */
async function unpublishedRows(): Promise<number | undefined> {
  const result = await resources.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders.outbox WHERE status <> 'published'`,
  );
  return result.rows[0]?.n;
}

async function publishedBatches(relay: RelayService): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  return Number(/surety_relay_publish_batch_size_count\{[^}]*schema="orders"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
}

async function stopRelays(): Promise<void> {
  for (const relay of relays.splice(0)) await relay.stop();
}

describe.each(['polling', 'cdc'] as const)('two %s relays on one outbox', (mode) => {
  it('publish every row, lose none, and leave nothing unpublished', async () => {
    const env = { ...resources.env, RELAY_SCHEMAS: 'orders', RELAY_MODE: mode };
    relays.push(await startRelay(loadRelayConfig(env)), await startRelay(loadRelayConfig(env)));
    const consumer = await consumePayments();
    const before = await resources.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders.outbox');

    const written = await writeEvents(1500, 6);
    await arrived('every written event to arrive', consumer, written, 60_000);
    await consumer.close();

    expect(new Set(written).size).toBe(1500);
    const rows = await resources.pool.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM orders.outbox GROUP BY status',
    );
    expect(rows.rows).toEqual([{ status: 'published', n: before.rows[0]!.n + 1500 }]);
    const batches = await Promise.all(relays.map(publishedBatches));
    if (mode === 'polling') {
      // Claims skip what the other holds: both relays share the work.
      expect(batches.every((n) => n > 0)).toBe(true);
    } else {
      // One reader at a time holds a slot: the other stands by.
      expect(batches.filter((n) => n > 0)).toHaveLength(1);
    }
    await stopRelays();
  });
});

describe('the CDC relay', () => {
  // The table sweep beside the stream waits an hour: whatever arrives came from the slot, or from
  // the backlog a new slot publishes.
  const env = () => ({ ...resources.env, RELAY_SCHEMAS: 'orders', RELAY_MODE: 'cdc', RELAY_SWEEP_AFTER_MS: '3600000' });

  async function slot() {
    const { rows } = await resources.pool.query<{ active: boolean; lag: number }>(
      `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag
         FROM pg_replication_slots WHERE slot_name = $1`,
      [resources.env.RELAY_CDC_SLOT],
    );
    return rows[0];
  }

  it('hands its slot to the relay standing by when it stops, and nothing is lost', async () => {
    const consumer = await consumePayments();
    const first = await startRelay(loadRelayConfig(env()));
    const standby = await startRelay(loadRelayConfig(env()));
    relays.push(standby);
    const early = await writeEvents(300, 3);
    await arrived('the first events to arrive', consumer, early);
    await first.stop();
    const late = await writeEvents(300, 3);
    await arrived('the standby to relay the rest', consumer, late, 30_000);
    expect(await publishedBatches(standby)).toBeGreaterThan(0);
    expect((await slot())?.active).toBe(true);
    // The gauges read the real slot: what it holds, and what the primary may still write before
    // max_slot_wal_keep_size (1 GB in scripts/infra.sh) invalidates it.
    const metrics = await (await fetch(`${standby.url}/metrics`)).text();
    const gauge = (name: string) =>
      Number(new RegExp(`${name}\\{[^}]*slot="${resources.env.RELAY_CDC_SLOT}"[^}]*\\} (\\S+)`).exec(metrics)?.[1]);
    expect(gauge('surety_replication_slot_lag_bytes')).toBeGreaterThanOrEqual(0);
    expect(gauge('surety_replication_slot_safe_wal_bytes')).toBeGreaterThan(0);
    // Postgres counts it from whole WAL segments: up to one segment (16 MiB) past the limit.
    expect(gauge('surety_replication_slot_safe_wal_bytes')).toBeLessThanOrEqual(1024 ** 3 + 16 * 1024 ** 2);
    await consumer.close();
    await stopRelays();
  });

  it('reads again from the slot when more is written than it may hold, and loses nothing', async () => {
    const consumer = await consumePayments();
    relays.push(await startRelay(loadRelayConfig({ ...env(), RELAY_CDC_BUFFER_ROWS: '10' })));
    const written = await writeEvents(400, 4);
    await arrived('every row to arrive through a buffer of 10', consumer, written, 60_000);
    await waitFor('every row marked', unpublishedRows, (n) => n === 0);
    await consumer.close();
  });

  it('publishes from the table what a new slot cannot stream: rows written while it had none', async () => {
    await resources.pool.query('SELECT pg_drop_replication_slot($1)', [resources.env.RELAY_CDC_SLOT]);
    const unstreamed = await writeEvents(200, 2);
    const consumer = await consumePayments();
    relays.push(await startRelay(loadRelayConfig(env())));
    await arrived('the rows written before the slot to arrive', consumer, unstreamed, 30_000);
    const streamed = await writeEvents(200, 2);
    await arrived('rows written after it to stream', consumer, streamed);
    expect(await unpublishedRows()).toBe(0);
    await consumer.close();
    await stopRelays();
  });

  it('killed after the broker confirmed a batch and before it confirmed the slot, its successor sends that batch again', async () => {
    // The slot exists before the crash: what is lost with the relay was read from it.
    await prepareOutboxSlot(resources.pool, resources.env.RELAY_CDC_SLOT!);
    const consumer = await consumePayments();
    const crashing = spawnProcess('apps/relay/src/main.ts', {
      ...env(),
      PORT: '0',
      SURETY_FAILPOINTS: 'relay.after-publish-before-mark=crash',
    });
    // However the test ends, the spawned relay does not outlive it.
    onTestFinished(() => {
      crashing.child.kill('SIGKILL');
    });
    const written = await writeEvents(50, 1);
    expect(await crashing.exited).toBe('SIGKILL');
    await waitFor(
      'the crashed batch on the broker',
      async () => written.filter((id) => consumer.received.has(id)).length,
      (n) => n > 0,
      { timeoutMs: 60_000 },
    );
    const crashedBatch = written.filter((id) => consumer.received.has(id));
    const lagBefore = (await slot())?.lag ?? 0;
    relays.push(await startRelay(loadRelayConfig(env())));
    await arrived('every row to arrive', consumer, written, 30_000);
    // What the crashed relay published and never confirmed to the slot came again, from the slot.
    await waitFor(
      'the crashed batch to come again',
      async () => crashedBatch.filter((id) => (consumer.received.get(id) ?? 0) > 1).length,
      (n) => n === crashedBatch.length,
    );
    expect(await unpublishedRows()).toBe(0);
    await waitFor(
      'the slot to catch up',
      async () => (await slot())?.lag ?? Infinity,
      (lag) => lag < lagBefore,
    );
    await consumer.close();
    await stopRelays();
  });
});
