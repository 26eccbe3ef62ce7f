#!/usr/bin/env bash
# cluster.sh up|down|status|partition|heal|kill|pause|resume [node] — three RabbitMQ nodes clustered,
# each a host of its own: a network namespace (surety-rmq<n>) with its own address on a private
# bridge (10.231.0.1<n>/24), its own node name (rabbit@10.231.0.1<n>), data, logs and Erlang cookie
# in .local/cluster/, and RabbitMQ's standard ports inside its namespace. The host reaches every
# node through the bridge; nothing outside the bridge and the namespaces is touched.
#   up                 creates what is missing, starts what is not running, waits until all three
#                      answer and form one cluster; does nothing when they do
#   down               stops the nodes, removes the namespaces and the bridge (the data stays)
#   reset              down, then the data goes too
#   status             each node: up or down, and the cluster's running nodes as it sees them
#   partition|heal <n> cut node n off from the others (its link down), and back
#   kill <n>           SIGKILL node n's Erlang VM; `up` starts it again
#   pause|resume <n>   SIGSTOP and SIGCONT node n's Erlang VM
#   amqp-urls          the AMQP URL of every node, comma separated
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=${SURETY_LOCAL_DIR:-$ROOT/.local}
C=$LOCAL/cluster
NODES=(1 2 3)
SUBNET=10.231.0
BRIDGE=suretybr0
# Seconds until a silent peer counts as gone (Erlang's default is 60): a partition is seen, and
# pause_minority acts, within a drill's fault time.
NET_TICKTIME=${SURETY_CLUSTER_NET_TICKTIME:-10}

say() { printf '[cluster] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

namespace() { echo "surety-rmq$1"; }
veth() { echo "surety-rmq$1"; }
address() { echo "$SUBNET.1$1"; }
node_name() { echo "rabbit@$(address "$1")"; }
node_dir() { echo "$C/rabbit-$1"; }

require_node() {
  [[ " ${NODES[*]} " == *" ${1:-} "* ]] || die "name a node: ${NODES[*]}"
}

# in_node runs a command inside node n's namespace with that node's RabbitMQ environment.
in_node() {
  local n=$1 dir
  shift
  dir=$(node_dir "$n")
  ip netns exec "$(namespace "$n")" env HOME="$dir" PATH="/usr/lib/rabbitmq/bin:$PATH" \
    RABBITMQ_USE_LONGNAME=true RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS="$(address "$n")" RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_PID_FILE="$dir/rabbit.pid" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel net_ticktime $NET_TICKTIME" \
    "$@"
}

# answers asks the node about itself only: a cluster-wide call would hang while a peer is cut off.
answers() {
  curl -fsS -m 2 -u guest:guest "http://$(address "$1"):15672/api/health/checks/local-alarms" >/dev/null 2>&1
}

running_nodes() {
  curl -fsS -m 2 -u guest:guest "http://$(address "$1"):15672/api/nodes?columns=name,running" 2>/dev/null |
    grep -o '"name":"[^"]*","running":true' | wc -l
}

# shellcheck source=scripts/wait-lib.sh
source "$ROOT/scripts/wait-lib.sh"

wait_for() {
  local what=$1 seconds=$2
  shift 2
  wait_until "$seconds" "$@" || die "$what not within ${seconds}s (logs in $C/rabbit-*/log)"
}

network_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    say "creating bridge $BRIDGE ($SUBNET.1/24)"
    ip link add "$BRIDGE" type bridge
    ip addr add "$SUBNET.1/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  for n in "${NODES[@]}"; do
    local ns
    ns=$(namespace "$n")
    if ! ip netns list | grep -qw "$ns"; then
      say "creating namespace $ns ($(address "$n"))"
      ip netns add "$ns"
      ip link add "$(veth "$n")" type veth peer name eth0 netns "$ns"
      ip link set "$(veth "$n")" master "$BRIDGE" up
      ip netns exec "$ns" ip addr add "$(address "$n")/24" dev eth0
      ip netns exec "$ns" ip link set eth0 up
      ip netns exec "$ns" ip link set lo up
    fi
  done
}

configure() {
  local n=$1 dir
  dir=$(node_dir "$n")
  mkdir -p "$dir/mnesia" "$dir/log"
  [ -f "$C/cookie" ] || (umask 077 && openssl rand -hex 20 >"$C/cookie")
  install -m 600 "$C/cookie" "$dir/.erlang.cookie"
  touch "$dir/rabbitmq-env.conf"
  {
    echo "listeners.tcp.default = $(address "$n"):5672"
    echo "management.tcp.ip = $(address "$n")"
    echo "management.tcp.port = 15672"
    echo "loopback_users = none"
    # As the RabbitMQ cluster operator configures it: a node cut off with the minority pauses itself
    # rather than serving a side of a split, and rejoins once it sees the majority again.
    echo "cluster_partition_handling = pause_minority"
    echo "cluster_formation.peer_discovery_backend = classic_config"
    for m in "${NODES[@]}"; do echo "cluster_formation.classic_config.nodes.$m = $(node_name "$m")"; done
  } >"$dir/rabbitmq.conf"
  in_node "$n" rabbitmq-plugins enable --offline rabbitmq_management rabbitmq_consistent_hash_exchange >/dev/null
}

start_node() {
  local n=$1
  if answers "$n"; then return 0; fi
  configure "$n"
  say "starting $(node_name "$n") in $(namespace "$n")"
  in_node "$n" rabbitmq-server -detached
}

up() {
  command -v rabbitmq-server >/dev/null || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] ||
    die "rabbitmq-server is missing: bash scripts/infra.sh up installs it"
  mkdir -p "$C"
  network_up
  if [ ! -d "$(node_dir "${NODES[0]}")/mnesia/$(node_name "${NODES[0]}")" ]; then
    # A new cluster: the first node starts alone, and the others join the cluster it forms.
    start_node "${NODES[0]}"
    wait_for "$(node_name "${NODES[0]}")" 120 answers "${NODES[0]}"
  fi
  # A cluster that ran before starts all at once: each node waits for the peers it last saw running.
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]}"; do wait_for "$(node_name "$n")" 120 answers "$n"; done
  wait_for "one cluster of ${#NODES[@]} running nodes" 120 all_clustered
  status
}

all_clustered() {
  for n in "${NODES[@]}"; do [ "$(running_nodes "$n")" -eq "${#NODES[@]}" ] || return 1; done
}

beam_pid() {
  local file
  file="$(node_dir "$1")/rabbit.pid"
  [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null && cat "$file"
}

down() {
  for n in "${NODES[@]}"; do
    local pid
    if pid=$(beam_pid "$n"); then
      say "stopping $(node_name "$n")"
      kill -CONT "$pid" 2>/dev/null || true
      in_node "$n" rabbitmqctl shutdown >/dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null || true
    fi
    # epmd, started by the node inside its namespace, outlives it.
    if ip netns list | grep -qw "$(namespace "$n")"; then
      ip netns pids "$(namespace "$n")" | xargs -r kill -KILL
      ip netns del "$(namespace "$n")"
    fi
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
  say "down"
}

status() {
  local down=0
  for n in "${NODES[@]}"; do
    if answers "$n"; then
      say "$(node_name "$n"): up, sees $(running_nodes "$n") running nodes  amqp://guest:guest@$(address "$n"):5672  http://$(address "$n"):15672"
    else
      say "$(node_name "$n"): down"
      down=1
    fi
  done
  return $down
}

signal_node() {
  local pid
  pid=$(beam_pid "$1") || die "$(node_name "$1") is not running"
  kill "-$2" "$pid"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  reset) down; rm -rf "$C"; say "data removed" ;;
  status) status ;;
  partition) require_node "${2:-}"; ip link set "$(veth "$2")" down; say "node $2 cut off" ;;
  heal) require_node "${2:-}"; ip link set "$(veth "$2")" up; say "node $2 reconnected" ;;
  kill) require_node "${2:-}"; signal_node "$2" KILL; say "node $2 killed" ;;
  pause) require_node "${2:-}"; signal_node "$2" STOP; say "node $2 paused" ;;
  resume) require_node "${2:-}"; signal_node "$2" CONT; say "node $2 resumed" ;;
  amqp-urls)
    urls=()
    for n in "${NODES[@]}"; do urls+=("amqp://guest:guest@$(address "$n"):5672"); done
    (IFS=,; echo "${urls[*]}")
    ;;
  *) die "usage: $0 up|down|reset|status|partition|heal|kill|pause|resume <node>|amqp-urls" ;;
esac
