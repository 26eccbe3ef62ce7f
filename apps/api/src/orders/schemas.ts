import { Type, type Static } from '@sinclair/typebox';

const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Z0-9-]+$' });

/** A customer's id: printable text (Postgres text cannot hold NUL, and no id needs a control character). */
export const CustomerId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001F\\u007F]+$' });

export const PlaceOrderBody = Type.Object(
  {
    customerId: CustomerId,
    items: Type.Array(
      Type.Object({ sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 100 },
    ),
  },
  {
    additionalProperties: false,
    examples: [{ customerId: 'customer-1', items: [{ sku: 'TEA-GREEN', quantity: 2 }] }],
  },
);
export type PlaceOrderBody = Static<typeof PlaceOrderBody>;

export const OrderStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('CANCELLED')]);

export const OrderLineView = Type.Object({ sku: Type.String(), quantity: Type.Integer(), priceCents: Type.Integer() });

export const TimelineEntry = Type.Object({
  step: Type.String(),
  at: Type.String({ format: 'date-time' }),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const OrderSummary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  customerId: Type.String(),
  status: OrderStatus,
  reason: Type.Optional(Type.String()),
  items: Type.Array(OrderLineView),
  totalCents: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type OrderSummary = Static<typeof OrderSummary>;

export const OrderView = Type.Composite([
  OrderSummary,
  Type.Object({
    timeline: Type.Array(TimelineEntry),
    traceId: Type.Optional(Type.String({ description: 'The trace the order was placed in, when it had one.' })),
  }),
]);
export type OrderView = Static<typeof OrderView>;

/** The query of a route that takes none: a parameter it does not know is refused, not ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'A stable code.' }),
  message: Type.String(),
});

export const Product = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  available: Type.Boolean({
    description: 'On sale; stock itself lives in inventory, and an order beyond it ends CANCELLED.',
  }),
});
