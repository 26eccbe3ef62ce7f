import { freePort } from './ports.js';
import { spawnProcess, type AppProcess } from './processes.js';
import { isolatedResources } from './stack.js';
import { waitFor } from './wait.js';

/** The apps of the pipeline, in start order, each with the variable that sets its port. */
const pipelineApps = [
  { name: 'gateway', portVariable: 'GATEWAY_PORT' },
  { name: 'relay', portVariable: 'PORT' },
  { name: 'payment', portVariable: 'PORT' },
  { name: 'inventory', portVariable: 'PORT' },
  { name: 'saga', portVariable: 'PORT' },
  { name: 'notification', portVariable: 'PORT' },
  { name: 'api', portVariable: 'PORT' },
] as const;

export type PipelineApp = (typeof pipelineApps)[number]['name'];

export interface ProcessStack {
  urls: Record<PipelineApp, string>;
  resources: Awaited<ReturnType<typeof isolatedResources>>;
  /** Everything each process wrote, for a failing test to show. */
  output(app: PipelineApp): string;
  stop(): Promise<void>;
}

/**
 * startProcessStack runs every app of the pipeline as its own process, as `make run` does, against
 * a database and vhost of the test file's own, and waits until each is ready.
 */
export async function startProcessStack(env: Record<string, string> = {}): Promise<ProcessStack> {
  const resources = await isolatedResources(env);
  const ports = Object.fromEntries(
    await Promise.all(pipelineApps.map(async ({ name }) => [name, await freePort()] as const)),
  ) as Record<PipelineApp, number>;
  const urls = Object.fromEntries(pipelineApps.map(({ name }) => [name, `http://127.0.0.1:${ports[name]}`])) as Record<
    PipelineApp,
    string
  >;
  const processes = new Map<PipelineApp, AppProcess>();
  const stop = async () => {
    for (const [, app] of [...processes].reverse()) {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    await resources.pool.end();
    await Promise.all([resources.db.drop(), resources.vhost.drop()]);
  };
  try {
    for (const { name, portVariable } of pipelineApps) {
      const app = spawnProcess(`apps/${name}/src/main.ts`, {
        ...resources.env,
        GATEWAY_URL: urls.gateway,
        [portVariable]: String(ports[name]),
      });
      processes.set(name, app);
      await waitFor(
        `${name} to be ready`,
        async () => (await fetch(`${urls[name]}/readyz`)).ok,
        (ready) => ready,
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    }
  } catch (error) {
    const outputs = [...processes].map(([name, app]) => `--- ${name}\n${app.output().slice(-2000)}`).join('\n');
    await stop();
    throw new Error(`the process stack did not start:\n${outputs}`, { cause: error });
  }
  return { urls, resources, output: (app) => processes.get(app)?.output() ?? '', stop };
}
