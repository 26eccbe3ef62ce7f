import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '@surety/messaging';
import type { Evidence } from './evidence.js';
import { judge } from './judge.js';

function healthy(): Evidence {
  return {
    accepted: ['o1', 'o2'],
    orders: [
      { id: 'o1', status: 'CONFIRMED', reason: null, lines: [{ sku: 'A', quantity: 2 }] },
      { id: 'o2', status: 'CANCELLED', reason: 'payment declined: card_declined', lines: [{ sku: 'A', quantity: 1 }] },
    ],
    charges: [
      { orderId: 'o1', status: 'captured' },
      { orderId: 'o2', status: 'declined' },
    ],
    chargeRequests: [
      { orderId: 'o1', executed: 1, replayed: 2, faulted: 0 },
      { orderId: 'o2', executed: 1, replayed: 0, faulted: 0 },
    ],
    refunds: [],
    stockBefore: { A: { available: 10, reserved: 0 } },
    stockAfter: { A: { available: 8, reserved: 2 } },
    notifications: [
      { orderId: 'o1', about: 'order.confirmed' },
      { orderId: 'o2', about: 'order.cancelled' },
    ],
    unpublishedOutboxRows: 0,
    queueDepths: { 'payment.orders': 0, 'payment.orders.dlq': 0 },
    deadLetters: [],
    poisonInjected: [],
  };
}

const verdictsOf = (evidence: Evidence, expectPoison = false) =>
  Object.fromEntries(judge(evidence, { expectPoison }).map((v) => [v.invariant.slice(0, 1), v.verdict]));

describe('judge', () => {
  it('passes a healthy run, replays at the gateway included', () => {
    expect(verdictsOf(healthy())).toEqual({ 1: 'PASS', 2: 'PASS', 3: 'PASS', 4: 'PASS', 5: 'PASS' });
  });

  it('fails an accepted order the database does not have: acknowledged, then lost', () => {
    const evidence = healthy();
    evidence.accepted.push('o3');
    const verdict = judge(evidence, { expectPoison: false })[0]!;
    expect(verdict.verdict).toBe('FAIL');
    expect(verdict.evidence).toContain('1 missing');
  });

  it('fails a run in which no order was accepted: it proved nothing', () => {
    const evidence = healthy();
    evidence.accepted = [];
    evidence.orders = [];
    expect(verdictsOf(evidence)[1]).toBe('FAIL');
  });

  it('fails a double charge, naming it', () => {
    const evidence = healthy();
    evidence.charges.push({ orderId: 'o1', status: 'captured' });
    const verdict = judge(evidence, { expectPoison: false })[1]!;
    expect(verdict.verdict).toBe('FAIL');
    expect(verdict.evidence).toContain('1 orders charged twice or more (1 extra)');
  });

  it('fails a cancelled order left charged, and a pending order', () => {
    const evidence = healthy();
    evidence.charges[1] = { orderId: 'o2', status: 'captured' };
    evidence.accepted.push('o3');
    evidence.orders.push({ id: 'o3', status: 'PENDING', reason: null, lines: [] });
    expect(verdictsOf(evidence)).toMatchObject({ 1: 'FAIL', 2: 'FAIL' });
  });

  it('fails stock that does not match the confirmed lines', () => {
    const evidence = healthy();
    evidence.stockAfter.A = { available: 7, reserved: 3 };
    expect(verdictsOf(evidence)[3]).toBe('FAIL');
  });

  it('fails a missing or repeated notification', () => {
    const missing = healthy();
    missing.notifications.pop();
    expect(verdictsOf(missing)[4]).toBe('FAIL');
    const repeated = healthy();
    repeated.notifications.push({ orderId: 'o1', about: 'order.confirmed' });
    expect(verdictsOf(repeated)[4]).toBe('FAIL');
  });

  it('fails a stranded message or an unexpected dead letter, and accepts injected poison', () => {
    const stranded = healthy();
    stranded.queueDepths['payment.orders'] = 3;
    expect(verdictsOf(stranded)[5]).toBe('FAIL');
    const letter = { messageId: 'p1', reason: 'body is not JSON' } as DeadLetter;
    const unexpected = healthy();
    unexpected.deadLetters = [letter];
    expect(verdictsOf(unexpected)[5]).toBe('FAIL');
    const poisoned = { ...healthy(), deadLetters: [letter], poisonInjected: ['p1'] };
    expect(verdictsOf(poisoned, true)).toMatchObject({ 5: 'PASS', 6: 'PASS' });
    expect(verdictsOf({ ...poisoned, deadLetters: [] }, true)[6]).toBe('FAIL');
  });
});
