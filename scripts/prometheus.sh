#!/usr/bin/env bash
# prometheus.sh up|down|status — a real Prometheus for `make run` and the drills: it evaluates the
# project's alert rules (observability/prometheus/rules.yaml) over every process that announces
# itself in .local/prometheus/targets/*.json (make run and the drills write those files) and over
# RabbitMQ's own metrics. State and the generated configuration live in .local/prometheus; `up`
# does nothing when it already answers.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=${SURETY_LOCAL_DIR:-$ROOT/.local}
P=$LOCAL/prometheus
PORT=${SURETY_PROMETHEUS_PORT:-19090}
RABBIT_PROM_PORT=${SURETY_PROM_PORT:-15700}

say() { printf '[prometheus] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

answers() { curl -fsS -m 2 "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; }

running_pid() {
  local pid
  pid=$(cat "$P/prometheus.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

configure() {
  mkdir -p "$P/targets" "$P/data"
  # Evaluated every 5 s, so an alert's `for` is what delays it, not the evaluation.
  cat >"$P/prometheus.yml" <<CONFIG
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $ROOT/observability/prometheus/rules.yaml
scrape_configs:
  - job_name: surety
    file_sd_configs:
      - files: ['$P/targets/*.json']
        refresh_interval: 5s
  - job_name: rabbitmq
    static_configs:
      - targets: ['127.0.0.1:$RABBIT_PROM_PORT']
CONFIG
}

up() {
  command -v prometheus >/dev/null || die "prometheus is not installed (Debian's prometheus package; scripts/bootstrap.sh installs it)"
  configure
  if answers; then
    # A running server picks up a changed configuration or rules on reload.
    curl -fsS -m 5 -X POST "http://127.0.0.1:$PORT/-/reload" >/dev/null 2>&1 || true
    status
    return 0
  fi
  if ! running_pid >/dev/null; then
    say "starting prometheus (log in ${P#"$ROOT"/}/prometheus.log)"
    nohup prometheus --config.file="$P/prometheus.yml" --storage.tsdb.path="$P/data" \
      --storage.tsdb.retention.time=1d --web.listen-address="127.0.0.1:$PORT" --web.enable-lifecycle \
      >"$P/prometheus.log" 2>&1 &
    echo $! >"$P/prometheus.pid"
  fi
  local i
  for i in $(seq 1 60); do
    answers && break
    running_pid >/dev/null || die "prometheus exited: $(tail -5 "$P/prometheus.log")"
    [ "$i" -lt 60 ] || die "prometheus did not answer within 30 s: see $P/prometheus.log"
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
  rm -f "$P/prometheus.pid"
}

status() {
  if answers; then
    say "prometheus: up  http://127.0.0.1:$PORT  (alerts: /alerts, API: /api/v1/alerts)"
  else
    say "prometheus: down"
    return 1
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up|down|status" ;;
esac
