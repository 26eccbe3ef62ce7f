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

SERVER=prometheus
STATE=$P
# shellcheck source=scripts/background-server.sh
. "$ROOT/scripts/background-server.sh"

answers() { curl -fsS -m 2 "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; }

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
  # Per-queue depths and consumers, which the alert rules and the ops page's gauges read (as
  # k8s/monitoring.yaml scrapes them on the cluster).
  - job_name: rabbitmq-queues
    metrics_path: /metrics/detailed
    params:
      family: [queue_coarse_metrics, queue_consumer_count]
    static_configs:
      - targets: ['127.0.0.1:$RABBIT_PROM_PORT']
CONFIG
}

up() {
  command -v prometheus >/dev/null || die "prometheus is not installed (Debian's prometheus package; scripts/infra.sh up installs it)"
  configure
  if answers; then
    # A running server picks up a changed configuration or rules on reload.
    curl -fsS -m 5 -X POST "http://127.0.0.1:$PORT/-/reload" >/dev/null 2>&1 || true
    status
    return 0
  fi
  server_start prometheus --config.file="$P/prometheus.yml" --storage.tsdb.path="$P/data" \
    --storage.tsdb.retention.time=1d --web.listen-address="127.0.0.1:$PORT" --web.enable-lifecycle
  status
}

status() { server_status "http://127.0.0.1:$PORT  (alerts: /alerts, API: /api/v1/alerts)"; }

server_main "$@"
