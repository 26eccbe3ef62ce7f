import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { renderChart } from '../manifests/support/helm.js';
import { namespace } from '../manifests/support/repo.js';
import { appNodeFlags } from '../../apps/cli/src/compiled.js';
import { entryPointsOf, type EntryPoint } from './support/chart-entry-points.js';
import { readDockerfile } from './support/dockerfile.js';
import { launch, type LaunchedProcess } from './support/launch.js';
import { startLocalCluster, type LocalClusterSetup } from './support/local-cluster.js';
import { repoRoot } from './support/workspaces.js';

/**
 * The image's entry points, started the way the chart starts them, from the production dependency
 * tree the Dockerfile installs: the check that catches a dev dependency loaded at run time (issue
 * 13, defect 1) without Docker. It needs the real PostgreSQL and RabbitMQ, and every test fails
 * without them.
 */

const entryPoints = entryPointsOf(renderChart('default'), namespace);
const hooks = entryPoints.filter((e) => e.phase === 'pre-install').sort((a, b) => a.weight - b.weight);
const servers = entryPoints.filter((e) => e.phase === 'release' && e.runs === 'until-stopped');
const jobs = entryPoints.filter((e) => e.phase === 'release' && e.runs === 'to-completion');
const tests = entryPoints.filter((e) => e.phase === 'test');
const byOwner = (entries: EntryPoint[]) => entries.map((entry) => [entry.owner, entry] as const);

const { tests: helmTest } = parse(readFileSync(path.join(repoRoot, 'charts/surety/values.yaml'), 'utf8')) as {
  tests: { timeoutSeconds: number };
};

/** The install runs once, in the first test that needs it (a cold npm cache downloads every package). */
const installMs = 15 * 60_000;
const readyMs = 60_000;

let setup: Promise<LocalClusterSetup> | undefined;
/** local starts the local cluster once; a test awaits it, so that a missing server fails every test rather than skipping them. */
const local = () => (setup ??= startLocalCluster(servers));
const running = new Map<string, LaunchedProcess>();

afterAll(async () => {
  for (const server of running.values()) server.child.kill('SIGKILL');
  await Promise.all([...running.values()].map((server) => server.exited));
  await setup?.then(
    (started) => started.close(),
    () => undefined,
  );
}, 60_000);

function tail(launched: LaunchedProcess): string {
  return `--- ${launched.entry.owner} output:\n${launched.output().slice(-3000)}`;
}

async function runToCompletion(entry: EntryPoint, timeoutMs: number): Promise<LaunchedProcess> {
  const started = launch(entry, (await local()).cluster);
  const timer = setTimeout(() => started.child.kill('SIGKILL'), timeoutMs);
  await started.exited.finally(() => clearTimeout(timer));
  return started;
}

/** ready polls the readiness probe's path until it answers 2xx; false if the process exits first or time runs out. */
async function ready(server: LaunchedProcess): Promise<boolean> {
  const probe = server.entry.container.readinessProbe?.httpGet;
  if (probe?.port !== 'http' || !probe.path) throw new Error(`${server.entry.owner}: no readiness probe on http`);
  const url = `http://127.0.0.1:${server.port}${probe.path}`;
  let exited = false;
  void server.exited.then(() => (exited = true));
  const deadline = Date.now() + readyMs;
  while (!exited && Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

describe('the image, replayed from the Dockerfile', () => {
  it('finds in the chart the migrations hook, every app, the one-pass reconciler and the helm test', () => {
    expect(hooks.map((e) => e.owner)).toEqual(['Job/migrations']);
    expect(servers.map((e) => e.owner)).toContain('Deployment/api');
    expect(jobs.map((e) => e.owner)).toEqual(['CronJob/reconciler']);
    expect(tests.map((e) => e.owner)).toEqual(['Pod/place-order-test']);
  });

  it('runs node with the flags `make run` gives it', () => {
    const entrypoints = readDockerfile()
      .at(-1)!
      .instructions.flatMap((instruction) => (instruction.op === 'ENTRYPOINT' ? [instruction.argv] : []));
    expect(entrypoints.at(-1)).toEqual(['node', ...appNodeFlags]);
  });

  it(
    'installs the production dependencies only: nothing the lock file marks dev',
    async () => {
      const { cluster } = await local();
      const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const devOnly = Object.entries(lock.packages)
        .filter(([location, entry]) => entry.dev && location.startsWith('node_modules/'))
        .map(([location]) => location);
      expect(devOnly).toContain('node_modules/prettier');
      expect(devOnly.filter((location) => existsSync(path.join(cluster.image.workdir, location)))).toEqual([]);
    },
    installMs,
  );

  it('runs compiled JavaScript: no TypeScript loader and no TypeScript source in the image', async () => {
    const { cluster } = await local();
    expect(existsSync(path.join(cluster.image.workdir, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(path.join(cluster.image.workdir, 'apps', 'api', 'src'))).toBe(false);
    for (const entry of entryPoints.filter((e) => !e.container.command)) {
      expect(existsSync(path.join(cluster.image.workdir, entry.container.args?.[0] ?? '')), entry.owner).toBe(true);
    }
  });
});

describe('every entry point the chart runs, from the image with its args', () => {
  it.each(byOwner(hooks))('%s: the pre-install hook runs to completion (exit 0)', async (_owner, entry) => {
    const done = await runToCompletion(entry, 120_000);
    expect(await done.exited, tail(done)).toBe(0);
  });

  it.each(byOwner(servers))('%s: starts and answers its readiness probe', async (owner, entry) => {
    const { cluster, ports } = await local();
    const started = launch(entry, cluster, ports.get(owner));
    running.set(owner, started);
    expect(await ready(started), tail(started)).toBe(true);
  });

  it.each(byOwner(jobs))('%s: one pass runs to completion (exit 0)', async (_owner, entry) => {
    const done = await runToCompletion(entry, 120_000);
    expect(await done.exited, tail(done)).toBe(0);
  });

  it.each(byOwner(tests))(
    '%s: the helm test passes against the apps started from the image',
    async (_owner, entry) => {
      const done = await runToCompletion(entry, (helmTest.timeoutSeconds + 10) * 1000);
      expect(await done.exited, tail(done)).toBe(0);
      expect(done.output()).toMatch(/order \S+ CONFIRMED/);
    },
    (helmTest.timeoutSeconds + 20) * 1000,
  );

  it.each(byOwner([...servers].reverse()))('%s: stops on SIGTERM with exit code 0', async (owner) => {
    await local();
    const server = running.get(owner);
    expect(server, `${owner} was started`).toBeDefined();
    server!.child.kill('SIGTERM');
    expect(await server!.exited, tail(server!)).toBe(0);
  });

  it('the apps sent their spans to the trace collector the chart names', async () => {
    expect((await local()).collector.paths()).toContain('/v1/traces');
  });
});
