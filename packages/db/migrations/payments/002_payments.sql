-- Up Migration
-- One row per order: 'pending' only inside the transaction that charges; 'voided' when the
-- order was cancelled before any charge, so a late order.placed charges nothing.
CREATE TABLE payments (
  order_id     uuid PRIMARY KEY,
  amount_cents integer NOT NULL CHECK (amount_cents >= 0),
  status       text NOT NULL CHECK (status IN ('pending', 'captured', 'declined', 'voided', 'refunded')),
  charge_id    text,
  refund_id    text,
  reason       text,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
