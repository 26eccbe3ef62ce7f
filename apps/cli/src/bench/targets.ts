import { describeRefusals, refusedCount, type CostAtRate } from './cost-at-rate.js';
import type { CostPhases } from './cost-run.js';
import type { BenchResult } from './runner.js';
import { appOf } from './process-metrics.js';
import { round } from './stats.js';

/** One target of issue 12's "Done when" against what a cost run measured. */
export interface TargetRow {
  target: string;
  measured: string;
  verdict: 'met' | 'not met' | 'not measured';
}

/** The targets a cost run can judge (issue 12, "Done when"). */
export const costTargets = {
  sustainedPerSecond: 300,
  /** A backlog that drains within this, once the load stops, stayed bounded. */
  sustainedDrainSeconds: 2,
  machineCpuMsPerOrder: 6,
  postgresTransactionsPerOrder: 6,
  idleCores: 0.05,
  residentMiBPerReplica: 90,
  latencyRatePerSecond: 100,
  postP99Ms: 25,
  settleP50Ms: 40,
  settleP99Ms: 200,
  overloadFactor: 3,
  /** Under overload, accepted orders answer within this (p99), and so do the refusals. */
  overloadAnswerP99Ms: 100,
};

/** Processes that are not Surety's: the gateway stand-in is the test's, the baseline its comparison. */
const notSurety = new Set(['gateway', 'baseline']);

const verdict = (met: boolean): TargetRow['verdict'] => (met ? 'met' : 'not met');
const notMeasured = (target: string, why: string): TargetRow => ({ target, measured: why, verdict: 'not measured' });

/**
 * sustained: every order offered was accepted and settled, and the backlog left when the load
 * stopped drained within costTargets.sustainedDrainSeconds (it stayed bounded).
 */
const sustained = (r: CostAtRate) =>
  r.placed > 0 &&
  r.accepted === r.placed &&
  r.settled >= r.placed &&
  r.drainSeconds <= costTargets.sustainedDrainSeconds;

/** maxSustained is the highest rate offered that was sustained, if any was. */
export function maxSustained(rates: readonly CostAtRate[]): CostAtRate | undefined {
  return rates.filter(sustained).sort((a, b) => b.offeredPerSecond - a.offeredPerSecond)[0];
}

function atTheMaxRate(run: CostPhases): TargetRow[] {
  const t = costTargets;
  const rateTarget = `max sustained rate ≥ ${t.sustainedPerSecond} orders/s (every order accepted and settled, the backlog drained within ${t.sustainedDrainSeconds} s)`;
  const cpuTarget = `whole-machine CPU ≤ ${t.machineCpuMsPerOrder} ms per order, at the max sustained rate`;
  const txTarget = `Postgres ≤ ${t.postgresTransactionsPerOrder} transactions per order, at that rate`;
  const best = maxSustained(run.rates);
  if (!best) {
    const lowest = Math.min(...run.rates.map((r) => r.offeredPerSecond));
    return [
      run.rates.length > 0
        ? { target: rateTarget, measured: `below ${lowest} orders/s, the lowest offered`, verdict: 'not met' }
        : notMeasured(rateTarget, 'no rate offered'),
      ...[cpuTarget, txTarget].map((target) => notMeasured(target, 'no rate was sustained')),
    ];
  }
  const faster = run.rates.filter((r) => r.offeredPerSecond > best.offeredPerSecond).map((r) => r.offeredPerSecond);
  const at = `at ${best.offeredPerSecond} orders/s`;
  return [
    {
      target: rateTarget,
      measured: `${best.offeredPerSecond} orders/s${faster.length > 0 ? ` (not ${Math.min(...faster)})` : ' (the highest offered)'}`,
      verdict: verdict(best.offeredPerSecond >= t.sustainedPerSecond),
    },
    {
      target: cpuTarget,
      measured: `${round(best.perOrder.machineCpuMs, 2)} ms ${at}`,
      verdict: verdict(best.perOrder.machineCpuMs <= t.machineCpuMsPerOrder),
    },
    {
      target: txTarget,
      measured: `${round(best.perOrder.transactions, 2)} ${at}`,
      verdict: verdict(best.perOrder.transactions <= t.postgresTransactionsPerOrder),
    },
  ];
}

function idle(run: CostPhases): TargetRow {
  const target = `idle stack ≤ ${costTargets.idleCores} cores`;
  if (!run.idle) return notMeasured(target, 'idle not measured');
  return {
    target,
    measured: `${round(run.idle.stackCores, 3)} cores over ${run.idle.seconds} s (Surety's processes, PostgreSQL and RabbitMQ)`,
    verdict: verdict(run.idle.stackCores <= costTargets.idleCores),
  };
}

function resident(run: CostPhases): TargetRow {
  const target = `RSS ≤ ${costTargets.residentMiBPerReplica} MiB per replica (Surety's processes)`;
  let largest: { id: string; mib: number } | undefined;
  for (const r of run.rates)
    for (const [id, mib] of Object.entries(r.residentMiBByProcess))
      if (!notSurety.has(appOf(id)) && (!largest || mib > largest.mib)) largest = { id, mib };
  if (!largest) return notMeasured(target, 'no process reported its memory');
  return {
    target,
    measured: `largest ${Math.round(largest.mib)} MiB (${largest.id})`,
    verdict: verdict(largest.mib <= costTargets.residentMiBPerReplica),
  };
}

function atTheLatencyRate(run: CostPhases): TargetRow[] {
  const t = costTargets;
  const at = `at ${t.latencyRatePerSecond} orders/s`;
  const targets = {
    post: `${at}: POST p99 ≤ ${t.postP99Ms} ms`,
    settleP50: `${at}: placed → settled p50 ≤ ${t.settleP50Ms} ms`,
    settleP99: `${at}: placed → settled p99 ≤ ${t.settleP99Ms} ms`,
    refusals: `${at}: no refusals`,
  };
  const r = run.rates.find((rate) => rate.offeredPerSecond === t.latencyRatePerSecond);
  if (!r) return Object.values(targets).map((target) => notMeasured(target, `${at} not offered`));
  const refused = refusedCount(r);
  return [
    { target: targets.post, measured: `${round(r.postMs.p99)} ms`, verdict: verdict(r.postMs.p99 <= t.postP99Ms) },
    {
      target: targets.settleP50,
      measured: `${round(r.settleMs.p50)} ms`,
      verdict: verdict(r.settleMs.p50 <= t.settleP50Ms),
    },
    {
      target: targets.settleP99,
      measured: `${round(r.settleMs.p99)} ms`,
      verdict: verdict(r.settleMs.p99 <= t.settleP99Ms),
    },
    { target: targets.refusals, measured: `${refused} of ${r.placed} refused`, verdict: verdict(refused === 0) },
  ];
}

function underOverload(run: CostPhases): TargetRow[] {
  const t = costTargets;
  const at = `overload at ${t.overloadFactor}× the max sustained rate`;
  const targets = {
    accepted: `${at}: accepted orders answered with p99 ≤ ${t.overloadAnswerP99Ms} ms`,
    shed: `${at}: the excess refused at once (503 with Retry-After, p99 ≤ ${t.overloadAnswerP99Ms} ms), every accepted order settled`,
  };
  const o = run.overload;
  if (!o) return Object.values(targets).map((target) => notMeasured(target, 'no overload offered'));
  // A smaller factor, or a generator that fell behind, offered less than the target asks.
  const offered = o.result.sentPerSecond;
  if (o.basisSustained && offered < t.overloadFactor * o.basisPerSecond * 0.95)
    return Object.values(targets).map((target) =>
      notMeasured(target, `${round(offered)} orders/s sent, under ${t.overloadFactor}× ${o.basisPerSecond}`),
    );
  const r = o.result;
  const basis = `${round(offered)} orders/s sent (${round(offered / o.basisPerSecond, 2)}× ${o.basisPerSecond}${o.basisSustained ? '' : ', itself not sustained'})`;
  const refused = refusedCount(r);
  const overloaded = r.refusals['503'] ?? 0;
  const shedAtOnce =
    overloaded === refused &&
    r.refusedWithoutRetryAfter === 0 &&
    (refused === 0 || r.refusedMs.p99 <= t.overloadAnswerP99Ms) &&
    r.settled >= r.accepted;
  return [
    {
      target: targets.accepted,
      measured: `p99 ${round(r.postMs.p99)} ms for ${r.accepted} accepted of ${r.placed}, at ${basis}`,
      verdict: verdict(r.accepted > 0 && r.postMs.p99 <= t.overloadAnswerP99Ms),
    },
    {
      target: targets.shed,
      measured: [
        `${overloaded} × 503${refused > 0 ? ` answered in p99 ${round(r.refusedMs.p99)} ms` : ''}`,
        ...describeRefusals(r.refusals, ['503']),
        ...(r.refusedWithoutRetryAfter > 0 ? [`${r.refusedWithoutRetryAfter} without Retry-After`] : []),
        `${r.settled} of ${r.accepted} accepted settled`,
      ].join(', '),
      verdict: verdict(shedAtOnce),
    },
  ];
}

/**
 * targetsMet compares a cost run with the targets of issue 12's "Done when" that it can judge:
 * the max sustained rate, CPU and Postgres transactions per order at that rate, the idle
 * stack, memory per replica, latency and refusals at 100 orders/s, and the answers under overload.
 * A target the run has no figure for (no idle measurement, 100 orders/s not offered, no overload)
 * is "not measured", never met.
 */
export function targetsMet(run: CostPhases): TargetRow[] {
  return [...atTheMaxRate(run), idle(run), resident(run), ...atTheLatencyRate(run), ...underOverload(run)];
}

export const benchTargets = {
  scaleOutReplicas: 8,
  scaleOutRatio: 6,
};

/**
 * benchTargetsMet judges the targets that only `make bench`'s phases measure: the spike on equal
 * cores (no error, nothing shed, every order confirmed, Surety's POST p99 below the baseline's)
 * and the scale-out (8 replicas at least 6 times what 1 settled).
 */
export function benchTargetsMet(result: Pick<BenchResult, 'spike' | 'scaleOut'>): TargetRow[] {
  const { async: surety, sync: baseline } = result.spike;
  const k6 = surety.k6;
  const work = surety.work;
  const one = result.scaleOut.find((r) => r.replicas === 1);
  const many = result.scaleOut.find((r) => r.replicas === benchTargets.scaleOutReplicas);
  const scaleTarget = `scale-out with the gateway at +50 ms: ${benchTargets.scaleOutReplicas} replicas ≥ ${benchTargets.scaleOutRatio}× 1 replica`;
  const scaleOut: TargetRow =
    one && many
      ? {
          target: scaleTarget,
          measured: `${round(many.throughput.median / one.throughput.median, 2)}× (${round(many.throughput.median)} against ${round(one.throughput.median)} orders/s)`,
          verdict: verdict(many.throughput.median >= benchTargets.scaleOutRatio * one.throughput.median),
        }
      : notMeasured(scaleTarget, `no step of 1 and ${benchTargets.scaleOutReplicas} replicas`);
  return [
    {
      target: 'spike on equal cores: 0 errors and 0 shed, every order confirmed',
      measured: `${k6.failed} failed (${k6.shed} shed) of ${k6.requests} requests; ${work.confirmed} of ${work.recorded} orders confirmed, ${work.pending} pending`,
      verdict: verdict(
        k6.failed === 0 && k6.shed === 0 && work.pending === 0 && work.confirmed === work.recorded && work.recorded > 0,
      ),
    },
    {
      target: "spike on equal cores: Surety's POST p99 below the baseline's",
      measured: `${Math.round(k6.p99Ms)} ms against ${Math.round(baseline.k6.p99Ms)} ms`,
      verdict: verdict(k6.p99Ms < baseline.k6.p99Ms),
    },
    scaleOut,
  ];
}

/** renderTargets prints the rows as a Markdown table; a cost run's leave the spike and the scale-out to `make bench`. */
export function renderTargets(rows: TargetRow[], judgedBy: 'cost run' | 'bench' = 'cost run'): string[] {
  const met = rows.filter((r) => r.verdict === 'met').length;
  const scope =
    judgedBy === 'bench'
      ? `${met} of the ${rows.length} targets of issue 12's "Done when" are met. The max sustained rate is the highest rate of the cost phases that was sustained.`
      : `${met} of the ${rows.length} targets of issue 12's "Done when" that a cost run can judge are met; the others (spike, scale-out) need \`make bench\`'s phases. The max sustained rate is the highest rate offered here that was sustained: offer more rates (\`--rates\`) to narrow it.`;
  return [
    '## Against the targets',
    '',
    scope,
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.target} | ${r.measured} | ${r.verdict} |`),
    '',
  ];
}
