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
