import { describe, expect, it } from 'vitest';
import { createEvent, type AnyEvent } from '@surety/contracts';
import { applyResult, type SagaState } from './state-machine.js';

const orderId = '3b241101-e2bb-4255-8caf-4136c566a962';
const pending: SagaState = { status: 'PENDING', paymentStatus: null, stockStatus: null, reason: null };

const results = {
  captured: createEvent({ type: 'payment.captured', orderId, payload: { chargeId: 'ch_1', amountCents: 100 } }),
  declined: createEvent({ type: 'payment.declined', orderId, payload: { reason: 'card_declined' } }),
  refunded: createEvent({
    type: 'payment.refunded',
    orderId,
    payload: { chargeId: 'ch_1', refundId: 're_1', amountCents: 100 },
  }),
  reserved: createEvent({ type: 'stock.reserved', orderId, payload: { items: [{ sku: 'A', quantity: 1 }] } }),
  rejected: createEvent({ type: 'stock.rejected', orderId, payload: { reason: 'out of stock: A', sku: 'A' } }),
  released: createEvent({ type: 'stock.released', orderId, payload: { items: [{ sku: 'A', quantity: 1 }] } }),
} satisfies Record<string, AnyEvent>;

function fold(events: AnyEvent[]) {
  let state = pending;
  const transitions = [];
  for (const event of events) {
    const step = applyResult(state, event);
    if (!step) continue;
    state = step.state;
    if (step.transition) transitions.push(step.transition);
  }
  return { state, transitions };
}

describe('applyResult', () => {
  it('confirms once both the charge and the reservation are in, in either order', () => {
    for (const order of [
      [results.captured, results.reserved],
      [results.reserved, results.captured],
    ]) {
      const { state, transitions } = fold(order);
      expect(state.status).toBe('CONFIRMED');
      expect(transitions).toEqual([{ to: 'CONFIRMED' }]);
    }
  });

  it('stays pending with only one positive result', () => {
    expect(fold([results.captured]).state.status).toBe('PENDING');
    expect(fold([results.reserved]).state.status).toBe('PENDING');
  });

  it('cancels on the first refusal, with its reason, and only once', () => {
    const { state, transitions } = fold([results.reserved, results.declined, results.rejected]);
    expect(state.status).toBe('CANCELLED');
    expect(transitions).toEqual([{ to: 'CANCELLED', reason: 'payment declined: card_declined' }]);
  });

  it('keeps a refund final even when the capture is delivered after it', () => {
    const { state } = fold([results.rejected, results.refunded, results.captured]);
    expect(state).toMatchObject({ status: 'CANCELLED', paymentStatus: 'refunded', stockStatus: 'rejected' });
  });

  it('never reopens a terminal order', () => {
    const { state, transitions } = fold([results.captured, results.reserved, results.rejected, results.released]);
    expect(state.status).toBe('CONFIRMED');
    expect(transitions).toHaveLength(1);
  });
});
