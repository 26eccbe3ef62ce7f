import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '@surety/db';
import { describeRefusals, measureCostAtRate, type CostAtRate } from './cost-at-rate.js';
import { machineFacts, type MachineFacts } from './machine.js';
import { monotonicMicros, readProfiles, renderProfiles, type ClockWindow, type ProfileSummary } from './profiles.js';
import { machineCpuTicks, scrapeProcesses, serverCpuSeconds } from './process-metrics.js';
import { createBenchStack, type BenchStack } from './stack.js';
import { round } from './stats.js';
import { maxSustained, renderTargets, targetsMet } from './targets.js';
import { DEFAULT_BACKGROUND_NICE, type ConsumerPlacement } from '../apps.js';
import { setGatewayFaults } from '../gateway-faults.js';
import type { ServerEndpoints } from '../isolated-resources.js';

export interface IdleCost {
  seconds: number;
  /**
   * How long the VACUUM (ANALYZE) of the bench database took before measuring: it does the upkeep the
   * earlier load left, which autovacuum would otherwise start inside the window; absent in older reports.
   */
  upkeepSeconds?: number;
  /** Cores kept busy on the whole machine with nothing flowing: whatever else runs on it included. */
  machineCores: number;
  /** Cores kept busy by the stack: Surety's processes, PostgreSQL and RabbitMQ. */
  stackCores: number;
  /** Cores kept busy by each app's processes, and by each server (`postgres`, `rabbitmq`). */
  coresByProcess: Record<string, number>;
}

// The synchronous baseline runs beside the stack for the spike's comparison; it is not part of it.
const notTheStack = new Set(['baseline']);

/** What the cost phases offer: the idle stack, open-model rates in turn, then an overload. */
export interface CostPhasesSizes {
  rates: number[];
  seconds: number;
  /** 0: no idle measurement. */
  idleSeconds: number;
  /** After the rates, offer this many times the max sustained rate (0: no overload). */
  overloadFactor: number;
  /** Before the measured rates, offer the first one for this long, measuring nothing (0: none). */
  warmUpSeconds?: number;
}

/** What the cost phases measured. */
export interface CostPhases {
  idle: IdleCost | undefined;
  rates: CostAtRate[];
  /** The load offered before the rates and not measured; absent when there was none, and in older reports. */
  warmUp?: { perSecond: number; seconds: number };
  /** The rate offered past what the stack sustains, and what it did with the excess; absent in older reports. */
  overload?: Overload;
}

export interface CostRunResult extends CostPhases {
  startedAt: string;
  /** Where the consumers ran; reports from before it was a choice ran them apart. */
  placement?: ConsumerPlacement;
  /** The niceness of the relay and the consumers; reports from before it was a choice ran them at the default. */
  backgroundNice?: number;
  machine: MachineFacts;
  /** Where each process spent its CPU over the whole run, when profiled. */
  profiles?: ProfileSummary[];
}

export interface Overload {
  /** How many times the basis rate was offered. */
  factor: number;
  /** The max sustained rate of this run, or, when no rate was sustained, the lowest offered (above it). */
  basisPerSecond: number;
  basisSustained: boolean;
  result: CostAtRate;
}

const basisName = (sustained: boolean) =>
  sustained ? 'the max sustained rate' : 'the lowest rate offered, which was not sustained';

/**
 * overloadBasis is the rate an overload multiplies: the highest rate offered that was sustained;
 * when none was, the lowest offered, which is already more than the stack sustains.
 */
export function overloadBasis(rates: readonly CostAtRate[]): { perSecond: number; sustained: boolean } | undefined {
  const best = maxSustained(rates);
  if (best) return { perSecond: best.offeredPerSecond, sustained: true };
  if (rates.length === 0) return undefined;
  return { perSecond: Math.min(...rates.map((r) => r.offeredPerSecond)), sustained: false };
}

/**
 * vacuumEarlierLoad does now the upkeep that earlier phases' writes owe (dead rows, statistics), and
 * answers how long it took in seconds. Left to autovacuum, it starts within a minute of the load's end,
 * inside the idle window, and is counted as what the stack burns with nothing to do (Postgres at 2.7-3 %
 * of a core after 30 s at 250 orders/s, against 0.9-1 % with this first). A manual VACUUM also takes over
 * any table an autovacuum worker is on (the worker yields to it).
 */
async function vacuumEarlierLoad(pool: Pool): Promise<number> {
  const start = Date.now();
  await pool.query('VACUUM (ANALYZE)');
  return (Date.now() - start) / 1000;
}

/** measureIdle is what the stack burns with nothing to do: the whole machine, and each process. */
async function measureIdle(urls: () => Map<string, string>, seconds: number): Promise<IdleCost> {
  const before = await scrapeProcesses(urls());
  const serversBefore = await serverCpuSeconds();
  const machineBefore = await machineCpuTicks();
  await sleep(seconds * 1000);
  const machineAfter = await machineCpuTicks();
  const serversAfter = await serverCpuSeconds();
  const after = await scrapeProcesses(urls());
  const coresByProcess: Record<string, number> = {};
  for (const [id, sample] of after) {
    coresByProcess[id] = (sample.cpuSeconds - (before.get(id)?.cpuSeconds ?? 0)) / seconds;
  }
  coresByProcess.postgres = (serversAfter.postgres - serversBefore.postgres) / seconds;
  coresByProcess.rabbitmq = (serversAfter.rabbitmq - serversBefore.rabbitmq) / seconds;
  const stackCores = Object.entries(coresByProcess)
    .filter(([id]) => !notTheStack.has(id))
    .reduce((sum, [, cores]) => sum + cores, 0);
  const busyShare = (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total);
  return { seconds, machineCores: busyShare * availableParallelism(), stackCores, coresByProcess };
}

/**
 * measureCostPhases measures a running stack (its gateway at 0 ms added latency) idle, then at each
 * open-model rate in turn, then overloaded; `ratesStart` is called as the first rate begins.
 */
export async function measureCostPhases(
  stack: Pick<BenchStack, 'apiUrl' | 'pool' | 'metricsUrls'>,
  sizes: CostPhasesSizes,
  say: (line: string) => void,
  ratesStart: () => void = () => undefined,
): Promise<CostPhases> {
  let idle: IdleCost | undefined;
  if (sizes.idleSeconds > 0) {
    // Let start-up work (compilation, first connections) finish before measuring nothing.
    await sleep(5_000);
    say(`idle: ${sizes.idleSeconds} s with nothing flowing`);
    const upkeepSeconds = await vacuumEarlierLoad(stack.pool);
    say(`  the earlier load's upkeep done first (VACUUM ANALYZE, ${round(upkeepSeconds)} s)`);
    idle = { ...(await measureIdle(() => stack.metricsUrls(), sizes.idleSeconds)), upkeepSeconds };
    say(`  ${round(idle.stackCores, 3)} cores busy in the stack, ${round(idle.machineCores, 3)} on the machine`);
  }
  const offer = (ratePerSecond: number, prefix: string, seconds = sizes.seconds) =>
    measureCostAtRate(stack, { ratePerSecond, seconds, settleTimeoutMs: 120_000, prefix });
  const first = sizes.rates[0];
  const warmUpSeconds = sizes.warmUpSeconds ?? 0;
  let warmUp: CostPhases['warmUp'];
  if (first !== undefined && warmUpSeconds > 0) {
    // A stack that has just started compiles its code and opens connections under the first
    // orders: that is start-up, not what an order costs at a rate.
    warmUp = { perSecond: first, seconds: warmUpSeconds };
    say(`warm-up: ${first} orders/s for ${warmUp.seconds} s, not measured`);
    await offer(first, 'warmup', warmUp.seconds);
  }
  const rates: CostAtRate[] = [];
  ratesStart();
  for (const rate of sizes.rates) {
    say(`cost: ${rate} orders/s for ${sizes.seconds} s`);
    const result = await offer(rate, `cost${rate}`);
    say(
      `  ${result.settled}/${result.placed} settled, ${round(result.perOrder.machineCpuMs)} CPU-ms and ${round(result.perOrder.transactions)} transactions per order, placed → settled p50 ${Math.round(result.settleMs.p50)} ms`,
    );
    rates.push(result);
  }
  const basis = sizes.overloadFactor > 0 ? overloadBasis(rates) : undefined;
  if (!basis) return { idle, rates, ...(warmUp && { warmUp }) };
  const rate = Math.round(basis.perSecond * sizes.overloadFactor);
  say(`overload: ${rate} orders/s for ${sizes.seconds} s, ${sizes.overloadFactor}× ${basisName(basis.sustained)}`);
  const result = await offer(rate, 'overload');
  say(
    `  ${result.accepted}/${result.placed} accepted (POST p99 ${Math.round(result.postMs.p99)} ms), refusals answered in p99 ${Math.round(result.refusedMs.p99)} ms, ${result.settled} settled`,
  );
  const overload = {
    factor: sizes.overloadFactor,
    basisPerSecond: basis.perSecond,
    basisSustained: basis.sustained,
    result,
  };
  return { idle, rates, ...(warmUp && { warmUp }), overload };
}

/**
 * runCostRun starts the pipeline on a database and vhost of its own (gateway at 0 ms added latency,
 * one replica of each consumer, placed as asked, the defaults of `make run`), measures it idle, then offers each
 * rate in turn and measures what an order costs; it writes report.json and report.md to `outDir`.
 */
export async function runCostRun(
  options: CostPhasesSizes & {
    root: string;
    endpoints: ServerEndpoints;
    outDir: string;
    /** Profile every process (node --cpu-prof) over the run and report where the time went. */
    profile?: boolean;
    placement: ConsumerPlacement;
    /** The niceness of the relay and the consumers (SURETY_BACKGROUND_NICE, as `make run` reads it). */
    backgroundNice: number;
    say: (line: string) => void;
  },
): Promise<CostRunResult> {
  const { say } = options;
  mkdirSync(options.outDir, { recursive: true });
  const profileDir = join(options.outDir, 'profiles');
  // The profiles are read over the rates only: start-up and the idle minute are not an order's cost.
  const window: ClockWindow = { fromUs: 0, toUs: Number.MAX_SAFE_INTEGER };
  const machine = await machineFacts(options.root, options.endpoints.databaseUrl, options.endpoints.managementUrl);
  say(`machine: ${machine.cores} cores, load ${machine.loadAverageAtStart.join(' ')}`);
  const stack = await createBenchStack({
    root: options.root,
    endpoints: options.endpoints,
    logDir: join(options.outDir, 'logs'),
    everyApp: {},
    consumers: {},
    placement: options.placement,
    backgroundNice: options.backgroundNice,
    ...(options.profile ? { profileDir } : {}),
    say,
  });
  let result: CostRunResult;
  try {
    await setGatewayFaults(stack.gatewayUrl, { latencyMs: 0 });
    const phases = await measureCostPhases(stack, options, say, () => {
      window.fromUs = monotonicMicros();
    });
    window.toUs = monotonicMicros();
    result = {
      startedAt: new Date().toISOString(),
      placement: options.placement,
      backgroundNice: options.backgroundNice,
      machine,
      ...phases,
    };
  } finally {
    // Each process writes its profile as it exits.
    await stack.close();
  }
  if (options.profile) result.profiles = readProfiles(profileDir, window);
  writeFileSync(join(options.outDir, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(options.outDir, 'report.md'), renderCostRun(result));
  return result;
}

function renderOverload(overload: Overload): string[] {
  const r = overload.result;
  const refused = describeRefusals(r.refusals).join(', ');
  const basis = `${overload.factor}× ${overload.basisPerSecond} orders/s, ${basisName(overload.basisSustained)}`;
  return [
    '## Overload',
    '',
    `${r.offeredPerSecond} orders/s offered for ${round(r.placed / r.offeredPerSecond)} s (${basis}); the load generator sent ${round(r.sentPerSecond)} orders/s.`,
    '',
    '| accepted | refused | accepted: POST p50 / p99 ms | refused: answered p50 / p99 ms | refusals without Retry-After | accepted and settled | drain s | placed → settled p50 / p99 ms |',
    '|---|---|---|---|---|---|---|---|',
    `| ${r.accepted}/${r.placed} | ${refused || '0'} | ${Math.round(r.postMs.p50)} / ${Math.round(r.postMs.p99)} | ${r.placed > r.accepted ? `${Math.round(r.refusedMs.p50)} / ${Math.round(r.refusedMs.p99)}` : '–'} | ${r.refusedWithoutRetryAfter} | ${r.settled} | ${round(r.drainSeconds)} | ${Math.round(r.settleMs.p50)} / ${Math.round(r.settleMs.p99)} |`,
    '',
  ];
}

/** renderCostRun prints a cost run as Markdown: its phases, the profiles, and the run against the targets. */
export function renderCostRun(result: CostRunResult): string {
  const nice = result.backgroundNice ?? DEFAULT_BACKGROUND_NICE;
  const lines = [
    '# The cost of an order',
    '',
    `${result.machine.cores} cores, load ${result.machine.loadAverageAtStart.join(' ')} at the start. Gateway at 0 ms added latency; one replica of each consumer, ${result.placement === 'together' ? 'the four together in one process' : 'a process each'}; the relay and the consumers at nice ${nice}${nice === DEFAULT_BACKGROUND_NICE ? ', as in `make run`' : ' (SURETY_BACKGROUND_NICE)'}.`,
    '',
    ...renderCostPhases(result),
  ];
  if (result.profiles) {
    lines.push(
      '## Where each process spent its CPU',
      '',
      'Self time from `node --cpu-prof`, the samples taken while orders were offered and settled (every rate and the overload; start-up and the idle measurement left out), idle excluded.',
      '',
      renderProfiles(result.profiles),
    );
  }
  if (lines.at(-1) !== '') lines.push('');
  lines.push(...renderTargets(targetsMet(result)));
  return lines.join('\n');
}

function upkeepNote(idle: IdleCost): string {
  if (idle.upkeepSeconds === undefined) return '';
  return `, measured after a VACUUM ANALYZE did the earlier load's upkeep (${round(idle.upkeepSeconds)} s), which autovacuum would otherwise start inside the window`;
}

/** renderCostPhases prints the idle stack, one row per offered rate, each process's share, and the overload. */
export function renderCostPhases(result: CostPhases): string[] {
  const lines: string[] = [];
  if (result.idle) {
    const top = Object.entries(result.idle.coresByProcess)
      .sort(([, a], [, b]) => b - a)
      .map(([id, cores]) => `${id} ${round(cores * 100, 1)} %`)
      .join(', ');
    lines.push(
      `**Idle** (${result.idle.seconds} s, nothing flowing${upkeepNote(result.idle)}): ${round(result.idle.stackCores, 3)} cores busy in the stack (Surety's processes, PostgreSQL and RabbitMQ), ${round(result.idle.machineCores, 3)} on the whole machine, whatever else runs on it included; by process, in % of a core: ${top}.`,
      '',
    );
  }
  if (result.warmUp) {
    lines.push(
      `Each rate is measured after a warm-up of ${result.warmUp.seconds} s at ${result.warmUp.perSecond} orders/s that is not counted (a stack just started compiles its code and opens its connections under its first orders).`,
      '',
    );
  }
  lines.push(
    '| offered/s | accepted | refused | POST p50 / p99 ms | placed → settled p50 / p99 ms | drain s | machine CPU-ms/order | context switches/order | Postgres tx/order | WAL flushes/order | WAL bytes/order | RabbitMQ CPU-ms/order | Postgres CPU-ms/order |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of result.rates) {
    const refused = describeRefusals(r.refusals).join(', ');
    lines.push(
      `| ${r.offeredPerSecond} | ${r.accepted}/${r.placed} | ${refused || '0'} | ${Math.round(r.postMs.p50)} / ${Math.round(r.postMs.p99)} | ${Math.round(r.settleMs.p50)} / ${Math.round(r.settleMs.p99)} | ${round(r.drainSeconds)} | ${round(r.perOrder.machineCpuMs)} | ${Math.round(r.perOrder.contextSwitches)} | ${round(r.perOrder.transactions)} | ${round(r.perOrder.walSyncs)} | ${Math.round(r.perOrder.walBytes)} | ${round(r.perOrder.rabbitmqCpuMs)} | ${round(r.perOrder.postgresCpuMs)} |`,
    );
  }
  lines.push('', 'CPU-ms per order by process:', '');
  const apps = [...new Set(result.rates.flatMap((r) => Object.keys(r.perOrder.cpuMsByProcess)))].sort();
  lines.push(`| offered/s | ${apps.join(' | ')} |`, `|---|${apps.map(() => '---').join('|')}|`);
  for (const r of result.rates) {
    lines.push(
      `| ${r.offeredPerSecond} | ${apps.map((a) => round(r.perOrder.cpuMsByProcess[a] ?? 0, 2)).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    "Machine CPU is every process on the machine (from /proc/stat) over the span from the first order to the last settled, minus the load generator, divided by the orders settled; context switches are the machine's (/proc/stat `ctxt`, the load generator's included): on this kind of virtual machine each sleep and wake-up of a process costs far more than the work it wakes for, so CPU per order follows them; transactions are those committed or rolled back in the run’s database; WAL counters are the server’s.",
    '',
  );
  if (result.overload) lines.push(...renderOverload(result.overload));
  return lines;
}
