import { randomBytes } from 'node:crypto';
import { createPool } from '@surety/db';
import { createLogger } from '@surety/telemetry';
import { vhostOf } from '@surety/messaging';
import type { AppName } from '../../apps.js';
import type { DrillBackend, FaultRun } from '../backend.js';
import type { Drill, Heal } from '../catalogue.js';
import { brokerProbe, type DrillStack } from '../environment.js';
import { setGatewayFaults } from '../../gateway-faults.js';
import { injectPoison, poisonCount, poisonQueues, startDuplicateStorm } from '../faults.js';
import { Cleanup } from './cleanup.js';
import { Cluster } from './cluster.js';
import { clusterServices, urlFor, type ClusterUrls } from './endpoints.js';
import { experimentFor, readExperiment, type DrillRun } from './experiments.js';
import { forwardService } from './forward.js';
import { clusterFaultOf, clusterRefusal, type AppSettings, type ClusterFault } from './mapping.js';
import { containerEnv, drillSettings, envPatch, withSettings } from './settings.js';

export interface KubernetesOptions {
  root: string;
  namespace: string;
  /** A kubeconfig context other than the current one. */
  context?: string;
  /** URLs given on the command line; every other one is forwarded to its Service. */
  urls: Partial<ClusterUrls>;
  rolloutTimeoutMs?: number;
}

function describeSettings(settings: AppSettings): string {
  return Object.entries(settings)
    .map(
      ([app, env]) =>
        `${app} ${Object.entries(env ?? {})
          .map(([name, value]) => `${name}=${value}`)
          .join(' ')}`,
    )
    .join('; ');
}

/** writeSettings writes settings into each app's Deployment and waits for the rollouts. */
async function writeSettings(cluster: Cluster, settings: AppSettings, timeoutMs: number): Promise<void> {
  const apps = Object.keys(settings) as AppName[];
  for (const app of apps) {
    const deployment = await cluster.deployment(app);
    const env = withSettings(containerEnv(deployment, app) ?? [], settings[app] ?? {});
    await cluster.patchDeployment(app, envPatch(deployment, app, env));
  }
  await Promise.all(apps.map((app) => cluster.waitForRollout(app, timeoutMs)));
}

/** armSettings writes the drill's settings, and leaves in cleanup the step that puts every env back as it was. */
async function armSettings(
  cluster: Cluster,
  settings: AppSettings,
  timeoutMs: number,
  cleanup: Cleanup,
  say: (line: string) => void,
): Promise<void> {
  const apps = Object.keys(settings) as AppName[];
  if (apps.length === 0) return;
  const originals = new Map<AppName, ReturnType<typeof containerEnv>>();
  for (const app of apps) originals.set(app, containerEnv(await cluster.deployment(app), app));
  cleanup.push(async () => {
    say(`  restoring the env of ${apps.join(', ')}`);
    for (const app of apps) {
      await cluster.patchDeployment(app, envPatch(await cluster.deployment(app), app, originals.get(app)));
    }
    await Promise.all(apps.map((app) => cluster.waitForRollout(app, timeoutMs)));
  });
  say(`  settings: ${describeSettings(settings)}; rolling out`);
  await writeSettings(cluster, settings, timeoutMs);
}

/** reach gives every URL: those given, and the others through a forward to their Service, with their secret's credentials. */
async function reach(cluster: Cluster, given: Partial<ClusterUrls>, cleanup: Cleanup): Promise<ClusterUrls> {
  const secrets = new Map<string, Record<string, string>>();
  const urls: Partial<ClusterUrls> = {};
  for (const [endpoint, target] of Object.entries(clusterServices) as [
    keyof ClusterUrls,
    (typeof clusterServices)[keyof ClusterUrls],
  ][]) {
    const url = given[endpoint];
    if (url) {
      urls[endpoint] = url;
      continue;
    }
    const forward = await forwardService(cluster.kubeConfig, cluster.namespace, target.service, target.port);
    cleanup.push(() => forward.close());
    const secretName = 'secret' in target ? target.secret : undefined;
    if (secretName && !secrets.has(secretName)) secrets.set(secretName, await cluster.secret(secretName));
    urls[endpoint] = urlFor(endpoint, forward.port, secretName ? secrets.get(secretName) : undefined);
  }
  return urls as ClusterUrls;
}

async function noteReplicas(cluster: Cluster, drill: Drill, say: (line: string) => void): Promise<void> {
  for (const [app, wanted] of Object.entries(drill.replicas ?? {})) {
    const ready = (await cluster.deployment(app)).status?.readyReplicas ?? 0;
    if (ready < wanted) say(`  note: ${app} runs ${ready} ready replicas here; the local drill runs ${wanted}`);
  }
}

/** The gateway keeps its faults in memory: through a Service, PUT /admin/faults reaches one pod only. */
async function requireOneGateway(cluster: Cluster): Promise<void> {
  const replicas = (await cluster.deployment('gateway')).spec?.replicas ?? 1;
  if (replicas !== 1)
    throw new Error(`the gateway runs ${replicas} replicas; its faults would reach one of them: scale it to 1`);
}

/** The judge counts every dead letter it did not inject: the cluster's DLQs must start empty. */
async function requireEmptyDeadLetterQueues(stack: Pick<DrillStack, 'queueDepths'>): Promise<void> {
  const full = Object.entries(await stack.queueDepths()).filter(([name, depth]) => name.endsWith('.dlq') && depth > 0);
  if (full.length > 0)
    throw new Error(
      `dead letters from before the drill (${full.map(([name, depth]) => `${name}=${depth}`).join(', ')}) would be judged as lost work: ` +
        'inspect and purge them first (bin/surety dlq, with AMQP_URL reaching the cluster, or the management UI)',
    );
}

async function injectFault(
  fault: Exclude<ClusterFault, { kind: 'unsupported' }>,
  context: { cluster: Cluster; root: string; run: DrillRun; urls: ClusterUrls; timeoutMs: number; cleanup: Cleanup },
  { size, say, poison }: FaultRun,
): Promise<Heal> {
  const { cluster, urls, cleanup } = context;
  switch (fault.kind) {
    case 'experiment': {
      const object = experimentFor(readExperiment(context.root, fault.experiment), {
        ...context.run,
        namespace: cluster.namespace,
        faultMs: size.faultMs,
      });
      await cluster.create(object);
      cleanup.push(() => cluster.remove(object));
      say(`  created ${object.kind}/${object.metadata.name}`);
      return async () => {
        await cluster.remove(object);
        say(`  deleted ${object.kind}/${object.metadata.name}`);
      };
    }
    case 'settings':
      return async () => {
        say(`  healing: ${describeSettings(fault.heal)}; rolling out`);
        await writeSettings(cluster, fault.heal, context.timeoutMs);
      };
    case 'gateway':
      await setGatewayFaults(urls.gatewayUrl, fault.during);
      cleanup.push(() => setGatewayFaults(urls.gatewayUrl, fault.after));
      return () => setGatewayFaults(urls.gatewayUrl, fault.after);
    case 'poison':
      for (const queue of poisonQueues) poison.push(...(await injectPoison(urls.amqpUrl, queue, poisonCount(size))));
      return async () => undefined;
    case 'duplicates': {
      const storm = await startDuplicateStorm(urls.amqpUrl);
      cleanup.push(() => storm.stop());
      return async () => {
        await storm.stop();
        say(`  sent ${storm.copies()} events a second time`);
      };
    }
  }
}

/**
 * kubernetesBackend runs the drills against the cluster of `make up`: the apps as the chart deploys
 * them, in the database and vhost they use, reached through forwards to their Services. Each fault
 * is the cluster action of the mapping (a Chaos Mesh experiment, Deployment settings, the gateway's
 * faults, poison over AMQP); whatever the drill changed is put back at the end, even when it fails.
 */
export function kubernetesBackend(options: KubernetesOptions): DrillBackend {
  const timeoutMs = options.rolloutTimeoutMs ?? 300_000;
  return {
    target: 'kubernetes',
    refusal: (drill) => drill.localOnly ?? clusterRefusal(drill.name),
    async prepare(drill, { gatewayIgnoresKeys, say }) {
      const fault = clusterFaultOf(drill.name);
      if (fault.kind === 'unsupported') throw new Error(`${drill.name} cannot run on a cluster: ${fault.reason}`);
      const cluster = new Cluster(options.namespace, options.context);
      const run: DrillRun = { drill: drill.name, run: randomBytes(3).toString('hex') };
      say(`  context ${cluster.context}, namespace ${cluster.namespace}, run ${run.run}`);
      say(`  on the cluster: ${fault.how}`);
      say(`  unlike local: ${fault.differs}`);
      const cleanup = new Cleanup(say);
      // Interrupted, the drill still puts the cluster back before it exits.
      const interrupted = () => {
        say('  interrupted: putting the cluster back');
        void cleanup.run().finally(() => process.exit(130));
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      cleanup.push(async () => {
        process.off('SIGINT', interrupted);
        process.off('SIGTERM', interrupted);
      });
      try {
        const urls = await reach(cluster, options.urls, cleanup);
        if (fault.kind === 'gateway') await requireOneGateway(cluster);
        const vhost = vhostOf(urls.amqpUrl);
        const probe = brokerProbe(urls.managementUrl, urls.amqpUrl, vhost);
        await requireEmptyDeadLetterQueues(probe);
        await armSettings(cluster, drillSettings(drill, { gatewayIgnoresKeys }), timeoutMs, cleanup, say);
        await noteReplicas(cluster, drill, say);
        const pool = createPool(urls.databaseUrl, createLogger('drill', 'silent'), { max: 4 });
        cleanup.push(() => pool.end());
        const stack: DrillStack = {
          name: `${run.drill}-${run.run}`,
          amqpUrl: urls.amqpUrl,
          vhost,
          apiUrl: urls.apiUrl,
          gatewayUrl: urls.gatewayUrl,
          pool,
          ...probe,
          close: () => cleanup.run(),
        };
        const context = { cluster, root: options.root, run, urls, timeoutMs, cleanup };
        return { stack, inject: (faultRun) => injectFault(fault, context, faultRun) };
      } catch (error) {
        await cleanup.run();
        throw error;
      }
    },
  };
}
