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
  type ScalableReplicas,
  type ScalingSample,
} from '../apps/cli/src/autoscaling/autoscaler.js';
import { forOneMachine } from '../apps/cli/src/autoscaling/one-machine.js';
import { readScaledObjects } from '../apps/cli/src/autoscaling/scaled-objects.js';
import type { ScalingParameters } from '../apps/cli/src/autoscaling/scaling-rule.js';
import { ReplicaSet } from '../apps/cli/src/replica-set.js';
import { Supervisor } from '../apps/cli/src/supervisor.js';
import { testEnv } from './support/env.js';
import { publishEvents } from './support/queues.js';
import { isolatedResources } from './support/stack.js';
import { waitFor } from './support/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const orders = 300;

/** A database, a vhost and a supervisor of the describe block's own, stopped and dropped after it. */
function ownStack(name: string) {
  let autoscaler: Autoscaler | undefined;
  const stack = {
    resources: undefined as unknown as Awaited<ReturnType<typeof isolatedResources>>,
    supervisor: undefined as unknown as Supervisor,
    /** Starts the autoscaler (stopped after the block) and answers the samples it takes. */
    startAutoscaler(
      parameters: ScalingParameters[],
      replicas: ScalableReplicas,
      queueLength: (queue: string) => Promise<number>,
    ): ScalingSample[] {
      const samples: ScalingSample[] = [];
      autoscaler = new Autoscaler({
        parameters,
        replicas,
        queueLength,
        registry: new Registry(),
        say: () => undefined,
        onSample: (sample) => samples.push(sample),
      });
      autoscaler.start();
      return samples;
    },
  };
  beforeAll(async () => {
    stack.resources = await isolatedResources();
    stack.supervisor = new Supervisor({
      root,
      logDir: mkdtempSync(join(tmpdir(), `surety-${name}-`)),
      say: () => undefined,
    });
  });
  afterAll(async () => {
    await autoscaler?.stop();
    await stack.supervisor.stopAll();
    await stack.resources.pool.end();
    await stack.resources.vhost.drop();
    await stack.resources.db.drop();
  });
  return stack;
}

/** fillNotificationQueue publishes an `order.confirmed` per order, and waits until the management API counts them. */
async function fillNotificationQueue(resources: Awaited<ReturnType<typeof isolatedResources>>) {
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
  return queueLength;
}

/** Polled every second, and scaling in one replica a second after a 3 s window: the test sees both directions in seconds. */
const quickly = (parameters: ScalingParameters): ScalingParameters => ({
  ...parameters,
  pollingIntervalSeconds: 1,
  scaleDown: {
    ...parameters.scaleDown,
    stabilizationWindowSeconds: 3,
    policies: [{ type: 'Pods', value: 1, periodSeconds: 1 }],
  },
});

const notificationsIn = (resources: Awaited<ReturnType<typeof isolatedResources>>) => async () =>
  (await resources.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications.notifications')).rows[0]
    ?.n ?? 0;

/**
 * The local autoscaler, end to end: a queue filled far beyond its target makes it start more
 * notification consumers, and once the queue is empty it drains them again, one SIGTERM at a time,
 * with every message handled exactly once.
 */
describe('local autoscaler', () => {
  const stack = ownStack('autoscaler');

  it('scales a consumer out on a deep queue and back in when it is empty, losing nothing', async () => {
    const { resources, supervisor } = stack;
    const queueLength = await fillNotificationQueue(resources);
    // keda/notification.yaml as written (target 250, 1..4 replicas).
    const keda = readScaledObjects(join(root, 'keda')).find((p) => p.consumer === 'notification');
    if (!keda) throw new Error('keda/notification.yaml is missing');
    const parameters = quickly(keda);
    const replicas = new ReplicaSet(supervisor, {
      // Ports 5000 above `make run`'s, clear of the drills' and the bench's.
      portOffset: 5000,
      env: () => ({ ...resources.env, PREFETCH: '1', SHUTDOWN_GRACE_MS: '10000' }),
    });
    await replicas.scaleTo('notification', 1);
    const samples = stack.startAutoscaler([parameters], replicas, queueLength);

    await waitFor(
      'a scale-out',
      async () => samples.some((s) => s.desired > 1),
      (seen) => seen,
      { timeoutMs: 60_000 },
    );
    expect(Math.max(...samples.map((s) => s.desired))).toBeLessThanOrEqual(keda.maxReplicas);

    const handled = notificationsIn(resources);
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
  const stack = ownStack('autoscaler-host');

  it('runs as many hosts as the busiest queue asks for, and drains back to one, losing nothing', async () => {
    const { resources, supervisor } = stack;
    const queueLength = await fillNotificationQueue(resources);
    // Every consumer's ScaledObject as make run adapts it to one machine.
    const parameters = readScaledObjects(join(root, 'keda')).map((keda) =>
      quickly(forOneMachine(keda, availableParallelism())),
    );
    expect(parameters.map((p) => p.consumer).sort()).toEqual(['inventory', 'notification', 'payment', 'saga']);
    const hosts = new ReplicaSet(supervisor, {
      // Ports 5600 above `make run`'s: clear of the drills', the bench's and the test above.
      portOffset: 5600,
      env: () => ({ ...resources.env, PREFETCH: '1', SHUTDOWN_GRACE_MS: '10000' }),
    });
    await hosts.scaleTo('consumers', 1);
    const samples = stack.startAutoscaler(parameters, sharedReplicas('consumers', hosts), queueLength);

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

    const handled = notificationsIn(resources);
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
