import { compiledEntries } from '../../../apps/cli/src/compiled.js';
import { readDockerfile } from '../../packaging/support/dockerfile.js';
import { repoRoot } from './repo.js';

/**
 * imageRuns tells whether the image holds a compiled entry point: `dist/<app>.js` of an app that
 * scripts/build-dist.ts compiles, in the dist/ its last stage copies from the stage that runs the build.
 */
export function imageRuns(entryPoint: string): boolean {
  const stages = readDockerfile();
  const copiesDist = stages
    .at(-1)
    ?.instructions.find(
      (instruction) =>
        instruction.op === 'COPY' && instruction.sources.includes('/app/dist') && instruction.destination === 'dist',
    );
  const from = copiesDist?.op === 'COPY' ? copiesDist.from : undefined;
  const builds = stages
    .find((stage) => stage.name === from)
    ?.instructions.some(
      (instruction) => instruction.op === 'RUN' && instruction.command.includes('scripts/build-dist.ts'),
    );
  return builds === true && compiledEntries(repoRoot).some((entry) => entry.compiled === entryPoint);
}
