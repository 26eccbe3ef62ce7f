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

describe('the supervisor', () => {
  it('takes its children with it when it dies of an uncaught error', async () => {
    const supervisor = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/supervisor-crash.ts'], {
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => supervisor.once('exit', resolve));
    const children = await waitFor(
      'the supervised child',
      async () =>
        spawnSync('pgrep', ['-P', String(supervisor.pid)], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter(Boolean)
          .map(Number),
      (pids) => pids.length > 0,
    );
    expect(await exited).toBe(1);
    try {
      await waitFor(
        'the child to be gone',
        async () => children.filter(alive),
        (left) => left.length === 0,
        {
          timeoutMs: 3_000,
        },
      );
    } finally {
      for (const pid of children.filter(alive)) process.kill(pid, 'SIGKILL');
    }
  });
});
