import { describe, expect, it } from 'vitest';
import { describeLedger, ledgerOf, ledgerVerdicts, unavailabilityOf } from './ledger.js';

describe('the drill ledger', () => {
  it('merges refusals less than a second apart into one span of unavailability', () => {
    expect(unavailabilityOf([2_500, 2_000, 2_900, 6_000])).toEqual([
      { fromSeconds: 2, toSeconds: 2.9, refusals: 3 },
      { fromSeconds: 6, toSeconds: 6, refusals: 1 },
    ]);
    expect(unavailabilityOf([])).toEqual([]);
  });

  it('counts acknowledged orders the database lost, and effects beyond one per order', () => {
    const ledger = ledgerOf(
      {
        accepted: ['a', 'b', 'c'],
        orders: [
          { id: 'a', status: 'CONFIRMED', reason: null, lines: [] },
          { id: 'b', status: 'CONFIRMED', reason: null, lines: [] },
        ],
        charges: [
          { orderId: 'a', status: 'captured' },
          { orderId: 'a', status: 'captured' },
          { orderId: 'b', status: 'declined' },
          { orderId: 'b', status: 'captured' },
        ],
        notifications: [
          { orderId: 'a', about: 'confirmed' },
          { orderId: 'b', about: 'confirmed' },
          { orderId: 'b', about: 'confirmed' },
        ],
      },
      { outboxRows: 10, markedPublished: 10, publishedThenLost: 3, deliveriesTakenIn: 12, redeliveries: 2 },
      [1_000],
    );
    expect(ledger.acknowledgedThenLost).toBe(1);
    expect(ledger.duplicatedEffects).toBe(2);
    expect(describeLedger(ledger)).toContainEqual(['acknowledged, then lost', '1 of 3 acknowledged (202)']);
    expect(describeLedger(ledger)).toContainEqual(['clients refused', '1.0–1.0 s (1 refused)']);
    expect(ledgerVerdicts(ledger).map((v) => [v.invariant, v.verdict])).toEqual([
      ['ledger: acknowledged, then lost', 'FAIL'],
      ['ledger: published, then lost', 'FAIL'],
      ['ledger: duplicated effects', 'FAIL'],
    ]);
  });

  it('passes a ledger with nothing lost and nothing doubled', () => {
    const ledger = ledgerOf(
      {
        accepted: ['a'],
        orders: [{ id: 'a', status: 'CONFIRMED', reason: null, lines: [] }],
        charges: [{ orderId: 'a', status: 'captured' }],
        notifications: [{ orderId: 'a', about: 'confirmed' }],
      },
      { outboxRows: 5, markedPublished: 5, publishedThenLost: 0, deliveriesTakenIn: 7, redeliveries: 1 },
      [],
    );
    expect(ledgerVerdicts(ledger).every((v) => v.verdict === 'PASS')).toBe(true);
  });
});
