import type { CostAtRate } from './cost-at-rate.js';
import type { CostRunResult } from './cost-run.js';
import type { K6Summary } from './k6.js';
import { benchSettings, smokeSizes, type BenchResult } from './runner.js';
import { spreadOf } from './stats.js';

/*
 * Fixtures for the bench's unit tests: a whole BenchResult and a cost run made of small, round numbers, for a test
 * to change the parts it is about.
 */

/** A k6 summary of 100 POSTs, `failed` of them shed. */
export const k6 = (p99Ms: number, failed: number): K6Summary => ({
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

/** A small bench run: 2 cores, 1-8 replicas that stop rising at 3, the machine 90 % busy. */
export const benchFixture: BenchResult = {
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

/** One rate of a cost run: 10 s offered, 3 refused with 503, everything accepted settled. */
export const costAtRate = (offered: number, machineCpuMs: number): CostAtRate => ({
  offeredPerSecond: offered,
  sentPerSecond: offered,
  placed: offered * 10,
  accepted: offered * 10 - 3,
  refusals: { 503: 3 },
  refusedMs: { p50: 1.5, p99: 4 },
  refusedWithoutRetryAfter: 0,
  settled: offered * 10 - 3,
  postMs: { p50: 7.4, p99: 40.6 },
  settleMs: { p50: 31, p99: 180 },
  drainSeconds: 0.2,
  perOrder: {
    machineCpuMs,
    contextSwitches: 120,
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

/** A cost run at 20 and 100 orders/s after 30 s idle. */
export const costRunFixture: CostRunResult = {
  startedAt: '2026-12-02T00:00:00.000Z',
  machine: { ...benchFixture.machine, loadAverageAtStart: [0.5, 0.4, 0.3] },
  idle: { seconds: 30, machineCores: 0.0612, stackCores: 0.0412, coresByProcess: { 'api-1': 0.004 } },
  rates: [costAtRate(20, 31.4), costAtRate(100, 12.2)],
};
