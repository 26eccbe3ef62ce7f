import { BusinessRuleError, type AnyEvent, type Envelope } from '@surety/contracts';
import { failpoint } from '@surety/failpoints';
import type { TransactionQueries } from '@surety/db';
import { BatchRows, type Handler, type HandlerContext } from '@surety/messaging';

type PaymentContext = HandlerContext<LockedPayments>;
import type { GatewayClient } from './gateway-client.js';

type PaymentStatus = 'pending' | 'captured' | 'declined' | 'voided' | 'refunded';

interface PaymentRow {
  order_id: string;
  status: PaymentStatus;
  charge_id: string | null;
  refund_id: string | null;
  reason: string | null;
}

/**
 * The payment rows of a batch's orders, locked, by order id: each handler keeps its own up to date,
 * and writePaymentsOfBatch writes the changed ones once they have all run.
 */
export type LockedPayments = BatchRows<PaymentRow>;

/**
 * lockPaymentsOfBatch creates each order's payment row if it is missing (pending for a charge,
 * voided when the cancellation came first, so a late order.placed charges nothing), then locks
 * them all in order-id order: a charge and a refund for one order serialise on the row, whichever
 * arrives first, and concurrent batches wait for each other instead of deadlocking.
 */
export async function lockPaymentsOfBatch(
  events: readonly AnyEvent[],
  tx: TransactionQueries,
): Promise<LockedPayments> {
  const initial = new Map<string, { amountCents: number; status: PaymentStatus }>();
  for (const event of events) {
    if (initial.has(event.orderId)) continue;
    if (event.type === 'order.placed')
      initial.set(event.orderId, { amountCents: event.payload.totalCents, status: 'pending' });
    if (event.type === 'order.cancelled') initial.set(event.orderId, { amountCents: 0, status: 'voided' });
  }
  const ids = [...initial.keys()].sort();
  // Sent together: the lock reads the rows the insert creates.
  const [, locked] = await Promise.all([
    tx.query({
      name: 'payment-create-batch',
      text: `INSERT INTO payments.payments (order_id, amount_cents, status)
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[]) ORDER BY 1 ON CONFLICT (order_id) DO NOTHING`,
      values: [ids, ids.map((id) => initial.get(id)!.amountCents), ids.map((id) => initial.get(id)!.status)],
    }),
    tx.query<PaymentRow>({
      name: 'payment-lock-batch',
      text: `SELECT order_id, status, charge_id, refund_id, reason FROM payments.payments
            WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE`,
      values: [ids],
    }),
  ]);
  return new BatchRows(new Map(locked.rows.map((row) => [row.order_id, row])));
}

/** writePaymentsOfBatch writes every payment a batch's handlers changed, in its last state, in one statement. */
export function writePaymentsOfBatch(batch: LockedPayments, tx: TransactionQueries): void {
  const changed = batch.changed();
  if (changed.length === 0) return;
  void tx.send({
    name: 'payment-change',
    text: `UPDATE payments.payments AS p
              SET status = c.status, charge_id = c.charge_id, refund_id = c.refund_id, reason = c.reason,
                  updated_at = clock_timestamp()
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
               AS c(order_id, status, charge_id, refund_id, reason)
            WHERE p.order_id = c.order_id`,
    values: [
      changed.map((row) => row.order_id),
      changed.map((row) => row.status),
      changed.map((row) => row.charge_id),
      changed.map((row) => row.refund_id),
      changed.map((row) => row.reason),
    ],
  });
}

function paymentOf(ctx: PaymentContext, orderId: string): PaymentRow {
  const row = ctx.batch.get(orderId);
  if (!row) throw new Error(`payment row for ${orderId} was not locked`);
  return row;
}

async function charge(event: Envelope<'order.placed'>, ctx: PaymentContext, gateway: GatewayClient) {
  const { totalCents } = event.payload;
  const payment = paymentOf(ctx, event.orderId);
  if (payment.status !== 'pending') {
    ctx.log.debug({ status: payment.status }, 'order already settled here; not charging');
    return;
  }
  const result = await gateway.charge(event.orderId, totalCents);
  await failpoint('payment.after-charge-before-commit');
  if (result.status === 'captured') {
    ctx.batch.change(event.orderId, { ...payment, status: 'captured', charge_id: result.chargeId });
    await ctx.emit({
      type: 'payment.captured',
      payload: { chargeId: result.chargeId, amountCents: result.amountCents },
    });
  } else {
    ctx.batch.change(event.orderId, {
      ...payment,
      status: 'declined',
      charge_id: result.chargeId,
      reason: result.reason,
    });
    await ctx.emit({ type: 'payment.declined', payload: { reason: result.reason } });
  }
}

async function refund(event: Envelope<'order.cancelled'>, ctx: PaymentContext, gateway: GatewayClient) {
  const payment = paymentOf(ctx, event.orderId);
  if (payment.status !== 'captured') return;
  if (!payment.charge_id) throw new BusinessRuleError(`captured payment of ${event.orderId} has no charge id`);
  const result = await gateway.refund(event.orderId, payment.charge_id);
  ctx.batch.change(event.orderId, { ...payment, status: 'refunded', refund_id: result.refundId });
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
export function paymentHandler(gateway: GatewayClient): Handler<LockedPayments> {
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
