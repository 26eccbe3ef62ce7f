import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drillNames } from './catalogue.js';

const root = new URL('../../../../', import.meta.url);
const architecture = readFileSync(new URL('docs/architecture.md', root), 'utf8');
const diagram = /## The six hops[\s\S]*?```mermaid\n([\s\S]*?)```/.exec(architecture)?.[1] ?? '';

const named = (label: RegExp) =>
  [...diagram.matchAll(label)].flatMap((match) => match[1]!.split(',').map((name) => name.trim()));

describe("docs/architecture.md's six-hop diagram", () => {
  it('exists, with its six hops', () => {
    for (const hop of ['1 write', '2 publish', '3 route', '4 process', '5 quarantine', '6 display']) {
      expect(diagram).toContain(`<b>${hop}</b>`);
    }
  });

  it('names only modules and tests that exist', () => {
    const files = [...diagram.matchAll(/\b((?:apps|packages|test)\/[\w./-]+\.ts)\b/g)].map((match) => match[1]!);
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((file) => !existsSync(new URL(file, root)))).toEqual([]);
  });

  it('names only drills of the catalogue, and every one of them', () => {
    const drills = named(/drills?: ([a-z-]+(?:, [a-z-]+)*)/g);
    const catalogue: readonly string[] = drillNames;
    expect(drills.filter((drill) => !catalogue.includes(drill))).toEqual([]);
    expect(catalogue.filter((drill) => !drills.includes(drill))).toEqual([]);
  });
});
