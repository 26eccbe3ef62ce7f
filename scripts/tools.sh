#!/usr/bin/env bash
# tools.sh — the pinned command-line tools, in .tools/bin: helm (the Kubernetes checks) and k6 (load
# and bench), built from source with the Go toolchain (no binary download), only when missing or at
# another version. `tools.sh [--optional] [helm|k6]...` builds the ones named (default: helm).
# `--optional` (what bootstrap.sh runs) only warns when Go is missing, so `make run` works without
# it; the manifest tests then fail and say why.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/.tools/bin

HELM_VERSION=v3.22.0
# Helm's own Makefile stamps the version and the Kubernetes release of its client-go (v0.37 = 1.37);
# without them `helm version` says v3.22 and templates see Kubernetes 1.20.
HELM_KUBE_MINOR=37
# v1.8.1 builds with Go 1.26; v0.52.0 (the other release the module proxy offers) predates it.
K6_VERSION=v1.8.1

say() { printf '[tools] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

installed_helm_version() {
  if [ -x "$BIN/helm" ]; then "$BIN/helm" version --template '{{.Version}}' 2>/dev/null || true; fi
}

install_helm() {
  local found
  found=$(installed_helm_version)
  if [ "$found" = "$HELM_VERSION" ]; then
    say "helm $HELM_VERSION ready in .tools/bin"
    return 0
  fi
  if ! command -v go >/dev/null; then
    local why="helm $HELM_VERSION is built from source and needs Go 1.26 or newer (https://go.dev/dl/); none found on PATH"
    [ "$OPTIONAL" = 1 ] || die "$why"
    say "warning: $why; the Kubernetes checks (vitest --project manifests) cannot run"
    return 0
  fi
  say "building helm $HELM_VERSION into .tools/bin${found:+ (found ${found})} — a few minutes the first time"
  local pkg=helm.sh/helm/v3
  local ldflags="-s -w -X $pkg/internal/version.version=$HELM_VERSION -X $pkg/internal/version.gitTreeState=clean"
  ldflags+=" -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR"
  ldflags+=" -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR"
  mkdir -p "$BIN"
  GOBIN=$BIN CGO_ENABLED=0 GOTOOLCHAIN=local go install -trimpath -ldflags "$ldflags" "$pkg/cmd/helm@$HELM_VERSION"
  found=$(installed_helm_version)
  [ "$found" = "$HELM_VERSION" ] || die "built helm reports '$found', expected $HELM_VERSION"
  say "helm $HELM_VERSION built: .tools/bin/helm"
}

installed_k6_version() {
  if [ -x "$BIN/k6" ]; then "$BIN/k6" version 2>/dev/null | awk '{print $2; exit}' || true; fi
}

install_k6() {
  local found
  found=$(installed_k6_version)
  if [ "$found" = "$K6_VERSION" ]; then
    say "k6 $K6_VERSION ready in .tools/bin"
    return 0
  fi
  if ! command -v go >/dev/null; then
    local why="k6 $K6_VERSION is built from source and needs Go 1.26 or newer (https://go.dev/dl/); none found on PATH"
    [ "$OPTIONAL" = 1 ] || die "$why"
    say "warning: $why; make load and make bench cannot run"
    return 0
  fi
  say "building k6 $K6_VERSION into .tools/bin${found:+ (found ${found})} — a few minutes the first time"
  mkdir -p "$BIN"
  GOBIN=$BIN CGO_ENABLED=0 GOTOOLCHAIN=local go install -trimpath "go.k6.io/k6@$K6_VERSION"
  found=$(installed_k6_version)
  [ "$found" = "$K6_VERSION" ] || die "built k6 reports '$found', expected $K6_VERSION"
  say "k6 $K6_VERSION built: .tools/bin/k6"
}

OPTIONAL=0
TOOLS=()
for arg in "$@"; do
  case "$arg" in
    --optional) OPTIONAL=1 ;;
    helm | k6) TOOLS+=("$arg") ;;
    *) die "usage: $0 [--optional] [helm|k6]..." ;;
  esac
done
[ "${#TOOLS[@]}" -gt 0 ] || TOOLS=(helm)
for tool in "${TOOLS[@]}"; do "install_$tool"; done
