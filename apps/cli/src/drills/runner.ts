import { setTimeout as sleep } from 'node:timers/promises';
import { Broker, DeadLetterBox } from '@surety/messaging';
import { createLogger } from '@surety/telemetry';
import type { DrillBackend, DrillTarget } from './backend.js';
import type { Drill, DrillSize, Heal } from './catalogue.js';
import type { ServerEndpoints } from '../isolated-resources.js';
import type { DrillStack } from './environment.js';
import { countUnpublished } from '@surety/db';
import { localBackend } from './local.js';
import {
  countPublishedThenLost,
  pendingCount,
  readLedgers,
  readMessageCounts,
  readStock,
  type Evidence,
} from './evidence.js';
import { ledgerOf, ledgerVerdicts, type Ledger } from './ledger.js';
import { judge, type Verdict } from './judge.js';
import { placeOrders } from './load.js';

export interface DrillReport {
  drill: string;
  target: DrillTarget;
  fault: string;
  targets: string;
  size: DrillSize;
  gatewayHonoursIdempotencyKeys: boolean;
  startedAt: string;
  ordersPlaced: number;
  deliberateClientRetries: number;
  refusedRequests: number;
  terminal: Record<string, number>;
  successfulCharges: number;
  chargeRequests: number;
  chargeRequestsReplayed: number;
  redeliveries: number;
  retries: number;
  deadLetters: number;
  maxQueueDepth: number;
  secondsToRecover: number | null;
  ledger: Ledger;
  verdicts: Verdict[];
  passed: boolean;
}

/** Where the drill runs: a backend, or the local one over these servers. */
export type RunOptions = RunSettings & ({ backend: DrillBackend } | { root: string; endpoints: ServerEndpoints });

interface RunSettings {
  size: DrillSize;
  say: (line: string) => void;
  /** The contrast run: a provider that ignores idempotency keys. */
  gatewayIgnoresKeys?: boolean;
  quiescenceTimeoutMs?: number;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** uuidsOf answers the dead letters' message ids that are event ids (poison may carry anything). */
function uuidsOf(letters: readonly { messageId: string }[]): string[] {
  return letters.map((letter) => letter.messageId).filter((id) => uuid.test(id));
}

/** waitForQuiescence waits until no order is pending, the outboxes are drained and the queues stay empty. */
async function waitForQuiescence(env: DrillStack, orderIds: string[], timeoutMs: number, say: (line: string) => void) {
  const deadline = Date.now() + timeoutMs;
  let quietSamples = 0;
  let lastReport = 0;
  while (Date.now() < deadline) {
    const [pending, unpublished, depths] = await Promise.all([
      pendingCount(env.pool, orderIds).catch(() => Infinity),
      countUnpublished(env.pool).catch(() => Infinity),
      env.queueDepths().catch(() => undefined),
    ]);
    const queued = depths
      ? Object.entries(depths)
          .filter(([n]) => !n.endsWith('.dlq'))
          .reduce((s, [, d]) => s + d, 0)
      : Infinity;
    const quiet = pending === 0 && unpublished === 0 && queued === 0;
    quietSamples = quiet ? quietSamples + 1 : 0;
    if (quietSamples >= 3) return true;
    if (Date.now() - lastReport > 5_000) {
      say(`  waiting: ${pending} pending, ${unpublished} unpublished, ${queued} queued`);
      lastReport = Date.now();
    }
    await sleep(500);
  }
  return false;
}

async function brokerStats(env: DrillStack) {
  const response = await env.management(`/queues/${encodeURIComponent(env.vhost)}`);
  const queues = (await response.json()) as {
    name: string;
    message_stats?: { redeliver?: number; publish?: number };
  }[];
  return {
    redeliveries: queues.reduce((sum, q) => sum + (q.message_stats?.redeliver ?? 0), 0),
    retries: queues
      .filter((q) => q.name.includes('.retry.'))
      .reduce((sum, q) => sum + (q.message_stats?.publish ?? 0), 0),
  };
}

/**
 * runDrill has the backend stand up or reach the stack, places orders at a set rate, injects the
 * drill's fault, mends it, waits for quiescence, then judges the invariants from evidence alone.
 */
export async function runDrill(drill: Drill, options: RunOptions): Promise<DrillReport> {
  const { say, size } = options;
  const backend = 'backend' in options ? options.backend : localBackend(options);
  const refusal = backend.refusal(drill);
  if (refusal) throw new Error(`${drill.name} cannot run on ${backend.target}: ${refusal}`);
  const startedAt = new Date().toISOString();
  say(`drill ${drill.name} (${backend.target}): ${drill.fault}`);
  const prepared = await backend.prepare(drill, { gatewayIgnoresKeys: options.gatewayIgnoresKeys === true, say });
  const env = prepared.stack;
  try {
    const stockBefore = await readStock(env.pool);
    let maxQueueDepth = 0;
    const sampler = setInterval(() => {
      env
        .queueDepths()
        .then((d) => {
          const depth = Object.entries(d)
            .filter(([n]) => !n.endsWith('.dlq'))
            .reduce((s, [, v]) => s + v, 0);
          maxQueueDepth = Math.max(maxQueueDepth, depth);
        })
        .catch(() => undefined);
    }, 500);

    const poison: string[] = [];
    const startLoad = () => {
      say(`  placing ${size.orders} orders at ${size.ratePerSecond}/s`);
      return placeOrders(env.apiUrl, {
        count: size.orders,
        ratePerSecond: size.ratePerSecond,
        onProgress: (placed) => {
          if (placed % Math.max(10, Math.round(size.orders / 5)) === 0) say(`  ${placed}/${size.orders} accepted`);
        },
      });
    };
    const load = drill.faultBeforeLoad ? undefined : startLoad();
    const faultStarted = Date.now();
    const heal: Heal = await prepared.inject({ size, say, poison });
    const placed = await (load ?? startLoad());
    if (!drill.healWithLoad) await sleep(Math.max(0, faultStarted + size.faultMs - Date.now()));
    const examine = await heal();
    const healedAt = Date.now();
    say(`  fault removed; waiting for quiescence`);
    const quiet = await waitForQuiescence(env, placed.accepted, options.quiescenceTimeoutMs ?? 180_000, say);
    const secondsToRecover = quiet ? (Date.now() - healedAt) / 1000 : null;
    clearInterval(sampler);

    const broker = await Broker.connect(env.amqpUrl, createLogger('drill', 'silent'));
    const deadLetters = await new DeadLetterBox(broker).list().finally(() => broker.close());
    const evidence: Evidence = {
      accepted: placed.accepted,
      ...(await readLedgers(env.pool, placed.accepted)),
      stockBefore,
      stockAfter: await readStock(env.pool),
      queueDepths: await env.queueDepths(),
      deadLetters,
      poisonInjected: poison,
    };
    // The management API publishes its counters every 5 s: wait for the last ones.
    await sleep(5_500);
    const stats = await brokerStats(env);
    const ledger = ledgerOf(
      evidence,
      {
        ...(await readMessageCounts(env.pool, placed.accepted)),
        publishedThenLost: await countPublishedThenLost(env.pool, placed.accepted, uuidsOf(deadLetters)),
        redeliveries: stats.redeliveries,
      },
      placed.refusedAtMs,
    );
    const verdicts = [...judge(evidence, { expectPoison: drill.expectPoison === true }), ...ledgerVerdicts(ledger)];
    if (examine) verdicts.push(...(await examine()));
    if (!quiet) verdicts.push({ invariant: 'quiescence', verdict: 'FAIL', evidence: 'not quiet before the timeout' });
    const terminal: Record<string, number> = {};
    for (const order of evidence.orders) terminal[order.status] = (terminal[order.status] ?? 0) + 1;
    return {
      drill: drill.name,
      target: backend.target,
      fault: drill.fault,
      targets: drill.targets,
      size,
      gatewayHonoursIdempotencyKeys: !options.gatewayIgnoresKeys,
      startedAt,
      ordersPlaced: placed.accepted.length,
      deliberateClientRetries: placed.deliberateRetries,
      refusedRequests: placed.refusals,
      terminal,
      successfulCharges: evidence.charges.filter((c) => c.status !== 'declined').length,
      chargeRequests: evidence.chargeRequests.reduce((s, r) => s + r.executed + r.replayed + r.faulted, 0),
      chargeRequestsReplayed: evidence.chargeRequests.reduce((s, r) => s + r.replayed, 0),
      redeliveries: stats.redeliveries,
      retries: stats.retries,
      deadLetters: deadLetters.length,
      maxQueueDepth,
      secondsToRecover,
      ledger,
      verdicts,
      passed: verdicts.every((v) => v.verdict === 'PASS'),
    };
  } finally {
    await env.close().catch((error: unknown) => say(`  cleanup failed: ${String(error)}`));
  }
}
