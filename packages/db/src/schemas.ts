/** The schemas Surety owns, in the order their migrations run. */
export const schemas = ['orders', 'payments', 'inventory', 'notifications', 'gateway', 'ops'] as const;
export type SchemaName = (typeof schemas)[number];

/** The schemas with an outbox (and an inbox): every one that emits events. */
export const emittingSchemas = [
  'orders',
  'payments',
  'inventory',
  'notifications',
] as const satisfies readonly SchemaName[];
