import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '@surety/telemetry';

export interface WebOptions {
  /** Where `npm run build -w @surety/web` writes the page (index.html and assets/). */
  webRoot: string;
  /** Jaeger's UI, for the timeline's trace links; absent, trace ids are shown without a link. */
  jaegerUiUrl: string | undefined;
  /** True when the api renders traces itself at /orders/:id/trace (Jaeger's query API without its UI). */
  traceWaterfall: boolean;
  /** The runbook served at /docs/runbook.md, when the file is there. */
  runbookFile: string;
  /** Where the ops page links for the runbook's sections. */
  runbookUrl: string;
  logger: Logger;
}

/** The pages the front end routes itself; each is served index.html. */
const pagePaths = ['/ops'];

/**
 * webRoutes serves the customer page at `/` and the operator's page at `/ops` from the built
 * assets, the little the page needs to know about this deployment at `/config.json`, and the
 * runbook its gauges link to. Without built assets the API still runs; the pages answer 503
 * saying how to build them.
 */
export const webRoutes: FastifyPluginAsync<WebOptions> = async (
  app,
  { webRoot, jaegerUiUrl, traceWaterfall, runbookFile, runbookUrl, logger },
) => {
  app.get('/config.json', { schema: { hide: true } }, async () => ({
    jaegerUiUrl: jaegerUiUrl ?? null,
    traceWaterfall,
    runbookUrl,
  }));
  if (existsSync(runbookFile)) {
    const runbook = readFileSync(runbookFile, 'utf8');
    app.get('/docs/runbook.md', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/markdown; charset=utf-8').send(runbook),
    );
  }

  if (!existsSync(join(webRoot, 'index.html'))) {
    logger.warn({ webRoot }, 'web assets not built: / and /ops answer 503 until `npm run build -w @surety/web`');
    for (const path of ['/', ...pagePaths]) {
      app.get(path, { schema: { hide: true } }, async (_request, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The page is not built: run `npm run build -w @surety/web` (make run does), then reload.\n'),
      );
    }
    return;
  }
  await app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/',
    setHeaders: (reply, path) => {
      // Vite names assets by content hash, so they never change; the page itself must be re-read.
      const hashed = path.startsWith(join(webRoot, 'assets'));
      void reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  for (const path of pagePaths) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.sendFile('index.html'));
  }
};
