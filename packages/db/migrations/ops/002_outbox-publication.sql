-- Up Migration
-- What the CDC relay reads from the WAL (logical replication, pgoutput): the rows inserted into
-- every outbox. Updates are not published: marking a row published is the relay's own write, and
-- a row the reconciler hands back is found by the relay's sweep of the table.
CREATE PUBLICATION surety_outbox
  FOR TABLE orders.outbox, payments.outbox, inventory.outbox, notifications.outbox
  WITH (publish = 'insert');
