import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaults } from '@surety/config';
import { migrate } from '@surety/db';
import { parseReplicas } from './apps.js';
import { bench, benchUsage } from './bench.js';
import { dlq, dlqUsage } from './dlq.js';
import { drill, drillUsage } from './drill.js';
import { run } from './run.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const say = (line: string) => process.stdout.write(`[surety] ${line}\n`);

const usage = `usage: surety <command>
  migrate                       bring every schema up to date
  run [--replicas app=N,...] [--no-autoscale]
                                run every app under a supervisor (make run); consumers
                                are autoscaled by keda/ unless their replicas are given
  dlq <list|show|replay|purge>  inspect and replay dead letters
  drill <name|all> [--short]    break a hop under load and judge the invariants from evidence
  bench [--smoke]               measure ceilings, scale-out, spike, outage and cost (make bench)
\n${dlqUsage}\n${drillUsage}\n${benchUsage}`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'migrate':
      await migrate(process.env.DATABASE_URL ?? defaults.databaseUrl, say);
      return;
    case 'run': {
      const { values } = parseArgs({
        args: rest,
        options: { replicas: { type: 'string' }, 'no-autoscale': { type: 'boolean' } },
      });
      await run({
        root,
        replicas: parseReplicas(values.replicas ?? process.env.SURETY_REPLICAS),
        autoscale: !values['no-autoscale'] && process.env.SURETY_AUTOSCALE !== '0',
        env: process.env,
        say,
      });
      return;
    }
    case 'drill':
      await drill(rest, root, say);
      return;
    case 'dlq':
      await dlq(rest, say);
      return;
    case 'bench':
      await bench(rest, root, say);
      return;
    default:
      process.stderr.write(`${usage}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`[surety] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
