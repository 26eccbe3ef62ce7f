#!/usr/bin/env bash
# tools.sh — the pinned command-line tools, in .tools/bin: helm (the Kubernetes checks), k6 (load
# and bench), schemathesis (`st`, the API fuzz test; from PyPI into its own virtualenv) and the local control plane (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, kwok and etcd, which scripts/control-plane.sh runs) and jaeger (scripts/jaeger.sh), built from
# source with the Go toolchain (no binary download; etcd is Debian's), only when missing or at another version.
# `tools.sh [--optional] [helm|k6|jaeger|keda|schemathesis|control-plane|<one of the control plane's>]...` builds the ones named
# (default: helm); `control-plane` names all six of the control plane.
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
# The Kubernetes the chart and helm target (helm's client-go is v0.37): the newest 1.37 patch the
# module proxy serves. Its staging modules (k8s.io/api, ...) are published as v0.<minor>.<patch>.
KUBE_VERSION=v1.37.2
KWOK_VERSION=v0.8.0
# Jaeger v2 (an OpenTelemetry Collector distribution) is cmd/jaeger of the module's v1 line.
JAEGER_VERSION=v1.75.0
SCHEMATHESIS_VERSION=4.32.5
# KEDA's operator and metrics API server: the newest release whose go.mod Go 1.26 accepts (v2.21.1
# asks for Go 1.27.4), on client-go v0.36.
KEDA_VERSION=v2.21.0
# etcd is Debian bookworm's etcd-server (3.4.23); any 3.4 patch Debian ships is accepted.
ETCD_SERIES=3.4

say() { printf '[tools] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ready says so, and succeeds, when a tool is already at the version wanted: `ready helm v3 "$found"`.
ready() {
  [ "$3" = "$2" ] || return 1
  say "$1 $2 ready in .tools/bin"
}

installed_helm_version() {
  if [ -x "$BIN/helm" ]; then "$BIN/helm" version --template '{{.Version}}' 2>/dev/null || true; fi
}

install_helm() {
  local found
  found=$(installed_helm_version)
  ready helm "$HELM_VERSION" "$found" && return 0
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
  ready k6 "$K6_VERSION" "$found" && return 0
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

# need_go says whether Go is there to build a tool; without it, `--optional` only warns, naming what
# cannot run (the second argument).
need_go() {
  command -v go >/dev/null && return 0
  local why="$1 is built from source and needs Go 1.26 or newer (https://go.dev/dl/); none found on PATH"
  [ "$OPTIONAL" = 1 ] || die "$why"
  say "warning: $why; ${2:-the control-plane tests (vitest --project kubernetes)} cannot run"
  return 1
}

installed_kube_version() {
  local tool=$1
  [ -x "$BIN/$tool" ] || return 0
  case "$tool" in
    kubectl) "$BIN/kubectl" version --client 2>/dev/null | awk '/^Client Version:/ {print $3; exit}' || true ;;
    *) "$BIN/$tool" --version 2>/dev/null | awk '{print $2; exit}' || true ;;
  esac
}

# fresh_wrapper empties a wrapper module's directory and prints the path of the go.mod of the
# module it wraps (`module@version`), downloaded from the module proxy.
fresh_wrapper() {
  local dir=$1 target=$2 gomod
  rm -rf "$dir"
  mkdir -p "$dir"
  say "reading $target's go.mod from the module proxy"
  gomod=$(cd "$dir" && GOWORK=off GOTOOLCHAIN=local go mod download -json "$target" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [ -f "$gomod" ] || die "go mod download $target gave no go.mod"
  printf '%s\n' "$gomod"
}

# kube_module writes the wrapper module that builds k8s.io/kubernetes's commands and prints its
# directory. `go install` refuses k8s.io/kubernetes because its go.mod replaces each staging module
# with a local directory; the wrapper replaces the same modules (read from that go.mod, so the list
# follows the version) with their published releases at the matching v0.<minor>.<patch>.
kube_module() {
  local dir=$ROOT/.tools/build/kubernetes-$KUBE_VERSION
  if [ -f "$dir/.ready" ]; then
    printf '%s\n' "$dir"
    return 0
  fi
  local gomod
  gomod=$(fresh_wrapper "$dir" "k8s.io/kubernetes@$KUBE_VERSION")
  local staging_version=v0.${KUBE_VERSION#v1.} staging
  staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\/src\// {print $1}' "$gomod")
  [ -n "$staging" ] || die "k8s.io/kubernetes@$KUBE_VERSION's go.mod lists no staging modules"
  {
    echo "// Generated by scripts/tools.sh from k8s.io/kubernetes@$KUBE_VERSION's go.mod; do not edit."
    echo "module surety.local/kubernetes-tools"
    echo
    grep -E '^(go|godebug) ' "$gomod"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    for module in $staging; do printf '\t%s => %s %s\n' "$module" "$module" "$staging_version"; done
    echo ")"
  } >"$dir/go.mod"
  cat >"$dir/tools.go" <<'GOEOF'
//go:build tools

// Package tools pins the k8s.io/kubernetes commands scripts/tools.sh builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GOEOF
  say "resolving the wrapper module ($(wc -w <<<"$staging") staging modules at $staging_version) in .tools/build"
  (cd "$dir" && GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod tidy) >&2 || die "go mod tidy failed in $dir"
  touch "$dir/.ready"
  printf '%s\n' "$dir"
}

# install_kube builds the named k8s.io/kubernetes commands that are missing or at another version, in
# one `go build`, so that they share one compilation of the packages they have in common.
install_kube() {
  local tool found todo=()
  for tool in "$@"; do
    found=$(installed_kube_version "$tool")
    if [ "$found" = "$KUBE_VERSION" ]; then
      say "$tool $KUBE_VERSION ready in .tools/bin"
    else
      todo+=("$tool")
      [ -z "$found" ] || say "$tool: found $found, want $KUBE_VERSION"
    fi
  done
  [ "${#todo[@]}" -gt 0 ] || return 0
  need_go "${todo[*]} $KUBE_VERSION" || return 0
  local dir minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  dir=$(kube_module)
  say "building ${todo[*]} $KUBE_VERSION into .tools/bin — 10 to 20 minutes the first time on 2 cores"
  local ldflags="-s -w" pair key value
  for pair in "gitVersion=$KUBE_VERSION" gitMajor=1 "gitMinor=$minor" gitTreeState=clean; do
    key=${pair%%=*}
    value=${pair#*=}
    ldflags+=" -X k8s.io/component-base/version.$key=$value -X k8s.io/client-go/pkg/version.$key=$value"
  done
  local packages=()
  for tool in "${todo[@]}"; do packages+=("k8s.io/kubernetes/cmd/$tool"); done
  mkdir -p "$BIN"
  local started=$SECONDS
  (cd "$dir" && GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$BIN/" "${packages[@]}") ||
    die "building ${todo[*]} failed"
  for tool in "${todo[@]}"; do
    found=$(installed_kube_version "$tool")
    [ "$found" = "$KUBE_VERSION" ] || die "built $tool reports '$found', expected $KUBE_VERSION"
  done
  say "${todo[*]} $KUBE_VERSION built in $((SECONDS - started))s: .tools/bin"
}

installed_jaeger_version() {
  [ -x "$BIN/jaeger" ] || return 0
  "$BIN/jaeger" version 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1 || true
}

# wrapper_module writes, once, a module that requires `module@version` and carries its go.mod's
# replace directives (each names a published version, read from that go.mod, so the list follows the
# version), importing the packages to build; `go install` refuses a module with replaces. Prints
# the wrapper's directory.
wrapper_module() {
  local name=$1 module=$2 version=$3
  shift 3
  local dir=$ROOT/.tools/build/$name-$version
  if [ ! -f "$dir/.ready" ]; then
    local gomod
    gomod=$(fresh_wrapper "$dir" "$module@$version")
    local replaces
    # Each replace, whether on its own line or in a block, as one `replace old => new` line.
    replaces=$(sed -n -e 's/^replace \([^(].*\)$/replace \1/p' -e '/^replace ($/,/^)$/{/^replace ($/d;/^)$/d;s/^[[:space:]]*\([^/[:space:]].*\)$/replace \1/p;}' "$gomod")
    # Only replaces by a module and version can be carried over; one to a local directory cannot.
    ! grep -E '=> *\.' <<<"$replaces" >/dev/null || die "$module@$version replaces a module by a directory"
    {
      echo "// Generated by scripts/tools.sh from $module@$version's go.mod; do not edit."
      echo "module surety.local/$name-tools"
      echo
      grep -E '^go ' "$gomod"
      echo
      echo "require $module $version"
      echo
      printf '%s\n' "$replaces"
    } >"$dir/go.mod"
    {
      printf '//go:build tools\n\n// Package tools pins the commands scripts/tools.sh builds.\npackage tools\n\n'
      for package in "$@"; do printf 'import _ "%s/%s"\n' "$module" "$package"; done
    } >"$dir/tools.go"
    say "resolving the wrapper module in .tools/build"
    (cd "$dir" && GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod tidy) >&2 || die "go mod tidy failed in $dir"
    touch "$dir/.ready"
  fi
  printf '%s\n' "$dir"
}

# install_jaeger builds cmd/jaeger through a wrapper module.
install_jaeger() {
  local found
  found=$(installed_jaeger_version)
  ready jaeger "$JAEGER_VERSION" "$found" && return 0
  need_go "jaeger $JAEGER_VERSION" "make run's traces and test/trace.test.ts" || return 0
  local module=github.com/jaegertracing/jaeger dir
  dir=$(wrapper_module jaeger "$module" "$JAEGER_VERSION" cmd/jaeger)
  say "building jaeger $JAEGER_VERSION into .tools/bin — several minutes the first time on 2 cores"
  mkdir -p "$BIN"
  local started=$SECONDS
  (cd "$dir" && GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $module/internal/version.latestVersion=$JAEGER_VERSION" -o "$BIN/" "$module/cmd/jaeger") ||
    die "building jaeger failed"
  found=$(installed_jaeger_version)
  [ "$found" = "$JAEGER_VERSION" ] || die "built jaeger reports '$found', expected $JAEGER_VERSION"
  say "jaeger $JAEGER_VERSION built in $((SECONDS - started))s: .tools/bin/jaeger"
}

# KEDA's commands print no version; the build stamps it beside them.
installed_keda_version() {
  if [ -x "$BIN/keda" ] && [ -x "$BIN/keda-adapter" ] && [ -f "$BIN/.keda-version" ]; then cat "$BIN/.keda-version"; fi
}

# install_keda builds KEDA's operator (keda) and metrics API server (keda-adapter) through a wrapper
# module, to run out of cluster against the local control plane (test/kubernetes/keda.test.ts).
install_keda() {
  local found
  found=$(installed_keda_version)
  ready keda "$KEDA_VERSION" "$found" && return 0
  need_go "keda $KEDA_VERSION" "test/kubernetes/keda.test.ts" || return 0
  local module=github.com/kedacore/keda/v2 dir
  dir=$(wrapper_module keda "$module" "$KEDA_VERSION" cmd/operator cmd/adapter)
  say "building keda $KEDA_VERSION into .tools/bin — many minutes the first time on 2 cores (every scaler is linked in)"
  mkdir -p "$BIN"
  local started=$SECONDS flags="-s -w -X $module/version.Version=$KEDA_VERSION"
  (cd "$dir" && GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$flags" \
    -o "$BIN/keda" "$module/cmd/operator" &&
    GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -ldflags "$flags" \
      -o "$BIN/keda-adapter" "$module/cmd/adapter") || die "building keda failed"
  printf '%s\n' "$KEDA_VERSION" >"$BIN/.keda-version"
  say "keda $KEDA_VERSION built in $((SECONDS - started))s: .tools/bin/keda, .tools/bin/keda-adapter"
}

installed_kwok_version() {
  if [ -x "$BIN/kwok" ]; then "$BIN/kwok" --version 2>/dev/null | awk '{print $3; exit}' || true; fi
}

KWOK_STAGES=$ROOT/.tools/kwok/stages-$KWOK_VERSION.yaml

# kwok_stages copies upstream's default stages from kwok's module (what kwokctl configures): nodes
# initialised and heartbeating with a Lease, pods Ready, pods of Jobs Succeeded, deleted pods gone.
kwok_stages() {
  local dir stage
  dir=$(GOWORK=off GOTOOLCHAIN=local go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$dir/kustomize/stage" ] || die "sigs.k8s.io/kwok@$KWOK_VERSION's module has no kustomize/stage"
  mkdir -p "$(dirname "$KWOK_STAGES")"
  for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo "---"
    cat "$dir/kustomize/stage/$stage.yaml"
  done >"$KWOK_STAGES.tmp"
  mv "$KWOK_STAGES.tmp" "$KWOK_STAGES"
}

install_kwok() {
  local found
  found=$(installed_kwok_version)
  if [ "$found" = "$KWOK_VERSION" ] && [ -f "$KWOK_STAGES" ]; then
    say "kwok $KWOK_VERSION ready in .tools/bin"
    return 0
  fi
  need_go "kwok $KWOK_VERSION" || return 0
  if [ "$found" != "$KWOK_VERSION" ]; then
    say "building kwok $KWOK_VERSION into .tools/bin${found:+ (found ${found})} — a few minutes the first time"
    mkdir -p "$BIN"
    GOBIN=$BIN CGO_ENABLED=0 GOTOOLCHAIN=local go install -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
    found=$(installed_kwok_version)
    [ "$found" = "$KWOK_VERSION" ] || die "built kwok reports '$found', expected $KWOK_VERSION"
  fi
  kwok_stages
  say "kwok $KWOK_VERSION ready: .tools/bin/kwok, its stages in .tools/kwok"
}

installed_etcd_version() {
  if [ -x "$BIN/etcd" ]; then "$BIN/etcd" --version 2>/dev/null | awk '/^etcd Version:/ {print $3; exit}' || true; fi
}

# install_etcd extracts etcd from Debian's etcd-server package (apt-get download, dpkg-deb -x): no
# system service is installed or started.
install_etcd() {
  local found
  found=$(installed_etcd_version)
  if [ "${found%.*}" = "$ETCD_SERIES" ]; then
    say "etcd $found ready in .tools/bin"
    return 0
  fi
  command -v apt-get >/dev/null || die "etcd comes from Debian's etcd-server package, and apt-get is missing"
  say "extracting etcd $ETCD_SERIES from Debian's etcd-server package into .tools/bin${found:+ (found ${found})}"
  local work
  work=$(mktemp -d)
  if ! (cd "$work" && apt-get download -qq etcd-server >/dev/null 2>&1); then
    [ "$(id -u)" -eq 0 ] || die "apt-get download etcd-server failed; run apt-get update (as root) and retry"
    apt-get update -qq
    (cd "$work" && apt-get download -qq etcd-server >/dev/null) || die "apt-get download etcd-server failed"
  fi
  dpkg-deb -x "$work"/etcd-server_*.deb "$work/root"
  mkdir -p "$BIN"
  install -m 0755 "$work/root/usr/bin/etcd" "$BIN/etcd"
  rm -rf "$work"
  found=$(installed_etcd_version)
  [ "${found%.*}" = "$ETCD_SERIES" ] || die "Debian's etcd reports '$found', expected $ETCD_SERIES.x"
  say "etcd $found ready: .tools/bin/etcd"
}

installed_schemathesis_version() {
  if [ -x "$BIN/st" ]; then "$BIN/st" --version 2>/dev/null | awk '{print $NF; exit}' || true; fi
}

# install_schemathesis puts schemathesis in a virtualenv of its own (.tools/schemathesis), so
# nothing of the system's Python changes, and links its `st` into .tools/bin.
install_schemathesis() {
  local found
  found=$(installed_schemathesis_version)
  ready schemathesis "$SCHEMATHESIS_VERSION" "$found" && return 0
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    local why="schemathesis $SCHEMATHESIS_VERSION installs from PyPI into a virtualenv and needs python3 with venv and ensurepip (Debian: python3-venv)"
    [ "$OPTIONAL" = 1 ] || die "$why"
    say "warning: $why; the API fuzz test (test/api-fuzz.test.ts) cannot run"
    return 0
  fi
  say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into .tools/schemathesis${found:+ (found ${found})}"
  local venv=$ROOT/.tools/schemathesis
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" ||
    die "pip install schemathesis==$SCHEMATHESIS_VERSION failed"
  mkdir -p "$BIN"
  ln -sf "$venv/bin/st" "$BIN/st"
  found=$(installed_schemathesis_version)
  [ "$found" = "$SCHEMATHESIS_VERSION" ] || die "installed schemathesis reports '$found', expected $SCHEMATHESIS_VERSION"
  say "schemathesis $SCHEMATHESIS_VERSION installed: .tools/bin/st"
}

OPTIONAL=0
TOOLS=()
KUBE_TOOLS=()
for arg in "$@"; do
  case "$arg" in
    --optional) OPTIONAL=1 ;;
    helm | k6 | kwok | etcd | jaeger | keda | schemathesis) TOOLS+=("$arg") ;;
    kube-apiserver | kube-controller-manager | kube-scheduler | kubectl) KUBE_TOOLS+=("$arg") ;;
    control-plane) TOOLS+=(etcd kwok) KUBE_TOOLS+=(kube-apiserver kube-controller-manager kube-scheduler kubectl) ;;
    *) die "usage: $0 [--optional] [helm|k6|jaeger|keda|schemathesis|control-plane|kube-apiserver|kube-controller-manager|kube-scheduler|kubectl|kwok|etcd]..." ;;
  esac
done
[ "${#TOOLS[@]}" -gt 0 ] || [ "${#KUBE_TOOLS[@]}" -gt 0 ] || TOOLS=(helm)
# One build of a tool at a time: make test starts the control plane's and KEDA's Go builds early in
# the background (scripts/test.sh), and a later call for those tools waits for them, then finds them
# ready. The lock is the tool's own, so a call for another tool (jaeger, for the trace test) does not
# wait the half hour a cold Kubernetes build takes.
mkdir -p "$ROOT/.tools"
# locked TOOL COMMAND...: runs the command holding TOOL's lock.
locked() {
  local tool=$1
  shift
  (
    exec 9>"$ROOT/.tools/.lock-$tool"
    flock 9
    "$@"
  )
}
for tool in "${TOOLS[@]}"; do locked "$tool" "install_$tool"; done
[ "${#KUBE_TOOLS[@]}" -eq 0 ] || locked kubernetes install_kube "${KUBE_TOOLS[@]}"
