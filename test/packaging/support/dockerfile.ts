import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './workspaces.js';

export type Instruction =
  | { op: 'COPY'; from: string | undefined; sources: string[]; destination: string }
  | { op: 'RUN'; command: string }
  | { op: 'WORKDIR'; directory: string }
  | { op: 'ENV'; variables: Record<string, string> }
  | { op: 'ENTRYPOINT' | 'CMD'; argv: string[] }
  | { op: 'USER'; user: string };

export interface Stage {
  name: string;
  /** The stage it starts from, or undefined for a base image (which brings Node.js and nothing in the work tree). */
  base: string | undefined;
  instructions: Instruction[];
}

/** logicalLines joins continued lines and drops comments, the parser directive and blank lines. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const continued = raw.endsWith('\\');
    current += continued ? raw.slice(0, -1) : raw;
    if (continued) continue;
    if (current.trim()) lines.push(current.trim());
    current = '';
  }
  return lines;
}

function substitute(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    return Object.hasOwn(variables, name) ? variables[name]! : whole;
  });
}

function execForm(text: string, op: string): string[] {
  const argv: unknown = JSON.parse(text);
  if (!Array.isArray(argv) || !argv.every((arg) => typeof arg === 'string')) {
    throw new Error(`Dockerfile ${op} ${text}: only the exec form (a JSON array of strings) is understood`);
  }
  return argv;
}

/**
 * parseDockerfile reads the instructions this check replays (FROM, ARG, COPY, RUN, WORKDIR, ENV,
 * USER, ENTRYPOINT, CMD). Any other instruction or flag fails the parse: the check must not replay
 * a build it does not understand.
 */
export function parseDockerfile(text: string): Stage[] {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const [, op = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const stage = stages.at(-1);
    const variables = { ...args, ...Object.assign({}, ...(stage?.instructions ?? []).map(envOf)) } as Record<
      string,
      string
    >;
    const value = substitute(rest, variables);
    switch (op.toUpperCase()) {
      case 'ARG': {
        const [name = '', fallback = ''] = rest.split('=');
        args[name] = fallback;
        continue;
      }
      case 'FROM': {
        const [image, as, name] = value.split(/\s+/);
        if (!image || (as && as.toUpperCase() !== 'AS')) throw new Error(`Dockerfile FROM ${rest}: not understood`);
        const base = stages.find((s) => s.name === image)?.name;
        stages.push({ name: name ?? `stage-${stages.length}`, base, instructions: [] });
        continue;
      }
    }
    if (!stage) throw new Error(`Dockerfile ${line}: an instruction before FROM`);
    stage.instructions.push(instruction(op.toUpperCase(), value, line));
  }
  return stages;
}

function envOf(instruction: Instruction): Record<string, string> {
  return instruction.op === 'ENV' ? instruction.variables : {};
}

function instruction(op: string, value: string, line: string): Instruction {
  switch (op) {
    case 'COPY': {
      const words = value.split(/\s+/);
      const flags = words.filter((word) => word.startsWith('--'));
      const unknown = flags.filter((flag) => !flag.startsWith('--from='));
      if (unknown.length > 0) throw new Error(`Dockerfile ${line}: ${unknown.join(' ')} is not understood`);
      const paths = words.filter((word) => !word.startsWith('--'));
      const destination = paths.pop();
      if (!destination || paths.length === 0) throw new Error(`Dockerfile ${line}: needs a source and a destination`);
      return { op, from: flags[0]?.slice('--from='.length), sources: paths, destination };
    }
    case 'RUN':
      return { op, command: value };
    case 'WORKDIR':
      return { op, directory: value };
    case 'USER':
      return { op, user: value };
    case 'ENV': {
      const pairs = [...value.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map(([, name, text]) => [
        name,
        text!.replace(/^"|"$/g, ''),
      ]);
      if (pairs.length === 0) throw new Error(`Dockerfile ${line}: only ENV NAME=value is understood`);
      return { op, variables: Object.fromEntries(pairs) as Record<string, string> };
    }
    case 'ENTRYPOINT':
    case 'CMD':
      return { op, argv: execForm(value, op) };
    default:
      throw new Error(`Dockerfile ${line}: ${op} is not understood by this check`);
  }
}

export function readDockerfile(): Stage[] {
  return parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
}

/** A .dockerignore pattern as a path-prefix expression: `**` and a slash match any folders, `*` part of a name. */
function patternToRegExp(pattern: string): RegExp {
  const source = pattern
    .replace(/^\/+|\/+$/g, '')
    .split('**/')
    .map((part) =>
      part
        .split('*')
        .map((text) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('(?:.*/)?');
  return new RegExp(`^${source}(?:/|$)`);
}

/**
 * dockerignore reads .dockerignore into a test of whether a file (a path relative to the build
 * context) stays out of the context; as in Docker, the last matching pattern decides and `!` lets a
 * path back in.
 */
export function dockerignore(): (file: string) => boolean {
  const rules = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ keep: line.startsWith('!'), pattern: patternToRegExp(line.replace(/^!/, '')) }));
  return (file) => {
    let ignored = false;
    for (const rule of rules) if (rule.pattern.test(file)) ignored = !rule.keep;
    return ignored;
  };
}
