import { randomUUID } from 'node:crypto';
import { BusinessRuleError } from '@surety/contracts';
import type { Handler } from '@surety/messaging';

const channel = 'email';

/**
 * notificationHandler sends one message per order and terminal event to the sink table (standing in
 * for an email provider), and reports it with notification.sent. The unique (order, event) row makes
 * a second event about the same outcome send nothing.
 */
export const notificationHandler: Handler = async (event, ctx) => {
  if (event.type !== 'order.confirmed' && event.type !== 'order.cancelled') {
    throw new BusinessRuleError(`notification does not handle ${event.type}`);
  }
  const body =
    event.type === 'order.confirmed'
      ? `Your order ${event.orderId} is confirmed.`
      : `Your order ${event.orderId} was cancelled: ${event.payload.reason}.`;
  const notificationId = randomUUID();
  const sent = await ctx.tx.query({
    name: 'notification-send',
    text: `INSERT INTO notifications.notifications (id, order_id, about, channel, recipient, body, message_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id, about) DO NOTHING`,
    values: [notificationId, event.orderId, event.type, channel, event.payload.customerId, body, event.id],
  });
  if (sent.rowCount === 0) return;
  ctx.log.debug({ notificationId, about: event.type, recipient: event.payload.customerId }, 'notification sent');
  await ctx.emit({ type: 'notification.sent', payload: { notificationId, about: event.type, channel } });
};
