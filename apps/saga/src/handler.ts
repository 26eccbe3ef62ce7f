import { BusinessRuleError, TransientError, type AnyEvent } from '@surety/contracts';
import { channels } from '@surety/db';
import { failpoint } from '@surety/failpoints';
import type { Handler } from '@surety/messaging';
import type { OrderLatency } from './order-latency.js';
import type { OrdersOfBatch, TimelineStep } from './orders-of-batch.js';
import { applyResult } from './state-machine.js';

function detailOf(event: AnyEvent): Record<string, unknown> {
  return { ...event.payload, messageId: event.id };
}

/**
 * sagaHandler is the order's state machine: it takes the order its batch locked, folds in the
 * result and records the new state with the timeline step (the batch writes them once its handlers
 * have run) and, on a transition, emits order.confirmed or order.cancelled in the same transaction.
 * Compensation follows from order.cancelled: payment refunds, inventory releases. Once a
 * transition commits, the order's end-to-end time is recorded.
 */
export const sagaHandler =
  (latency: OrderLatency): Handler<OrdersOfBatch> =>
  async (event, ctx) => {
    const orders = ctx.batch;
    const order = orders.get(event.orderId);
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
    // The result's step, then the transition's; a later result about the same order in this batch
    // starts from this state.
    const steps: TimelineStep[] = [
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
    orders.change(event.orderId, state, steps);
    // The api's live views of this order look again once this commits.
    ctx.notifyAfterCommit(channels.orderChanged, event.orderId);
    if (!transition) return failpoint('saga.before-commit');
    ctx.afterCommit(() => {
      void orders.secondsToComplete(event.orderId).then((seconds) => {
        if (seconds !== null) latency.record(transition.to, seconds);
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
