import { randomBytes } from 'node:crypto';
import { createPool, type Pool } from '@surety/db';
import { ownVariable, type HostableConsumer } from '@surety/consumers/config';
import { createLogger } from '@surety/telemetry';
import {
  backgroundNice,
  consumersHost,
  hostsByCount,
  servicePort,
  servicesOf,
  type AppName,
  type ConsumerPlacement,
  type ProcessApp,
} from '../apps.js';
import { ensureCompiled } from '../compiled.js';
import { waitUntilReady } from '../readiness.js';
import { sharedReplicas, type ScalableReplicas } from '../autoscaling/autoscaler.js';
import { ReplicaSet } from '../replica-set.js';
import { Supervisor } from '../supervisor.js';
import { createIsolatedResources, withPath, type ServerEndpoints } from '../isolated-resources.js';
import { profileFlags } from './profiles.js';

/** Bench processes listen 4000 ports above `make run`'s (drills use 1000), so all three can run at once; the
 * offset also keeps them off 10080, a port fetch refuses to call. */
export const BENCH_PORT_OFFSET = 4000;
/** Every database and vhost the bench creates is named with this prefix. */
export const benchPrefix = 'surety_bench_';
const BASELINE_PORT = 8070 + BENCH_PORT_OFFSET;
/** On two busy cores a dozen Node processes compiling TypeScript at once take a while to answer. */
const readinessTimeoutMs = 240_000;

export const consumers = ['payment', 'inventory', 'saga', 'notification'] as const satisfies readonly AppName[];
export type Consumer = (typeof consumers)[number];

/** What a phase runs the consumers with; a setting left out is the app's own default, as in `make run`. */
export interface ConsumerSettings {
  /** PREFETCH by consumer; a consumer left out takes its own default. */
  prefetch?: Partial<Record<Consumer, number>>;
}

/** consumerEnv is what a consumer process is started with: a host takes each consumer's setting in that consumer's own variable. */
function consumerEnv(app: ProcessApp, settings: ConsumerSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const consumer of consumers) {
    const prefetch = settings.prefetch?.[consumer];
    if (prefetch === undefined) continue;
    if (app === consumersHost) env[ownVariable(consumer, 'PREFETCH')] = String(prefetch);
    else if (app === consumer) env.PREFETCH = String(prefetch);
  }
  return env;
}
const sameSettings = (a: ConsumerSettings, b: ConsumerSettings) =>
  consumers.every((c) => a.prefetch?.[c] === b.prefetch?.[c]);

/** Every consumer with the same prefetch. */
export const everyConsumer = (prefetch: number): ConsumerSettings => ({
  prefetch: Object.fromEntries(consumers.map((c) => [c, prefetch])),
});

export interface BenchStack {
  name: string;
  databaseUrl: string;
  amqpUrl: string;
  managementUrl: string;
  vhost: string;
  apiUrl: string;
  baselineUrl: string;
  gatewayUrl: string;
  pool: Pool;
  supervisor: Supervisor;
  placement: ConsumerPlacement;
  /**
   * Every process's /metrics URL, by supervisor id; for a consumers' host, its first service's,
   * whose process metrics are the host's.
   */
  metricsUrls(): Map<string, string>;
  /**
   * Starts or drains consumers until each runs `count` with `settings` (together, the hosts number
   * the most any consumer is given, and host i serves the consumers given i or more), then waits
   * until the new ones are ready. Replicas running with other settings are stopped first: a phase
   * never measures consumers left with an earlier phase's settings.
   */
  scaleConsumers(count: number | Partial<Record<Consumer, number>>, settings: ConsumerSettings): Promise<void>;
  /** The consumers' replicas for an autoscaler to drive: each replica it starts runs with `settings`. */
  consumerReplicas(settings: ConsumerSettings): ScalableReplicas;
  /** Creates another vhost beside the bench's, for a measurement that must not mix with it. */
  temporaryVhost(suffix: string): Promise<{ amqpUrl: string; remove(): Promise<void> }>;
  close(): Promise<void>;
}

/** urlsOf maps a process id (`payment-3`, `consumers-2`) to the base URL of each service it serves, as ReplicaSet lays them out. */
function urlsOf(id: string, env: Record<string, string> = {}): string[] {
  if (id === 'baseline') return [`http://127.0.0.1:${BASELINE_PORT}`];
  return servicesOf(id, BENCH_PORT_OFFSET, env).map((service) => `http://127.0.0.1:${service.port}`);
}

/**
 * createBenchStack gives the bench a database and a vhost of its own, migrated and empty, and runs
 * the pipeline in them (gateway, relay, one replica of each consumer, api) plus the synchronous
 * baseline, under a supervisor whose logs go to `logDir`.
 */
export async function createBenchStack(options: {
  root: string;
  endpoints: ServerEndpoints;
  logDir: string;
  /** Settings for every process (log level, retry delays). */
  everyApp: Readonly<Record<string, string>>;
  /** What the first replica of each consumer runs with. */
  consumers: ConsumerSettings;
  /** The consumers in one process (as `make run` runs them by default) or a process each. */
  placement: ConsumerPlacement;
  /** The niceness of the relay and the consumers, whose work can wait while the api answers. */
  backgroundNice: number;
  /** Where each process writes its CPU profile (`<id>.cpuprofile`) when it exits; none if unset. */
  profileDir?: string;
  say: (line: string) => void;
}): Promise<BenchStack> {
  const { profileDir } = options;
  const name = `${benchPrefix}${randomBytes(3).toString('hex')}`;
  const resources = await createIsolatedResources(options.endpoints, name);
  const { databaseUrl, amqpUrl } = resources;
  const apiUrl = `http://127.0.0.1:${servicePort('api', 0, BENCH_PORT_OFFSET)}`;
  const gatewayUrl = `http://127.0.0.1:${servicePort('gateway', 0, BENCH_PORT_OFFSET)}`;
  const baselineUrl = `http://127.0.0.1:${BASELINE_PORT}`;
  // One build for the whole run: compiled once here, never again while the bench measures it.
  ensureCompiled(options.root, options.say);
  const supervisor = new Supervisor({ root: options.root, logDir: options.logDir, say: options.say, rebuild: false });
  const pool = createPool(databaseUrl, createLogger('bench', 'silent'), { max: 4 });
  const close = async () => {
    await supervisor.stopAll();
    await pool.end();
    await resources.drop();
  };
  const { placement } = options;
  /** The process apps the consumers run in: the host together, or each consumer apart. */
  const consumerProcesses: ProcessApp[] = placement === 'together' ? [consumersHost] : [...consumers];
  /** The settings each consumer process's running replicas were started with: all of an app's replicas share them. */
  const runningWith = new Map<ProcessApp, ConsumerSettings>(consumerProcesses.map((c) => [c, options.consumers]));
  const env = (app: ProcessApp | 'baseline', id: string) => ({
    DATABASE_URL: databaseUrl,
    AMQP_URL: amqpUrl,
    GATEWAY_URL: gatewayUrl,
    SURETY_REPLICA: id,
    // A replication slot is the server's: the run's own, should its relay read the WAL.
    RELAY_CDC_SLOT: name,
    ...options.everyApp,
    ...(app === 'baseline' ? {} : consumerEnv(app, runningWith.get(app) ?? {})),
  });
  const replicas = new ReplicaSet(supervisor, {
    portOffset: BENCH_PORT_OFFSET,
    env,
    nice: (app) => backgroundNice(app, options.backgroundNice),
    ...(profileDir ? { nodeFlags: (id: string) => profileFlags(profileDir, id) } : {}),
  });
  const scaleConsumer = async (
    app: ProcessApp,
    count: number,
    settings: ConsumerSettings,
    hosts?: (replica: number) => readonly HostableConsumer[],
  ) => {
    if (!sameSettings(runningWith.get(app) ?? {}, settings)) {
      await replicas.scaleTo(app, 0);
      runningWith.set(app, settings);
    }
    await replicas.scaleTo(app, count, hosts);
  };
  const metricsUrls = () => new Map(supervisor.specs().map(({ id, env }) => [id, `${urlsOf(id, env)[0]}/metrics`]));
  const waitForAll = async () => {
    const probes = supervisor.specs().flatMap(({ id, env }) => urlsOf(id, env).map((url) => `${url}/readyz`));
    const ready = await Promise.all(probes.map((url) => waitUntilReady(url, readinessTimeoutMs, 10_000)));
    const late = probes.filter((_url, i) => !ready[i]);
    if (late.length > 0)
      throw new Error(
        `not ready within ${readinessTimeoutMs / 1000} s: ${late.join(', ')} (logs in ${options.logDir})`,
      );
  };
  try {
    for (const app of ['gateway', 'relay', ...consumerProcesses, 'api'] as const) await replicas.scaleTo(app, 1);
    supervisor.start({
      id: 'baseline',
      entry: 'apps/baseline/src/main.ts',
      env: { ...env('baseline', 'baseline'), BASELINE_PORT: String(BASELINE_PORT) },
    });
    await waitForAll();
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }

  return {
    name,
    databaseUrl,
    amqpUrl,
    managementUrl: options.endpoints.managementUrl,
    vhost: name,
    apiUrl,
    baselineUrl,
    gatewayUrl,
    pool,
    supervisor,
    placement,
    metricsUrls,
    async scaleConsumers(count, settings) {
      const countOf = (c: Consumer) => (typeof count === 'number' ? count : (count[c] ?? 1));
      if (placement === 'together')
        await scaleConsumer(consumersHost, Math.max(...consumers.map(countOf)), settings, hostsByCount(countOf));
      else await Promise.all(consumers.map((c) => scaleConsumer(c, countOf(c), settings)));
      await waitForAll();
    },
    consumerReplicas(settings) {
      const scaled = {
        running: (app: ProcessApp) => replicas.running(app),
        hosted: (id: string) => replicas.hosted(id),
        scaleTo: (app: ProcessApp, count: number, hosts?: (replica: number) => readonly HostableConsumer[]) => {
          if (!consumerProcesses.includes(app)) throw new Error(`${app} is not a consumer`);
          return scaleConsumer(app, count, settings, hosts);
        },
      };
      return placement === 'together' ? sharedReplicas(consumersHost, scaled) : scaled;
    },
    async temporaryVhost(suffix) {
      const path = encodeURIComponent(`${name}_${suffix}`);
      await resources.createVhost(path);
      return {
        amqpUrl: withPath(options.endpoints.amqpUrl, `/${path}`),
        remove: async () => {
          await resources.deleteVhost(path);
        },
      };
    },
    close,
  };
}
