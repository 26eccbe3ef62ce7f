import type { AppName } from '../apps.js';
import type { DrillEnvironment } from './environment.js';
import { setGatewayFaults } from '../gateway-faults.js';
import { injectPoison, poisonCount, poisonQueues } from './faults.js';

export interface DrillSize {
  orders: number;
  ratePerSecond: number;
  /** How long a timed fault lasts. */
  faultMs: number;
}

export const drillSizes = {
  short: { orders: 40, ratePerSecond: 20, faultMs: 3_000 },
  full: { orders: 300, ratePerSecond: 30, faultMs: 20_000 },
} as const satisfies Record<string, DrillSize>;

export interface FaultContext {
  env: DrillEnvironment;
  size: DrillSize;
  say: (line: string) => void;
  /** Breaks or mends the shared servers (scripts/infra.sh). */
  infra: (command: 'broker-stop' | 'broker-start' | 'pg-restart') => Promise<void>;
  /** Ids of poison messages injected on purpose: the judge expects them in a DLQ. */
  poison: string[];
}

/** Mends what the fault broke; resolves once the fault is gone. */
export type Heal = () => Promise<void>;

export interface Drill {
  name: string;
  /** The fault, in a sentence. */
  fault: string;
  /** The invariant it puts to the test. */
  targets: string;
  replicas?: Partial<Record<AppName, number>>;
  env?: Partial<Record<AppName, Record<string, string>>>;
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
  expectPoison?: boolean;
}

const consumers: AppName[] = ['payment', 'inventory', 'saga', 'notification'];

/** disarm restarts every replica of an app without its failpoints. */
async function disarm(env: DrillEnvironment, app: AppName): Promise<void> {
  for (const id of env.supervisor.ids().filter((i) => i.startsWith(`${app}-`))) {
    await env.supervisor.replace(id, { SURETY_FAILPOINTS: '' });
  }
}

function every(intervalMs: number, action: () => void): Heal {
  const timer = setInterval(action, intervalMs);
  return async () => clearInterval(timer);
}

/** Every drill: its fault, the invariant it targets, and how the fault is made and mended. */
export const drills: Drill[] = [
  {
    name: 'payment-crash-before-commit',
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
  {
    name: 'relay-crash-after-publish',
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
  {
    name: 'crash-cdc-relay',
    fault:
      'the CDC relays (two, one reading the slot) are killed (SIGKILL) at random moments, one every 0.5 to 2 s, while the load runs',
    targets:
      '4 and 5: what a dead relay read and had not confirmed to the slot is read again by the next, and the inboxes absorb the repeats; nothing is lost',
    replicas: { relay: 2 },
    // Every event goes through the WAL: writers leave theirs to the relay.
    everyApp: { RELAY_MODE: 'cdc', OUTBOX_DISPATCH: 'relay' },
    inject: async ({ env, say }) => {
      let timer: NodeJS.Timeout | undefined;
      const killLater = () => {
        timer = setTimeout(
          () => {
            const relays = env.supervisor.ids().filter((id) => id.startsWith('relay-'));
            const victim = relays[Math.floor(Math.random() * relays.length)];
            if (victim && env.supervisor.signal(victim, 'SIGKILL')) say(`  killed ${victim}`);
            killLater();
          },
          500 + Math.random() * 1_500,
        );
      };
      killLater();
      return async () => clearTimeout(timer);
    },
  },
  {
    name: 'writer-crash-after-publish',
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
  {
    name: 'consumer-kill-under-load',
    fault: 'kill -9 a random consumer replica every second while the load runs',
    targets: '1, 2 and 5: redeliveries are deduped, every order settles',
    replicas: { payment: 2, inventory: 2, saga: 2, notification: 2 },
    inject: async ({ env, say }) =>
      every(1_000, () => {
        const candidates = env.supervisor.ids().filter((id) => consumers.some((c) => id.startsWith(`${c}-`)));
        const victim = candidates[Math.floor(Math.random() * candidates.length)];
        if (victim && env.supervisor.signal(victim, 'SIGKILL')) say(`  killed ${victim}`);
      }),
  },
  {
    name: 'broker-restart',
    fault: 'RabbitMQ stopped (stop_app) for the fault time under load, then started',
    targets: '1 and 5: the outbox holds events while the broker is away; consumers and relay reconnect',
    inject: async ({ infra }) => {
      await infra('broker-stop');
      return () => infra('broker-start');
    },
  },
  {
    name: 'postgres-restart',
    fault: 'PostgreSQL restarted under load',
    targets: '1, 2 and 5: the api answers 503 and loses nothing; consumers retry; the relay resumes',
    everyApp: { RETRY_DELAYS_MS: '1000,2000,5000', RETRY_BUDGET: '10' },
    inject: async ({ infra }) => {
      await infra('pg-restart');
      return async () => undefined;
    },
  },
  {
    name: 'gateway-outage',
    fault: 'the gateway answers 503 to everything for the fault time, then recovers',
    targets: '1 and 2: the circuit opens, messages wait in the delay tiers, every order completes after',
    inject: async ({ env }) => {
      await setGatewayFaults(env.gatewayUrl, { failureRate: 1 });
      return () => setGatewayFaults(env.gatewayUrl, { failureRate: 0 });
    },
  },
  {
    name: 'gateway-slow',
    fault: 'the gateway adds 2 s to every request for the fault time',
    targets: '1: queue depth grows and drains; the request path stays fast',
    inject: async ({ env }) => {
      await setGatewayFaults(env.gatewayUrl, { latencyMs: 2_000 });
      return () => setGatewayFaults(env.gatewayUrl, { latencyMs: 0 });
    },
  },
  {
    name: 'poison-message',
    fault: 'malformed and undecodable messages injected into payment.orders and saga.results amid the load',
    targets: '6: each in its DLQ after one attempt; the rest keeps flowing',
    expectPoison: true,
    inject: async ({ env, size, poison }) => {
      for (const queue of poisonQueues) poison.push(...(await injectPoison(env.amqpUrl, queue, poisonCount(size))));
      return async () => undefined;
    },
  },
  {
    name: 'duplicate-storm',
    fault: 'the relay publishes every event twice',
    targets: '2 and 4: every consumer absorbs the copies; one effect each',
    env: { relay: { RELAY_PUBLISH_TWICE: 'true' } },
    // Writers leave every event to the relay, so that every event is doubled.
    everyApp: { OUTBOX_DISPATCH: 'relay' },
    healWithLoad: true,
    inject:
      async ({ env }) =>
      async () =>
        env.supervisor.replace('relay-1', { RELAY_PUBLISH_TWICE: 'false' }),
  },
  {
    name: 'consumer-freeze',
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
];
