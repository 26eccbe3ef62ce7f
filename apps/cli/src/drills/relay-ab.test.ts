import { describe, expect, it } from 'vitest';
import type { CostAtRate } from '../bench/cost-at-rate.js';
import { relayAbFindings, renderRelayAb, type RelayRun } from './relay-ab.js';

function run(mode: RelayRun['mode'], publishedP50: number, transactions: number, postgresCpuMs: number): RelayRun {
  const cost = {
    offeredPerSecond: 100,
    sentPerSecond: 100,
    placed: 100,
    accepted: 100,
    refusals: {},
    refusedMs: { p50: Number.NaN, p99: Number.NaN },
    refusedWithoutRetryAfter: 0,
    settled: 100,
    postMs: { p50: 5, p99: 20 },
    settleMs: { p50: 40, p99: 90 },
    drainSeconds: 0.1,
    perOrder: {
      machineCpuMs: 20,
      contextSwitches: 100,
      cpuMsByProcess: { relay: 1 },
      postgresCpuMs,
      rabbitmqCpuMs: 2,
      loadGeneratorCpuMs: 1,
      transactions,
      walRecords: 50,
      walSyncs: 3,
      walBytes: 15_000,
    },
    residentMiBByProcess: {},
  } satisfies CostAtRate;
  return {
    mode,
    cost,
    commitToPublishedMs: { p50: publishedP50, p99: publishedP50 * 4 },
    publishedMsByType: {},
    consumedMsByHop: {},
    relayCpuMs: 1,
    unpublished: 0,
  };
}

describe('relayAbFindings', () => {
  it('chooses from the numbers: the faster, lighter relay wins, whichever it is', () => {
    const cdcWins = relayAbFindings([run('polling', 10, 8, 4)], [run('cdc', 4, 6, 3)]);
    expect(cdcWins.at(-2)).toMatch(
      /CDC is the right choice for a lower commit → published latency and a lighter database load/,
    );
    expect(cdcWins.at(-1)).toMatch(/Polling won nothing/);

    const pollingWins = relayAbFindings([run('polling', 4, 6, 3)], [run('cdc', 10, 8, 4)]);
    expect(pollingWins.at(-2)).toMatch(/CDC bought nothing/);
    expect(pollingWins.at(-1)).toMatch(
      /Polling is the right choice for a lower commit → published latency and a lighter database load/,
    );
  });

  it('compares medians over rounds, so one odd run does not decide', () => {
    const findings = relayAbFindings(
      [run('polling', 10, 8, 4), run('polling', 11, 8, 4), run('polling', 12, 8, 4)],
      [run('cdc', 50, 8, 4), run('cdc', 5, 8, 4), run('cdc', 6, 8, 4)],
    );
    expect(findings[0]).toMatch(/CDC 6 ms, polling 11 ms, CDC lower/);
  });

  it('calls differences within 5 % a tie, and a split database verdict no win', () => {
    const findings = relayAbFindings([run('polling', 10, 8, 4)], [run('cdc', 9.8, 6, 5)]);
    expect(findings[0]).toMatch(/within 5 %/);
    expect(findings.at(-2)).toMatch(/CDC bought nothing/);
    expect(findings.at(-1)).toMatch(/Polling won nothing/);
  });
});

describe('renderRelayAb', () => {
  it('prints one row per run, and one row per event and per hop with a column per run', () => {
    const polling = { ...run('polling', 10, 8, 4), publishedMsByType: { 'order.placed': { p50: 10, p99: 40 } } };
    const cdc = { ...run('cdc', 4, 6, 3), publishedMsByType: { 'order.placed': { p50: 4, p99: 30 } } };
    const text = renderRelayAb({
      startedAt: '2026-12-06T00:00:00.000Z',
      ratePerSecond: 100,
      seconds: 20,
      runs: [polling, cdc],
      passed: true,
      findings: ['a finding'],
    });
    expect(text).toContain('| order.placed | 10 / 40 | 4 / 30 |');
    expect(text).toContain(
      '| event | polling: commit → published p50 / p99 ms | cdc: commit → published p50 / p99 ms |',
    );
    expect(text).toMatch(/^# relay-ab: polling against CDC, PASS/);
    expect(text).toContain('- a finding');
  });
});
