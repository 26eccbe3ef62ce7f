import { spawnSync } from 'node:child_process';
import { repoPath } from '../manifests/support/repo.js';
import { crdFiles, installCrds, requireControlPlane } from './support/cluster.js';
import { removeExternalMetricsApi } from './support/keda.js';

function script(args: string[]): void {
  const started = Date.now();
  const result = spawnSync('bash', args, { cwd: repoPath(), stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`bash ${args.join(' ')} exited ${result.status} (see its output above)`);
  console.log(`[kubernetes] bash ${args.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

function running(): boolean {
  return spawnSync('bash', ['scripts/control-plane.sh', 'status'], { cwd: repoPath(), stdio: 'ignore' }).status === 0;
}

/**
 * The kubernetes project runs against a real control plane: it builds what is missing (helm, KEDA and
 * the control plane, cached in .tools/bin), starts it (a no-op when it runs), and installs the upstream
 * CRDs. Anything missing fails the run: these tests never skip. A control plane it started is
 * stopped afterwards: left running, it keeps a twentieth of a core busy for nothing.
 */
export default function setup(): (() => void) | undefined {
  crdFiles(); // fail early, with the reason, when ../shared/schemas/crds is missing
  script(['scripts/tools.sh', 'helm', 'keda']);
  const wasRunning = running();
  script(['scripts/control-plane.sh', 'up']);
  requireControlPlane();
  const started = Date.now();
  installCrds();
  console.log(`[kubernetes] upstream CRDs applied and Established: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  // What an interrupted keda.test.ts left: its APIService, unavailable once its adapter is gone,
  // would stall every namespace deletion of the other files.
  removeExternalMetricsApi();
  return wasRunning ? undefined : () => script(['scripts/control-plane.sh', 'down']);
}
