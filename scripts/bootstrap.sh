#!/usr/bin/env bash
# bootstrap.sh — everything `make run` and `make test` need on a fresh machine, idempotently:
# Node dependencies (npm ci when the lock file changed), the web page (vite, when its sources
# changed), the apps compiled into dist/ (when their sources changed), then RabbitMQ and PostgreSQL
# (infra.sh up).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '[bootstrap] %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || { say "error: Node 20 or newer is required (found $(node --version 2>/dev/null || echo none))"; exit 1; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing Node dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
else
  say "Node dependencies up to date"
fi
# helm for the chart checks, jaeger for make run's traces (scripts/jaeger.sh starts it), schemathesis
# for the API fuzz test.
bash scripts/tools.sh --optional helm jaeger schemathesis

# The api serves the page apps/web builds into apps/api/public; rebuilt when any source is newer.
web_built=apps/api/public/index.html
if [ ! -f "$web_built" ] || [ -n "$(find apps/web -path apps/web/node_modules -prune -o -type f -newer "$web_built" -print -quit)" ]; then
  say "building the web page (apps/web into apps/api/public)"
  npm run build --silent -w @surety/web >/dev/null
else
  say "web page up to date"
fi

# The apps run compiled (dist/<app>.js); scripts/build-dist.ts rebuilds them when any source is newer.
node --import tsx scripts/build-dist.ts --if-stale | sed 's/^\[build\]/[bootstrap]/' >&2

if [ "${1:-}" != "--no-infra" ]; then
  bash scripts/infra.sh up
fi
