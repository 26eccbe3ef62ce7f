import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePlacement, readBackgroundNice } from './apps.js';
import { writeCostDocument } from './bench/cost-doc.js';
import { writeReport } from './bench/report.js';
import { fullSizes, runBench, smokeSizes, type BenchResult } from './bench/runner.js';
import { benchPrefix } from './bench/stack.js';
import { serverEndpointsFromEnv, sweepStaleResources } from './isolated-resources.js';

export const benchUsage = `bench [--smoke] [--consumers together|apart]: ceilings, scale-out, spike, outage, autoscaling and cost
  on this machine, then the cost phases of --cost, and every target judged;
  report in reports/bench/<time>/ (JSON, Markdown, SVG); a full run also rewrites docs/cost.md.
  --smoke runs every step at a tiny size to check the harness (its numbers mean nothing).
  --render <folder> writes a report's Markdown and charts again from its report.json.
bench --cost [--rates 20,100,200] [--seconds 15] [--idle 60] [--warmup 10] [--overload 3] [--profile]: the stack
  idle, then --warmup seconds at the first rate not measured (0: none), then what an order costs at each open-model rate (CPU of the machine and of each process, Postgres
  transactions and WAL, POST and placed → settled latency), then --overload times the max sustained
  rate (0: none) and how the excess is refused; with --profile, each process's top functions and
  packages by self time; report in reports/bench/<time>-cost/.
  --consumers: the consumers in one process (together, the default, as in make run) or a process each
  (apart); SURETY_CONSUMERS says the same. With --cost, SURETY_BACKGROUND_NICE sets the relay's and
  the consumers' niceness, as for make run.`;

/** bench runs the benchmark and writes its report; it returns the report folder. */
export async function bench(args: string[], root: string, say: (line: string) => void): Promise<string> {
  const { values } = parseArgs({
    args,
    options: {
      smoke: { type: 'boolean' },
      render: { type: 'string' },
      cost: { type: 'boolean' },
      rates: { type: 'string', default: '20,100,200' },
      seconds: { type: 'string', default: '15' },
      idle: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '10' },
      overload: { type: 'string', default: '3' },
      profile: { type: 'boolean' },
      consumers: { type: 'string', default: process.env.SURETY_CONSUMERS },
    },
  });
  const placement = parsePlacement(values.consumers);
  // What an interrupted earlier run left: databases (and their slots) and vhosts nothing uses.
  await sweepStaleResources(serverEndpointsFromEnv(), benchPrefix);
  if (values.cost) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const outDir = join(root, 'reports', 'bench', `${stamp}-cost`);
    const { runCostRun } = await import('./bench/cost-run.js');
    await runCostRun({
      root,
      endpoints: serverEndpointsFromEnv(),
      outDir,
      rates: values.rates.split(',').map(Number),
      seconds: Number(values.seconds),
      idleSeconds: Number(values.idle),
      warmUpSeconds: Number(values.warmup),
      overloadFactor: Number(values.overload),
      profile: values.profile ?? false,
      placement,
      backgroundNice: readBackgroundNice(process.env),
      say,
    });
    say(`report: ${relative(root, join(outDir, 'report.md'))}`);
    return outDir;
  }
  if (values.render) {
    const folder = join(root, values.render);
    const result = JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8')) as BenchResult;
    await writeReport(folder, result);
    if (result.mode === 'full') await writeCostDocument(join(root, 'docs', 'cost.md'), result, relative(root, folder));
    say(`rendered ${relative(root, join(folder, 'report.md'))}`);
    return folder;
  }
  const mode = values.smoke ? 'smoke' : 'full';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(root, 'reports', 'bench', `${stamp}${mode === 'smoke' ? '-smoke' : ''}`);
  mkdirSync(outDir, { recursive: true });
  say(`bench (${mode}): report in ${relative(root, outDir)}/`);
  const result = await runBench({
    root,
    endpoints: serverEndpointsFromEnv(),
    outDir,
    sizes: mode === 'smoke' ? smokeSizes : fullSizes,
    mode,
    placement,
    say,
  });
  await writeReport(outDir, result);
  if (mode === 'full') {
    await writeCostDocument(join(root, 'docs', 'cost.md'), result, relative(root, outDir));
    say('docs/cost.md rewritten from this run');
  }
  say(`done in ${result.durationSeconds} s: ${relative(root, join(outDir, 'report.md'))}`);
  return outDir;
}
