import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockerignore, readDockerfile, type Instruction, type Stage } from './dockerfile.js';
import { repoRoot } from './workspaces.js';

/** The image's file tree and how it starts a process, as the Dockerfile's last stage leaves them. */
export interface ImageTree {
  /** The runtime stage's work directory, where every container process starts. */
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
}

interface StageState {
  root: string;
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
}

/**
 * What replaying a RUN here changes, and why. The image's npm cache lives in its own layer and is
 * cleaned to keep the layer small; here it is the developer's cache, which must stay, and which
 * makes the install fast when warm.
 */
const localRewrites: { pattern: RegExp; replacement: string }[] = [
  { pattern: /\s*&&\s*npm cache clean --force/g, replacement: '' },
  { pattern: /\bnpm ci\b/g, replacement: 'npm ci --prefer-offline' },
];

export function localCommand(command: string): string {
  return localRewrites.reduce((text, { pattern, replacement }) => text.replace(pattern, replacement), command);
}

function inStage(state: StageState, target: string): string {
  return path.isAbsolute(target) ? path.join(state.root, target) : path.join(state.workdir, target);
}

/** copyTree copies a directory's contents, or a file, as `cp -a` does (symlinks stay links, relative ones still resolve). */
function copyTree(source: string, destination: string): void {
  mkdirSync(statSync(source).isDirectory() ? destination : path.dirname(destination), { recursive: true });
  const from = statSync(source).isDirectory() ? `${source}/.` : source;
  const copied = spawnSync('cp', ['-a', from, destination], { encoding: 'utf8' });
  if (copied.status !== 0) throw new Error(`cp -a ${from} ${destination}: ${copied.stderr}`);
}

function copy(
  instruction: Extract<Instruction, { op: 'COPY' }>,
  state: StageState,
  stages: Map<string, StageState>,
): void {
  const destination = inStage(state, instruction.destination);
  const intoDirectory = instruction.destination.endsWith('/') || instruction.sources.length > 1;
  for (const source of instruction.sources) {
    if (instruction.from !== undefined) {
      const from = stages.get(instruction.from);
      if (!from) throw new Error(`COPY --from=${instruction.from}: no such stage before this one`);
      copyTree(inStage(from, source), destination);
      continue;
    }
    const ignored = dockerignore();
    const absolute = path.join(repoRoot, source);
    if (!existsSync(absolute) || ignored(source)) throw new Error(`COPY ${source}: not in the build context`);
    const target = statSync(absolute).isDirectory()
      ? destination
      : intoDirectory
        ? path.join(destination, path.basename(source))
        : destination;
    mkdirSync(statSync(absolute).isDirectory() ? target : path.dirname(target), { recursive: true });
    cpSync(absolute, target, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (file) => !ignored(path.relative(repoRoot, file)),
    });
  }
}

async function run(command: string, state: StageState): Promise<void> {
  const child = spawn('sh', ['-c', localCommand(command)], {
    cwd: state.workdir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...state.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`RUN ${localCommand(command)} exited ${code}:\n${output.slice(-4000)}`);
}

async function replay(stage: Stage, directory: string, stages: Map<string, StageState>): Promise<StageState> {
  const root = path.join(directory, stage.name);
  const base = stage.base === undefined ? undefined : stages.get(stage.base);
  if (base) copyTree(base.root, root);
  else mkdirSync(root, { recursive: true });
  const state: StageState = base
    ? { ...base, root, workdir: path.join(root, path.relative(base.root, base.workdir)), env: { ...base.env } }
    : { root, workdir: root, entrypoint: [], cmd: [], env: {} };
  for (const instruction of stage.instructions) {
    switch (instruction.op) {
      case 'WORKDIR':
        state.workdir = inStage(state, instruction.directory);
        mkdirSync(state.workdir, { recursive: true });
        break;
      case 'COPY':
        copy(instruction, state, stages);
        break;
      case 'RUN':
        await run(instruction.command, state);
        break;
      case 'ENV':
        Object.assign(state.env, instruction.variables);
        break;
      case 'ENTRYPOINT':
        state.entrypoint = instruction.argv;
        // As in Docker, setting ENTRYPOINT resets a CMD inherited from the base.
        state.cmd = [];
        break;
      case 'CMD':
        state.cmd = instruction.argv;
        break;
      case 'USER':
        // Processes here run as the test's user; the chart's securityContext is checked by the manifests project.
        break;
    }
  }
  return state;
}

/**
 * scratchDirectory is where a replayed image is best kept: in memory (/dev/shm) where there is one,
 * since its thousands of short-lived files are slow to delete from a disk that discards on delete.
 */
export function scratchDirectory(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/**
 * buildImageTree replays the Dockerfile's stages in `directory` (one folder per stage, standing
 * for its root filesystem; the base image contributes Node.js only, which here is the test's own),
 * copying from the build context as .dockerignore allows, and returns the last stage: the image.
 */
export async function buildImageTree(directory: string): Promise<ImageTree> {
  const stages = new Map<string, StageState>();
  let last: StageState | undefined;
  for (const stage of readDockerfile()) {
    last = await replay(stage, directory, stages);
    stages.set(stage.name, last);
  }
  if (!last) throw new Error('the Dockerfile has no stage');
  // Only the last stage is the image; the others held what it copied from them.
  for (const stage of stages.values()) if (stage !== last) rmSync(stage.root, { recursive: true, force: true });
  return { workdir: last.workdir, entrypoint: last.entrypoint, cmd: last.cmd, env: last.env };
}
