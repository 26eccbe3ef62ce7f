import { hostableConsumers, loadConsumersConfig, portVariable, type HostableConsumer } from '@surety/consumers/config';

/**
 * The processes `surety run` supervises, in start order, with the port of their first replica.
 * Background apps do the work behind the queue, which can wait while the api answers.
 */
export const appSpecs = [
  { name: 'gateway', basePort: 8090, portVariable: 'GATEWAY_PORT', scalable: false, background: false },
  { name: 'relay', basePort: 9101, portVariable: 'PORT', scalable: true, background: true },
  { name: 'payment', basePort: 9102, portVariable: 'PORT', scalable: true, background: true },
  { name: 'inventory', basePort: 9103, portVariable: 'PORT', scalable: true, background: true },
  { name: 'saga', basePort: 9104, portVariable: 'PORT', scalable: true, background: true },
  { name: 'notification', basePort: 9105, portVariable: 'PORT', scalable: true, background: true },
  { name: 'api', basePort: 8080, portVariable: 'PORT', scalable: false, background: false },
  { name: 'reconciler', basePort: 9106, portVariable: 'PORT', scalable: false, background: true },
] as const;

export type AppName = (typeof appSpecs)[number]['name'];

/**
 * On one machine the door answers first: background apps run at this niceness unless
 * SURETY_BACKGROUND_NICE says otherwise (0 runs everything alike). On a cluster, each pod's CPU
 * request does this job.
 */
export const DEFAULT_BACKGROUND_NICE = 10;

/** readBackgroundNice reads SURETY_BACKGROUND_NICE (DEFAULT_BACKGROUND_NICE when unset), refusing what nice(1) would. */
export function readBackgroundNice(env: Record<string, string | undefined>): number {
  const niceness = Number(env.SURETY_BACKGROUND_NICE ?? DEFAULT_BACKGROUND_NICE);
  if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19)
    throw new Error(`SURETY_BACKGROUND_NICE must be a whole number from 0 to 19, not "${env.SURETY_BACKGROUND_NICE}"`);
  return niceness;
}

/** backgroundNice is the niceness an app runs at on one machine: `nice` for background apps, none for the others. */
export function backgroundNice(app: ProcessApp, nice: number): number | undefined {
  const background = app === consumersHost || appSpecs.find((spec) => spec.name === app)?.background;
  return background && nice > 0 ? nice : undefined;
}

/** Replica i of an app listens on its base port plus 100 × i. */
export function replicaPort(basePort: number, replica: number): number {
  return basePort + 100 * replica;
}

/**
 * parseReplicas reads `payment=4,saga=2` (or `consumers=2`, the host of every consumer) into counts,
 * refusing unknown or unscalable apps, and apps that do not run as processes where the consumers are placed.
 */
export function parseReplicas(text: string | undefined, placement: ConsumerPlacement): Map<ProcessApp, number> {
  const counts = new Map<ProcessApp, number>();
  for (const part of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name = '', value] = part.split('=');
    const count = Number(value);
    if (name !== consumersHost) {
      const spec = appSpecs.find((s) => s.name === name);
      if (!spec) throw new Error(`--replicas: unknown app ${name}`);
      if (!spec.scalable) throw new Error(`--replicas: ${name} runs as one process`);
    }
    if (!processApps(placement).includes(name as ProcessApp))
      throw new Error(
        placement === 'together'
          ? `--replicas: ${name} runs in the consumers' process; pin consumers=N, or run them apart (SURETY_CONSUMERS=apart)`
          : `--replicas: the consumers run apart (SURETY_CONSUMERS=apart); pin each of them instead`,
      );
    if (!Number.isInteger(count) || count < 1 || count > 16)
      throw new Error(`--replicas: ${part} needs a count from 1 to 16`);
    counts.set(name as ProcessApp, count);
  }
  return counts;
}

/**
 * relayModeEnv is what every app needs for the relay mode `env` asks for. Reading the WAL, the
 * CDC relay publishes every outbox row: writers that published their own would send each event
 * twice, so they leave theirs to it.
 */
export function relayModeEnv(env: Record<string, string | undefined>): Record<string, string> {
  const mode = env.RELAY_MODE ?? 'polling';
  if (mode === 'polling') return {};
  if (mode !== 'cdc') throw new Error(`RELAY_MODE must be polling or cdc, not "${mode}"`);
  if (env.OUTBOX_DISPATCH === 'writer')
    throw new Error('RELAY_MODE=cdc publishes every outbox row: leave OUTBOX_DISPATCH unset, or set it to relay');
  return { RELAY_MODE: 'cdc', OUTBOX_DISPATCH: 'relay' };
}

/** The process that hosts one replica of every consumer, each on its own port (apps/consumers). */
export const consumersHost = 'consumers';
/** What the supervisor runs as one process: an app, or the host of every consumer. */
export type ProcessApp = AppName | typeof consumersHost;

/**
 * Where the consumers run on one machine: `together`, one process hosting a replica of each, or
 * `apart`, a process each. Together they cost less CPU per order on a few cores (docs/architecture.md); each
 * keeps its own pool, connection, inbox and transactions either way. A cluster runs them apart, so
 * that KEDA scales each on its own queue.
 */
export type ConsumerPlacement = 'together' | 'apart';

/** parsePlacement reads SURETY_CONSUMERS: `together` (the default) or `apart`. */
export function parsePlacement(text: string | undefined): ConsumerPlacement {
  const placement = text?.trim() || 'together';
  if (placement !== 'together' && placement !== 'apart')
    throw new Error(`SURETY_CONSUMERS must be together or apart, not "${text}"`);
  return placement;
}

/**
 * processApps lists what runs as processes, in start order: the consumers' host where the first
 * consumer would start, or each consumer apart.
 */
export function processApps(placement: ConsumerPlacement): ProcessApp[] {
  if (placement === 'apart') return appSpecs.map((spec) => spec.name);
  return appSpecs.flatMap((spec): ProcessApp[] => {
    if (!isHostable(spec.name)) return [spec.name];
    return spec.name === hostableConsumers[0] ? [consumersHost] : [];
  });
}

/** isHostable tells the apps the consumers' host can run from the others. */
export function isHostable(app: string): app is HostableConsumer {
  return hostableConsumers.includes(app as HostableConsumer);
}

/** One service a process serves: its replica id (`payment-2`), app and port. */
export interface ServedReplica {
  id: string;
  app: AppName;
  port: number;
}

/** What the supervisor starts for one replica of a process app. */
export interface ReplicaProcess {
  id: string;
  entry: string;
  /** The variables that lay out what it serves: each service's port, and for a host, CONSUMERS. */
  env: Record<string, string>;
  services: ServedReplica[];
}

function specOf(app: AppName) {
  const spec = appSpecs.find((s) => s.name === app);
  if (!spec) throw new Error(`no app ${app}`);
  return spec;
}

/** servicePort is where replica `replica` (from 0) of `app` listens: its base port, plus `portOffset`, plus 100 × replica. */
export function servicePort(app: AppName, replica: number, portOffset = 0): number {
  return replicaPort(specOf(app).basePort + portOffset, replica);
}

/**
 * replicaProcess lays out replica `replica` (from 0) of `app`: process `<app>-<replica + 1>`, each
 * service it serves on its app's base port (plus `portOffset`) plus 100 × replica. Replica 2 of the
 * consumers' host serves payment-2, inventory-2, saga-2 and notification-2 (or those of them it
 * `hosts`) on the ports they have apart.
 */
export function replicaProcess(
  app: ProcessApp,
  replica: number,
  portOffset = 0,
  hosts: readonly HostableConsumer[] = hostableConsumers,
): ReplicaProcess {
  const apps: readonly AppName[] = app === consumersHost ? hostableConsumers.filter((c) => hosts.includes(c)) : [app];
  const services = apps.map((served) => ({
    id: `${served}-${replica + 1}`,
    app: served,
    port: servicePort(served, replica, portOffset),
  }));
  const env = Object.fromEntries(
    services.map((s) => [
      app === consumersHost && isHostable(s.app) ? portVariable(s.app) : specOf(s.app).portVariable,
      String(s.port),
    ]),
  );
  if (app === consumersHost) env.CONSUMERS = apps.join(',');
  return { id: `${app}-${replica + 1}`, entry: `apps/${app}/src/main.ts`, env, services };
}

/**
 * hostsByCount is how the consumers' hosts share replicas: host i (from 0) serves the consumers
 * given more than i of them, so each has the replicas it is given and no host carries a consumer
 * for nothing.
 */
export function hostsByCount(countOf: (consumer: HostableConsumer) => number): (replica: number) => HostableConsumer[] {
  return (replica) => hostableConsumers.filter((consumer) => countOf(consumer) > replica);
}

/** hostedBy reads the consumers a host serves from the environment it runs with (every one without CONSUMERS). */
export function hostedBy(env: Record<string, string | undefined>): HostableConsumer[] {
  return loadConsumersConfig(env).consumers.map((consumer) => consumer.name);
}

/** processOf reads a process id (`payment-3`, `consumers-2`) into its app and replica (from 0). */
export function processOf(id: string): { app: ProcessApp; replica: number } {
  const match = /^(.+)-(\d+)$/.exec(id);
  const app = match?.[1];
  if (!match || !app || !(app === consumersHost || appSpecs.some((s) => s.name === app)))
    throw new Error(`unexpected process id ${id}`);
  return { app: app as ProcessApp, replica: Number(match[2]) - 1 };
}

/** servicesOf lists the services process `id`, running with `env`, serves, at their ports. */
export function servicesOf(id: string, portOffset = 0, env: Record<string, string | undefined> = {}): ServedReplica[] {
  const { app, replica } = processOf(id);
  return replicaProcess(app, replica, portOffset, app === consumersHost ? hostedBy(env) : undefined).services;
}
