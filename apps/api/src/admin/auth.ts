import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The OpenAPI security scheme the admin routes declare (`securitySchemes` in app.ts). */
export const adminBearer = { type: 'http', scheme: 'bearer' } as const;
/** A route's `security`: the admin bearer token. */
export const adminSecurity = [{ adminBearer: [] }];

/** requireBearer answers 401 unless the request carries `Authorization: Bearer <token>`. */
export function requireBearer(token: string) {
  const expected = Buffer.from(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const given = Buffer.from(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: 'a valid bearer token is required' });
    }
  };
}
