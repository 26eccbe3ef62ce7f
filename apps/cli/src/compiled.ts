import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The apps run as compiled JavaScript: scripts/build-dist.ts bundles each `apps/<app>/src/main.ts`
 * into `dist/<app>.js`. This module says where each one goes and whether dist/ is current.
 */

export const distFolder = 'dist';

/**
 * How node runs an app, here and in the image (the Dockerfile's ENTRYPOINT says the same): source
 * maps, so stack traces name the TypeScript; and young-generation semi-spaces of at most 4 MiB
 * instead of V8's 16, about 20 MiB less resident per process under load, with the garbage
 * collector's share of CPU unchanged within noise (bench-cost profiles at 100 orders/s).
 * `--heap-growing-percent=50` would halve the consumers' host's peak (127 against 216 MiB) but
 * costs its CPU per order 15 % at 300 orders/s (docs/architecture.md, "Measured and not kept").
 */
export const appNodeFlags = ['--enable-source-maps', '--max-semi-space-size=4'] as const;
/** Touched by every build, with the time the build started: an input newer than it is not in dist/. */
export const buildStamp = join(distFolder, '.built');

export interface CompiledEntry {
  app: string;
  /** The TypeScript entry point, relative to the repository's root. */
  source: string;
  /** The module that must run before any other (the app's OpenTelemetry set-up), when the app has one. */
  preload: string | undefined;
  /** Its compiled file, relative to the root. */
  compiled: string;
}

/** compiledEntries lists every app with a `src/main.ts`, the CLI included. */
export function compiledEntries(root: string): CompiledEntry[] {
  return readdirSync(join(root, 'apps'))
    .filter((app) => existsSync(join(root, 'apps', app, 'src', 'main.ts')))
    .sort()
    .map((app) => ({
      app,
      source: `apps/${app}/src/main.ts`,
      preload: existsSync(join(root, 'apps', app, 'src', 'instrument.ts'))
        ? `apps/${app}/src/instrument.ts`
        : undefined,
      compiled: `${distFolder}/${app}.js`,
    }));
}

/** appOfEntry names the app whose entry point `source` is (`apps/<app>/src/main.ts`), or undefined. */
export function appOfEntry(source: string): string | undefined {
  return /^apps\/([^/]+)\/src\/main\.ts$/.exec(source)?.[1];
}

/** compiledEntryOf maps an app's entry point, `apps/<app>/src/main.ts`, to `dist/<app>.js`. */
export function compiledEntryOf(source: string): string {
  const app = appOfEntry(source);
  if (!app) throw new Error(`${source} is not an app's entry point (apps/<app>/src/main.ts)`);
  return `${distFolder}/${app}.js`;
}

function filesUnder(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith('.test.ts') ? [] : [path];
  });
}

/** What a build reads: the sources and manifests of every workspace but the web page, the TypeScript settings, the build script. */
function buildInputs(root: string): string[] {
  const workspaces = ['apps', 'packages'].flatMap((top) =>
    readdirSync(join(root, top))
      .filter((name) => !(top === 'apps' && name === 'web'))
      .map((name) => join(root, top, name)),
  );
  return [
    ...workspaces.flatMap((workspace) => [join(workspace, 'package.json'), ...filesUnder(join(workspace, 'src'))]),
    ...['tsconfig.base.json', 'tsconfig.json', 'scripts/build-dist.ts'].map((file) => join(root, file)),
  ].filter((file) => existsSync(file));
}

/** whyStale says why dist/ must be built again, or undefined when it is current. */
export function whyStale(root: string): string | undefined {
  const stamp = statSync(join(root, buildStamp), { throwIfNoEntry: false });
  if (!stamp) return 'no build yet';
  const missing = compiledEntries(root).find((entry) => !existsSync(join(root, entry.compiled)));
  if (missing) return `${missing.compiled} is missing`;
  const changed = buildInputs(root).find((file) => statSync(file).mtimeMs > stamp.mtimeMs);
  return changed && `${changed.slice(root.length).replace(/^\//, '')} changed`;
}

/** ensureCompiled builds dist/ again when a source changed since the last build, as bootstrap.sh does the web page. */
export function ensureCompiled(root: string, say: (line: string) => void = () => undefined): void {
  const why = whyStale(root);
  if (!why) return;
  say(`compiling the apps into ${distFolder}/ (${why})`);
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-dist.ts'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`scripts/build-dist.ts failed:\n${built.stderr}${built.stdout}`);
}
