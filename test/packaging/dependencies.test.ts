import { describe, expect, it } from 'vitest';
import {
  allowanceFor,
  rootProblems,
  runtimeWorkspaces,
  undeclaredImports,
  workspaceProblems,
} from './support/declarations.js';
import { importsOf, packageOf } from './support/imports.js';
import { rootManifest, workspaceManifests, type Manifest } from './support/workspaces.js';

const root = rootManifest();
const workspaces = workspaceManifests();
const running = runtimeWorkspaces(workspaces);

describe('every workspace declares what it imports', () => {
  it('finds the workspaces of the root package.json', () => {
    expect(workspaces.map((w) => w.name)).toEqual(expect.arrayContaining(['@surety/cli', '@surety/api', '@surety/db']));
  });

  it('tells the workspaces the image runs (apps, what they depend on) from the web page, bundled at build time', () => {
    expect(running).toContain('@surety/api');
    expect(running).toContain('@surety/db');
    expect(running).toContain('@surety/cli');
    expect(running).not.toContain('@surety/web');
  });

  it.each(workspaces.map((workspace) => [workspace.name, workspace] as const))(
    '%s: what its code loads is in its dependencies',
    (name, workspace) => {
      expect(workspaceProblems(workspace, root, running.has(name))).toEqual([]);
    },
  );

  it("the root's tests, scripts and configs: their packages are the root's or a workspace", () => {
    expect(rootProblems(root, workspaces)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const source = [
    "import pg from 'pg';",
    "import { type Channel } from 'amqplib';",
    "import type { Browser } from 'playwright-core';",
    "import './instrument.js';",
    "import { readFile } from 'node:fs/promises';",
    "import { join } from 'path';",
    "export { migrate } from '@surety/db/migrate';",
    "export type { Pool } from 'pg-pool';",
    "const prettier = await import('prettier');",
    'const computed = await import(name);',
    "type Options = import('opossum').Options;",
  ].join('\n');

  it('reads static, dynamic and type-only imports, and re-exports, with their lines', () => {
    expect(importsOf('example.ts', source)).toEqual([
      { specifier: 'pg', kind: 'value', line: 1 },
      { specifier: 'amqplib', kind: 'value', line: 2 },
      { specifier: 'playwright-core', kind: 'type', line: 3 },
      { specifier: './instrument.js', kind: 'value', line: 4 },
      { specifier: 'node:fs/promises', kind: 'value', line: 5 },
      { specifier: 'path', kind: 'value', line: 6 },
      { specifier: '@surety/db/migrate', kind: 'value', line: 7 },
      { specifier: 'pg-pool', kind: 'type', line: 8 },
      { specifier: 'prettier', kind: 'dynamic', line: 9 },
      { specifier: undefined, kind: 'dynamic', line: 10 },
      { specifier: 'opossum', kind: 'type', line: 11 },
    ]);
  });

  it('names the package of a specifier, and none for paths and builtins', () => {
    expect(
      ['@surety/db/migrate', 'pg', 'vega-lite/build', './x.js', '/abs', 'node:fs', 'fs/promises'].map(packageOf),
    ).toEqual(['@surety/db', 'pg', 'vega-lite', undefined, undefined, undefined, undefined]);
  });

  const workspace: Manifest = {
    name: '@surety/example',
    directory: 'apps/example',
    dependencies: new Set(['pg']),
    devDependencies: new Set(['prettier', '@types/opossum']),
  };
  const problems = (file: string) =>
    undeclaredImports(file, source, allowanceFor(file, workspace, root), workspace.name);

  it('refuses in code what only dev or root dependencies provide, and accepts it for types', () => {
    expect(problems('apps/example/src/service.ts')).toEqual([
      'apps/example/src/service.ts:2: value import of amqplib, which is not in the dependencies of @surety/example',
      'apps/example/src/service.ts:7: value import of @surety/db, which is not in the dependencies of @surety/example',
      "apps/example/src/service.ts:8: type import of pg-pool, which is not in the dependencies, devDependencies or the root's of @surety/example",
      'apps/example/src/service.ts:10: a dynamic import of a computed name cannot be checked',
    ]);
  });

  it('lets a workspace the image does not run (the web page) build from its devDependencies', () => {
    const file = 'apps/example/src/page.ts';
    expect(undeclaredImports(file, source, allowanceFor(file, workspace, root, false), workspace.name)).toEqual([
      'apps/example/src/page.ts:2: value import of amqplib, which is not in the dependencies or devDependencies of @surety/example',
      'apps/example/src/page.ts:7: value import of @surety/db, which is not in the dependencies or devDependencies of @surety/example',
      "apps/example/src/page.ts:8: type import of pg-pool, which is not in the dependencies, devDependencies or the root's of @surety/example",
      'apps/example/src/page.ts:10: a dynamic import of a computed name cannot be checked',
    ]);
  });

  it("lets a test file use the root's devDependencies", () => {
    expect(problems('apps/example/src/service.test.ts')).toEqual([
      "apps/example/src/service.test.ts:7: value import of @surety/db, which is not in the dependencies, devDependencies or the root's of @surety/example",
      "apps/example/src/service.test.ts:8: type import of pg-pool, which is not in the dependencies, devDependencies or the root's of @surety/example",
      'apps/example/src/service.test.ts:10: a dynamic import of a computed name cannot be checked',
    ]);
  });
});
