import { Type } from '@sinclair/typebox';

/** What the operator's routes answer, as the OpenAPI document describes it. */

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const DeadLetterView = Type.Object({
  deadLetterQueue: Type.String(),
  queue: Type.String({ description: 'Where the message failed, and where a replay sends it.' }),
  messageId: Type.String(),
  type: Type.String(),
  reason: Type.String(),
  errorClass: Type.String(),
  attempts: Type.Integer(),
  firstFailedAt: NullableString,
  consumer: NullableString,
  replays: Type.Integer(),
  headers: Type.Record(Type.String(), Type.Unknown()),
  body: Type.String(),
});

export const DeadLetterList = Type.Object({
  count: Type.Integer(),
  histogram: Type.Array(Type.Object({ reason: Type.String(), count: Type.Integer() })),
  letters: Type.Array(DeadLetterView),
});

export const DeadLetterActions = Type.Object({
  dryRun: Type.Boolean(),
  actions: Type.Array(
    Type.Object({
      action: Type.Union([Type.Literal('replay'), Type.Literal('purge')]),
      letter: DeadLetterView,
      refused: Type.Optional(Type.String({ description: 'Why a selected letter was left where it is.' })),
    }),
  ),
});

export const Overview = Type.Object({
  at: Type.String({ format: 'date-time' }),
  queues: Type.Array(
    Type.Object({
      queue: Type.String(),
      consumer: Type.String(),
      ready: Type.Integer(),
      unacked: Type.Integer(),
      consumers: Type.Integer(),
      deadLetters: Type.Integer(),
    }),
  ),
  queuesError: Type.Optional(Type.String({ description: 'Why the queues could not be read (the broker is away).' })),
  outbox: Type.Array(
    Type.Object({ schema: Type.String(), unpublished: Type.Integer(), oldestAgeSeconds: Type.Number() }),
  ),
});

export const ReportList = Type.Object({
  reports: Type.Array(Type.Object({ kind: Type.String(), name: Type.String() })),
});
