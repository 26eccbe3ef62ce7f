#!/usr/bin/env bash
# infra.sh up|down|status — RabbitMQ and PostgreSQL from Debian's packages, data in .local/,
# on Surety's own ports. `up` installs what is missing, starts what is not running, waits until
# both answer, and does nothing when they already run.
# Faults for tests and drills: broker-stop|broker-start (stop_app/start_app, the node stays up),
# pg-stop|pg-start|pg-restart.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=${SURETY_LOCAL_DIR:-$ROOT/.local}
R=$LOCAL/rabbitmq
P=$LOCAL/pg
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

AMQP_PORT=${SURETY_AMQP_PORT:-5699}
MGMT_PORT=${SURETY_MGMT_PORT:-15699}
PROM_PORT=${SURETY_PROM_PORT:-15700}
DIST_PORT=${SURETY_DIST_PORT:-25699}
EPMD_PORT=${SURETY_EPMD_PORT:-4399}
PG_PORT=${SURETY_PG_PORT:-55432}

say() { printf '[infra] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

rabbit_env() {
  export HOME=$R PATH=/usr/lib/rabbitmq/bin:$PATH \
    RABBITMQ_CONF_ENV_FILE=$R/rabbitmq-env.conf RABBITMQ_CONFIG_FILE=$R/rabbitmq.conf \
    RABBITMQ_ENABLED_PLUGINS_FILE=$R/enabled_plugins RABBITMQ_PID_FILE=$R/rabbit.pid \
    RABBITMQ_NODENAME=rabbit-$AMQP_PORT@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$AMQP_PORT RABBITMQ_DIST_PORT=$DIST_PORT \
    RABBITMQ_MNESIA_BASE=$R/mnesia RABBITMQ_LOG_BASE=$R/log ERL_CRASH_DUMP=$R/erl_crash.dump \
    ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

install_missing() {
  local missing=()
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql)
  command -v curl >/dev/null || missing+=(curl)
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  # prometheus evaluates the alert rules (promtool tests them); chromium drives the UI tests.
  { command -v promtool && command -v prometheus; } >/dev/null || missing+=(prometheus)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  say "installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

rabbit_answers() {
  curl -fsS -m 2 -u guest:guest "http://127.0.0.1:$MGMT_PORT/api/overview" >/dev/null 2>&1
}

pg_answers() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

# shellcheck source=scripts/wait-lib.sh
source "$ROOT/scripts/wait-lib.sh"

wait_for() {
  local what=$1 check=$2 seconds=$3
  wait_until "$seconds" "$check" || die "$what did not answer within ${seconds}s"
}

# The plugins the code relies on beyond the broker's own: the consistent-hash exchange routes by key.
PLUGINS=(rabbitmq_management rabbitmq_prometheus rabbitmq_consistent_hash_exchange)

rabbit_up() {
  if rabbit_answers; then
    say "rabbitmq already running on :$AMQP_PORT"
    # A broker started by an older version of this script may lack a plugin added since.
    if ! grep -q rabbitmq_consistent_hash_exchange "$R/enabled_plugins" 2>/dev/null; then
      rabbit_env
      say "enabling ${PLUGINS[*]}"
      rabbitmq-plugins enable "${PLUGINS[@]}" >/dev/null
    fi
    return 0
  fi
  rabbit_env
  mkdir -p "$R/mnesia" "$R/log"
  touch "$R/rabbitmq-env.conf"
  cat >"$R/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $PROM_PORT
loopback_users = none
EOF
  rabbitmq-plugins enable --offline "${PLUGINS[@]}" >/dev/null
  say "starting rabbitmq on :$AMQP_PORT (management :$MGMT_PORT, prometheus :$PROM_PORT)"
  rabbitmq-server -detached
  rabbitmqctl wait --timeout 120 "$R/rabbit.pid" >/dev/null
  wait_for rabbitmq rabbit_answers 60
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() {
  if pg_answers; then say "postgres already running on :$PG_PORT"; return 0; fi
  # postgres refuses to run as root; it needs to enter every parent of its data directory.
  mkdir -p "$P"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$P"
  if [ ! -f "$P/data/PG_VERSION" ]; then
    say "initialising postgres cluster in $P/data"
    as_postgres "$PG_BIN/initdb" -D "$P/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    cat >>"$P/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$P'
max_connections = 400
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
max_slot_wal_keep_size = '1GB'
EOF
  fi
  say "starting postgres on :$PG_PORT"
  as_postgres "$PG_BIN/pg_ctl" -D "$P/data" -l "$P/server.log" -w -t 60 start >/dev/null
  wait_for postgres pg_answers 60
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'surety'" | grep -q 1 ||
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres surety
}

rabbit_down() {
  rabbit_env
  if rabbit_answers; then
    say "stopping rabbitmq"
    rabbitmqctl shutdown >/dev/null 2>&1 || true
  fi
  epmd -kill >/dev/null 2>&1 || true
}

pg_down() {
  if [ -f "$P/data/postmaster.pid" ]; then
    say "stopping postgres"
    as_postgres "$PG_BIN/pg_ctl" -D "$P/data" -m fast -w stop >/dev/null || true
  fi
}

broker_stop() {
  rabbit_env
  say "stopping the rabbitmq application"
  rabbitmqctl stop_app >/dev/null
}

broker_start() {
  rabbit_env
  say "starting the rabbitmq application"
  rabbitmqctl start_app >/dev/null
  wait_for rabbitmq rabbit_answers 60
}

pg_stop() {
  say "stopping postgres"
  as_postgres "$PG_BIN/pg_ctl" -D "$P/data" -m fast -w stop >/dev/null
}

pg_start() {
  say "starting postgres"
  as_postgres "$PG_BIN/pg_ctl" -D "$P/data" -l "$P/server.log" -w -t 60 start >/dev/null
  wait_for postgres pg_answers 60
}

status() {
  if rabbit_answers; then
    say "rabbitmq: up  amqp://guest:guest@127.0.0.1:$AMQP_PORT  http://127.0.0.1:$MGMT_PORT"
  else
    say "rabbitmq: down"
  fi
  if pg_answers; then
    say "postgres: up  postgres://postgres@127.0.0.1:$PG_PORT/surety"
  else
    say "postgres: down"
  fi
}

case "${1:-up}" in
  up) install_missing; rabbit_up; pg_up; status ;;
  down) rabbit_down; pg_down ;;
  status) status ;;
  broker-stop) broker_stop ;;
  broker-start) broker_start ;;
  pg-stop) pg_stop ;;
  pg-start) pg_start ;;
  pg-restart) pg_stop; pg_start ;;
  *) die "usage: $0 up|down|status|broker-stop|broker-start|pg-stop|pg-start|pg-restart" ;;
esac
