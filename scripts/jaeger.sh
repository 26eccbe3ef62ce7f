#!/usr/bin/env bash
# jaeger.sh up|down|status — Jaeger for `make run` and the tests: OTLP over HTTP in, the query API
# out, traces in memory (observability/jaeger/local.yaml), state in .local/jaeger. `up` builds it
# with scripts/tools.sh when missing, starts it when not running, waits until it answers, and
# does nothing when it already runs. Its module ships no UI: read traces with `bin/surety trace`
# or the customer page's trace link.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=${SURETY_LOCAL_DIR:-$ROOT/.local}
J=$LOCAL/jaeger
BIN=$ROOT/.tools/bin/jaeger
export JAEGER_OTLP_PORT=${SURETY_JAEGER_OTLP_PORT:-4318}
export JAEGER_QUERY_PORT=${SURETY_JAEGER_QUERY_PORT:-16686}
export JAEGER_QUERY_GRPC_PORT=${SURETY_JAEGER_QUERY_GRPC_PORT:-16685}
export JAEGER_HEALTH_PORT=${SURETY_JAEGER_HEALTH_PORT:-13133}

say() { printf '[jaeger] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

SERVER=jaeger
STATE=$J
# shellcheck source=scripts/background-server.sh
. "$ROOT/scripts/background-server.sh"

answers() {
  curl -fsS -m 2 "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" >/dev/null 2>&1 &&
    curl -fsS -m 2 "http://127.0.0.1:$JAEGER_QUERY_PORT/api/services" >/dev/null 2>&1
}

up() {
  if answers; then
    status
    return 0
  fi
  bash "$ROOT/scripts/tools.sh" jaeger
  server_start "$BIN" --config "$ROOT/observability/jaeger/local.yaml"
  status
}

status() { server_status "OTLP http://127.0.0.1:$JAEGER_OTLP_PORT  query http://127.0.0.1:$JAEGER_QUERY_PORT/api/traces"; }

server_main "$@"
