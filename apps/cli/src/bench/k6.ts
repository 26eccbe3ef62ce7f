import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface K6Summary {
  script: string;
  requests: number;
  failed: number;
  /** Failed requests that were refusals at the door (503 shedding, 429), answered at once with Retry-After. */
  shed: number;
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  droppedIterations: number;
  thresholdsPassed: boolean;
}

type Metric = Record<string, number | Record<string, boolean>>;

/**
 * runK6 runs one script of load/ with the pinned k6 of .tools/bin, passing `env` as `-e`, shows its
 * progress lines every few seconds, and reads the numbers of `POST /orders` from its summary export.
 */
export async function runK6(options: {
  root: string;
  script: string;
  env: Record<string, string>;
  summaryPath: string;
  say: (line: string) => void;
}): Promise<K6Summary> {
  const args = ['run', '--no-color', '--summary-export', options.summaryPath];
  for (const [key, value] of Object.entries(options.env)) args.push('-e', `${key}=${value}`);
  args.push(join(options.root, 'load', `${options.script}.js`));
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(join(options.root, '.tools', 'bin', 'k6'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastShown = 0;
    const show = (chunk: Buffer) => {
      for (const line of chunk.toString().split(/[\r\n]+/)) {
        if (/running \(/.test(line) && Date.now() - lastShown > 5_000) {
          lastShown = Date.now();
          options.say(`  k6 ${options.script}: ${line.trim()}`);
        }
      }
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
  const exported = JSON.parse(await readFile(options.summaryPath, 'utf8')) as { metrics: Record<string, Metric> };
  const duration = exported.metrics['http_req_duration{name:POST /orders}'] ?? {};
  const failed = exported.metrics['http_req_failed{name:POST /orders}'] ?? {};
  const number = (metric: Metric, key: string) => (typeof metric[key] === 'number' ? metric[key] : 0);
  const requests = number(failed, 'passes') + number(failed, 'fails');
  return {
    script: options.script,
    requests,
    failed: number(failed, 'passes'),
    shed: number(exported.metrics.orders_shed ?? {}, 'count'),
    errorRate: requests ? number(failed, 'passes') / requests : 0,
    p50Ms: number(duration, 'med'),
    p95Ms: number(duration, 'p(95)'),
    p99Ms: number(duration, 'p(99)'),
    maxMs: number(duration, 'max'),
    droppedIterations: number(exported.metrics.dropped_iterations ?? {}, 'count'),
    // k6 exits 99 when a threshold is crossed; the numbers are still worth reporting.
    thresholdsPassed: exitCode === 0,
  };
}
