import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const script = fileURLToPath(new URL('../../scripts/infra.sh', import.meta.url));

export type InfraFault = 'broker-stop' | 'broker-start' | 'pg-stop' | 'pg-start' | 'pg-restart';

/** infra breaks or mends the shared servers; only the disruptive project, run alone, may call it. */
export async function infra(command: InfraFault): Promise<void> {
  await promisify(execFile)('bash', [script, command], { timeout: 120_000 });
}
