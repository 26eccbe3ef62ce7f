#!/usr/bin/env bash
# kind-lib.sh — sourced by kind-up.sh and kind.sh: names, messages and tool checks shared by every
# step of the local Kubernetes cluster.
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER=${KIND_CLUSTER:-surety}
NAMESPACE=surety
RELEASE=surety
IMAGE_REPOSITORY=surety/surety
# The tag the image step built and loaded; the chart step installs that one.
IMAGE_TAG_FILE=$ROOT/.local/kind/image-tag

say() { printf '[kind] %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

# version_at_least FOUND WANTED: true when version FOUND (v0.32.1) is WANTED (v0.32.0) or newer,
# compared number by number; a pre-release suffix (-alpha.1) is ignored, anything else fails.
version_at_least() {
  local found=${1#v} wanted=${2#v}
  found=${found%%[-+]*}
  wanted=${wanted%%[-+]*}
  [[ $found =~ ^[0-9]+(\.[0-9]+)*$ && $wanted =~ ^[0-9]+(\.[0-9]+)*$ ]] || return 1
  local -a have want
  IFS=. read -r -a have <<<"$found"
  IFS=. read -r -a want <<<"$wanted"
  local i
  for ((i = 0; i < ${#want[@]} || i < ${#have[@]}; i++)); do
    ((10#${have[i]:-0} > 10#${want[i]:-0})) && return 0
    ((10#${have[i]:-0} < 10#${want[i]:-0})) && return 1
  done
  return 0
}

# need TOOL HOW: stops with a message naming the missing tool and how to get it.
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is needed for this step and is not on PATH ($2)"
}

# helm_bin: the helm on PATH, else the one scripts/tools.sh builds into .tools/bin.
helm_bin() {
  if command -v helm >/dev/null 2>&1; then
    command -v helm
  elif [ -x "$ROOT/.tools/bin/helm" ]; then
    echo "$ROOT/.tools/bin/helm"
  else
    die "helm is needed for this step and is not on PATH (https://helm.sh/docs/intro/install/, or bash scripts/tools.sh builds it into .tools/bin with Go)"
  fi
}

# need_cluster: kubectl is installed and talks to the kind cluster `make up` created.
need_cluster() {
  need kubectl "https://kubernetes.io/docs/tasks/tools/"
  need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  kind get clusters 2>/dev/null | grep -qx "$CLUSTER" || die "no kind cluster named $CLUSTER: run make up first"
  kubectl config use-context "kind-$CLUSTER" >/dev/null
}
