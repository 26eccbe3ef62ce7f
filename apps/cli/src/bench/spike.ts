import { join } from 'node:path';
import { runK6, type K6Summary } from './k6.js';
import type { BenchStack, ConsumerSettings } from './stack.js';
import { sampleWaitEvents, type WaitEventShare } from './wait-events.js';
import { waitUntilSettled, workOf, type WorkDone } from './work.js';

export interface SpikeSide {
  k6: K6Summary;
  work: WorkDone;
  /** Seconds after k6 finished until no order was pending (async only; null if the wait ran out). */
  settledAfterSeconds: number | null;
  /** What the request path's Postgres backends waited on while k6 ran. */
  requestPathWaits: WaitEventShare[];
}

export interface SpikeResult {
  settings: Record<string, string>;
  async: SpikeSide;
  sync: SpikeSide;
  /**
   * Surety with its consumers stopped while k6 runs and started when it ends: on one machine, the
   * stand-in for consumers on machines of their own. Absent in older reports.
   */
  deferred?: SpikeSide;
}

/**
 * measureSpike runs the same k6 spike (load/spike.js) against Surety's api and then against the
 * synchronous baseline, and counts what became of the orders each accepted or refused.
 */
export async function measureSpike(
  stack: BenchStack,
  options: SpikeOptions,
  say: (line: string) => void,
): Promise<SpikeResult> {
  say('spike: Surety (202 then settle), its consumers held at their minimum replicas on this machine');
  const asyncSide = await runSpike(stack, options, 'async', 'spike-async', say);
  say('spike: synchronous baseline (charge, reserve, notify inside the request)');
  const syncSide = await runSpike(stack, options, 'sync', 'spike-sync', say);
  say('spike: Surety with its consumers stopped until k6 ends (as if they ran on machines of their own)');
  await stack.scaleConsumers(0, options.consumers);
  const deferred = await runSpike(stack, options, 'async', 'spike-deferred', say, options.restoreConsumers);
  return { settings: options.k6Env, async: asyncSide, sync: syncSide, deferred };
}

/**
 * measureAutoscaledSpike runs the same spike against Surety once more, for the autoscaler (which
 * the caller runs meanwhile) to scale on; on one machine the replicas it adds take CPU from the
 * api, so the comparison with the baseline is measured without it.
 */
export function measureAutoscaledSpike(
  stack: BenchStack,
  options: SpikeOptions,
  say: (line: string) => void,
): Promise<SpikeSide> {
  say('autoscaling: the same spike against Surety, the local autoscaler on');
  return runSpike(stack, options, 'async', 'spike-autoscaled', say);
}

interface SpikeOptions {
  root: string;
  outDir: string;
  k6Env: Record<string, string>;
  settleTimeoutMs: number;
  /** What the consumers run with. */
  consumers: ConsumerSettings;
  /** Brings the consumers back to their minimum replicas. */
  restoreConsumers: () => Promise<void>;
}

async function runSpike(
  stack: BenchStack,
  options: SpikeOptions,
  side: 'async' | 'sync',
  customers: string,
  say: (line: string) => void,
  afterLoad?: () => Promise<void>,
): Promise<SpikeSide> {
  const waits = sampleWaitEvents(stack.pool);
  const k6 = await runK6({
    root: options.root,
    script: 'spike',
    env: {
      ...options.k6Env,
      API_URL: side === 'async' ? stack.apiUrl : stack.baselineUrl,
      CUSTOMER_PREFIX: customers,
      READ_SHARE: '0',
    },
    summaryPath: join(options.outDir, `k6-${customers}.json`),
    say,
  });
  const application = side === 'async' ? 'surety-api' : 'surety-baseline';
  const requestPathWaits = (await waits.stop()).filter((w) => w.application === application);
  await afterLoad?.();
  const settledAfterSeconds =
    side === 'async' ? await waitUntilSettled(stack.pool, customers, options.settleTimeoutMs, say) : 0;
  const work = await workOf(stack.pool, customers);
  say(
    `  ${customers}: p99 ${Math.round(k6.p99Ms)} ms, errors ${(k6.errorRate * 100).toFixed(2)} %, ${work.confirmed} confirmed${side === 'async' ? `, settled ${settledAfterSeconds ?? '>timeout'} s after` : ''}`,
  );
  return { k6, work, settledAfterSeconds, requestPathWaits };
}
