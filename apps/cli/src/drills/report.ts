import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLedger } from './ledger.js';
import type { DrillReport } from './runner.js';

function facts(report: DrillReport): [string, string][] {
  const terminal = Object.entries(report.terminal)
    .map(([status, n]) => `${n} ${status.toLowerCase()}`)
    .join(', ');
  return [
    [
      'orders placed',
      `${report.ordersPlaced} (${report.deliberateClientRetries} sent twice on purpose, ${report.refusedRequests} refusals retried)`,
    ],
    ['terminal states', terminal || 'none'],
    [
      'gateway',
      `${report.chargeRequests} charge requests (${report.chargeRequestsReplayed} replayed by key), ${report.successfulCharges} successful charges`,
    ],
    [
      'broker',
      `${report.redeliveries} redeliveries, ${report.retries} retries through the delay tiers, ${report.deadLetters} dead letters`,
    ],
    ['max queue depth', String(report.maxQueueDepth)],
    [
      'time to recover',
      report.secondsToRecover === null ? 'did not recover' : `${report.secondsToRecover.toFixed(1)} s`,
    ],
    ...describeLedger(report.ledger),
    ['target', report.target],
    ['gateway honours idempotency keys', report.gatewayHonoursIdempotencyKeys ? 'yes' : 'NO (contrast run)'],
  ];
}

/** formatReport renders a drill's report for the terminal. */
export function formatReport(report: DrillReport): string {
  const lines = [`${report.passed ? 'PASS' : 'FAIL'}  ${report.drill}  (targets ${report.targets})`];
  for (const [name, value] of facts(report)) lines.push(`  ${name.padEnd(34)} ${value}`);
  for (const v of report.verdicts) lines.push(`  ${v.verdict}  ${v.invariant.padEnd(70)} ${v.evidence}`);
  return lines.join('\n');
}

function markdown(reports: DrillReport[]): string {
  const rows = reports.map(
    (r) =>
      `| ${r.drill} | ${r.passed ? 'PASS' : 'FAIL'} | ${r.ordersPlaced} | ${r.successfulCharges} | ${r.redeliveries} | ${r.deadLetters} | ${r.maxQueueDepth} | ${r.secondsToRecover?.toFixed(1) ?? '—'} |`,
  );
  const sections = reports.map(
    (r) =>
      `## ${r.drill}: ${r.passed ? 'PASS' : 'FAIL'}\n\nFault: ${r.fault}. Targets: ${r.targets}.\n\n` +
      facts(r)
        .map(([name, value]) => `- ${name}: ${value}`)
        .join('\n') +
      '\n\n| invariant | verdict | evidence |\n|---|---|---|\n' +
      r.verdicts.map((v) => `| ${v.invariant} | ${v.verdict} | ${v.evidence} |`).join('\n'),
  );
  return [
    '# Drill report',
    '',
    'Verdicts are computed from the gateway’s ledgers and request log, the services’ tables and the broker’s queues.',
    '',
    '| drill | verdict | orders | charges | redeliveries | dead letters | max depth | recover (s) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...sections,
    '',
  ].join('\n');
}

/** writeReports saves JSON and Markdown under reports/drills/<timestamp>/ and returns the folder. */
export function writeReports(root: string, reports: DrillReport[]): string {
  const folder = join(root, 'reports', 'drills', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'report.json'), `${JSON.stringify(reports, null, 2)}\n`);
  writeFileSync(join(folder, 'report.md'), markdown(reports));
  return folder;
}
