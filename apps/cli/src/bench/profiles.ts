import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that self time is made of. */
export interface CpuProfile {
  /** Microseconds on the machine's monotonic clock, the one `process.hrtime` reads. */
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  selfMs: number;
  /** Share of the profile's busy time (idle excluded). */
  share: number;
}

export interface ProfileSummary {
  process: string;
  /** Sampled time that was not idle. */
  busyMs: number;
  functions: SelfTime[];
  packages: SelfTime[];
}

const idle = '(idle)';

/**
 * packageOf names who owns a frame: the npm package its file is in, Node's own code, Surety's
 * (the bundle in dist/ or a source file), or V8's pseudo-frames (garbage collector, program).
 */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (runtime)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? url);
  }
  return 'surety';
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const where = frame.url === '' ? '' : ` ${basename(frame.url)}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

function top(totals: Map<string, number>, busyMs: number, count: number): SelfTime[] {
  return [...totals]
    .sort(([, a], [, b]) => b - a)
    .slice(0, count)
    .map(([name, selfMs]) => ({ name, selfMs, share: busyMs > 0 ? selfMs / busyMs : 0 }));
}

/** A span of the machine's monotonic clock, in microseconds: every process's profile shares it. */
export interface ClockWindow {
  fromUs: number;
  toUs: number;
}

/** monotonicMicros reads the clock that profiles' timestamps are on. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * summariseProfile adds up each sample's interval to the frame it was taken in (its self time),
 * and gives the `count` costliest functions and packages, idle time left out. With a window, only
 * the samples taken within it count (start-up and idle stay out of a measurement at a rate).
 */
export function summariseProfile(
  process: string,
  profile: CpuProfile,
  count = 10,
  window?: ClockWindow,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyMs = 0;
  let takenAt = profile.startTime;
  profile.samples.forEach((id, i) => {
    takenAt += profile.timeDeltas[i] ?? 0;
    if (window && (takenAt < window.fromUs || takenAt >= window.toUs)) return;
    const frame = byId.get(id);
    // timeDeltas[i + 1] is the time from sample i to the next: the frame sampled at i ran for it.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (!frame || frame.functionName === idle) return;
    busyMs += ms;
    const name = frameName(frame);
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const owner = packageOf(frame.url, frame.functionName);
    packages.set(owner, (packages.get(owner) ?? 0) + ms);
  });
  return { process, busyMs, functions: top(functions, busyMs, count), packages: top(packages, busyMs, count) };
}

/** readProfiles summarises every `<process>.cpuprofile` in `dir`, costliest process first. */
export function readProfiles(dir: string, window?: ClockWindow, count = 10): ProfileSummary[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file) =>
      summariseProfile(
        basename(file, '.cpuprofile'),
        JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile,
        count,
        window,
      ),
    )
    .sort((a, b) => b.busyMs - a.busyMs);
}

/** profileFlags make node write its CPU profile to `dir`/`<process>.cpuprofile` when it exits. */
export function profileFlags(dir: string, process: string): string[] {
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${process}.cpuprofile`];
}

/** renderProfiles prints, per process, where its busy time went: packages, then functions. */
export function renderProfiles(summaries: readonly ProfileSummary[]): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  const lines: string[] = [];
  for (const summary of summaries) {
    lines.push(
      `### ${summary.process}: ${Math.round(summary.busyMs)} ms busy`,
      '',
      `Packages: ${summary.packages.map((p) => `${p.name} ${pct(p.share)}`).join(', ')}.`,
      '',
      '| function (self time) | ms | share |',
      '|---|---:|---:|',
      ...summary.functions.map((f) => `| \`${f.name}\` | ${Math.round(f.selfMs)} | ${pct(f.share)} |`),
      '',
    );
  }
  return lines.join('\n');
}
