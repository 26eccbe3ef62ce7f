import { createHash, randomBytes } from 'node:crypto';
import { withTransaction, type Pool, type PoolClient } from '@surety/db';

export interface StoredResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  orderId: string | undefined;
  body: unknown;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

function hashOf(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

const logColumns = 'method, path, idempotency_key, order_id, body, response_status, response_body, replayed, fault';

function logValues(request: ReceivedRequest, response: StoredResponse, extra: { replayed?: boolean; fault?: string }) {
  return [
    request.method,
    request.path,
    request.idempotencyKey ?? null,
    request.orderId ?? null,
    JSON.stringify(request.body ?? null),
    response.status,
    response.body,
    extra.replayed ?? false,
    extra.fault ?? null,
  ];
}

async function logRequest(
  client: Pick<PoolClient, 'query'>,
  request: ReceivedRequest,
  response: StoredResponse,
  extra: { replayed?: boolean; fault?: string } = {},
): Promise<void> {
  await client.query({
    name: 'gateway-log-request',
    text: `INSERT INTO gateway.requests (${logColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    values: logValues(request, response, extra),
  });
}

/** recordFault logs a request the gateway refused on purpose, before doing any work. */
export async function recordFault(pool: Pool, request: ReceivedRequest, response: StoredResponse, fault: string) {
  await logRequest(pool, request, response, { fault });
}

/** recordRejected logs a request refused for its form, before any idempotent work. */
export async function recordRejected(pool: Pool, request: ReceivedRequest, response: StoredResponse) {
  await logRequest(pool, request, response);
}

/**
 * executeIdempotently runs `work` once per (endpoint, key), Stripe-style: the first response is
 * stored with the key and replayed for every later request with the same key and body; the same key
 * with another body is refused with 422. Work, stored response and request log commit together, and
 * a concurrent request with the same key waits on the key's row, then replays.
 */
export async function executeIdempotently(
  pool: Pool,
  endpoint: string,
  request: ReceivedRequest & { idempotencyKey: string },
  work: (client: PoolClient) => Promise<StoredResponse>,
  options: { honourKeys: boolean } = { honourKeys: true },
): Promise<StoredResponse> {
  const requestHash = hashOf(request.body);
  if (!options.honourKeys) {
    return withTransaction(pool, async (client) => {
      const response = await work(client);
      await logRequest(client, request, response);
      return response;
    });
  }
  return withTransaction(pool, async (client) => {
    const claimed = await client.query({
      name: 'gateway-claim-key',
      text: `INSERT INTO gateway.idempotency_keys (endpoint, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      values: [endpoint, request.idempotencyKey, requestHash],
    });
    if (claimed.rowCount === 0) return replay(client, endpoint, request, requestHash);
    const response = await work(client);
    await client.query({
      name: 'gateway-store-response',
      text: `UPDATE gateway.idempotency_keys SET response_status = $3, response_body = $4 WHERE endpoint = $1 AND key = $2`,
      values: [endpoint, request.idempotencyKey, response.status, response.body],
    });
    await logRequest(client, request, response);
    return response;
  });
}

/**
 * replay answers a request whose key was seen before: the stored response when the body is the same,
 * 422 when it is not; the request is logged as a replay.
 */
async function replay(
  client: PoolClient,
  endpoint: string,
  request: ReceivedRequest & { idempotencyKey: string },
  requestHash: string,
): Promise<StoredResponse> {
  const stored = await client.query<{
    request_hash: string;
    response_status: number;
    response_body: Record<string, unknown>;
  }>({
    name: 'gateway-stored-response',
    text: `SELECT request_hash, response_status, response_body FROM gateway.idempotency_keys
     WHERE endpoint = $1 AND key = $2`,
    values: [endpoint, request.idempotencyKey],
  });
  const row = stored.rows[0];
  const response: StoredResponse =
    row && row.request_hash === requestHash
      ? { status: row.response_status, body: row.response_body }
      : {
          status: 422,
          body: { error: 'idempotency_key_reused', message: 'this Idempotency-Key was used with another request body' },
        };
  await logRequest(client, request, response, { replayed: true });
  return response;
}

/** An effect decided before it runs, as one data-modifying clause (placeholders from `$firstParameter`). */
export type DecidedEffect = (firstParameter: number, condition: string) => { text: string; values: unknown[] };

/**
 * executeDecided is executeIdempotently for work whose response is known before it runs (a charge:
 * its id and outcome are decided up front), in one statement: the key's claim with its stored
 * response, the effect and the request log, the last two conditioned on the claim. A concurrent
 * request with the same key waits on the key's row and claims nothing; a key seen before, or one
 * that lost that race, is answered as a replay.
 */
export async function executeDecided(
  pool: Pool,
  endpoint: string,
  request: ReceivedRequest & { idempotencyKey: string },
  response: StoredResponse,
  effect: DecidedEffect,
): Promise<StoredResponse> {
  const requestHash = hashOf(request.body);
  const claimValues = [endpoint, request.idempotencyKey, requestHash, response.status, response.body];
  const logged = logValues(request, response, {});
  const claimed = 'EXISTS (SELECT 1 FROM claimed)';
  const work = effect(claimValues.length + logged.length + 1, claimed);
  const result = await pool.query<{ claimed: boolean }>({
    name: `gateway-decided-${endpoint}`,
    text: `WITH claimed AS (
             INSERT INTO gateway.idempotency_keys (endpoint, key, request_hash, response_status, response_body)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1
           ), effect AS (${work.text}),
           logged AS (
             INSERT INTO gateway.requests (${logColumns})
             SELECT $6, $7, $8, $9::uuid, $10::jsonb, $11::int, $12::jsonb, $13::boolean, $14 WHERE ${claimed}
           )
           SELECT ${claimed} AS claimed`,
    values: [...claimValues, ...logged, ...work.values],
  });
  if (result.rows[0]?.claimed) return response;
  return withTransaction(pool, (client) => replay(client, endpoint, request, requestHash));
}
