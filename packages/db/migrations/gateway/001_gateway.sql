-- Up Migration
CREATE TABLE charges (
  id             text PRIMARY KEY,
  order_id       uuid NOT NULL,
  amount_cents   integer NOT NULL CHECK (amount_cents >= 0),
  status         text NOT NULL CHECK (status IN ('captured', 'declined', 'refunded')),
  decline_reason text,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX charges_order_idx ON charges (order_id);

CREATE TABLE refunds (
  id           text PRIMARY KEY,
  charge_id    text NOT NULL REFERENCES charges (id),
  order_id     uuid NOT NULL,
  amount_cents integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Stripe-style: the first response to a key is stored and replayed for every later request.
CREATE TABLE idempotency_keys (
  endpoint        text NOT NULL,
  key             text NOT NULL,
  request_hash    text NOT NULL,
  response_status integer,
  response_body   jsonb,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (endpoint, key)
);

-- Every request received, replays and injected faults included: the evidence drills read.
CREATE TABLE requests (
  id              bigserial PRIMARY KEY,
  received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  method          text NOT NULL,
  path            text NOT NULL,
  idempotency_key text,
  order_id        uuid,
  body            jsonb,
  response_status integer NOT NULL,
  response_body   jsonb,
  replayed        boolean NOT NULL DEFAULT false,
  fault           text
);
CREATE INDEX requests_order_idx ON requests (order_id, id);
