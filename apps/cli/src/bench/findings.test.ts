import { describe, expect, it } from 'vitest';
import { findingsOf, type Finding, type FindingTopic } from './findings.js';
import { markdownReport } from './report.js';
import type { BenchResult } from './runner.js';
import type { ScaleOutRow } from './scale-out.js';
import { spreadOf } from './stats.js';
import { benchFixture, k6 } from './test-fixtures.js';

/** Scale-out rows for 1, 2, 4, 8 replicas settling these orders/s with the machine this busy. */
function steps(throughputs: number[], busy: number | number[]): ScaleOutRow[] {
  return throughputs.map((t, i) => ({
    replicas: 2 ** i,
    throughput: spreadOf([t]),
    latencyRate: Math.round(t / 2),
    latencyMs: { p50: 60, p95: 90, p99: 120 },
    latencySamples: 50,
    machineBusyShare: Array.isArray(busy) ? busy[i]! : busy,
  }));
}

function run(changes: Partial<BenchResult>): BenchResult {
  return { ...benchFixture, ...changes };
}

function finding(result: BenchResult, topic: FindingTopic): Finding {
  const found = findingsOf(result).find((f) => f.topic === topic);
  if (!found) throw new Error(`no ${topic} finding`);
  return found;
}

const figure = (f: Finding, name: string) => f.figures.find((g) => g.name === name)?.value;

describe('findingsOf: what bounds throughput', () => {
  it('says CPU when the machine was at least 90 % busy at the best step, with the CPU-bound rate', () => {
    const bound = finding(run({ scaleOut: steps([20, 38, 45, 44], [0.6, 0.85, 0.96, 0.97]) }), 'bound');
    expect(bound.headline).toMatch(/^Throughput is bound by CPU/);
    expect(bound.headline).toContain('best step (4 replicas) settled 45 orders/s with the machine 96 % busy');
    // The machine 96 % busy on 2 cores at 45 orders/s: 1920 / 45 = 42.7 ms per order; 2 cores
    // settle 2000 / 42.7. The cost model's average over every step (57 ms) would claim 35.1 orders/s,
    // below what the step settled.
    expect(figure(bound, 'machine CPU per order at the best step')).toBe(42.7);
    expect(figure(bound, 'CPU-bound rate')).toBe(46.9);
    expect(bound.headline).toContain('at that cost 2 cores settle at most about 46.9 orders/s');
    expect(bound.news).toBe('bad');
  });

  it('does not say CPU when the machine was half idle: the old hard-coded "bottleneck: CPU" would be false', () => {
    // Gateway +50 ms, PREFETCH 1: 8 replicas have at most 8 charges in flight, 160 orders/s.
    const result = run({ scaleOut: steps([19, 38, 76, 150], 0.45) });
    const bound = finding(result, 'bound');
    expect(bound.headline).not.toMatch(/bound by CPU/);
    expect(bound.headline).toContain('not CPU (the machine was 45 % busy at the best step)');
    expect(bound.headline).toContain("the gateway's added 50 ms with few calls in flight");
    expect(figure(bound, 'gateway limit at the best step')).toBe(160);
    const markdown = markdownReport(result);
    expect(markdown).not.toMatch(/bottleneck|two cores/i);
    expect(markdown).toContain('not CPU');
  });

  it('names a server when the pipeline used its whole ceiling', () => {
    const result = run({
      scaleOut: steps([20, 30, 30, 29], 0.7),
      pipeline: { ...benchFixture.pipeline, commitsPerOrder: 190 },
    });
    // 30 orders/s × 190 commits against a median ceiling of 5000 commits/s: 114 %.
    expect(finding(result, 'bound').headline).toMatch(/^Throughput is bound by PostgreSQL commits, not CPU/);
    expect(finding(result, 'servers').news).toBe('bad');
  });

  it('says it is not determined when neither CPU, the servers nor the gateway explain it', () => {
    const bound = finding(run({ scaleOut: steps([5, 6, 6, 5], 0.3) }), 'bound');
    expect(bound.headline).toMatch(/^What bounds throughput is not determined by this run/);
    expect(bound.news).toBe('neutral');
  });

  it('says so when the busy share was not measured', () => {
    const bound = finding(run({ scaleOut: steps([5, 6, 6, 5], Number.NaN) }), 'bound');
    expect(bound.headline).toContain('not known');
    expect(bound.headline).not.toMatch(/bound by CPU/);
  });
});

describe('findingsOf: scale-out', () => {
  it('reports throughput that rose with replicas as good news', () => {
    const scaling = finding(run({ scaleOut: steps([19, 38, 76, 150], 0.45) }), 'scaling');
    expect(scaling.headline).toBe('8 replicas settled 7.89× what 1 did (linear would be 8×); it rose at every step');
    expect(scaling.news).toBe('good');
  });

  it('reports where throughput stopped rising, and a low ratio as bad news', () => {
    const scaling = finding(run({ scaleOut: steps([30, 40, 41, 35], 0.95) }), 'scaling');
    expect(scaling.headline).toContain('8 replicas settled 1.17× what 1 did');
    expect(scaling.headline).toContain('it stopped rising after 2 replicas (40 orders/s)');
    expect(figure(scaling, 'stopped rising after')).toBe(2);
    expect(scaling.news).toBe('bad');
  });

  it('leaves scaling out with a single step', () => {
    const topics = findingsOf(run({ scaleOut: steps([30], 0.5) })).map((f) => f.topic);
    expect(topics).not.toContain('scaling');
    expect(topics).toContain('bound');
  });
});

describe('findingsOf: the spike, the heaviest process and the servers', () => {
  it('calls a spike with no errors and a lower p99 than the baseline good news', () => {
    const spike = finding(benchFixture, 'spike');
    expect(spike.headline).toContain('Surety had no errors and shed nothing');
    expect(spike.headline).toContain("POST p99 was 80 ms, below the baseline's 900 ms");
    expect(spike.news).toBe('good');
  });

  it('calls a spike where Surety shed requests bad news, with the counts', () => {
    const spike = finding(
      run({ spike: { ...benchFixture.spike, async: { ...benchFixture.spike.async, k6: k6(1200, 68) } } }),
      'spike',
    );
    expect(spike.headline).toContain('Surety failed 68 % of its requests (68 shed)');
    expect(spike.headline).toContain("not below the baseline's 900 ms");
    expect(figure(spike, 'Surety shed')).toBe(68);
    expect(spike.news).toBe('bad');
  });

  it('names the heaviest process from the per-process costs', () => {
    const result = run({
      cost: {
        ...benchFixture.cost,
        perApp: [
          { app: 'saga', cpuSecondsPer1000Orders: 4, peakResidentMiB: 80 },
          { app: 'api', cpuSecondsPer1000Orders: 9, peakResidentMiB: 80 },
        ],
      },
    });
    const heaviest = finding(result, 'heaviest');
    expect(heaviest.headline).toMatch(/^The heaviest process per order is api: 9 CPU-ms/);
    expect(figure(heaviest, 'CPU per order, every process and server')).toBe(50);
  });

  it('reports servers far from their ceilings as good news', () => {
    const servers = finding(benchFixture, 'servers');
    // 30 orders/s × 14 commits of 5000/s; × 5 publishes of 20000/s.
    expect(figure(servers, 'share of the Postgres commit ceiling')).toBe(8.4);
    expect(figure(servers, 'share of the RabbitMQ publish ceiling')).toBe(0.8);
    expect(servers.headline).toContain('both far from their ceilings');
    expect(servers.news).toBe('good');
  });

  it('explains the NOTIFY lock only when the request path waited on it', () => {
    expect(finding(benchFixture, 'request-path').headline).not.toContain('NOTIFY');
    const locked = run({
      spike: {
        ...benchFixture.spike,
        async: {
          ...benchFixture.spike.async,
          requestPathWaits: [{ application: 'surety-api', waitingOn: 'Lock: object', share: 0.7 }],
        },
      },
    });
    expect(finding(locked, 'request-path').headline).toContain("PostgreSQL's NOTIFY lock");
  });
});
