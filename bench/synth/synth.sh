#!/usr/bin/env bash
# The synth of an N-node stack (bench/synth/stack.ts), compiled, as `npm run synth` runs it.
#   bench/synth/synth.sh N      last line: "synth N nodes: R resources, WALL s, PEAK MB, exit E"
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
read -r wall peak rc resources < <(synth_run "${1:?usage: bench/synth/synth.sh NODES}")
[[ $rc -eq 0 ]] || cat "$WORK/stderr" >&2
echo "synth $1 nodes: $resources resources, $wall s, $peak MB, exit $rc"
