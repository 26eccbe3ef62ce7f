// build-dist.ts — compiles every app (apps/<app>/src/main.ts, the CLI included) into dist/<app>.js,
// ESM for Node.js with source maps: `node --enable-source-maps dist/<app>.js` runs it, in the image
// and under `make run`. The @surety/* workspaces are bundled in; every other package stays an
// import of node_modules, so `npm ci --omit=dev` trees work and OpenTelemetry patches pg, amqplib,
// fastify and undici when Node loads them.
//   node --import tsx scripts/build-dist.ts [--if-stale]   (--if-stale: only when a source changed)
import { readFile, readdir, rename, stat, unlink, utimes, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { buildStamp, compiledEntries, distFolder, whyStale, type CompiledEntry } from '../apps/cli/src/compiled.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = path.join(root, distFolder);
/** Chunks of an earlier build stay this long, for a process started from it that has yet to load them. */
const oldChunkGraceMs = 10 * 60_000;

/** Bare imports of anything but @surety/* are left to Node.js to load from node_modules. */
const thirdPartyExternal: Plugin = {
  name: 'third-party-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'entry-point' || args.path.startsWith('@surety/') || args.namespace === 'entry'
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

/**
 * import.meta.url in a bundled module would be the bundle's URL; it becomes its source file's URL,
 * relative to dist/, so that paths resolved from it (packages/db/migrations, apps/api/public)
 * are the same as when the sources run. Every output file is in dist/ itself, chunks included.
 */
const sourceFileUrls: Plugin = {
  name: 'source-file-urls',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const fromDist = path.relative(outdir, args.path).split(path.sep).join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`),
        loader: 'ts',
      };
    });
  },
};

/**
 * An app whose main.ts imports its OpenTelemetry set-up first gets an entry module that runs that
 * set-up, then imports main.ts. A bundle lists every external import at its top, and ES modules load
 * all their imports before running, so without it pg, amqplib and fastify would load before tracing
 * started and never be instrumented.
 */
function entryModules(entries: CompiledEntry[]): Plugin {
  return {
    name: 'entry-modules',
    setup(builder) {
      builder.onResolve({ filter: /^entry:/ }, (args) => ({
        path: args.path.slice('entry:'.length),
        namespace: 'entry',
      }));
      builder.onLoad({ filter: /.*/, namespace: 'entry' }, (args) => {
        const entry = entries.find((candidate) => candidate.app === args.path)!;
        return {
          contents: `import ${JSON.stringify(`./${entry.preload}`)};\nawait import(${JSON.stringify(`./${entry.source}`)});\n`,
          resolveDir: root,
          loader: 'js',
        };
      });
    },
  };
}

/** writeAtomically replaces a file in one rename, so a process starting meanwhile reads the old one or the new one whole. */
async function writeAtomically(file: string, contents: Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

async function pruneOldChunks(written: Set<string>): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(outdir)) {
    const file = path.join(outdir, name);
    if (!/^chunk-/.test(name) || written.has(file)) continue;
    if (now - (await stat(file)).mtimeMs > oldChunkGraceMs) await unlink(file);
  }
}

if (process.argv.includes('--if-stale') && whyStale(root) === undefined) {
  process.stdout.write(`[build] ${distFolder}/ up to date\n`);
  process.exit(0);
}
const started = new Date();
const entries = compiledEntries(root);
const result = await build({
  absWorkingDir: root,
  entryPoints: entries.map((entry) => ({ in: entry.preload ? `entry:${entry.app}` : entry.source, out: entry.app })),
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  write: false,
  logLevel: 'warning',
  plugins: [entryModules(entries), thirdPartyExternal, sourceFileUrls],
});
await mkdir(outdir, { recursive: true });
for (const output of result.outputFiles) await writeAtomically(output.path, output.contents);
await pruneOldChunks(new Set(result.outputFiles.map((output) => output.path)));
const stamp = path.join(root, buildStamp);
await writeFile(stamp, '');
await utimes(stamp, started, started);
process.stdout.write(`[build] ${entries.map((entry) => entry.compiled).join(' ')}\n`);
