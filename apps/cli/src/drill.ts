import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DrillBackend } from './drills/backend.js';
import type { KubernetesOptions } from './drills/kubernetes/backend.js';
import { drills, drillSizes, withCdcRelay, withRelaySkippingConfirms } from './drills/catalogue.js';
import { clusterEndpoints, localBackend, runCluster } from './drills/local.js';
import { hotKeySizes, runHotKey } from './drills/hot-key.js';
import { runRelayAb } from './drills/relay-ab.js';
import { serverEndpointsFromEnv, sweepStaleResources, type ServerEndpoints } from './isolated-resources.js';
import { drillPrefix } from './drills/environment.js';
import { formatReport, writeReports } from './drills/report.js';
import { runDrill, type DrillReport } from './drills/runner.js';

export const drillUsage = `usage: surety drill <name|all> [--short] [--orders N] [--rate R] [--fault-seconds S] [--gateway-ignores-keys] [--relay-skips-confirms] [--relay polling|cdc] [--cluster]
       [--target local|kubernetes] [--namespace surety] [--context NAME]
       [--api-url U] [--gateway-url U] [--database-url U] [--amqp-url U] [--management-url U]
drills: ${drills.map((d) => d.name).join(', ')}
and relay-ab, which offers one rate through the polling relay, then through the CDC relay, and compares them (local only),
and hot-key, a consumer needing per-key order partitioned by customer, then by order, while one customer places half the orders (local only)
--cluster runs them locally on three RabbitMQ nodes and a Postgres primary and standby, each a host of its own (scripts/cluster.sh), which quorum-leader-kill and postgres-failover need;
--gateway-ignores-keys and --relay-skips-confirms are contrast runs: a guarantee taken away, which the judge must catch (a FAIL is their expected outcome);
--target kubernetes runs them on the cluster of the current kubeconfig context (docs/drills.md, "On Kubernetes");
each URL not given is forwarded to its Service.`;

/** kubernetes loads the cluster backend only when asked for: local drills never load the cluster client. */
async function kubernetes(options: KubernetesOptions): Promise<DrillBackend> {
  const { kubernetesBackend } = await import('./drills/kubernetes/backend.js');
  return kubernetesBackend(options);
}

/**
 * localReportDir answers where a comparison run locally writes its report, or refuses (exit 2) a
 * run aimed elsewhere: relay-ab and hot-key start the pipeline on a database of their own.
 */
function localReportDir(values: { target?: string }, root: string, name: string, say: (line: string) => void) {
  if (values.target !== 'local') {
    say(`${name} runs locally only: it starts the pipeline on a database of its own`);
    process.exitCode = 2;
    return undefined;
  }
  return join(root, 'reports', 'drills', `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`);
}

/** relayAb runs the relay A/B comparison: two rounds of 100 orders/s for 20 s through each relay, or one of 30 for 5 s with --short. */
async function relayAb(
  values: { short?: boolean; rate?: string; target?: string },
  root: string,
  say: (line: string) => void,
) {
  const outDir = localReportDir(values, root, 'relay-ab', say);
  if (!outDir) return;
  const result = await runRelayAb({
    root,
    endpoints: serverEndpointsFromEnv(process.env),
    outDir,
    ratePerSecond: values.rate ? Number(values.rate) : values.short ? 30 : 100,
    seconds: values.short ? 5 : 20,
    rounds: values.short ? 1 : 2,
    say,
  });
  say(result.findings.map((finding) => `  ${finding}`).join('\n'));
  say(`report: ${join(outDir, 'report.md')}`);
  say(`${result.passed ? 'PASS' : 'FAIL'}  relay-ab`);
  if (!result.passed) process.exitCode = 1;
}

/** hotKey runs the hot-key drill at hotKeySizes' full size, or short with --short. */
async function hotKey(
  values: { short?: boolean; rate?: string; target?: string },
  root: string,
  say: (line: string) => void,
) {
  const outDir = localReportDir(values, root, 'hot-key', say);
  if (!outDir) return;
  const result = await runHotKey({
    root,
    endpoints: serverEndpointsFromEnv(process.env),
    outDir,
    settings: {
      ...(values.short ? hotKeySizes.short : hotKeySizes.full),
      ...(values.rate ? { ratePerSecond: Number(values.rate) } : {}),
    },
    say,
  });
  for (const v of result.verdicts) say(`  ${v.verdict}  ${v.invariant}: ${v.evidence}`);
  say(result.findings.map((finding) => `  ${finding}`).join('\n'));
  say(`report: ${join(outDir, 'report.md')}`);
  say(`${result.passed ? 'PASS' : 'FAIL'}  hot-key`);
  if (!result.passed) process.exitCode = 1;
}

/** localCluster starts the local cluster (scripts/cluster.sh up, pg-up) unless it runs, and answers its servers. */
async function localCluster(root: string, say: (line: string) => void): Promise<ServerEndpoints> {
  say('starting the local cluster: three RabbitMQ nodes, a Postgres primary and its standby');
  await runCluster(root, 'up');
  await runCluster(root, 'pg-up');
  return clusterEndpoints(await runCluster(root, 'amqp-urls'), await runCluster(root, 'pg-url'));
}

/** drill runs one drill, or all, prints the verdicts and writes the reports; exits 1 on any FAIL. */
export async function drill(argv: string[], root: string, say: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      short: { type: 'boolean' },
      orders: { type: 'string' },
      rate: { type: 'string' },
      'fault-seconds': { type: 'string' },
      'gateway-ignores-keys': { type: 'boolean' },
      'relay-skips-confirms': { type: 'boolean' },
      relay: { type: 'string', default: 'polling' },
      cluster: { type: 'boolean' },
      target: { type: 'string', default: 'local' },
      namespace: { type: 'string', default: 'surety' },
      context: { type: 'string' },
      'api-url': { type: 'string' },
      'gateway-url': { type: 'string' },
      'database-url': { type: 'string' },
      'amqp-url': { type: 'string' },
      'management-url': { type: 'string' },
    },
  });
  const name = positionals[0];
  if (values.relay !== 'polling' && values.relay !== 'cdc') {
    say(drillUsage);
    process.exitCode = 2;
    return;
  }
  if (name === 'relay-ab') {
    await relayAb(values, root, say);
    return;
  }
  if (name === 'hot-key') {
    await hotKey(values, root, say);
    return;
  }
  const selected = (name === 'all' ? drills : drills.filter((d) => d.name === name))
    .map((d) => (values.relay === 'cdc' ? withCdcRelay(d) : d))
    .map((d) => (values['relay-skips-confirms'] ? withRelaySkippingConfirms(d) : d));
  if (!name || selected.length === 0 || (values.target !== 'local' && values.target !== 'kubernetes')) {
    say(drillUsage);
    process.exitCode = 2;
    return;
  }
  const base = values.short ? drillSizes.short : drillSizes.full;
  const size = {
    orders: values.orders ? Number(values.orders) : base.orders,
    ratePerSecond: values.rate ? Number(values.rate) : base.ratePerSecond,
    faultMs: values['fault-seconds'] ? Number(values['fault-seconds']) * 1000 : base.faultMs,
    slotWalLimitMiB: base.slotWalLimitMiB,
  };
  const backend: DrillBackend =
    values.target === 'kubernetes'
      ? await kubernetes({
          root,
          namespace: values.namespace,
          context: values.context,
          urls: {
            apiUrl: values['api-url'],
            gatewayUrl: values['gateway-url'],
            databaseUrl: values['database-url'],
            amqpUrl: values['amqp-url'],
            managementUrl: values['management-url'],
          },
        })
      : localBackend({
          root,
          endpoints: values.cluster ? await localCluster(root, say) : serverEndpointsFromEnv(process.env),
          cluster: values.cluster === true,
        });
  // What an interrupted earlier run left: databases (and their slots) and vhosts nothing uses.
  if (values.target === 'local' && !values.cluster)
    await sweepStaleResources(serverEndpointsFromEnv(process.env), drillPrefix);
  const refused = selected.flatMap((d) => {
    const reason = backend.refusal(d);
    return reason ? [{ drill: d.name, reason }] : [];
  });
  for (const { drill: refusedDrill, reason } of refused)
    say(`${refusedDrill} cannot run on ${backend.target}: ${reason}`);
  const runnable = selected.filter((d) => !refused.some((r) => r.drill === d.name));
  if (runnable.length === 0) {
    process.exitCode = 2;
    return;
  }
  const reports: DrillReport[] = [];
  for (const selectedDrill of runnable) {
    const report = await runDrill(selectedDrill, {
      backend,
      size,
      say,
      gatewayIgnoresKeys: values['gateway-ignores-keys'] === true,
    });
    reports.push(report);
    say(formatReport(report));
  }
  const folder = writeReports(root, reports);
  say(`reports in ${folder}`);
  say(
    [
      ...reports.map((r) => `${r.passed ? 'PASS' : 'FAIL'}  ${r.drill}`),
      ...refused.map((r) => `SKIP  ${r.drill} (cannot run on ${backend.target})`),
    ].join('\n'),
  );
  if (reports.some((r) => !r.passed)) process.exitCode = 1;
}
