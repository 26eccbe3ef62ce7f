import { describe, expect, it } from 'vitest';
import type { CostAtRate } from './cost-at-rate.js';
import { renderCostRun, type CostRunResult } from './cost-run.js';

const rate = (offered: number, machineCpuMs: number): CostAtRate => ({
  offeredPerSecond: offered,
  placed: offered * 10,
  accepted: offered * 10 - 3,
  refusals: { 503: 3 },
  settled: offered * 10 - 3,
  postMs: { p50: 7.4, p99: 40.6 },
  settleMs: { p50: 31, p99: 180 },
  drainSeconds: 0.2,
  perOrder: {
    machineCpuMs,
    cpuMsByProcess: { api: 1.25, relay: 0.5 },
    postgresCpuMs: 4,
    rabbitmqCpuMs: 2,
    loadGeneratorCpuMs: 1,
    transactions: 6.5,
    walRecords: 100,
    walSyncs: 2.25,
    walBytes: 15000,
  },
  residentMiBByProcess: {},
});

describe('renderCostRun', () => {
  it('prints one row per rate from the measured values, and the idle stack', () => {
    const result: CostRunResult = {
      startedAt: '2026-12-02T00:00:00.000Z',
      machine: {
        cores: 2,
        cpuModel: 'x',
        memoryGiB: 1,
        kernel: 'k',
        node: 'v20',
        postgres: '15',
        rabbitmq: '3.10',
        erlang: '25',
        k6: 'none',
        loadAverageAtStart: [0.5, 0.4, 0.3],
      },
      idle: { seconds: 30, machineCores: 0.0412, coresByProcess: { 'api-1': 0.004 } },
      rates: [rate(20, 31.4), rate(100, 12.2)],
    };
    const text = renderCostRun(result);
    expect(text).toContain('0.041 cores busy');
    expect(text).toContain('api-1 0.4 %');
    expect(text).toContain('| 20 | 197/200 | 3 × 503 | 7 / 41 | 31 / 180 | 0.2 | 31.4 | 6.5 | 2.3 | 15000 | 2 | 4 |');
    expect(text).toContain('| 100 | 997/1000 |');
    expect(text).toContain('| 100 | 1.25 | 0.5 |');
  });
});
