-- Up Migration
CREATE TABLE stock (
  sku       text PRIMARY KEY,
  available integer NOT NULL CHECK (available >= 0),
  reserved  integer NOT NULL DEFAULT 0 CHECK (reserved >= 0)
);
INSERT INTO stock (sku, available) VALUES
  ('TEA-GREEN', 1000000),
  ('TEA-BLACK', 1000000),
  ('MUG-WHITE', 1000000),
  ('KETTLE-1', 1000000),
  ('FILTER-50', 1000000),
  ('TIN-SMALL', 1000000),
  ('SAMPLER-LTD', 25);

-- One row per order: 'pending' only inside the transaction that reserves; 'voided' when the
-- cancellation arrived before the order, so a late order.placed reserves nothing.
CREATE TABLE reservations (
  order_id   uuid PRIMARY KEY,
  status     text NOT NULL CHECK (status IN ('pending', 'reserved', 'rejected', 'voided', 'released')),
  items      jsonb NOT NULL DEFAULT '[]',
  reason     text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
