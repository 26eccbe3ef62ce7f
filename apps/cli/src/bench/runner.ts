import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { managementClient } from '@surety/messaging';
import { DEFAULT_BACKGROUND_NICE, type ConsumerPlacement } from '../apps.js';
import { Autoscaler, queueLengthReader, type ScalingSample } from '../autoscaling/autoscaler.js';
import { forOneMachine } from '../autoscaling/one-machine.js';
import { readScaledObjects } from '../autoscaling/scaled-objects.js';
import { measurePostgresCeiling, measureRabbitCeiling, type Ceilings } from './ceilings.js';
import { measureCostPhases, type CostPhases, type CostPhasesSizes } from './cost-run.js';
import { machineFacts, type MachineFacts } from './machine.js';
import { measureOutage, type OutageResult } from './outage.js';
import { costTracker } from './process-metrics.js';
import { measureScaleOut, type ScaleOutRow, type ScaleOutSizes } from './scale-out.js';
import { measureAutoscaledSpike, measureSpike, type SpikeResult, type SpikeSide } from './spike.js';
import { consumers, createBenchStack, everyConsumer, type BenchStack, type ConsumerSettings } from './stack.js';
import { setGatewayFaults } from '../gateway-faults.js';
import type { ServerEndpoints } from '../isolated-resources.js';

export interface BenchSizes {
  /** The cost phases, on one replica of each consumer at PREFETCH defaultPrefetch and the gateway at 0 ms. */
  cost: CostPhasesSizes;
  ceilingSeconds: number;
  ceilingRepetitions: number;
  scaleOut: ScaleOutSizes;
  spike: Record<string, string>;
  spikeSettleTimeoutMs: number;
  outage: {
    ratePerSecond: number;
    leadSeconds: number;
    outageSeconds: number;
    tailSeconds: number;
    settleTimeoutMs: number;
  };
}

export const fullSizes: BenchSizes = {
  // Up to 300 orders/s, the rate the cost targets ask for: a max sustained rate is judged only at a rate offered.
  cost: { rates: [100, 250, 300], seconds: 20, idleSeconds: 60, overloadFactor: 3, warmUpSeconds: 10 },
  ceilingSeconds: 5,
  ceilingRepetitions: 3,
  scaleOut: {
    replicaSteps: [1, 2, 4, 8],
    warmUpMs: 5_000,
    windowMs: 6_000,
    windows: 3,
    latencyRunMs: 8_000,
    latencyLoadShare: 0.6,
  },
  spike: { BASE_RATE: '10', SPIKE_RATE: '120', WARM: '10s', RISE: '5s', HOLD: '20s', COOL: '20s', MAX_VUS: '600' },
  spikeSettleTimeoutMs: 120_000,
  outage: { ratePerSecond: 15, leadSeconds: 10, outageSeconds: 30, tailSeconds: 10, settleTimeoutMs: 150_000 },
};

/** Tiny sizes: the harness end to end in a couple of minutes, numbers meaningless. */
export const smokeSizes: BenchSizes = {
  cost: { rates: [5], seconds: 2, idleSeconds: 2, overloadFactor: 2, warmUpSeconds: 1 },
  ceilingSeconds: 1,
  ceilingRepetitions: 1,
  scaleOut: {
    replicaSteps: [1, 2],
    warmUpMs: 1_000,
    windowMs: 2_000,
    windows: 1,
    latencyRunMs: 2_000,
    latencyLoadShare: 0.5,
  },
  spike: { BASE_RATE: '2', SPIKE_RATE: '10', WARM: '2s', RISE: '1s', HOLD: '3s', COOL: '2s', MAX_VUS: '50' },
  spikeSettleTimeoutMs: 60_000,
  outage: { ratePerSecond: 3, leadSeconds: 2, outageSeconds: 4, tailSeconds: 2, settleTimeoutMs: 60_000 },
};

/** Bench-wide settings of every process, stated in the report. */
export const benchSettings = {
  gatewayLatencyMs: 50,
  /** Payment's PREFETCH in the scale-out: the gateway calls one replica has in flight. */
  scaleOutPrefetch: 1,
  /** Who runs with scaleOutPrefetch; reports from before this setting ran every consumer with it. */
  scaleOutPrefetchOf: 'payment' as 'payment' | 'every consumer',
  /**
   * Who the scale-out adds replicas of: payment, the one consumer that waits on the gateway, whose
   * queue alone grows (KEDA scales each consumer on its own queue). Reports from before this
   * setting added replicas of every consumer.
   */
  scaleOutReplicasOf: 'payment' as 'payment' | 'every consumer',
  defaultPrefetch: 50,
  retryDelaysMs: '1000,5000,20000',
  /** The relay and the consumers run at this niceness, as in `make run`: on one shared box, the local stand-in for giving the api its own CPU. */
  backgroundNice: DEFAULT_BACKGROUND_NICE,
  logLevel: 'warn',
};

export interface PipelineCounts {
  orders: number;
  /** Transactions committed in the bench database, reads and every poll included. */
  commitsPerOrder: number;
  /** Rows inserted, updated or deleted in the bench database. */
  rowWritesPerOrder: number;
  /** Messages published into the bench vhost (events, retries). */
  publishesPerOrder: number;
}

export interface BenchResult {
  mode: 'full' | 'smoke';
  /** Where the consumers ran; reports from before it was a choice ran them apart. */
  placement?: ConsumerPlacement;
  startedAt: string;
  durationSeconds: number;
  machine: MachineFacts;
  loadAverageAtEnd: number[];
  settings: typeof benchSettings & { sizes: BenchSizes };
  ceilings: Ceilings;
  scaleOut: ScaleOutRow[];
  pipeline: PipelineCounts;
  spike: SpikeResult;
  outage: OutageResult;
  /** The autoscaler's decisions while the same spike ran again; `spike` is absent in older reports. */
  autoscaling: { startedAtMs: number; samples: ScalingSample[]; spike?: SpikeSide };
  cost: {
    orders: number;
    perApp: { app: string; cpuSecondsPer1000Orders: number; peakResidentMiB: number }[];
    servers: { postgresCpuSecondsPer1000Orders: number; rabbitmqCpuSecondsPer1000Orders: number };
  };
  /** The idle stack, open-model rates and an overload, as `make bench-cost` measures them; absent in older reports. */
  atRates?: CostPhases;
}

async function pipelineCounters(stack: BenchStack) {
  const commits = await stack.pool.query<{ n: number }>(
    'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  const vhost = (await managementClient(stack.managementUrl)(`/vhosts/${encodeURIComponent(stack.vhost)}`)
    .then((r) => r.json())
    .catch(() => ({}))) as { message_stats?: { publish?: number } };
  const writes = await stack.pool.query<{ n: number }>(
    'SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint AS n FROM pg_stat_user_tables',
  );
  const orders = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders.orders');
  return {
    commits: commits.rows[0]?.n ?? 0,
    writes: writes.rows[0]?.n ?? 0,
    publishes: vhost.message_stats?.publish ?? 0,
    orders: orders.rows[0]?.n ?? 0,
  };
}

/**
 * runBench measures, in one run on its own database and vhost: the machine's raw ceilings, the
 * pipeline's scale-out, a spike against Surety and the synchronous baseline (with the local
 * autoscaler at work), a gateway outage, and the cost per order; it returns the numbers.
 */
export async function runBench(options: {
  root: string;
  endpoints: ServerEndpoints;
  outDir: string;
  sizes: BenchSizes;
  mode: 'full' | 'smoke';
  placement: ConsumerPlacement;
  say: (line: string) => void;
}): Promise<BenchResult> {
  const { say, sizes } = options;
  const started = Date.now();
  const machine = await machineFacts(options.root, options.endpoints.databaseUrl, options.endpoints.managementUrl);
  say(
    `machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, load ${machine.loadAverageAtStart.join(' ')}`,
  );
  const everyApp = { LOG_LEVEL: benchSettings.logLevel, RETRY_DELAYS_MS: benchSettings.retryDelaysMs };
  // Each phase states what its consumers run with; nothing is changed for a later phase to pick up.
  // Payment alone is bound by the gateway's latency: its prefetch is the charges a replica has in
  // flight. The others call nothing slow and take their batches as in `make run`.
  const scaleOutConsumers: ConsumerSettings = {
    prefetch: { ...everyConsumer(benchSettings.defaultPrefetch).prefetch, payment: benchSettings.scaleOutPrefetch },
  };
  const spikeConsumers = everyConsumer(benchSettings.defaultPrefetch);
  say('starting the bench stack (own database and vhost)');
  const logDir = join(options.outDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const stack = await createBenchStack({
    root: options.root,
    endpoints: options.endpoints,
    logDir,
    everyApp,
    consumers: scaleOutConsumers,
    placement: options.placement,
    backgroundNice: benchSettings.backgroundNice,
    say,
  });
  const costs = costTracker(() => stack.metricsUrls());
  // The apps run in their own process groups: an interrupted bench must stop them itself.
  const interrupted = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the bench stack`);
    void stack.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    say('ceilings: PostgreSQL single-row insert commits');
    const postgres = await measurePostgresCeiling(stack.databaseUrl, {
      seconds: sizes.ceilingSeconds,
      repetitions: sizes.ceilingRepetitions,
      clients: 8,
      say,
    });
    say('ceilings: the same, each transaction also sending a NOTIFY before its commit');
    const postgresNotify = await measurePostgresCeiling(stack.databaseUrl, {
      seconds: sizes.ceilingSeconds,
      repetitions: sizes.ceilingRepetitions,
      clients: 8,
      notify: true,
      say,
    });
    say('ceilings: RabbitMQ confirmed persistent publishes to a quorum queue');
    // A vhost of its own, so its publishes do not count against the pipeline's.
    const ceilingVhost = await stack.temporaryVhost('ceiling');
    const rabbit = await measureRabbitCeiling(ceilingVhost.amqpUrl, {
      seconds: sizes.ceilingSeconds,
      repetitions: sizes.ceilingRepetitions,
      window: 256,
      say,
    }).finally(() => ceilingVhost.remove());
    const ceilings: Ceilings = {
      postgresInsertsPerSecond: postgres.spread,
      postgresMethod: postgres.method,
      postgresNotifyingInsertsPerSecond: postgresNotify.spread,
      rabbitmqConfirmedPublishesPerSecond: rabbit.spread,
      rabbitmqMethod: rabbit.method,
    };

    await setGatewayFaults(stack.gatewayUrl, { latencyMs: benchSettings.gatewayLatencyMs });
    const before = await pipelineCounters(stack);
    const scaleOut = await measureScaleOut(
      stack,
      sizes.scaleOut,
      { scaled: benchSettings.scaleOutReplicasOf, settings: scaleOutConsumers },
      costs,
      say,
    );
    const after = await pipelineCounters(stack);
    const orders = Math.max(1, after.orders - before.orders);
    const pipeline = {
      orders,
      commitsPerOrder: (after.commits - before.commits) / orders,
      rowWritesPerOrder: (after.writes - before.writes) / orders,
      publishesPerOrder: (after.publishes - before.publishes) / orders,
    };

    say(
      `restarting the consumers with PREFETCH ${benchSettings.defaultPrefetch} at their minimum replicas on this machine`,
    );
    // The local autoscaler's bounds, as `make run` has them: on one machine, at most one replica per core.
    const parameters = readScaledObjects(join(options.root, 'keda')).map((p) => forOneMachine(p, machine.cores));
    const minimumReplicas = Object.fromEntries(
      consumers.map((c) => [c, Math.max(1, parameters.find((p) => p.consumer === c)?.minReplicas ?? 1)]),
    );
    await stack.scaleConsumers(minimumReplicas, spikeConsumers);
    const samples: ScalingSample[] = [];
    const autoscaler = new Autoscaler({
      parameters,
      replicas: stack.consumerReplicas(spikeConsumers),
      queueLength: queueLengthReader(stack.managementUrl, stack.vhost),
      registry: new Registry(),
      say: (line) => say(`  ${line}`),
      onSample: (sample) => samples.push(sample),
    });
    const spikeOptions = {
      root: options.root,
      outDir: options.outDir,
      k6Env: sizes.spike,
      settleTimeoutMs: sizes.spikeSettleTimeoutMs,
      consumers: spikeConsumers,
      restoreConsumers: () => stack.scaleConsumers(minimumReplicas, spikeConsumers),
    };
    const spike = await measureSpike(stack, spikeOptions, say);
    const autoscalingStartedAtMs = Date.now();
    autoscaler.start();
    let autoscaledSpike: SpikeSide;
    let outage: OutageResult;
    try {
      autoscaledSpike = await measureAutoscaledSpike(stack, spikeOptions, say);
      outage = await measureOutage(stack, { root: options.root, outDir: options.outDir, ...sizes.outage }, say);
    } finally {
      await autoscaler.stop();
    }

    const measured = costs.result();
    const per1000 = (seconds: number) => (seconds / Math.max(1, measured.orders)) * 1000;
    const cost = {
      orders: measured.orders,
      perApp: [...measured.perApp]
        .filter(([app]) => app !== 'baseline')
        .map(([app, v]) => ({
          app,
          cpuSecondsPer1000Orders: per1000(v.cpuSeconds),
          peakResidentMiB: v.peakResidentBytes / 2 ** 20,
        })),
      servers: {
        postgresCpuSecondsPer1000Orders: per1000(measured.servers.postgres),
        rabbitmqCpuSecondsPer1000Orders: per1000(measured.servers.rabbitmq),
      },
    };
    costs.stopPolling();
    say(
      `cost phases: one replica of each consumer with PREFETCH ${benchSettings.defaultPrefetch}, the gateway at 0 ms added latency`,
    );
    // The spike's settings: the replicas the autoscaler left drain, the first keeps running warm.
    await stack.scaleConsumers(1, spikeConsumers);
    await setGatewayFaults(stack.gatewayUrl, { latencyMs: 0 });
    const atRates = await measureCostPhases(stack, sizes.cost, say);
    return {
      mode: options.mode,
      placement: options.placement,
      startedAt: new Date(started).toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      machine,
      loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      settings: { ...benchSettings, sizes },
      ceilings,
      scaleOut,
      pipeline,
      spike,
      outage,
      autoscaling: { startedAtMs: autoscalingStartedAtMs, samples, spike: autoscaledSpike },
      cost,
      atRates,
    };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    costs.stopPolling();
    say('stopping the bench stack');
    await stack.close();
  }
}
