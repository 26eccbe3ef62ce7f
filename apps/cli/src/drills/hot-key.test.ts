import { describe, expect, it } from 'vitest';
import { hotKeyFindings, hotKeyVerdicts, renderHotKey, type HotKeyPhase, type HotKeySettings } from './hot-key.js';

const settings: HotKeySettings = { ratePerSecond: 30, seconds: 10, partitions: 4, workMs: 40, whaleShare: 0.5 };

function phase(overrides: Partial<HotKeyPhase>): HotKeyPhase {
  return {
    key: 'customer',
    samples: [
      { atMs: 0, depths: [0, 0, 0, 0] },
      { atMs: 1000, depths: [0, 1, 0, 17] },
    ],
    peaks: [1, 2, 1, 175],
    handledByPartition: [58, 100, 64, 378],
    whalePartitions: 1,
    orderInversions: 0,
    whaleReorderings: 0,
    whaleOrders: 150,
    loadMs: 10_000,
    drainMs: 7_800,
    accepted: 300,
    pending: 0,
    missing: 0,
    doubleCharged: 0,
    ...overrides,
  };
}

const byCustomer = phase({});
const byOrder = phase({
  key: 'order',
  peaks: [8, 8, 7, 4],
  handledByPartition: [140, 156, 156, 148],
  whalePartitions: 4,
  whaleReorderings: 39,
  drainMs: 500,
});

const failed = (verdicts: ReturnType<typeof hotKeyVerdicts>) =>
  verdicts.filter((v) => v.verdict === 'FAIL').map((v) => v.invariant);

describe('the hot-key drill', () => {
  it('passes when the customer key pins one partition, the order key spreads the load, and order and ledgers hold', () => {
    expect(failed(hotKeyVerdicts(byCustomer, byOrder))).toEqual([]);
  });

  it('fails when keying by customer showed no hot partition: the drill demonstrated nothing', () => {
    expect(failed(hotKeyVerdicts(phase({ peaks: [3, 2, 4, 5] }), byOrder))).toEqual([
      'keyed by customer, the whale pins one partition: it falls behind while the others keep up',
      'keyed by order, the load spreads evenly',
    ]);
  });

  it('fails when re-keying by order still leaves one partition behind', () => {
    expect(failed(hotKeyVerdicts(byCustomer, phase({ ...byOrder, peaks: [2, 3, 2, 90] })))).toEqual([
      'keyed by order, the load spreads evenly',
    ]);
  });

  it("fails when an order's last event is handled before its first", () => {
    expect(failed(hotKeyVerdicts(byCustomer, { ...byOrder, orderInversions: 1 }))).toEqual([
      "every order's events are handled in order, whatever the key",
    ]);
  });

  it('fails on a pending order or a double charge, and on a phase in which nothing was accepted', () => {
    expect(failed(hotKeyVerdicts(phase({ pending: 1 }), { ...byOrder, doubleCharged: 1 }))).toEqual([
      '1 every accepted order is CONFIRMED or CANCELLED',
      '2 at most one successful charge per order',
    ]);
    expect(failed(hotKeyVerdicts(byCustomer, { ...byOrder, accepted: 0 }))).toEqual([
      '1 every accepted order is CONFIRMED or CANCELLED',
    ]);
  });

  it('states the lag and the cost of re-keying from the numbers', () => {
    const findings = hotKeyFindings(byCustomer, byOrder, settings);
    expect(findings[0]).toContain('partition 3 took 63 % of the events');
    expect(findings[0]).toContain('37.8 a second arrived while the load lasted, against the 25 a second');
    expect(findings[0]).toContain('peaked at 175 messages while the other partitions peaked at 2');
    expect(findings[1]).toContain('peaked at 8 messages at most');
    expect(findings[2]).toContain('went to 4 partitions instead of 1');
    expect(findings[2]).toContain(
      '39 of its 150 orders were handled before one it placed earlier (0 of 150 keyed by customer)',
    );
  });

  it('renders the verdicts, the findings and each phase by partition', () => {
    const verdicts = hotKeyVerdicts(byCustomer, byOrder);
    const text = renderHotKey({
      startedAt: '2026-12-06T00:00:00.000Z',
      settings,
      phases: [byCustomer, byOrder],
      verdicts,
      findings: hotKeyFindings(byCustomer, byOrder, settings),
      passed: true,
    });
    expect(text).toMatch(/^# hot-key: .*, PASS\n/);
    expect(text).toContain('## Keyed by customer (`x-customer-id`)');
    expect(text).toContain('| p3 | 378 | 175 |');
    expect(text).toContain('| 1 | 0 | 1 | 0 | 17 |');
  });
});
