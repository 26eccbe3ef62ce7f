import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '@surety/db';
import { postOrder, type OrderAnswer } from '../orders-client.js';
import { percentile } from './stats.js';

const skus = ['TEA-GREEN', 'TEA-BLACK', 'MUG-WHITE', 'KETTLE-1', 'FILTER-50', 'TIN-SMALL'];
let sequence = 0;

/** What one POST /orders got back: its status (0 when no answer came), how long it took, and its Retry-After. */
export type TimedAnswer = Omit<OrderAnswer, 'body'>;

/**
 * timedPost sends the `n`th order (1 to 3 lines) for `customerId` with a fresh Idempotency-Key; it
 * resolves to the HTTP status (0 when no answer came within 30 s), the milliseconds it took and
 * the Retry-After header.
 */
export async function timedPost(apiUrl: string, customerId: string, n: number): Promise<TimedAnswer> {
  const items = Array.from({ length: 1 + (n % 3) }, (_, i) => ({ sku: skus[(n + i) % skus.length]!, quantity: 1 }));
  const { status, ms, retryAfter } = await postOrder(
    apiUrl,
    crypto.randomUUID(),
    JSON.stringify({ customerId, items }),
    30_000,
  );
  return { status, ms, retryAfter };
}

/** placeOne sends one order (1 to 3 lines) for one of 5000 customers of `prefix`; it resolves to the HTTP status, 0 when no answer came. */
export async function placeOne(apiUrl: string, prefix: string): Promise<number> {
  const n = sequence++;
  return (await timedPost(apiUrl, `${prefix}-${n % 5000}`, n)).status;
}

/** completedSince counts orders created since `since` that reached CONFIRMED or CANCELLED. */
export async function completedSince(pool: Pool, since: Date, prefix?: string): Promise<number> {
  const found = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders.orders
      WHERE completed_at IS NOT NULL AND created_at >= $1 AND ($2::text IS NULL OR customer_id LIKE $2 || '-%')`,
    [since, prefix ?? null],
  );
  return found.rows[0]?.n ?? 0;
}

/** pendingSince counts orders created since `since` still PENDING. */
export async function pendingSince(pool: Pool, since: Date, prefix?: string): Promise<number> {
  const found = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders.orders
      WHERE status = 'PENDING' AND created_at >= $1 AND ($2::text IS NULL OR customer_id LIKE $2 || '-%')`,
    [since, prefix ?? null],
  );
  return found.rows[0]?.n ?? 0;
}

/**
 * saturate keeps about `backlog` orders in the pipeline (placed, not yet settled), placing a new
 * one whenever one settles, so every consumer always has work; it measures settled orders per
 * second over each of `windows` windows after a warm-up.
 */
export async function saturate(options: {
  apiUrl: string;
  pool: Pool;
  prefix: string;
  backlog: number;
  warmUpMs: number;
  windowMs: number;
  windows: number;
  onWindow?: (ordersPerSecond: number, index: number) => void;
  /** Called after the warm-up and after the last window: the span the costs are measured over. */
  onMeasuring?: (phase: 'start' | 'end') => Promise<void>;
}): Promise<{ ordersPerSecond: number[]; settledWhileMeasured: number; placed: number; refused: number }> {
  const since = new Date(Date.now() - 1_000);
  let placed = 0;
  let refused = 0;
  let inFlight = 0;
  let completed = await completedSince(options.pool, since, options.prefix);
  let running = true;
  const feeder = (async () => {
    while (running) {
      completed = await completedSince(options.pool, since, options.prefix);
      const deficit = Math.min(50, options.backlog - (placed - refused - completed) - inFlight);
      for (let i = 0; i < deficit; i++) {
        inFlight += 1;
        void placeOne(options.apiUrl, options.prefix).then((status) => {
          inFlight -= 1;
          placed += 1;
          if (status !== 202) refused += 1;
        });
      }
      await sleep(100);
    }
  })();
  await sleep(options.warmUpMs);
  await options.onMeasuring?.('start');
  const firstCount = await completedSince(options.pool, since, options.prefix);
  const ordersPerSecond: number[] = [];
  for (let w = 0; w < options.windows; w++) {
    const startCount = await completedSince(options.pool, since, options.prefix);
    const started = Date.now();
    await sleep(options.windowMs);
    const endCount = await completedSince(options.pool, since, options.prefix);
    ordersPerSecond.push((endCount - startCount) / ((Date.now() - started) / 1000));
    options.onWindow?.(ordersPerSecond.at(-1)!, w);
  }
  const settledWhileMeasured = (await completedSince(options.pool, since, options.prefix)) - firstCount;
  await options.onMeasuring?.('end');
  running = false;
  await feeder;
  while (inFlight > 0) await sleep(50);
  return { ordersPerSecond, settledWhileMeasured, placed, refused };
}

/**
 * offerSteadily places orders at a fixed rate for a while (open loop: arrivals do not wait for
 * answers), then waits until they have settled; it returns placed-to-settled latencies in ms.
 */
export async function offerSteadily(options: {
  apiUrl: string;
  pool: Pool;
  prefix: string;
  ratePerSecond: number;
  durationMs: number;
  settleTimeoutMs: number;
}): Promise<{ placed: number; accepted: number; settled: number; latenciesMs: number[] }> {
  const since = new Date();
  const count = Math.max(1, Math.round((options.ratePerSecond * options.durationMs) / 1000));
  const statuses: Promise<number>[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / options.ratePerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    statuses.push(placeOne(options.apiUrl, options.prefix));
  }
  const accepted = (await Promise.all(statuses)).filter((s) => s === 202).length;
  const deadline = Date.now() + options.settleTimeoutMs;
  while (Date.now() < deadline && (await pendingSince(options.pool, since, options.prefix)) > 0) await sleep(250);
  const rows = await options.pool.query<{ ms: number }>(
    `SELECT extract(epoch FROM completed_at - created_at) * 1000 AS ms FROM orders.orders
      WHERE completed_at IS NOT NULL AND created_at >= $1 AND customer_id LIKE $2 || '-%'`,
    [since, options.prefix],
  );
  return { placed: count, accepted, settled: rows.rows.length, latenciesMs: rows.rows.map((r) => Number(r.ms)) };
}

/** latencySummary gives p50, p95 and p99 of latencies in ms. */
export function latencySummary(latenciesMs: number[]) {
  return { p50: percentile(latenciesMs, 50), p95: percentile(latenciesMs, 95), p99: percentile(latenciesMs, 99) };
}
