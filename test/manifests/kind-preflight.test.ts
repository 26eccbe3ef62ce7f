import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from './support/repo.js';

function bash(script: string, env: Record<string, string> = {}) {
  const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('scripts/kind-lib.sh version_at_least', () => {
  const atLeast = (found: string, wanted: string) =>
    bash('source "$LIB"; version_at_least "$FOUND" "$WANTED"', {
      LIB: repoPath('scripts', 'kind-lib.sh'),
      FOUND: found,
      WANTED: wanted,
    }).status === 0;

  it.each([
    ['v0.32.0', 'v0.32.0', true],
    ['v0.32.1', 'v0.32.0', true],
    ['v0.100.0', 'v0.32.0', true],
    ['v1.0.0', 'v0.32.0', true],
    ['v0.31.9', 'v0.32.0', false],
    ['v0.9.0', 'v0.32.0', false],
    ['v0.32', 'v0.32.1', false],
    ['v0.32.0-alpha.1', 'v0.32.0', true],
    ['', 'v0.32.0', false],
    ['unknown', 'v0.32.0', false],
  ])('%s is at least %s: %s', (found, wanted, expected) => {
    expect(atLeast(found, wanted)).toBe(expected);
  });
});

describe('make up preflight: kind must be new enough for the pinned node image', () => {
  const bin = mkdtempSync(path.join(tmpdir(), 'surety-fake-tools-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  // Stand-ins for the tools preflight looks for: docker answers, helm names its version.
  const tool = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  tool('docker', 'exit 0');
  tool('kubectl', 'exit 0');
  tool('helm', 'echo v3.22.0');
  const preflight = (kindVersion: string) => {
    tool('kind', `echo "kind ${kindVersion} go1.26.1 linux/amd64"`);
    return bash(`bash ${repoPath('scripts', 'kind-up.sh')} preflight`, { PATH: `${bin}:${process.env.PATH}` });
  };

  it('refuses a kind older than the release that published the node image, and says which it needs', () => {
    const { status, output } = preflight('v0.31.0');
    expect(status).not.toBe(0);
    expect(output).toMatch(
      /kind v0\.31\.0 is older than v0\.32\.0, the release that published kindest\/node:v1\.36\.1/,
    );
  });

  it('accepts that release', () => {
    const { status, output } = preflight('v0.32.0');
    expect(output).toContain('kind v0.32.0');
    expect(status).toBe(0);
  });
});
