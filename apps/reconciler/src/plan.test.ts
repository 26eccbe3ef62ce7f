import { describe, expect, it } from 'vitest';
import { planFor } from './plan.js';

const order = { id: '3b241101-e2bb-4255-8caf-4136c566a962', paymentStatus: null, stockStatus: null };
const captured = { id: 'ch_1', amountCents: 500, status: 'captured' as const };
const reserved = { status: 'reserved' as const, items: [{ sku: 'A', quantity: 1 }], reason: null };

describe('planFor', () => {
  it('forwards decisions the saga never received', () => {
    const plan = planFor(order, captured, reserved);
    expect(plan.republishOrder).toBe(false);
    expect(plan.facts.map((f) => f.type)).toEqual(['payment.captured', 'stock.reserved']);
  });

  it('forwards only what the saga is missing', () => {
    const plan = planFor({ ...order, paymentStatus: 'captured' }, captured, {
      ...reserved,
      status: 'rejected',
      reason: 'out of stock: A',
    });
    expect(plan.facts).toEqual([{ type: 'stock.rejected', orderId: order.id, payload: { reason: 'out of stock: A' } }]);
  });

  it('sends the order again to a participant that never saw it', () => {
    expect(planFor(order, undefined, reserved)).toMatchObject({ republishOrder: true });
    expect(planFor(order, captured, undefined)).toMatchObject({ republishOrder: true });
    expect(
      planFor(order, { ...captured, status: 'declined', declineReason: 'card_declined' }, undefined).facts,
    ).toEqual([{ type: 'payment.declined', orderId: order.id, payload: { reason: 'card_declined' } }]);
  });
});
