import { describe, expect, it } from 'vitest';
import { autoscalingChart, renderSvg, scaleOutThroughputChart } from './charts.js';
import { costDocument } from './cost-doc.js';
import type { K6Summary } from './k6.js';
import { bestThroughput, markdownReport } from './report.js';
import { benchSettings, smokeSizes, type BenchResult } from './runner.js';
import { spreadOf } from './stats.js';

const k6 = (p99Ms: number, failed: number): K6Summary => ({
  script: 'spike',
  requests: 100,
  failed,
  shed: failed,
  errorRate: failed / 100,
  p50Ms: p99Ms / 4,
  p95Ms: p99Ms / 2,
  p99Ms,
  maxMs: p99Ms,
  droppedIterations: 0,
  thresholdsPassed: failed === 0,
});
const work = { recorded: 100, confirmed: 100, cancelled: 0, pending: 0 };
const gateway = { chargeRequests: 100, refusedByOutage: 0, captured: 100, ordersCharged: 100 };

const result: BenchResult = {
  mode: 'smoke',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationSeconds: 125,
  machine: {
    cores: 2,
    cpuModel: 'test cpu',
    memoryGiB: 4,
    kernel: '6',
    node: 'v20',
    postgres: '15',
    rabbitmq: '3.10',
    erlang: '25',
    k6: 'k6 v1.8.1',
    loadAverageAtStart: [1, 1, 1],
  },
  loadAverageAtEnd: [1, 1, 1],
  settings: { ...benchSettings, sizes: smokeSizes },
  ceilings: {
    postgresInsertsPerSecond: spreadOf([5000, 6000]),
    postgresMethod: 'pgbench',
    postgresNotifyingInsertsPerSecond: spreadOf([2000]),
    rabbitmqConfirmedPublishesPerSecond: spreadOf([20000]),
    rabbitmqMethod: 'amqplib',
  },
  scaleOut: [1, 2, 4, 8].map((replicas) => ({
    replicas,
    throughput: spreadOf([10 * Math.min(replicas, 3), 11 * Math.min(replicas, 3)]),
    latencyRate: 5,
    latencyMs: { p50: 80, p95: 120, p99: 150 },
    latencySamples: 40,
    machineBusyShare: 0.9,
  })),
  pipeline: { orders: 1000, commitsPerOrder: 14, rowWritesPerOrder: 44, publishesPerOrder: 5 },
  spike: {
    settings: { SPIKE_RATE: '120' },
    async: {
      k6: k6(80, 0),
      work,
      settledAfterSeconds: 3,
      requestPathWaits: [{ application: 'surety-api', waitingOn: 'IO: WALSync', share: 0.6 }],
    },
    sync: { k6: k6(900, 0), work, settledAfterSeconds: 0, requestPathWaits: [] },
  },
  outage: {
    ratePerSecond: 15,
    outageSeconds: 30,
    loadSeconds: 50,
    recoveredAfterSeconds: 25,
    async: { k6: k6(50, 0), work, gateway },
    sync: { k6: k6(50, 40), work: { ...work, confirmed: 60, cancelled: 40 }, gateway },
  },
  autoscaling: {
    startedAtMs: 0,
    samples: [
      { atMs: 0, consumer: 'payment', queueLength: 90, current: 2, desired: 5, reason: '' },
      { atMs: 5000, consumer: 'payment', queueLength: 0, current: 5, desired: 5, reason: '' },
    ],
  },
  cost: {
    orders: 500,
    perApp: [{ app: 'saga', cpuSecondsPer1000Orders: 20, peakResidentMiB: 170 }],
    servers: { postgresCpuSecondsPer1000Orders: 25, rabbitmqCpuSecondsPer1000Orders: 12 },
  },
};

describe('bench report', () => {
  it('renders every section with its key rows', () => {
    const markdown = markdownReport(result);
    expect(bestThroughput(result)).toBe(30);
    for (const heading of [
      'Raw ceilings',
      'Scale-out',
      'Spike',
      'Gateway down for 30 s',
      'Autoscaling',
      'Cost per 1000',
    ])
      expect(markdown).toContain(heading);
    expect(markdown).toMatch(/\| 8 \| 30 \|/);
    expect(markdown).toContain('insert + NOTIFY');
    expect(markdown).toContain('IO: WALSync 60.0 %');
  });

  it('draws charts with vega-lite and writes the cost model', async () => {
    expect(await renderSvg(scaleOutThroughputChart(result.scaleOut))).toMatch(/^<svg/);
    expect(await renderSvg(autoscalingChart(result.autoscaling.samples, 0))).toContain('replicas');
    expect(costDocument(result, 'reports/bench/x')).toContain('cores per 1000 orders/s');
  });
});
