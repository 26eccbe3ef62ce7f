import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { namespace, repoPath, toObjects, type KubeObject } from './repo.js';

export const chartDirectory = repoPath('charts', 'surety');
export const releaseName = 'surety';
const helmBinary = repoPath('.tools', 'bin', 'helm');

/** The helm version scripts/tools.sh pins, read from the script so the two never disagree. */
export function pinnedHelmVersion(): string {
  const match = /^HELM_VERSION=(\S+)$/m.exec(readFileSync(repoPath('scripts', 'tools.sh'), 'utf8'));
  if (!match) throw new Error('scripts/tools.sh no longer pins HELM_VERSION');
  return match[1]!;
}

/** helm runs the pinned helm of .tools/bin and returns its output; a missing helm or a failure throws. */
export function helm(args: string[]): string {
  if (!existsSync(helmBinary)) {
    throw new Error(
      `helm ${pinnedHelmVersion()} is not at .tools/bin/helm: run \`bash scripts/tools.sh\` (it builds helm with Go)`,
    );
  }
  const result = spawnSync(helmBinary, args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`helm ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** The ci/*-values.yaml scenarios, by name (default, minimal, no-keda). */
export const scenarios: readonly string[] = readdirSync(repoPath('charts', 'surety', 'ci'))
  .filter((file) => file.endsWith('-values.yaml'))
  .map((file) => file.replace(/-values\.yaml$/, ''))
  .sort();

export function scenarioValues(scenario: string): string {
  return repoPath('charts', 'surety', 'ci', `${scenario}-values.yaml`);
}

/** renderChartYaml is `helm template` of one scenario (hooks and test pods included), as helm prints it. */
export function renderChartYaml(scenario: string, extraArgs: string[] = []): string {
  return helm([
    'template',
    releaseName,
    chartDirectory,
    '--namespace',
    namespace,
    '--values',
    scenarioValues(scenario),
    ...extraArgs,
  ]);
}

/** renderChart is renderChartYaml's objects. */
export function renderChart(scenario: string, extraArgs: string[] = []): KubeObject[] {
  const documents = parseAllDocuments(renderChartYaml(scenario, extraArgs));
  const values = (Array.isArray(documents) ? documents : [documents])
    .map((document) => document.toJS() as unknown)
    .filter((value) => value !== null && value !== undefined);
  return toObjects(values, `chart (${scenario})`);
}

/**
 * renderNotes renders templates/NOTES.txt, which `helm template` leaves out and `helm install
 * --dry-run` renders only against a cluster: a copy of the chart includes it as a named template.
 */
export function renderNotes(extraArgs: string[] = []): string {
  const copy = mkdtempSync(path.join(tmpdir(), 'surety-chart-'));
  try {
    cpSync(chartDirectory, copy, { recursive: true });
    const notes = readFileSync(path.join(copy, 'templates', 'NOTES.txt'), 'utf8');
    rmSync(path.join(copy, 'templates', 'NOTES.txt'));
    writeFileSync(path.join(copy, 'templates', '_notes.tpl'), `{{- define "surety.notes" -}}\n${notes}{{- end }}\n`);
    writeFileSync(path.join(copy, 'templates', 'notes.yaml'), 'notes: {{ include "surety.notes" . | toJson }}\n');
    const output = helm([
      'template',
      releaseName,
      copy,
      '--namespace',
      namespace,
      '--show-only',
      'templates/notes.yaml',
      ...extraArgs,
    ]);
    return (parseAllDocuments(output)[0]?.toJS() as { notes: string }).notes;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
