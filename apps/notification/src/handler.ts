import { randomUUID } from 'node:crypto';
import { BusinessRuleError } from '@surety/contracts';
import type { TransactionQueries } from '@surety/db';
import type { Handler } from '@surety/messaging';

const channel = 'email';

interface Notification {
  orderId: string;
  about: string;
  recipient: string;
  body: string;
  messageId: string;
}

/**
 * NotificationsOfBatch collects what a batch's handlers send, and writes it to the sink table in one
 * statement once they have all run, in key order, as every batch does: two batches holding the
 * same keys wait for each other instead of deadlocking.
 */
export class NotificationsOfBatch {
  private readonly sent: Notification[] = [];

  add(notification: Notification): void {
    this.sent.push(notification);
  }

  write(tx: TransactionQueries): void {
    if (this.sent.length === 0) return;
    const rows = this.sent;
    void tx.send({
      name: 'notification-send',
      text: `INSERT INTO notifications.notifications (id, order_id, about, channel, recipient, body, message_id)
             SELECT n.id, n.order_id, n.about, $1, n.recipient, n.body, n.message_id
               FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[])
                 AS n(id, order_id, about, recipient, body, message_id)
              ORDER BY n.order_id, n.about
             ON CONFLICT (order_id, about) DO NOTHING`,
      values: [
        channel,
        rows.map(() => randomUUID()),
        rows.map((n) => n.orderId),
        rows.map((n) => n.about),
        rows.map((n) => n.recipient),
        rows.map((n) => n.body),
        rows.map((n) => n.messageId),
      ],
    });
  }
}

/**
 * notificationHandler sends one message per order and terminal event to the sink table (standing in
 * for an email provider), written with the rest of its batch. The unique (order, event) row makes a
 * second event about the same outcome send nothing. It emits no event: what it sent is the row, and
 * no guarantee, nor the customer's view of the order, waits on it (notification.sent once fed the
 * timeline a `notified` step, for an event, a delivery and a saga write per order).
 */
export const notificationHandler: Handler<NotificationsOfBatch> = async (event, ctx) => {
  if (event.type !== 'order.confirmed' && event.type !== 'order.cancelled') {
    throw new BusinessRuleError(`notification does not handle ${event.type}`);
  }
  const body =
    event.type === 'order.confirmed'
      ? `Your order ${event.orderId} is confirmed.`
      : `Your order ${event.orderId} was cancelled: ${event.payload.reason}.`;
  ctx.batch.add({
    orderId: event.orderId,
    about: event.type,
    recipient: event.payload.customerId,
    body,
    messageId: event.id,
  });
};
