import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readScaledObjects, scalingParametersOf } from './scaled-objects.js';

const kedaFolder = fileURLToPath(new URL('../../../../keda/', import.meta.url));

describe('readScaledObjects', () => {
  it('reads every consumer of keda/ with its queue, bounds and behavior', () => {
    const all = readScaledObjects(kedaFolder);
    expect(all.map((p) => p.consumer).sort()).toEqual(['inventory', 'notification', 'payment', 'saga']);
    const payment = all.find((p) => p.consumer === 'payment')!;
    expect(payment).toMatchObject({
      queueName: 'payment.orders',
      target: 100,
      minReplicas: 2,
      maxReplicas: 8,
      pollingIntervalSeconds: 5,
      tolerance: 0.1,
    });
    expect(payment.scaleDown).toEqual({
      stabilizationWindowSeconds: 120,
      selectPolicy: 'Min',
      policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
    });
  });

  it('fills in the KEDA and HPA defaults', () => {
    const bare = scalingParametersOf(
      {
        kind: 'ScaledObject',
        spec: {
          scaleTargetRef: { name: 'saga' },
          triggers: [{ type: 'rabbitmq', metadata: { queueName: 'saga.results', value: '50' } }],
        },
      },
      'bare.yaml',
    );
    expect(bare).toMatchObject({ minReplicas: 0, maxReplicas: 100, pollingIntervalSeconds: 30, activationTarget: 0 });
    expect(bare.cooldownPeriodSeconds).toBe(300);
    expect(bare.scaleDown.stabilizationWindowSeconds).toBe(300);
  });

  it('refuses triggers it cannot evaluate', () => {
    expect(() =>
      scalingParametersOf(
        {
          spec: {
            scaleTargetRef: { name: 'x' },
            triggers: [{ type: 'rabbitmq', metadata: { queueName: 'q', mode: 'MessageRate', value: '1' } }],
          },
        },
        'rate.yaml',
      ),
    ).toThrow(/QueueLength/);
  });
});
