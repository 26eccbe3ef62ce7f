import { spawnSync } from 'node:child_process';
import { repoPath } from '../manifests/support/repo.js';
import { controlPlaneRunning, crdFiles } from './support/cluster.js';

/**
 * The kubernetes project runs against a real control plane, which each file prepares first
 * (prepareControlPlane: vitest runs every project's global setup before any test, so building here
 * would delay them all). Here: fail early when the upstream CRDs are missing, and stop afterwards a
 * control plane this run started: left running, it keeps a twentieth of a core busy for nothing.
 */
export default function setup(): (() => void) | undefined {
  crdFiles();
  if (controlPlaneRunning()) return undefined;
  return () => {
    if (!controlPlaneRunning()) return;
    const stopped = spawnSync('bash', ['scripts/control-plane.sh', 'down'], { cwd: repoPath(), stdio: 'inherit' });
    if (stopped.status !== 0) throw new Error(`bash scripts/control-plane.sh down exited ${stopped.status}`);
  };
}
