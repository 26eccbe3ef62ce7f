import { parseArgs } from 'node:util';
import { defaults } from '@surety/config';
import { drills, drillSizes } from './drills/catalogue.js';
import { formatReport, writeReports } from './drills/report.js';
import { runDrill, type DrillReport } from './drills/runner.js';

export const drillUsage = `usage: surety drill <name|all> [--short] [--orders N] [--rate R] [--fault-seconds S] [--gateway-ignores-keys]
drills: ${drills.map((d) => d.name).join(', ')}`;

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
    },
  });
  const name = positionals[0];
  const selected = name === 'all' ? drills : drills.filter((d) => d.name === name);
  if (!name || selected.length === 0) {
    say(drillUsage);
    process.exitCode = 2;
    return;
  }
  const base = values.short ? drillSizes.short : drillSizes.full;
  const size = {
    orders: values.orders ? Number(values.orders) : base.orders,
    ratePerSecond: values.rate ? Number(values.rate) : base.ratePerSecond,
    faultMs: values['fault-seconds'] ? Number(values['fault-seconds']) * 1000 : base.faultMs,
  };
  const endpoints = {
    databaseUrl: process.env.DATABASE_URL ?? defaults.databaseUrl,
    amqpUrl: process.env.AMQP_URL ?? defaults.amqpUrl,
    managementUrl: process.env.RABBITMQ_MANAGEMENT_URL ?? defaults.rabbitManagementUrl,
  };
  const reports: DrillReport[] = [];
  for (const selectedDrill of selected) {
    const report = await runDrill(selectedDrill, {
      root,
      endpoints,
      size,
      say,
      gatewayIgnoresKeys: values['gateway-ignores-keys'] === true,
    });
    reports.push(report);
    say(formatReport(report));
  }
  const folder = writeReports(root, reports);
  say(`reports in ${folder}`);
  say(reports.map((r) => `${r.passed ? 'PASS' : 'FAIL'}  ${r.drill}`).join('\n'));
  if (reports.some((r) => !r.passed)) process.exitCode = 1;
}
