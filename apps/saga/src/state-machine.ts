import type { AnyEvent } from '@surety/contracts';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';
export type PaymentStatus = 'captured' | 'declined' | 'refunded';
export type StockStatus = 'reserved' | 'rejected' | 'released';

export interface SagaState {
  status: OrderStatus;
  paymentStatus: PaymentStatus | null;
  stockStatus: StockStatus | null;
  reason: string | null;
}

export type Transition = { to: 'CONFIRMED' } | { to: 'CANCELLED'; reason: string };

export interface Step {
  state: SagaState;
  /** The timeline entry this result adds. */
  timelineStep: string;
  transition: Transition | undefined;
}

// Later facts win over earlier ones whatever order the broker delivers them in: a refund or a
// release is final, whichever event arrives last.
const paymentRank: Record<PaymentStatus, number> = { captured: 1, declined: 1, refunded: 2 };
const stockRank: Record<StockStatus, number> = { reserved: 1, rejected: 1, released: 2 };

function later<S extends string>(rank: Record<S, number>, current: S | null, incoming: S): S {
  return current !== null && rank[current] >= rank[incoming] ? current : incoming;
}

function decide(state: SagaState, rejection: string | undefined): Transition | undefined {
  if (state.status !== 'PENDING') return undefined;
  if (rejection) return { to: 'CANCELLED', reason: rejection };
  if (state.paymentStatus === 'captured' && state.stockStatus === 'reserved') return { to: 'CONFIRMED' };
  return undefined;
}

/**
 * applyResult folds one participant's result into an order's saga state: PENDING until both the
 * payment is captured and the stock reserved (CONFIRMED), or until either refuses (CANCELLED, with
 * the refusal as reason). A terminal order never changes status again; late results only add to
 * its timeline. Returns undefined for events the saga does not follow.
 */
export function applyResult(state: SagaState, event: AnyEvent): Step | undefined {
  let next = state;
  let timelineStep: string;
  let rejection: string | undefined;
  switch (event.type) {
    case 'payment.captured':
      next = { ...state, paymentStatus: later(paymentRank, state.paymentStatus, 'captured') };
      timelineStep = 'charged';
      break;
    case 'payment.declined':
      next = { ...state, paymentStatus: later(paymentRank, state.paymentStatus, 'declined') };
      timelineStep = 'payment-declined';
      rejection = `payment declined: ${event.payload.reason}`;
      break;
    case 'payment.refunded':
      next = { ...state, paymentStatus: 'refunded' };
      timelineStep = 'refunded';
      break;
    case 'stock.reserved':
      next = { ...state, stockStatus: later(stockRank, state.stockStatus, 'reserved') };
      timelineStep = 'reserved';
      break;
    case 'stock.rejected':
      next = { ...state, stockStatus: later(stockRank, state.stockStatus, 'rejected') };
      timelineStep = 'stock-rejected';
      rejection = event.payload.reason;
      break;
    case 'stock.released':
      next = { ...state, stockStatus: 'released' };
      timelineStep = 'released';
      break;
    case 'notification.sent':
      // No longer published (the notification's row is its record); one sent by an earlier version
      // may still wait in the queue or its DLQ, and is a released contract: it adds its step, nothing else.
      timelineStep = 'notified';
      break;
    default:
      return undefined;
  }
  const transition = decide(next, rejection);
  if (transition) {
    next = { ...next, status: transition.to, reason: transition.to === 'CANCELLED' ? transition.reason : null };
  }
  return { state: next, timelineStep, transition };
}
