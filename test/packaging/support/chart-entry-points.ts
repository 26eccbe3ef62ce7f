import type { IContainer } from 'kubernetes-models/v1/Container';
import type { KubeObject } from '../../manifests/support/repo.js';
import { matchesLabels } from '../../manifests/support/selectors.js';
import { podsOf, servicesOf, type PodShape } from '../../manifests/support/workloads.js';

/** When helm starts a pod: before the release's objects (a pre-install hook), with them, or on `helm test`. */
export type Phase = 'pre-install' | 'release' | 'test';

export interface EntryPoint {
  /** The workload that runs it, e.g. `Deployment/api`, `Job/migrations`. */
  owner: string;
  phase: Phase;
  /** helm.sh/hook-weight: hooks of a phase run in its order. */
  weight: number;
  /** A Deployment's process serves until it is stopped; a Job's, a CronJob's or a test pod's runs to its end. */
  runs: 'until-stopped' | 'to-completion';
  container: IContainer;
  /** The chart's Services that send traffic to this pod, by name. */
  services: string[];
}

const longRunning = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function phaseOf(object: KubeObject): Phase {
  const hook = object.metadata.annotations?.['helm.sh/hook'];
  if (hook === undefined) return 'release';
  const events = hook.split(',');
  if (events.includes('test')) return 'test';
  if (events.includes('pre-install')) return 'pre-install';
  throw new Error(`${object.kind}/${object.metadata.name}: hook ${hook} is not modelled by this check`);
}

/**
 * entryPointsOf lists every container the rendered chart runs, with when and how it runs, so that a
 * new app, hook or test pod is started by the check without being named in it.
 */
export function entryPointsOf(objects: KubeObject[], namespace: string): EntryPoint[] {
  const services = servicesOf(objects, namespace);
  return podsOf(objects, namespace).flatMap((pod: PodShape) => {
    const object = objects.find((candidate) => `${candidate.kind}/${candidate.metadata.name}` === pod.owner)!;
    if (pod.spec.initContainers?.length)
      throw new Error(`${pod.owner}: init containers are not modelled by this check`);
    return pod.spec.containers.map((container) => ({
      owner: pod.owner,
      phase: phaseOf(object),
      weight: Number(object.metadata.annotations?.['helm.sh/hook-weight'] ?? 0),
      runs: longRunning.has(object.kind) ? ('until-stopped' as const) : ('to-completion' as const),
      container,
      services: services
        .filter((service) => service.namespace === pod.namespace && Object.keys(service.selector).length > 0)
        .filter((service) => matchesLabels(pod.labels, service.selector))
        .map((service) => service.name),
    }));
  });
}
