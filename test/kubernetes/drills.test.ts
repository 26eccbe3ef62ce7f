import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppName } from '../../apps/cli/src/apps.js';
import { drills } from '../../apps/cli/src/drills/catalogue.js';
import { Cleanup } from '../../apps/cli/src/drills/kubernetes/cleanup.js';
import { Cluster } from '../../apps/cli/src/drills/kubernetes/cluster.js';
import {
  drillLabels,
  experimentFor,
  readExperiment,
  type ChaosObject,
  type DrillRun,
} from '../../apps/cli/src/drills/kubernetes/experiments.js';
import { clusterFaults, type AppSettings, type ClusterFault } from '../../apps/cli/src/drills/kubernetes/mapping.js';
import { containerEnv, drillSettings, envPatch, withSettings } from '../../apps/cli/src/drills/kubernetes/settings.js';
import { repoRoot } from '../manifests/support/repo.js';
import {
  crdNames,
  deleteNamespace,
  helmRun,
  installChart,
  kubeconfig,
  kubectl,
  kubectlJson,
  prepareControlPlane,
} from './support/cluster.js';

// The drills' Kubernetes backend (apps/cli/src/drills/kubernetes) against the real API server: each
// Chaos Mesh experiment the mapping names is created as a drill run creates it, read back and
// deleted; each settings fault is rolled out on the chart's Deployments, healed, and put back. What
// needs running containers (the forwards to Services, the load, the gateway's faults, poison and
// the duplicate storm over AMQP) is beyond this control plane: kwok runs no process.
const ns = 'surety-drills';
const release = 'surety';
const timeoutMs = 120_000;

type Mapped<K extends ClusterFault['kind']> = [string, Extract<ClusterFault, { kind: K }>];

function mapped<K extends ClusterFault['kind']>(kind: K): Mapped<K>[] {
  return Object.entries(clusterFaults).filter((entry): entry is Mapped<K> => entry[1].kind === kind);
}

/** Every Chaos Mesh kind the CRDs define, as kubectl names them. */
const chaosKinds = () => crdNames().filter((name) => name.endsWith('.chaos-mesh.org'));

/** leftovers lists the Chaos Mesh objects of a drill run still on the cluster, by its labels. */
function leftovers(run: DrillRun): string[] {
  return kubectl(['get', chaosKinds().join(','), '-n', ns, '-l', `surety/drill-run=${run.run}`, '-o', 'name'])
    .split('\n')
    .filter(Boolean);
}

type Env = ReturnType<typeof containerEnv>;

/** envRecord reads an env as the container sees it: the API server drops an empty value, which reads as ''. */
function envRecord(env: Env): Record<string, string> {
  return Object.fromEntries((env ?? []).map((variable) => [variable.name, variable.value ?? '']));
}

describe("the drills' Kubernetes backend against the real API server", () => {
  let cluster: Cluster;

  beforeAll(() => {
    prepareControlPlane();
    // The backend's Cluster reads the kubeconfig as kubectl does.
    process.env.KUBECONFIG = kubeconfig;
    helmRun(['uninstall', release, '-n', ns, '--wait', '--timeout', '5m']);
    deleteNamespace(ns);
    // The chart's Deployments, Ready (kwok), for the settings faults to roll out on.
    installChart(release, ns);
    cluster = new Cluster(ns);
  });

  afterAll(() => {
    helmRun(['uninstall', release, '-n', ns, '--wait', '--timeout', '5m']);
    deleteNamespace(ns);
  });

  it('maps some drills to experiments and some to settings', () => {
    expect(mapped('experiment').length).toBeGreaterThan(0);
    expect(mapped('settings').length).toBeGreaterThan(0);
  });

  describe.each(mapped('experiment'))('%s', (drill, fault) => {
    it(`creates chaos-mesh/${fault.experiment}.yaml as the drill run does, reads it back, and deletes it`, async () => {
      const run: DrillRun = { drill, run: randomBytes(3).toString('hex') };
      const object = experimentFor(readExperiment(repoRoot, fault.experiment), {
        ...run,
        namespace: ns,
        faultMs: 7_000,
      });
      const cleanup = new Cleanup(() => undefined);
      await cluster.create(object);
      cleanup.push(() => cluster.remove(object));

      const stored = kubectlJson<ChaosObject>([
        'get',
        `${object.kind.toLowerCase()}.chaos-mesh.org/${object.metadata.name}`,
        '-n',
        ns,
      ]);
      expect(stored.metadata.labels).toMatchObject(drillLabels(run));
      expect(stored.spec).toMatchObject(object.spec);
      expect(leftovers(run)).toEqual([`${object.kind.toLowerCase()}.chaos-mesh.org/${object.metadata.name}`]);

      // What an interrupted drill runs (its SIGINT handler runs the same Cleanup), then a late close.
      await cleanup.run();
      await cleanup.run();
      expect(leftovers(run)).toEqual([]);
    });
  });

  describe.each(mapped('settings'))('%s', (name, fault) => {
    it('rolls its settings out on the Deployments, heals them, and puts every env back as it was', async () => {
      const drill = drills.find((candidate) => candidate.name === name);
      expect(drill, `${name} is in the catalogue`).toBeDefined();
      const settings = drillSettings(drill!, { gatewayIgnoresKeys: false });
      const apps = Object.keys(settings) as AppName[];
      expect(apps.length).toBeGreaterThan(0);
      const originals = new Map<AppName, Env>();
      for (const app of apps) originals.set(app, containerEnv(await cluster.deployment(app), app));

      // As the backend writes settings: each app's env patched (JSON patch), then every rollout awaited.
      const write = async (written: AppSettings) => {
        const targets = Object.keys(written) as AppName[];
        for (const app of targets) {
          const deployment = await cluster.deployment(app);
          const env = withSettings(containerEnv(deployment, app) ?? [], written[app] ?? {});
          await cluster.patchDeployment(app, envPatch(deployment, app, env));
        }
        await Promise.all(targets.map((app) => cluster.waitForRollout(app, timeoutMs)));
      };

      await write(settings);
      for (const app of apps) {
        expect(envRecord(containerEnv(await cluster.deployment(app), app))).toMatchObject(settings[app]!);
      }

      await write(fault.heal);
      for (const app of Object.keys(fault.heal) as AppName[]) {
        expect(envRecord(containerEnv(await cluster.deployment(app), app))).toMatchObject(fault.heal[app]!);
      }

      // The backend's cleanup step: every env as it was before the drill.
      for (const app of apps) {
        await cluster.patchDeployment(app, envPatch(await cluster.deployment(app), app, originals.get(app)));
      }
      await Promise.all(apps.map((app) => cluster.waitForRollout(app, timeoutMs)));
      for (const app of apps) expect(containerEnv(await cluster.deployment(app), app)).toEqual(originals.get(app));
    });
  });
});
