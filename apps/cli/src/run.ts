import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defaults } from '@surety/config';
import { migrate } from '@surety/db/migrate';
import { createLogger, createRegistry, startOpsServer } from '@surety/telemetry';
import { vhostOf } from '@surety/messaging';
import { removeScrapeTargets, scrapeTargets, writeScrapeTargets } from './scrape-targets.js';
import {
  backgroundNice,
  consumersHost,
  readBackgroundNice,
  isHostable,
  relayModeEnv,
  type ConsumerPlacement,
  type ProcessApp,
} from './apps.js';
import { Autoscaler, queueLengthReader, sharedReplicas } from './autoscaling/autoscaler.js';
import { forOneMachine } from './autoscaling/one-machine.js';
import { readScaledObjects } from './autoscaling/scaled-objects.js';
import { fleetPorts, requireFreePorts, startEveryApp } from './fleet.js';
import { answers, waitUntilReady } from './readiness.js';
import { ReplicaSet } from './replica-set.js';
import { Supervisor } from './supervisor.js';

/** The supervisor's own /metrics (the autoscaler's gauges) listens here unless SURETY_SUPERVISOR_PORT says otherwise. */
const supervisorPort = 9100;

export interface RunOptions {
  root: string;
  /** Fixed replica counts; a consumer (or the consumers' host) given one here is not autoscaled. */
  replicas: Map<ProcessApp, number>;
  placement: ConsumerPlacement;
  /** false runs fixed replicas only, without the local autoscaler. */
  autoscale: boolean;
  env: Record<string, string | undefined>;
  say: (line: string) => void;
}

/**
 * localTracing is how the apps export their spans to the Jaeger `make run` starts, when it answers
 * and the environment does not already say where traces go. Spans leave within half a second, so
 * an order's trace is whole soon after it settles.
 */
async function localTracing(
  env: Record<string, string | undefined>,
): Promise<{ env: Record<string, string>; queryUrl: string } | undefined> {
  if (Object.keys(env).some((name) => name.startsWith('OTEL_TRACES_EXPORTER') || name.startsWith('OTEL_EXPORTER_OTLP')))
    return undefined;
  const queryUrl = defaults.jaegerQueryUrl;
  if (!(await answers(`${queryUrl}/api/services`, 2_000))) return undefined;
  return {
    queryUrl,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: defaults.otlpEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_BSP_SCHEDULE_DELAY: '500',
    },
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@,]+)@/g, '//$1:***@');
}

/**
 * run migrates the database, starts every app under the supervisor, scales each consumer by its
 * ScaledObject in keda/ (unless its replicas are fixed), prints every URL, and stops them all
 * cleanly on Ctrl-C or SIGTERM.
 */
export async function run(options: RunOptions): Promise<void> {
  const { say, env } = options;
  const niceness = readBackgroundNice(env);
  const relayMode = relayModeEnv(env);
  const databaseUrl = env.DATABASE_URL ?? defaults.databaseUrl;
  say('migrating the database');
  await migrate(databaseUrl);
  const supervisor = new Supervisor({ root: options.root, logDir: join(options.root, '.local', 'logs'), say });
  const gatewayUrl = env.GATEWAY_URL ?? defaults.gatewayUrl;
  const tracing = await localTracing(env);
  const appEnv = (app: ProcessApp, id: string) => ({
    GATEWAY_URL: gatewayUrl,
    SURETY_REPLICA: id,
    ...relayMode,
    ...tracing?.env,
    ...(tracing && app === 'api' ? { JAEGER_QUERY_URL: tracing.queryUrl } : {}),
    // The ops page charts the four gauges from the local Prometheus (scripts/prometheus.sh).
    ...(app === 'api' ? { PROMETHEUS_URL: env.PROMETHEUS_URL ?? defaults.prometheusUrl } : {}),
  });
  const nice = (app: ProcessApp) => backgroundNice(app, niceness);
  const { placement } = options;
  // Together, the host is pinned or autoscaled as a whole; apart, each consumer is.
  const pinned = (consumer: string) =>
    options.replicas.has(placement === 'together' ? consumersHost : (consumer as ProcessApp));
  const scaled = options.autoscale
    ? readScaledObjects(join(options.root, 'keda'))
        .filter((p) => !pinned(p.consumer))
        .map((p) => forOneMachine(p, availableParallelism()))
    : [];
  const scaledAs = (app: ProcessApp) =>
    scaled.filter((p) => p.consumer === app || (app === consumersHost && isHostable(p.consumer)));
  const replicas = (app: ProcessApp) =>
    options.replicas.get(app) ?? Math.max(1, ...scaledAs(app).map((p) => p.minReplicas));
  await requireFreePorts(fleetPorts(replicas, placement), 'make run');
  const started = startEveryApp(supervisor, { replicas, placement, env: appEnv, nice });
  say(
    `starting ${supervisor.ids().length} processes (logs in .local/logs/)${placement === 'together' ? `; the consumers together in ${consumersHost}-1 (SURETY_CONSUMERS=apart runs a process each)` : ''}`,
  );
  const readiness = await Promise.all(
    started.map(async (p) => [p, await waitUntilReady(`${p.url}/healthz`, 60_000)] as const),
  );
  for (const [p, ready] of readiness)
    if (!ready) say(`${p.id} did not answer /healthz within 60 s: see .local/logs/${p.process}.log`);

  const apiUrl = `http://127.0.0.1:${env.PORT ?? defaults.apiPort}`;
  say('');
  say(`  api         ${apiUrl}            POST /orders, GET /orders/:id, GET /products`);
  say(`  docs        ${apiUrl}/docs       (OpenAPI at /docs/json)`);
  say(`  gateway     ${gatewayUrl}        GET /charges?orderId=, GET /requests?orderId=`);
  say(`  rabbitmq    ${redact(env.RABBITMQ_MANAGEMENT_URL ?? defaults.rabbitManagementUrl)}   (guest / guest)`);
  say(`  amqp        ${redact(env.AMQP_URL ?? defaults.amqpUrl)}`);
  say(`  postgres    ${databaseUrl}`);
  say(
    relayMode.RELAY_MODE === 'cdc'
      ? `  relay       CDC: the WAL through slot ${env.RELAY_CDC_SLOT ?? 'surety_outbox'}; writers leave every event to it`
      : '  relay       polling, behind the writers that publish their own events (RELAY_MODE=cdc reads the WAL)',
  );
  say(
    tracing
      ? `  jaeger      ${tracing.queryUrl}/api/traces   (bin/surety trace <orderId>; the order page links its trace)`
      : `  jaeger      not running at ${defaults.jaegerQueryUrl}: traces are not exported (scripts/jaeger.sh up starts it)`,
  );
  for (const p of started)
    say(`  ${p.id.padEnd(15)} ${p.url}/metrics${p.process === p.id ? '' : `   (in ${p.process})`}`);
  // The local Prometheus scrapes what the targets file names: it follows the autoscaler's replicas.
  let announced = '';
  const announceTargets = () => {
    const processes = supervisor.specs();
    // The targets themselves, not the ids: a host replaced to serve other consumers keeps its id.
    const key = JSON.stringify(scrapeTargets('make-run', processes));
    if (key === announced) return;
    writeScrapeTargets(options.root, 'make-run', processes);
    announced = key;
  };
  announceTargets();
  const announcing = setInterval(announceTargets, 5_000);
  const prometheus = await answers(`${defaults.prometheusUrl}/-/ready`, 2_000);
  say(
    prometheus
      ? `  prometheus  ${defaults.prometheusUrl}   (the project's alert rules over every process: /alerts)`
      : `  prometheus  not running at ${defaults.prometheusUrl} (scripts/prometheus.sh up starts it)`,
  );

  const registry = createRegistry('supervisor');
  const ops = await startOpsServer({
    host: '127.0.0.1',
    port: Number(env.SURETY_SUPERVISOR_PORT ?? supervisorPort),
    registry,
    probe: { isReady: () => true },
    logger: createLogger('supervisor', 'warn'),
  });
  say(`  ${'supervisor'.padEnd(15)} ${ops.url}/metrics   (surety_autoscaler_desired_replicas, _current_replicas)`);
  const replicaSet = new ReplicaSet(supervisor, { env: appEnv, nice });
  const autoscaler = new Autoscaler({
    parameters: scaled,
    replicas: placement === 'together' ? sharedReplicas(consumersHost, replicaSet) : replicaSet,
    queueLength: queueLengthReader(
      env.RABBITMQ_MANAGEMENT_URL ?? defaults.rabbitManagementUrl,
      vhostOf(env.AMQP_URL ?? defaults.amqpUrl),
    ),
    registry,
    say,
  });
  autoscaler.start();
  say('');
  for (const p of scaled)
    say(
      `  autoscaling ${p.consumer} on ${p.queueName}: ${p.minReplicas}..${p.maxReplicas} replicas on this machine's cores, ${p.target} messages each (keda/${p.consumer}.yaml)`,
    );
  if (placement === 'together' && scaled.length > 0)
    say(
      `  the consumers share their replicas (${consumersHost}-<n>): as many run as the busiest queue asks for, host n serving the consumers that ask for n or more`,
    );
  if (niceness > 0)
    say(
      `  the relay, consumers and reconciler run at nice ${niceness}: the api answers first (SURETY_BACKGROUND_NICE=0 runs all alike)`,
    );
  say('running; Ctrl-C stops every process');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      say(`${signal}: stopping every process`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  clearInterval(announcing);
  removeScrapeTargets(options.root, 'make-run');
  await autoscaler.stop();
  await supervisor.stopAll();
  await ops.close();
  say('stopped');
}
