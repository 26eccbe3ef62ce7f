import { join } from 'node:path';
import { runK6, type K6Summary } from './k6.js';
import type { BenchStack } from './stack.js';
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
}

/**
 * measureSpike runs the same k6 spike (load/spike.js) against Surety's api and then against the
 * synchronous baseline, and counts what became of the orders each accepted or refused.
 */
export async function measureSpike(
  stack: BenchStack,
  options: { root: string; outDir: string; k6Env: Record<string, string>; settleTimeoutMs: number },
  say: (line: string) => void,
): Promise<SpikeResult> {
  const run = async (side: 'async' | 'sync') => {
    const waits = sampleWaitEvents(stack.pool);
    const k6 = await runK6({
      root: options.root,
      script: 'spike',
      env: {
        ...options.k6Env,
        API_URL: side === 'async' ? stack.apiUrl : stack.baselineUrl,
        CUSTOMER_PREFIX: `spike-${side}`,
        READ_SHARE: '0',
      },
      summaryPath: join(options.outDir, `k6-spike-${side}.json`),
      say,
    });
    const application = side === 'async' ? 'surety-api' : 'surety-baseline';
    return { k6, requestPathWaits: (await waits.stop()).filter((w) => w.application === application) };
  };
  say('spike: Surety (202 then settle), with the local autoscaler');
  const { k6: asyncK6, requestPathWaits: asyncWaits } = await run('async');
  const settledAfterSeconds = await waitUntilSettled(stack.pool, 'spike-async', options.settleTimeoutMs, say);
  const asyncSide = {
    k6: asyncK6,
    work: await workOf(stack.pool, 'spike-async'),
    settledAfterSeconds,
    requestPathWaits: asyncWaits,
  };
  say(
    `  async: p99 ${Math.round(asyncK6.p99Ms)} ms, errors ${(asyncK6.errorRate * 100).toFixed(2)} %, ${asyncSide.work.confirmed} confirmed, settled ${settledAfterSeconds ?? '>timeout'} s after`,
  );
  say('spike: synchronous baseline (charge, reserve, notify inside the request)');
  const { k6: syncK6, requestPathWaits: syncWaits } = await run('sync');
  const syncSide = {
    k6: syncK6,
    work: await workOf(stack.pool, 'spike-sync'),
    settledAfterSeconds: 0,
    requestPathWaits: syncWaits,
  };
  say(
    `  sync: p99 ${Math.round(syncK6.p99Ms)} ms, errors ${(syncK6.errorRate * 100).toFixed(2)} %, ${syncSide.work.confirmed} confirmed`,
  );
  return { settings: options.k6Env, async: asyncSide, sync: syncSide };
}
