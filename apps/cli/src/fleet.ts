import { createServer } from 'node:net';
import { processApps, replicaProcess, type AppName, type ConsumerPlacement, type ProcessApp } from './apps.js';
import type { Supervisor } from './supervisor.js';

export interface StartedService {
  /** The service's replica id (`payment-2`). */
  id: string;
  app: AppName;
  url: string;
  /** The supervisor's id of the process that serves it (`payment-2`, or `consumers-2` together). */
  process: string;
}

/**
 * startEveryApp starts the replicas of every app under the supervisor, in start order, the
 * consumers together or apart; each service of replica i listens on its base port (plus
 * `portOffset`) plus 100 × i, and each process runs with the settings `env` gives it.
 */
export function startEveryApp(
  supervisor: Supervisor,
  options: {
    replicas: (app: ProcessApp) => number;
    placement: ConsumerPlacement;
    portOffset?: number;
    env: (app: ProcessApp, id: string) => Record<string, string>;
    /** The niceness an app's replicas run at (see ProcessSpec.nice). */
    nice?: (app: ProcessApp) => number | undefined;
  },
): StartedService[] {
  const started: StartedService[] = [];
  for (const app of processApps(options.placement)) {
    for (let replica = 0; replica < options.replicas(app); replica++) {
      const laidOut = replicaProcess(app, replica, options.portOffset);
      const nice = options.nice?.(app);
      supervisor.start({
        id: laidOut.id,
        entry: laidOut.entry,
        env: { ...options.env(app, laidOut.id), ...laidOut.env },
        ...(nice ? { nice } : {}),
      });
      for (const service of laidOut.services)
        started.push({
          id: service.id,
          app: service.app,
          url: `http://127.0.0.1:${service.port}`,
          process: laidOut.id,
        });
    }
  }
  return started;
}

/** fleetPorts lists the ports startEveryApp gives the replicas of every app. */
export function fleetPorts(
  replicas: (app: ProcessApp) => number,
  placement: ConsumerPlacement,
  portOffset = 0,
): number[] {
  return processApps(placement).flatMap((app) =>
    Array.from({ length: replicas(app) }, (_, replica) =>
      replicaProcess(app, replica, portOffset).services.map((service) => service.port),
    ).flat(),
  );
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * requireFreePorts fails, naming them, when any of the ports is still taken after `waitMs` (a run
 * before this one may still be stopping): an app started on one would exit, and whatever holds the
 * port would answer in its place (another stack's api taking the orders meant for this one).
 */
export async function requireFreePorts(
  ports: readonly number[],
  who: string,
  { waitMs = 30_000 }: { waitMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const taken = (await Promise.all(ports.map(async (port) => ((await portIsFree(port)) ? [] : [port])))).flat();
    if (taken.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`ports ${taken.join(', ')} are taken: is another ${who} running? Stop it first`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
