#!/usr/bin/env bash
# Whether `policy check` is linear in the number of objects: time per object for 40 000 objects in one
# file against 10 000 in one file, start-up (an empty file) taken off both.
#   bench/policy-linearity.sh
# Last line: the ratio of the two per-object times (1 is linear; goal: close to 1, far from 4).
set -euo pipefail
source "$(dirname "$0")/policy-lib.sh"

corpus
policy_command
PAIR_A=("${POLICY[@]}" check "$CORPUS/one-40k.yaml")
PAIR_B=("${POLICY[@]}" check "$CORPUS/one-10k.yaml")
result="$(paired)"
read -r big_s small_s _ <<< "$result"
empty=("${POLICY[@]}" check "$CORPUS/empty.yaml")
start="$(for ((i = 0; i < RUNS; i++)); do seconds "${empty[@]}"; done | median)"
read -r per_big per_small ratio < <(awk -v b="$big_s" -v s="$small_s" -v e="$start" \
    'BEGIN { pb = (b - e) / 40; ps = (s - e) / 10; printf "%.3f %.3f %.2f\n", pb, ps, (ps > 0 ? pb / ps : 0) }')
echo "40 000 objects ${big_s} s, 10 000 objects ${small_s} s, start-up ${start} s (wall, medians of ${RUNS})"
echo "ms per object: ${per_big} at 40 000, ${per_small} at 10 000"
echo "time per object, 40 000 vs 10 000 objects in one file: ${ratio}x"
