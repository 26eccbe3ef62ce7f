import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { freePort } from '../../support/ports.js';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readYaml, repoPath } from '../../manifests/support/repo.js';
import { crdNames, externalMetricsApiService, kubeconfig, kubectl, kubectlJson } from './cluster.js';

// KEDA's operator and metrics adapter (built by `scripts/tools.sh keda`) run out of cluster, as
// processes of the test, against the local control plane: the operator with its gRPC metrics
// service on loopback, the adapter as an aggregated API server behind the API server's front proxy.

const binDirectory = repoPath('.tools', 'bin');
const kedaModule = 'github.com/kedacore/keda/v2';
const logDirectory = path.join(process.env.SURETY_LOCAL_DIR ?? repoPath('.local'), 'keda-test');
const buildHint = "run `bash scripts/tools.sh keda` (the kubernetes project's global setup does)";

/** The KEDA release scripts/tools.sh built into .tools/bin (it stamps the version beside the binaries). */
function builtKedaVersion(): string {
  const stamp = path.join(binDirectory, '.keda-version');
  for (const binary of ['keda', 'keda-adapter']) {
    if (!existsSync(path.join(binDirectory, binary))) throw new Error(`.tools/bin/${binary} is missing: ${buildHint}`);
  }
  if (!existsSync(stamp)) throw new Error(`.tools/bin/.keda-version is missing: ${buildHint}`);
  return readFileSync(stamp, 'utf8').trim();
}

/** kedaSourceDirectory is the KEDA module the binaries were built from, in Go's module cache (downloaded if gone). */
function kedaSourceDirectory(version: string): string {
  const result = spawnSync('go', ['mod', 'download', '-json', `${kedaModule}@${version}`], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    env: { ...process.env, GOWORK: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
  });
  if (result.error) throw new Error(`go is needed to find KEDA ${version}'s CRDs: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`go mod download ${kedaModule}@${version} failed:\n${result.stderr}`);
  return (JSON.parse(result.stdout) as { Dir: string }).Dir;
}

/**
 * installMissingKedaCrds applies the CRDs of the built KEDA release that ../shared/schemas/crds
 * lacks (ClusterTriggerAuthentication, CloudEventSource, ClusterCloudEventSource): the operator
 * watches every kind it reconciles and stops when one is unknown. Returns their names, to delete.
 */
export function installMissingKedaCrds(): string[] {
  const directory = path.join(kedaSourceDirectory(builtKedaVersion()), 'config', 'crd', 'bases');
  const shared = new Set(crdNames());
  const missing = readdirSync(directory)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => path.join(directory, file))
    .map((file) => ({ file, name: (readYaml(file)[0] as { metadata: { name: string } }).metadata.name }))
    .filter(({ name }) => !shared.has(name));
  for (const { file } of missing) {
    kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'surety-tests', '-f', file]);
  }
  const names = missing.map(({ name }) => name);
  if (names.length > 0) {
    kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', ...names.map((name) => `crd/${name}`)]);
  }
  return names;
}

export function deleteCrds(names: string[]): void {
  if (names.length > 0) kubectl(['delete', '--ignore-not-found', ...names.map((name) => `crd/${name}`)]);
}

/**
 * requireFrontProxy fails unless the API server publishes its front proxy's CA (the requestheader
 * flags of scripts/control-plane.sh): without it the adapter cannot tell who the aggregator asks for.
 */
export function requireFrontProxy(): void {
  const config = kubectlJson<{ data: Record<string, string> }>([
    'get',
    'configmap',
    'extension-apiserver-authentication',
    '-n',
    'kube-system',
  ]);
  if (!config.data['requestheader-client-ca-file']) {
    throw new Error(
      'the API server runs without the front proxy of the aggregation layer (an older scripts/control-plane.sh ' +
        'started it): restart it with `bash scripts/control-plane.sh down && bash scripts/control-plane.sh up`',
    );
  }
}

export interface Certificates {
  directory: string;
  /** The CA that signs the one certificate every KEDA connection uses, for the APIService's caBundle. */
  caPem: string;
  cert: string;
  key: string;
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`openssl is needed for KEDA's certificates: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
}

/**
 * writeCertificates writes what KEDA reads from its --cert-dir (ca.crt, tls.crt, tls.key; cert
 * rotation, which would write them into a Secret, is off): one certificate, for the operator's gRPC
 * server and the adapter's client of it (mutual TLS, on 127.0.0.1), and for the adapter's serving,
 * which the aggregator checks against the DNS name of the APIService's Service.
 */
export function writeCertificates(directory: string, serviceDnsName: string): Certificates {
  const file = (name: string) => path.join(directory, name);
  openssl([
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=surety-keda-test-ca'],
    ...['-keyout', file('ca.key'), '-out', file('ca.crt')],
  ]);
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=keda',
    '-keyout',
    file('tls.key'),
    '-out',
    file('tls.csr'),
  ]);
  writeFileSync(
    file('tls.ext'),
    `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${serviceDnsName}\nextendedKeyUsage=serverAuth,clientAuth\n`,
  );
  openssl([
    ...['x509', '-req', '-in', file('tls.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial'],
    ...['-days', '1', '-extfile', file('tls.ext'), '-out', file('tls.crt')],
  ]);
  return { directory, caPem: readFileSync(file('ca.crt'), 'utf8'), cert: file('tls.crt'), key: file('tls.key') };
}

const pidFile = (name: string) => path.join(logDirectory, `${name}.pid`);

/** stopLeftover kills what an interrupted earlier run left of a process, if its pid still runs that binary. */
function stopLeftover(name: string, binary: string): void {
  if (!existsSync(pidFile(name))) return;
  const pid = Number(readFileSync(pidFile(name), 'utf8'));
  let exe: string | undefined;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    exe = undefined; // gone
  }
  if (exe === binary) process.kill(pid, 'SIGKILL');
  rmSync(pidFile(name), { force: true });
}

/** A KEDA process of the test, its output in .local/keda-test/<name>.log. */
export class KedaProcess {
  private exit: string | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = signal ? `was killed by ${signal}` : `exited with ${code}`;
        resolve();
      });
      child.once('error', (error) => {
        this.exit = `could not run: ${error.message}`;
        resolve();
      });
    });
  }

  /** requireRunning throws, with the end of its log, once it has exited. */
  requireRunning(): void {
    if (this.exit) throw new Error(`${this.name} ${this.exit}; the end of ${this.logFile}:\n${this.logTail()}`);
  }

  logTail(lines = 30): string {
    return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** stop sends SIGTERM, and SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (!this.exit) {
      this.child.kill('SIGTERM');
      const stopped = await Promise.race([this.exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    rmSync(pidFile(this.name), { force: true });
  }
}

function startProcess(name: string, args: string[], env: Record<string, string>): KedaProcess {
  const binary = path.join(binDirectory, name);
  mkdirSync(logDirectory, { recursive: true });
  stopLeftover(name, binary);
  const logFile = path.join(logDirectory, `${name}.log`);
  const log = openSync(logFile, 'w');
  try {
    const child = spawn(binary, args, {
      stdio: ['ignore', log, log],
      // Classic list and watch, as every client of scripts/control-plane.sh (etcd 3.4: see there).
      env: { ...process.env, KUBECONFIG: kubeconfig, KUBE_FEATURE_WatchListClient: 'false', ...env },
    });
    if (child.pid === undefined) throw new Error(`${binary} did not start`);
    writeFileSync(pidFile(name), String(child.pid));
    return new KedaProcess(name, child, logFile);
  } finally {
    closeSync(log);
  }
}

/** Where KEDA looks: the test's namespace only, for ScaledObjects and cluster-scoped auth secrets alike. */
function namespaceEnv(namespace: string): Record<string, string> {
  return { WATCH_NAMESPACE: namespace, KEDA_CLUSTER_OBJECT_NAMESPACE: namespace, POD_NAMESPACE: namespace };
}

async function waitUntilReady(process: KedaProcess, url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    process.requireRunning();
    const ready = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`${process.name} not ready at ${url} within 60s:\n${process.logTail()}`);
    await sleep(250);
  }
}

export interface Operator {
  process: KedaProcess;
  /** Its gRPC metrics service, which the adapter asks for every metric. */
  metricsServiceAddress: string;
}

/** startOperator runs KEDA's operator out of cluster, every port on loopback, and waits for its readiness probe. */
export async function startOperator(namespace: string, certificates: Certificates): Promise<Operator> {
  const [metrics, health, grpc] = [await freePort(), await freePort(), await freePort()];
  const metricsServiceAddress = `127.0.0.1:${grpc}`;
  const operator = startProcess(
    'keda',
    [
      ...['--kubeconfig', kubeconfig, '--leader-elect=false', '--enable-cert-rotation=false'],
      ...['--cert-dir', certificates.directory, '--metrics-bind-address', `127.0.0.1:${metrics}`],
      ...[
        '--health-probe-bind-address',
        `127.0.0.1:${health}`,
        '--metrics-service-bind-address',
        metricsServiceAddress,
      ],
    ],
    namespaceEnv(namespace),
  );
  await waitUntilReady(operator, `http://127.0.0.1:${health}/readyz`);
  return { process: operator, metricsServiceAddress };
}

export interface Adapter {
  process: KedaProcess;
  securePort: number;
}

/**
 * startAdapter runs KEDA's metrics adapter, serving external.metrics.k8s.io on loopback. It
 * authenticates the aggregator's requests by the front proxy's CA and asks the API server whether
 * the user they name may read the metric (delegated authentication and authorization).
 */
export async function startAdapter(
  namespace: string,
  certificates: Certificates,
  operator: Operator,
): Promise<Adapter> {
  const [securePort, metrics] = [await freePort(), await freePort()];
  const adapter = startProcess(
    'keda-adapter',
    [
      ...['--kubeconfig', kubeconfig, '--lister-kubeconfig', kubeconfig],
      ...['--authentication-kubeconfig', kubeconfig, '--authorization-kubeconfig', kubeconfig],
      ...['--bind-address', '127.0.0.1', '--secure-port', String(securePort), '--cert-dir', certificates.directory],
      ...['--tls-cert-file', certificates.cert, '--tls-private-key-file', certificates.key],
      ...['--metrics-service-address', operator.metricsServiceAddress, '--port', String(metrics)],
    ],
    namespaceEnv(namespace),
  );
  adapter.requireRunning();
  return { process: adapter, securePort };
}

/** The Service the APIService names; the aggregator checks the adapter's certificate against this DNS name. */
export const adapterServiceName = 'keda-metrics-apiserver';
export const adapterDnsName = (namespace: string) => `${adapterServiceName}.${namespace}.svc`;

/**
 * registerExternalMetricsApi makes the API server serve external.metrics.k8s.io from the adapter.
 * Its Service is an ExternalName of localhost: the aggregator's default resolver dials an
 * ExternalName's host at the APIService's port, so it reaches the adapter on loopback with no
 * Endpoints (which refuse loopback addresses) and no kube-proxy.
 */
export function registerExternalMetricsApi(namespace: string, adapter: Adapter, certificates: Certificates): void {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: adapterServiceName, namespace },
    spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port: adapter.securePort }] },
  };
  const apiService = {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: externalMetricsApiService },
    spec: {
      group: 'external.metrics.k8s.io',
      version: 'v1beta1',
      service: { name: adapterServiceName, namespace, port: adapter.securePort },
      caBundle: Buffer.from(certificates.caPem).toString('base64'),
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  };
  kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager', 'surety-tests', '-f', '-'],
    JSON.stringify(service),
  );
  kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager', 'surety-tests', '-f', '-'],
    JSON.stringify(apiService),
  );
}

/** externalMetricsApiAvailable reads the APIService's Available condition, with its reason when not. */
export function externalMetricsApiAvailable(): { available: boolean; why: string } {
  const apiService = kubectlJson<{ status?: { conditions?: { type: string; status: string; message?: string }[] } }>([
    'get',
    'apiservice',
    externalMetricsApiService,
  ]);
  const condition = apiService.status?.conditions?.find((candidate) => candidate.type === 'Available');
  return { available: condition?.status === 'True', why: condition?.message ?? 'no Available condition yet' };
}
