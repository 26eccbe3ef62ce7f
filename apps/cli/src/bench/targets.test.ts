import { describe, expect, it } from 'vitest';
import type { CostAtRate } from './cost-at-rate.js';
import { overloadBasis, renderCostRun, type CostRunResult } from './cost-run.js';
import { benchTargetsMet, targetsMet, type TargetRow } from './targets.js';
import { benchFixture, costAtRate, costRunFixture, k6 } from './test-fixtures.js';

/** A rate at which every order offered was accepted and settled. */
function clean(offered: number, changes: Partial<CostAtRate['perOrder']> = {}): CostAtRate {
  const r = costAtRate(offered, 5);
  return {
    ...r,
    accepted: r.placed,
    settled: r.placed,
    refusals: {},
    postMs: { p50: 3, p99: 12 },
    settleMs: { p50: 25, p99: 90 },
    perOrder: { ...r.perOrder, transactions: 4, ...changes },
    residentMiBByProcess: { 'api-1': 70, 'payment-1': 64, 'gateway-1': 120 },
  };
}

/** 900 orders/s offered for 10 s, 3× the 300 sustained: 3,000 accepted quickly, the rest shed at once with Retry-After. */
function overloaded(changes: Partial<CostAtRate> = {}): NonNullable<CostRunResult['overload']> {
  const r = clean(900);
  return {
    factor: 3,
    basisPerSecond: 300,
    basisSustained: true,
    result: {
      ...r,
      accepted: 3000,
      settled: 3000,
      refusals: { 503: 6000 },
      postMs: { p50: 8, p99: 60 },
      refusedMs: { p50: 1, p99: 5 },
      ...changes,
    },
  };
}

const goodRun: CostRunResult = {
  ...costRunFixture,
  idle: { seconds: 30, machineCores: 0.3, stackCores: 0.03, coresByProcess: {} },
  rates: [clean(100), clean(300, { machineCpuMs: 5.5, transactions: 5.2 }), costAtRate(600, 4)],
  overload: overloaded(),
};

const row = (rows: TargetRow[], starts: string) => {
  const found = rows.find((r) => r.target.startsWith(starts));
  if (!found) throw new Error(`no target ${starts}`);
  return found;
};

describe('targetsMet', () => {
  it('meets every target when the run is inside them, judging CPU and transactions at the highest clean rate', () => {
    const rows = targetsMet(goodRun);
    expect(rows.map((r) => r.verdict)).toEqual(Array(rows.length).fill('met'));
    // 600/s refused some orders, so 300/s is the highest rate that settled everything.
    expect(row(rows, 'max sustained rate').measured).toBe('300 orders/s (not 600)');
    expect(row(rows, 'whole-machine CPU').measured).toBe('5.5 ms at 300 orders/s');
    expect(row(rows, 'Postgres').measured).toBe('5.2 at 300 orders/s');
    // The gateway stand-in is the test's, not a Surety replica.
    expect(row(rows, 'RSS').measured).toBe('largest 70 MiB (api-1)');
    expect(rows).toHaveLength(11);
  });

  it('says which targets a run misses, with what it measured', () => {
    const slow = clean(100, { machineCpuMs: 31.4, transactions: 37 });
    const run: CostRunResult = {
      ...goodRun,
      idle: { seconds: 30, machineCores: 0.04, stackCores: 0.4, coresByProcess: {} },
      rates: [{ ...slow, postMs: { p50: 20, p99: 133 }, settleMs: { p50: 55, p99: 444 } }],
    };
    const rows = targetsMet(run);
    expect(row(rows, 'max sustained rate')).toEqual(
      expect.objectContaining({ measured: '100 orders/s (the highest offered)', verdict: 'not met' }),
    );
    expect(row(rows, 'whole-machine CPU')).toEqual(expect.objectContaining({ verdict: 'not met' }));
    expect(row(rows, 'whole-machine CPU').measured).toBe('31.4 ms at 100 orders/s');
    expect(row(rows, 'Postgres').verdict).toBe('not met');
    expect(row(rows, 'idle').verdict).toBe('not met');
    expect(row(rows, 'at 100 orders/s: POST p99').measured).toBe('133 ms');
    expect(row(rows, 'at 100 orders/s: POST p99').verdict).toBe('not met');
    expect(row(rows, 'at 100 orders/s: placed → settled p50').verdict).toBe('not met');
    expect(row(rows, 'at 100 orders/s: placed → settled p99').verdict).toBe('not met');
    expect(row(rows, 'at 100 orders/s: no refusals').verdict).toBe('met');
    expect(row(rows, 'RSS').verdict).toBe('met');
  });

  it('counts refusals and memory over the limit against the targets', () => {
    const rows = targetsMet(costRunFixture);
    // Both rates refused 3 orders: none settled everything.
    expect(row(rows, 'max sustained rate')).toEqual(
      expect.objectContaining({ measured: 'below 20 orders/s, the lowest offered', verdict: 'not met' }),
    );
    expect(row(rows, 'whole-machine CPU')).toEqual(
      expect.objectContaining({ measured: 'no rate was sustained', verdict: 'not measured' }),
    );
    // A backlog that took longer than 2 s to drain did not stay bounded.
    const backlogged = targetsMet({ ...goodRun, rates: [clean(100), { ...clean(300), drainSeconds: 3.1 }] });
    expect(row(backlogged, 'max sustained rate').measured).toBe('100 orders/s (not 300)');
    expect(row(rows, 'at 100 orders/s: no refusals')).toEqual(
      expect.objectContaining({ measured: '3 of 1000 refused', verdict: 'not met' }),
    );
    const heavy = targetsMet({ ...goodRun, rates: [{ ...clean(100), residentMiBByProcess: { 'saga-2': 150 } }] });
    expect(row(heavy, 'RSS')).toEqual(
      expect.objectContaining({ measured: 'largest 150 MiB (saga-2)', verdict: 'not met' }),
    );
  });

  it('holds the overload to quick answers both ways, Retry-After on every refusal, and every accepted order settled', () => {
    const judged = (changes: Partial<CostAtRate>) => {
      const rows = targetsMet({ ...goodRun, overload: overloaded(changes) });
      return [
        row(rows, 'overload at 3× the max sustained rate: accepted'),
        row(rows, 'overload at 3× the max sustained rate: the excess'),
      ] as const;
    };
    const [accepted, shed] = judged({});
    expect(accepted.measured).toBe('p99 60 ms for 3000 accepted of 9000, at 900 orders/s sent (3× 300)');
    expect(shed.measured).toBe('6000 × 503 answered in p99 5 ms, 3000 of 3000 accepted settled');
    expect(judged({ postMs: { p50: 40, p99: 240 } })[0].verdict).toBe('not met');
    expect(judged({ refusedMs: { p50: 90, p99: 400 } }).map((r) => r.verdict)).toEqual(['met', 'not met']);
    const silent = judged({ refusedWithoutRetryAfter: 2 })[1];
    expect(silent).toEqual(expect.objectContaining({ verdict: 'not met' }));
    expect(silent.measured).toContain('2 without Retry-After');
    const timedOut = judged({ refusals: { 503: 5990, 0: 10 } })[1];
    expect(timedOut).toEqual(expect.objectContaining({ verdict: 'not met' }));
    expect(timedOut.measured).toContain('10 × no answer');
    expect(judged({ settled: 2990 })[1].verdict).toBe('not met');
    // A generator that could not send 3× the sustained rate did not test the target.
    expect(judged({ sentPerSecond: 700 }).map((r) => r.verdict)).toEqual(['not measured', 'not measured']);
  });

  it('overloads from the max sustained rate, or from the lowest offered when none was sustained', () => {
    expect(overloadBasis(goodRun.rates)).toEqual({ perSecond: 300, sustained: true });
    expect(overloadBasis(costRunFixture.rates)).toEqual({ perSecond: 20, sustained: false });
    expect(overloadBasis([])).toBeUndefined();
  });

  it('marks targets the run has no figure for as not measured, never met', () => {
    const rows = targetsMet({ ...goodRun, idle: undefined, rates: [clean(20)], overload: undefined });
    expect(row(rows, 'overload').verdict).toBe('not measured');
    expect(row(rows, 'idle').verdict).toBe('not measured');
    expect(row(rows, 'at 100 orders/s: POST p99')).toEqual(
      expect.objectContaining({ measured: 'at 100 orders/s not offered', verdict: 'not measured' }),
    );
  });

  it('is printed after the rest of the cost report', () => {
    const text = renderCostRun(goodRun);
    expect(text).toContain('## Against the targets');
    expect(text.indexOf('## Against the targets')).toBeGreaterThan(text.indexOf('CPU-ms per order by process'));
    expect(text).toContain('11 of the 11 targets');
    expect(text).toContain('## Overload');
    expect(text).toMatch(/\| whole-machine CPU ≤ 6 ms per order, .* \| 5\.5 ms at 300 orders\/s \| met \|/);
  });
});

describe('benchTargetsMet', () => {
  const spikeWith = (async: Partial<typeof benchFixture.spike.async>) => ({
    ...benchFixture,
    spike: { ...benchFixture.spike, async: { ...benchFixture.spike.async, ...async } },
  });

  it("judges the spike on Surety's errors, sheds, confirmed orders and POST p99 against the baseline's", () => {
    const rows = benchTargetsMet(benchFixture);
    expect(row(rows, 'spike on equal cores: 0 errors')).toEqual({
      target: 'spike on equal cores: 0 errors and 0 shed, every order confirmed',
      measured: '0 failed (0 shed) of 100 requests; 100 of 100 orders confirmed, 0 pending',
      verdict: 'met',
    });
    expect(row(rows, "spike on equal cores: Surety's POST p99").measured).toBe('80 ms against 900 ms');
    expect(row(rows, "spike on equal cores: Surety's POST p99").verdict).toBe('met');
    const shed = benchTargetsMet(spikeWith({ k6: k6(80, 3) }));
    expect(row(shed, 'spike on equal cores: 0 errors').verdict).toBe('not met');
    const work = benchFixture.spike.async.work;
    const unsettled = benchTargetsMet(spikeWith({ work: { ...work, confirmed: 98, pending: 2 } }));
    expect(row(unsettled, 'spike on equal cores: 0 errors').verdict).toBe('not met');
    const slow = benchTargetsMet(spikeWith({ k6: k6(1000, 0) }));
    expect(row(slow, "spike on equal cores: Surety's POST p99").verdict).toBe('not met');
  });

  it('judges the scale-out as 8 replicas against 1, and not without both steps', () => {
    // 8 replicas settled a median of 30 orders/s, 1 replica 10.
    expect(row(benchTargetsMet(benchFixture), 'scale-out')).toEqual(
      expect.objectContaining({ measured: '3× (30 against 10 orders/s)', verdict: 'not met' }),
    );
    const linear = benchFixture.scaleOut.map((r) => ({
      ...r,
      throughput: { ...r.throughput, median: 10 * r.replicas },
    }));
    expect(row(benchTargetsMet({ ...benchFixture, scaleOut: linear }), 'scale-out').verdict).toBe('met');
    const short = benchFixture.scaleOut.filter((r) => r.replicas <= 2);
    expect(row(benchTargetsMet({ ...benchFixture, scaleOut: short }), 'scale-out').verdict).toBe('not measured');
  });
});
