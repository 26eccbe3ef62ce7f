import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DrillBackend } from './backend.js';
import type { ServerEndpoints } from '../isolated-resources.js';
import { createDrillEnvironment } from './environment.js';
import { startPrometheus } from '../scrape-targets.js';

async function runInfra(root: string, command: string): Promise<void> {
  await promisify(execFile)('bash', [join(root, 'scripts', 'infra.sh'), command], { timeout: 120_000 });
}

/**
 * localBackend runs each drill in a stack of its own (a fresh database and vhost on the local
 * servers, every app a supervised process) and causes its fault with signals, failpoints and
 * scripts/infra.sh.
 */
export function localBackend(options: { root: string; endpoints: ServerEndpoints }): DrillBackend {
  return {
    target: 'local',
    refusal: () => undefined,
    async prepare(drill, { gatewayIgnoresKeys, say }) {
      const env = await createDrillEnvironment({
        root: options.root,
        endpoints: options.endpoints,
        drill: drill.name,
        replicas: drill.replicas ?? {},
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
              })
            : async () => undefined,
      };
    },
  };
}
