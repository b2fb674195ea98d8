#!/usr/bin/env bash
# `policy check` start-up: a one-object file (and an empty one) against `node -e 0`.
#   bench/policy-startup.sh
# Last line: the one-object check's wall time (goal: under 0.3 s).
set -euo pipefail
source "$(dirname "$0")/policy-lib.sh"

corpus
policy_command
PAIR_B=(node -e 0)
PAIR_A=("${POLICY[@]}" check "$CORPUS/empty.yaml")
result="$(paired)"
read -r empty bare _ <<< "$result"
echo "empty file ${empty} s, node -e 0 ${bare} s (wall, medians of ${RUNS} pairs)"
PAIR_A=("${POLICY[@]}" check "$CORPUS/one-object.yaml")
result="$(paired)"
read -r one bare _ <<< "$result"
echo "policy check start-up, one object: ${one} s (node -e 0: ${bare} s)"
