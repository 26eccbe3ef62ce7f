import { randomUUID } from 'node:crypto';
import { BusinessRuleError } from '@surety/contracts';
import type { Handler } from '@surety/messaging';

const channel = 'email';

/**
 * notificationHandler sends one message per order and terminal event to the sink table (standing in
 * for an email provider). The unique (order, event) row makes a second event about the same outcome
 * send nothing. It emits no event: what it sent is the row, and no guarantee, nor the customer's
 * view of the order, waits on it (notification.sent once fed the timeline a `notified` step, for an
 * event, a delivery and a saga write per order).
 */
export const notificationHandler: Handler = async (event, ctx) => {
  if (event.type !== 'order.confirmed' && event.type !== 'order.cancelled') {
    throw new BusinessRuleError(`notification does not handle ${event.type}`);
  }
  const body =
    event.type === 'order.confirmed'
      ? `Your order ${event.orderId} is confirmed.`
      : `Your order ${event.orderId} was cancelled: ${event.payload.reason}.`;
  void ctx.tx.send({
    name: 'notification-send',
    text: `INSERT INTO notifications.notifications (id, order_id, about, channel, recipient, body, message_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id, about) DO NOTHING`,
    values: [randomUUID(), event.orderId, event.type, channel, event.payload.customerId, body, event.id],
  });
};
