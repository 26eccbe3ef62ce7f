import { queues } from '@surety/messaging';
import { describe, expect, it } from 'vitest';
import { renderChart } from './support/helm.js';
import { operatorSecrets, operatorServices } from './support/operators.js';
import { manifestsIn, namespace, type KubeObject } from './support/repo.js';
import { appOf, byKind, podsOf } from './support/workloads.js';

interface ScaledObject extends KubeObject {
  spec: {
    scaleTargetRef: { name: string; kind?: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    advanced?: {
      horizontalPodAutoscalerConfig?: { behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } } };
    };
    triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
  };
}

interface TriggerAuthentication extends KubeObject {
  spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
}

interface HorizontalPodAutoscaler extends KubeObject {
  spec: {
    scaleTargetRef: { kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: unknown[];
  };
}

const keda = manifestsIn('keda');
const k8s = manifestsIn('k8s');
const scaledObjects = byKind<ScaledObject>(keda, 'ScaledObject');
const triggerAuthentications = byKind<TriggerAuthentication>(keda, 'TriggerAuthentication');
const consumers = Object.entries(queues);

/** The Deployments a scenario renders, by name, with the app each runs. */
function deployments(scenario: string) {
  return new Map(
    podsOf(renderChart(scenario), namespace)
      .filter((pod) => pod.owner.startsWith('Deployment/'))
      .map((pod) => [pod.owner.slice('Deployment/'.length), { pod, app: appOf(pod.spec.containers[0]!) }]),
  );
}

describe('keda/: one ScaledObject per consumer, on its own queue', () => {
  const rendered = deployments('default');

  it('every consumer the code declares a queue for has exactly one ScaledObject', () => {
    const targets = scaledObjects.map((object) => rendered.get(object.spec.scaleTargetRef.name)?.app);
    expect(targets.sort()).toEqual(consumers.map(([consumer]) => consumer).sort());
  });

  it.each(scaledObjects.map((object) => [object.metadata.name, object] as const))(
    '%s targets a Deployment the chart renders and the queue its app consumes',
    (_name, object) => {
      const target = rendered.get(object.spec.scaleTargetRef.name);
      expect(object.spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
      expect(target, `Deployment ${object.spec.scaleTargetRef.name} in the chart`).toBeDefined();
      const consumer = queues[target!.app as keyof typeof queues];
      expect(consumer, `${target!.app} is a consumer in @surety/messaging's queues`).toBeDefined();
      expect(object.spec.triggers).toHaveLength(1);
      const [trigger] = object.spec.triggers;
      expect(trigger!.type).toBe('rabbitmq');
      expect(trigger!.metadata.queueName).toBe(consumer.name);
      // Over http QueueLength counts messages held unacked in prefetch buffers too.
      expect(trigger!.metadata).toMatchObject({ protocol: 'http', mode: 'QueueLength' });
      expect(Number(trigger!.metadata.value)).toBeGreaterThan(0);
    },
  );

  it.each(scaledObjects.map((object) => [object.metadata.name, object] as const))(
    '%s reads the management API of the RabbitMQ cluster in k8s/, with credentials KEDA can resolve',
    (_name, object) => {
      const [trigger] = object.spec.triggers;
      const host = new URL(trigger!.metadata.host!);
      const [service, ns] = host.hostname.split('.');
      const management = operatorServices(k8s, namespace)
        .find((candidate) => candidate.name === service && candidate.namespace === ns)
        ?.ports.find((port) => port.name === 'management');
      expect(management?.port, `${host.host} is the operator's management port`).toBe(Number(host.port));
      expect(host.pathname, 'a trailing slash: the default vhost').toBe('/');
      const auth = triggerAuthentications.find(
        (candidate) => candidate.metadata.name === trigger!.authenticationRef?.name,
      );
      expect(auth, `TriggerAuthentication ${trigger!.authenticationRef?.name}`).toBeDefined();
    },
  );

  it('the TriggerAuthentication reads the user the RabbitMQ operator wrote', () => {
    const secrets = operatorSecrets(k8s);
    for (const auth of triggerAuthentications) {
      expect(auth.spec.secretTargetRef.map((ref) => ref.parameter).sort()).toEqual(['password', 'username']);
      for (const ref of auth.spec.secretTargetRef) expect(secrets.get(ref.name), ref.name).toContain(ref.key);
    }
  });

  it.each(scaledObjects.map((object) => [object.metadata.name, object] as const))(
    '%s keeps at least one pod, scales in slowly, and runs the chart’s replica count when KEDA is off',
    (name, object) => {
      const { minReplicaCount, maxReplicaCount } = object.spec;
      expect(minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(maxReplicaCount).toBeGreaterThan(minReplicaCount);
      const scaleDown = object.spec.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown;
      expect(scaleDown?.stabilizationWindowSeconds).toBeGreaterThanOrEqual(60);
      // With KEDA the chart leaves the replica count to the HPA KEDA creates; without, it sets one.
      expect(rendered.get(name)!.pod.replicas).toBeUndefined();
      const fixed = deployments('no-keda').get(name)!.pod.replicas;
      expect(fixed).toBeGreaterThanOrEqual(minReplicaCount);
      expect(fixed).toBeLessThanOrEqual(maxReplicaCount);
    },
  );
});

describe('the api scales on CPU with a plain HPA from the chart', () => {
  const objects = renderChart('default');
  const hpas = byKind<HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');

  it('one HPA, on the api Deployment, which leaves it the replica count', () => {
    expect(hpas.map((hpa) => hpa.spec.scaleTargetRef)).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
    ]);
    expect(hpas[0]!.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
    expect(deployments('default').get('api')!.pod.replicas).toBeUndefined();
  });

  it('nothing is scaled twice: no HPA of the chart targets a Deployment KEDA scales', () => {
    const kedaTargets = scaledObjects.map((object) => object.spec.scaleTargetRef.name);
    for (const hpa of hpas) expect(kedaTargets).not.toContain(hpa.spec.scaleTargetRef.name);
  });

  it('the minimal scenario runs one pod of everything, with no autoscaler', () => {
    const minimal = renderChart('minimal');
    expect(byKind(minimal, 'HorizontalPodAutoscaler')).toEqual([]);
    for (const [name, { pod }] of deployments('minimal')) expect(pod.replicas, name).toBe(1);
  });
});
