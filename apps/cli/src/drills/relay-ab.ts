import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_BACKGROUND_NICE } from '../apps.js';
import { measureCostAtRate, type CostAtRate } from '../bench/cost-at-rate.js';
import { createBenchStack } from '../bench/stack.js';
import { percentile, round } from '../bench/stats.js';
import { setGatewayFaults } from '../gateway-faults.js';
import type { ServerEndpoints } from '../isolated-resources.js';

/** The two relays, each carrying every event (`OUTBOX_DISPATCH=relay`). */
export const relayModes = ['polling', 'cdc'] as const;
export type RelayMode = (typeof relayModes)[number];

/** p50 and p99 in ms, by event type or by hop. */
type Latencies = Record<string, { p50: number; p99: number }>;

export interface RelayRun {
  mode: RelayMode;
  cost: CostAtRate;
  /** From the `order.placed` row's insert, in the placing transaction, to the broker's confirm. */
  commitToPublishedMs: { p50: number; p99: number };
  /** The same for every event type, consumers' included (their rows are written in their batch's transaction). */
  publishedMsByType: Latencies;
  /** From an event's insert to the start of the transaction that took it in, per event type and consumer. */
  consumedMsByHop: Latencies;
  /** The relay's own CPU per order. */
  relayCpuMs: number;
  /** Outbox rows still unpublished once every order settled. */
  unpublished: number;
}

export interface RelayAbResult {
  startedAt: string;
  ratePerSecond: number;
  seconds: number;
  runs: RelayRun[];
  passed: boolean;
  findings: string[];
}

/** A run passes when every accepted order settled and the outbox drained. */
function runPassed(run: RelayRun): boolean {
  return run.cost.settled >= run.cost.accepted && run.unpublished === 0;
}

type Winner = 'cdc' | 'polling' | 'neither';

/** winner says which relay did better on a lower-is-better measure; within 5 % is neither. */
function winner(cdc: number, polling: number): Winner {
  if (!(polling > 0) || Math.abs(cdc / polling - 1) < 0.05) return 'neither';
  return cdc < polling ? 'cdc' : 'polling';
}

function compare(what: string, cdc: number, polling: number, unit: string): string {
  const won = winner(cdc, polling);
  const verdict =
    won === 'neither' ? 'within 5 %' : `${won === 'cdc' ? 'CDC' : 'polling'} lower (CDC ×${round(cdc / polling, 2)})`;
  return `${what}: CDC ${round(cdc, 2)}${unit}, polling ${round(polling, 2)}${unit}, ${verdict}`;
}

/**
 * relayAbFindings draws the comparison and the choice from the two runs' numbers alone: how soon
 * each relay has an event on the broker, and what each costs the database and the machine.
 */
export function relayAbFindings(pollingRuns: readonly RelayRun[], cdcRuns: readonly RelayRun[]): string[] {
  const median = (runs: readonly RelayRun[], pick: (run: RelayRun) => number) => percentile(runs.map(pick), 50);
  const both = (pick: (run: RelayRun) => number): [number, number] => [
    median(cdcRuns, pick),
    median(pollingRuns, pick),
  ];
  const measures: [string, [number, number], string][] = [
    ['commit → published p50', both((r) => r.commitToPublishedMs.p50), ' ms'],
    ['commit → published p99', both((r) => r.commitToPublishedMs.p99), ' ms'],
    ['placed → settled p50', both((r) => r.cost.settleMs.p50), ' ms'],
    ['Postgres transactions per order', both((r) => r.cost.perOrder.transactions), ''],
    ['WAL bytes per order', both((r) => r.cost.perOrder.walBytes), ' B'],
    ['Postgres CPU per order', both((r) => r.cost.perOrder.postgresCpuMs), ' ms'],
    ['relay CPU per order', both((r) => r.relayCpuMs), ' ms'],
    ['machine CPU per order', both((r) => r.cost.perOrder.machineCpuMs), ' ms'],
  ];
  const findings = measures.map(([what, [cdc, polling], unit]) => compare(what, cdc, polling, unit));
  const latency = winner(...both((r) => r.commitToPublishedMs.p50));
  const database = [
    winner(...both((r) => r.cost.perOrder.transactions)),
    winner(...both((r) => r.cost.perOrder.postgresCpuMs)),
  ];
  const databaseWinner: Winner =
    database.includes('cdc') && !database.includes('polling')
      ? 'cdc'
      : database.includes('polling') && !database.includes('cdc')
        ? 'polling'
        : 'neither';
  const reasons = (relay: Winner) =>
    [
      latency === relay && 'a lower commit → published latency',
      databaseWinner === relay && 'a lighter database load',
    ].filter((reason): reason is string => typeof reason === 'string');
  const cdcFor = reasons('cdc');
  const pollingFor = reasons('polling');
  findings.push(
    cdcFor.length > 0
      ? `When the relay carries every event, CDC is the right choice for ${cdcFor.join(' and ')}, as measured here; it needs a role allowed to replicate, and a slot whose WAL the primary keeps while no relay reads it (watch surety_replication_slot_lag_bytes).`
      : 'When the relay carries every event, CDC bought nothing measured here over polling beyond 5 %.',
    pollingFor.length > 0
      ? `Polling is the right choice for ${pollingFor.join(' and ')}, as measured here, and wherever replication is not granted or WAL may not pile up on the primary.`
      : 'Polling won nothing measured here beyond 5 %; it remains the choice wherever replication is not granted or WAL may not pile up on the primary.',
  );
  return findings;
}

async function measureRelay(
  mode: RelayMode,
  options: { root: string; endpoints: ServerEndpoints; outDir: string; ratePerSecond: number; seconds: number },
  say: (line: string) => void,
): Promise<RelayRun> {
  const stack = await createBenchStack({
    root: options.root,
    endpoints: options.endpoints,
    logDir: join(options.outDir, 'logs', mode),
    everyApp: { LOG_LEVEL: 'warn', OUTBOX_DISPATCH: 'relay', RELAY_MODE: mode },
    consumers: {},
    placement: 'apart',
    backgroundNice: DEFAULT_BACKGROUND_NICE,
    say,
  });
  try {
    await setGatewayFaults(stack.gatewayUrl, { latencyMs: 0 });
    // Start-up work (first connections, the CDC relay's new slot) is not an order's cost.
    await sleep(3_000);
    const since = new Date();
    say(`${mode}: ${options.ratePerSecond} orders/s for ${options.seconds} s on ${stack.name}`);
    const cost = await measureCostAtRate(stack, {
      ratePerSecond: options.ratePerSecond,
      seconds: options.seconds,
      settleTimeoutMs: 120_000,
      prefix: `ab-${mode}`,
    });
    const published = await stack.pool.query<{ ms: number }>(
      `SELECT extract(epoch FROM published_at - created_at) * 1000 AS ms FROM orders.outbox
        WHERE type = 'order.placed' AND published_at IS NOT NULL AND created_at >= $1`,
      [since],
    );
    const latencies = published.rows.map((row) => Number(row.ms));
    const schemas = ['orders', 'payments', 'inventory', 'notifications'];
    const everyType = await stack.pool.query<{ type: string; ms: number }>(
      schemas
        .map(
          (schema) => `SELECT type, extract(epoch FROM published_at - created_at) * 1000 AS ms FROM ${schema}.outbox
                        WHERE published_at IS NOT NULL AND created_at >= $1`,
        )
        .join(' UNION ALL '),
      [since],
    );
    const byType = new Map<string, number[]>();
    for (const row of everyType.rows) byType.set(row.type, [...(byType.get(row.type) ?? []), Number(row.ms)]);
    const hops = await stack.pool.query<{ hop: string; ms: number }>(
      schemas
        .flatMap((from) =>
          schemas.map(
            (to) => `SELECT o.type || ' → ' || i.consumer AS hop,
                            extract(epoch FROM i.received_at - o.created_at) * 1000 AS ms
                       FROM ${from}.outbox o JOIN ${to}.inbox i ON i.message_id = o.id
                      WHERE o.created_at >= $1`,
          ),
        )
        .join(' UNION ALL '),
      [since],
    );
    const byHop = new Map<string, number[]>();
    for (const row of hops.rows) byHop.set(row.hop, [...(byHop.get(row.hop) ?? []), Number(row.ms)]);
    const consumedMsByHop = Object.fromEntries(
      [...byHop].sort().map(([hop, ms]) => [hop, { p50: percentile(ms, 50), p99: percentile(ms, 99) }]),
    );
    const publishedMsByType = Object.fromEntries(
      [...byType].sort().map(([type, ms]) => [type, { p50: percentile(ms, 50), p99: percentile(ms, 99) }]),
    );
    // Orders settle before their last event (the saga's order.confirmed) is published: wait for it.
    const unpublishedRows = () =>
      stack.pool.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM orders.outbox WHERE status <> 'published')
            + (SELECT count(*) FROM payments.outbox WHERE status <> 'published')
            + (SELECT count(*) FROM inventory.outbox WHERE status <> 'published')
            + (SELECT count(*) FROM notifications.outbox WHERE status <> 'published') AS n`,
      );
    const drainDeadline = Date.now() + 30_000;
    let unpublished = await unpublishedRows();
    while (Number(unpublished.rows[0]?.n ?? 0) > 0 && Date.now() < drainDeadline) {
      await sleep(200);
      unpublished = await unpublishedRows();
    }
    const run: RelayRun = {
      mode,
      cost,
      commitToPublishedMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      publishedMsByType,
      consumedMsByHop,
      relayCpuMs: cost.perOrder.cpuMsByProcess['relay'] ?? 0,
      unpublished: Number(unpublished.rows[0]?.n ?? 0),
    };
    say(
      `  ${cost.settled}/${cost.accepted} settled; commit → published p50 ${round(run.commitToPublishedMs.p50)} ms, p99 ${round(run.commitToPublishedMs.p99)} ms; ${round(cost.perOrder.transactions)} transactions per order`,
    );
    return run;
  } finally {
    await stack.close();
  }
}

/**
 * runRelayAb offers the same open-model rate through the polling relay, then through the CDC relay,
 * each on a fresh database and vhost with writers leaving every event to the relay, and compares
 * what each costs and how soon each publishes.
 */
export async function runRelayAb(options: {
  root: string;
  endpoints: ServerEndpoints;
  outDir: string;
  ratePerSecond: number;
  seconds: number;
  /** Rounds of one run per relay, alternating which goes first; findings compare the medians. */
  rounds: number;
  say: (line: string) => void;
}): Promise<RelayAbResult> {
  mkdirSync(options.outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const runs: RelayRun[] = [];
  // Alternating rounds: the machine's drift over the run falls on both relays alike.
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? relayModes : [...relayModes].reverse();
    for (const mode of order) runs.push(await measureRelay(mode, options, options.say));
  }
  const result: RelayAbResult = {
    startedAt,
    ratePerSecond: options.ratePerSecond,
    seconds: options.seconds,
    runs,
    passed: runs.every(runPassed),
    findings: relayAbFindings(
      runs.filter((run) => run.mode === 'polling'),
      runs.filter((run) => run.mode === 'cdc'),
    ),
  };
  writeFileSync(join(options.outDir, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(options.outDir, 'report.md'), renderRelayAb(result));
  return result;
}

/** latencyTable prints one row per key (an event type, a hop), one column per run. */
function latencyTable(runs: readonly RelayRun[], key: string, measure: string, of: (run: RelayRun) => Latencies) {
  const cell = (run: RelayRun, name: string) => {
    const ms = of(run)[name];
    return ms ? `${round(ms.p50)} / ${round(ms.p99)}` : '';
  };
  return [
    `| ${key} | ${runs.map((run) => `${run.mode}: ${measure} p50 / p99 ms`).join(' | ')} |`,
    `|---|${runs.map(() => '---|').join('')}`,
    ...Object.keys(runs[0] ? of(runs[0]) : {}).map(
      (name) => `| ${name} | ${runs.map((run) => cell(run, name)).join(' | ')} |`,
    ),
  ];
}

/** renderRelayAb prints the A/B run as Markdown: one row per relay, then the findings. */
export function renderRelayAb(result: RelayAbResult): string {
  const row = (run: RelayRun) =>
    `| ${run.mode} | ${run.cost.accepted}/${run.cost.placed} | ${run.cost.settled} | ${run.unpublished} | ${round(run.commitToPublishedMs.p50)} / ${round(run.commitToPublishedMs.p99)} | ${round(run.cost.settleMs.p50)} / ${round(run.cost.settleMs.p99)} | ${round(run.cost.perOrder.transactions, 2)} | ${Math.round(run.cost.perOrder.walBytes)} | ${round(run.cost.perOrder.walSyncs, 2)} | ${round(run.cost.perOrder.postgresCpuMs, 2)} | ${round(run.relayCpuMs, 2)} | ${round(run.cost.perOrder.machineCpuMs, 2)} |`;
  return [
    `# relay-ab: polling against CDC, ${result.passed ? 'PASS' : 'FAIL'}`,
    '',
    `${result.startedAt}. The same open-model rate, ${result.ratePerSecond} orders/s for ${result.seconds} s, through each relay in turn (rounds alternate which goes first; the findings compare each relay's median over its runs), each on a fresh database and vhost; writers leave every event to the relay (\`OUTBOX_DISPATCH=relay\`), the gateway adds no latency, every process logs at \`warn\`. A run passes when every accepted order settled and every outbox row was published within 30 s of that.`,
    '',
    '| relay | accepted | settled | unpublished | commit → published p50 / p99 ms | placed → settled p50 / p99 ms | Postgres tx/order | WAL bytes/order | WAL flushes/order | Postgres CPU-ms/order | relay CPU-ms/order | machine CPU-ms/order |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...result.runs.map(row),
    '',
    'Commit → published runs from the `order.placed` row’s insert, in the api’s one placing statement, to the time the relay marked it published (polling: its mark after the confirm; CDC: the confirm). Transactions are the run database’s; WAL and server CPU are the whole server’s.',
    '',
    ...latencyTable(result.runs, 'event', 'commit → published', (run) => run.publishedMsByType),
    '',
    ...latencyTable(result.runs, 'hop: event → consumer', 'commit → taken in', (run) => run.consumedMsByHop),
    '',
    '## Findings',
    '',
    ...result.findings.map((finding) => `- ${finding}`),
    '',
  ].join('\n');
}
