import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { appNodeFlags, appOfEntry, compiledEntryOf, ensureCompiled } from '../../apps/cli/src/compiled.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface AppProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  output(): string;
}

/** An app's entry point runs compiled, as `make run` runs it; any other file (a test fixture) runs with tsx. */
function nodeArguments(entry: string): string[] {
  if (!appOfEntry(entry)) return ['--import', 'tsx', entry];
  ensureCompiled(root);
  return [...appNodeFlags, compiledEntryOf(entry)];
}

/** spawnProcess runs an entry point of the repository as its own process, as `make run` does. */
export function spawnProcess(entry: string, env: Record<string, string>, args: string[] = []): AppProcess {
  const child = spawn(process.execPath, [...nodeArguments(entry), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, ...watch(child) };
}

/** watch collects a child's output and tells when it ends: its exit code, or the signal's name. */
export function watch(child: ChildProcessByStdio<null, Readable, Readable>): {
  exited: Promise<number | string>;
  output(): string;
} {
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { exited, output: () => output };
}
