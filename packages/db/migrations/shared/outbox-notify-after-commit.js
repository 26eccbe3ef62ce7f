// The outbox no longer NOTIFYs from a trigger: a transaction that NOTIFYs holds PostgreSQL's one
// cluster-wide notify lock through its commit, so every outbox write on the server committed one at
// a time. The writer now notifies after its commit (packages/db notifications.ts).
export const dropOutboxNotifySql = `
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS notify_outbox();
`;

/** up removes the schema's outbox NOTIFY trigger. */
export const up = (pgm) => pgm.sql(dropOutboxNotifySql);
