import { setTimeout as sleep } from 'node:timers/promises';
import type { AppName, ConsumerPlacement, ProcessApp } from '../apps.js';
import type { DrillEnvironment } from './environment.js';
import { setGatewayFaults } from '../gateway-faults.js';
import { injectPoison, poisonCount, poisonQueues, startDuplicateStorm } from './faults.js';
import type { Verdict } from './judge.js';
import { alertFiring, fillWal, limitSlotWal, sampleSlot, stallVerdict, type SlotSample } from './slot-stall.js';

export interface DrillSize {
  orders: number;
  ratePerSecond: number;
  /** How long a timed fault lasts. */
  faultMs: number;
  /** The max_slot_wal_keep_size the replication-slot drills set for their run. */
  slotWalLimitMiB: number;
}

export const drillSizes = {
  short: { orders: 40, ratePerSecond: 20, faultMs: 3_000, slotWalLimitMiB: 64 },
  full: { orders: 300, ratePerSecond: 30, faultMs: 20_000, slotWalLimitMiB: 256 },
} as const satisfies Record<string, DrillSize>;

export interface FaultContext {
  env: DrillEnvironment;
  size: DrillSize;
  say: (line: string) => void;
  /** Breaks or mends the shared servers (scripts/infra.sh). */
  infra: (command: 'broker-stop' | 'broker-start' | 'pg-restart') => Promise<void>;
  /** Ids of poison messages injected on purpose: the judge expects them in a DLQ. */
  poison: string[];
  /** Starts the local Prometheus when it is not running, and answers with its URL. */
  prometheus: () => Promise<string>;
  /** scripts/cluster.sh, when the drill runs on the local cluster (three RabbitMQ nodes, a Postgres primary and standby). */
  cluster?: ClusterControl;
  /** Where a broker node's fault falls: the leader of payment.orders (the default), or the node the relay publishes through. */
  brokerTarget?: 'leader' | 'relay';
}

/** Runs a scripts/cluster.sh command, on a node when it names one, and answers its output. */
export type ClusterControl = (command: ClusterCommand, node?: number) => Promise<string>;
export type ClusterCommand =
  | 'up'
  | 'kill'
  | 'partition'
  | 'heal'
  | 'pause'
  | 'resume'
  | 'restart'
  | 'rejoin'
  | 'pg-primary'
  | 'pg-kill'
  | 'pg-promote'
  | 'pg-rejoin';

function onCluster(context: FaultContext): ClusterControl {
  if (!context.cluster) throw new Error('this drill runs on the local cluster only: make drill NAME=<drill> CLUSTER=3');
  return context.cluster;
}

/** leaderOf answers the node that leads payment.orders, the busiest queue: every placed order goes through it. */
async function leaderOf(context: FaultContext): Promise<number> {
  const queue = await context.env.management(
    `/queues/${encodeURIComponent(context.env.vhost)}/${encodeURIComponent('payment.orders')}`,
  );
  return nodeNumberOf(((await queue.json()) as { leader?: string }).leader);
}

/**
 * relayNodeOf answers the node the relay's connection is on (its connection is named `relay <pid>`);
 * the management API lists a connection once its first statistics are in, up to 5 s after it opened.
 */
async function relayNodeOf(context: FaultContext): Promise<number> {
  for (const deadline = Date.now() + 15_000; ; await sleep(500)) {
    const response = await context.env.management(`/vhosts/${encodeURIComponent(context.env.vhost)}/connections`);
    const connections = (await response.json()) as { node: string; client_properties?: { connection_name?: string } }[];
    const relay = connections.find((c) => c.client_properties?.connection_name?.startsWith('relay '));
    if (relay) return nodeNumberOf(relay.node);
    if (Date.now() > deadline) throw new Error('no connection of the relay found on the broker in 15 s');
  }
}

/** targetOf answers the node a broker fault falls on, and what it is to the drill. */
async function targetOf(context: FaultContext): Promise<{ node: number; role: string }> {
  return context.brokerTarget === 'relay'
    ? { node: await relayNodeOf(context), role: 'the node the relay publishes through' }
    : { node: await leaderOf(context), role: 'the leader of payment.orders' };
}

/**
 * onLeaderFor does `fault` to the node leading payment.orders (in the contrast run, the node the
 * relay publishes through); the heal waits until the fault has
 * lasted `atLeastMs`, mends it and sees the node back in the cluster (restarting it when it does
 * not come back on its own), or starts it again when the fault was a kill.
 */
async function onLeaderFor(
  context: FaultContext,
  { fault, mend, atLeastMs = 0 }: { fault: ClusterCommand; mend?: ClusterCommand; atLeastMs?: number },
): Promise<Heal> {
  const cluster = onCluster(context);
  const { node, role } = await targetOf(context);
  context.say(`${fault}: node ${node}, ${role}`);
  await cluster(fault, node);
  const started = Date.now();
  return async () => {
    await sleep(Math.max(0, atLeastMs - (Date.now() - started)));
    if (!mend) {
      await cluster('up');
      return;
    }
    await cluster(mend, node);
    // A node cut off or frozen does not always come back on its own (docs/failure-semantics.md).
    await cluster('rejoin', node);
  };
}

/** failOverPostgres kills the primary and promotes its standby; the heal rewinds the old primary back in. */
async function failOverPostgres(context: FaultContext): Promise<Heal> {
  const cluster = onCluster(context);
  const primary = Number(await cluster('pg-primary'));
  const standby = primary === 1 ? 2 : 1;
  context.say(`killing Postgres node ${primary}, promoting node ${standby}`);
  await cluster('pg-kill', primary);
  await cluster('pg-promote', standby);
  return async () => {
    await cluster('pg-rejoin', primary);
  };
}

/** nodeNumberOf reads `rabbit@10.231.0.12` (scripts/cluster.sh's node names) as 2. */
export function nodeNumberOf(name: string | undefined): number {
  const node = Number(/^rabbit@10\.231\.0\.1(\d)$/.exec(name ?? '')?.[1]);
  if (!node) throw new Error(`not a node of the local cluster: ${name}`);
  return node;
}

/** What a fault saw, judged once the stack is quiet: verdicts beside the invariants'. */
export type Examination = () => Promise<Verdict[]>;

/** Mends what the fault broke; resolves once the fault is gone, with an examination when the fault has one. */
export type Heal = () => Promise<void | Examination>;

/**
 * Every drill's name. The catalogue below and the cluster mapping (kubernetes/mapping.ts) are
 * records keyed by it: the compiler refuses a drill missing from either.
 */
export const drillNames = [
  'payment-crash-before-commit',
  'relay-crash-after-publish',
  'crash-cdc-relay',
  'cdc-stall',
  'cdc-slot-invalidated',
  'writer-crash-after-publish',
  'consumer-kill-under-load',
  'consumer-host-kill-under-load',
  'broker-restart',
  'postgres-restart',
  'gateway-outage',
  'gateway-slow',
  'poison-message',
  'duplicate-storm',
  'consumer-freeze',
  'quorum-leader-kill',
  'broker-leader-partition',
  'broker-node-pause',
  'broker-rolling-restart',
  'postgres-failover',
  'broker-and-db',
] as const;
export type DrillName = (typeof drillNames)[number];

export interface Drill {
  name: DrillName;
  /** The fault, in a sentence. */
  fault: string;
  /** The invariant it puts to the test. */
  targets: string;
  replicas?: Partial<Record<ProcessApp, number>>;
  env?: Partial<Record<ProcessApp, Record<string, string>>>;
  /** Where the consumers run: apart (a process each, as on a cluster) unless together is said. */
  placement?: ConsumerPlacement;
  /** Settings for every app. */
  everyApp?: Record<string, string>;
  /** An AMQP heartbeat shorter than the default 60 s, so the broker notices a frozen process. */
  heartbeatSeconds?: number;
  /**
   * Starts the fault locally as the load starts; the returned heal runs once both the load and the
   * fault's time are over. On a cluster, kubernetes/mapping.ts says how the same fault is caused.
   */
  inject?: (context: FaultContext) => Promise<Heal>;
  /** Heal as soon as the load is placed, not after the fault's time. */
  healWithLoad?: boolean;
  /** Start the load only once the fault is in place, not beside it. */
  faultBeforeLoad?: boolean;
  /** Runs on the local cluster only (scripts/cluster.sh), where a broker node or the database primary can die alone. */
  needsCluster?: boolean;
  /** Why the drill runs locally only, when it does. */
  localOnly?: string;
  expectPoison?: boolean;
}

const consumers: AppName[] = ['payment', 'inventory', 'saga', 'notification'];

/** Every event goes through the WAL: the relays read it, writers leave theirs to them. */
const cdc = { RELAY_MODE: 'cdc', OUTBOX_DISPATCH: 'relay' };

const MiB = 1024 ** 2;

/** disarm restarts every replica of an app without its failpoints. */
async function disarm(env: DrillEnvironment, app: AppName): Promise<void> {
  for (const id of env.supervisor.ids().filter((i) => i.startsWith(`${app}-`))) {
    await env.supervisor.replace(id, { SURETY_FAILPOINTS: '' });
  }
}

/** killOneOf sends SIGKILL to one running process, picked at random among those `matches` takes. */
function killOneOf(env: DrillEnvironment, say: (line: string) => void, matches: (id: string) => boolean): void {
  const candidates = env.supervisor.ids().filter(matches);
  const victim = candidates[Math.floor(Math.random() * candidates.length)];
  if (victim && env.supervisor.signal(victim, 'SIGKILL')) say(`  killed ${victim}`);
}

function every(intervalMs: number, action: () => void): Heal {
  const timer = setInterval(action, intervalMs);
  return async () => clearInterval(timer);
}

/** Every drill by name: its fault, the invariant it targets, and how the fault is made and mended. */
const catalogue: Record<DrillName, Omit<Drill, 'name'>> = {
  'payment-crash-before-commit': {
    fault: 'payment dies (SIGKILL) after the gateway charged, before its commit, on 10 % of charges',
    targets: '2: the gateway log shows repeated requests, yet at most one charge per order',
    replicas: { payment: 2 },
    env: { payment: { SURETY_FAILPOINTS: 'payment.after-charge-before-commit=crash:0.1' } },
    healWithLoad: true,
    inject:
      async ({ env }) =>
      () =>
        disarm(env, 'payment'),
  },
  'relay-crash-after-publish': {
    fault: 'the relay dies after the broker confirmed a batch, before marking it, on 20 % of batches',
    targets: '4 and 5: re-published events are absorbed by the inboxes; nothing is lost',
    // The dead relay's transaction ends with its connection: its batch is pending again at once.
    env: { relay: { SURETY_FAILPOINTS: 'relay.after-publish-before-mark=crash:0.2' } },
    // Writers leave every event to the relay, as they do when they cannot publish it themselves.
    everyApp: { OUTBOX_DISPATCH: 'relay' },
    healWithLoad: true,
    inject:
      async ({ env }) =>
      () =>
        disarm(env, 'relay'),
  },
  'crash-cdc-relay': {
    fault:
      'the CDC relays (two, one reading the slot) are killed (SIGKILL) at random moments, one every 0.5 to 2 s, while the load runs',
    targets:
      '4 and 5: what a dead relay read and had not confirmed to the slot is read again by the next, and the inboxes absorb the repeats; nothing is lost',
    replicas: { relay: 2 },
    // Every event goes through the WAL: writers leave theirs to the relay.
    everyApp: cdc,
    inject: async ({ env, say }) => {
      let timer: NodeJS.Timeout | undefined;
      const killLater = () => {
        timer = setTimeout(
          () => {
            killOneOf(env, say, (id) => id.startsWith('relay-'));
            killLater();
          },
          500 + Math.random() * 1_500,
        );
      };
      killLater();
      return async () => clearTimeout(timer);
    },
  },
  'cdc-stall': {
    fault:
      'the CDC relay is frozen (SIGSTOP) while orders flow and other writes fill the WAL, until the slot-lag alert fires in the live Prometheus, then thawed (SIGCONT); max_slot_wal_keep_size is the drill size’s',
    targets:
      '1 and 5, and the alarm: SuretyReplicationSlotLagHigh fires before the slot holds max_slot_wal_keep_size; thawed, the relay publishes everything it held back',
    everyApp: cdc,
    inject: async ({ env, size, say, prometheus }) => {
      const prometheusUrl = await prometheus();
      const limit = size.slotWalLimitMiB * MiB;
      const restore = await limitSlotWal(env.pool, limit);
      const since = Date.now();
      env.supervisor.signal('relay-1', 'SIGSTOP');
      say(`  froze relay-1; filling the WAL toward the ${size.slotWalLimitMiB} MiB limit`);
      // Half the limit in about 80 s, with the orders' own WAL: the alert's 30 s of `for`, and
      // Prometheus' scrape and evaluation, then end at about three quarters.
      const stopFilling = fillWal(env.pool, limit / 160);
      const samples: SlotSample[] = [];
      const watching = (async () => {
        for (;;) {
          const sample = await sampleSlot(env.pool, env.name, since);
          if (sample) samples.push(sample);
          if (sample && (await alertFiring(prometheusUrl, 'SuretyReplicationSlotLagHigh', env.name))) return sample;
          // Past 95 % of the limit, or lost, the alarm came too late: stop before the primary's disk is at stake.
          if (!sample || sample.walStatus === 'lost' || sample.lagBytes > 0.95 * limit) return undefined;
          if (Date.now() - since > 300_000) return undefined;
          await sleep(2_000);
        }
      })();
      return async () => {
        let firedAt: SlotSample | undefined;
        try {
          firedAt = await watching;
          say(firedAt ? `  the alert fired at ${Math.round(firedAt.atSeconds)} s` : '  the alert did not fire in time');
        } finally {
          await stopFilling();
          env.supervisor.signal('relay-1', 'SIGCONT');
          say('  thawed relay-1');
          await restore();
        }
        return async () => [stallVerdict(samples, firedAt, limit)];
      };
    },
  },
  'cdc-slot-invalidated': {
    fault:
      'the CDC relay is frozen (SIGSTOP) while other writes fill the WAL past a small max_slot_wal_keep_size, until Postgres invalidates its slot at a checkpoint; then thawed',
    targets:
      '1, 2, 4 and 5, and the recovery: the primary stays healthy, the relay re-creates the slot and publishes the outbox’s backlog from the table; every order settles once',
    everyApp: cdc,
    inject: async ({ env, size, say }) => {
      const limit = (size.slotWalLimitMiB / 2) * MiB;
      const restore = await limitSlotWal(env.pool, limit);
      const since = Date.now();
      env.supervisor.signal('relay-1', 'SIGSTOP');
      say(`  froze relay-1; filling the WAL past the ${limit / MiB} MiB limit`);
      const stopFilling = fillWal(env.pool, limit / 5);
      const samples: SlotSample[] = [];
      const invalidating = (async () => {
        while (Date.now() - since < 180_000) {
          const sample = await sampleSlot(env.pool, env.name, since);
          if (sample) samples.push(sample);
          if (sample?.walStatus === 'lost') return sample;
          // Postgres invalidates slots at a checkpoint.
          if (sample && sample.lagBytes > limit) await env.pool.query('CHECKPOINT');
          await sleep(1_000);
        }
        return undefined;
      })();
      return async () => {
        let lostAt: SlotSample | undefined;
        try {
          lostAt = await invalidating;
          say(lostAt ? `  slot lost at ${Math.round(lostAt.atSeconds)} s` : '  the slot was not invalidated');
        } finally {
          await stopFilling();
          env.supervisor.signal('relay-1', 'SIGCONT');
          say('  thawed relay-1');
          await restore();
        }
        return async () => {
          const now = await sampleSlot(env.pool, env.name, since);
          const primary = await env.pool.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
          const healthy = primary.rows[0]?.recovery === false;
          const recreated = now !== undefined && now.walStatus !== 'lost';
          return [
            {
              invariant: 'slot invalidated, then re-created; primary healthy',
              verdict: lostAt && recreated && healthy ? 'PASS' : 'FAIL',
              evidence: `${lostAt ? `slot lost at ${Math.round(lostAt.atSeconds)} s, ${(lostAt.lagBytes / MiB).toFixed(0)} MiB behind under a ${limit / MiB} MiB limit` : 'slot never lost'}; now ${now ? `${now.walStatus}, ${(now.lagBytes / MiB).toFixed(1)} MiB behind` : 'missing'}; primary ${healthy ? 'answering, not in recovery' : 'NOT healthy'}`,
            },
          ];
        };
      };
    },
  },
  'writer-crash-after-publish': {
    fault:
      'payment and the saga die after the broker confirmed the events they published after their commit, before marking them, on 10 % of batches',
    targets: '4 and 5: the relay publishes the unmarked events again; the inboxes absorb them; nothing is lost',
    replicas: { payment: 2, saga: 2 },
    env: {
      payment: { SURETY_FAILPOINTS: 'outbox.after-publish-before-mark=crash:0.1' },
      saga: { SURETY_FAILPOINTS: 'outbox.after-publish-before-mark=crash:0.1' },
    },
    healWithLoad: true,
    inject:
      async ({ env }) =>
      async () => {
        await disarm(env, 'payment');
        await disarm(env, 'saga');
      },
  },
  'consumer-kill-under-load': {
    fault: 'kill -9 a random consumer replica every second while the load runs',
    targets: '1, 2 and 5: redeliveries are deduped, every order settles',
    replicas: { payment: 2, inventory: 2, saga: 2, notification: 2 },
    inject: async ({ env, say }) =>
      every(1_000, () => killOneOf(env, say, (id) => consumers.some((c) => id.startsWith(`${c}-`)))),
  },
  'consumer-host-kill-under-load': {
    fault:
      "kill -9 a random replica of the consumers' host, each running payment, inventory, saga and notification in one process, every second while the load runs",
    targets:
      '1, 2 and 5: four consumers die at once, mid-transaction or between commit and ack; redeliveries are deduped, every order settles',
    placement: 'together',
    replicas: { consumers: 2 },
    inject: async ({ env, say }) => every(1_000, () => killOneOf(env, say, (id) => id.startsWith('consumers-'))),
  },
  'broker-restart': {
    fault: 'RabbitMQ stopped (stop_app) for the fault time under load, then started',
    targets: '1 and 5: the outbox holds events while the broker is away; consumers and relay reconnect',
    inject: async ({ infra }) => {
      await infra('broker-stop');
      return () => infra('broker-start');
    },
  },
  'postgres-restart': {
    fault: 'PostgreSQL restarted under load',
    targets: '1, 2 and 5: the api answers 503 and loses nothing; consumers retry; the relay resumes',
    everyApp: { RETRY_DELAYS_MS: '1000,2000,5000', RETRY_BUDGET: '10' },
    inject: async ({ infra }) => {
      await infra('pg-restart');
      return async () => undefined;
    },
  },
  'gateway-outage': {
    fault: 'the gateway answers 503 to everything for the fault time, then recovers',
    targets: '1 and 2: the circuit opens, messages wait in the delay tiers, every order completes after',
    inject: async ({ env }) => {
      await setGatewayFaults(env.gatewayUrl, { failureRate: 1 });
      return () => setGatewayFaults(env.gatewayUrl, { failureRate: 0 });
    },
  },
  'gateway-slow': {
    fault: 'the gateway adds 2 s to every request for the fault time',
    targets: '1: queue depth grows and drains; the request path stays fast',
    inject: async ({ env }) => {
      await setGatewayFaults(env.gatewayUrl, { latencyMs: 2_000 });
      return () => setGatewayFaults(env.gatewayUrl, { latencyMs: 0 });
    },
  },
  'poison-message': {
    fault: 'malformed and undecodable messages injected into payment.orders and saga.results amid the load',
    targets: '6: each in its DLQ after one attempt; the rest keeps flowing',
    expectPoison: true,
    inject: async ({ env, size, poison }) => {
      for (const queue of poisonQueues) poison.push(...(await injectPoison(env.amqpUrl, queue, poisonCount(size))));
      return async () => undefined;
    },
  },
  'duplicate-storm': {
    fault:
      'every event is sent twice: a queue of the drill, bound to every event type, hands each back to the exchange',
    targets: '2 and 4: every consumer absorbs the copies; one effect each',
    healWithLoad: true,
    inject: async ({ env, say }) => {
      const storm = await startDuplicateStorm(env.amqpUrl);
      return async () => {
        // The load is placed: the copies of its last events are still to come.
        await sleep(2_000);
        await storm.stop();
        say(`  sent ${storm.copies()} events a second time`);
        return async () => [
          {
            invariant: 'events sent a second time',
            verdict: storm.copies() > 0 && !storm.failure() ? 'PASS' : 'FAIL',
            evidence: `${storm.copies()} copies sent${storm.failure() ? `; the storm broke: ${storm.failure()?.message}` : ''}`,
          },
        ];
      };
    },
  },
  'consumer-freeze': {
    fault: 'a payment replica is frozen (SIGSTOP) past the broker heartbeat, then thawed (SIGCONT)',
    targets: '2 and 5: its unacked messages go to the other replica; its late work is deduped',
    replicas: { payment: 2 },
    heartbeatSeconds: 2,
    inject: async ({ env, say }) => {
      env.supervisor.signal('payment-1', 'SIGSTOP');
      say('  froze payment-1');
      return async () => {
        env.supervisor.signal('payment-1', 'SIGCONT');
        say('  thawed payment-1');
      };
    },
  },
  'quorum-leader-kill': {
    fault:
      'kill -9 of the RabbitMQ node that leads payment.orders (the busiest queue), under load; started again after the fault time',
    targets: '1, 2 and 5: what the broker confirmed survives on the other two; every app reconnects to another node',
    needsCluster: true,
    // Started again by up.
    inject: (context) => onLeaderFor(context, { fault: 'kill' }),
  },
  'broker-leader-partition': {
    fault:
      'the RabbitMQ node that leads payment.orders cut off from the others and from the apps (its link down) for the fault time, at least 30 s, then healed',
    targets:
      '1, 2 and 5: the majority elects new leaders and serves; the apps see their connection go silent (5 s heartbeat) and move on',
    needsCluster: true,
    heartbeatSeconds: 5,
    // Long enough for the others to see it gone (net_ticktime 10 s) and for pause_minority to act.
    inject: (context) => onLeaderFor(context, { fault: 'partition', mend: 'heal', atLeastMs: 30_000 }),
  },
  'broker-node-pause': {
    fault:
      'the RabbitMQ node that leads payment.orders paused (SIGSTOP) past the apps’ 5 s heartbeat and the cluster’s 10 s tick, at least 20 s, then resumed',
    targets: '1, 2 and 5: a frozen node is a dead one to its peers and its clients; nothing it confirmed is lost',
    needsCluster: true,
    heartbeatSeconds: 5,
    inject: (context) => onLeaderFor(context, { fault: 'pause', mend: 'resume', atLeastMs: 20_000 }),
  },
  'broker-rolling-restart': {
    fault:
      'every RabbitMQ node restarted cleanly, one at a time, each back in the cluster before the next goes, as an upgrade does, under load',
    targets: '1, 2 and 5: quorum queues keep a majority throughout; every app follows the nodes that stay up',
    needsCluster: true,
    inject: async (context) => {
      const cluster = onCluster(context);
      const rolling = (async () => {
        for (const node of [1, 2, 3]) await cluster('restart', node);
      })();
      return async () => {
        await rolling;
      };
    },
  },
  'postgres-failover': {
    fault:
      'kill -9 of the Postgres primary under load, its synchronous standby promoted; the old primary rewound back in as a standby after the fault time',
    targets: '1, 2 and 5: nothing acknowledged is lost; every app finds the new primary without a restart',
    needsCluster: true,
    everyApp: { RETRY_DELAYS_MS: '1000,2000,5000', RETRY_BUDGET: '10' },
    inject: failOverPostgres,
  },
  'broker-and-db': {
    fault:
      'the RabbitMQ node that leads payment.orders and the Postgres primary both killed at once under load; the standby promoted, the node and the old primary back after the fault time',
    targets: '1, 2 and 5: the two recoveries overlap and still lose nothing',
    needsCluster: true,
    everyApp: { RETRY_DELAYS_MS: '1000,2000,5000', RETRY_BUDGET: '10' },
    inject: async (context) => {
      const cluster = onCluster(context);
      const { node, role } = await targetOf(context);
      context.say(`killing node ${node}, ${role}`);
      await cluster('kill', node);
      const healDatabase = await failOverPostgres(context);
      return async () => {
        await cluster('up');
        await healDatabase();
      };
    },
  },
};

/**
 * withCdcRelay is a drill run with the relays reading the WAL (RELAY_MODE=cdc, writers leaving
 * every event to them), so that the drills written for the polling relay judge the CDC relay too.
 */
export function withCdcRelay(drill: Drill): Drill {
  return {
    ...drill,
    fault: `${drill.fault}; the relays read the WAL (RELAY_MODE=cdc)`,
    everyApp: { ...drill.everyApp, ...cdc },
  };
}

/**
 * withRelaySkippingConfirms is the contrast run of a drill: the relay marks a row published once it
 * is written to the socket, not once the broker confirmed it (RELAY_CONFIRMS=skip); every event goes
 * through it; a broker node's fault falls on the node it publishes through; and the reconciler,
 * which republishes an order stuck for a minute, waits a day, so that the judge sees what the broker
 * lost rather than what was repaired; the orders are placed once the fault is in place. Across a
 * broker fault it must FAIL where the drill PASSes.
 */
export function withRelaySkippingConfirms(drill: Drill): Drill {
  const { inject } = drill;
  return {
    ...drill,
    fault: `${drill.fault}. CONTRAST: the relay does not wait for the broker's confirms, and the fault falls on the node it publishes through`,
    targets: 'the judge itself: it must find the events the broker never got, and FAIL',
    env: {
      ...drill.env,
      relay: { ...drill.env?.relay, RELAY_CONFIRMS: 'skip' },
      reconciler: { ...drill.env?.reconciler, RECONCILE_AFTER_MS: String(24 * 3600 * 1000) },
    },
    everyApp: { ...drill.everyApp, OUTBOX_DISPATCH: 'relay' },
    localOnly: 'the contrast run picks the node by the relay’s connection, which the cluster mapping does not',
    // The broker lists the relay's connection only with its first statistics, up to 5 s after it
    // opened and later on a busy machine: a short load started beside the fault would be through
    // before the fault fell, and the judge would have nothing to find.
    faultBeforeLoad: true,
    ...(inject ? { inject: (context: FaultContext) => inject({ ...context, brokerTarget: 'relay' }) } : {}),
  };
}

/** The drills whose fault falls on the relay's path, which both relay modes must pass. */
export const relayPathDrills: readonly DrillName[] = [
  'relay-crash-after-publish',
  'duplicate-storm',
  'broker-restart',
  'postgres-restart',
];

/** Every drill, in the catalogue's order. */
export const drills: Drill[] = drillNames.map((name) => ({ name, ...catalogue[name] }));
