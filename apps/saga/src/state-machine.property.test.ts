import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEvent, type AnyEvent } from '@surety/contracts';
import { applyResult, type SagaState, type Transition } from './state-machine.js';

/**
 * The saga relies on no delivery order. This simulates one order through the pipeline as the
 * broker may really deliver it: the participants' results in any order, each delivery possibly
 * failing (rolled back, delivered again later, after later events) or committed and delivered
 * again (a crash before the ack), and compensation emitted only once the saga's cancellation has
 * committed. Whatever the history, the order must end in the one correct state, with one
 * transition and so one compensation.
 */

const orderId = '3b241101-e2bb-4255-8caf-4136c566a962';
const items = [{ sku: 'A', quantity: 1 }];

type PaymentOutcome = 'captured' | 'declined';
type StockOutcome = 'reserved' | 'rejected';
/** What happens to one delivery: committed and acked, committed then delivered again, or rolled back. */
type Fate = 'commit' | 'commit-then-redeliver' | 'roll-back';

interface History {
  payment: PaymentOutcome;
  stock: StockOutcome;
  /** Each step picks a message in flight (by index, modulo) and what happens to its delivery. */
  steps: { pick: number; fate: Fate }[];
}

interface Outcome {
  state: SagaState;
  transitions: Transition[];
  refundsEmitted: number;
  releasesEmitted: number;
  firstRejection: string | undefined;
}

function simulate(history: History, withInbox: boolean): Outcome {
  const paymentResult =
    history.payment === 'captured'
      ? createEvent({ type: 'payment.captured', orderId, payload: { chargeId: 'ch_1', amountCents: 650 } })
      : createEvent({ type: 'payment.declined', orderId, payload: { reason: 'card_declined' } });
  const stockResult =
    history.stock === 'reserved'
      ? createEvent({ type: 'stock.reserved', orderId, payload: { items } })
      : createEvent({ type: 'stock.rejected', orderId, payload: { reason: 'out of stock: A', sku: 'A' } });
  // Both participants have answered order.placed: their results are in flight to the saga.
  const inFlight: AnyEvent[] = [paymentResult, stockResult];
  const inbox = new Set<string>();
  let state: SagaState = { status: 'PENDING', paymentStatus: null, stockStatus: null, reason: null };
  const outcome: Omit<Outcome, 'state'> = {
    transitions: [],
    refundsEmitted: 0,
    releasesEmitted: 0,
    firstRejection: undefined,
  };

  // The saga's transaction committed: what its transition sets off downstream is now in flight.
  const afterTransition = (transition: Transition) => {
    if (transition.to === 'CANCELLED') {
      // Payment refunds a captured charge, inventory releases a reservation: each once, as their
      // own inboxes and keys ensure (what is under test here is how often the saga asks).
      if (history.payment === 'captured') {
        outcome.refundsEmitted += 1;
        inFlight.push(
          createEvent({
            type: 'payment.refunded',
            orderId,
            payload: { chargeId: 'ch_1', refundId: 're_1', amountCents: 650 },
          }),
        );
      }
      if (history.stock === 'reserved') {
        outcome.releasesEmitted += 1;
        inFlight.push(createEvent({ type: 'stock.released', orderId, payload: { items } }));
      }
    }
    inFlight.push(
      createEvent({
        type: 'notification.sent',
        orderId,
        payload: {
          notificationId: 'n_1',
          about: transition.to === 'CONFIRMED' ? 'order.confirmed' : 'order.cancelled',
          channel: 'email',
        },
      }),
    );
  };

  const deliver = (index: number, fate: Fate) => {
    const [event] = inFlight.splice(index, 1);
    if (!event) return;
    if (fate === 'roll-back') {
      inFlight.push(event);
      return;
    }
    if (!(withInbox && inbox.has(event.id))) {
      const step = applyResult(state, event);
      if (step) {
        state = step.state;
        if ((event.type === 'payment.declined' || event.type === 'stock.rejected') && !outcome.firstRejection) {
          outcome.firstRejection = event.type;
        }
        if (step.transition) {
          outcome.transitions.push(step.transition);
          afterTransition(step.transition);
        }
      }
      inbox.add(event.id);
    }
    if (fate === 'commit-then-redeliver') inFlight.push(event);
  };

  for (const { pick, fate } of history.steps) {
    if (inFlight.length === 0) break;
    deliver(pick % inFlight.length, fate);
  }
  // The faults end: whatever is still in flight is delivered and acked, in the order it stands.
  while (inFlight.length > 0) deliver(0, 'commit');
  return { state, ...outcome };
}

const histories: fc.Arbitrary<History> = fc.record({
  payment: fc.constantFrom<PaymentOutcome>('captured', 'declined'),
  stock: fc.constantFrom<StockOutcome>('reserved', 'rejected'),
  steps: fc.array(
    fc.record({
      pick: fc.nat({ max: 7 }),
      fate: fc.constantFrom<Fate>('commit', 'commit-then-redeliver', 'roll-back'),
    }),
    { maxLength: 30 },
  ),
});

function expectCorrectEnd(history: History, outcome: Outcome): void {
  const confirmed = history.payment === 'captured' && history.stock === 'reserved';
  // One transition, to the one correct status.
  expect(outcome.transitions).toHaveLength(1);
  expect(outcome.state.status).toBe(confirmed ? 'CONFIRMED' : 'CANCELLED');
  if (confirmed) {
    expect(outcome.state).toMatchObject({ paymentStatus: 'captured', stockStatus: 'reserved', reason: null });
    expect(outcome.refundsEmitted + outcome.releasesEmitted).toBe(0);
    return;
  }
  // Compensation exactly once, for what was taken, and the late facts win over earlier ones.
  expect(outcome.refundsEmitted).toBe(history.payment === 'captured' ? 1 : 0);
  expect(outcome.releasesEmitted).toBe(history.stock === 'reserved' ? 1 : 0);
  expect(outcome.state.paymentStatus).toBe(history.payment === 'captured' ? 'refunded' : 'declined');
  expect(outcome.state.stockStatus).toBe(history.stock === 'reserved' ? 'released' : 'rejected');
  // The reason is the refusal the saga saw first.
  expect(outcome.state.reason).toMatch(
    outcome.firstRejection === 'payment.declined' ? /payment declined/ : /out of stock/,
  );
}

describe('the saga under every interleaving, duplicate and delay of one order’s events', () => {
  it('ends in the one correct state with one transition, the inbox dropping repeats (10,000 histories)', () => {
    fc.assert(
      fc.property(histories, (history) => expectCorrectEnd(history, simulate(history, true))),
      { numRuns: 10_000 },
    );
  });

  it('ends the same without the inbox: the state machine itself absorbs repeated results (10,000 histories)', () => {
    fc.assert(
      fc.property(histories, (history) => expectCorrectEnd(history, simulate(history, false))),
      { numRuns: 10_000 },
    );
  });
});
