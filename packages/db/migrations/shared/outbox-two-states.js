// An outbox row is pending or published, nothing between: the relay claims a batch by locking it
// in the transaction that publishes and marks it (packages/db outbox.ts), so the claim columns and
// the in_progress state of a leased claim are gone. A row an old relay held is pending again.
export const outboxTwoStatesSql = `
UPDATE outbox SET status = 'pending' WHERE status = 'in_progress';
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'published'));
ALTER TABLE outbox DROP COLUMN claimed_by, DROP COLUMN claimed_until, DROP COLUMN attempts, DROP COLUMN last_error;
`;

/** up leaves the schema's outbox with its two states. */
export const up = (pgm) => pgm.sql(outboxTwoStatesSql);
