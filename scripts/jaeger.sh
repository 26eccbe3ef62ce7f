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

answers() {
  curl -fsS -m 2 "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" >/dev/null 2>&1 &&
    curl -fsS -m 2 "http://127.0.0.1:$JAEGER_QUERY_PORT/api/services" >/dev/null 2>&1
}

running_pid() {
  local pid
  pid=$(cat "$J/jaeger.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

up() {
  if answers; then
    status
    return 0
  fi
  bash "$ROOT/scripts/tools.sh" jaeger
  mkdir -p "$J"
  if ! running_pid >/dev/null; then
    say "starting jaeger (log in ${J#"$ROOT"/}/jaeger.log)"
    nohup "$BIN" --config "$ROOT/observability/jaeger/local.yaml" >"$J/jaeger.log" 2>&1 &
    echo $! >"$J/jaeger.pid"
  fi
  local i
  for i in $(seq 1 60); do
    answers && break
    running_pid >/dev/null || die "jaeger exited: $(tail -5 "$J/jaeger.log")"
    [ "$i" -lt 60 ] || die "jaeger did not answer within 30 s: see $J/jaeger.log"
    sleep 0.5
  done
  status
}

down() {
  local pid
  if pid=$(running_pid); then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped"
  fi
  rm -f "$J/jaeger.pid"
}

status() {
  if answers; then
    say "jaeger: up  OTLP http://127.0.0.1:$JAEGER_OTLP_PORT  query http://127.0.0.1:$JAEGER_QUERY_PORT/api/traces"
  else
    say "jaeger: down"
    return 1
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up|down|status" ;;
esac
