import { BusinessRuleError, TransientError, type AnyEvent } from '@surety/contracts';
import { channels } from '@surety/db';
import { failpoint } from '@surety/failpoints';
import type { TransactionQueries } from '@surety/db';
import type { Handler } from '@surety/messaging';
import type { OrderLatency } from './order-latency.js';
import { applyResult, type SagaState } from './state-machine.js';

interface OrderRow {
  id: string;
  status: SagaState['status'];
  payment_status: SagaState['paymentStatus'];
  stock_status: SagaState['stockStatus'];
  reason: string | null;
  customer_id: string;
  total_cents: number;
}

/** The orders of a batch, locked, by id: each handler reads its order here and records its change. */
export type LockedOrders = Map<string, OrderRow>;

/**
 * lockOrdersOfBatch locks every order a batch's results are about, in one statement and in id
 * order (concurrent batches lock shared orders in the same order, so they wait instead of
 * deadlocking), and returns them for the batch's handlers.
 */
export async function lockOrdersOfBatch(events: readonly AnyEvent[], tx: TransactionQueries): Promise<LockedOrders> {
  const ids = [...new Set(events.map((event) => event.orderId))].sort();
  const locked = await tx.query<OrderRow>({
    name: 'saga-lock-orders',
    text: `SELECT id, status, payment_status, stock_status, reason, customer_id, total_cents
             FROM orders.orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    values: [ids],
  });
  return new Map(locked.rows.map((row) => [row.id, row]));
}

function detailOf(event: AnyEvent): Record<string, unknown> {
  return { ...event.payload, messageId: event.id };
}

/**
 * sagaHandler is the order's state machine: it takes the order its batch locked, folds in the result, records the
 * timeline step and, on a transition, emits order.confirmed or order.cancelled in the same
 * transaction. Compensation follows from order.cancelled: payment refunds, inventory releases.
 * Once a transition commits, the order's end-to-end time is recorded.
 */
export const sagaHandler =
  (latency: OrderLatency): Handler<LockedOrders> =>
  async (event, ctx) => {
    const order = ctx.batch.get(event.orderId);
    // Not yet, rather than never: logical decoding sends a commit before the committing session has
    // made it visible, so through the CDC relay a result can outrun its order. Retried through the
    // delay tiers; about an order that never was, it reaches the DLQ once they are spent.
    if (!order) throw new TransientError(`no order ${event.orderId}`);
    const step = applyResult(
      {
        status: order.status,
        paymentStatus: order.payment_status,
        stockStatus: order.stock_status,
        reason: order.reason,
      },
      event,
    );
    if (!step) throw new BusinessRuleError(`saga does not handle ${event.type}`);
    const { state, transition } = step;
    // A later result about the same order in this batch starts from this one's state.
    ctx.batch.set(event.orderId, {
      ...order,
      status: state.status,
      payment_status: state.paymentStatus,
      stock_status: state.stockStatus,
      reason: state.reason,
    });
    // The result's step, then the transition's: one statement updates the order and writes both,
    // a microsecond apart so that the timeline keeps their order.
    const steps = [
      { step: step.timelineStep, messageId: event.id, detail: detailOf(event) },
      ...(transition
        ? [
            {
              step: transition.to.toLowerCase(),
              messageId: null,
              detail: transition.to === 'CANCELLED' ? { reason: transition.reason } : null,
            },
          ]
        : []),
    ];
    const updated = ctx.tx.send<{ seconds: number | null }>({
      name: 'saga-apply',
      text: `WITH updated AS (
               UPDATE orders.orders
                  SET status = $2, payment_status = $3, stock_status = $4, reason = $5, updated_at = clock_timestamp(),
                      completed_at = CASE WHEN $2 <> 'PENDING' THEN coalesce(completed_at, clock_timestamp()) END
                WHERE id = $1
            RETURNING extract(epoch FROM completed_at - created_at)::float8 AS seconds
           ), steps AS (
             INSERT INTO orders.order_timeline (order_id, step, message_id, detail, at)
             SELECT $1, s.step, s.message_id, s.detail, clock_timestamp() + (s.n - 1) * interval '1 microsecond'
               FROM unnest($6::text[], $7::uuid[], $8::jsonb[]) WITH ORDINALITY AS s(step, message_id, detail, n)
           )
           SELECT seconds FROM updated`,
      values: [
        event.orderId,
        state.status,
        state.paymentStatus,
        state.stockStatus,
        state.reason,
        steps.map((s) => s.step),
        steps.map((s) => s.messageId),
        steps.map((s) => (s.detail === null ? null : JSON.stringify(s.detail))),
      ],
    });
    // The api's live views of this order look again once this commits.
    ctx.notifyAfterCommit(channels.orderChanged, event.orderId);
    if (!transition) return failpoint('saga.before-commit');
    // Read once committed, when the statement has long answered.
    ctx.afterCommit(() => {
      void updated.then((result) => {
        const seconds = result.rows[0]?.seconds;
        if (seconds != null) latency.record(transition.to, seconds);
      });
    });
    if (transition.to === 'CONFIRMED') {
      await ctx.emit({
        type: 'order.confirmed',
        payload: { customerId: order.customer_id, totalCents: order.total_cents },
      });
    } else {
      await ctx.emit({
        type: 'order.cancelled',
        payload: { customerId: order.customer_id, reason: transition.reason },
      });
    }
    await failpoint('saga.before-commit');
  };
