import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AppName } from '../apps.js';
import { fakeSupervisor } from '../fake-supervisor.js';
import { ReplicaSet } from '../replica-set.js';
import { Autoscaler, sharedReplicas, type ScalableReplicas } from './autoscaler.js';
import { hpaDefaults, type ScalingParameters } from './scaling-rule.js';

const payment: ScalingParameters = {
  consumer: 'payment',
  queueName: 'payment.orders',
  target: 20,
  activationTarget: 0,
  minReplicas: 1,
  maxReplicas: 8,
  pollingIntervalSeconds: 5,
  cooldownPeriodSeconds: 300,
  tolerance: 0.1,
  scaleUp: hpaDefaults.scaleUp,
  scaleDown: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [{ type: 'Pods', value: 1, periodSeconds: 5 }],
  },
};

function fakeReplicas(initial: number): ScalableReplicas & { counts: number[] } {
  let count = initial;
  const counts: number[] = [];
  return {
    counts,
    running: (app: AppName | 'consumers') => Array.from({ length: count }, (_, i) => `${app}-${i + 1}`),
    scaleTo: async (_app: AppName | 'consumers', next: number) => {
      count = next;
      counts.push(next);
    },
  };
}

describe('Autoscaler', () => {
  it('scales a consumer to its queue and exports desired and current replicas', async () => {
    const registry = new Registry();
    const replicas = fakeReplicas(1);
    let queue = 90;
    let now = 0;
    const said: string[] = [];
    const autoscaler = new Autoscaler({
      parameters: [payment],
      replicas,
      queueLength: async () => queue,
      registry,
      say: (line) => said.push(line),
      now: () => now,
    });
    const first = await autoscaler.poll(payment);
    // ceil(90 / 20) = 5, within the faster scale-up policy (four more pods per 15 s).
    expect(first).toMatchObject({ queueLength: 90, current: 1, desired: 5 });
    expect(replicas.counts).toEqual([5]);
    expect(said[0]).toMatch(/payment 1 -> 5/);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/surety_autoscaler_desired_replicas\{consumer="payment"\} 5/);
    expect(metrics).toMatch(/surety_autoscaler_current_replicas\{consumer="payment"\} 5/);

    queue = 0;
    now += 10_000;
    // One pod per 5 s down, with no stabilization window in this test's behavior.
    const after = await autoscaler.poll(payment);
    expect(after).toMatchObject({ current: 5, desired: 4 });
    await autoscaler.stop();
  });
});

describe('sharedReplicas', () => {
  /** The consumers' hosts as a ReplicaSet runs them, one host started as `make run` starts it. */
  async function oneHost() {
    const fake = fakeSupervisor({ stopsAtOnce: true });
    const replicas = new ReplicaSet(fake.supervisor, { env: () => ({}) });
    await replicas.scaleTo('consumers', 1);
    const serving = () => Object.fromEntries([...fake.running.values()].map((spec) => [spec.id, spec.env.CONSUMERS]));
    return { ...fake, replicas, serving };
  }

  it('runs the most any consumer asks for, host i serving the consumers that ask for i or more', async () => {
    const { replicas, serving, started } = await oneHost();
    const shared = sharedReplicas('consumers', replicas);
    await shared.scaleTo('payment', 3);
    expect(serving()).toEqual({
      'consumers-1': 'payment,inventory,saga,notification',
      'consumers-2': 'payment',
      'consumers-3': 'payment',
    });
    expect(shared.running('payment')).toEqual(['consumers-1', 'consumers-2', 'consumers-3']);
    expect(shared.running('saga')).toEqual(['consumers-1']);

    // saga now wants 2: host 2 lacks it, so it is replaced by one serving both.
    await shared.scaleTo('saga', 2);
    expect(serving()['consumers-2']).toBe('payment,saga');
    expect(shared.running('saga')).toEqual(['consumers-1', 'consumers-2']);
    const starts = started.length;

    // saga calms down: host 2 keeps serving it rather than restart under payment's load.
    await shared.scaleTo('saga', 1);
    expect(started).toHaveLength(starts);
    await shared.scaleTo('payment', 1);
    expect(serving()).toEqual({ 'consumers-1': 'payment,inventory,saga,notification' });
  });

  it('is asked at every poll, so a consumer content with the current count still holds it up', async () => {
    const { replicas, serving } = await oneHost();
    const saga = { ...payment, consumer: 'saga', queueName: 'saga.orders' };
    const autoscaler = new Autoscaler({
      parameters: [payment, saga],
      replicas: sharedReplicas('consumers', replicas),
      queueLength: async (queue) => (queue === 'saga.orders' ? 40 : 0),
      registry: new Registry(),
      say: () => undefined,
      now: () => 0,
    });
    // saga wants ceil(40 / 20) = 2; payment, with nothing queued, one, which does not take saga's away.
    await autoscaler.poll(saga);
    await autoscaler.poll(payment);
    expect(serving()).toEqual({
      'consumers-1': 'payment,inventory,saga,notification',
      'consumers-2': 'saga',
    });
    await autoscaler.stop();
  });
});
