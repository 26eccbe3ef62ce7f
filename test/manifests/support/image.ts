import { readFileSync } from 'node:fs';
import { dockerignore } from '../../packaging/support/dockerfile.js';
import { repoPath } from './repo.js';

/** imageIncludes tells whether the Dockerfile copies a repository file into the image and .dockerignore leaves it there. */
export function imageIncludes(file: string): boolean {
  const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(' '));
  return copied.some((source) => file === source || file.startsWith(`${source}/`)) && !dockerignore()(file);
}
