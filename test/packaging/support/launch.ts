import { spawn, type ChildProcess } from 'node:child_process';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { EntryPoint } from './chart-entry-points.js';
import type { ImageTree } from './image-tree.js';
import { watch } from '../../support/processes.js';

/** What stands in here for what a cluster gives a pod. */
export interface LocalCluster {
  image: ImageTree;
  /** The value of a secret's key (the operators' secrets: the database's and the broker's URLs). */
  secret(name: string, key: string): string;
  /** Where a Service of the chart answers here, or undefined when nothing of the chart serves it. */
  serviceUrl(name: string): string | undefined;
  /** Answers for every address outside the chart (the trace collector). */
  standInUrl: string;
  tmpdir: string;
}

export interface LaunchedProcess {
  entry: EntryPoint;
  /** The local port of its `http` container port, when it has one. */
  port: number | undefined;
  child: ChildProcess;
  /** Resolves with the exit code, or the signal's name, when the process ends. */
  exited: Promise<number | string>;
  output(): string;
}

/**
 * commandLine is what the container runs, by Kubernetes' rule: its `command` replaces the image's
 * ENTRYPOINT (and drops CMD), its `args` replace CMD. `node` is the Node.js running this check.
 */
export function commandLine(container: IContainer, image: ImageTree): string[] {
  const entrypoint = container.command ?? image.entrypoint;
  const args = container.args ?? (container.command ? [] : image.cmd);
  const [program, ...rest] = [...entrypoint, ...args];
  if (program === undefined) throw new Error(`${container.name}: nothing to run`);
  return [program === 'node' ? process.execPath : program, ...rest];
}

/** An in-cluster address (`http://gateway:8090/...`, a Service name without dots) moved to where it answers here. */
function localAddress(value: string, cluster: LocalCluster): string {
  const match = /^(https?:\/\/)([a-z0-9-]+)(?::\d+)?(\/.*)?$/.exec(value);
  if (!match) return value;
  const [, , host, path = ''] = match;
  return `${cluster.serviceUrl(host!) ?? cluster.standInUrl}${path}`;
}

function httpPort(container: IContainer): number | undefined {
  return container.ports?.find((port) => port.name === 'http')?.containerPort;
}

/**
 * localEnv is the container's environment as the process sees it here: the image's ENV, then the
 * container's variables with secrets resolved, in-cluster addresses moved to local ones, and the
 * variable that sets its port moved to a free port.
 */
export function localEnv(entry: EntryPoint, cluster: LocalCluster, port: number | undefined): Record<string, string> {
  const containerPort = httpPort(entry.container);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    TMPDIR: cluster.tmpdir,
    ...cluster.image.env,
  };
  for (const variable of entry.container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (variable.valueFrom && !ref) throw new Error(`${entry.owner} ${variable.name}: only secretKeyRef is modelled`);
    const value = ref ? cluster.secret(ref.name ?? '', ref.key) : (variable.value ?? '');
    env[variable.name] =
      containerPort !== undefined && port !== undefined && value === String(containerPort)
        ? String(port)
        : localAddress(value, cluster);
  }
  return env;
}

/** launch starts an entry point's container as a process of the image's tree, in its work directory. */
export function launch(entry: EntryPoint, cluster: LocalCluster, port?: number): LaunchedProcess {
  if (httpPort(entry.container) !== undefined && port === undefined) {
    throw new Error(`${entry.owner} serves http: give it a local port`);
  }
  const [program, ...args] = commandLine(entry.container, cluster.image);
  const child = spawn(program!, args, {
    cwd: cluster.image.workdir,
    env: localEnv(entry, cluster, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { entry, port, child, ...watch(child) };
}
