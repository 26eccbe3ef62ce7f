import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { declareTopology } from '@surety/messaging';
import { Cleanup } from '../../apps/cli/src/drills/kubernetes/cleanup.js';
import { manifestsIn, type KubeObject } from '../manifests/support/repo.js';
import { byKind } from '../manifests/support/workloads.js';
import { management, testEnv } from '../support/env.js';
import { createTestVhost } from '../support/isolation.js';
import {
  deleteNamespace,
  ensureNamespace,
  kubectl,
  kubectlJson,
  kubectlRun,
  prepareControlPlane,
  removeExternalMetricsApi,
} from './support/cluster.js';
import {
  adapterDnsName,
  deleteCrds,
  externalMetricsApiAvailable,
  installMissingKedaCrds,
  registerExternalMetricsApi,
  requireFrontProxy,
  startAdapter,
  startOperator,
  writeCertificates,
  type KedaProcess,
} from './support/keda.js';

// keda/ for real: KEDA's operator and metrics adapter, built from the Go module proxy, run out of
// cluster against the local API server. The shipped ScaledObjects and TriggerAuthentication are
// applied to a namespace of the test, only the trigger's host changed (to the local broker's
// management API and a vhost of the test's own). kube-controller-manager's HPA controller reads
// the metric through the aggregation layer, and kwok makes the scaled pods Ready.
const ns = 'surety-keda';
const timeoutMs = 180_000;

interface RabbitTrigger {
  type: 'rabbitmq';
  metadata: { host: string; queueName: string; value: string } & Record<string, string>;
  authenticationRef: { name: string };
}

interface ScaledObject extends KubeObject {
  spec: {
    scaleTargetRef: { name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    advanced?: { horizontalPodAutoscalerConfig?: { behavior?: unknown } };
    triggers: RabbitTrigger[];
  };
}

interface TriggerAuthentication extends KubeObject {
  spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
}

interface Condition {
  type: string;
  status: string;
  message?: string;
}

interface HorizontalPodAutoscaler {
  spec: {
    scaleTargetRef: { kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: {
      type: string;
      external?: {
        metric: { name: string; selector?: { matchLabels?: Record<string, string> } };
        target: { type: string; averageValue?: string };
      };
    }[];
    behavior?: unknown;
  };
  status: { desiredReplicas?: number; conditions?: Condition[] };
}

const shipped = manifestsIn('keda');
const scaledObjects = byKind<ScaledObject>(shipped, 'ScaledObject');
const [triggerAuthentication] = byKind<TriggerAuthentication>(shipped, 'TriggerAuthentication');

function rabbitTrigger(scaledObject: ScaledObject): RabbitTrigger {
  const trigger = scaledObject.spec.triggers.find((candidate) => candidate.type === 'rabbitmq');
  if (!trigger) throw new Error(`${scaledObject.source} has no rabbitmq trigger`);
  return trigger;
}

/** quantity reads a Kubernetes quantity as the API server writes a plain number: `100`, `1500m`. */
function quantity(value: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(value ?? '');
  if (!match) throw new Error(`not a plain quantity: ${value}`);
  return Number(match[1]) / (match[2] ? 1000 : 1);
}

/** KEDA names a trigger's metric by its index, its type and its queue: s0-rabbitmq-payment-orders. */
function externalMetricName(trigger: RabbitTrigger): string {
  return `s0-rabbitmq-${trigger.metadata.queueName.replace(/[^a-z0-9]/gi, '-')}`;
}

/** The shipped object as the test applies it: in its namespace, without the parser's bookkeeping. */
function inTestNamespace({ source: _source, ...manifest }: KubeObject): Record<string, unknown> {
  return { ...manifest, metadata: { ...manifest.metadata, namespace: ns } };
}

/** The overlay: the rabbitmq trigger's host is the local management API, at the test's vhost. */
function pointedAt(scaledObject: ScaledObject, host: string) {
  const triggers = scaledObject.spec.triggers.map((trigger) =>
    trigger.type === 'rabbitmq' ? { ...trigger, metadata: { ...trigger.metadata, host } } : trigger,
  );
  return { ...inTestNamespace(scaledObject), spec: { ...scaledObject.spec, triggers } };
}

/** The Secrets the TriggerAuthentication reads, each key filled with the value of the parameter it is for. */
function secretsFor(authentication: TriggerAuthentication, parameters: Record<string, string>) {
  const secrets = new Map<string, Record<string, string>>();
  for (const { name, key, parameter } of authentication.spec.secretTargetRef) {
    const value = parameters[parameter];
    if (value === undefined) throw new Error(`${authentication.source} asks for ${parameter}, which the test lacks`);
    secrets.set(name, { ...secrets.get(name), [key]: value });
  }
  return [...secrets].map(([name, stringData]) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    stringData,
  }));
}

/** A Deployment for a scaleTargetRef to resolve: kwok makes its pods Ready; nothing runs. */
function targetDeployment(name: string) {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name, image: 'surety/surety:0.1.0' }] } },
    },
  };
}

function apply(objects: unknown[]): void {
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  kubectl(['apply', '--server-side', '--field-manager', 'surety-tests', '-f', '-'], JSON.stringify(list));
}

function hpaOf(scaledObject: ScaledObject): HorizontalPodAutoscaler {
  return kubectlJson<HorizontalPodAutoscaler>(['get', 'hpa', `keda-hpa-${scaledObject.metadata.name}`, '-n', ns]);
}

function conditionOf(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

function scaledObjectCondition(scaledObject: ScaledObject, type: string): Condition | undefined {
  const stored = kubectlJson<{ status?: { conditions?: Condition[] } }>([
    'get',
    'scaledobject',
    scaledObject.metadata.name,
    '-n',
    ns,
  ]);
  return conditionOf(stored.status?.conditions, type);
}

/** The external metric as the HPA controller reads it: through the API server's aggregation layer. */
function servedMetric(scaledObject: ScaledObject): number {
  const selector = encodeURIComponent(`scaledobject.keda.sh/name=${scaledObject.metadata.name}`);
  const metric = externalMetricName(rabbitTrigger(scaledObject));
  const url = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns}/${metric}?labelSelector=${selector}`;
  const list = JSON.parse(kubectl(['get', '--raw', url])) as { items: { value: string }[] };
  return list.items.reduce((sum, item) => sum + quantity(item.value), 0);
}

function deploymentReplicas(name: string): { wanted?: number; ready?: number } {
  const deployment = kubectlJson<{ spec: { replicas?: number }; status: { readyReplicas?: number } }>([
    'get',
    'deployment',
    name,
    '-n',
    ns,
  ]);
  return { wanted: deployment.spec.replicas, ready: deployment.status.readyReplicas };
}

const isStatus = (status: string) => (condition: Condition | undefined) => condition?.status === status;

/** KEDA objects whose finalizer no operator will remove (an interrupted run's) would hold their namespace forever. */
function clearKedaFinalizers(): void {
  const names = kubectlRun(['get', 'scaledobjects,triggerauthentications', '-n', ns, '-o', 'name']).stdout;
  for (const name of names.split('\n').filter(Boolean)) {
    kubectlRun(['patch', name, '-n', ns, '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
  }
}

describe('keda/ for real: KEDA v2.21 out of cluster against the local API server and RabbitMQ', () => {
  const cleanup = new Cleanup((line) => console.error(line));
  const processes: KedaProcess[] = [];
  let channel: amqp.ConfirmChannel;
  const payment = scaledObjects.find((scaledObject) => scaledObject.metadata.name === 'payment')!;

  /** fill puts `count` messages on a ScaledObject's queue and waits for the broker's confirms. */
  async function fill(scaledObject: ScaledObject, count: number): Promise<void> {
    const queue = rabbitTrigger(scaledObject).metadata.queueName;
    for (let index = 0; index < count; index++) channel.sendToQueue(queue, Buffer.from('{}'), { persistent: true });
    await channel.waitForConfirms();
  }

  async function empty(scaledObject: ScaledObject): Promise<void> {
    await channel.purgeQueue(rabbitTrigger(scaledObject).metadata.queueName);
  }

  /**
   * eventually polls `read` until `accept` takes its value; on timeout the message shows the last
   * value read. A KEDA process that has exited fails it at once, with the end of its log.
   */
  async function eventually<T>(what: string, read: () => T, accept: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last = 'nothing yet';
    for (;;) {
      for (const keda of processes) keda.requireRunning();
      try {
        const value = read();
        if (accept(value)) return value;
        last = JSON.stringify(value);
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s; last read: ${last}`);
      await sleep(1_000);
    }
  }

  function printLogs(): void {
    for (const keda of processes) console.error(`--- the end of ${keda.logFile}:\n${keda.logTail(60)}`);
  }

  beforeAll(async () => {
    prepareControlPlane();
    requireFrontProxy();
    const overview = await management('/overview').catch((error: unknown) => {
      throw new Error(`RabbitMQ management is not reachable at ${testEnv.managementUrl}: run scripts/infra.sh up`, {
        cause: error,
      });
    });
    if (!overview.ok) throw new Error(`RabbitMQ management answered ${overview.status}: run scripts/infra.sh up`);
    expect(scaledObjects.map((scaledObject) => scaledObject.metadata.name)).toContain('payment');
    expect(triggerAuthentication).toBeDefined();

    // What an interrupted earlier run left (prepareControlPlane removed its APIService).
    clearKedaFinalizers();
    deleteNamespace(ns);

    const crds = installMissingKedaCrds();
    cleanup.push(async () => deleteCrds(crds));
    ensureNamespace(ns);
    cleanup.push(async () => {
      clearKedaFinalizers();
      deleteNamespace(ns);
    });

    // A vhost of the test's own, every queue declared as the consumers declare it. The connection
    // stays open: a vhost with none is what another run's sweep deletes as stale.
    const vhost = await createTestVhost();
    cleanup.push(() => vhost.drop());
    const connection = await amqp.connect(vhost.amqpUrl);
    cleanup.push(() => connection.close());
    channel = await connection.createConfirmChannel();
    await declareTopology(channel);

    const certificates = writeCertificates(mkdtempSync(path.join(os.tmpdir(), 'surety-keda-')), adapterDnsName(ns));
    cleanup.push(async () => rmSync(certificates.directory, { recursive: true, force: true }));
    try {
      const operator = await startOperator(ns, certificates);
      processes.push(operator.process);
      cleanup.push(() => operator.process.stop());
      const adapter = await startAdapter(ns, certificates, operator);
      processes.push(adapter.process);
      cleanup.push(() => adapter.process.stop());
      registerExternalMetricsApi(ns, adapter, certificates);
      cleanup.push(async () => removeExternalMetricsApi());
      await eventually(
        'the APIService v1beta1.external.metrics.k8s.io Available',
        externalMetricsApiAvailable,
        (api) => api.available,
      );

      const managementUrl = new URL(testEnv.managementUrl);
      const credentials = {
        username: decodeURIComponent(managementUrl.username),
        password: decodeURIComponent(managementUrl.password),
      };
      const host = `${managementUrl.origin}/${encodeURIComponent(vhost.name)}`;
      apply([
        ...secretsFor(triggerAuthentication!, credentials),
        inTestNamespace(triggerAuthentication!),
        ...scaledObjects.map((scaledObject) => targetDeployment(scaledObject.spec.scaleTargetRef.name)),
        ...scaledObjects.map((scaledObject) => pointedAt(scaledObject, host)),
      ]);
      // Deleted while the operator runs, so that it removes its own finalizers.
      cleanup.push(async () => {
        kubectl(['delete', 'scaledobjects,triggerauthentications', '--all', '-n', ns, '--wait', '--timeout', '60s']);
      });
    } catch (error) {
      printLogs();
      throw error;
    }
  });

  beforeEach(({ onTestFailed }) => onTestFailed(printLogs));

  afterAll(() => cleanup.run());

  it.each(scaledObjects.map((scaledObject) => [scaledObject.metadata.name, scaledObject] as const))(
    '%s: KEDA creates its HPA with the external metric, the target, the bounds and the behaviour of keda/, and the HPA reads the metric',
    async (name, scaledObject) => {
      const trigger = rabbitTrigger(scaledObject);
      const hpa = await eventually(
        `HPA keda-hpa-${name} reading its metric`,
        () => hpaOf(scaledObject),
        (read) => isStatus('True')(conditionOf(read.status.conditions, 'ScalingActive')),
      );
      expect(isStatus('True')(scaledObjectCondition(scaledObject, 'Ready'))).toBe(true);
      expect(hpa.spec).toMatchObject({
        scaleTargetRef: { kind: 'Deployment', name: scaledObject.spec.scaleTargetRef.name },
        minReplicas: scaledObject.spec.minReplicaCount,
        maxReplicas: scaledObject.spec.maxReplicaCount,
      });
      expect(hpa.spec.metrics).toHaveLength(1);
      const [metric] = hpa.spec.metrics;
      expect(metric).toMatchObject({
        type: 'External',
        external: {
          metric: {
            name: externalMetricName(trigger),
            selector: { matchLabels: { 'scaledobject.keda.sh/name': name } },
          },
          target: { type: 'AverageValue' },
        },
      });
      expect(quantity(metric!.external!.target.averageValue)).toBe(Number(trigger.metadata.value));
      expect(hpa.spec.behavior).toEqual(scaledObject.spec.advanced?.horizontalPodAutoscalerConfig?.behavior);
    },
  );

  it('a queue filled past its target makes its ScaledObject Active; emptied, it is not Active again', async () => {
    await eventually(
      'payment not Active, its queue empty',
      () => scaledObjectCondition(payment, 'Active'),
      isStatus('False'),
    );
    await fill(payment, 2 * Number(rabbitTrigger(payment).metadata.value));
    await eventually('payment Active', () => scaledObjectCondition(payment, 'Active'), isStatus('True'));
    await empty(payment);
    await eventually('payment not Active again', () => scaledObjectCondition(payment, 'Active'), isStatus('False'));
  });

  it("with the queue deep, the metric is served through the aggregation layer, the HPA's desired replicas rise above minReplicaCount, and the Deployment follows", async () => {
    const { minReplicaCount, maxReplicaCount } = payment.spec;
    const target = Number(rabbitTrigger(payment).metadata.value);
    // Two pods' worth above the floor: within one scale-up step of keda/payment.yaml's behaviour.
    const expected = Math.min(maxReplicaCount, minReplicaCount + 2);
    const depth = target * expected;
    const deployment = payment.spec.scaleTargetRef.name;
    try {
      await fill(payment, depth);
      await eventually(
        `the external metric at ${depth}`,
        () => servedMetric(payment),
        (value) => value === depth,
      );
      const hpa = await eventually(
        `HPA keda-hpa-payment desiring ${expected} replicas`,
        () => hpaOf(payment).status,
        (status) => status.desiredReplicas === expected,
      );
      expect(hpa.desiredReplicas).toBeGreaterThan(minReplicaCount);
      await eventually(
        `Deployment ${deployment} at ${expected} Ready replicas`,
        () => deploymentReplicas(deployment),
        (replicas) => replicas.wanted === expected && replicas.ready === expected,
      );
    } finally {
      await empty(payment);
    }
  });
});
