import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { keyHeaders, type PartitionKey } from '@surety/contracts';
import {
  connectAny,
  declarePartitionedRoute,
  deletePartitionedRoute,
  partitionQueueNames,
  type PartitionedRoute,
} from '@surety/messaging';
import { DEFAULT_BACKGROUND_NICE } from '../apps.js';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../bench/charts.js';
import { createBenchStack, type BenchStack } from '../bench/stack.js';
import { round } from '../bench/stats.js';
import { setGatewayFaults } from '../gateway-faults.js';
import type { ServerEndpoints } from '../isolated-resources.js';
import { pendingCount, readLedgers } from './evidence.js';
import type { Verdict } from './judge.js';
import { placeOrders } from './load.js';

/** The events a per-key consumer takes: each order's first and last, both naming the customer. */
const routedEvents = ['order.placed', 'order.confirmed', 'order.cancelled'] as const;
const whale = 'whale';

export interface HotKeySettings {
  ratePerSecond: number;
  seconds: number;
  partitions: number;
  /** What the per-key consumer spends on each event: one partition handles at most 1000 / workMs a second. */
  workMs: number;
  /** The whale's share of all orders. */
  whaleShare: number;
}

/** 30 orders/s in each phase, for 30 s, or 10 with --short; four partitions, each handling 25 events a second. */
export const hotKeySizes = {
  short: { ratePerSecond: 30, seconds: 10, partitions: 4, workMs: 40, whaleShare: 0.5 },
  full: { ratePerSecond: 30, seconds: 30, partitions: 4, workMs: 40, whaleShare: 0.5 },
} as const satisfies Record<string, HotKeySettings>;

/** One event as the per-key consumer handled it. */
interface Handled {
  partition: number;
  type: string;
  orderId: string;
  customerId: string;
  occurredAt: string;
}

export interface HotKeyPhase {
  key: PartitionKey;
  /** Ready messages in each partition, sampled every 250 ms from the start of the load. */
  samples: { atMs: number; depths: number[] }[];
  peaks: number[];
  handledByPartition: number[];
  /** How many of the partitions the whale's events went to. */
  whalePartitions: number;
  /** Orders whose last event was handled before their order.placed. */
  orderInversions: number;
  /** The whale's orders handled (order.placed) before an order the whale placed earlier. */
  whaleReorderings: number;
  whaleOrders: number;
  loadMs: number;
  /** From the end of the load until every partition was empty. */
  drainMs: number;
  accepted: number;
  pending: number;
  missing: number;
  /** Orders charged more than once, from the gateway's ledger. */
  doubleCharged: number;
}

export interface HotKeyResult {
  startedAt: string;
  settings: HotKeySettings;
  phases: HotKeyPhase[];
  verdicts: Verdict[];
  findings: string[];
  passed: boolean;
}

function verdict(invariant: string, pass: boolean, evidence: string): Verdict {
  return { invariant, verdict: pass ? 'PASS' : 'FAIL', evidence };
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);

/** hottest answers the partition that peaked highest, and the highest peak among the others. */
function hottest(phase: HotKeyPhase): { index: number; peak: number; othersPeak: number } {
  const index = phase.peaks.indexOf(Math.max(...phase.peaks));
  const othersPeak = Math.max(0, ...phase.peaks.filter((_, i) => i !== index));
  return { index, peak: phase.peaks[index] ?? 0, othersPeak };
}

/**
 * hotKeyVerdicts judges the two phases from what the broker's queues and the handled events show:
 * keyed by customer, the whale's partition falls behind while the others keep up; keyed by order,
 * the load spreads evenly; in both, every order's events are handled in order and the pipeline's
 * own invariants hold.
 */
export function hotKeyVerdicts(byCustomer: HotKeyPhase, byOrder: HotKeyPhase): Verdict[] {
  const hot = hottest(byCustomer);
  const even = hottest(byOrder);
  const phases = [byCustomer, byOrder];
  return [
    verdict(
      'keyed by customer, the whale pins one partition: it falls behind while the others keep up',
      hot.peak >= 20 && hot.peak >= 4 * Math.max(1, hot.othersPeak) && byCustomer.whalePartitions === 1,
      `partition ${hot.index} peaked at ${hot.peak} messages, the others at ${hot.othersPeak} at most; ` +
        `the whale's events went to ${byCustomer.whalePartitions} partition(s)`,
    ),
    verdict(
      'keyed by order, the load spreads evenly',
      even.peak * 3 <= hot.peak && even.peak <= 2 * mean(byOrder.peaks) + 5,
      `peaks ${byOrder.peaks.join(', ')} (mean ${round(mean(byOrder.peaks), 1)}), ` +
        `against ${hot.peak} for the whale's partition when keyed by customer`,
    ),
    verdict(
      "every order's events are handled in order, whatever the key",
      phases.every((p) => p.orderInversions === 0),
      phases.map((p) => `keyed by ${p.key}: ${p.orderInversions} orders ended before they began`).join('; '),
    ),
    verdict(
      '1 every accepted order is CONFIRMED or CANCELLED',
      phases.every((p) => p.accepted > 0 && p.pending === 0 && p.missing === 0),
      phases
        .map((p) => `keyed by ${p.key}: ${p.accepted} accepted, ${p.pending} pending, ${p.missing} missing`)
        .join('; '),
    ),
    verdict(
      '2 at most one successful charge per order',
      phases.every((p) => p.doubleCharged === 0),
      phases.map((p) => `keyed by ${p.key}: ${p.doubleCharged} orders charged twice or more`).join('; '),
    ),
  ];
}

const share = (part: number, all: number) => `${round((100 * part) / Math.max(1, all), 1)} %`;

/** hotKeyFindings states what each key did to the partitions' lag, and what re-keying cost, from the phases alone. */
export function hotKeyFindings(byCustomer: HotKeyPhase, byOrder: HotKeyPhase, settings: HotKeySettings): string[] {
  const hot = hottest(byCustomer);
  const total = (phase: HotKeyPhase) => phase.handledByPartition.reduce((sum, n) => sum + n, 0);
  const capacity = round(1000 / settings.workMs, 1);
  const customerTotal = total(byCustomer);
  const orderTotal = total(byOrder);
  const hotEvents = byCustomer.handledByPartition[hot.index] ?? 0;
  return [
    `Keyed by customer, partition ${hot.index} took ${share(hotEvents, customerTotal)} of the events (the whale's ${share(settings.whaleShare * 100, 100)} of the orders, and its share of everyone else's): ` +
      `${round(hotEvents / (byCustomer.loadMs / 1000), 1)} a second arrived while the load lasted, against the ${capacity} a second one partition handles; ` +
      `its backlog peaked at ${hot.peak} messages while the other partitions peaked at ${hot.othersPeak}, and it drained ${round(byCustomer.drainMs / 1000, 1)} s after the load stopped.`,
    `Keyed by order, the partitions took ${byOrder.handledByPartition.map((n) => share(n, orderTotal)).join(', ')} of the events, ` +
      `peaked at ${Math.max(...byOrder.peaks)} messages at most and drained ${round(byOrder.drainMs / 1000, 1)} s after the load stopped: ` +
      `the same work, spread, keeps up where one partition could not.`,
    `What re-keying cost: the whale's events went to ${byOrder.whalePartitions} partitions instead of 1, so its orders are handled side by side, not in the order placed: ` +
      `${byOrder.whaleReorderings} of its ${byOrder.whaleOrders} orders were handled before one it placed earlier (${byCustomer.whaleReorderings} of ${byCustomer.whaleOrders} keyed by customer). ` +
      `Each order's own events kept their order (${byOrder.orderInversions} inversions). Per-customer order is what was given up, and no consumer relies on it (docs/architecture.md, "Ordering"); ` +
      `a consumer that did would need the whale split (its orders salted over sub-keys) and its per-customer view rebuilt from them.`,
  ];
}

/** everySecond keeps the first sample of each second. */
function everySecond(samples: HotKeyPhase['samples']): HotKeyPhase['samples'] {
  return samples.filter((s, i) => i === 0 || Math.floor(s.atMs / 1000) > Math.floor(samples[i - 1]!.atMs / 1000));
}

/** renderHotKey writes the report: verdicts, findings, and each phase's partitions over time. */
export function renderHotKey(result: HotKeyResult): string {
  const { settings } = result;
  const lines = [
    `# hot-key: one whale customer, partitions keyed by customer then by order, ${result.passed ? 'PASS' : 'FAIL'}`,
    '',
    `${result.startedAt}. ${settings.ratePerSecond} orders/s for ${settings.seconds} s in each phase, ${share(settings.whaleShare * 100, 100)} of them from one customer (\`${whale}\`), ` +
      `the rest from a customer each. A per-key consumer takes ${routedEvents.join(', ')} through a consistent-hash exchange into ${settings.partitions} quorum queues ` +
      `(single active consumer, one event at a time, ${settings.workMs} ms of work each: at most ${round(1000 / settings.workMs, 1)} events a second per partition). ` +
      'The whole pipeline runs underneath, and its ledgers are judged too.',
    '',
    '| verdict | invariant | evidence |',
    '|---|---|---|',
    ...result.verdicts.map((v) => `| ${v.verdict} | ${v.invariant} | ${v.evidence} |`),
    '',
    '## Findings',
    '',
    ...result.findings.map((finding) => `- ${finding}`),
    '',
    '![ready messages per partition](partitions.svg)',
  ];
  for (const phase of result.phases) {
    lines.push(
      '',
      `## Keyed by ${phase.key} (\`${keyHeaders[phase.key]}\`)`,
      '',
      `| partition | events handled | peak ready messages |`,
      '|---|---:|---:|',
      ...phase.peaks.map((peak, i) => `| p${i} | ${phase.handledByPartition[i] ?? 0} | ${peak} |`),
      '',
      'Ready messages per partition, every second from the start of the load:',
      '',
      `| s | ${phase.peaks.map((_, i) => `p${i}`).join(' | ')} |`,
      `|---:|${phase.peaks.map(() => '---:').join('|')}|`,
      ...everySecond(phase.samples).map((s) => `| ${round(s.atMs / 1000, 1)} | ${s.depths.join(' | ')} |`),
    );
  }
  return `${lines.join('\n')}\n`;
}

function partitionsChart(phases: readonly HotKeyPhase[]): TopLevelSpec {
  const values = phases.flatMap((phase) =>
    phase.samples.flatMap((s) =>
      s.depths.map((depth, i) => ({ key: `keyed by ${phase.key}`, s: s.atMs / 1000, partition: `p${i}`, depth })),
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Ready messages per partition',
    data: { values },
    facet: { row: { field: 'key', type: 'nominal', title: null } },
    spec: {
      width: 560,
      height: 160,
      mark: 'line',
      encoding: {
        x: { field: 's', type: 'quantitative', title: 's from the start of the load' },
        y: { field: 'depth', type: 'quantitative', title: 'ready messages' },
        color: { field: 'partition', type: 'nominal' },
      },
    },
  };
}

/** PerKeyConsumer takes a route's partitions one event at a time, as a consumer needing per-key order would. */
class PerKeyConsumer {
  readonly handled: Handled[] = [];
  private constructor(
    private readonly channels: Channel[],
    private readonly probe: Channel,
    private readonly queues: string[],
  ) {}

  static async start(connection: ChannelModel, route: PartitionedRoute, workMs: number) {
    const queues = partitionQueueNames(route);
    const channels = await Promise.all(queues.map(() => connection.createChannel()));
    const consumer = new PerKeyConsumer(channels, await connection.createChannel(), queues);
    for (const [partition, queue] of queues.entries()) {
      const channel = channels[partition]!;
      await channel.prefetch(1);
      await channel.consume(queue, (message) => {
        if (message) void consumer.handle(channel, partition, message, workMs);
      });
    }
    return consumer;
  }

  private async handle(channel: Channel, partition: number, message: ConsumeMessage, workMs: number) {
    const envelope = JSON.parse(message.content.toString()) as { type: string; orderId: string; occurredAt: string };
    const customerId = String(message.properties.headers?.[keyHeaders.customer] ?? '');
    await sleep(workMs);
    this.handled.push({
      partition,
      type: envelope.type,
      orderId: envelope.orderId,
      customerId,
      occurredAt: envelope.occurredAt,
    });
    channel.ack(message);
  }

  /** depths reads each partition's ready messages from the broker now. */
  async depths(): Promise<number[]> {
    return Promise.all(this.queues.map(async (queue) => (await this.probe.checkQueue(queue)).messageCount));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.channels, this.probe].map((channel) => channel.close().catch(() => undefined)));
  }
}

/** inversions counts what the handled events say about order: per order, and among the whale's orders. */
function orderings(handled: readonly Handled[]) {
  const placedAt = new Map<string, number>();
  let orderInversions = 0;
  handled.forEach((event, i) => {
    if (event.type === 'order.placed') placedAt.set(event.orderId, i);
  });
  handled.forEach((event, i) => {
    if (event.type !== 'order.placed' && !(i > (placedAt.get(event.orderId) ?? Number.POSITIVE_INFINITY)))
      orderInversions += 1;
  });
  const whalePlaced = handled.filter((e) => e.type === 'order.placed' && e.customerId === whale);
  let latest = '';
  let whaleReorderings = 0;
  for (const event of whalePlaced) {
    if (event.occurredAt < latest) whaleReorderings += 1;
    else latest = event.occurredAt;
  }
  const whalePartitions = new Set(handled.filter((e) => e.customerId === whale).map((e) => e.partition)).size;
  return { orderInversions, whaleReorderings, whaleOrders: whalePlaced.length, whalePartitions };
}

async function runPhase(
  stack: BenchStack,
  connection: ChannelModel,
  key: PartitionKey,
  settings: HotKeySettings,
  say: (line: string) => void,
): Promise<HotKeyPhase> {
  const route: PartitionedRoute = {
    name: `drill.hot-key.by-${key}`,
    partitions: settings.partitions,
    key,
    bindings: routedEvents,
  };
  const admin = await connection.createChannel();
  await declarePartitionedRoute(admin, route);
  const consumer = await PerKeyConsumer.start(connection, route, settings.workMs);
  const samples: HotKeyPhase['samples'] = [];
  const started = Date.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({ atMs: Date.now() - started, depths: await consumer.depths() });
      await sleep(250);
    }
  })();
  try {
    say(
      `keyed by ${key}: ${settings.ratePerSecond} orders/s for ${settings.seconds} s, ${settings.whaleShare * 100} % from one customer`,
    );
    const load = await placeOrders(stack.apiUrl, {
      count: settings.ratePerSecond * settings.seconds,
      ratePerSecond: settings.ratePerSecond,
      customerOf: (i) => (i % Math.round(1 / settings.whaleShare) === 0 ? whale : `customer-${key}-${i}`),
    });
    const loadMs = Date.now() - started;
    const deadline = Date.now() + 180_000;
    const expected = () => consumer.handled.length >= 2 * load.accepted.length;
    while (Date.now() < deadline) {
      const last = samples.at(-1);
      if (expected() && last && last.depths.every((d) => d === 0)) break;
      await sleep(250);
    }
    const drainMs = Date.now() - started - loadMs;
    // The pipeline settles before the per-key consumer has drained; the ledgers are read once both are done.
    const pending = await pendingCount(stack.pool, load.accepted);
    const ledgers = await readLedgers(stack.pool, load.accepted);
    const found = new Set(ledgers.orders.map((o) => o.id));
    const charges = new Map<string, number>();
    for (const charge of ledgers.charges.filter((c) => c.status === 'captured' || c.status === 'refunded'))
      charges.set(charge.orderId, (charges.get(charge.orderId) ?? 0) + 1);
    const peaks = Array.from({ length: settings.partitions }, (_, i) =>
      Math.max(0, ...samples.map((s) => s.depths[i] ?? 0)),
    );
    const handledByPartition = Array.from(
      { length: settings.partitions },
      (_, i) => consumer.handled.filter((e) => e.partition === i).length,
    );
    const phase: HotKeyPhase = {
      key,
      samples,
      peaks,
      handledByPartition,
      ...orderings(consumer.handled),
      loadMs,
      drainMs,
      accepted: load.accepted.length,
      pending,
      missing: load.accepted.filter((id) => !found.has(id)).length,
      doubleCharged: [...charges.values()].filter((n) => n > 1).length,
    };
    say(`keyed by ${key}: peaks ${peaks.join(', ')}; drained ${round(drainMs / 1000, 1)} s after the load`);
    return phase;
  } finally {
    sampling = false;
    await sampler.catch(() => undefined);
    await consumer.stop();
    await deletePartitionedRoute(admin, route).catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
}

/**
 * runHotKey runs the pipeline on a database and vhost of its own and, beside it, a consumer that
 * needs per-key order: first keyed by customer, with one whale customer placing half the orders,
 * then keyed by order, under the same load.
 */
export async function runHotKey(options: {
  root: string;
  endpoints: ServerEndpoints;
  outDir: string;
  settings: HotKeySettings;
  say: (line: string) => void;
}): Promise<HotKeyResult> {
  const { settings, say } = options;
  mkdirSync(options.outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const stack = await createBenchStack({
    root: options.root,
    endpoints: options.endpoints,
    logDir: join(options.outDir, 'logs'),
    // The whale is a customer, not an abuser: the api's per-customer rate limit is not what is drilled.
    everyApp: { LOG_LEVEL: 'warn', ORDERS_RATE_LIMIT: '1000000' },
    consumers: {},
    placement: 'apart',
    backgroundNice: DEFAULT_BACKGROUND_NICE,
    say,
  });
  const connection = await connectAny(stack.amqpUrl);
  try {
    await setGatewayFaults(stack.gatewayUrl, { latencyMs: 0 });
    const byCustomer = await runPhase(stack, connection, 'customer', settings, say);
    const byOrder = await runPhase(stack, connection, 'order', settings, say);
    const verdicts = hotKeyVerdicts(byCustomer, byOrder);
    const result: HotKeyResult = {
      startedAt,
      settings,
      phases: [byCustomer, byOrder],
      verdicts,
      findings: hotKeyFindings(byCustomer, byOrder, settings),
      passed: verdicts.every((v) => v.verdict === 'PASS'),
    };
    writeFileSync(join(options.outDir, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'report.md'), renderHotKey(result));
    writeFileSync(join(options.outDir, 'partitions.svg'), await renderSvg(partitionsChart(result.phases)));
    return result;
  } finally {
    await connection.close().catch(() => undefined);
    await stack.close();
  }
}
