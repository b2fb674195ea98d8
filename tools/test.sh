#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the Debian tools the tests run for real, the npm
# dependencies from the lock file, then type-checks, builds the upstream tools that are not in the cache
# yet (tools/upstream/build.sh: the first run pays for the build), runs the jest suites tier by tier
# (jest.config.js's projects) and the control-plane tier against those tools, and prints each tier's
# tests and time. README and .ci/run call it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the tests use for real, by the command each one provides.
declare -A tools=([shellcheck]=shellcheck [docker-registry]=docker-registry [openssl]=openssl [etcd]=etcd-server [etcdctl]=etcd-client [ip]=iproute2 [skopeo]=skopeo)
missing=()
for cmd in "${!tools[@]}"; do
    command -v "$cmd" >/dev/null || missing+=("${tools[$cmd]}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    if ! command -v apt-get >/dev/null; then
        echo "test.sh: missing ${missing[*]} and no apt-get to install them; install them and run again" >&2
        exit 2
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# HTCondor's own config reader and ClassAd evaluator (PyPI's bindings, pinned): tests/condor.test.ts
# reads the startd configuration and judges its START with them.
if ! python3 -c 'import classad2, htcondor2' 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check htcondor==25.14.1
fi

if ! command -v go >/dev/null; then
    echo "test.sh: the control-plane tier needs Go 1.26 or later to build the upstream tools (tools/upstream/build.sh); install it and run again" >&2
    exit 2
fi

npm ci --no-audit --no-fund
npx tsc --noEmit -p .
# The npm scripts, and the suites that spawn them, run the compiled tree.
npm run -s build
# Built before jest: suites that run the real API server, kubectl or kubeadm take them from the cache.
# The real tier never passes by skipping: a tool that cannot be built fails it with build.sh's line.
build=0
start=$SECONDS
bash tools/upstream/build.sh all || build=$?
build_s=$((SECONDS - start))
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
summary=()

# One jest run per tier (jest.config.js's projects) or, for FAST, all of them in one run, so two
# workers stay busy across the tiers instead of idling at the tail of each; RUN's results are in
# $results/RUN.json, its wall time in run_s, its test count in run_n.
FAST=(unit policies scripts services synth)
jest_run() {
    local run=$1 t0=$SECONDS rc=0
    shift
    npx jest --selectProjects "$@" --json --outputFile="$results/$run.json" || rc=$?
    [[ $rc -eq 0 ]] || status=1
    run_s=$((SECONDS - t0))
    read -r run_n run_failed < <(node -e 'try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.numTotalTests, r.numFailedTests); } catch { console.log(0, "?"); }' "$results/$run.json")
    total_n=$((total_n + run_n))
}

total_n=0
jest_run fast "${FAST[@]}"
fast_s=$run_s
mapfile -t tier_lines < <(node bin/tools/testTiers.js "$results/fast.json" "${FAST[@]}")
summary+=("${tier_lines[@]}")
summary+=("$(printf '%-14s %d tests (%s failed) in %d s' "fast tiers:" "$run_n" "$run_failed" "$fast_s")")

# The control-plane tier: its jest suites and the e2e run over every stack, against the build above.
if [[ $build -eq 0 ]]; then
    jest_run control-plane control-plane
    cp_line="$run_n tests ($run_failed failed) in $run_s s"
    cp_s=$run_s
    start=$SECONDS
    npm run -s e2e -- control-plane || status=1
    e2e_s=$((SECONDS - start))
    summary+=("$(printf '%-14s %s + e2e control-plane %d s' "control-plane:" "$cp_line" "$e2e_s")")
    jest_run engine engine
    summary+=("$(printf '%-14s %d tests (%s failed) in %d s' "engine:" "$run_n" "$run_failed" "$run_s")")
    real_s=$((cp_s + e2e_s + run_s))
else
    status=1
    summary+=("control-plane: not run (tools/upstream/build.sh failed)" "engine:        not run (tools/upstream/build.sh failed)")
    real_s=0
fi
summary+=("$(printf '%-14s %d jest tests in %d s (upstream build %d s)' "total:" "$total_n" "$((fast_s + real_s + build_s))" "$build_s")")
printf '%s\n' "${summary[@]}"
exit "$status"
