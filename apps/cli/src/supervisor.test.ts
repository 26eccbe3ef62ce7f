import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { Supervisor } from './supervisor.js';

describe('a supervised process’s log', () => {
  const logDir = mkdtempSync(join(tmpdir(), 'surety-supervisor-log-'));
  let supervisor: Supervisor | undefined;
  afterEach(() => supervisor?.stopAll(1_000));

  it('is written by the process itself, straight into its file, across restarts', async () => {
    supervisor = new Supervisor({ root: process.cwd(), logDir, say: () => undefined, rebuild: false });
    // node -e runs the code and only passes the entry point on as an argument.
    const child = `
      const { readlinkSync } = require('node:fs');
      console.log('stdout is ' + readlinkSync('/proc/self/fd/1'));
      console.error('stderr is ' + readlinkSync('/proc/self/fd/2'));
      setTimeout(() => process.exit(3), 100);
    `;
    supervisor.start({ id: 'logger-1', entry: 'apps/gateway/src/main.ts', nodeFlags: ['-e', child], env: {} });
    const file = join(logDir, 'logger-1.log');
    const lines = () => (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').filter((line) => line !== '');
    // The first run exits with code 3 and is started again half a second later.
    await waitFor(
      'two runs to have written',
      async () => lines().length,
      (n) => n >= 4,
      { timeoutMs: 10_000 },
    );
    await supervisor.stopAll(1_000);
    expect(lines().slice(0, 4).sort()).toEqual([
      `stderr is ${file}`,
      `stderr is ${file}`,
      `stdout is ${file}`,
      `stdout is ${file}`,
    ]);
  });
});
