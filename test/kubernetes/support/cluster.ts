import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { chartDirectory, scenarioValues } from '../../manifests/support/helm.js';
import { crdDirectory, readYaml, repoPath } from '../../manifests/support/repo.js';

/** Where scripts/control-plane.sh keeps its state (SURETY_LOCAL_DIR moves .local/, as for infra.sh). */
const controlPlaneDirectory = path.join(process.env.SURETY_LOCAL_DIR ?? repoPath('.local'), 'control-plane');
export const kubeconfig = path.join(controlPlaneDirectory, 'kubeconfig');
const kubectlBinary = repoPath('.tools', 'bin', 'kubectl');
const helmBinary = repoPath('.tools', 'bin', 'helm');

const hint = 'start it with `bash scripts/control-plane.sh up` (vitest --project kubernetes does)';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function run(binary: string, args: string[], input?: string): Run {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`bash scripts/tools.sh helm control-plane\` (it builds it with Go)`);
  }
  const result = spawnSync(binary, args, {
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
    // Classic list and watch, as every component of scripts/control-plane.sh (see there: etcd 3.4).
    env: { ...process.env, KUBECONFIG: kubeconfig, KUBE_FEATURE_WatchListClient: 'false' },
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** kubectlRun runs the pinned kubectl against the local control plane and returns its outcome, failed or not. */
export function kubectlRun(args: string[], input?: string): Run {
  return run(kubectlBinary, ['--kubeconfig', kubeconfig, ...args], input);
}

/** kubectl runs the pinned kubectl against the local control plane; a failure throws with its output. */
export function kubectl(args: string[], input?: string): string {
  const result = kubectlRun(args, input);
  if (result.status !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** kubectlJson reads objects as JSON. */
export function kubectlJson<T>(args: string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

/** helmRun runs the pinned helm against the local control plane and returns its outcome, failed or not. */
export function helmRun(args: string[]): Run {
  return run(helmBinary, ['--kubeconfig', kubeconfig, ...args]);
}

/** helm runs the pinned helm against the local control plane; a failure throws with its output. */
export function helm(args: string[]): string {
  const result = helmRun(args);
  if (result.status !== 0) {
    throw new Error(`helm ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** installChart is `helm install` of the chart with a ci scenario's values, waiting until kwok has it Ready. */
export function installChart(release: string, ns: string, scenario = 'default'): string {
  return helm([
    'install',
    release,
    chartDirectory,
    '-n',
    ns,
    '--create-namespace',
    '--values',
    scenarioValues(scenario),
    '--wait',
    '--timeout',
    '5m',
  ]);
}

/**
 * requireControlPlane fails (the tests never skip) unless the API server answers /readyz and the
 * fake node is Ready, and says how to start it.
 */
export function requireControlPlane(): void {
  if (!existsSync(kubeconfig)) throw new Error(`no control plane: ${kubeconfig} does not exist; ${hint}`);
  const ready = kubectlRun(['get', '--raw', '/readyz']);
  if (ready.status !== 0 || ready.stdout.trim() !== 'ok') {
    throw new Error(`the API server is not ready (${(ready.stderr || ready.stdout).trim()}); ${hint}`);
  }
}

/** The upstream CRD files in ../shared/schemas/crds; a missing directory fails with what it is for. */
export function crdFiles(): string[] {
  if (!existsSync(crdDirectory)) {
    throw new Error(
      `${crdDirectory} does not exist: the upstream CRDs (RabbitMQ, CloudNativePG, KEDA, Chaos Mesh, ` +
        'prometheus-operator) are read from shared/schemas/crds beside the repository, as CI clones it',
    );
  }
  const files = readdirSync(crdDirectory)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => path.join(crdDirectory, file));
  if (files.length === 0) throw new Error(`${crdDirectory} holds no CRD files`);
  return files;
}

/** The names of the CRDs those files define. */
export function crdNames(): string[] {
  return crdFiles().flatMap((file) =>
    readYaml(file)
      .filter((document) => (document as { kind?: string }).kind === 'CustomResourceDefinition')
      .map((document) => (document as { metadata: { name: string } }).metadata.name),
  );
}

export const externalMetricsApiService = 'v1beta1.external.metrics.k8s.io';

/** removeExternalMetricsApi deletes the APIService: left pointing at a stopped adapter, it stalls every namespace deletion. */
export function removeExternalMetricsApi(): void {
  kubectl(['delete', 'apiservice', externalMetricsApiService, '--ignore-not-found']);
}

function script(args: string[]): void {
  const started = Date.now();
  const result = spawnSync('bash', args, { cwd: repoPath(), stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`bash ${args.join(' ')} exited ${result.status} (see its output above)`);
  console.log(`[kubernetes] bash ${args.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** controlPlaneRunning says whether scripts/control-plane.sh finds every component up. */
export function controlPlaneRunning(): boolean {
  return spawnSync('bash', ['scripts/control-plane.sh', 'status'], { cwd: repoPath(), stdio: 'ignore' }).status === 0;
}

/**
 * prepareControlPlane is each file's first step: it builds what is missing (helm, KEDA and the
 * control plane, cached in .tools/bin; it waits for the build make test started in the background,
 * on tools.sh's lock), starts the control plane (a no-op when it runs), installs the upstream CRDs
 * unless they are, and removes what an interrupted keda.test.ts left (its APIService, which would
 * stall every namespace deletion). Anything missing fails the file: these tests never skip. In the
 * files rather than the project's global setup, which vitest runs before any project's tests: the
 * builds overlap the other projects instead of delaying them.
 */
export function prepareControlPlane(): void {
  crdFiles(); // fail early, with the reason, when ../shared/schemas/crds is missing
  script(['scripts/tools.sh', 'helm', 'keda']);
  script(['scripts/control-plane.sh', 'up']);
  requireControlPlane();
  const installed = new Set(kubectl(['get', 'crd', '-o', 'jsonpath={.items[*].metadata.name}']).split(' '));
  if (crdNames().some((name) => !installed.has(name))) {
    const started = Date.now();
    installCrds();
    console.log(`[kubernetes] upstream CRDs applied and Established: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  removeExternalMetricsApi();
}

/** installCrds server-side applies every upstream CRD (idempotent) and waits until each is Established. */
export function installCrds(): void {
  for (const file of crdFiles()) {
    kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'surety-tests', '-f', file]);
  }
  kubectl(['wait', '--for', 'condition=Established', '--timeout', '120s', ...crdNames().map((name) => `crd/${name}`)]);
}

/** ensureNamespace creates a namespace unless it exists. */
export function ensureNamespace(name: string): void {
  kubectl(['apply', '--server-side', '--field-manager', 'surety-tests', '-f', '-'], namespaceManifest(name));
}

function namespaceManifest(name: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** deleteNamespace deletes a namespace and waits until it is gone (no-op when absent). */
export function deleteNamespace(name: string): void {
  kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait', '--timeout', '120s']);
}

/** waitFor polls a check until it returns a value or the time runs out, then fails with the last reason. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    try {
      const value = check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs / 1000}s${last ? `: ${last}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
