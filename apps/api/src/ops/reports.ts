import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The kinds of report the repository writes under reports/. */
export const reportKinds = ['drills', 'bench'] as const;
export type ReportKind = (typeof reportKinds)[number];

export interface ReportEntry {
  kind: ReportKind;
  name: string;
}

/** A report's directory name: a timestamp or a run name, never a path. */
export const reportNamePattern = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

/** latestReports lists the newest `limit` runs of each kind that wrote a report.md; none when absent. */
export async function latestReports(reportsDir: string, limit = 5): Promise<ReportEntry[]> {
  const found: ReportEntry[] = [];
  for (const kind of reportKinds) {
    const entries = await readdir(join(reportsDir, kind), { withFileTypes: true }).catch(() => []);
    const names = entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
      .reverse();
    let kept = 0;
    for (const name of names) {
      if (kept >= limit) break;
      const hasReport = await readdir(join(reportsDir, kind, name)).then(
        (files) => files.includes('report.md'),
        () => false,
      );
      if (hasReport) {
        found.push({ kind, name });
        kept++;
      }
    }
  }
  return found;
}

/** readReport gives one run's report.md, or undefined when there is none. */
export async function readReport(reportsDir: string, kind: ReportKind, name: string): Promise<string | undefined> {
  if (!new RegExp(reportNamePattern).test(name)) return undefined;
  return readFile(join(reportsDir, kind, name, 'report.md'), 'utf8').catch(() => undefined);
}
