import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '@surety/db';
import {
  auditTo,
  deadLetterQueueName,
  queues,
  reasonHistogram,
  type DeadLetterBox,
  type DeadLetterFilter,
} from '@surety/messaging';
import { refusals } from '../errors.js';
import { NoQuery } from '../orders/schemas.js';
import { adminSecurity, requireBearer } from './auth.js';
import { DeadLetterActions, DeadLetterList, DeadLetterView } from './schemas.js';

/** A queue whose dead letters to act on: a consumer queue, or its DLQ by name. */
const QueueName = Type.Union(
  Object.values(queues).flatMap(({ name }) => [Type.Literal(name), Type.Literal(deadLetterQueueName(name))]),
);

const Selection = Type.Object(
  {
    messageId: Type.Optional(Type.String({ minLength: 1 })),
    reason: Type.Optional(Type.String({ minLength: 1 })),
    all: Type.Optional(Type.Boolean()),
    queue: Type.Optional(QueueName),
    dryRun: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

function filterOf(body: { messageId?: string; reason?: string; all?: boolean }): DeadLetterFilter | undefined {
  const chosen = [body.messageId, body.reason, body.all ? true : undefined].filter((v) => v !== undefined);
  if (chosen.length !== 1) return undefined;
  if (body.messageId) return { messageId: body.messageId };
  if (body.reason) return { reason: body.reason };
  return { all: true };
}

const selectionError = { error: 'invalid_selection', message: 'name exactly one of messageId, reason, all' };

/** dlqRoutes is the operator's dead-letter API, behind a bearer token; every action is audited. */
export const dlqRoutes: FastifyPluginAsyncTypebox<{
  deadLetters: () => Promise<DeadLetterBox>;
  pool: Pool;
  token: string;
}> = async (app, { deadLetters, pool, token }) => {
  app.addHook('onRequest', requireBearer(token));
  const audit = auditTo(pool, 'api:admin');
  const tags = ['admin'];

  app.get(
    '/admin/dlq',
    {
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Dead letters and a histogram of their reasons.',
        querystring: Type.Object({ queue: Type.Optional(QueueName) }, { additionalProperties: false }),
        response: { 200: DeadLetterList, ...refusals(400, 401) },
      },
    },
    async (request) => {
      const letters = await (await deadLetters()).list(request.query.queue);
      return { count: letters.length, histogram: reasonHistogram(letters), letters };
    },
  );

  app.get(
    '/admin/dlq/:messageId',
    {
      schema: {
        tags,
        security: adminSecurity,
        summary: 'One dead letter.',
        params: Type.Object({ messageId: Type.String() }),
        querystring: NoQuery,
        response: { 200: DeadLetterView, ...refusals(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const letter = (await (await deadLetters()).list()).find((l) => l.messageId === request.params.messageId);
      return (
        letter ?? reply.code(404).send({ error: 'not_found', message: `no dead letter ${request.params.messageId}` })
      );
    },
  );

  app.post(
    '/admin/dlq/replay',
    {
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Send dead letters back to the queue they failed in (dryRun first).',
        querystring: NoQuery,
        response: { 200: DeadLetterActions, ...refusals(400, 401, 413, 415) },
        body: Type.Composite([Selection, Type.Object({ maxReplays: Type.Optional(Type.Integer({ minimum: 1 })) })], {
          additionalProperties: false,
        }),
      },
    },
    async (request, reply) => {
      const filter = filterOf(request.body);
      if (!filter) return reply.code(400).send(selectionError);
      const { queue, dryRun, maxReplays } = request.body;
      const actions = await (await deadLetters()).replay(filter, { queue, dryRun, maxReplays, audit });
      return { dryRun: dryRun ?? false, actions };
    },
  );

  app.post(
    '/admin/dlq/purge',
    {
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Delete dead letters for good; needs confirm: true unless dryRun.',
        querystring: NoQuery,
        response: { 200: DeadLetterActions, ...refusals(400, 401, 413, 415) },
        body: Type.Composite([Selection, Type.Object({ confirm: Type.Optional(Type.Boolean()) })], {
          additionalProperties: false,
        }),
      },
    },
    async (request, reply) => {
      const filter = filterOf(request.body);
      if (!filter) return reply.code(400).send(selectionError);
      const { queue, dryRun, confirm } = request.body;
      if (!dryRun && confirm !== true) {
        return reply
          .code(400)
          .send({ error: 'confirmation_required', message: 'purge deletes for good: send confirm: true' });
      }
      const actions = await (await deadLetters()).purge(filter, { queue, dryRun, audit });
      return { dryRun: dryRun ?? false, actions };
    },
  );
};
