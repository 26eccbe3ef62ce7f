import {
  deadLetterQueueArguments,
  deadLetterQueueName,
  defaultRetryPolicy,
  queueArguments,
  queues,
  retryQueueName,
} from '@surety/messaging';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderChart } from './support/helm.js';
import { operatorServices } from './support/operators.js';
import { manifestsIn, namespace, readYaml, repoPath, sourceFiles, type KubeObject } from './support/repo.js';
import { matchesLabels } from './support/selectors.js';
import { byKind, named, podsOf, servicesOf } from './support/workloads.js';

interface Policy extends KubeObject {
  spec: {
    name: string;
    pattern: string;
    applyTo: string;
    priority?: number;
    definition: Record<string, unknown>;
    rabbitmqClusterReference: { name: string };
  };
}

const k8s = manifestsIn('k8s');
const chart = renderChart('default');
const rabbitmq = named<KubeObject & { spec: { replicas: number } }>(k8s, 'RabbitmqCluster', 'rabbitmq');
const policies = byKind<Policy>(k8s, 'Policy');

/** The policy keys of the queue arguments the code declares (x-queue-type is applyTo: quorum_queues). */
function asPolicy(queueArgs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(queueArgs)
      .filter(([key]) => key !== 'x-queue-type')
      .map(([key, value]) => [key.replace(/^x-/, ''), value]),
  );
}

/** The policy RabbitMQ applies to a queue: the matching one of highest priority. */
function policyFor(queue: string): Policy | undefined {
  const matching = policies.filter((policy) => new RegExp(policy.spec.pattern).test(queue));
  return matching.sort((a, b) => (b.spec.priority ?? 0) - (a.spec.priority ?? 0))[0];
}

describe('k8s/rabbitmq.yaml: the broker and policies that match the topology the code declares', () => {
  it('three nodes, so quorum queues survive the loss of one', () => {
    expect(rabbitmq.spec.replicas).toBe(3);
  });

  it.each(Object.values(queues).map((queue) => [queue.name] as const))(
    '%s: its policy states its declared arguments',
    (name) => {
      const policy = policyFor(name);
      expect(policy, `a policy matches ${name}`).toBeDefined();
      expect(policy!.spec.applyTo).toBe('quorum_queues');
      expect(policy!.spec.rabbitmqClusterReference.name).toBe(rabbitmq.metadata.name);
      expect(policy!.spec.definition).toEqual(asPolicy(queueArguments(name)));
    },
  );

  it.each(Object.values(queues).map((queue) => [queue.name] as const))(
    '%s: its DLQ keeps dead letters out of the delivery limit',
    (name) => {
      const policy = policyFor(deadLetterQueueName(name));
      expect(policy, `a policy matches ${deadLetterQueueName(name)}`).toBeDefined();
      expect(policy!.spec.definition).toEqual(asPolicy(deadLetterQueueArguments));
    },
  );

  it.each(Object.values(queues).map((queue) => [queue.name] as const))(
    '%s: its retry tiers keep their own arguments',
    (name) => {
      for (const delayMs of defaultRetryPolicy.delaysMs)
        expect(policyFor(retryQueueName(name, delayMs))).toBeUndefined();
    },
  );
});

describe('k8s/postgres.yaml: the database the chart reads', () => {
  const cluster = named<
    KubeObject & {
      spec: {
        instances: number;
        postgresql: { parameters: Record<string, string> };
        bootstrap: { initdb: { database: string; owner: string } };
        managed?: { roles?: { name: string; replication?: boolean }[] };
      };
    }
  >(k8s, 'Cluster', 'surety-pg');

  it('three instances, logical WAL for change data capture, a bound on what a slot may retain', () => {
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.postgresql.parameters.wal_level).toBe('logical');
    expect(cluster.spec.postgresql.parameters.max_slot_wal_keep_size).toMatch(/^\d+[MG]B$/);
    expect(cluster.spec.bootstrap.initdb.database).toBe('surety');
  });

  it('lets the app’s role replicate, as the CDC relay’s slot needs', () => {
    const owner = cluster.spec.managed?.roles?.find((role) => role.name === cluster.spec.bootstrap.initdb.owner);
    expect(owner?.replication).toBe(true);
  });

  it("runs CloudNativePG's current image line (<major.minor>-<type>-<debian>), not the deprecated system images", () => {
    const image = (cluster.spec as { imageName?: string }).imageName;
    expect(image).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:16\.\d+-(standard|minimal)-(trixie|bookworm)$/);
  });
});

describe('k8s/jaeger.yaml: the trace store', () => {
  const jaeger = podsOf(k8s, namespace).find((pod) => pod.owner === 'Deployment/jaeger')!;
  const container = jaeger.spec.containers[0]!;

  it('is probed for readiness and liveness on the health check of its all-in-one configuration', () => {
    const health = container.ports?.find((port) => port.name === 'health');
    expect(health?.containerPort).toBe(13133);
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/status', port: 'health' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/status', port: 'health' });
  });

  it('keeps its health port off the Service', () => {
    const service = servicesOf(k8s, namespace).find((candidate) => candidate.name === 'jaeger')!;
    expect(service.ports.map((port) => port.name)).not.toContain('health');
  });
});

describe('k8s/: monitoring', () => {
  it('the PrometheusRule carries observability/prometheus/rules.yaml unchanged', () => {
    const rule = named<KubeObject & { spec: unknown }>(k8s, 'PrometheusRule', 'surety');
    expect(rule.spec).toEqual(readYaml(repoPath('observability', 'prometheus', 'rules.yaml'))[0]);
  });

  it('the rules read metrics that exist: ours defined in the code, the broker’s in the families scraped', () => {
    const rules = readFileSync(repoPath('observability', 'prometheus', 'rules.yaml'), 'utf8');
    const ours = new Set(rules.match(/\bsurety_[a-z_]+/g));
    const defined = sourceFiles()
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const metric of ours) {
      const base = metric.replace(/_(bucket|count|sum)$/, '');
      expect(defined, `${metric} is defined in the code`).toContain(`name: '${base}'`);
    }
    // queue_coarse_metrics gives messages, ready and unacked per queue; queue_consumer_count, consumers.
    const monitor = named<KubeObject & { spec: { endpoints: { path?: string; params?: { family?: string[] } }[] } }>(
      k8s,
      'ServiceMonitor',
      'rabbitmq',
    );
    const families = monitor.spec.endpoints.flatMap((endpoint) => endpoint.params?.family ?? []);
    expect(families).toEqual(expect.arrayContaining(['queue_coarse_metrics', 'queue_consumer_count']));
    for (const metric of new Set(rules.match(/\brabbitmq_detailed_queue_[a-z_]+/g))) {
      expect(['messages', 'messages_ready', 'messages_unacked', 'consumers']).toContain(
        metric.replace('rabbitmq_detailed_queue_', ''),
      );
    }
  });

  it('the ServiceMonitor scrapes the RabbitMQ Service the operator creates, on its prometheus port', () => {
    const monitor = named<
      KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] } }
    >(k8s, 'ServiceMonitor', 'rabbitmq');
    const selected = operatorServices(k8s, namespace).filter((service) =>
      matchesLabels(service.labels, monitor.spec.selector.matchLabels),
    );
    expect(selected.map((service) => service.name)).toEqual([rabbitmq.metadata.name]);
    for (const endpoint of monitor.spec.endpoints)
      expect(selected[0]!.ports.map((port) => port.name)).toContain(endpoint.port);
  });

  it('the PodMonitor scrapes every app Deployment of the chart, on a port it declares', () => {
    const monitor = named<
      KubeObject & {
        spec: {
          selector: { matchLabels: Record<string, string> };
          podMetricsEndpoints: { port: string; path: string }[];
        };
      }
    >(k8s, 'PodMonitor', 'surety-apps');
    const deployments = podsOf(chart, namespace).filter((pod) => pod.owner.startsWith('Deployment/'));
    expect(deployments.length).toBeGreaterThan(0);
    for (const pod of deployments) {
      expect(matchesLabels(pod.labels, monitor.spec.selector.matchLabels), pod.owner).toBe(true);
      for (const endpoint of monitor.spec.podMetricsEndpoints) {
        expect(endpoint.path).toBe('/metrics');
        expect(
          pod.spec.containers[0]!.ports?.map((port) => port.name),
          pod.owner,
        ).toContain(endpoint.port);
      }
    }
  });

  it('the collector exports traces to the Jaeger Service, through a pipeline built of what it defines', () => {
    const configMap = named<KubeObject & { data: Record<string, string> }>(k8s, 'ConfigMap', 'otel-collector');
    const config = parse(configMap.data['collector.yaml']!) as {
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
    };
    const services = servicesOf(k8s, namespace);
    for (const pipeline of Object.values(config.service.pipelines)) {
      for (const name of pipeline.receivers) expect(config.receivers).toHaveProperty([name]);
      for (const name of pipeline.processors) expect(config.processors).toHaveProperty([name]);
      for (const name of pipeline.exporters) {
        const [host, port] = config.exporters[name]!.endpoint.split(':');
        const service = services.find((candidate) => candidate.name === host);
        expect(
          service?.ports.map((candidate) => candidate.port),
          name,
        ).toContain(Number(port));
      }
    }
  });
});

describe('kind-config.yaml and the node ports', () => {
  const kind = parse(readFileSync(repoPath('kind-config.yaml'), 'utf8')) as {
    nodes: { role: string; extraPortMappings?: { containerPort: number; hostPort: number; listenAddress: string }[] }[];
  };
  const mappings = kind.nodes.flatMap((node) => node.extraPortMappings ?? []);
  const kpsValues = parse(readFileSync(repoPath('k8s', 'helm-values', 'kube-prometheus-stack.yaml'), 'utf8')) as {
    prometheus: { service: { nodePort: number } };
    grafana: { service: { nodePort: number } };
  };
  const nodePorts = [
    ...[...servicesOf(chart, namespace), ...servicesOf(k8s, namespace)].flatMap((service) =>
      service.ports.map((port) => port.nodePort),
    ),
    kpsValues.prometheus.service.nodePort,
    kpsValues.grafana.service.nodePort,
  ].filter((port): port is number => port !== undefined);

  it('maps every node port to the host, on the loopback only, and maps nothing else', () => {
    expect(mappings.map((mapping) => mapping.containerPort).sort()).toEqual([...nodePorts].sort());
    for (const mapping of mappings) expect(mapping.listenAddress).toBe('127.0.0.1');
  });

  it('puts the api where it is locally: http://127.0.0.1:8080', () => {
    const api = servicesOf(chart, namespace).find((service) => service.name === 'api')!;
    expect(mappings.find((mapping) => mapping.containerPort === api.ports[0]!.nodePort)?.hostPort).toBe(8080);
  });
});

describe('k8s/, keda/ and chaos-mesh/ all live in the namespace k8s/namespace.yaml creates', () => {
  it.each(['k8s', 'keda', 'chaos-mesh'])('%s/', (folder) => {
    for (const object of manifestsIn(folder).filter((candidate) => candidate.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.source} ${object.kind}/${object.metadata.name}`).toBe(
        named(k8s, 'Namespace', namespace).metadata.name,
      );
    }
  });
});
