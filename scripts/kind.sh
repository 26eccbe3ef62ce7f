#!/usr/bin/env bash
# kind.sh COMMAND — the day-to-day commands on the cluster `make up` created:
#   down          deletes the kind cluster and everything in it
#   status        what runs: pods, autoscalers, broker and database clusters, chaos experiments
#   chaos [NAME]  lists the experiments of chaos-mesh/, or starts chaos-mesh/NAME.yaml afresh
#   traces        where the traces are, and which services have sent any
#   load [SCRIPT] one k6 script of load/ (default smoke) against the cluster's api (make load-cluster)
set -euo pipefail
# shellcheck source=kind-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/kind-lib.sh"

CHAOS_DIR=$ROOT/chaos-mesh

down() {
  need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    say "deleting kind cluster $CLUSTER"
    kind delete cluster --name "$CLUSTER"
  else
    say "no kind cluster named $CLUSTER"
  fi
  rm -f "$IMAGE_TAG_FILE"
}

status() {
  need_cluster
  kubectl -n "$NAMESPACE" get rabbitmqclusters,clusters.postgresql.cnpg.io 2>/dev/null || true
  kubectl -n "$NAMESPACE" get deployments,cronjobs,pods -o wide
  kubectl -n "$NAMESPACE" get scaledobjects,hpa 2>/dev/null || true
  kubectl -n "$NAMESPACE" get podchaos,networkchaos,stresschaos,workflows,schedules 2>/dev/null || true
}

# summary FILE: what an experiment breaks, from its header comment.
summary() {
  awk '/^# Tests:/ { exit } /^# Breaks: / { sub(/^# Breaks: /, ""); text = $0; next }
    text != "" && /^#   / { sub(/^#   /, ""); text = text " " $0 } END { print text }' "$1"
}

list_experiments() {
  say "experiments in chaos-mesh/ (make chaos EXP=<name>):"
  local file
  for file in "$CHAOS_DIR"/*.yaml; do
    printf '  %-30s %s\n' "$(basename "$file" .yaml)" "$(summary "$file")"
  done
}

chaos() {
  local name=${1:-}
  if [ -z "$name" ]; then
    list_experiments
    return 0
  fi
  local file=$CHAOS_DIR/$name.yaml
  [ -f "$file" ] || {
    list_experiments
    die "no experiment chaos-mesh/$name.yaml"
  }
  need_cluster
  kubectl get crd podchaos.chaos-mesh.org >/dev/null 2>&1 || die "Chaos Mesh is not installed: run bash scripts/kind-up.sh chaos-mesh"
  # What it breaks, which invariant it tests, what recovery looks like.
  sed -n '/^#/p;/^[^#]/q' "$file" | sed 's/^# \{0,1\}/  /'
  # An experiment that already ran (a pod-kill is done at once) must be deleted to run again.
  kubectl delete -f "$file" --ignore-not-found >/dev/null
  kubectl apply -f "$file"
  say "started; follow it with: kubectl -n $NAMESPACE describe -f chaos-mesh/$name.yaml"
  say "stop it early with: kubectl delete -f chaos-mesh/$name.yaml"
}

traces() {
  need_cluster
  need curl "apt-get install curl"
  local url=http://127.0.0.1:16686
  say "Jaeger: $url (the OpenTelemetry Collector forwards OTLP from otel-collector.$NAMESPACE:4317 to it)"
  local services
  services=$(curl -fsS -m 5 "$url/api/services" 2>/dev/null) || die "Jaeger does not answer on $url: is the cluster up (make status)?"
  if printf '%s' "$services" | grep -q '"data":\[\]\|"data":null'; then
    say "no service has sent a trace yet"
  else
    say "services with traces: $services"
  fi
}

load() {
  local script=${1:-smoke}
  [ -f "$ROOT/load/$script.js" ] || die "no load/$script.js; the scripts are smoke, spike, soak and ramp"
  need_cluster
  bash "$ROOT/scripts/tools.sh" k6
  # The chart publishes the api on the host's 8080 (kind-config.yaml), as `make run` does locally.
  say "k6 $script against the cluster's api at ${API_URL:-http://127.0.0.1:8080}"
  "$ROOT/.tools/bin/k6" run "$ROOT/load/$script.js"
}

case "${1:-}" in
  down) down ;;
  status) status ;;
  chaos) chaos "${2:-}" ;;
  traces) traces ;;
  load) load "${2:-}" ;;
  *) die "usage: $0 down|status|chaos [NAME]|traces|load [SCRIPT]" ;;
esac
