import { Type, type TObject } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SuretyError } from '@surety/contracts';
import { ErrorBody } from './orders/schemas.js';

// What each refusal means, as the OpenAPI document says it; the body is always ErrorBody.
const refusalMeanings = {
  400: 'The request is malformed or breaks this document; `message` says where.',
  401: 'No valid bearer token (`Authorization: Bearer <ADMIN_TOKEN>`).',
  404: 'Nothing by that name or id.',
  413: 'The body is larger than the API accepts.',
  415: 'The body is not `application/json`.',
  422: 'Understood, and refused: `error` says why.',
  429: 'Too many orders from this customer: retry after `Retry-After` seconds.',
  503: 'Too busy, or the database is away: retry after `Retry-After` seconds (an order with the same Idempotency-Key).',
} as const;
type RefusalStatus = keyof typeof refusalMeanings;

// Refusals a client is told to retry carry Retry-After.
const retryAfter = { 'retry-after': { type: 'string', description: 'Seconds to wait before retrying.' } };

/** refusals declares, in a route's response schema, the refusals it may answer with. */
export function refusals(...statuses: RefusalStatus[]): Partial<Record<RefusalStatus, TObject>> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      Type.Object(ErrorBody.properties, {
        description: refusalMeanings[status],
        ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
      }),
    ]),
  );
}

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
    const missingKey = error.validation.some(
      (issue) => issue.keyword === 'required' && issue.params.missingProperty === 'idempotency-key',
    );
    if (error.validationContext === 'headers' && missingKey) {
      return reply
        .code(400)
        .send({ error: 'idempotency_key_required', message: 'the Idempotency-Key header is required' });
    }
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
