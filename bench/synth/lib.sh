# Shared by the synth benchmarks: a stack file for N nodes, and one timed run of a command.
# shellcheck shell=bash
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-synth.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# stack_file N: writes the stack file for N nodes and prints its path.
stack_file() {
    node "$REPO/bin/bench/synth/stack.js" "$1" "$WORK/stack-$1.yaml" >/dev/null
    echo "$WORK/stack-$1.yaml"
}

# timed OUT COMMAND...: runs COMMAND from the repository with its stdout in OUT; prints "WALL_S PEAK_MB EXIT".
timed() {
    local out=$1
    shift
    local rc=0
    (cd "$REPO" && /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$out" 2>"$WORK/stderr") || rc=$?
    read -r wall kb < <(tail -n1 "$WORK/time")
    echo "$wall $((kb / 1024)) $rc"
}

# synth_run N: one synth of N nodes into a fresh folder; prints "WALL_S PEAK_MB EXIT RESOURCES COMMANDS".
synth_run() {
    local file
    file=$(stack_file "$1")
    rm -rf "$WORK/out"
    local t
    t=$(timed "$WORK/synth.out" node bin/tools/build/memory.js tools/synth.js test --config "$file" --out "$WORK/out")
    echo "$t $(sed -n 's/^  resources: //p' "$WORK/synth.out") $(awk '$2 == "command:remote:Command" { print $1 }' "$WORK/synth.out")"
}

# floor_run RESOURCES [COMMANDS]: one run of the SDK floor (COMMANDS of them remote Commands); prints
# "WALL_S PEAK_MB EXIT".
floor_run() {
    timed "$WORK/floor.out" node bin/bench/synth/floor.js "$@"
}
