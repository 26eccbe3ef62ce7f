import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Pool } from '@surety/db';
import { httpLogging, registerProbes, type Logger } from '@surety/telemetry';
import { Counter, type Registry } from 'prom-client';
import { Faults } from './faults.js';
import {
  executeDecided,
  type DecidedEffect,
  executeIdempotently,
  newId,
  recordFault,
  recordRejected,
  type ReceivedRequest,
  type StoredResponse,
} from './ledger.js';

const ChargeBody = Type.Object(
  { orderId: Type.String({ format: 'uuid' }), amountCents: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
const RefundBody = Type.Object({ chargeId: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const ByOrder = Type.Object({ orderId: Type.String({ format: 'uuid' }) });
const KeyHeader = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) });

interface ChargeRow {
  id: string;
  order_id: string;
  amount_cents: number;
  status: string;
  decline_reason: string | null;
}

function chargeView(row: ChargeRow) {
  return {
    id: row.id,
    orderId: row.order_id,
    amountCents: row.amount_cents,
    status: row.status,
    ...(row.decline_reason ? { declineReason: row.decline_reason } : {}),
  };
}

/**
 * buildGatewayApp is the payment provider stand-in: idempotent charges and refunds, a durable log of
 * every request, and faults that can be dialled in while it runs.
 */
export function buildGatewayApp(options: {
  pool: Pool;
  faults: Faults;
  logger: Logger;
  registry: Registry;
  random?: () => number;
}) {
  const { pool, registry } = options;
  const random = options.random ?? Math.random;
  const faults: Faults = { ...options.faults };
  const requestsTotal = new Counter({
    name: 'surety_gateway_requests_total',
    help: 'Gateway requests, by endpoint and result.',
    labelNames: ['endpoint', 'result'],
    registers: [registry],
  });
  const app = Fastify({
    ...httpLogging(options.logger),
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerProbes(app, registry, { isReady: () => true });

  const received = (request: FastifyRequest, orderId?: string): ReceivedRequest => ({
    method: request.method,
    path: request.routeOptions.url ?? request.url,
    idempotencyKey: request.headers['idempotency-key'] as string | undefined,
    orderId,
    body: request.body,
  });

  async function send(reply: FastifyReply, endpoint: string, response: StoredResponse) {
    const result = typeof response.body.status === 'string' ? response.body.status : String(response.status);
    requestsTotal.inc({ endpoint, result });
    return reply.code(response.status).send(response.body);
  }

  /** Injected latency and failures happen before any work, as a struggling provider's would. */
  async function injectFaults(reply: FastifyReply, endpoint: string, request: ReceivedRequest): Promise<boolean> {
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.failureRate > 0 && random() < faults.failureRate) {
      const response = { status: 503, body: { error: 'unavailable', message: 'injected failure' } };
      await recordFault(pool, request, response, 'failure');
      await send(reply, endpoint, response);
      return true;
    }
    return false;
  }

  /** requireKey answers 400 when the Idempotency-Key header is missing, and says whether it was. */
  async function requireKey(
    reply: FastifyReply,
    endpoint: string,
    request: ReceivedRequest,
  ): Promise<string | undefined> {
    if (request.idempotencyKey) return request.idempotencyKey;
    const response = {
      status: 400,
      body: { error: 'idempotency_key_required', message: 'Idempotency-Key header is required' },
    };
    await recordRejected(pool, request, response);
    await send(reply, endpoint, response);
    return undefined;
  }

  app.post('/charges', { schema: { body: ChargeBody, headers: KeyHeader } }, async (request, reply) => {
    const { orderId, amountCents } = request.body;
    const incoming = received(request, orderId);
    if (await injectFaults(reply, 'charges', incoming)) return reply;
    const idempotencyKey = await requireKey(reply, 'charges', incoming);
    if (!idempotencyKey) return reply;
    const declined = faults.declineRate > 0 && random() < faults.declineRate;
    const charge: ChargeRow = {
      id: newId('ch'),
      order_id: orderId,
      amount_cents: amountCents,
      status: declined ? 'declined' : 'captured',
      decline_reason: declined ? 'card_declined' : null,
    };
    const decided = { status: declined ? 402 : 201, body: chargeView(charge) };
    const keyed = { ...incoming, idempotencyKey };
    const insertCharge: DecidedEffect = (first, condition) => ({
      text: `INSERT INTO gateway.charges (id, order_id, amount_cents, status, decline_reason)
             SELECT $${first}, $${first + 1}::uuid, $${first + 2}::int, $${first + 3}, $${first + 4} WHERE ${condition}`,
      values: [charge.id, charge.order_id, charge.amount_cents, charge.status, charge.decline_reason],
    });
    const response = faults.honourIdempotencyKeys
      ? await executeDecided(pool, 'charges', keyed, decided, insertCharge)
      : await executeIdempotently(
          pool,
          'charges',
          keyed,
          async (client) => {
            await client.query(insertCharge(1, 'true'));
            return decided;
          },
          { honourKeys: false },
        );
    return send(reply, 'charges', response);
  });

  app.post('/refunds', { schema: { body: RefundBody, headers: KeyHeader } }, async (request, reply) => {
    const { chargeId } = request.body;
    const charge = await pool.query<ChargeRow>('SELECT * FROM gateway.charges WHERE id = $1', [chargeId]);
    const incoming = received(request, charge.rows[0]?.order_id);
    if (await injectFaults(reply, 'refunds', incoming)) return reply;
    const idempotencyKey = await requireKey(reply, 'refunds', incoming);
    if (!idempotencyKey) return reply;
    const response = await executeIdempotently(
      pool,
      'refunds',
      { ...incoming, idempotencyKey },
      async (client) => {
        const locked = await client.query<ChargeRow>('SELECT * FROM gateway.charges WHERE id = $1 FOR UPDATE', [
          chargeId,
        ]);
        const row = locked.rows[0];
        if (!row) return { status: 404, body: { error: 'charge_not_found', message: `no charge ${chargeId}` } };
        if (row.status !== 'captured') {
          return { status: 409, body: { error: 'charge_not_refundable', message: `charge is ${row.status}` } };
        }
        const refundId = newId('re');
        await client.query({
          name: 'gateway-refund',
          text: 'INSERT INTO gateway.refunds (id, charge_id, order_id, amount_cents) VALUES ($1, $2, $3, $4)',
          values: [refundId, row.id, row.order_id, row.amount_cents],
        });
        await client.query(`UPDATE gateway.charges SET status = 'refunded' WHERE id = $1`, [row.id]);
        return {
          status: 201,
          body: {
            id: refundId,
            chargeId: row.id,
            orderId: row.order_id,
            amountCents: row.amount_cents,
            status: 'refunded',
          },
        };
      },
      { honourKeys: faults.honourIdempotencyKeys },
    );
    return send(reply, 'refunds', response);
  });

  app.get('/charges', { schema: { querystring: ByOrder } }, async (request) => {
    const result = await pool.query<ChargeRow>({
      name: 'gateway-charges-of-order',
      text: 'SELECT * FROM gateway.charges WHERE order_id = $1 ORDER BY created_at',
      values: [request.query.orderId],
    });
    return result.rows.map(chargeView);
  });

  app.get('/requests', { schema: { querystring: ByOrder } }, async (request) => {
    const result = await pool.query<Record<string, unknown>>({
      name: 'gateway-requests-of-order',
      text: `SELECT id, received_at AS "receivedAt", method, path, idempotency_key AS "idempotencyKey",
              order_id AS "orderId", body, response_status AS "responseStatus",
              response_body AS "responseBody", replayed, fault
       FROM gateway.requests WHERE order_id = $1 ORDER BY id`,
      values: [request.query.orderId],
    });
    return result.rows;
  });

  app.get('/admin/faults', async () => faults);
  app.put('/admin/faults', { schema: { body: Type.Partial(Faults) } }, async (request) => {
    Object.assign(faults, request.body);
    options.logger.info({ faults }, 'faults changed');
    return faults;
  });

  return app;
}
