import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { KubeObject } from './repo.js';

/** A pod as its workload would create it: where it runs, its labels, its spec. */
export interface PodShape {
  /** The workload that creates it, e.g. `Deployment/payment`. */
  owner: string;
  namespace: string;
  labels: Record<string, string>;
  spec: IPodSpec;
  /** The workload's replica count, when it sets one. */
  replicas?: number;
}

export interface ServicePortShape {
  name?: string;
  port: number;
  nodePort?: number;
}

/** A Service as a client resolves it: name, namespace, ports, and what it selects. */
export interface ServiceShape {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  ports: ServicePortShape[];
  type: string;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: IPodSpec;
}

function templateOf(object: KubeObject): { template: PodTemplate; replicas?: number } | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  switch (object.kind) {
    case 'Deployment':
    case 'StatefulSet':
      return { template: spec!.template as PodTemplate, replicas: spec!.replicas as number | undefined };
    case 'Job':
      return { template: spec!.template as PodTemplate };
    case 'CronJob':
      return { template: (spec!.jobTemplate as { spec: { template: PodTemplate } }).spec.template };
    case 'Pod':
      return { template: { metadata: object.metadata, spec: object.spec as IPodSpec } };
    default:
      return undefined;
  }
}

/** podsOf lists the pods the workloads among `objects` create, in `namespace` unless they say otherwise. */
export function podsOf(objects: KubeObject[], namespace: string): PodShape[] {
  return objects.flatMap((object) => {
    const found = templateOf(object);
    if (!found) return [];
    return [
      {
        owner: `${object.kind}/${object.metadata.name}`,
        namespace: object.metadata.namespace ?? namespace,
        labels: found.template.metadata?.labels ?? {},
        spec: found.template.spec,
        ...(found.replicas === undefined ? {} : { replicas: found.replicas }),
      },
    ];
  });
}

/** servicesOf lists the Services among `objects`. */
export function servicesOf(objects: KubeObject[], namespace: string): ServiceShape[] {
  return objects
    .filter((object) => object.kind === 'Service')
    .map((object) => {
      const spec = object.spec as { selector?: Record<string, string>; ports: ServicePortShape[]; type?: string };
      return {
        name: object.metadata.name,
        namespace: object.metadata.namespace ?? namespace,
        labels: object.metadata.labels ?? {},
        selector: spec.selector ?? {},
        ports: spec.ports,
        type: spec.type ?? 'ClusterIP',
      };
    });
}

/** containersOf lists a pod's containers, init containers included. */
export function containersOf(pod: PodShape): IContainer[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
}

/** The app a container runs, from its compiled entry point `dist/<app>.js`. */
export function appOf(container: IContainer): string | undefined {
  return /^dist\/([^/]+)\.js$/.exec(container.args?.[0] ?? '')?.[1];
}

export function byKind<T extends KubeObject = KubeObject>(objects: KubeObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}

export function named<T extends KubeObject = KubeObject>(objects: KubeObject[], kind: string, name: string): T {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found as T;
}
