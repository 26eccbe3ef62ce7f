import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { waitFor } from './support/wait.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** supervise starts a fixture that supervises one child, and answers once the child runs. */
async function supervise(fixture: string, env: NodeJS.ProcessEnv = {}) {
  const supervisor = spawn(process.execPath, ['--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => supervisor.once('exit', (code) => resolve(code)));
  let output = '';
  supervisor.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // A signal sent before the supervisor exists would find node's default action, not the supervisor.
  await waitFor(
    'the fixture to supervise',
    async () => output,
    (text) => text.includes('supervising'),
  );
  const children = await waitFor(
    'the supervised child',
    async () =>
      // Only the supervised node, whatever else the fixture's runtime starts.
      spawnSync('pgrep', ['-P', String(supervisor.pid), '-f', 'max-semi-space-size'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number),
    (pids) => pids.length > 0,
  );
  return { supervisor, exited, children };
}

async function expectGone(children: number[], timeoutMs = 3_000) {
  try {
    await waitFor(
      'the child to be gone',
      async () => children.filter(alive),
      (left) => left.length === 0,
      { timeoutMs },
    );
  } finally {
    for (const pid of children.filter(alive)) process.kill(pid, 'SIGKILL');
  }
}

describe('the supervisor', () => {
  it('takes its children with it when it dies of an uncaught error', async () => {
    const { exited, children } = await supervise('test/fixtures/supervisor-crash.ts');
    expect(await exited).toBe(1);
    await expectGone(children);
  });

  it('takes its children with it when it is sent SIGTERM and its command has no handler of its own', async () => {
    const { supervisor, exited, children } = await supervise('test/fixtures/supervisor-waits.ts');
    supervisor.kill('SIGTERM');
    expect(await exited).toBe(143);
    await expectGone(children);
  });

  it('leaves no service behind when it is killed outright: the orphan stops itself', async () => {
    const { supervisor, exited, children } = await supervise('test/fixtures/supervisor-waits.ts', {
      CHILD: 'service',
    });
    // The service is up once it has its signal handlers; a moment is plenty for a child that only waits.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(children.filter(alive)).toEqual(children);
    supervisor.kill('SIGKILL');
    await exited;
    await expectGone(children, 10_000);
  });
});
