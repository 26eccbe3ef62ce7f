import { dropOutboxNotifySql } from '../shared/outbox-notify-after-commit.js';

// The order-change triggers of 003 go too, for the same reason as the outbox's: their writers (the
// saga, the reconciler, the relay) notify after they commit.
export const up = (pgm) =>
  pgm.sql(`${dropOutboxNotifySql}
DROP TRIGGER IF EXISTS order_timeline_notify ON order_timeline;
DROP TRIGGER IF EXISTS outbox_published_notify ON outbox;
DROP FUNCTION IF EXISTS notify_order_changed();
`);
