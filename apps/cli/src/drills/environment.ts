import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createPool, type Pool } from '@surety/db';
import { brokerUrls, connectAny, managementClient } from '@surety/messaging';
import { createLogger } from '@surety/telemetry';
import { servicePort, type AppName, type ConsumerPlacement, type ProcessApp } from '../apps.js';
import { waitUntilReady } from '../readiness.js';
import { fleetPorts, requireFreePorts, startEveryApp } from '../fleet.js';
import { createIsolatedResources, type ServerEndpoints } from '../isolated-resources.js';
import { removeScrapeTargets, writeScrapeTargets } from '../scrape-targets.js';
import { Supervisor } from '../supervisor.js';

/** Drill processes listen 1000 ports above `make run`'s, so both can run side by side. */
const DRILL_PORT_OFFSET = 1000;

/** What a drill reads and writes, whichever backend runs it: load goes to apiUrl, evidence comes from the rest. */
/** Every database and vhost a drill creates is named with this prefix. */
export const drillPrefix = 'surety_drill_';

export interface DrillStack {
  name: string;
  amqpUrl: string;
  vhost: string;
  apiUrl: string;
  gatewayUrl: string;
  pool: Pool;
  management(path: string, init?: RequestInit): Promise<Response>;
  /** The queue names the broker has for this drill. */
  queueNames(): Promise<string[]>;
  /** Ready messages per queue, straight from the broker (never stale). */
  queueDepths(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** The local stack: every app a supervised process in a database and vhost of the drill's own. */
export interface DrillEnvironment extends DrillStack {
  databaseUrl: string;
  supervisor: Supervisor;
}

/** brokerProbe reads a vhost's queues: their names from the management API, their depths over AMQP. */
export function brokerProbe(managementUrl: string, amqpUrl: string, vhost: string) {
  const management = managementClient(managementUrl);
  const queueNames = async () => {
    const response = await management(`/queues/${encodeURIComponent(vhost)}?columns=name`);
    return ((await response.json()) as { name: string }[]).map((q) => q.name);
  };
  return {
    management,
    queueNames,
    async queueDepths() {
      const connection = await connectAny(amqpUrl);
      try {
        const channel = await connection.createChannel();
        const depths: Record<string, number> = {};
        for (const queue of await queueNames()) depths[queue] = (await channel.checkQueue(queue)).messageCount;
        return depths;
      } finally {
        await connection.close().catch(() => undefined);
      }
    },
  };
}

/**
 * createDrillEnvironment gives a drill a database and a vhost of its own, migrated and empty, and
 * runs every app in it under a supervisor, with the replicas and settings the drill asks for.
 */
export async function createDrillEnvironment(options: {
  root: string;
  endpoints: ServerEndpoints;
  drill: string;
  replicas: Partial<Record<ProcessApp, number>>;
  env: Partial<Record<ProcessApp, Record<string, string>>>;
  /** Where the consumers run: apart (a process each) unless the drill says together. */
  placement?: ConsumerPlacement;
  everyApp?: Record<string, string>;
  heartbeatSeconds?: number;
  say: (line: string) => void;
}): Promise<DrillEnvironment> {
  const name = `${drillPrefix}${options.drill.replace(/-/g, '_')}_${randomBytes(3).toString('hex')}`;
  await requireFreePorts(
    fleetPorts((app) => options.replicas[app] ?? 1, options.placement ?? 'apart', DRILL_PORT_OFFSET),
    'drill (or a test running one)',
  );
  const resources = await createIsolatedResources(options.endpoints, name);
  const { databaseUrl, amqpUrl } = resources;
  const appAmqpUrl = options.heartbeatSeconds
    ? brokerUrls(amqpUrl)
        .map((url) => `${url}?heartbeat=${options.heartbeatSeconds}`)
        .join(',')
    : amqpUrl;

  const port = (app: AppName) => servicePort(app, 0, DRILL_PORT_OFFSET);
  const apiUrl = `http://127.0.0.1:${port('api')}`;
  const gatewayUrl = `http://127.0.0.1:${port('gateway')}`;
  const supervisor = new Supervisor({
    root: options.root,
    logDir: join(options.root, 'reports', 'drills', 'logs', name),
    say: options.say,
    maxRestartDelayMs: 1_000,
  });
  const readiness = startEveryApp(supervisor, {
    replicas: (app) => options.replicas[app] ?? 1,
    placement: options.placement ?? 'apart',
    portOffset: DRILL_PORT_OFFSET,
    env: (app) => ({
      DATABASE_URL: databaseUrl,
      AMQP_URL: appAmqpUrl,
      GATEWAY_URL: gatewayUrl,
      INVENTORY_URL: `http://127.0.0.1:${port('inventory')}`,
      // A replication slot is the server's: the drill's own, should its relay read the WAL.
      RELAY_CDC_SLOT: name,
      LOG_LEVEL: 'info',
      ...options.everyApp,
      ...options.env[app],
    }),
  }).map((process) => `${process.url}/readyz`);
  const ready = await Promise.all(readiness.map((url) => waitUntilReady(url, 60_000)));
  const late = readiness.filter((_url, i) => !ready[i]);
  if (late.length > 0) {
    // Nothing of a drill that could not start is left running, or holding its ports.
    await supervisor.stopAll();
    await resources.drop();
    throw new Error(`not ready within 60 s: ${late.join(', ')} (logs in reports/drills/logs/${name})`);
  }
  const pool = createPool(databaseUrl, createLogger('drill', 'silent'), { max: 4 });
  // The local Prometheus, when it runs, scrapes the drill's processes under the drill's name.
  writeScrapeTargets(options.root, name, supervisor.specs(), DRILL_PORT_OFFSET);

  return {
    name,
    databaseUrl,
    amqpUrl,
    vhost: name,
    apiUrl,
    gatewayUrl,
    supervisor,
    pool,
    ...brokerProbe(options.endpoints.managementUrl, amqpUrl, name),
    async close() {
      removeScrapeTargets(options.root, name);
      await supervisor.stopAll();
      await pool.end();
      await resources.drop();
    },
  };
}
