import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { importsOf, packageOf, type ImportKind } from './imports.js';
import { isTestFile, repoRoot, sourceFilesIn, type Manifest } from './workspaces.js';

/** The packages a file may import, by how it imports them, and where they come from (for messages). */
export type Allowance = Record<ImportKind, { packages: Set<string>; from: string }>;

const union = (...sets: Set<string>[]) => new Set(sets.flatMap((set) => [...set]));

/**
 * runtimeWorkspaces names the workspaces the image runs: every app with a src/main.ts (compiled into
 * dist/) and the workspaces they depend on. The others run nothing from node_modules: the web page
 * is bundled by Vite when the image is built.
 */
export function runtimeWorkspaces(workspaces: Manifest[]): Set<string> {
  const running = new Set(
    workspaces.filter((w) => existsSync(path.join(repoRoot, w.directory, 'src', 'main.ts'))).map((w) => w.name),
  );
  for (let grew = true; grew;) {
    grew = false;
    for (const workspace of workspaces.filter((w) => running.has(w.name)))
      for (const name of workspace.dependencies)
        if (workspaces.some((w) => w.name === name) && !running.has(name)) grew = Boolean(running.add(name));
  }
  return running;
}

/**
 * allowanceFor says what a file of a workspace may import. What the workspace's code loads at run
 * time must be in its `dependencies`, the only ones `npm ci --omit=dev` installs. A dynamic import
 * may also name the workspace's own devDependencies: it loads only on the path that runs it (the
 * bench's prettier), and the production entry-point check proves that no entry point takes that
 * path. Types are erased, and tests never run from the image, so both may use the root's tools. A
 * workspace the image does not run (`runs` false) builds at image build time, from devDependencies.
 */
export function allowanceFor(file: string, workspace: Manifest, root: Manifest, runs = true): Allowance {
  const own = { packages: union(workspace.dependencies, new Set([workspace.name])), from: 'dependencies' };
  const development = {
    packages: union(own.packages, workspace.devDependencies, root.dependencies, root.devDependencies),
    from: "dependencies, devDependencies or the root's",
  };
  if (isTestFile(file)) return { value: development, dynamic: development, type: development };
  if (!runs) {
    const build = { packages: union(own.packages, workspace.devDependencies), from: 'dependencies or devDependencies' };
    return { value: build, dynamic: build, type: development };
  }
  return {
    value: own,
    dynamic: { packages: union(own.packages, workspace.devDependencies), from: 'dependencies or devDependencies' },
    type: development,
  };
}

/** rootAllowance: the repository's own tests, scripts and configs use the root's packages and every workspace. */
export function rootAllowance(root: Manifest, workspaces: Manifest[]): Allowance {
  const all = {
    packages: union(root.dependencies, root.devDependencies, new Set(workspaces.map((w) => w.name))),
    from: 'dependencies, devDependencies or workspaces',
  };
  return { value: all, dynamic: all, type: all };
}

/** The DefinitelyTyped package that types `name`: `@types/pg`, `@types/scope__name`. */
function typesPackage(name: string): string {
  return `@types/${name.replace(/^@/, '').replace('/', '__')}`;
}

/**
 * Files whose imports of a computed name were read and found to load only packages their workspace
 * declares. tracing.ts loads the OTLP exporter that OTEL_EXPORTER_OTLP_PROTOCOL names, from a table
 * of package names beside it; the entry-point check loads the chart's (http/protobuf) from the image.
 */
const reviewedComputedImports = new Set(['packages/telemetry/src/tracing.ts']);

/** undeclaredImports lists, as `file:line …` messages, the imports of one file its allowance does not cover. */
export function undeclaredImports(file: string, text: string, allowance: Allowance, owner: string): string[] {
  return importsOf(file, text).flatMap(({ specifier, kind, line }) => {
    if (specifier === undefined)
      return reviewedComputedImports.has(file)
        ? []
        : [`${file}:${line}: a dynamic import of a computed name cannot be checked`];
    const name = packageOf(specifier);
    if (name === undefined) return [];
    const { packages, from } = allowance[kind];
    if (packages.has(name) || (kind === 'type' && packages.has(typesPackage(name)))) return [];
    return [`${file}:${line}: ${kind} import of ${name}, which is not in the ${from} of ${owner}`];
  });
}

/** workspaceProblems checks every source file of one workspace; `runs` is false for one the image does not run. */
export function workspaceProblems(workspace: Manifest, root: Manifest, runs: boolean): string[] {
  return sourceFilesIn(workspace.directory).flatMap((file) =>
    undeclaredImports(
      file,
      readFileSync(path.join(repoRoot, file), 'utf8'),
      allowanceFor(file, workspace, root, runs),
      workspace.name,
    ),
  );
}

/**
 * Folders at the root that hold no Node.js sources of the repository's own: the workspaces (checked
 * on their own), k6's scripts (load/, run by k6's runtime), installed, generated and local files.
 */
const notRootSource = new Set(['apps', 'packages', 'load', 'node_modules', 'reports', 'dist']);

/** rootProblems checks the tests, scripts and configs outside the workspaces. */
export function rootProblems(root: Manifest, workspaces: Manifest[]): string[] {
  const allowance = rootAllowance(root, workspaces);
  const files = readdirSync(repoRoot, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || notRootSource.has(entry.name)) return [];
    if (entry.isDirectory()) return sourceFilesIn(entry.name);
    return /\.(?:[cm]?[jt]s)$/.test(entry.name) ? [entry.name] : [];
  });
  return files.flatMap((file) =>
    undeclaredImports(file, readFileSync(path.join(repoRoot, file), 'utf8'), allowance, 'the root package.json'),
  );
}
