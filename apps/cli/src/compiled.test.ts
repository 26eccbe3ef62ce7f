import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildStamp, compiledEntries, compiledEntryOf, whyStale } from './compiled.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A repository with two apps (one with an OpenTelemetry set-up), a package and the web page, all written `secondsAgo`. */
function repository(secondsAgo = 60): string {
  const root = mkdtempSync(join(tmpdir(), 'surety-compiled-'));
  roots.push(root);
  for (const file of [
    'apps/api/src/main.ts',
    'apps/api/src/instrument.ts',
    'apps/api/package.json',
    'apps/cli/src/main.ts',
    'apps/web/src/page.tsx',
    'packages/db/src/pool.ts',
    'packages/db/src/pool.test.ts',
    'tsconfig.json',
  ])
    touch(root, file, secondsAgo);
  return root;
}

function touch(root: string, file: string, secondsAgo: number): void {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  const when = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, when, when);
}

function built(root: string, secondsAgo: number): void {
  for (const file of ['dist/api.js', 'dist/cli.js', buildStamp]) touch(root, file, secondsAgo);
}

describe('compiled entry points', () => {
  it('lists every app with a main.ts, with its OpenTelemetry set-up to run first', () => {
    expect(compiledEntries(repository())).toEqual([
      { app: 'api', source: 'apps/api/src/main.ts', preload: 'apps/api/src/instrument.ts', compiled: 'dist/api.js' },
      { app: 'cli', source: 'apps/cli/src/main.ts', preload: undefined, compiled: 'dist/cli.js' },
    ]);
  });

  it("maps an app's entry point to its compiled file, and refuses any other file", () => {
    expect(compiledEntryOf('apps/payment/src/main.ts')).toBe('dist/payment.js');
    expect(() => compiledEntryOf('test/fixtures/crashing-consumer.ts')).toThrow(/not an app's entry point/);
  });
});

describe('whyStale', () => {
  it('wants a first build, and a build when an entry point is missing', () => {
    const root = repository();
    expect(whyStale(root)).toBe('no build yet');
    touch(root, buildStamp, 0);
    expect(whyStale(root)).toBe('dist/api.js is missing');
  });

  it('is satisfied by a build newer than every source', () => {
    const root = repository(60);
    built(root, 30);
    expect(whyStale(root)).toBeUndefined();
  });

  it('names a source, a manifest or a setting changed since the build', () => {
    for (const file of ['packages/db/src/pool.ts', 'apps/api/package.json', 'tsconfig.json']) {
      const root = repository(60);
      built(root, 30);
      touch(root, file, 0);
      expect(whyStale(root)).toBe(`${file} changed`);
    }
  });

  it('ignores tests and the web page, which the build does not read', () => {
    const root = repository(60);
    built(root, 30);
    touch(root, 'packages/db/src/pool.test.ts', 0);
    touch(root, 'apps/web/src/page.tsx', 0);
    expect(whyStale(root)).toBeUndefined();
  });
});
