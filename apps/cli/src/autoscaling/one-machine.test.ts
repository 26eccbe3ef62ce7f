import { describe, expect, it } from 'vitest';
import { forOneMachine } from './one-machine.js';
import { hpaDefaults, kedaDefaults, type ScalingParameters } from './scaling-rule.js';

const payment: ScalingParameters = {
  ...kedaDefaults,
  ...hpaDefaults,
  consumer: 'payment',
  queueName: 'payment.orders',
  target: 20,
  minReplicas: 2,
  maxReplicas: 8,
};

describe('forOneMachine', () => {
  it('runs one replica at least and no more than the cores', () => {
    expect(forOneMachine(payment, 2)).toMatchObject({ minReplicas: 1, maxReplicas: 2, target: 20 });
    expect(forOneMachine(payment, 16)).toMatchObject({ minReplicas: 1, maxReplicas: 8 });
    expect(forOneMachine({ ...payment, minReplicas: 0 }, 2)).toMatchObject({ minReplicas: 0, maxReplicas: 2 });
    expect(forOneMachine(payment, 0).maxReplicas).toBe(1);
  });
});
