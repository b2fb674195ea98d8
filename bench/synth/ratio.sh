#!/usr/bin/env bash
# The synth against the SDK's floor, paired: RUNS rounds per size of synth, floor and typed floor in
# turn, the median of each figure's ratio. The floor (floor.ts) registers as many bare resources; the
# typed floor registers as many, of which as many remote Commands as the synth has (the SDK's cost for
# the classes the program uses, with one-word inputs). Then one synth of 3 000 nodes, which must complete.
#   bench/synth/ratio.sh [NODES...]     default 100 300 1000; RUNS=3 by default; SKIP_3000=1 skips it
# A line per size: wall and peak-memory ratios to each floor, and the synth's milliseconds and KB per
# resource (flat = linear). Last line: the ratios at the largest size.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=${RUNS:-3}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100 300 1000)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
per() { awk -v a="$1" -v r="$2" -v k="$3" 'BEGIN { printf "%.2f", k * a / r }'; }

last=""
for n in "${sizes[@]}"; do
    walls=() peaks=() twalls=() tpeaks=() ms=() kb=()
    for ((i = 0; i < runs; i++)); do
        read -r sw sp rc resources commands < <(synth_run "$n")
        [[ $rc -eq 0 ]] || { cat "$WORK/stderr" >&2; echo "synth of $n nodes failed (exit $rc)" >&2; exit 1; }
        read -r fw fp _ < <(floor_run "$resources")
        read -r tw tp _ < <(floor_run "$resources" "$commands")
        walls+=("$(ratio "$sw" "$fw")") peaks+=("$(ratio "$sp" "$fp")")
        twalls+=("$(ratio "$sw" "$tw")") tpeaks+=("$(ratio "$sp" "$tp")")
        ms+=("$(per "$sw" "$resources" 1000)") kb+=("$(per "$sp" "$resources" 1024)")
    done
    m() { printf '%s\n' "$@" | median; }
    last="$n nodes ($resources resources, $commands commands): floor wall $(m "${walls[@]}")x peak $(m "${peaks[@]}")x; typed floor wall $(m "${twalls[@]}")x peak $(m "${tpeaks[@]}")x; $(m "${ms[@]}") ms and $(m "${kb[@]}") KB per resource"
    echo "$last"
done
if [[ -z ${SKIP_3000:-} ]]; then
    read -r sw sp rc resources _ < <(synth_run 3000)
    echo "3000 nodes ($resources resources): exit $rc, $sw s, $sp MB, $(per "$sw" "${resources:-1}" 1000) ms and $(per "$sp" "${resources:-1}" 1024) KB per resource"
fi
echo "$last"
