import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '@surety/contracts';
import { declareTopology } from '@surety/messaging';
import {
  Autoscaler,
  queueLengthReader,
  sharedReplicas,
  type ScalingSample,
} from '../apps/cli/src/autoscaling/autoscaler.js';
import { forOneMachine } from '../apps/cli/src/autoscaling/one-machine.js';
import { readScaledObjects } from '../apps/cli/src/autoscaling/scaled-objects.js';
import { ReplicaSet } from '../apps/cli/src/replica-set.js';
import { Supervisor } from '../apps/cli/src/supervisor.js';
import { testEnv } from './support/env.js';
import { publishEvents } from './support/queues.js';
import { isolatedResources } from './support/stack.js';
import { waitFor } from './support/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const orders = 300;

/**
 * The local autoscaler, end to end: a queue filled far beyond its target makes it start more
 * notification consumers, and once the queue is empty it drains them again, one SIGTERM at a time,
 * with every message handled exactly once.
 */
describe('local autoscaler', () => {
  let resources: Awaited<ReturnType<typeof isolatedResources>>;
  let supervisor: Supervisor;
  let autoscaler: Autoscaler | undefined;

  beforeAll(async () => {
    resources = await isolatedResources();
    supervisor = new Supervisor({
      root,
      logDir: mkdtempSync(join(tmpdir(), 'surety-autoscaler-')),
      say: () => undefined,
    });
  });

  afterAll(async () => {
    await autoscaler?.stop();
    await supervisor.stopAll();
    await resources.pool.end();
    await resources.vhost.drop();
    await resources.db.drop();
  });

  it('scales a consumer out on a deep queue and back in when it is empty, losing nothing', async () => {
    const connection = await amqp.connect(resources.vhost.amqpUrl);
    const channel = await connection.createConfirmChannel();
    await declareTopology(channel);
    await publishEvents(
      channel,
      Array.from({ length: orders }, (_, i) =>
        createEvent({
          type: 'order.confirmed',
          orderId: crypto.randomUUID(),
          payload: { customerId: `c-${i}`, totalCents: 650 },
        }),
      ),
    );
    await connection.close();

    // keda/notification.yaml as written (target 250, 1..4 replicas), polled every second and with a
    // short scale-down window, so the test sees both directions in seconds.
    const keda = readScaledObjects(join(root, 'keda')).find((p) => p.consumer === 'notification');
    if (!keda) throw new Error('keda/notification.yaml is missing');
    const parameters = {
      ...keda,
      pollingIntervalSeconds: 1,
      scaleDown: {
        ...keda.scaleDown,
        stabilizationWindowSeconds: 3,
        policies: [{ type: 'Pods' as const, value: 1, periodSeconds: 1 }],
      },
    };
    const replicas = new ReplicaSet(supervisor, {
      // Ports 5000 above `make run`'s, clear of the drills' and the bench's.
      portOffset: 5000,
      env: () => ({ ...resources.env, PREFETCH: '1', SHUTDOWN_GRACE_MS: '10000' }),
    });
    // The management API's counts lag by up to its stats interval: wait until it shows the backlog.
    const queueLength = queueLengthReader(testEnv.managementUrl, resources.vhost.name);
    await waitFor(
      'the backlog in the management API',
      () => queueLength('notification.orders'),
      (n) => n === orders,
      {
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    );
    await replicas.scaleTo('notification', 1);
    const samples: ScalingSample[] = [];
    autoscaler = new Autoscaler({
      parameters: [parameters],
      replicas,
      queueLength,
      registry: new Registry(),
      say: () => undefined,
      onSample: (sample) => samples.push(sample),
    });
    autoscaler.start();

    await waitFor(
      'a scale-out',
      async () => samples.some((s) => s.desired > 1),
      (seen) => seen,
      { timeoutMs: 60_000 },
    );
    expect(Math.max(...samples.map((s) => s.desired))).toBeLessThanOrEqual(keda.maxReplicas);

    const handled = async () =>
      (await resources.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications.notifications')).rows[0]
        ?.n ?? 0;
    await waitFor(`${orders} notifications`, handled, (n) => n === orders, { timeoutMs: 90_000 });
    await waitFor(
      'a scale-in to the minimum',
      async () => replicas.running('notification').length,
      (n) => n === keda.minReplicas,
      { timeoutMs: 60_000 },
    );
    expect(await handled()).toBe(orders);
    const dlq = await queueLength('notification.orders.dlq');
    expect(dlq).toBe(0);
  });
});

/**
 * The consumers together (apps/consumers, as `make run` runs them): a deep queue of one consumer
 * makes the autoscaler start another host, serving all four, and an empty one drains it again;
 * every message is handled exactly once across the hosts.
 */
describe("local autoscaler, the consumers' host", () => {
  let resources: Awaited<ReturnType<typeof isolatedResources>>;
  let supervisor: Supervisor;
  let autoscaler: Autoscaler | undefined;

  beforeAll(async () => {
    resources = await isolatedResources();
    supervisor = new Supervisor({
      root,
      logDir: mkdtempSync(join(tmpdir(), 'surety-autoscaler-host-')),
      say: () => undefined,
    });
  });

  afterAll(async () => {
    await autoscaler?.stop();
    await supervisor.stopAll();
    await resources.pool.end();
    await resources.vhost.drop();
    await resources.db.drop();
  });

  it('runs as many hosts as the busiest queue asks for, and drains back to one, losing nothing', async () => {
    const connection = await amqp.connect(resources.vhost.amqpUrl);
    const channel = await connection.createConfirmChannel();
    await declareTopology(channel);
    await publishEvents(
      channel,
      Array.from({ length: orders }, (_, i) =>
        createEvent({
          type: 'order.confirmed',
          orderId: crypto.randomUUID(),
          payload: { customerId: `c-${i}`, totalCents: 650 },
        }),
      ),
    );
    await connection.close();

    // Every consumer's ScaledObject as make run adapts it to one machine, polled every second, scaling in after 3 s.
    const parameters = readScaledObjects(join(root, 'keda')).map((keda) => ({
      ...forOneMachine(keda, availableParallelism()),
      pollingIntervalSeconds: 1,
      scaleDown: {
        ...keda.scaleDown,
        stabilizationWindowSeconds: 3,
        policies: [{ type: 'Pods' as const, value: 1, periodSeconds: 1 }],
      },
    }));
    expect(parameters.map((p) => p.consumer).sort()).toEqual(['inventory', 'notification', 'payment', 'saga']);
    const hosts = new ReplicaSet(supervisor, {
      // Ports 5600 above `make run`'s: clear of the drills', the bench's and the test above.
      portOffset: 5600,
      env: () => ({ ...resources.env, PREFETCH: '1', SHUTDOWN_GRACE_MS: '10000' }),
    });
    const queueLength = queueLengthReader(testEnv.managementUrl, resources.vhost.name);
    await waitFor(
      'the backlog in the management API',
      () => queueLength('notification.orders'),
      (n) => n === orders,
      {
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    );
    await hosts.scaleTo('consumers', 1);
    const samples: ScalingSample[] = [];
    autoscaler = new Autoscaler({
      parameters,
      replicas: sharedReplicas('consumers', hosts),
      queueLength,
      registry: new Registry(),
      say: () => undefined,
      onSample: (sample) => samples.push(sample),
    });
    autoscaler.start();

    await waitFor(
      'a second host',
      async () => hosts.running('consumers').length,
      (n) => n > 1,
      {
        timeoutMs: 60_000,
      },
    );
    // Only notification's queue was deep: the others asked for their minimum throughout.
    expect(samples.filter((s) => s.consumer !== 'notification').every((s) => s.desired <= 1)).toBe(true);
    expect(supervisor.ids().filter((id) => !id.startsWith('consumers-'))).toEqual([]);

    const handled = async () =>
      (await resources.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications.notifications')).rows[0]
        ?.n ?? 0;
    await waitFor(`${orders} notifications`, handled, (n) => n === orders, { timeoutMs: 90_000 });
    await waitFor(
      'a scale-in to one host',
      async () => hosts.running('consumers').length,
      (n) => n === 1,
      {
        timeoutMs: 60_000,
      },
    );
    expect(await handled()).toBe(orders);
    expect(await queueLength('notification.orders.dlq')).toBe(0);
  });
});
