import type { V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { drills } from '../catalogue.js';
import { clusterFaultOf } from './mapping.js';
import {
  clusterDeployments,
  containerEnv,
  drillSettings,
  envPatch,
  rolloutComplete,
  withSettings,
  type JsonPatchOperation,
} from './settings.js';

const byName = (name: string) => drills.find((d) => d.name === name)!;

/** The payment Deployment as the chart renders it, trimmed to what the patch touches. */
function paymentDeployment(): V1Deployment {
  return {
    metadata: { name: 'payment', generation: 4 },
    spec: {
      replicas: 2,
      selector: {},
      template: {
        spec: {
          containers: [
            {
              name: 'payment',
              env: [
                { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'surety-pg-app', key: 'uri' } } },
                { name: 'PORT', value: '9102' },
                { name: 'PREFETCH', value: '10' },
              ],
            },
          ],
        },
      },
    },
  };
}

/** apply plays a JSON patch the way the API server would, for the operations envPatch emits. */
function apply(deployment: V1Deployment, patch: JsonPatchOperation[]): V1Deployment {
  const result = structuredClone(deployment) as unknown as Record<string, unknown>;
  for (const operation of patch) {
    const keys = operation.path.slice(1).split('/');
    const last = keys.pop()!;
    const parent = keys.reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, result);
    if (operation.op === 'test') expect(parent[last]).toEqual(operation.value);
    else if (operation.op === 'remove') delete parent[last];
    else parent[last] = operation.value;
  }
  return result;
}

describe('drillSettings', () => {
  it('takes the drill’s own env for its Deployments', () => {
    expect(drillSettings(byName('payment-crash-before-commit'), { gatewayIgnoresKeys: false })).toEqual({
      payment: { SURETY_FAILPOINTS: 'payment.after-charge-before-commit=crash:0.1' },
    });
    const relayCrash = drillSettings(byName('relay-crash-after-publish'), { gatewayIgnoresKeys: false });
    expect(relayCrash.relay).toEqual({
      OUTBOX_DISPATCH: 'relay',
      SURETY_FAILPOINTS: 'relay.after-publish-before-mark=crash:0.2',
    });
    expect(relayCrash.api).toEqual({ OUTBOX_DISPATCH: 'relay' });
  });

  it('writes settings for every app into every Deployment, and the contrast into the gateway', () => {
    const settings = drillSettings(byName('postgres-restart'), { gatewayIgnoresKeys: true });
    expect(Object.keys(settings).sort()).toEqual([...clusterDeployments].sort());
    expect(settings.relay).toMatchObject({ RETRY_BUDGET: '10' });
    expect(settings.gateway?.GATEWAY_HONOUR_IDEMPOTENCY_KEYS).toBe('false');
  });

  it('asks nothing of a drill without settings', () => {
    expect(drillSettings(byName('gateway-outage'), { gatewayIgnoresKeys: false })).toEqual({});
  });
});

describe('withSettings', () => {
  it('writes over a variable in its place and appends a new one, leaving the rest', () => {
    const env: V1EnvVar[] = [
      { name: 'A', value: '1' },
      { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    ];
    expect(withSettings(env, { A: '2', C: '3' })).toEqual([
      { name: 'A', value: '2' },
      { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      { name: 'C', value: '3' },
    ]);
    expect(env[0]).toEqual({ name: 'A', value: '1' });
  });
});

describe('envPatch', () => {
  it('tests the container’s name, then sets its env', () => {
    const deployment = paymentDeployment();
    const env = withSettings(containerEnv(deployment, 'payment')!, { SURETY_FAILPOINTS: 'x=crash' });
    expect(envPatch(deployment, 'payment', env)).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'payment' },
      { op: 'add', path: '/spec/template/spec/containers/0/env', value: env },
    ]);
  });

  it('arms a drill’s failpoint, heals it, and restores the env exactly as it was', () => {
    const original = paymentDeployment();
    const before = containerEnv(original, 'payment');
    const settings = drillSettings(byName('payment-crash-before-commit'), { gatewayIgnoresKeys: false });
    const armed = apply(original, envPatch(original, 'payment', withSettings(before!, settings.payment!)));
    expect(containerEnv(armed, 'payment')).toContainEqual({
      name: 'SURETY_FAILPOINTS',
      value: 'payment.after-charge-before-commit=crash:0.1',
    });
    const fault = clusterFaultOf('payment-crash-before-commit');
    if (fault.kind !== 'settings') throw new Error('a settings fault');
    const healed = apply(
      armed,
      envPatch(armed, 'payment', withSettings(containerEnv(armed, 'payment')!, fault.heal.payment!)),
    );
    expect(containerEnv(healed, 'payment')).toContainEqual({ name: 'SURETY_FAILPOINTS', value: '' });
    const restored = apply(healed, envPatch(healed, 'payment', before));
    expect(restored).toEqual(original);
  });

  it('removes an env the container did not have, and refuses a container that is not there', () => {
    const bare = paymentDeployment();
    delete bare.spec!.template.spec!.containers[0]!.env;
    const armed = apply(bare, envPatch(bare, 'payment', [{ name: 'A', value: '1' }]));
    expect(apply(armed, envPatch(armed, 'payment', undefined))).toEqual(bare);
    expect(envPatch(bare, 'payment', undefined)).toEqual([]);
    expect(() => envPatch(bare, 'relay', [])).toThrow(/no container relay/);
  });
});

describe('rolloutComplete', () => {
  const withStatus = (status: V1Deployment['status'], generation = 4): V1Deployment => ({
    ...paymentDeployment(),
    metadata: { name: 'payment', generation },
    status,
  });

  it('is complete when the latest spec is observed and every replica updated and available', () => {
    expect(
      rolloutComplete(withStatus({ observedGeneration: 4, replicas: 2, updatedReplicas: 2, availableReplicas: 2 })),
    ).toBe(true);
  });

  it('waits for the controller, for updated replicas, for old replicas to go, and for availability', () => {
    expect(
      rolloutComplete(withStatus({ observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 })),
    ).toBe(false);
    expect(
      rolloutComplete(withStatus({ observedGeneration: 4, replicas: 2, updatedReplicas: 1, availableReplicas: 2 })),
    ).toBe(false);
    expect(
      rolloutComplete(withStatus({ observedGeneration: 4, replicas: 3, updatedReplicas: 2, availableReplicas: 3 })),
    ).toBe(false);
    expect(
      rolloutComplete(withStatus({ observedGeneration: 4, replicas: 2, updatedReplicas: 2, availableReplicas: 1 })),
    ).toBe(false);
  });
});
