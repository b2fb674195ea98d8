#!/usr/bin/env bash
# The SDK's own floor for the synth of an N-node stack: the minimal program (floor.ts) registering as
# many resources as that synth does (counted by one synth run first, not timed).
#   bench/synth/floor.sh N      the typed floor (floor.ts with COMMANDS, see there), then the bare one;
#                               last line: "floor N nodes: R resources, WALL s, PEAK MB"
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
read -r _ _ rc resources commands < <(synth_run "${1:?usage: bench/synth/floor.sh NODES}")
[[ $rc -eq 0 ]] || { cat "$WORK/stderr" >&2; exit 1; }
read -r tw tp _ < <(floor_run "$resources" "$commands")
echo "typed floor $1 nodes: $resources resources ($commands commands), $tw s, $tp MB"
read -r wall peak _ < <(floor_run "$resources")
echo "floor $1 nodes: $resources resources, $wall s, $peak MB"
