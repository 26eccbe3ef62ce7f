import { describe, expect, it } from 'vitest';
import { hostsByCount } from './apps.js';
import { ReplicaSet } from './replica-set.js';
import { fakeSupervisor } from './fake-supervisor.js';

describe('ReplicaSet', () => {
  it('starts replicas on their own ports and drains the highest first', async () => {
    const { supervisor, running, draining } = fakeSupervisor();
    const replicas = new ReplicaSet(supervisor, { env: (app, id) => ({ WHO: `${app}/${id}` }) });
    await replicas.scaleTo('payment', 3);
    expect(replicas.running('payment')).toEqual(['payment-1', 'payment-2', 'payment-3']);
    expect(running.get('payment-3')?.env).toEqual({ WHO: 'payment/payment-3', PORT: '9302' });

    const scaledIn = replicas.scaleTo('payment', 1);
    expect(replicas.running('payment')).toEqual(['payment-1']);
    expect([...draining.keys()]).toEqual(['payment-2', 'payment-3']);

    // While payment-2 and -3 drain, a scale-out does not reuse their numbers (or ports).
    await replicas.scaleTo('payment', 2);
    expect(replicas.running('payment')).toEqual(['payment-1', 'payment-4']);
    for (const release of draining.values()) release();
    await scaledIn;
  });

  it('tells replicas of different apps apart', async () => {
    const { supervisor } = fakeSupervisor();
    const replicas = new ReplicaSet(supervisor, { portOffset: 4000, env: () => ({}) });
    await replicas.scaleTo('saga', 2);
    await replicas.scaleTo('relay', 1);
    expect(replicas.running('saga')).toEqual(['saga-1', 'saga-2']);
    expect(replicas.running('relay')).toEqual(['relay-1']);
  });

  it('replaces a host that lacks a consumer under its own number, however many ask at once', async () => {
    const { supervisor, running, draining, started } = fakeSupervisor();
    const replicas = new ReplicaSet(supervisor, { env: () => ({}) });
    const paymentOnly = hostsByCount((consumer) => (consumer === 'payment' ? 2 : 1));
    await replicas.scaleTo('consumers', 2, paymentOnly);
    expect(replicas.hosted('consumers-2')).toEqual(['payment']);

    // Saga asks for a second replica too: host 2 must serve it, so it is stopped and started again.
    const paymentAndSaga = hostsByCount((consumer) => (consumer === 'payment' || consumer === 'saga' ? 2 : 1));
    const first = replicas.scaleTo('consumers', 2, paymentAndSaga);
    const second = replicas.scaleTo('consumers', 2, paymentAndSaga);
    await new Promise((resolve) => setImmediate(resolve));
    // Host 3 would serve no consumer: it is never started while host 2 drains.
    expect([...running.keys()]).toEqual(['consumers-1']);
    draining.get('consumers-2')?.();
    await Promise.all([first, second]);
    expect(replicas.running('consumers')).toEqual(['consumers-1', 'consumers-2']);
    expect(replicas.hosted('consumers-2')).toEqual(['payment', 'saga']);
    expect(started.map((spec) => spec.id)).toEqual(['consumers-1', 'consumers-2', 'consumers-2']);
  });
});
