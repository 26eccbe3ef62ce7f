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
#   restart <n>        stops node n cleanly and starts it again, as an upgrade does, and waits
#                      until the cluster has all its nodes back
#   rejoin <n>         after heal or resume: waits 60 s for the cluster to have node n back, and
#                      restarts the node if it has not (a node that paused itself in a minority, or
#                      that was frozen, does not always come back on its own)
#   amqp-urls          the AMQP URL of every node, comma separated
#   management-url     node 1's management API
# PostgreSQL, a primary and a streaming standby, each a host of its own on the same bridge
# (surety-pg<n>, 10.231.0.2<n>, data in .local/cluster/pg-<n>), replicating synchronously: a commit
# is acknowledged once the standby has it too.
#   pg-up              creates what is missing (node 1 the primary, node 2 its standby), starts
#                      what is not running, waits until both answer
#   pg-kill <n>        SIGKILL node n's postmaster
#   pg-promote <n>     promotes standby n; with no standby left, commits no longer wait for one
#   pg-rejoin <n>      brings a former primary back as the standby of the other (pg_rewind, or a
#                      new base backup when rewinding fails), and commits wait for it again
#   pg-primary         the node that takes writes, if any
#   pg-url             a multi-host URL of both (target_session_attrs=read-write)
# down and reset take the Postgres nodes with them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=${SURETY_LOCAL_DIR:-$ROOT/.local}
C=$LOCAL/cluster
NODES=(1 2 3)
PG_NODES=(1 2)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
SUBNET=10.231.0
BRIDGE=suretybr0
# Seconds until a silent peer counts as gone (Erlang's default is 60): a partition is seen, and
# pause_minority acts, within a drill's fault time.
NET_TICKTIME=${SURETY_CLUSTER_NET_TICKTIME:-10}

say() { printf '[cluster] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

namespace() { echo "surety-rmq$1"; }
veth() { namespace "$1"; }
address() { echo "$SUBNET.1$1"; }
node_name() { echo "rabbit@$(address "$1")"; }
node_dir() { echo "$C/rabbit-$1"; }

pg_namespace() { echo "surety-pg$1"; }
pg_address() { echo "$SUBNET.2$1"; }
pg_dir() { echo "$C/pg-$1"; }

require_pg_node() {
  [[ " ${PG_NODES[*]} " == *" ${1:-} "* ]] || die "name a postgres node: ${PG_NODES[*]}"
}

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
    ERL_CRASH_DUMP="$dir/erl_crash.dump" \
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

# add_host gives a namespace its own address on the bridge, through a veth pair named after it.
add_host() {
  local ns=$1 addr=$2
  if ! ip netns list | grep -qw "$ns"; then
    say "creating namespace $ns ($addr)"
    ip netns add "$ns"
    ip link add "$ns" type veth peer name eth0 netns "$ns"
    ip link set "$ns" master "$BRIDGE" up
    ip netns exec "$ns" ip addr add "$addr/24" dev eth0
    ip netns exec "$ns" ip link set eth0 up
    ip netns exec "$ns" ip link set lo up
  fi
}

bridge_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    say "creating bridge $BRIDGE ($SUBNET.1/24)"
    ip link add "$BRIDGE" type bridge
    ip addr add "$SUBNET.1/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
}

network_up() {
  bridge_up
  for n in "${NODES[@]}"; do add_host "$(namespace "$n")" "$(address "$n")"; done
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
  # A node that paused itself in a minority (pause_minority) resumes on its own once it sees the
  # majority again; a second VM of the same name would only fail.
  if beam_pid "$n" >/dev/null; then
    say "$(node_name "$n") is running, not answering yet: waiting for it"
    return 0
  fi
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

# alive answers whether a process runs: a killed one nobody has reaped yet (a zombie) does not.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

gone() {
  ! alive "$1"
}

beam_pid() {
  local file
  file="$(node_dir "$1")/rabbit.pid"
  [ -f "$file" ] && alive "$(cat "$file")" && cat "$file"
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
  for n in "${PG_NODES[@]}"; do
    if pg_pid "$n" >/dev/null; then
      say "stopping postgres node $n"
      as_postgres_in "$n" "$PG_BIN/pg_ctl" -D "$(pg_dir "$n")/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if ip netns list | grep -qw "$(pg_namespace "$n")"; then
      ip netns pids "$(pg_namespace "$n")" | xargs -r kill -KILL
      ip netns del "$(pg_namespace "$n")"
    fi
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
  say "down"
}

status() {
  local down=0
  if [ -d "$(pg_dir 1)" ]; then pg_status; fi
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

# as_postgres_in runs a command as the postgres user inside postgres node n's namespace.
as_postgres_in() {
  local n=$1
  shift
  ip netns exec "$(pg_namespace "$n")" runuser -u postgres -- "$@"
}

pg_answers() {
  "$PG_BIN/pg_isready" -q -h "$(pg_address "$1")" -p 5432
}

pg_sql() {
  local n=$1
  shift
  "$PG_BIN/psql" -X -q -h "$(pg_address "$n")" -p 5432 -U postgres -d postgres -tAc "$@"
}

pg_pid() {
  local file
  file="$(pg_dir "$1")/data/postmaster.pid"
  [ -f "$file" ] && kill -0 "$(head -1 "$file")" 2>/dev/null && head -1 "$file"
}

# pg_configure writes what both nodes run with; a base backup and pg_rewind carry it to the standby.
pg_configure() {
  local n=$1 data
  data="$(pg_dir "$n")/data"
  cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '$(pg_address "$n")'
port = 5432
unix_socket_directories = '$(pg_dir "$n")'
max_connections = 200
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
max_slot_wal_keep_size = '1GB'
wal_keep_size = '256MB'
# pg_rewind needs to know which pages changed since the timelines parted.
wal_log_hints = on
hot_standby = on
# A commit is acknowledged only once the standby has flushed it: a failover loses nothing acknowledged.
synchronous_standby_names = '*'
EOF
  cat >>"$data/pg_hba.conf" <<EOF
host all all $SUBNET.0/24 trust
host replication all $SUBNET.0/24 trust
EOF
}

# pg_localise points a copied configuration (base backup, rewind) at node n's own address and socket.
pg_localise() {
  local n=$1
  sed -i "s/^listen_addresses = .*/listen_addresses = '$(pg_address "$n")'/; s|^unix_socket_directories = .*|unix_socket_directories = '$(pg_dir "$n")'|" \
    "$(pg_dir "$n")/data/postgresql.conf"
}

pg_start() {
  local n=$1
  if pg_answers "$n"; then return 0; fi
  say "starting postgres node $n in $(pg_namespace "$n") ($(pg_address "$n"):5432)"
  as_postgres_in "$n" "$PG_BIN/pg_ctl" -D "$(pg_dir "$n")/data" -l "$(pg_dir "$n")/server.log" -w -t 60 start >/dev/null
  wait_until 60 pg_answers "$n" || die "postgres node $n did not answer (log: $(pg_dir "$n")/server.log)"
}

# pg_other names the other postgres node.
pg_other() { if [ "$1" = 1 ]; then echo 2; else echo 1; fi; }

pg_is_primary() {
  pg_answers "$1" && [ "$(pg_sql "$1" 'SELECT pg_is_in_recovery()')" = f ]
}

pg_has_database() {
  pg_sql "$1" "SELECT 1 FROM pg_database WHERE datname = 'surety'" | grep -q 1
}

pg_streaming() {
  [ "$(pg_sql "$1" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ]
}

pg_up() {
  [ -x "$PG_BIN/postgres" ] || die "postgres is missing: bash scripts/infra.sh up installs it"
  mkdir -p "$C"
  bridge_up
  for n in "${PG_NODES[@]}"; do
    add_host "$(pg_namespace "$n")" "$(pg_address "$n")"
    mkdir -p "$(pg_dir "$n")"
    chown postgres:postgres "$(pg_dir "$n")"
  done
  if [ ! -f "$(pg_dir 1)/data/PG_VERSION" ]; then
    say "initialising the primary, postgres node 1"
    as_postgres_in 1 "$PG_BIN/initdb" -D "$(pg_dir 1)/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    pg_configure 1
  fi
  pg_start 1
  if [ ! -f "$(pg_dir 2)/data/PG_VERSION" ]; then
    say "copying the primary to its standby, postgres node 2"
    as_postgres_in 2 "$PG_BIN/pg_basebackup" -h "$(pg_address 1)" -U postgres -D "$(pg_dir 2)/data" -R -X stream --no-sync
    pg_localise 2
  fi
  pg_start 2
  for n in "${PG_NODES[@]}"; do
    if pg_is_primary "$n"; then
      pg_has_database "$n" || pg_sql "$n" 'CREATE DATABASE surety'
    fi
  done
  # A synchronous commit waits for the standby's flush, not its replay: until it has replayed the
  # CREATE DATABASE, a connection to the standby's surety is refused as to a database that does not exist.
  for n in "${PG_NODES[@]}"; do
    wait_until 60 pg_has_database "$n" || die "postgres node $n has no database surety (log: $(pg_dir "$n")/server.log)"
  done
  pg_status
}

pg_status() {
  for n in "${PG_NODES[@]}"; do
    if ! pg_answers "$n"; then
      say "postgres node $n: down"
    elif pg_is_primary "$n"; then
      say "postgres node $n: primary, $(pg_sql "$n" 'SELECT count(*) FROM pg_stat_replication') standby streaming  postgres://postgres@$(pg_address "$n"):5432/surety"
    else
      say "postgres node $n: standby  postgres://postgres@$(pg_address "$n"):5432/surety"
    fi
  done
}

pg_promote() {
  local n=$1
  pg_answers "$n" || die "postgres node $n is not running"
  as_postgres_in "$n" "$PG_BIN/pg_ctl" -D "$(pg_dir "$n")/data" -w promote >/dev/null
  # Alone, the new primary would wait forever for a standby to confirm each commit.
  pg_sql "$n" "ALTER SYSTEM SET synchronous_standby_names = ''" >/dev/null
  pg_sql "$n" 'SELECT pg_reload_conf()' >/dev/null
  say "postgres node $n promoted; commits do not wait for a standby until one rejoins"
}

pg_rejoin() {
  local n=$1 source data
  source=$(pg_other "$n")
  data="$(pg_dir "$n")/data"
  pg_is_primary "$source" || die "postgres node $source is not a primary to rejoin"
  if pg_pid "$n" >/dev/null; then
    as_postgres_in "$n" "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
  fi
  # A promotion writes its new timeline to the control file only at the next checkpoint, and
  # pg_rewind reads it there: without one it finds nothing to rewind.
  pg_sql "$source" CHECKPOINT >/dev/null
  say "rewinding postgres node $n onto node $source's timeline"
  if ! as_postgres_in "$n" "$PG_BIN/pg_rewind" --target-pgdata="$data" \
    --source-server="host=$(pg_address "$source") port=5432 user=postgres dbname=postgres" -R >"$(pg_dir "$n")/rewind.log" 2>&1; then
    say "pg_rewind failed (see $(pg_dir "$n")/rewind.log): a new base backup instead"
    rm -rf "$data"
    as_postgres_in "$n" "$PG_BIN/pg_basebackup" -h "$(pg_address "$source")" -U postgres -D "$data" -R -X stream --no-sync
  fi
  pg_localise "$n"
  # The source's promotion turned synchronous commit off in what came over; a standby has no use for it.
  sed -i '/^synchronous_standby_names/d' "$data/postgresql.auto.conf"
  pg_start "$n"
  pg_sql "$source" 'ALTER SYSTEM RESET synchronous_standby_names' >/dev/null
  pg_sql "$source" 'SELECT pg_reload_conf()' >/dev/null
  wait_until 60 pg_streaming "$source" || die "postgres node $n is not streaming from node $source"
  say "postgres node $n is node $source's standby again; commits wait for it"
}

restart_node() {
  local n=$1 pid
  say "restarting $(node_name "$n")"
  in_node "$n" timeout 60 rabbitmqctl shutdown >/dev/null 2>&1 || true
  if pid=$(beam_pid "$n"); then
    kill -KILL "$pid"
    # A killed VM of many threads takes a moment to go: started meanwhile, start_node would find it
    # still there, wait for it to answer, and nothing would ever start the node again.
    wait_for "$(node_name "$n") to exit after SIGKILL" 30 gone "$pid"
  fi
  start_node "$n"
  # A node rejoining after a partition recovers its quorum queues' logs first: minutes, not seconds.
  wait_for "$(node_name "$n")" 300 answers "$n"
  wait_for "one cluster of ${#NODES[@]} running nodes" 300 all_clustered
}

rejoin_node() {
  local n=$1
  if wait_until 60 all_clustered; then return 0; fi
  say "$(node_name "$n") is not back in the cluster after 60 s: restarting it"
  restart_node "$n"
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
  restart) require_node "${2:-}"; restart_node "$2" ;;
  rejoin) require_node "${2:-}"; rejoin_node "$2" ;;
  resume) require_node "${2:-}"; signal_node "$2" CONT; say "node $2 resumed" ;;
  pg-up) pg_up ;;
  pg-kill)
    require_pg_node "${2:-}"
    pid=$(pg_pid "$2") || die "postgres node $2 is not running"
    kill -KILL "$pid"
    say "postgres node $2 killed"
    ;;
  pg-promote) require_pg_node "${2:-}"; pg_promote "$2" ;;
  pg-rejoin) require_pg_node "${2:-}"; pg_rejoin "$2" ;;
  pg-primary) for n in "${PG_NODES[@]}"; do if pg_is_primary "$n"; then echo "$n"; fi; done ;;
  pg-url) echo "postgres://postgres@$(pg_address 1):5432,$(pg_address 2):5432/surety?target_session_attrs=read-write" ;;
  management-url) echo "http://guest:guest@$(address 1):15672" ;;
  amqp-urls)
    urls=()
    for n in "${NODES[@]}"; do urls+=("amqp://guest:guest@$(address "$n"):5672"); done
    (IFS=,; echo "${urls[*]}")
    ;;
  *) die "usage: $0 up|down|reset|status|partition|heal|kill|pause|resume|restart|rejoin <node>|amqp-urls|pg-up|pg-kill|pg-promote|pg-rejoin <node>|pg-primary|pg-url" ;;
esac
