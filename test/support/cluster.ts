import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const script = fileURLToPath(new URL('../../scripts/cluster.sh', import.meta.url));

export type ClusterCommand = 'up' | 'down' | 'reset' | 'status' | 'amqp-urls' | 'pg-up' | 'pg-url' | 'pg-primary';
export type NodeFault = 'partition' | 'heal' | 'kill' | 'pause' | 'resume' | 'pg-kill' | 'pg-promote' | 'pg-rejoin';
export type ClusterNode = 1 | 2 | 3;

/** cluster runs scripts/cluster.sh (three RabbitMQ nodes, each in a network namespace of its own) and answers its output. */
export async function cluster(command: ClusterCommand | NodeFault, node?: ClusterNode): Promise<string> {
  const args = node === undefined ? [script, command] : [script, command, String(node)];
  const { stdout } = await promisify(execFile)('bash', args, { timeout: 300_000 });
  return stdout.trim();
}

/** The node's address on the cluster's bridge, as scripts/cluster.sh gives it. */
export const nodeAddress = (node: ClusterNode) => `10.231.0.1${node}`;
export const nodeAmqpUrl = (node: ClusterNode) => `amqp://guest:guest@${nodeAddress(node)}:5672`;

/** managementOf calls a node's management API. */
export async function managementOf<T>(node: ClusterNode, path: string): Promise<T> {
  const response = await fetch(`http://${nodeAddress(node)}:15672/api${path}`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`${path} on node ${node}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** nodeOf reads `rabbit@10.231.0.12` as 2. */
export function nodeOf(name: string): ClusterNode {
  const node = Number(/^rabbit@10\.231\.0\.1(\d)$/.exec(name)?.[1]);
  if (node !== 1 && node !== 2 && node !== 3) throw new Error(`not a node of the cluster: ${name}`);
  return node;
}
