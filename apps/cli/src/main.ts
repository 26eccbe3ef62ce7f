import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const say = (line: string) => process.stdout.write(`[surety] ${line}\n`);

/**
 * Each command loads its own modules when it runs, never at start-up: the image installs the
 * production dependencies only, so `migrate` must not load what the bench or the drills need.
 */
const commands: Record<string, (args: string[]) => Promise<void>> = {
  async migrate() {
    const [{ defaults }, { migrate }] = await Promise.all([import('@surety/config'), import('@surety/db/migrate')]);
    await migrate(process.env.DATABASE_URL ?? defaults.databaseUrl, say);
  },
  async run(args) {
    const [{ parsePlacement, parseReplicas }, { run }] = await Promise.all([import('./apps.js'), import('./run.js')]);
    const { values } = parseArgs({
      args,
      options: { replicas: { type: 'string' }, 'no-autoscale': { type: 'boolean' } },
    });
    const placement = parsePlacement(process.env.SURETY_CONSUMERS);
    await run({
      root,
      replicas: parseReplicas(values.replicas ?? process.env.SURETY_REPLICAS, placement),
      placement,
      autoscale: !values['no-autoscale'] && process.env.SURETY_AUTOSCALE !== '0',
      env: process.env,
      say,
    });
  },
  async drill(args) {
    const { drill } = await import('./drill.js');
    await drill(args, root, say);
  },
  async dlq(args) {
    const { dlq } = await import('./dlq.js');
    await dlq(args, say);
  },
  async trace(args) {
    const { trace } = await import('./trace.js');
    await trace(args, (text) => process.stdout.write(text));
  },
  async bench(args) {
    const { bench } = await import('./bench.js');
    await bench(args, root, say);
  },
};

async function usage(): Promise<string> {
  const [{ dlqUsage }, { drillUsage }, { benchUsage }, { traceUsage }] = await Promise.all([
    import('./dlq.js'),
    import('./drill.js'),
    import('./bench.js'),
    import('./trace.js'),
  ]);
  return `usage: surety <command>
  migrate                       bring every schema up to date
  run [--replicas app=N,...] [--no-autoscale]
                                run every app under a supervisor (make run); consumers
                                are autoscaled by keda/ unless their replicas are given
  dlq <list|show|replay|purge>  inspect and replay dead letters
  drill <name|all> [--short]    break a hop under load and judge the invariants from evidence
  trace <orderId>               an order's trace as a waterfall, from Jaeger (make run starts it)
  bench [--smoke]               measure ceilings, scale-out, spike, outage and cost (make bench)
\n${dlqUsage}\n${drillUsage}\n${traceUsage}\n${benchUsage}`;
}

async function main([name = '', ...args]: string[]): Promise<void> {
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command) return command(args);
  process.stderr.write(`${await usage()}\n`);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`[surety] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
