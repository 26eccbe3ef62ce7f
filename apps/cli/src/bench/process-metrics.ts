import { readdir, readFile } from 'node:fs/promises';

export interface ProcessSample {
  cpuSeconds: number;
  residentBytes: number;
}

function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

/** scrapeProcesses reads process_cpu_seconds_total and process_resident_memory_bytes from each /metrics URL. */
export async function scrapeProcesses(urls: Map<string, string>): Promise<Map<string, ProcessSample>> {
  const samples = new Map<string, ProcessSample>();
  await Promise.all(
    [...urls].map(async ([id, url]) => {
      const text = await fetch(url, { signal: AbortSignal.timeout(5_000) })
        .then((r) => r.text())
        .catch(() => '');
      const cpuSeconds = metricValue(text, 'process_cpu_seconds_total');
      const residentBytes = metricValue(text, 'process_resident_memory_bytes');
      if (cpuSeconds !== undefined && residentBytes !== undefined) samples.set(id, { cpuSeconds, residentBytes });
    }),
  );
  return samples;
}

/**
 * serverOfStat reads one line of /proc/<pid>/stat: which server the process belongs to (`postgres`
 * or `beam.smp`), and its CPU seconds, its own (utime, stime) and those of the children it has
 * reaped (cutime, cstime). The postmaster's reaped children are the backends that have exited, so
 * a connection closing never takes its CPU out of the server's total.
 */
export function serverOfStat(stat: string): { server: 'postgres' | 'rabbitmq'; cpuSeconds: number } | undefined {
  const ticksPerSecond = 100;
  const match = /^\d+ \((.*)\) (.*)$/.exec(stat.trim());
  if (!match) return undefined;
  const server = match[1] === 'postgres' ? 'postgres' : match[1]?.startsWith('beam') ? 'rabbitmq' : undefined;
  if (!server) return undefined;
  // utime, stime, cutime and cstime are fields 14 to 17 of /proc/<pid>/stat; fields here start at field 3.
  const ticks = match[2]!
    .split(' ')
    .slice(11, 15)
    .reduce((sum, field) => sum + Number(field), 0);
  return { server, cpuSeconds: ticks / ticksPerSecond };
}

/**
 * serverCpuSeconds sums the CPU of every process named `postgres` or `beam.smp` on this machine
 * (from /proc), exited backends included: the database's and the broker's share, including other
 * users of the same servers.
 */
export async function serverCpuSeconds(): Promise<{ postgres: number; rabbitmq: number }> {
  const totals = { postgres: 0, rabbitmq: 0 };
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const found = serverOfStat(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
    if (found) totals[found.server] += found.cpuSeconds;
  }
  return totals;
}

/** appOf maps a supervisor id (`payment-3`) to its app (`payment`). */
export const appOf = (id: string): string => id.replace(/-\d+$/, '');

export interface CostTracker {
  /** Takes a sample of every process (and the servers) now. */
  mark(): Promise<void>;
  /** Adds orders settled since the last mark to the count the costs are divided by. */
  addOrders(count: number): void;
  /** Per app: CPU seconds between marks taken in pairs, and the peak resident memory seen. */
  result(): {
    perApp: Map<string, { cpuSeconds: number; peakResidentBytes: number }>;
    servers: { postgres: number; rabbitmq: number };
    orders: number;
  };
}

/**
 * costTracker accumulates CPU used between pairs of marks (begin, end) and the peak memory of each
 * app's replicas, from the processes' own metrics; a background poll every 2 s catches peaks.
 */
export function costTracker(urls: () => Map<string, string>): CostTracker & { stopPolling(): void } {
  const perApp = new Map<string, { cpuSeconds: number; peakResidentBytes: number }>();
  const servers = { postgres: 0, rabbitmq: 0 };
  let begin: { processes: Map<string, ProcessSample>; servers: { postgres: number; rabbitmq: number } } | undefined;
  let orders = 0;
  const entry = (app: string) => {
    let found = perApp.get(app);
    if (!found) perApp.set(app, (found = { cpuSeconds: 0, peakResidentBytes: 0 }));
    return found;
  };
  const notePeaks = (processes: Map<string, ProcessSample>) => {
    for (const [id, sample] of processes) {
      const app = entry(appOf(id));
      app.peakResidentBytes = Math.max(app.peakResidentBytes, sample.residentBytes);
    }
  };
  const poller = setInterval(() => {
    if (begin) void scrapeProcesses(urls()).then(notePeaks);
  }, 2_000);
  return {
    async mark() {
      const [processes, cpu] = await Promise.all([scrapeProcesses(urls()), serverCpuSeconds()]);
      notePeaks(processes);
      if (!begin) {
        begin = { processes, servers: cpu };
        return;
      }
      for (const [id, sample] of processes) {
        const before = begin.processes.get(id);
        // A replica started after the first mark counts from zero: its start-up is part of scaling out.
        entry(appOf(id)).cpuSeconds += sample.cpuSeconds - (before?.cpuSeconds ?? 0);
      }
      servers.postgres += cpu.postgres - begin.servers.postgres;
      servers.rabbitmq += cpu.rabbitmq - begin.servers.rabbitmq;
      begin = undefined;
    },
    addOrders(count) {
      orders += count;
    },
    result: () => ({ perApp, servers, orders }),
    stopPolling: () => clearInterval(poller),
  };
}

/**
 * machineContextSwitches reads how many times the machine's CPUs have switched from one task to
 * another since boot (/proc/stat `ctxt`): every process that sleeps and is woken costs two.
 */
export async function machineContextSwitches(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n').find((l) => l.startsWith('ctxt ')) ?? '';
  return Number(line.slice('ctxt '.length));
}

/** machineCpuTicks reads the machine's busy and total CPU ticks from /proc/stat. */
export async function machineCpuTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  // idle and iowait are fields 4 and 5 of the cpu line.
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
}
