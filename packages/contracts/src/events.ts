import { Type, type Static } from '@sinclair/typebox';

const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Z0-9-]+$' });
const Cents = Type.Integer({ minimum: 0 });

export const OrderLine = Type.Object(
  {
    sku: Sku,
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
    priceCents: Cents,
  },
  { additionalProperties: false },
);
export type OrderLine = Static<typeof OrderLine>;

const StockLine = Type.Object({ sku: Sku, quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

/** The payload schema of every event, keyed by `type@version`. */
export const eventPayloads = {
  'order.placed@1': Type.Object(
    {
      customerId: Type.String({ minLength: 1, maxLength: 128 }),
      items: Type.Array(OrderLine, { minItems: 1, maxItems: 100 }),
      totalCents: Cents,
    },
    { additionalProperties: false },
  ),
  'order.confirmed@1': Type.Object({ customerId: Type.String(), totalCents: Cents }, { additionalProperties: false }),
  'order.cancelled@1': Type.Object(
    { customerId: Type.String(), reason: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
  'payment.captured@1': Type.Object(
    { chargeId: Type.String({ minLength: 1 }), amountCents: Cents },
    { additionalProperties: false },
  ),
  'payment.declined@1': Type.Object({ reason: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  'payment.refunded@1': Type.Object(
    { chargeId: Type.String(), refundId: Type.String(), amountCents: Cents },
    { additionalProperties: false },
  ),
  'stock.reserved@1': Type.Object({ items: Type.Array(StockLine, { minItems: 1 }) }, { additionalProperties: false }),
  'stock.rejected@1': Type.Object(
    { reason: Type.String({ minLength: 1 }), sku: Type.Optional(Sku) },
    { additionalProperties: false },
  ),
  'stock.released@1': Type.Object({ items: Type.Array(StockLine, { minItems: 1 }) }, { additionalProperties: false }),
  'notification.sent@1': Type.Object(
    {
      notificationId: Type.String(),
      about: Type.Union([Type.Literal('order.confirmed'), Type.Literal('order.cancelled')]),
      channel: Type.String(),
    },
    { additionalProperties: false },
  ),
} as const;

export type EventKey = keyof typeof eventPayloads;
export type EventType = EventKey extends `${infer T}@${number}` ? T : never;
/** The version each type is published at today. */
export const currentVersion: Record<EventType, number> = {
  'order.placed': 1,
  'order.confirmed': 1,
  'order.cancelled': 1,
  'payment.captured': 1,
  'payment.declined': 1,
  'payment.refunded': 1,
  'stock.reserved': 1,
  'stock.rejected': 1,
  'stock.released': 1,
  'notification.sent': 1,
};

export type PayloadOf<T extends EventType> = Static<(typeof eventPayloads)[`${T}@1`]>;
