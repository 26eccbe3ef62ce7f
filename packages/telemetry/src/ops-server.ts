import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { httpLogging } from './http-logging.js';
import type { Logger } from './logger.js';

export interface Probe {
  /** True when the process can do its work now (its connections are up). */
  isReady(): boolean | Promise<boolean>;
}

/** registerProbes adds /healthz, /readyz and /metrics to a Fastify app. */
export function registerProbes(app: FastifyInstance, registry: Registry, probe: Probe): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    (await probe.isReady()) ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/** startOpsServer serves the probes and metrics of a process that has no HTTP API of its own. */
export async function startOpsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  probe: Probe;
  logger: Logger;
  /** Read-only routes a service adds beside its probes. */
  routes?: (app: FastifyInstance) => void;
}): Promise<OpsServer> {
  const app = Fastify({
    ...httpLogging(options.logger.child({ component: 'ops-http' })),
  });
  registerProbes(app, options.registry, options.probe);
  options.routes?.(app);
  const url = await app.listen({ host: options.host, port: options.port });
  return { url, close: () => app.close() };
}
