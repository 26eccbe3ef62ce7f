-- Up Migration
-- Tells the api's live views that an order's story moved on: a timeline step was written (every
-- status change writes one in the same transaction), or its order.placed event was published.
-- The payload is only the order id; the listener re-reads the order, so a lost notification costs
-- nothing but latency, and NOTIFY is delivered at commit, never for a rolled-back change.
CREATE FUNCTION notify_order_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('surety_order_changed', NEW.order_id::text);
  RETURN NULL;
END $$;

CREATE TRIGGER order_timeline_notify AFTER INSERT ON order_timeline
  FOR EACH ROW EXECUTE FUNCTION notify_order_changed();

CREATE TRIGGER outbox_published_notify AFTER UPDATE OF status ON outbox
  FOR EACH ROW WHEN (NEW.type = 'order.placed' AND NEW.status = 'published' AND OLD.status <> 'published')
  EXECUTE FUNCTION notify_order_changed();
