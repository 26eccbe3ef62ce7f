import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SuretyError } from '@surety/contracts';

// Error codes Postgres and the socket layer use when the database is away rather than wrong.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
  '08003',
]);

function isDatabaseUnavailable(error: FastifyError): boolean {
  return (
    unavailableCodes.has(error.code) ||
    /timeout exceeded when trying to connect|Connection terminated|connection error and is not queryable/i.test(
      error.message,
    )
  );
}

// Fastify's own refusals, renamed to the API's stable codes.
const frameworkCodes: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  SURETY_RATE_LIMITED: 'rate_limited',
};

/**
 * handleError turns every failure into `{ error, message }`: a 4xx names what was wrong with the
 * request; an unavailable database is a 503 the client may retry with the same Idempotency-Key.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.validation) {
    return reply.code(400).send({ error: 'invalid_request', message: error.message });
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    const code = frameworkCodes[error.code] ?? 'bad_request';
    return reply.code(error.statusCode).send({ error: code, message: error.message });
  }
  if (error instanceof SuretyError && error.retryable) {
    return reply.code(503).header('retry-after', '1').send({ error: 'unavailable', message: error.message });
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'database unavailable');
    return reply
      .code(503)
      .header('retry-after', '1')
      .send({ error: 'unavailable', message: 'try again with the same Idempotency-Key' });
  }
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send({ error: 'internal', message: 'internal error' });
}
