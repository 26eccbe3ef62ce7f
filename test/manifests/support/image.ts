import { readFileSync } from 'node:fs';
import { repoPath } from './repo.js';

/** imageIncludes tells whether the Dockerfile copies a repository file into the image and .dockerignore leaves it there. */
export function imageIncludes(file: string): boolean {
  const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(' '));
  const ignored = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map(globToRegExp);
  return (
    copied.some((source) => file === source || file.startsWith(`${source}/`)) && !ignored.some((re) => re.test(file))
  );
}

// globToRegExp reads a .dockerignore pattern as a path prefix: `**` and a slash match any folders, `*` part of a name.
function globToRegExp(pattern: string): RegExp {
  const source = pattern
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
