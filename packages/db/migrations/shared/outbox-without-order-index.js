// Only the orders schema reads its outbox by order (the order page's 'published' step, the
// reconciler's re-queue); in the other schemas the index cost two entries per event (its insert and
// its non-HOT mark) and served no query.
export const dropOutboxOrderIndexSql = 'DROP INDEX IF EXISTS outbox_order_idx;';

/** up drops the schema's unread outbox index by order. */
export const up = (pgm) => pgm.sql(dropOutboxOrderIndexSql);
