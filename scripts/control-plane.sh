#!/usr/bin/env bash
# control-plane.sh up|down|status|kubeconfig|reset — a real Kubernetes control plane on loopback, as
# plain processes with their state and logs in .local/control-plane/: etcd (Debian's), kube-apiserver
# (token authentication, RBAC, its own CA and service-account keys), kube-controller-manager,
# kube-scheduler, and kwok, which plays the kubelet of one fake Node: it makes the pods scheduled
# there Running and Ready, and the pods of Jobs (and helm test pods) Succeeded. No container runs.
# `up` builds what scripts/tools.sh has not built yet, starts what is not running, waits until each
# answers, and does nothing when all do. `kubeconfig` prints the path of the admin kubeconfig.
# `down` stops the processes and keeps the data; `reset` also deletes it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=${SURETY_LOCAL_DIR:-$ROOT/.local}
C=$LOCAL/control-plane
BIN=$ROOT/.tools/bin

# Loopback ports clear of Surety's own (Postgres 55432, RabbitMQ 5699/15699/15700, api 8080, gateway 8090).
ETCD_PORT=${SURETY_ETCD_PORT:-23790}
ETCD_PEER_PORT=${SURETY_ETCD_PEER_PORT:-23800}
APISERVER_PORT=${SURETY_APISERVER_PORT:-16443}
CONTROLLER_MANAGER_PORT=${SURETY_CONTROLLER_MANAGER_PORT:-16457}
SCHEDULER_PORT=${SURETY_SCHEDULER_PORT:-16459}
KWOK_PORT=${SURETY_KWOK_PORT:-16480}
NODE_NAME=kwok-node-0
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# Debian's etcd (3.4.23) predates the progress-notify fix (3.4.31) that streaming lists need, so the
# API server refuses them ("the required storage feature RequestWatchProgress is disabled"). With
# its WatchList gate on (the default since 1.34) it also turns every watch from resourceVersion 0
# into one (kwok's are), and the watcher keeps failing and sees changes seconds late. So the API
# server keeps classic watches (WatchList=false), and every client lists and watches the classic way
# (WatchListClient=false): the components by flag, kwok, helm and kubectl by client-go's env gate.
SERVER_GATES=WatchList=false,WatchListClient=false
CLIENT_GATES=WatchListClient=false
export KUBE_FEATURE_WatchListClient=false

say() { printf '[control-plane] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# pid_of prints the pid of a component this script started, if that process still runs that binary.
pid_of() {
  local name=$1 pid
  [ -f "$C/$name.pid" ] || return 1
  pid=$(cat "$C/$name.pid")
  # The kernel names the binary by its real path: .tools may be a link (a worktree sharing the builds).
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$BIN/$name")" ]; then
    printf '%s\n' "$pid"
    return 0
  fi
  rm -f "$C/$name.pid" # stale: the process is gone, or the pid now belongs to another
  return 1
}

token() { cat "$C/admin.token"; }

answers() {
  case "$1" in
    etcd) curl -fsS -m 2 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"' ;;
    kube-apiserver)
      [ -f "$C/admin.token" ] &&
        curl -fsS -m 2 --cacert "$C/pki/ca.crt" -H "Authorization: Bearer $(token)" \
          "https://127.0.0.1:$APISERVER_PORT/readyz" 2>/dev/null | grep -qx ok
      ;;
    kube-controller-manager) curl -fsSk -m 2 "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz" 2>/dev/null | grep -qx ok ;;
    kube-scheduler) curl -fsSk -m 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz" 2>/dev/null | grep -qx ok ;;
    kwok) curl -fsS -m 2 "http://127.0.0.1:$KWOK_PORT/healthz" >/dev/null 2>&1 ;;
  esac
}

wait_for() {
  local what=$1 seconds=$2 check=("${@:3}") i
  for ((i = 0; i < seconds * 4; i++)); do
    "${check[@]}" && return 0
    if [ -n "${WATCH_PID:-}" ] && ! kill -0 "$WATCH_PID" 2>/dev/null; then
      die "$what exited; the end of $C/$what.log:
$(tail -n 20 "$C/$what.log" 2>/dev/null)"
    fi
    sleep 0.25
  done
  die "$what did not answer within ${seconds}s; see $C/$what.log"
}

# prepare writes, once, what the processes share: a CA and the API server's certificate, the
# service-account signing keys, the admin token and the kubeconfig every client uses.
prepare() {
  mkdir -p "$C/pki" "$C/etcd"
  local pki=$C/pki
  if [ ! -f "$pki/apiserver.crt" ]; then
    say "writing a CA, the API server's certificate and the service-account keys in $pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=surety-control-plane-ca \
      -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout "$pki/apiserver.key" \
      -out "$pki/apiserver.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$pki/apiserver.ext"
    openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 3650 -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt" 2>/dev/null
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  fi
  # The aggregation layer's front proxy: the API server authenticates to an aggregated API server
  # (KEDA's metrics adapter in test/kubernetes/keda.test.ts) with this client certificate, and
  # publishes its CA in kube-system/extension-apiserver-authentication, so that server trusts the
  # user it names in the X-Remote-* headers. Its own CA: no certificate of the cluster CA passes for it.
  if [ ! -f "$pki/front-proxy-client.crt" ]; then
    say "writing the front proxy's CA and client certificate in $pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=surety-front-proxy-ca \
      -keyout "$pki/front-proxy-ca.key" -out "$pki/front-proxy-ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=front-proxy-client -keyout "$pki/front-proxy-client.key" \
      -out "$pki/front-proxy-client.csr" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >"$pki/front-proxy-client.ext"
    openssl x509 -req -in "$pki/front-proxy-client.csr" -CA "$pki/front-proxy-ca.crt" -CAkey "$pki/front-proxy-ca.key" \
      -CAcreateserial -days 3650 -extfile "$pki/front-proxy-client.ext" -out "$pki/front-proxy-client.crt" 2>/dev/null
  fi
  if [ ! -f "$C/admin.token" ]; then
    (umask 077 && openssl rand -hex 24 >"$C/admin.token")
  fi
  # One identity for the components and the tests: the control plane is local and single-user.
  printf '%s,admin,admin,system:masters\n' "$(token)" >"$C/tokens.csv"
  cat >"$C/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: surety-local
    cluster:
      server: https://127.0.0.1:$APISERVER_PORT
      certificate-authority: $pki/ca.crt
users:
  - name: admin
    user:
      token: $(token)
contexts:
  - name: surety-local
    context:
      cluster: surety-local
      user: admin
current-context: surety-local
EOF
  chmod 600 "$C/kubeconfig"
  # kwok's stages: upstream's default node and pod stages (copied by tools.sh), plus one that
  # completes helm's test pods, which are bare Pods that upstream's pod-complete stage leaves Running.
  {
    cat "$ROOT/.tools/kwok/stages-$(sed -n 's/^KWOK_VERSION=//p' "$ROOT/scripts/tools.sh").yaml"
    cat <<'EOF'
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-complete-helm-test
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
      - key: '.metadata.deletionTimestamp'
        operator: 'DoesNotExist'
      - key: '.status.phase'
        operator: 'In'
        values: ['Running']
      - key: '.metadata.annotations.["helm.sh/hook"]'
        operator: 'In'
        values: ['test', 'test-success']
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Succeeded
EOF
  } >"$C/kwok-stages.yaml"
}

args_for() {
  local pki=$C/pki
  case "$1" in
    etcd)
      ARGS=(--name default --data-dir "$C/etcd"
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT"
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT"
        --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT")
      ;;
    kube-apiserver)
      ARGS=(--etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 --advertise-address 127.0.0.1
        --secure-port "$APISERVER_PORT" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key"
        --client-ca-file "$pki/ca.crt" --token-auth-file "$C/tokens.csv" --authorization-mode=RBAC
        --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub"
        --service-account-signing-key-file "$pki/sa.key" --service-cluster-ip-range 10.96.0.0/16
        --endpoint-reconciler-type none --allow-privileged=true --profiling=false --feature-gates "$SERVER_GATES"
        --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client
        --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group
        --requestheader-extra-headers-prefix X-Remote-Extra- --proxy-client-cert-file "$pki/front-proxy-client.crt"
        --proxy-client-key-file "$pki/front-proxy-client.key")
      ;;
    kube-controller-manager)
      ARGS=(--kubeconfig "$C/kubeconfig" --bind-address 127.0.0.1 --secure-port "$CONTROLLER_MANAGER_PORT"
        --leader-elect=false --use-service-account-credentials --service-account-private-key-file "$pki/sa.key"
        --root-ca-file "$pki/ca.crt" --cluster-name surety-local --profiling=false --feature-gates "$CLIENT_GATES")
      ;;
    kube-scheduler)
      ARGS=(--kubeconfig "$C/kubeconfig" --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT"
        --leader-elect=false --profiling=false --feature-gates "$CLIENT_GATES")
      ;;
    kwok)
      ARGS=(--config "$C/kwok-stages.yaml" --kubeconfig "$C/kubeconfig" --manage-all-nodes=false
        --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake --node-lease-duration-seconds 40
        --server-address "127.0.0.1:$KWOK_PORT")
      ;;
  esac
}

start() {
  local name=$1 seconds=$2 pid
  if pid=$(pid_of "$name"); then
    if answers "$name"; then
      say "$name already running (pid $pid)"
      return 0
    fi
    WATCH_PID=$pid wait_for "$name" "$seconds" answers "$name"
    say "$name answers (pid $pid)"
    return 0
  fi
  answers "$name" && die "something else answers on $name's port; stop it or set SURETY_*_PORT"
  args_for "$name"
  say "starting $name"
  local started=$SECONDS
  setsid "$BIN/$name" "${ARGS[@]}" </dev/null >>"$C/$name.log" 2>&1 &
  pid=$!
  echo "$pid" >"$C/$name.pid"
  WATCH_PID=$pid wait_for "$name" "$seconds" answers "$name"
  say "$name answers after $((SECONDS - started))s (pid $pid, log $C/$name.log)"
}

kubectl_() { "$BIN/kubectl" --kubeconfig "$C/kubeconfig" "$@"; }

node_ready() {
  [ "$(kubectl_ get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

default_service_account() { kubectl_ -n default get serviceaccount default >/dev/null 2>&1; }

# ensure_node registers the fake Node kwok manages (by its annotation): big enough for every chart.
ensure_node() {
  if node_ready; then return 0; fi
  kubectl_ apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
status:
  capacity: { cpu: "64", memory: 256Gi, pods: "250", ephemeral-storage: 500Gi }
  allocatable: { cpu: "64", memory: 256Gi, pods: "250", ephemeral-storage: 500Gi }
EOF
  WATCH_PID='' wait_for "node $NODE_NAME Ready" 60 node_ready
  say "node $NODE_NAME Ready (kwok)"
}

up() {
  local started=$SECONDS
  bash "$ROOT/scripts/tools.sh" control-plane
  prepare
  start etcd 30
  start kube-apiserver 90
  start kube-controller-manager 60
  start kube-scheduler 60
  start kwok 60
  ensure_node
  WATCH_PID='' wait_for "the default ServiceAccount (kube-controller-manager)" 60 default_service_account
  say "ready in $((SECONDS - started))s: KUBECONFIG=$C/kubeconfig"
}

stop() {
  local name=$1 pid i
  pid=$(pid_of "$name") || return 0
  say "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name did not stop within 15s; killing it"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$C/$name.pid"
}

down() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop "${COMPONENTS[i]}"; done
}

status() {
  local name pid up=0
  for name in "${COMPONENTS[@]}"; do
    if pid=$(pid_of "$name") && answers "$name"; then
      say "$name: up (pid $pid)"
      up=$((up + 1))
    else
      say "$name: down"
    fi
  done
  if [ "$up" -eq "${#COMPONENTS[@]}" ]; then
    say "KUBECONFIG=$C/kubeconfig  https://127.0.0.1:$APISERVER_PORT"
  else
    return 1
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kubeconfig)
    [ -f "$C/kubeconfig" ] || die "no kubeconfig yet: run $0 up"
    printf '%s\n' "$C/kubeconfig"
    ;;
  reset)
    down
    say "deleting $C"
    rm -rf "$C"
    ;;
  *) die "usage: $0 up|down|status|kubeconfig|reset" ;;
esac
