import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Manifest {
  name: string;
  /** The folder of its package.json, relative to the repository's root ('' for the root). */
  directory: string;
  dependencies: Set<string>;
  devDependencies: Set<string>;
}

interface PackageJson {
  name?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readPackageJson(directory: string): PackageJson {
  return JSON.parse(readFileSync(path.join(repoRoot, directory, 'package.json'), 'utf8')) as PackageJson;
}

function manifestOf(directory: string): Manifest {
  const json = readPackageJson(directory);
  return {
    name: json.name ?? directory,
    directory,
    dependencies: new Set(Object.keys(json.dependencies ?? {})),
    devDependencies: new Set(Object.keys(json.devDependencies ?? {})),
  };
}

export function rootManifest(): Manifest {
  return manifestOf('');
}

/** workspaceManifests reads the package.json of every workspace the root's `workspaces` globs (`folder/*`) name. */
export function workspaceManifests(): Manifest[] {
  return (readPackageJson('').workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith('/*')) throw new Error(`workspace pattern ${pattern}: only folder/* is understood`);
    const parent = pattern.slice(0, -2);
    return readdirSync(path.join(repoRoot, parent))
      .map((name) => path.posix.join(parent, name))
      .filter((directory) => existsSync(path.join(repoRoot, directory, 'package.json')))
      .map(manifestOf);
  });
}

/** What is never source: installed packages, build output, and the web page the api serves. */
const notSource = new Set(['node_modules', 'dist', 'public']);
const sourceFile = /\.(?:[cm]?[jt]s|tsx)$/;

/** sourceFilesIn lists the JavaScript and TypeScript files under a folder of the repository, relative to the root. */
export function sourceFilesIn(directory: string): string[] {
  return readdirSync(path.join(repoRoot, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(directory, entry.name);
    if (entry.isDirectory()) return notSource.has(entry.name) ? [] : sourceFilesIn(relative);
    return sourceFile.test(entry.name) && !entry.name.endsWith('.d.ts') ? [relative] : [];
  });
}

export function isTestFile(file: string): boolean {
  return /\.test\.tsx?$/.test(file);
}
