// The outbox and inbox every event-emitting schema owns; migrations run with search_path set to
// that schema, so the names below land in it.
export const messagingTablesSql = `
CREATE TABLE outbox (
  seq           bigserial PRIMARY KEY,
  id            uuid NOT NULL UNIQUE,
  order_id      uuid NOT NULL,
  type          text NOT NULL,
  envelope      jsonb NOT NULL,
  headers       jsonb NOT NULL DEFAULT '{}',
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'published')),
  attempts      integer NOT NULL DEFAULT 0,
  claimed_by    text,
  claimed_until timestamptz,
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at  timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE status <> 'published';
CREATE INDEX outbox_order_idx ON outbox (order_id);

CREATE TABLE inbox (
  consumer    text NOT NULL,
  message_id  uuid NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);

-- A wake-up hint for relays, once per inserting statement; relays poll as well, so a lost
-- notification only costs latency.
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('surety_outbox', TG_TABLE_SCHEMA);
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
`;

/** up creates the outbox and inbox of the schema being migrated. */
export const up = (pgm) => pgm.sql(messagingTablesSql);
