import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const built = join(root, 'apps/api/public/index.html');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The UI tests drive the page the api serves: it is built first when its sources changed. */
export default function buildWeb(): void {
  const builtAt = (() => {
    try {
      return statSync(built).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (builtAt >= newestSource(join(root, 'apps/web'))) return;
  execFileSync('npm', ['run', 'build', '--silent', '-w', '@surety/web'], { cwd: root, stdio: 'ignore' });
}
