-- Up Migration
-- The timeline is an append-only log read only by order (order_timeline_order_idx): its surrogate
-- key cost an index entry and a sequence step for each of an order's five steps, and nothing read it.
ALTER TABLE order_timeline DROP COLUMN id;
