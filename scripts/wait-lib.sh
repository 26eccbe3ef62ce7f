#!/usr/bin/env bash
# wait-lib.sh — sourced by the scripts that start servers and wait for them to answer.

# wait_until <seconds> <command...> runs the command four times a second until it succeeds (0) or
# the seconds are up (1).
wait_until() {
  local seconds=$1 i
  shift
  for ((i = 0; i < seconds * 4; i++)); do
    "$@" && return 0
    sleep 0.25
  done
  return 1
}
