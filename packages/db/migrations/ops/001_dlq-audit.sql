-- Up Migration
-- Every replay and purge of a dead letter: who, when, what, and why it had failed.
CREATE TABLE dlq_audit (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor         text NOT NULL,
  action        text NOT NULL CHECK (action IN ('replay', 'purge')),
  dead_letter_queue text NOT NULL,
  queue         text NOT NULL,
  message_id    text NOT NULL,
  message_type  text NOT NULL,
  reason        text NOT NULL,
  replays       integer NOT NULL
);
CREATE INDEX dlq_audit_message_idx ON dlq_audit (message_id);
