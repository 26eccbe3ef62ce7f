-- Up Migration
CREATE TABLE products (
  sku         text PRIMARY KEY,
  name        text NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents >= 0)
);
INSERT INTO products (sku, name, price_cents) VALUES
  ('TEA-GREEN', 'Green tea, 100 g', 650),
  ('TEA-BLACK', 'Black tea, 100 g', 590),
  ('MUG-WHITE', 'White mug', 1200),
  ('KETTLE-1', 'Kettle', 4900),
  ('FILTER-50', 'Tea filters, 50 pack', 300),
  ('TIN-SMALL', 'Storage tin', 850),
  ('SAMPLER-LTD', 'Limited sampler box', 2500);

CREATE TABLE orders (
  id             uuid PRIMARY KEY,
  customer_id    text NOT NULL,
  status         text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
  reason         text,
  total_cents    integer NOT NULL CHECK (total_cents >= 0),
  payment_status text CHECK (payment_status IN ('captured', 'declined', 'refunded')),
  stock_status   text CHECK (stock_status IN ('reserved', 'rejected', 'released')),
  trace_id       text,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  completed_at   timestamptz
);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC);
CREATE INDEX orders_pending_idx ON orders (created_at) WHERE status = 'PENDING';

CREATE TABLE order_lines (
  order_id    uuid NOT NULL REFERENCES orders (id),
  sku         text NOT NULL REFERENCES products (sku),
  quantity    integer NOT NULL CHECK (quantity > 0),
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  PRIMARY KEY (order_id, sku)
);

-- Claimed first in the placing transaction, so a concurrent retry waits on it; the order it
-- names is inserted later in the same transaction, hence the deferred check.
CREATE TABLE idempotency_keys (
  key          text PRIMARY KEY,
  request_hash text NOT NULL,
  order_id     uuid NOT NULL REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- What happened to an order, step by step, as the customer's timeline shows it.
CREATE TABLE order_timeline (
  id         bigserial PRIMARY KEY,
  order_id   uuid NOT NULL REFERENCES orders (id),
  step       text NOT NULL,
  at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  message_id uuid,
  detail     jsonb
);
CREATE INDEX order_timeline_order_idx ON order_timeline (order_id, at);
