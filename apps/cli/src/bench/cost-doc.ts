import { writeFile } from 'node:fs/promises';
import { findingsOf } from './findings.js';
import { costRows, scaledOutWhat } from './report.js';
import type { BenchResult } from './runner.js';
import { round } from './stats.js';

/** boundHeadline is the run's own finding on what bounds throughput. */
function boundHeadline(result: BenchResult): string {
  return findingsOf(result).find((f) => f.topic === 'bound')?.headline ?? 'What bounds throughput was not measured';
}

/** costDocument renders docs/cost.md: the method of the cost model and the numbers of one full bench run. */
export function costDocument(result: BenchResult, reportPath: string): string {
  const total = result.cost.perApp.reduce((sum, a) => sum + a.cpuSecondsPer1000Orders, 0);
  const withServers =
    total + result.cost.servers.postgresCpuSecondsPer1000Orders + result.cost.servers.rabbitmqCpuSecondsPer1000Orders;
  return [
    '# Cost model',
    '',
    'What one order costs in CPU and memory, per process, measured by `make bench` and written here by it (the numbers below are from its last full run; the report is in `' +
      reportPath +
      '`).',
    '',
    '## Method',
    '',
    `1. The bench runs the pipeline on its own database and vhost: gateway, relay, api, and 1, 2, 4 and 8 replicas of ${scaledOutWhat(result.settings)} in turn, the gateway adding ` +
      `${result.settings.gatewayLatencyMs} ms to every call, every process logging at \`${result.settings.logLevel}\`.`,
    '2. At each step the pipeline is kept saturated; after a warm-up, the bench scrapes every process’s own `/metrics` (`process_cpu_seconds_total`, `process_resident_memory_bytes`, from prom-client’s default metrics) at the start and the end of the measured windows, and every 2 s in between for peak memory. PostgreSQL’s and RabbitMQ’s CPU comes from `/proc/<pid>/stat` of every `postgres` and `beam.smp` process, so other users of the shared servers are counted too (an upper bound).',
    '3. CPU-seconds per 1000 orders = CPU-seconds used by every replica of an app during the windows ÷ orders settled (CONFIRMED or CANCELLED) during them × 1000. Idle replicas and polling are included, as they would be in production.',
    '4. A process that spends _c_ CPU-seconds per 1000 orders needs _c_ cores to sustain 1000 orders per second, so the two columns are the same number read two ways. Peak memory is per replica: it is what a pod’s memory request must cover; it does not grow with the rate, replicas do.',
    '',
    `## Numbers (${result.startedAt}, ${result.machine.cores} cores, ${result.machine.cpuModel})`,
    '',
    ...costRows(result),
    '',
    `So 1000 orders per second would need about **${round(total)} cores for the apps**, and **${round(withServers)} with the database and the broker**, at this machine's per-core speed. ${boundHeadline(result)}. The api and the relay scale with the order rate like the consumers do; the gateway stand-in is a cost of the test, not of the product.`,
    '',
    '## Caveats',
    '',
    '- Everything shares the same cores (apps, servers, k6, the bench): contention inflates CPU per order a little against a dedicated machine.',
    '- Logging at `info` (the default) costs more than the bench’s `warn`; tracing, when exported, more again.',
    '- Memory is a Node.js process’s resident set: most of it is the runtime and the loaded modules, not the work.',
    '',
  ].join('\n');
}

/** writeCostDocument writes docs/cost.md from a full run, formatted as `make check` expects. */
export async function writeCostDocument(path: string, result: BenchResult, reportPath: string): Promise<void> {
  // prettier is a dev dependency: loaded only when a full bench run writes the document, never in the image.
  const { format, resolveConfig } = await import('prettier');
  const options = (await resolveConfig(path)) ?? {};
  await writeFile(path, await format(costDocument(result, reportPath), { ...options, filepath: path }));
}
