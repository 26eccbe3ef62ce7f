import { createServer } from 'node:net';
import { appSpecs, replicaPort, type AppName } from './apps.js';
import type { Supervisor } from './supervisor.js';

export interface StartedProcess {
  id: string;
  app: AppName;
  url: string;
}

/**
 * startEveryApp starts the replicas of every app under the supervisor, in start order, replica i
 * on its base port (plus `portOffset`) plus 100 × i, each with the settings `env` gives it.
 */
export function startEveryApp(
  supervisor: Supervisor,
  options: {
    replicas: (app: AppName) => number;
    portOffset?: number;
    env: (app: AppName, id: string) => Record<string, string>;
    /** The niceness an app's replicas run at (see ProcessSpec.nice). */
    nice?: (app: AppName) => number | undefined;
  },
): StartedProcess[] {
  const started: StartedProcess[] = [];
  for (const app of appSpecs) {
    for (let replica = 0; replica < options.replicas(app.name); replica++) {
      const port = replicaPort(app.basePort + (options.portOffset ?? 0), replica);
      const id = `${app.name}-${replica + 1}`;
      const nice = options.nice?.(app.name);
      supervisor.start({
        id,
        entry: `apps/${app.name}/src/main.ts`,
        env: { ...options.env(app.name, id), [app.portVariable]: String(port) },
        ...(nice ? { nice } : {}),
      });
      started.push({ id, app: app.name, url: `http://127.0.0.1:${port}` });
    }
  }
  return started;
}

/** fleetPorts lists the ports startEveryApp gives the replicas of every app. */
export function fleetPorts(replicas: (app: AppName) => number, portOffset = 0): number[] {
  return appSpecs.flatMap((app) =>
    Array.from({ length: replicas(app.name) }, (_, replica) => replicaPort(app.basePort + portOffset, replica)),
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
