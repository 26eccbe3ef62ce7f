import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '@surety/db';
import {
  machineContextSwitches,
  machineCpuTicks,
  scrapeProcesses,
  serverCpuSeconds,
  appOf,
} from './process-metrics.js';
import type { BenchStack } from './stack.js';
import { percentile } from './stats.js';
import { pendingSince, timedPost, type TimedAnswer } from './traffic.js';

const clockTicksPerSecond = 100;

/** What Postgres counted, cluster-wide for WAL and for the bench database for transactions. */
interface PostgresCounters {
  transactions: number;
  walRecords: number;
  walBytes: number;
  walSyncs: number;
}

async function postgresCounters(pool: Pool): Promise<PostgresCounters> {
  const result = await pool.query<{ transactions: number; wal_records: number; wal_bytes: number; wal_sync: number }>(
    `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database())::bigint AS transactions,
            wal_records::bigint, wal_bytes::bigint, wal_sync::bigint
       FROM pg_stat_wal`,
  );
  const row = result.rows[0]!;
  return {
    transactions: Number(row.transactions),
    walRecords: Number(row.wal_records),
    walBytes: Number(row.wal_bytes),
    walSyncs: Number(row.wal_sync),
  };
}

export interface CostAtRate {
  offeredPerSecond: number;
  /** The rate the load generator reached, from the first send to the last: below the offered one when it fell behind. */
  sentPerSecond: number;
  placed: number;
  accepted: number;
  /** Status → count for the answers that were not 202. */
  refusals: Record<string, number>;
  /** How long the refusals took to answer. */
  refusedMs: { p50: number; p99: number };
  /** Refusals (429 and 503) that did not say when to retry. */
  refusedWithoutRetryAfter: number;
  settled: number;
  postMs: { p50: number; p99: number };
  settleMs: { p50: number; p99: number };
  /** Seconds from the last POST to the last order settled. */
  drainSeconds: number;
  perOrder: {
    /** Busy CPU of the whole machine (every process), minus the load generator's own. */
    machineCpuMs: number;
    /** Context switches of the whole machine (the load generator's included): each sleep and wake-up of a process. */
    contextSwitches: number;
    cpuMsByProcess: Record<string, number>;
    postgresCpuMs: number;
    rabbitmqCpuMs: number;
    loadGeneratorCpuMs: number;
    transactions: number;
    walRecords: number;
    walSyncs: number;
    walBytes: number;
  };
  residentMiBByProcess: Record<string, number>;
}

/** refusedCount is how many of a rate's answers were not 202. */
export const refusedCount = (r: Pick<CostAtRate, 'refusals'>): number =>
  Object.values(r.refusals).reduce((sum, n) => sum + n, 0);

/** describeRefusals names a rate's refusals by status (`3 × 503`, `1 × no answer`), leaving out the statuses in `except`. */
export function describeRefusals(refusals: Record<string, number>, except: readonly string[] = []): string[] {
  return Object.entries(refusals)
    .filter(([status]) => !except.includes(status))
    .map(([status, n]) => `${n} × ${status === '0' ? 'no answer' : status}`);
}

/**
 * measureCostAtRate offers orders at a fixed open-model rate (arrivals do not wait for answers)
 * for a while, waits until they settle, and divides what the machine, each process and Postgres
 * spent over that span by the orders settled.
 */
export async function measureCostAtRate(
  stack: Pick<BenchStack, 'apiUrl' | 'pool' | 'metricsUrls'>,
  options: { ratePerSecond: number; seconds: number; settleTimeoutMs: number; prefix: string },
): Promise<CostAtRate> {
  const { pool } = stack;
  const since = new Date();
  const processesBefore = await scrapeProcesses(stack.metricsUrls());
  const serversBefore = await serverCpuSeconds();
  const postgresBefore = await postgresCounters(pool);
  const machineBefore = await machineCpuTicks();
  const switchesBefore = await machineContextSwitches();
  const selfBefore = process.cpuUsage();

  const count = Math.max(1, Math.round(options.ratePerSecond * options.seconds));
  const answers: Promise<TimedAnswer>[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / options.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    answers.push(timedPost(stack.apiUrl, `${options.prefix}-${i % 5000}`, i));
  }
  const sendSeconds = (performance.now() - started) / 1000;
  const answered = await Promise.all(answers);
  const lastPostAt = Date.now();
  const deadline = Date.now() + options.settleTimeoutMs;
  while (Date.now() < deadline && (await pendingSince(pool, since)) > 0) await sleep(100);
  const drainSeconds = (Date.now() - lastPostAt) / 1000;

  const selfAfter = process.cpuUsage(selfBefore);
  const machineAfter = await machineCpuTicks();
  const switchesAfter = await machineContextSwitches();
  const postgresAfter = await postgresCounters(pool);
  const serversAfter = await serverCpuSeconds();
  const processesAfter = await scrapeProcesses(stack.metricsUrls());

  const settledRows = await pool.query<{ ms: number }>(
    `SELECT extract(epoch FROM completed_at - created_at) * 1000 AS ms FROM orders.orders
      WHERE completed_at IS NOT NULL AND created_at >= $1`,
    [since],
  );
  const settleLatencies = settledRows.rows.map((r) => Number(r.ms));
  const orders = Math.max(1, settleLatencies.length);
  const accepted = answered.filter((a) => a.status === 202);
  const refused = answered.filter((a) => a.status !== 202);
  const refusals: Record<string, number> = {};
  for (const a of refused) refusals[a.status] = (refusals[a.status] ?? 0) + 1;
  const refusedMs = refused.map((a) => a.ms);

  const loadGeneratorCpuMs = (selfAfter.user + selfAfter.system) / 1000;
  const machineBusyMs = ((machineAfter.busy - machineBefore.busy) / clockTicksPerSecond) * 1000;
  const cpuMsByProcess: Record<string, number> = {};
  const residentMiBByProcess: Record<string, number> = {};
  for (const [id, after] of processesAfter) {
    const before = processesBefore.get(id)?.cpuSeconds ?? 0;
    const app = appOf(id);
    cpuMsByProcess[app] = (cpuMsByProcess[app] ?? 0) + ((after.cpuSeconds - before) * 1000) / orders;
    residentMiBByProcess[id] = after.residentBytes / 2 ** 20;
  }
  const per = (value: number) => value / orders;
  return {
    offeredPerSecond: options.ratePerSecond,
    sentPerSecond: count > 1 && sendSeconds > 0 ? (count - 1) / sendSeconds : options.ratePerSecond,
    placed: count,
    accepted: accepted.length,
    refusals,
    refusedMs: { p50: percentile(refusedMs, 50), p99: percentile(refusedMs, 99) },
    refusedWithoutRetryAfter: refused.filter((a) => (a.status === 429 || a.status === 503) && !a.retryAfter).length,
    settled: settleLatencies.length,
    postMs: {
      p50: percentile(
        accepted.map((a) => a.ms),
        50,
      ),
      p99: percentile(
        accepted.map((a) => a.ms),
        99,
      ),
    },
    settleMs: { p50: percentile(settleLatencies, 50), p99: percentile(settleLatencies, 99) },
    drainSeconds,
    perOrder: {
      machineCpuMs: per(machineBusyMs - loadGeneratorCpuMs),
      contextSwitches: per(switchesAfter - switchesBefore),
      cpuMsByProcess,
      postgresCpuMs: per((serversAfter.postgres - serversBefore.postgres) * 1000),
      rabbitmqCpuMs: per((serversAfter.rabbitmq - serversBefore.rabbitmq) * 1000),
      loadGeneratorCpuMs: per(loadGeneratorCpuMs),
      transactions: per(postgresAfter.transactions - postgresBefore.transactions),
      walRecords: per(postgresAfter.walRecords - postgresBefore.walRecords),
      walSyncs: per(postgresAfter.walSyncs - postgresBefore.walSyncs),
      walBytes: per(postgresAfter.walBytes - postgresBefore.walBytes),
    },
    residentMiBByProcess,
  };
}
