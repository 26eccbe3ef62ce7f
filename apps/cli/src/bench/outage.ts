import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runK6, type K6Summary } from './k6.js';
import type { BenchStack } from './stack.js';
import { gatewayEvidence, waitUntilSettled, workOf, type GatewayEvidence, type WorkDone } from './work.js';
import { setGatewayFaults } from '../gateway-faults.js';

export interface OutageSide {
  k6: K6Summary;
  work: WorkDone;
  gateway: GatewayEvidence;
}

export interface OutageResult {
  ratePerSecond: number;
  outageSeconds: number;
  loadSeconds: number;
  /** Seconds after the gateway came back until every accepted order had settled (null: not within the wait). */
  recoveredAfterSeconds: number | null;
  async: OutageSide;
  sync: OutageSide;
}

/**
 * measureOutage sends the same steady load to Surety and to the baseline at once while the gateway
 * stand-in refuses every request for `outageSeconds` (its own fault setting, failureRate 1), then
 * counts, from the orders and the gateway's request log, what each did with the orders.
 */
export async function measureOutage(
  stack: BenchStack,
  options: {
    root: string;
    outDir: string;
    ratePerSecond: number;
    leadSeconds: number;
    outageSeconds: number;
    tailSeconds: number;
    settleTimeoutMs: number;
  },
  say: (line: string) => void,
): Promise<OutageResult> {
  const loadSeconds = options.leadSeconds + options.outageSeconds + options.tailSeconds;
  const run = (side: 'async' | 'sync') =>
    runK6({
      root: options.root,
      script: 'smoke',
      env: {
        API_URL: side === 'async' ? stack.apiUrl : stack.baselineUrl,
        CUSTOMER_PREFIX: `outage-${side}`,
        READ_SHARE: '0',
        RATE: String(options.ratePerSecond),
        DURATION: `${loadSeconds}s`,
        MAX_VUS: '400',
      },
      summaryPath: join(options.outDir, `k6-outage-${side}.json`),
      say,
    });
  say(
    `outage: ${options.ratePerSecond} orders/s to each side for ${loadSeconds} s; the gateway refuses everything from ${options.leadSeconds} s for ${options.outageSeconds} s`,
  );
  const both = Promise.all([run('async'), run('sync')]);
  const fault = (async () => {
    await sleep(options.leadSeconds * 1000);
    await setGatewayFaults(stack.gatewayUrl, { failureRate: 1 });
    say('  gateway down (PUT /admin/faults failureRate=1)');
    await sleep(options.outageSeconds * 1000);
    await setGatewayFaults(stack.gatewayUrl, { failureRate: 0 });
    say('  gateway back (failureRate=0)');
    return Date.now();
  })();
  const [[asyncK6, syncK6], backAt] = await Promise.all([both, fault]);
  const waited = await waitUntilSettled(stack.pool, 'outage-async', options.settleTimeoutMs, say);
  const recoveredAfterSeconds = waited === null ? null : (Date.now() - backAt) / 1000;
  const side = async (k6: K6Summary, prefix: string): Promise<OutageSide> => ({
    k6,
    work: await workOf(stack.pool, prefix),
    gateway: await gatewayEvidence(stack.pool, prefix),
  });
  const result = {
    ratePerSecond: options.ratePerSecond,
    outageSeconds: options.outageSeconds,
    loadSeconds,
    recoveredAfterSeconds,
    async: await side(asyncK6, 'outage-async'),
    sync: await side(syncK6, 'outage-sync'),
  };
  say(
    `  async: ${result.async.k6.failed} of ${result.async.k6.requests} requests failed, ${result.async.work.confirmed} confirmed, all settled ${recoveredAfterSeconds === null ? 'not within the wait' : `${Math.round(recoveredAfterSeconds)} s after the gateway came back`}`,
  );
  say(
    `  sync: ${result.sync.k6.failed} of ${result.sync.k6.requests} requests failed, ${result.sync.work.confirmed} confirmed`,
  );
  return result;
}
