import { existsSync } from 'node:fs';
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
  logger: Logger;
}

/** The pages the front end routes itself; each is served index.html. */
const pagePaths = ['/ops'];

/**
 * webRoutes serves the customer page at `/` and the operator's page at `/ops` from the built
 * assets, and the little the page needs to know about this deployment at `/config.json`. Without
 * built assets the API still runs; the pages answer 503 saying how to build them.
 */
export const webRoutes: FastifyPluginAsync<WebOptions> = async (
  app,
  { webRoot, jaegerUiUrl, traceWaterfall, logger },
) => {
  app.get('/config.json', { schema: { hide: true } }, async () => ({
    jaegerUiUrl: jaegerUiUrl ?? null,
    traceWaterfall,
  }));

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
