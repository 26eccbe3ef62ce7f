import { describe, expect, it } from 'vitest';
import {
  decideReplicas,
  emptyMemory,
  hpaDefaults,
  recommendReplicas,
  recordChange,
  scaleDownLimit,
  scaleUpLimit,
  stabilize,
  type ScalerMemory,
  type ScalingParameters,
} from './scaling-rule.js';

const payment: ScalingParameters = {
  consumer: 'payment',
  queueName: 'payment.orders',
  target: 20,
  activationTarget: 0,
  minReplicas: 2,
  maxReplicas: 8,
  pollingIntervalSeconds: 5,
  cooldownPeriodSeconds: 300,
  tolerance: 0.1,
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 15 },
      { type: 'Pods', value: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 120,
    selectPolicy: 'Min',
    policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
  },
};

/** poll runs the autoscaler over a series of queue lengths, one poll interval apart, applying each decision. */
function poll(p: ScalingParameters, queueLengths: number[], start = { replicas: p.minReplicas, atMs: 0 }) {
  let memory: ScalerMemory = emptyMemory();
  let replicas = start.replicas;
  const seen: number[] = [];
  queueLengths.forEach((queueLength, i) => {
    const nowMs = start.atMs + i * p.pollingIntervalSeconds * 1000;
    const decision = decideReplicas(p, memory, { nowMs, queueLength, currentReplicas: replicas });
    memory = recordChange(decision.memory, nowMs, replicas, decision.desired);
    replicas = decision.desired;
    seen.push(replicas);
  });
  return seen;
}

describe('recommendReplicas', () => {
  it('is ceil(queue / target): the reference example, 45 messages at 20 each from 1 replica, is 3', () => {
    expect(recommendReplicas(45, 20, 1, 0.1)).toBe(3);
    expect(recommendReplicas(41, 20, 1, 0.1)).toBe(3);
    expect(recommendReplicas(0, 20, 4, 0.1)).toBe(0);
  });

  it('keeps the current count while usage is within 10 % of the target', () => {
    expect(recommendReplicas(42, 20, 2, 0.1)).toBe(2); // ratio 1.05
    expect(recommendReplicas(36, 20, 2, 0.1)).toBe(2); // ratio 0.9, on the edge
    expect(recommendReplicas(35, 20, 2, 0.1)).toBe(2); // ratio 0.875: ceil(1.75) is still 2
    expect(recommendReplicas(45, 20, 2, 0.1)).toBe(3); // ratio 1.125
    expect(recommendReplicas(34, 20, 2, 0.1)).toBe(2);
    expect(recommendReplicas(19, 20, 2, 0.1)).toBe(1);
  });
});

describe('stabilize', () => {
  const windows = { upSeconds: 0, downSeconds: 120 };
  it('scales down only to the highest recommendation of the window', () => {
    const history = [
      { atMs: 0, replicas: 6 },
      { atMs: 60_000, replicas: 3 },
    ];
    expect(stabilize(6, 1, history, 100_000, windows)).toBe(6);
    expect(stabilize(6, 1, history, 125_000, windows)).toBe(3);
    expect(stabilize(6, 1, history, 181_000, windows)).toBe(1);
  });

  it('scales up to the lowest recommendation of the up window', () => {
    const history = [{ atMs: 0, replicas: 2 }];
    expect(stabilize(2, 6, history, 10_000, { upSeconds: 30, downSeconds: 0 })).toBe(2);
    expect(stabilize(2, 6, history, 31_000, { upSeconds: 30, downSeconds: 0 })).toBe(6);
  });
});

describe('rate policies', () => {
  it('scale up by the larger of doubling and four pods per 15 s, counted from the period start', () => {
    expect(scaleUpLimit(2, payment.scaleUp, [], 0)).toBe(6);
    expect(scaleUpLimit(8, payment.scaleUp, [], 0)).toBe(16);
    expect(scaleUpLimit(6, payment.scaleUp, [{ atMs: 0, delta: 4 }], 10_000)).toBe(6);
    expect(scaleUpLimit(6, payment.scaleUp, [{ atMs: 0, delta: 4 }], 16_000)).toBe(12);
  });

  it('scale down one pod per minute; the defaults allow all at once', () => {
    expect(scaleDownLimit(6, payment.scaleDown, [], 0)).toBe(5);
    expect(scaleDownLimit(5, payment.scaleDown, [{ atMs: 0, delta: -1 }], 30_000)).toBe(5);
    expect(scaleDownLimit(5, payment.scaleDown, [{ atMs: 0, delta: -1 }], 61_000)).toBe(4);
    expect(scaleDownLimit(6, hpaDefaults.scaleDown, [], 0)).toBe(0);
  });

  it('Disabled forbids any change', () => {
    const disabled = { ...payment.scaleUp, selectPolicy: 'Disabled' as const };
    expect(scaleUpLimit(3, disabled, [], 0)).toBe(3);
  });
});

describe('decideReplicas', () => {
  it('never goes below min or above max', () => {
    expect(poll(payment, [0, 0, 0])).toEqual([2, 2, 2]);
    expect(poll(payment, [10_000, 10_000, 10_000, 10_000, 10_000])).toEqual([6, 6, 6, 8, 8]);
  });

  it('scales out at once and in one pod a minute after two quiet minutes', () => {
    const busy = Array<number>(4).fill(160); // 8 replicas' worth
    const quiet = Array<number>(60).fill(0); // five minutes of polls every 5 s
    const seen = poll(payment, [...busy, ...quiet]);
    expect(seen.slice(0, 4)).toEqual([6, 6, 6, 8]);
    const firstDown = seen.indexOf(7);
    // The last busy recommendation (8, poll 3) leaves the 120 s window 24 polls later.
    expect(firstDown).toBe(3 + 24);
    expect(seen[firstDown + 11]).toBe(7);
    expect(seen[firstDown + 12]).toBe(6);
    expect(seen.at(-1)).toBe(4);
  });

  it('holds steady inside the tolerance', () => {
    expect(poll(payment, [80, 84, 76, 80], { replicas: 4, atMs: 0 })).toEqual([4, 4, 4, 4]);
  });

  it('activates from zero only above the activation value, and returns to zero after the cooldown', () => {
    const fromZero = { ...payment, minReplicas: 0, activationTarget: 5, cooldownPeriodSeconds: 30 };
    expect(poll(fromZero, [5], { replicas: 0, atMs: 0 })).toEqual([0]);
    expect(poll(fromZero, [6], { replicas: 0, atMs: 0 })).toEqual([1]);
    const seen = poll(fromZero, [6, 0, 0, 0, 0, 0, 0, 0], { replicas: 0, atMs: 0 });
    expect(seen).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('explains each decision', () => {
    const decision = decideReplicas(payment, emptyMemory(), { nowMs: 0, queueLength: 45, currentReplicas: 2 });
    expect(decision.desired).toBe(3);
    expect(decision.reason).toMatch(/queue 45, target 20, 2 running/);
  });
});
