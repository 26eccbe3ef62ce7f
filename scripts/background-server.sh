# shellcheck shell=bash
# background-server.sh — sourced by jaeger.sh and prometheus.sh: one local server run in the
# background, with its pid file and log in a state directory, started once and stopped cleanly.
# The caller sets SERVER (its name), STATE (its state directory) and ROOT, and defines say, die
# and answers (true once the server serves).

server_pid() {
  local pid
  pid=$(cat "$STATE/$SERVER.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

# server_start COMMAND [ARGS...] runs the command unless it already runs, then waits up to 30 s for it to answer.
server_start() {
  mkdir -p "$STATE"
  if ! server_pid >/dev/null; then
    say "starting $SERVER (log in ${STATE#"$ROOT"/}/$SERVER.log)"
    nohup "$@" >"$STATE/$SERVER.log" 2>&1 &
    echo $! >"$STATE/$SERVER.pid"
  fi
  local i
  for i in $(seq 1 60); do
    answers && return 0
    server_pid >/dev/null || die "$SERVER exited: $(tail -5 "$STATE/$SERVER.log")"
    [ "$i" -lt 60 ] || die "$SERVER did not answer within 30 s: see $STATE/$SERVER.log"
    sleep 0.5
  done
}

# server_stop ends the server (TERM, then KILL after 10 s) and forgets its pid.
server_stop() {
  local pid
  if pid=$(server_pid); then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped"
  fi
  rm -f "$STATE/$SERVER.pid"
}

# server_status DETAILS says whether the server answers, with DETAILS (its addresses) when it does.
server_status() {
  if answers; then
    say "$SERVER: up  $1"
  else
    say "$SERVER: down"
    return 1
  fi
}

# server_main ACTION runs the caller's up, down or status.
server_main() {
  case "${1:-up}" in
    up) up ;;
    down) server_stop ;;
    status) status ;;
    *) die "usage: $0 up|down|status" ;;
  esac
}
