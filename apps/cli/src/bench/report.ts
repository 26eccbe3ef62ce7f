import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { autoscalingChart, renderSvg, scaleOutLatencyChart, scaleOutThroughputChart, spikeChart } from './charts.js';
import { renderCostPhases } from './cost-run.js';
import { findingsOf, type Finding } from './findings.js';
import type { BenchResult } from './runner.js';
import { round } from './stats.js';
import { benchTargetsMet, renderTargets, targetsMet } from './targets.js';

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/** bestThroughput is the highest median throughput of the scale-out steps: the pipeline's sustained rate. */
export function bestThroughput(result: BenchResult): number {
  return Math.max(...result.scaleOut.map((r) => r.throughput.median));
}

function ceilingSection(result: BenchResult): string[] {
  const { ceilings, pipeline } = result;
  const best = bestThroughput(result);
  const pg = ceilings.postgresInsertsPerSecond;
  const mq = ceilings.rabbitmqConfirmedPublishesPerSecond;
  return [
    '## Raw ceilings of this machine, and the pipeline against them',
    '',
    row(['measure', 'median', 'min', 'max', 'pipeline orders/s as a share']),
    row(['---', '---:', '---:', '---:', '---:']),
    row(['PostgreSQL single-row insert commits/s', int(pg.median), int(pg.min), int(pg.max), pct(best / pg.median)]),
    ...(ceilings.postgresNotifyingInsertsPerSecond
      ? [
          row([
            'PostgreSQL insert + NOTIFY in one transaction, commits/s',
            int(ceilings.postgresNotifyingInsertsPerSecond.median),
            int(ceilings.postgresNotifyingInsertsPerSecond.min),
            int(ceilings.postgresNotifyingInsertsPerSecond.max),
            pct(best / ceilings.postgresNotifyingInsertsPerSecond.median),
          ]),
        ]
      : []),
    row([
      'RabbitMQ confirmed persistent publishes/s (quorum)',
      int(mq.median),
      int(mq.min),
      int(mq.max),
      pct(best / mq.median),
    ]),
    row(['pipeline: sustained settled orders/s (best scale-out step)', round(best), '', '', '']),
    '',
    `Over the ${int(pipeline.orders)} orders of the scale-out phase, each order cost **${round(pipeline.rowWritesPerOrder)} row writes** and **${round(pipeline.commitsPerOrder)} committed transactions** in Postgres (reads, relay polls and the bench's own polling included) and **${round(pipeline.publishesPerOrder)} publishes** to RabbitMQ. In those units, at its best step the pipeline used ${pct((best * pipeline.commitsPerOrder) / pg.median)} of the Postgres commit ceiling and ${pct((best * pipeline.publishesPerOrder) / mq.median)} of the RabbitMQ publish ceiling.`,
    '',
    `- Postgres: ${ceilings.postgresMethod}.`,
    `- RabbitMQ: ${ceilings.rabbitmqMethod}.`,
    '',
  ];
}

function scaleOutPrefetchSentence(s: BenchResult['settings']): string {
  const inFlight = (what: string) => `${s.scaleOutPrefetch} ${what}${s.scaleOutPrefetch === 1 ? '' : 's'} in flight`;
  if ((s.scaleOutPrefetchOf ?? 'every consumer') === 'every consumer')
    return `Each consumer runs with PREFETCH ${s.scaleOutPrefetch}, so one replica has at most ${inFlight('message')}`;
  return `Payment runs with PREFETCH ${s.scaleOutPrefetch}, so one replica has at most ${inFlight('charge')}, each waiting the gateway's +${s.gatewayLatencyMs} ms; the other consumers call nothing slow and take batches of up to ${s.defaultPrefetch}, as in \`make run\``;
}

/** scaledOutWhat names what the scale-out added replicas of (every consumer in reports from before it was a setting). */
export function scaledOutWhat(settings: BenchResult['settings']): string {
  const of = settings.scaleOutReplicasOf ?? 'every consumer';
  return of === 'every consumer' ? 'each consumer' : `${of} (one of each other consumer)`;
}

/** What the scale-out added replicas of, as a heading and as a sentence (none for old reports, which scaled every consumer). */
function scaledOut(result: BenchResult): { heading: string; sentence: string } {
  const of = result.settings.scaleOutReplicasOf ?? 'every consumer';
  if (of === 'every consumer') return { heading: scaledOutWhat(result.settings), sentence: '' };
  const where =
    result.placement === 'together'
      ? `consumers-1 serves every consumer, consumers-2 and up ${of} alone`
      : 'the other consumers run one process each';
  return {
    heading: scaledOutWhat(result.settings),
    sentence: ` Only ${of} waits on the gateway, so only its queue grows and only it gains replicas, as KEDA scales each consumer on its own queue: ${where}.`,
  };
}

function scaleOutSection(result: BenchResult): string[] {
  const first = result.scaleOut[0];
  const s = result.settings;
  const scaled = scaledOut(result);
  return [
    `## Scale-out: 1 to ${result.scaleOut.at(-1)?.replicas ?? 1} replicas of ${scaled.heading}, gateway +${s.gatewayLatencyMs} ms`,
    '',
    `${scaleOutPrefetchSentence(s)}.${scaled.sentence} The pipeline is kept saturated (a standing backlog of placed orders) and settled orders are counted over ${s.sizes.scaleOut.windows} windows of ${s.sizes.scaleOut.windowMs / 1000} s after a ${s.sizes.scaleOut.warmUpMs / 1000} s warm-up. Latency is measured separately, with an open-loop rate of ${Math.round(s.sizes.scaleOut.latencyLoadShare * 100)} % of that step's throughput, so it is not the backlog's queueing time.`,
    '',
    row([
      'replicas',
      'orders/s (median)',
      'min..max',
      'vs linear',
      'machine CPU busy',
      'latency rate',
      'p50 ms',
      'p95 ms',
      'p99 ms',
    ]),
    row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...result.scaleOut.map((r) =>
      row([
        r.replicas,
        round(r.throughput.median),
        `${round(r.throughput.min)}..${round(r.throughput.max)}`,
        first ? pct(r.throughput.median / ((first.throughput.median * r.replicas) / first.replicas)) : '',
        pct(r.machineBusyShare),
        r.latencyRate,
        int(r.latencyMs.p50),
        int(r.latencyMs.p95),
        int(r.latencyMs.p99),
      ]),
    ),
    '',
    '![throughput](scale-out-throughput.svg)',
    '',
    '![latency](scale-out-latency.svg)',
    '',
  ];
}

function spikeSection(result: BenchResult): string[] {
  const { spike } = result;
  const side = (name: string, s: BenchResult['spike']['async'], async: boolean) =>
    row([
      name,
      int(s.k6.requests),
      pct(s.k6.errorRate),
      int(s.k6.shed ?? 0),
      int(s.k6.p50Ms),
      int(s.k6.p95Ms),
      int(s.k6.p99Ms),
      int(s.work.confirmed),
      int(s.work.cancelled),
      async
        ? s.settledAfterSeconds === null
          ? 'not within the wait'
          : `${round(s.settledAfterSeconds)} s`
        : 'in the request',
    ]);
  const settings = Object.entries(spike.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    '## Spike: Surety against the synchronous baseline',
    '',
    `The same \`load/spike.js\` (${settings}) against each; the gateway adds ${result.settings.gatewayLatencyMs} ms. Surety's consumers stay at their minimum replicas on this machine (the ScaledObjects' bounds as \`make run\` adapts them: one replica, at most one per core) with PREFETCH ${result.settings.defaultPrefetch} (the autoscaling section runs the same spike with the local autoscaler)${result.settings.backgroundNice ? `, the relay and the consumers at nice ${result.settings.backgroundNice} (on one shared box, the stand-in for the api having CPU of its own)` : ''}. k6 does not retry: a shed request counts as an error.`,
    '',
    row([
      'system',
      'POST /orders',
      'errors',
      'shed (503)',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'confirmed',
      'cancelled',
      'all settled after k6 ended',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
    side('Surety (202, settles later)', spike.async, true),
    side('synchronous baseline (201 when done)', spike.sync, false),
    ...(spike.deferred ? [side('Surety, consumers stopped until k6 ends', spike.deferred, true)] : []),
    '',
    ...(spike.deferred
      ? [
          `The last row stands in for consumers on machines of their own: on this one machine the consumers' processes, and the Postgres and RabbitMQ work they cause, share the machine's ${result.machine.cores} cores and its WAL with the api while the spike lasts; stopped, they leave the request path alone and drain the queue once k6 ends.`,
          '',
        ]
      : []),
    `What happened to the work: Surety accepted ${int(spike.async.k6.requests - spike.async.k6.failed)} orders and settled ${int(spike.async.work.confirmed + spike.async.work.cancelled)} of them (${int(spike.async.work.pending)} left pending); its ${int(spike.async.k6.shed)} shed requests were refused before any work (503 with Retry-After: 1, no order recorded), for the client to send again with the same Idempotency-Key. The baseline finished ${int(spike.sync.work.confirmed)} orders inside their requests; ${int(spike.sync.k6.failed)} requests failed.`,
    '',
    '![spike](spike.svg)',
    '',
    ...waitsTable(spike),
  ];
}

function waitsTable(spike: BenchResult['spike']): string[] {
  const top = (side: BenchResult['spike']['async']) =>
    (side.requestPathWaits ?? [])
      .slice(0, 4)
      .map((w) => `${w.waitingOn} ${pct(w.share)}`)
      .join(', ') || 'n/a';
  return [
    "Where the request path's active Postgres backends spent the spike (pg_stat_activity sampled every 250 ms):",
    '',
    row(['system', 'top waits (share of samples)']),
    row(['---', '---']),
    row(['Surety api', top(spike.async)]),
    row(['synchronous baseline', top(spike.sync)]),
    '',
  ];
}

function outageSection(result: BenchResult): string[] {
  const { outage } = result;
  const side = (name: string, s: BenchResult['outage']['async']) =>
    row([
      name,
      int(s.k6.requests),
      int(s.k6.failed),
      int(s.work.confirmed),
      int(s.work.cancelled),
      int(s.work.pending),
      int(s.gateway.chargeRequests),
      int(s.gateway.refusedByOutage),
      int(s.gateway.ordersCharged),
    ]);
  return [
    `## Gateway down for ${outage.outageSeconds} s`,
    '',
    `${outage.ratePerSecond} orders/s to each system at once for ${outage.loadSeconds} s (\`load/smoke.js\`); the gateway stand-in answers 503 to everything for ${outage.outageSeconds} s (\`PUT /admin/faults\`, failureRate 1). Gateway columns come from its own request log.`,
    '',
    row([
      'system',
      'requests',
      'requests failed',
      'confirmed',
      'cancelled',
      'pending at the end',
      'charge requests',
      'refused by the outage',
      'orders charged',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    side('Surety', outage.async),
    side('synchronous baseline', outage.sync),
    '',
    outage.recoveredAfterSeconds === null
      ? 'Surety had not settled every accepted order by the end of the wait.'
      : `Surety settled every accepted order ${round(outage.recoveredAfterSeconds)} s after the gateway came back (retry tiers ${result.settings.retryDelaysMs} ms and the payment circuit breaker).`,
    '',
  ];
}

function autoscalingSection(result: BenchResult): string[] {
  const { samples, startedAtMs } = result.autoscaling;
  const lines = ['## Autoscaling under load', '', '![autoscaling](autoscaling.svg)', ''];
  const spike = result.autoscaling.spike;
  if (spike) {
    lines.push(
      `The same spike against Surety with the local autoscaler on: ${int(spike.k6.requests)} POST /orders, ${pct(spike.k6.errorRate)} errors (${int(spike.k6.shed ?? 0)} shed), p99 ${int(spike.k6.p99Ms)} ms; ${int(spike.work.confirmed + spike.work.cancelled)} orders settled, ${int(spike.work.pending)} pending, ${spike.settledAfterSeconds === null ? 'not all settled in time' : `all settled ${round(spike.settledAfterSeconds)} s after k6 ended`}. Every replica started here shares the machine's ${result.machine.cores} cores with the api.`,
      '',
    );
  }
  lines.push(row(['consumer', 'replicas at the start', 'most replicas', 'first scale-out at', 'deepest queue']));
  lines.push(row(['---', '---', '---:', '---:', '---:']));
  for (const consumer of [...new Set(samples.map((s) => s.consumer))]) {
    const mine = samples.filter((s) => s.consumer === consumer);
    const start = mine[0]?.desired ?? 0;
    const firstOut = mine.find((s) => s.desired > start);
    lines.push(
      row([
        consumer,
        start,
        Math.max(...mine.map((s) => s.desired)),
        firstOut ? `${round((firstOut.atMs - startedAtMs) / 1000)} s` : 'never',
        int(Math.max(...mine.map((s) => s.queueLength))),
      ]),
    );
  }
  lines.push('');
  return lines;
}

/** costRows renders the cost model table: CPU-seconds per 1000 orders (= cores per 1000 orders/s) and peak memory. */
export function costRows(result: BenchResult): string[] {
  const { cost } = result;
  const total = cost.perApp.reduce((sum, a) => sum + a.cpuSecondsPer1000Orders, 0);
  return [
    row(['process', 'CPU-seconds per 1000 orders', 'cores per 1000 orders/s', 'peak memory per replica (MiB)']),
    row(['---', '---:', '---:', '---:']),
    ...cost.perApp
      .sort((a, b) => b.cpuSecondsPer1000Orders - a.cpuSecondsPer1000Orders)
      .map((a) =>
        row([a.app, round(a.cpuSecondsPer1000Orders), round(a.cpuSecondsPer1000Orders), int(a.peakResidentMiB)]),
      ),
    row(['**apps, total**', `**${round(total)}**`, `**${round(total)}**`, '']),
    row([
      'PostgreSQL (server, shared)',
      round(cost.servers.postgresCpuSecondsPer1000Orders),
      round(cost.servers.postgresCpuSecondsPer1000Orders),
      '',
    ]),
    row([
      'RabbitMQ (server, shared)',
      round(cost.servers.rabbitmqCpuSecondsPer1000Orders),
      round(cost.servers.rabbitmqCpuSecondsPer1000Orders),
      '',
    ]),
  ];
}

function costSection(result: BenchResult): string[] {
  return [
    '## Cost per 1000 orders',
    '',
    `From each process's own \`process_cpu_seconds_total\` and \`process_resident_memory_bytes\` over the saturated windows of the scale-out (${int(result.cost.orders)} settled orders); servers from /proc (every user of the shared servers counts). Method: docs/cost.md.`,
    '',
    ...costRows(result),
    '',
  ];
}

const newsMark: Record<Finding['news'], string> = { good: 'good news', bad: 'bad news', neutral: 'neither' };

/** renderFindings prints findings as a list: each headline, whether it is good news, and its figures. */
export function renderFindings(findings: Finding[]): string[] {
  return [
    '## Findings',
    '',
    "Drawn from this run's numbers by `findingsOf` (apps/cli/src/bench/findings.ts).",
    '',
    ...findings.map(
      (f) =>
        `- **${f.headline}.** _(${newsMark[f.news]})_ ${f.figures.map((g) => `${g.name}: ${g.value}${g.unit ? ` ${g.unit}` : ''}`).join('; ')}.`,
    ),
    '',
  ];
}

/** markdownReport renders the whole report. */
export function markdownReport(result: BenchResult): string {
  const m = result.machine;
  return [
    `# Surety bench, ${result.startedAt}${result.mode === 'smoke' ? ' (smoke: tiny sizes, numbers meaningless)' : ''}`,
    '',
    `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}; Node ${m.node}, PostgreSQL ${m.postgres}, RabbitMQ ${m.rabbitmq} (Erlang ${m.erlang}), ${m.k6}. Load average ${m.loadAverageAtStart.join(' ')} at the start, ${result.loadAverageAtEnd.join(' ')} at the end: the machine is shared, so numbers are noisy. Took ${Math.round(result.durationSeconds / 60)} min ${result.durationSeconds % 60} s.`,
    '',
    `Settings: every process logs at \`${result.settings.logLevel}\`; retry delays ${result.settings.retryDelaysMs} ms; gateway latency +${result.settings.gatewayLatencyMs} ms${result.atRates ? ' except in the cost phases (0 ms)' : ' throughout'}; relay and consumers at nice ${result.settings.backgroundNice ?? 0}; ${result.placement === 'together' ? 'the consumers together in one process per replica, replica i serving those with i replicas or more (`--consumers apart` runs a process each)' : 'a process per consumer'}. All processes, the servers, k6 and the bench itself share the same cores.`,
    '',
    ...renderFindings(findingsOf(result)),
    ...ceilingSection(result),
    ...scaleOutSection(result),
    ...spikeSection(result),
    ...outageSection(result),
    ...autoscalingSection(result),
    ...costSection(result),
    ...atRatesSection(result),
    ...renderTargets([...(result.atRates ? targetsMet(result.atRates) : []), ...benchTargetsMet(result)], 'bench'),
  ].join('\n');
}

function atRatesSection(result: BenchResult): string[] {
  if (!result.atRates) return [];
  return [
    '## The cost and the latency at fixed rates',
    '',
    `One replica of each consumer with PREFETCH ${result.settings.defaultPrefetch} (its default), the gateway at 0 ms added latency, orders offered at fixed open-model rates in turn, then an overload, as \`make bench-cost\` does (which logs at \`info\`; here every process logs at \`${result.settings.logLevel}\`).`,
    '',
    ...renderCostPhases(result.atRates),
  ];
}

/** writeReport writes report.json, report.md and the SVG charts into the report folder. */
export async function writeReport(outDir: string, result: BenchResult): Promise<void> {
  await writeFile(join(outDir, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, 'report.md'), `${markdownReport(result)}\n`);
  const charts = {
    'scale-out-throughput.svg': scaleOutThroughputChart(result.scaleOut, result.settings.gatewayLatencyMs),
    'scale-out-latency.svg': scaleOutLatencyChart(result.scaleOut),
    'spike.svg': spikeChart(result.spike),
    'autoscaling.svg': autoscalingChart(result.autoscaling.samples, result.autoscaling.startedAtMs),
  };
  for (const [file, spec] of Object.entries(charts)) await writeFile(join(outDir, file), await renderSvg(spec));
}
