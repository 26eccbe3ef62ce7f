import type { EventType, NewEvent } from '@surety/contracts';
import type { Charge, Reservation } from './authorities.js';

export interface StuckOrder {
  id: string;
  paymentStatus: string | null;
  stockStatus: string | null;
}

export interface Plan {
  /** Facts the systems of record hold that never reached the saga. */
  facts: NewEvent<EventType>[];
  /** A participant never acted: send it the order again (same message id; the others dedupe it). */
  republishOrder: boolean;
}

/**
 * planFor decides how to move a stuck order on, from what the authorities say: forward each
 * decision the saga is missing as the event that carries it, and send the order again to a
 * participant that has no record of it. The saga then settles the order the normal way.
 */
export function planFor(order: StuckOrder, charge: Charge | undefined, reservation: Reservation | undefined): Plan {
  const facts: NewEvent<EventType>[] = [];
  const orderId = order.id;
  if (order.paymentStatus === null && charge) {
    facts.push(
      charge.status === 'declined'
        ? { type: 'payment.declined', orderId, payload: { reason: charge.declineReason ?? 'declined' } }
        : { type: 'payment.captured', orderId, payload: { chargeId: charge.id, amountCents: charge.amountCents } },
    );
  }
  if (order.stockStatus === null && reservation) {
    if (reservation.status === 'reserved' || reservation.status === 'released') {
      facts.push({ type: 'stock.reserved', orderId, payload: { items: reservation.items } });
    } else if (reservation.status === 'rejected') {
      facts.push({ type: 'stock.rejected', orderId, payload: { reason: reservation.reason ?? 'rejected' } });
    }
  }
  const unseen = !charge || !reservation || reservation.status === 'pending';
  return { facts, republishOrder: unseen };
}
