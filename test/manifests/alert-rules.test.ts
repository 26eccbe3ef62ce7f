import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoPath } from './support/repo.js';

const rulesDir = repoPath('observability', 'prometheus');

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: rulesDir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const failed = error as { code?: string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error("promtool not found: install Debian's prometheus package");
    throw new Error(`promtool ${args.join(' ')} failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

describe('alert rules', () => {
  it('are valid Prometheus rules', () => {
    expect(promtool('check', 'rules', 'rules.yaml')).toContain('SUCCESS: 8 rules found');
  });

  it('fire on the series they are for and stay silent on healthy ones (promtool test rules)', () => {
    expect(promtool('test', 'rules', 'rules.test.yaml')).toContain('SUCCESS');
  });
});
