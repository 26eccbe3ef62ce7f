import type { BenchResult } from './runner.js';
import type { ScaleOutRow } from './scale-out.js';
import { round } from './stats.js';

/** One number a finding rests on. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
}

/** What a finding is about: one of each at most, in this order. */
export type FindingTopic = 'bound' | 'scaling' | 'spike' | 'request-path' | 'heaviest' | 'servers';

/** A conclusion drawn from the measured numbers: a headline, the figures behind it, and whether it is good news. */
export interface Finding {
  topic: FindingTopic;
  headline: string;
  figures: Figure[];
  /** Good or bad news against what Surety claims; neutral where the data says neither. */
  news: 'good' | 'bad' | 'neutral';
}

/** The machine's busy share at or above which throughput is taken to be bound by CPU. */
export const cpuBoundShare = 0.9;
/** A server used at or above this share of its raw ceiling is taken to be what bounds throughput. */
export const serverBoundShare = 0.9;
/** Below this share of their ceilings, the servers are far from being what bounds throughput. */
export const serverHeadroomShare = 0.5;
/** Throughput within this share of the gateway's limit (replicas × prefetch calls in flight) is bound by it. */
export const gatewayBoundShare = 0.8;
/** Scale-out counts as rising with replicas when the last step reaches this share of linear (6× for 8 replicas). */
export const linearShare = 0.75;
/** A step that adds less than this share of throughput over the one before has stopped rising. */
export const risingGain = 0.1;

const pct = (share: number) => `${round(share * 100)} %`;

function bestStep(rows: ScaleOutRow[]): ScaleOutRow | undefined {
  return rows.reduce<ScaleOutRow | undefined>(
    (best, row) => (best === undefined || row.throughput.median > best.throughput.median ? row : best),
    undefined,
  );
}

/** CPU-ms an order cost over the scale-out, in the Node processes and in the two servers. */
function cpuPerOrder(result: BenchResult) {
  const appsMs = result.cost.perApp.reduce((sum, a) => sum + a.cpuSecondsPer1000Orders, 0);
  const serversMs =
    result.cost.servers.postgresCpuSecondsPer1000Orders + result.cost.servers.rabbitmqCpuSecondsPer1000Orders;
  return { appsMs, serversMs, totalMs: appsMs + serversMs };
}

/** Shares of the raw ceilings the pipeline used at `rate` orders/s, in the units it spends them in. */
function serverShares(result: BenchResult, rate: number) {
  const { ceilings, pipeline } = result;
  return {
    postgres: (rate * pipeline.commitsPerOrder) / ceilings.postgresInsertsPerSecond.median,
    rabbitmq: (rate * pipeline.publishesPerOrder) / ceilings.rabbitmqConfirmedPublishesPerSecond.median,
  };
}

/** The most orders/s the payment consumer can charge with `replicas` × prefetch gateway calls in flight. */
function gatewayLimit(result: BenchResult, replicas: number): number {
  const { gatewayLatencyMs, scaleOutPrefetch } = result.settings;
  return gatewayLatencyMs > 0 ? (replicas * scaleOutPrefetch * 1000) / gatewayLatencyMs : Number.POSITIVE_INFINITY;
}

function boundFinding(result: BenchResult, best: ScaleOutRow): Finding {
  const cores = result.machine.cores;
  const rate = best.throughput.median;
  const busy = best.machineBusyShare;
  const common: Figure[] = [
    { name: 'best step', value: best.replicas, unit: 'replicas' },
    { name: 'settled at the best step', value: round(rate), unit: 'orders/s' },
    { name: 'machine CPU busy at the best step', value: round(busy * 100), unit: '%' },
    { name: 'cores', value: cores, unit: '' },
  ];
  if (busy >= cpuBoundShare) {
    // The best step's own cost, from the machine's busy share: the cost model averages every step,
    // and the lower ones spend more per order (replicas waiting on the gateway), so it would claim a
    // bound below what the best step settled.
    const stepMs = (busy * cores * 1000) / rate;
    return {
      topic: 'bound',
      news: 'bad',
      headline: `Throughput is bound by CPU: the best step (${best.replicas} replicas) settled ${round(rate)} orders/s with the machine ${pct(busy)} busy, ${round(stepMs)} CPU-ms per order on the whole machine (every process on it, the bench's own included); at that cost ${cores} cores settle at most about ${round((cores * 1000) / stepMs)} orders/s`,
      figures: [
        ...common,
        { name: 'machine CPU per order at the best step', value: round(stepMs), unit: 'ms' },
        { name: 'CPU-bound rate', value: round((cores * 1000) / stepMs), unit: 'orders/s' },
      ],
    };
  }
  const shares = serverShares(result, rate);
  const notCpu = Number.isFinite(busy) ? `not CPU (the machine was ${pct(busy)} busy at the best step)` : 'not known';
  if (Math.max(shares.postgres, shares.rabbitmq) >= serverBoundShare) {
    const server = shares.postgres >= shares.rabbitmq ? 'PostgreSQL commits' : 'RabbitMQ confirmed publishes';
    return {
      topic: 'bound',
      news: 'bad',
      headline: `Throughput is bound by ${server}, ${notCpu}: at ${round(rate)} orders/s the pipeline used ${pct(Math.max(shares.postgres, shares.rabbitmq))} of that ceiling`,
      figures: [
        ...common,
        { name: 'share of the Postgres commit ceiling', value: round(shares.postgres * 100), unit: '%' },
        { name: 'share of the RabbitMQ publish ceiling', value: round(shares.rabbitmq * 100), unit: '%' },
      ],
    };
  }
  const limit = gatewayLimit(result, best.replicas);
  if (rate >= gatewayBoundShare * limit) {
    const { gatewayLatencyMs, scaleOutPrefetch } = result.settings;
    return {
      topic: 'bound',
      news: 'neutral',
      headline: `Throughput is ${notCpu}; it points to the gateway's added ${gatewayLatencyMs} ms with few calls in flight: ${best.replicas} payment replicas × prefetch ${scaleOutPrefetch} allow at most ${round(limit)} charges/s, and the best step settled ${round(rate)} orders/s (${pct(rate / limit)} of that)`,
      figures: [...common, { name: 'gateway limit at the best step', value: round(limit), unit: 'orders/s' }],
    };
  }
  return {
    topic: 'bound',
    news: 'neutral',
    headline: `What bounds throughput is not determined by this run: it is ${notCpu}, the servers stayed under ${pct(serverBoundShare)} of their ceilings, and the best step settled ${round(rate)} orders/s, ${Number.isFinite(limit) ? `${pct(rate / limit)} of the gateway's limit of ${round(limit)}` : 'with no gateway latency added'}`,
    figures: [
      ...common,
      { name: 'share of the Postgres commit ceiling', value: round(shares.postgres * 100), unit: '%' },
      { name: 'share of the RabbitMQ publish ceiling', value: round(shares.rabbitmq * 100), unit: '%' },
    ],
  };
}

function scalingFinding(rows: ScaleOutRow[]): Finding | undefined {
  const first = rows[0];
  const last = rows.at(-1);
  if (!first || !last || rows.length < 2 || first.throughput.median <= 0) return undefined;
  const ratio = last.throughput.median / first.throughput.median;
  const replicaRatio = last.replicas / first.replicas;
  const stopped = rows.find(
    (row, i) => i + 1 < rows.length && rows[i + 1]!.throughput.median < row.throughput.median * (1 + risingGain),
  );
  const rose = ratio >= linearShare * replicaRatio;
  const where = stopped
    ? `it stopped rising after ${stopped.replicas} replicas (${round(stopped.throughput.median)} orders/s)`
    : `it rose at every step`;
  return {
    topic: 'scaling',
    news: rose && !stopped ? 'good' : 'bad',
    headline: `${last.replicas} replicas settled ${round(ratio, 2)}× what ${first.replicas} did (linear would be ${round(replicaRatio, 2)}×); ${where}`,
    figures: [
      { name: `orders/s with ${first.replicas}`, value: round(first.throughput.median), unit: 'orders/s' },
      { name: `orders/s with ${last.replicas}`, value: round(last.throughput.median), unit: 'orders/s' },
      { name: 'ratio', value: round(ratio, 2), unit: '×' },
      ...(stopped ? [{ name: 'stopped rising after', value: stopped.replicas, unit: 'replicas' }] : []),
    ],
  };
}

function spikeFinding(spike: BenchResult['spike']): Finding {
  const surety = spike.async.k6;
  const baseline = spike.sync.k6;
  const clean = surety.failed === 0 && (surety.shed ?? 0) === 0;
  const faster = surety.p99Ms < baseline.p99Ms;
  const errors = clean
    ? 'had no errors and shed nothing'
    : `failed ${pct(surety.errorRate)} of its requests (${surety.shed ?? 0} shed)`;
  return {
    topic: 'spike',
    news: clean && faster ? 'good' : 'bad',
    headline: `In the spike Surety ${errors}, the synchronous baseline failed ${pct(baseline.errorRate)} (${baseline.shed ?? 0} shed); Surety's POST p99 was ${Math.round(surety.p99Ms)} ms, ${faster ? 'below' : 'not below'} the baseline's ${Math.round(baseline.p99Ms)} ms`,
    figures: [
      { name: 'Surety errors', value: round(surety.errorRate * 100, 2), unit: '%' },
      { name: 'Surety shed', value: surety.shed ?? 0, unit: 'requests' },
      { name: 'Surety POST p99', value: Math.round(surety.p99Ms), unit: 'ms' },
      { name: 'baseline errors', value: round(baseline.errorRate * 100, 2), unit: '%' },
      { name: 'baseline shed', value: baseline.shed ?? 0, unit: 'requests' },
      { name: 'baseline POST p99', value: Math.round(baseline.p99Ms), unit: 'ms' },
    ],
  };
}

function requestPathFinding(spike: BenchResult['spike']): Finding | undefined {
  const wait = spike.async.requestPathWaits?.[0];
  if (!wait) return undefined;
  const notifyLock =
    wait.waitingOn === 'Lock: object'
      ? ": PostgreSQL's NOTIFY lock, which a transaction that called pg_notify holds from pre-commit to the end of its commit (WAL flush included), so transactions that notify commit one at a time, in every database of the server"
      : '';
  return {
    topic: 'request-path',
    news: 'neutral',
    headline: `Under the spike the api's active Postgres backends waited mostly on ${wait.waitingOn} (${pct(wait.share)} of samples)${notifyLock}`,
    figures: [{ name: wait.waitingOn, value: round(wait.share * 100), unit: '% of samples' }],
  };
}

function heaviestFinding(result: BenchResult): Finding | undefined {
  const heaviest = [...result.cost.perApp].sort((a, b) => b.cpuSecondsPer1000Orders - a.cpuSecondsPer1000Orders)[0];
  if (!heaviest) return undefined;
  const cpu = cpuPerOrder(result);
  const share = cpu.totalMs > 0 ? heaviest.cpuSecondsPer1000Orders / cpu.totalMs : Number.NaN;
  return {
    topic: 'heaviest',
    news: 'neutral',
    headline: `The heaviest process per order is ${heaviest.app}: ${round(heaviest.cpuSecondsPer1000Orders)} CPU-ms, ${pct(share)} of the ${round(cpu.totalMs)} an order cost in all`,
    figures: [
      { name: `${heaviest.app} CPU per order`, value: round(heaviest.cpuSecondsPer1000Orders), unit: 'ms' },
      { name: 'CPU per order, every process and server', value: round(cpu.totalMs), unit: 'ms' },
    ],
  };
}

function serversFinding(result: BenchResult, best: ScaleOutRow): Finding {
  const shares = serverShares(result, best.throughput.median);
  const most = Math.max(shares.postgres, shares.rabbitmq);
  const verdict =
    most < serverHeadroomShare
      ? 'both far from their ceilings'
      : most >= serverBoundShare
        ? `${shares.postgres >= shares.rabbitmq ? 'PostgreSQL' : 'RabbitMQ'} at its ceiling`
        : `${shares.postgres >= shares.rabbitmq ? 'PostgreSQL' : 'RabbitMQ'} nearer its ceiling than half`;
  return {
    topic: 'servers',
    news: most < serverHeadroomShare ? 'good' : most >= serverBoundShare ? 'bad' : 'neutral',
    headline: `At the best step the servers were ${verdict}: PostgreSQL at ${pct(shares.postgres)} of its commit ceiling (${round(result.pipeline.commitsPerOrder)} commits per order), RabbitMQ at ${pct(shares.rabbitmq)} of its publish ceiling (${round(result.pipeline.publishesPerOrder)} publishes per order)`,
    figures: [
      { name: 'share of the Postgres commit ceiling', value: round(shares.postgres * 100), unit: '%' },
      { name: 'share of the RabbitMQ publish ceiling', value: round(shares.rabbitmq * 100), unit: '%' },
      { name: 'commits per order', value: round(result.pipeline.commitsPerOrder), unit: '' },
      { name: 'publishes per order', value: round(result.pipeline.publishesPerOrder), unit: '' },
    ],
  };
}

/**
 * findingsOf turns a bench run's numbers into its conclusions: what bounds throughput, whether it
 * rose with replicas, how Surety's spike compared with the baseline's, where the request path
 * waited, the heaviest process per order, and the servers against their ceilings. Nothing is
 * assumed: each finding follows from the figures it carries.
 */
export function findingsOf(result: BenchResult): Finding[] {
  const best = bestStep(result.scaleOut);
  return [
    best ? boundFinding(result, best) : undefined,
    scalingFinding(result.scaleOut),
    spikeFinding(result.spike),
    requestPathFinding(result.spike),
    heaviestFinding(result),
    best ? serversFinding(result, best) : undefined,
  ].filter((finding): finding is Finding => finding !== undefined);
}
