import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The repository's root directory. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The upstream CRDs, from shared/ beside the repository (as CI clones it): they are data the
 * project reads, never a copy inside it.
 */
export const crdDirectory = path.resolve(repoRoot, '..', 'shared', 'schemas', 'crds');

/** The namespace every manifest and the chart's release live in. */
export const namespace = 'surety';

export function repoPath(...parts: string[]): string {
  return path.join(repoRoot, ...parts);
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as parsed from YAML; each test narrows what it reads. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  /** Where it came from, for messages: a file, or a chart scenario and template. */
  source: string;
  [field: string]: unknown;
}

/** readYaml parses every document of a YAML file, failing on any syntax error. */
export function readYaml(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  const docs = Array.isArray(documents) ? documents : [documents];
  return docs
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
      return document.toJS() as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
}

/** toObjects checks that parsed documents look like Kubernetes objects and tags them with their source. */
export function toObjects(documents: unknown[], source: string): KubeObject[] {
  return documents.map((document, index) => {
    const object = document as Partial<KubeObject>;
    const name = object.metadata?.name;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof name !== 'string') {
      throw new Error(`${source} document ${index + 1} is not a Kubernetes object (apiVersion, kind, metadata.name)`);
    }
    return { ...object, source } as KubeObject;
  });
}

/** manifestsIn reads the objects of every *.yaml file directly in a folder of the repository. */
export function manifestsIn(folder: string): KubeObject[] {
  const directory = repoPath(folder);
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.yaml'))
    .sort();
  return files.flatMap((file) => toObjects(readYaml(path.join(directory, file)), `${folder}/${file}`));
}

/** requireDirectory fails with a message that says what is missing and why it matters. */
export function requireDirectory(directory: string, why: string): void {
  if (!existsSync(directory)) throw new Error(`${directory} does not exist: ${why}`);
}

/** sourceFiles lists the TypeScript sources of every app and package (tests excluded). */
export function sourceFiles(): string[] {
  const roots = ['apps', 'packages'].flatMap((top) =>
    readdirSync(repoPath(top)).map((name) => repoPath(top, name, 'src')),
  );
  return roots.filter((root) => existsSync(root)).flatMap((root) => walk(root));
}

function walk(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}
