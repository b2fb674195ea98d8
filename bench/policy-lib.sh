# shellcheck shell=bash
# Shared by the policy-*.sh benchmarks (sourced): the corpus, the command `npm run policy` runs, and
# paired wall-clock timing with /usr/bin/time. The tool runs as `npm run policy` does, from bin/:
# run `npm run build` first.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="${POLICY_BENCH_CORPUS:-${TMPDIR:-/tmp}/lsst-k8s-policy-corpus}"
RUNS="${RUNS:-5}"

# The corpus is deterministic; it is written once and reused while its generator is unchanged.
corpus() {
    local stamp
    stamp="$(cksum < "$REPO/bench/policy-corpus.ts")"
    if [[ "$(cat "$CORPUS/.stamp" 2>/dev/null)" != "$stamp" ]]; then
        rm -rf "$CORPUS"
        (cd "$REPO" && node -r ts-node/register/transpile-only bench/policy-corpus.ts "$CORPUS")
        printf '%s\n' "$stamp" > "$CORPUS/.stamp"
    fi
}

# What `npm run policy` runs, without npm (whose own start-up is not the tool's), as words; POLICY_CMD
# instead when set (another build of the tool, to compare).
policy_command() {
    local script="${POLICY_CMD:-}"
    if [[ -z "$script" ]]; then
        script="$(cd "$REPO" && node -p 'require("./package.json").scripts.policy')"
    fi
    read -r -a POLICY <<< "$script"
    if [[ "${POLICY[0]}" == ts-node ]]; then
        POLICY=(node -r ts-node/register/transpile-only "${POLICY[@]:2}")
    fi
}

# Wall seconds of one run of the command, its output discarded. Exit 1 (violations) is expected; any
# other failure stops the benchmark with the command's own message, so no figure is made of it.
seconds() {
    local out err status=0
    out="$(mktemp)" err="$(mktemp)"
    (cd "$REPO" && /usr/bin/time -f %e -o "$out" "$@" > /dev/null 2> "$err") || status=$?
    if ((status > 1)); then
        echo "$* failed (exit $status):" >&2
        cat "$err" >&2
        rm -f "$out" "$err"
        exit 2
    fi
    tail -n 1 "$out"
    rm -f "$out" "$err"
}

# Median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# PAIR_A and PAIR_B (commands as arrays) taking turns after one warm-up each, RUNS times. Prints A's
# median, B's median and the median of the ratios A/B, in seconds.
paired() {
    seconds "${PAIR_A[@]}" > /dev/null
    seconds "${PAIR_B[@]}" > /dev/null
    local i ta tb as=() bs=() rs=()
    for ((i = 0; i < RUNS; i++)); do
        ta="$(seconds "${PAIR_A[@]}")"
        tb="$(seconds "${PAIR_B[@]}")"
        as+=("$ta") bs+=("$tb")
        rs+=("$(awk -v x="$ta" -v y="$tb" 'BEGIN { printf "%.3f", (y > 0 ? x / y : 0) }')")
    done
    echo "$(printf '%s\n' "${as[@]}" | median) $(printf '%s\n' "${bs[@]}" | median) $(printf '%s\n' "${rs[@]}" | median)"
}
