import { Type, type Static } from '@sinclair/typebox';

/** The gateway's fault settings, changed at run time through PUT /admin/faults. */
export const Faults = Type.Object(
  {
    declineRate: Type.Number({ minimum: 0, maximum: 1, description: 'Share of new charges declined.' }),
    failureRate: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'Share of requests answered 503 before any work.',
    }),
    latencyMs: Type.Integer({ minimum: 0, maximum: 60_000, description: 'Delay added to every request.' }),
    honourIdempotencyKeys: Type.Boolean({
      description:
        'false makes the gateway execute every request, as a careless provider would: the drill judge must then find double charges.',
    }),
  },
  { additionalProperties: false },
);
export type Faults = Static<typeof Faults>;
