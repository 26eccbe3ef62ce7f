import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Routes that match every path (the static files' `/*`) say nothing about whether a path exists. */
const catchAll = '/*';

/** How general a route pattern is: its parameters and wildcards. */
const generality = (pattern: string) => (pattern.match(/[:*]/g) ?? []).length;

/**
 * answerUnknownRoutes makes the API say why it cannot answer: a path it serves, asked with a method
 * it does not serve, gets 405 and `Allow` listing the methods it does; any other request gets 404.
 * Both in the API's error shape, and before a body is read. Call it before any route is registered:
 * it learns them as they are.
 */
export function answerUnknownRoutes(app: FastifyInstance): void {
  const known = FindMyWay();
  const methods = new Set<HTTPMethod>();
  app.addHook('onRoute', (route) => {
    if (route.url === catchAll) return;
    for (const method of [route.method].flat() as HTTPMethod[]) {
      if (known.hasRoute(method, route.url)) continue;
      known.on(method, route.url, () => undefined, { pattern: route.url });
      methods.add(method);
    }
  });
  const answer = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    // The resource is the most specific pattern the path matches: /admin/dlq/purge is the purge
    // route, not a dead letter called "purge".
    const matches = [...methods].flatMap((method) => {
      const found = known.find(method, path);
      return found ? [{ method, pattern: (found.store as { pattern: string }).pattern }] : [];
    });
    const closest = Math.min(...matches.map(({ pattern }) => generality(pattern)));
    const allowed = matches.filter(({ pattern }) => generality(pattern) === closest).map(({ method }) => method);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({ error: 'method_not_allowed', message: `${path} answers ${allowed.join(', ')}, not ${request.method}` });
    }
    return reply.code(404).send({ error: 'not_found', message: `no ${path} here` });
  };
  // Answered on arrival, before a body is parsed: a method the path does not take has no body to check.
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return answer(request, reply);
  });
  app.setNotFoundHandler(answer);
}
