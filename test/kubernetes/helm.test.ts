import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartDirectory, scenarioValues } from '../manifests/support/helm.js';
import {
  deleteNamespace,
  helm,
  helmRun,
  installChart,
  kubectl,
  kubectlJson,
  prepareControlPlane,
  waitFor,
} from './support/cluster.js';

// The chart's life cycle for real: install, upgrade, rollback, test and uninstall against the local
// API server. kwok plays the kubelet: pods become Running and Ready, Jobs' pods (the migrations hook)
// and helm's test pod Succeeded, so hooks run in order and --wait means what it means on a cluster.
// No container runs: the test pod's script is not executed (kwok only sets its phase).
const ns = 'surety-helm';
const release = 'surety';
const timeout = ['--timeout', '5m'];

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
}
interface Workload {
  metadata: { name: string; uid: string; creationTimestamp: string };
  spec: { replicas?: number; template: { spec: { containers: Container[] } } };
  status: {
    readyReplicas?: number;
    succeeded?: number;
    completionTime?: string;
    conditions?: { type: string; status: string }[];
  };
}
interface List<T> {
  items: T[];
}

function envOf(workload: Workload, name: string): string | undefined {
  return workload.spec.template.spec.containers[0]!.env?.find((variable) => variable.name === name)?.value;
}

function apiLogLevel(): string | undefined {
  return envOf(kubectlJson<Workload>(['get', 'deployment', 'api', '-n', ns]), 'LOG_LEVEL');
}

function migrations(): Workload {
  return kubectlJson<Workload>(['get', 'job', 'migrations', '-n', ns]);
}

/**
 * Every Deployment reports all its replicas Ready. helm's --wait judges each Deployment by its newest
 * ReplicaSet; the Deployment's own status catches up when its controller next syncs it, which on a
 * busy machine can be a moment after helm has returned.
 */
async function expectEveryDeploymentReady(): Promise<void> {
  await waitFor(
    'every Deployment Ready',
    () => {
      const deployments = kubectlJson<List<Workload>>(['get', 'deployments', '-n', ns]).items;
      expect(deployments.length).toBeGreaterThan(0);
      const notReady = deployments
        .filter((deployment) => (deployment.status.readyReplicas ?? 0) !== (deployment.spec.replicas ?? 1))
        .map(
          (deployment) =>
            `${deployment.metadata.name}: ${deployment.status.readyReplicas ?? 0}/${deployment.spec.replicas}`,
        );
      if (notReady.length > 0) throw new Error(notReady.join(', '));
      return true;
    },
    30_000,
  );
}

function revision(): number {
  const [status] = JSON.parse(helm(['history', release, '-n', ns, '--max', '1', '-o', 'json'])) as {
    revision: number;
    status: string;
  }[];
  expect(status!.status).toBe('deployed');
  return status!.revision;
}

describe('the chart installed for real (helm against the local control plane, kwok as the kubelet)', () => {
  beforeAll(() => {
    prepareControlPlane();
    // What an interrupted earlier run left.
    helmRun(['uninstall', release, '-n', ns, '--wait', ...timeout]);
    deleteNamespace(ns);
  });

  afterAll(() => {
    helmRun(['uninstall', release, '-n', ns, '--wait', ...timeout]);
    deleteNamespace(ns);
  });

  it('installs: the pre-install migrations Job completes first, then every Deployment is Ready (--wait)', async () => {
    const output = installChart(release, ns);
    expect(output).toMatch(/STATUS: deployed/);
    expect(revision()).toBe(1);
    const job = migrations();
    expect(job.status.succeeded).toBe(1);
    expect(job.status.conditions).toContainEqual(expect.objectContaining({ type: 'Complete', status: 'True' }));
    await expectEveryDeploymentReady();
    // Hooks in order: the Job had completed before helm created the first Deployment.
    const created = kubectlJson<List<Workload>>(['get', 'deployments', '-n', ns]).items.map((deployment) =>
      Date.parse(deployment.metadata.creationTimestamp),
    );
    expect(Date.parse(job.status.completionTime!)).toBeLessThanOrEqual(Math.min(...created));
    expect(apiLogLevel()).toBe('info');
  });

  it('upgrades with a changed value: the pre-upgrade migrations run again and the pods roll', async () => {
    const before = migrations().metadata.uid;
    helm([
      'upgrade',
      release,
      chartDirectory,
      '-n',
      ns,
      '--values',
      scenarioValues('default'),
      '--set',
      'default.env.LOG_LEVEL=debug',
      '--wait',
      ...timeout,
    ]);
    expect(revision()).toBe(2);
    expect(apiLogLevel()).toBe('debug');
    const job = migrations();
    expect(job.metadata.uid).not.toBe(before); // before-hook-creation replaced it
    expect(job.status.succeeded).toBe(1);
    expect(helm(['get', 'values', release, '-n', ns, '-o', 'json'])).toContain('"LOG_LEVEL":"debug"');
    await expectEveryDeploymentReady();
  });

  it('rolls back to the first revision: the old value is back', async () => {
    helm(['rollback', release, '1', '-n', ns, '--wait', ...timeout]);
    expect(revision()).toBe(3);
    expect(apiLogLevel()).toBe('info');
    await expectEveryDeploymentReady();
  });

  it('runs helm test: the test pod succeeds and stays for --logs (hook-delete-policy before-hook-creation)', () => {
    const output = helm(['test', release, '-n', ns, ...timeout]);
    expect(output).toMatch(/TEST SUITE:\s+place-order-test/);
    expect(output).toMatch(/Phase:\s+Succeeded/);
    const pod = kubectlJson<{ status: { phase: string } }>(['get', 'pod', 'place-order-test', '-n', ns]);
    expect(pod.status.phase).toBe('Succeeded');
  });

  it('uninstalls: nothing of the release is left but its hooks, which outlive it by design', async () => {
    helm(['uninstall', release, '-n', ns, '--wait', ...timeout]);
    expect(helm(['list', '-n', ns, '--all', '-q'])).toBe('');
    // Every namespaced kind the API serves, listed in the release's namespace.
    const kinds = kubectl(['api-resources', '--namespaced', '--verbs', 'list', '-o', 'name'])
      .split('\n')
      .filter((kind) => kind && !/^events(\.events\.k8s\.io)?$/.test(kind));
    const left = await waitFor(
      'the release deleted (its objects and what controllers made from them)',
      () => {
        const items = kubectlJson<
          List<{ kind: string; metadata: { name: string; ownerReferences?: { kind: string; name: string }[] } }>
        >(['get', kinds.join(','), '-n', ns]).items;
        const names = items
          // What the namespace holds of itself, not of the release.
          .filter((item) => !(item.kind === 'ServiceAccount' && item.metadata.name === 'default'))
          .filter((item) => !(item.kind === 'ConfigMap' && item.metadata.name === 'kube-root-ca.crt'))
          .map((item) => {
            const owner = item.metadata.ownerReferences?.[0];
            return owner ? `${item.kind} of ${owner.kind}/${owner.name}` : `${item.kind}/${item.metadata.name}`;
          })
          .sort();
        // What controllers made (ReplicaSets' pods, Services' EndpointSlices, a CronJob's Jobs) goes
        // with its owner, a moment later: wait until only the hooks' own objects are left.
        return names.some((name) => name.includes(' of ') && name !== 'Pod of Job/migrations') ? undefined : names;
      },
      120_000,
    );
    // Helm never deletes hook resources on uninstall: the migrations Job (removed by its
    // ttlSecondsAfterFinished) and the test pod (replaced by the next `helm test`).
    expect(left).toEqual(['Job/migrations', 'Pod of Job/migrations', 'Pod/place-order-test']);
    expect(migrations().spec).toHaveProperty('ttlSecondsAfterFinished', 86400);
    // Nor any of its release records.
    expect(kubectl(['get', 'secrets', '-n', ns, '-l', `owner=helm,name=${release}`, '-o', 'name'])).toBe('');
  });
});
