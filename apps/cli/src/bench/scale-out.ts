import { setTimeout as sleep } from 'node:timers/promises';
import { machineCpuTicks, type CostTracker } from './process-metrics.js';
import type { BenchStack, Consumer, ConsumerSettings } from './stack.js';
import { round, spreadOf, type Spread } from './stats.js';
import { latencySummary, offerSteadily, pendingSince, saturate } from './traffic.js';

export interface ScaleOutRow {
  replicas: number;
  /** Settled orders per second with every consumer kept busy. */
  throughput: Spread;
  /** Open-loop rate used for the latency run (a share of the measured throughput). */
  latencyRate: number;
  latencyMs: { p50: number; p95: number; p99: number };
  latencySamples: number;
  /** Share of the machine's CPU time busy while saturated (every process on it, other users included). */
  machineBusyShare: number;
}

export interface ScaleOutSizes {
  replicaSteps: number[];
  warmUpMs: number;
  windowMs: number;
  windows: number;
  latencyRunMs: number;
  /** The latency run offers this share of the measured throughput, so queues stay short. */
  latencyLoadShare: number;
}

async function drain(stack: BenchStack, since: Date, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await pendingSince(stack.pool, since)) > 0) await sleep(250);
}

/**
 * measureScaleOut runs 1, 2, 4, 8 … replicas of the `scaled` consumer (one of each other) or of
 * every consumer in turn, each with `consumers`' settings. For each it keeps the
 * pipeline saturated and measures settled orders per second over several windows (median and
 * spread), drains, then offers a steady rate below that throughput to measure placed-to-settled
 * latency without a standing queue. The costs tracker is marked around the saturated windows.
 */
export async function measureScaleOut(
  stack: BenchStack,
  sizes: ScaleOutSizes,
  consumers: { scaled: Consumer | 'every consumer'; settings: ConsumerSettings },
  costs: CostTracker,
  say: (line: string) => void,
): Promise<ScaleOutRow[]> {
  const rows: ScaleOutRow[] = [];
  for (const replicas of sizes.replicaSteps) {
    const { scaled, settings } = consumers;
    say(`scale-out: ${replicas} replica(s) of ${scaled === 'every consumer' ? 'each consumer' : scaled}`);
    await stack.scaleConsumers(scaled === 'every consumer' ? replicas : { [scaled]: replicas }, settings);
    const phaseStart = new Date();
    let cpuAtStart = { busy: 0, total: 0 };
    let busyShare = Number.NaN;
    const saturated = await saturate({
      apiUrl: stack.apiUrl,
      pool: stack.pool,
      prefix: `scale${replicas}`,
      backlog: Math.max(40, 30 * replicas),
      warmUpMs: sizes.warmUpMs,
      windowMs: sizes.windowMs,
      windows: sizes.windows,
      onWindow: (rate, i) => say(`  window ${i + 1}/${sizes.windows}: ${round(rate)} orders/s settled`),
      onMeasuring: async (phase) => {
        await costs.mark();
        const cpu = await machineCpuTicks();
        if (phase === 'start') cpuAtStart = cpu;
        else busyShare = (cpu.busy - cpuAtStart.busy) / Math.max(1, cpu.total - cpuAtStart.total);
      },
    });
    costs.addOrders(saturated.settledWhileMeasured);
    await drain(stack, phaseStart, 60_000);
    const throughput = spreadOf(saturated.ordersPerSecond);
    const latencyRate = Math.max(1, Math.round(throughput.median * sizes.latencyLoadShare));
    say(`  latency run at ${latencyRate} orders/s for ${sizes.latencyRunMs / 1000} s`);
    const offered = await offerSteadily({
      apiUrl: stack.apiUrl,
      pool: stack.pool,
      prefix: `latency${replicas}`,
      ratePerSecond: latencyRate,
      durationMs: sizes.latencyRunMs,
      settleTimeoutMs: 30_000,
    });
    const latency = latencySummary(offered.latenciesMs);
    say(
      `  ${replicas} replica(s): ${round(throughput.median)} orders/s (${round(throughput.min)}..${round(throughput.max)}), machine CPU ${Math.round(busyShare * 100)} % busy, settled p50 ${Math.round(latency.p50)} ms, p99 ${Math.round(latency.p99)} ms`,
    );
    rows.push({
      replicas,
      throughput,
      latencyRate,
      latencyMs: latency,
      latencySamples: offered.settled,
      machineBusyShare: busyShare,
    });
  }
  return rows;
}
