import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { appNodeFlags, compiledEntryOf, ensureCompiled } from './compiled.js';

/** The signals that end a process by default, and so must take its children with it. */
const endingSignals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * exitOnSignal ends the process through exit, so that every supervisor's exit hook kills its
 * children (node's default action would skip them), unless the command handles the signal itself
 * (`make run` stops its processes in order). One handler per process, however many supervisors.
 */
function exitOnSignal(signal: NodeJS.Signals): void {
  if (process.listeners(signal).some((listener) => listener !== exitOnSignal)) return;
  process.exit(128 + constants.signals[signal]);
}

export interface ProcessSpec {
  /** e.g. `payment-1` */
  id: string;
  /** The app's entry point, `apps/<app>/src/main.ts`: its compiled `dist/<app>.js` runs. */
  entry: string;
  env: Record<string, string>;
  /** A positive niceness runs the process at a lower CPU priority (background work on a shared machine). */
  nice?: number;
  /** Flags for node itself, before the entry point (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeFlags?: readonly string[];
}

interface Supervised {
  spec: ProcessSpec;
  child: ChildProcess | undefined;
  restarts: number;
  startedAt: number;
  /** The log file, opened for appending: every run of the process writes its output straight into it. */
  log: number;
}

/**
 * Supervisor runs app processes from their compiled JavaScript (rebuilt first when a source
 * changed, unless told not to), writes each one's JSON log to a file, restarts a process that dies with capped backoff,
 * and stops them all with SIGTERM (SIGKILL after a bound).
 */
export class Supervisor {
  private readonly processes = new Map<string, Supervised>();
  private stopping = false;
  // Should this process die without stopping them (an uncaught error), its children die with it:
  // in their own process groups, they would live on, holding their ports, and answer the requests
  // of the next run in its processes' place.
  private readonly killOnExit = () => {
    for (const { child } of this.processes.values()) child?.kill('SIGKILL');
  };

  constructor(
    private readonly options: {
      root: string;
      logDir: string;
      say: (line: string) => void;
      /** The longest wait before restarting a process that keeps dying. */
      maxRestartDelayMs?: number;
      /**
       * false runs dist/ as it is, however the sources change meanwhile: a measurement must run one
       * build from start to end, not pick up an edit for the processes it starts later.
       */
      rebuild?: boolean;
    },
  ) {
    mkdirSync(options.logDir, { recursive: true });
    process.on('exit', this.killOnExit);
    for (const signal of endingSignals) {
      if (!process.listeners(signal).includes(exitOnSignal)) process.on(signal, exitOnSignal);
    }
  }

  start(spec: ProcessSpec): void {
    const log = openSync(join(this.options.logDir, `${spec.id}.log`), 'a');
    const supervised: Supervised = { spec, child: undefined, restarts: 0, startedAt: 0, log };
    this.processes.set(spec.id, supervised);
    this.launch(supervised);
  }

  /** ids lists the supervised processes. */
  ids(): string[] {
    return [...this.processes.keys()];
  }

  /** specs lists what each supervised process was started with. */
  specs(): ProcessSpec[] {
    return [...this.processes.values()].map((p) => p.spec);
  }

  /** specOf is what process `id` was started with; undefined once it has stopped for good. */
  specOf(id: string): ProcessSpec | undefined {
    return this.processes.get(id)?.spec;
  }

  /** signal sends a signal to one process as it runs now (a kill -9, a SIGSTOP); false if it is down. */
  signal(id: string, signal: NodeJS.Signals): boolean {
    const child = this.processes.get(id)?.child;
    return child?.exitCode === null && child.kill(signal);
  }

  /** replace stops a process gracefully and starts it again with other settings. */
  async replace(id: string, env: Record<string, string>): Promise<void> {
    const spec = this.processes.get(id)?.spec;
    if (!spec) throw new Error(`no process ${id}`);
    await this.stopOne(id);
    this.start({ ...spec, env: { ...spec.env, ...env } });
  }

  /** stopOne ends one process for good (a scale-in). */
  async stopOne(id: string, graceMs = 15_000): Promise<void> {
    const supervised = this.processes.get(id);
    if (!supervised) return;
    this.processes.delete(id);
    await this.terminate(supervised, graceMs);
    endLog(supervised);
  }

  async stopAll(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    const all = [...this.processes.values()].reverse();
    await Promise.all(all.map((p) => this.terminate(p, graceMs)));
    for (const p of all) endLog(p);
    process.off('exit', this.killOnExit);
  }

  private launch(supervised: Supervised): void {
    const { spec } = supervised;
    if (this.options.rebuild !== false) ensureCompiled(this.options.root, this.options.say);
    const node = [process.execPath, ...appNodeFlags, ...(spec.nodeFlags ?? []), compiledEntryOf(spec.entry)];
    // nice execs node in place, so the child's pid (and the signals sent to it) stay node's.
    const command = spec.nice ? ['nice', '-n', String(spec.nice), ...node] : node;
    const child = spawn(command[0] ?? process.execPath, command.slice(1), {
      cwd: this.options.root,
      env: { ...process.env, ...spec.env },
      // Output goes straight to the log file, not through this process: copying it would wake this
      // process (and a thread to write it) for every line. The IPC channel is never written: a child
      // sees it close when this process dies, even of SIGKILL, and stops itself (runMain) instead of
      // living on as an orphan.
      stdio: ['ignore', supervised.log, supervised.log, 'ipc'],
      // Own process group: a terminal's Ctrl-C reaches the supervisor, which stops children in order.
      detached: true,
    });
    supervised.child = child;
    supervised.startedAt = Date.now();
    child.on('exit', (code, signal) => {
      if (supervised.child === child) supervised.child = undefined;
      if (this.stopping || this.processes.get(spec.id) !== supervised) return;
      const upMs = Date.now() - supervised.startedAt;
      if (upMs > 30_000) supervised.restarts = 0;
      const delayMs = Math.min(this.options.maxRestartDelayMs ?? 10_000, 500 * 2 ** supervised.restarts);
      supervised.restarts += 1;
      this.options.say(`${spec.id} exited (${signal ?? `code ${code}`}); restarting in ${delayMs} ms`);
      setTimeout(() => {
        if (!this.stopping && this.processes.get(spec.id) === supervised) this.launch(supervised);
      }, delayMs).unref();
    });
  }

  private async terminate(supervised: Supervised, graceMs: number): Promise<void> {
    const child = supervised.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** endLog closes this process's handle on a log file, once; a child still running keeps its own. */
function endLog(supervised: Supervised): void {
  if (supervised.log < 0) return;
  closeSync(supervised.log);
  supervised.log = -1;
}
