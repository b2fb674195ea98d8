#!/usr/bin/env bash
# `policy check` against parsing the same files with the YAML library alone, 10 000 objects.
#   bench/policy-check.sh four|one     (four files of 2 500 objects, or one file of 10 000)
# Last line: the ratio check / parse-only (goal: at most 1.5).
set -euo pipefail
source "$(dirname "$0")/policy-lib.sh"

layout="${1:-four}"
corpus
case "$layout" in
    four) files=("$CORPUS"/four/part-{1,2,3,4}.yaml) where="four files" ;;
    one) files=("$CORPUS/one-10k.yaml") where="one file" ;;
    *) echo "usage: bench/policy-check.sh four|one" >&2; exit 2 ;;
esac
policy_command
PAIR_A=("${POLICY[@]}" check "${files[@]}")
PAIR_B=(node bench/policy-parse-only.js "${files[@]}")
result="$(paired)"
read -r check parse ratio <<< "$result"
echo "policy check ${check} s, parse-only ${parse} s (wall, medians of ${RUNS} pairs)"
echo "policy check / parse-only, 10 000 objects in ${where}: ${ratio}x"
