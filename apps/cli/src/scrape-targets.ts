import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaults } from '@surety/config';
import { servicesOf } from './apps.js';

/**
 * The local Prometheus (scripts/prometheus.sh) scrapes whatever the files in
 * `.local/prometheus/targets/` name: `make run` and each drill write one for the processes they
 * run, and remove it when they stop.
 */
function targetsFolder(root: string): string {
  return join(process.env.SURETY_LOCAL_DIR ?? join(root, '.local'), 'prometheus', 'targets');
}

/**
 * scrapeTargets is Prometheus' file_sd form of a run's processes: every service each one serves
 * (those of a consumers' host each on its own port), labelled with its replica and the run.
 */
export function scrapeTargets(run: string, processes: readonly RunningProcess[], portOffset = 0) {
  return processes.flatMap(({ id, env }) =>
    servicesOf(id, portOffset, env).map((service) => ({
      targets: [`127.0.0.1:${service.port}`],
      labels: { replica: service.id, run },
    })),
  );
}

type FileTargets = { targets: string[]; labels: Record<string, string> }[];

/** writeTargets replaces a run's targets file at once (Prometheus may read it at any moment). */
function writeTargets(root: string, run: string, targets: FileTargets): void {
  const folder = targetsFolder(root);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${run}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(targets, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** A process as a run started it: its id, and the environment that says what a consumers' host serves. */
export interface RunningProcess {
  id: string;
  env: Record<string, string>;
}

/** writeScrapeTargets names a run's processes, laid out on make run's ports (plus `portOffset`). */
export function writeScrapeTargets(
  root: string,
  run: string,
  processes: readonly RunningProcess[],
  portOffset = 0,
): void {
  writeTargets(root, run, scrapeTargets(run, processes, portOffset));
}

/** writeScrapeAddresses names processes by address, for a run whose ports are its own (a test's). */
export function writeScrapeAddresses(root: string, run: string, addresses: Record<string, string>): void {
  writeTargets(
    root,
    run,
    Object.entries(addresses).map(([replica, address]) => ({ targets: [address], labels: { replica, run } })),
  );
}

/** startPrometheus runs scripts/prometheus.sh up (nothing when it answers) and gives its URL. */
export async function startPrometheus(root: string): Promise<string> {
  await promisify(execFile)('bash', [join(root, 'scripts', 'prometheus.sh'), 'up'], { timeout: 60_000 });
  return defaults.prometheusUrl;
}

export function removeScrapeTargets(root: string, run: string): void {
  rmSync(join(targetsFolder(root), `${run}.json`), { force: true });
}
