-- Up Migration
-- The sink: one message per order and terminal event, readable by tests and drills.
CREATE TABLE notifications (
  id          uuid PRIMARY KEY,
  order_id    uuid NOT NULL,
  about       text NOT NULL CHECK (about IN ('order.confirmed', 'order.cancelled')),
  channel     text NOT NULL,
  recipient   text NOT NULL,
  body        text NOT NULL,
  message_id  uuid NOT NULL,
  sent_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (order_id, about)
);
