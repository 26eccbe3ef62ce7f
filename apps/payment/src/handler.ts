import { BusinessRuleError, type Envelope } from '@surety/contracts';
import { failpoint } from '@surety/failpoints';
import type { Handler, HandlerContext } from '@surety/messaging';
import type { GatewayClient } from './gateway-client.js';

type PaymentStatus = 'pending' | 'captured' | 'declined' | 'voided' | 'refunded';

/**
 * lockPayment creates the order's payment row if it is missing, then locks it: a charge and a
 * refund for one order serialise on it, whichever arrives first.
 */
async function lockPayment(ctx: HandlerContext, orderId: string, amountCents: number, initial: PaymentStatus) {
  await ctx.tx.query({
    name: 'payment-create',
    text: `INSERT INTO payments.payments (order_id, amount_cents, status) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING`,
    values: [orderId, amountCents, initial],
  });
  const locked = await ctx.tx.query<{ status: PaymentStatus; charge_id: string | null }>({
    name: 'payment-lock',
    text: 'SELECT status, charge_id FROM payments.payments WHERE order_id = $1 FOR UPDATE',
    values: [orderId],
  });
  const row = locked.rows[0];
  if (!row) throw new Error(`payment row for ${orderId} vanished`);
  return row;
}

async function charge(event: Envelope<'order.placed'>, ctx: HandlerContext, gateway: GatewayClient) {
  const { totalCents } = event.payload;
  const payment = await lockPayment(ctx, event.orderId, totalCents, 'pending');
  if (payment.status !== 'pending') {
    ctx.log.debug({ status: payment.status }, 'order already settled here; not charging');
    return;
  }
  const result = await gateway.charge(event.orderId, totalCents);
  await failpoint('payment.after-charge-before-commit');
  if (result.status === 'captured') {
    await ctx.tx.query({
      name: 'payment-captured',
      text: `UPDATE payments.payments SET status = 'captured', charge_id = $2, updated_at = clock_timestamp() WHERE order_id = $1`,
      values: [event.orderId, result.chargeId],
    });
    await ctx.emit({
      type: 'payment.captured',
      payload: { chargeId: result.chargeId, amountCents: result.amountCents },
    });
  } else {
    await ctx.tx.query({
      name: 'payment-declined',
      text: `UPDATE payments.payments SET status = 'declined', charge_id = $2, reason = $3, updated_at = clock_timestamp() WHERE order_id = $1`,
      values: [event.orderId, result.chargeId, result.reason],
    });
    await ctx.emit({ type: 'payment.declined', payload: { reason: result.reason } });
  }
}

async function refund(event: Envelope<'order.cancelled'>, ctx: HandlerContext, gateway: GatewayClient) {
  const payment = await lockPayment(ctx, event.orderId, 0, 'voided');
  if (payment.status !== 'captured') return;
  if (!payment.charge_id) throw new BusinessRuleError(`captured payment of ${event.orderId} has no charge id`);
  const result = await gateway.refund(event.orderId, payment.charge_id);
  await ctx.tx.query({
    name: 'payment-refunded',
    text: `UPDATE payments.payments SET status = 'refunded', refund_id = $2, updated_at = clock_timestamp() WHERE order_id = $1`,
    values: [event.orderId, result.refundId],
  });
  await ctx.emit({
    type: 'payment.refunded',
    payload: { chargeId: result.chargeId, refundId: result.refundId, amountCents: result.amountCents },
  });
}

/**
 * paymentHandler charges on order.placed and refunds on order.cancelled when a charge was captured.
 * The gateway call happens inside the transaction: if the process dies before commit, the retry
 * calls again with the same idempotency key and gets the first answer, not a second charge.
 */
export function paymentHandler(gateway: GatewayClient): Handler {
  return async (event, ctx) => {
    switch (event.type) {
      case 'order.placed':
        return charge(event, ctx, gateway);
      case 'order.cancelled':
        return refund(event, ctx, gateway);
      default:
        throw new BusinessRuleError(`payment does not handle ${event.type}`);
    }
  };
}
