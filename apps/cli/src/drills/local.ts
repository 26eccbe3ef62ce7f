import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brokerUrls } from '@surety/messaging';
import type { DrillBackend } from './backend.js';
import type { ServerEndpoints } from '../isolated-resources.js';
import { createDrillEnvironment } from './environment.js';
import { startPrometheus } from '../scrape-targets.js';

async function runInfra(root: string, command: string): Promise<void> {
  await promisify(execFile)('bash', [join(root, 'scripts', 'infra.sh'), command], { timeout: 120_000 });
}

/** runCluster runs scripts/cluster.sh and answers its output. */
export async function runCluster(root: string, command: string, node?: number): Promise<string> {
  const args = [join(root, 'scripts', 'cluster.sh'), command, ...(node === undefined ? [] : [String(node)])];
  const { stdout } = await promisify(execFile)('bash', args, { timeout: 300_000 });
  return stdout.trim();
}

/**
 * clusterEndpoints are the local cluster's servers: every broker node (an app tries each in turn),
 * the Postgres primary and standby in one multi-host URL, and node 1's management API.
 */
export function clusterEndpoints(amqpUrls: string, databaseUrl: string): ServerEndpoints {
  const first = new URL(brokerUrls(amqpUrls)[0]!);
  return { amqpUrl: amqpUrls, databaseUrl, managementUrl: `http://guest:guest@${first.hostname}:15672` };
}

/**
 * localBackend runs each drill in a stack of its own (a fresh database and vhost on the local
 * servers, every app a supervised process) and causes its fault with signals, failpoints and
 * scripts/infra.sh.
 */
export function localBackend(options: { root: string; endpoints: ServerEndpoints; cluster?: boolean }): DrillBackend {
  return {
    target: 'local',
    refusal: (drill) =>
      drill.needsCluster && !options.cluster
        ? 'it needs the local cluster (three RabbitMQ nodes, a Postgres primary and standby): make drill NAME=<drill> CLUSTER=3'
        : undefined,
    async prepare(drill, { gatewayIgnoresKeys, say }) {
      const env = await createDrillEnvironment({
        root: options.root,
        endpoints: options.endpoints,
        drill: drill.name,
        replicas: drill.replicas ?? {},
        ...(drill.placement ? { placement: drill.placement } : {}),
        env: {
          ...drill.env,
          gateway: {
            ...drill.env?.gateway,
            GATEWAY_HONOUR_IDEMPOTENCY_KEYS: gatewayIgnoresKeys ? 'false' : 'true',
          },
        },
        everyApp: drill.everyApp,
        heartbeatSeconds: drill.heartbeatSeconds,
        say,
      });
      return {
        stack: env,
        inject: async ({ size, say: sayDuring, poison }) =>
          drill.inject
            ? drill.inject({
                env,
                size,
                say: sayDuring,
                infra: (command) => runInfra(options.root, command),
                poison,
                prometheus: () => startPrometheus(options.root),
                ...(options.cluster ? { cluster: (command, node) => runCluster(options.root, command, node) } : {}),
              })
            : async () => undefined,
      };
    },
  };
}
