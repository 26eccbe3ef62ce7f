#!/usr/bin/env bash
# kind-up.sh STEP — one step of `make up`, each safe to run again:
#   preflight      docker, kind (new enough for the node image), kubectl and helm are installed and docker answers
#   cluster        the kind cluster of kind-config.yaml
#   cert-manager   cert-manager (the messaging topology operator needs it), unless already there
#   rabbitmq       the RabbitMQ cluster operator and messaging topology operator
#   cnpg           the CloudNativePG operator
#   metrics-server resource metrics, which the api's CPU autoscaler reads (kind has none)
#   keda           KEDA
#   chaos-mesh     Chaos Mesh, set up for kind's containerd
#   monitoring     kube-prometheus-stack (k8s/helm-values/kube-prometheus-stack.yaml)
#   infra          k8s/: namespace, RabbitMQ, PostgreSQL, Jaeger, collector, monitors, rules, dashboard; waits
#   image          builds the image and loads it into the cluster's nodes
#   chart          installs charts/surety (migrations run first) and waits for every pod
#   autoscaling    keda/: the consumers' ScaledObjects
#   urls           prints every URL
# Versions are pinned where the project was written against them; override with the variables below.
set -euo pipefail
# shellcheck source=kind-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/kind-lib.sh"

# The node image by digest, as kind's release notes publish it, and the kind release that published
# it: its containerd is newer than older kinds can `kind load` images into.
KIND_NODE_IMAGE=${KIND_NODE_IMAGE:-kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5}
KIND_MIN_VERSION=${KIND_MIN_VERSION:-v0.32.0}
RABBITMQ_CLUSTER_OPERATOR_VERSION=${RABBITMQ_CLUSTER_OPERATOR_VERSION:-v2.22.3}
RABBITMQ_TOPOLOGY_OPERATOR_VERSION=${RABBITMQ_TOPOLOGY_OPERATOR_VERSION:-v1.20.1}
# Helm chart versions; empty means the repository's newest.
CERT_MANAGER_CHART_VERSION=${CERT_MANAGER_CHART_VERSION:-}
CNPG_CHART_VERSION=${CNPG_CHART_VERSION:-}
METRICS_SERVER_CHART_VERSION=${METRICS_SERVER_CHART_VERSION:-}
KEDA_CHART_VERSION=${KEDA_CHART_VERSION:-}
CHAOS_MESH_CHART_VERSION=${CHAOS_MESH_CHART_VERSION:-}
KPS_CHART_VERSION=${KPS_CHART_VERSION:-}
WAIT=${KIND_WAIT:-10m}

HELM=
use_helm() {
  HELM=$(helm_bin)
}

# chart_install RELEASE NAMESPACE REPO_NAME REPO_URL CHART VERSION [helm args...]
chart_install() {
  local release=$1 namespace=$2 repo=$3 url=$4 chart=$5 version=$6
  shift 6
  use_helm
  "$HELM" repo add "$repo" "$url" --force-update >/dev/null
  "$HELM" repo update "$repo" >/dev/null
  say "installing $chart${version:+ $version} as $release in namespace $namespace"
  "$HELM" upgrade --install "$release" "$repo/$chart" --namespace "$namespace" --create-namespace \
    ${version:+--version "$version"} --wait --timeout "$WAIT" "$@"
}

# need_kind_version: the kind on PATH is at least KIND_MIN_VERSION.
need_kind_version() {
  local found
  found=$(kind version 2>/dev/null | awk '{ print $2; exit }')
  version_at_least "$found" "$KIND_MIN_VERSION" ||
    die "kind ${found:-of unknown version} is older than $KIND_MIN_VERSION, the release that published $KIND_NODE_IMAGE (an older kind cannot kind load images into its nodes): upgrade kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
}

preflight() {
  need docker "https://docs.docker.com/get-docker/"
  need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  need_kind_version
  need kubectl "https://kubernetes.io/docs/tasks/tools/"
  use_helm
  docker info >/dev/null 2>&1 || die "docker is installed but its engine does not answer (is it running? may this user use it?)"
  say "docker, kind $(kind version | awk '{ print $2; exit }'), kubectl and $("$HELM" version --template '{{.Version}}' 2>/dev/null || echo helm) found"
}

cluster() {
  need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  need kubectl "https://kubernetes.io/docs/tasks/tools/"
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    say "kind cluster $CLUSTER already exists"
  else
    say "creating kind cluster $CLUSTER ($KIND_NODE_IMAGE, one control plane and two workers)"
    kind create cluster --name "$CLUSTER" --config "$ROOT/kind-config.yaml" --image "$KIND_NODE_IMAGE" --wait 120s
  fi
  kubectl config use-context "kind-$CLUSTER" >/dev/null
}

cert_manager() {
  need_cluster
  if kubectl get crd certificates.cert-manager.io >/dev/null 2>&1; then
    say "cert-manager already installed"
    return 0
  fi
  chart_install cert-manager cert-manager jetstack https://charts.jetstack.io cert-manager \
    "$CERT_MANAGER_CHART_VERSION" --set crds.enabled=true
}

rabbitmq_operators() {
  need_cluster
  local releases=https://github.com/rabbitmq
  say "installing the RabbitMQ cluster operator $RABBITMQ_CLUSTER_OPERATOR_VERSION"
  kubectl apply -f "$releases/cluster-operator/releases/download/$RABBITMQ_CLUSTER_OPERATOR_VERSION/cluster-operator.yml"
  kubectl -n rabbitmq-system rollout status deployment/rabbitmq-cluster-operator --timeout "$WAIT"
  say "installing the RabbitMQ messaging topology operator $RABBITMQ_TOPOLOGY_OPERATOR_VERSION"
  kubectl apply -f "$releases/messaging-topology-operator/releases/download/$RABBITMQ_TOPOLOGY_OPERATOR_VERSION/messaging-topology-operator-with-certmanager.yaml"
  kubectl -n rabbitmq-system rollout status deployment/messaging-topology-operator --timeout "$WAIT"
}

cnpg() {
  need_cluster
  chart_install cnpg cnpg-system cnpg https://cloudnative-pg.github.io/charts cloudnative-pg "$CNPG_CHART_VERSION"
}

metrics_server() {
  need_cluster
  # kind's kubelets serve self-signed certificates.
  chart_install metrics-server kube-system metrics-server https://kubernetes-sigs.github.io/metrics-server/ \
    metrics-server "$METRICS_SERVER_CHART_VERSION" --set 'args={--kubelet-insecure-tls}'
}

keda() {
  need_cluster
  chart_install keda keda kedacore https://kedacore.github.io/charts keda "$KEDA_CHART_VERSION"
}

chaos_mesh() {
  need_cluster
  # kind's nodes run containerd, not Docker: the chaos daemon must talk to its socket.
  chart_install chaos-mesh chaos-mesh chaos-mesh https://charts.chaos-mesh.org chaos-mesh "$CHAOS_MESH_CHART_VERSION" \
    --set chaosDaemon.runtime=containerd --set chaosDaemon.socketPath=/run/containerd/containerd.sock
}

monitoring() {
  need_cluster
  chart_install kps monitoring prometheus-community https://prometheus-community.github.io/helm-charts \
    kube-prometheus-stack "$KPS_CHART_VERSION" --values "$ROOT/k8s/helm-values/kube-prometheus-stack.yaml"
}

infra() {
  need_cluster
  say "applying k8s/ (namespace, RabbitMQ, PostgreSQL, Jaeger, collector, monitors, rules)"
  kubectl apply -f "$ROOT/k8s/namespace.yaml"
  kubectl apply -f "$ROOT/k8s/"
  say "waiting for RabbitMQ (3 nodes) and PostgreSQL (3 instances); the first time pulls their images"
  kubectl -n "$NAMESPACE" wait rabbitmqcluster/rabbitmq --for=condition=AllReplicasReady --timeout "$WAIT"
  kubectl -n "$NAMESPACE" wait cluster.postgresql.cnpg.io/surety-pg --for=condition=Ready --timeout "$WAIT"
  kubectl -n "$NAMESPACE" rollout status deployment/jaeger --timeout "$WAIT"
  kubectl -n "$NAMESPACE" rollout status deployment/otel-collector --timeout "$WAIT"
  kubectl -n "$NAMESPACE" get secret rabbitmq-default-user surety-pg-app >/dev/null
  say "provisioning the Grafana dashboard (observability/grafana/surety.json)"
  kubectl -n "$NAMESPACE" create configmap surety-dashboard \
    --from-file=surety.json="$ROOT/observability/grafana/surety.json" --dry-run=client -o yaml |
    kubectl label --local -f - grafana_dashboard=1 -o yaml | kubectl apply -f -
}

image_tag() {
  local tag
  tag=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo dev)
  # A work tree with changes gets a fresh tag, so the chart rolls the pods onto the new build.
  if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then tag="$tag-dirty-$(date +%s)"; fi
  echo "$tag"
}

image() {
  need docker "https://docs.docker.com/get-docker/"
  need_cluster
  local tag
  tag=$(image_tag)
  say "building $IMAGE_REPOSITORY:$tag"
  docker build --tag "$IMAGE_REPOSITORY:$tag" "$ROOT"
  say "loading $IMAGE_REPOSITORY:$tag into the nodes of $CLUSTER"
  kind load docker-image "$IMAGE_REPOSITORY:$tag" --name "$CLUSTER"
  mkdir -p "$(dirname "$IMAGE_TAG_FILE")"
  echo "$tag" >"$IMAGE_TAG_FILE"
}

chart() {
  need_cluster
  use_helm
  [ -s "$IMAGE_TAG_FILE" ] || die "no image loaded yet: run make up (or bash scripts/kind-up.sh image) first"
  local tag
  tag=$(cat "$IMAGE_TAG_FILE")
  # The ops page and /admin need a bearer token: one random token per cluster, kept in a Secret.
  if ! kubectl -n "$NAMESPACE" get secret surety-admin >/dev/null 2>&1; then
    kubectl -n "$NAMESPACE" create secret generic surety-admin --from-literal=token="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  fi
  say "installing charts/surety as $RELEASE with image $IMAGE_REPOSITORY:$tag (migrations run first)"
  "$HELM" upgrade --install "$RELEASE" "$ROOT/charts/surety" --namespace "$NAMESPACE" \
    --set image.repository="$IMAGE_REPOSITORY" --set image.tag="$tag" \
    --set components.api.secretEnv.ADMIN_TOKEN.name=surety-admin --set components.api.secretEnv.ADMIN_TOKEN.key=token \
    --set-string components.api.env.JAEGER_UI_URL=http://127.0.0.1:16686 \
    --set-string components.api.env.PROMETHEUS_URL=http://prometheus-operated.monitoring.svc:9090 \
    --wait --timeout "$WAIT"
}

autoscaling() {
  need_cluster
  kubectl get crd scaledobjects.keda.sh >/dev/null 2>&1 || die "KEDA is not installed: run bash scripts/kind-up.sh keda"
  say "applying keda/ (one ScaledObject per consumer)"
  kubectl apply -f "$ROOT/keda/"
}

urls() {
  need_cluster
  local user password
  user=$(kubectl -n "$NAMESPACE" get secret rabbitmq-default-user -o jsonpath='{.data.username}' | base64 -d)
  password=$(kubectl -n "$NAMESPACE" get secret rabbitmq-default-user -o jsonpath='{.data.password}' | base64 -d)
  cat <<EOF

Surety runs on kind cluster $CLUSTER, namespace $NAMESPACE:
  api and UI           http://127.0.0.1:8080        OpenAPI http://127.0.0.1:8080/docs
  ops page             http://127.0.0.1:8080/ops    token: kubectl -n $NAMESPACE get secret surety-admin -o jsonpath='{.data.token}' | base64 -d
  Jaeger (traces)      http://127.0.0.1:16686
  Grafana              http://127.0.0.1:3000        (admin / surety)
  Prometheus           http://127.0.0.1:9090        alerts http://127.0.0.1:9090/alerts
  RabbitMQ management  http://127.0.0.1:15672       ($user / $password)
  gateway              kubectl -n $NAMESPACE port-forward svc/gateway 8090, then http://127.0.0.1:8090/charges?orderId=<id>
  PostgreSQL           kubectl -n $NAMESPACE port-forward svc/surety-pg-rw 5432, password: kubectl -n $NAMESPACE get secret surety-pg-app -o jsonpath='{.data.password}' | base64 -d

  end to end           helm test $RELEASE -n $NAMESPACE --logs
  what runs            make status        faults  make chaos EXP=<name>        make down to delete it all
EOF
}

case "${1:-}" in
  preflight) preflight ;;
  cluster) cluster ;;
  cert-manager) cert_manager ;;
  rabbitmq) rabbitmq_operators ;;
  cnpg) cnpg ;;
  metrics-server) metrics_server ;;
  keda) keda ;;
  chaos-mesh) chaos_mesh ;;
  monitoring) monitoring ;;
  infra) infra ;;
  image) image ;;
  chart) chart ;;
  autoscaling) autoscaling ;;
  urls) urls ;;
  *) die "usage: $0 preflight|cluster|cert-manager|rabbitmq|cnpg|metrics-server|keda|chaos-mesh|monitoring|infra|image|chart|autoscaling|urls" ;;
esac
