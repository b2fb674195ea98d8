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

# One jest run per tier (jest.config.js's projects), each timed on its own; tier TIER's line is
# "TIER: N tests (F failed) in S s", its results in $results/TIER.json; total_n counts every tier's tests.
jest_tier() {
    local tier=$1 t0=$SECONDS rc=0
    npx jest --selectProjects "$tier" --json --outputFile="$results/$tier.json" || rc=$?
    [[ $rc -eq 0 ]] || status=1
    tier_s=$((SECONDS - t0))
    read -r tier_n tier_failed < <(node -e 'try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.numTotalTests, r.numFailedTests); } catch { console.log(0, "?"); }' "$results/$tier.json")
    tier_tests="$tier_n tests ($tier_failed failed)"
    total_n=$((total_n + tier_n))
}

total_n=0
fast_s=0
for tier in unit policies scripts services synth; do
    jest_tier "$tier"
    fast_s=$((fast_s + tier_s))
    summary+=("$(printf '%-14s %s in %d s' "$tier:" "$tier_tests" "$tier_s")")
done
summary+=("$(printf '%-14s %d tests in %d s' "fast tiers:" "$total_n" "$fast_s")")

# The control-plane tier: its jest suites and the e2e run over every stack, against the build above.
if [[ $build -eq 0 ]]; then
    jest_tier control-plane
    cp_line="$tier_tests in $tier_s s"
    cp_s=$tier_s
    start=$SECONDS
    npm run -s e2e -- control-plane || status=1
    e2e_s=$((SECONDS - start))
    summary+=("$(printf '%-14s %s + e2e control-plane %d s' "control-plane:" "$cp_line" "$e2e_s")")
    jest_tier engine
    summary+=("$(printf '%-14s %s in %d s' "engine:" "$tier_tests" "$tier_s")")
    real_s=$((cp_s + e2e_s + tier_s))
else
    status=1
    summary+=("control-plane: not run (tools/upstream/build.sh failed)" "engine:        not run (tools/upstream/build.sh failed)")
    real_s=0
fi
summary+=("$(printf '%-14s %d jest tests in %d s (upstream build %d s)' "total:" "$total_n" "$((fast_s + real_s + build_s))" "$build_s")")
printf '%s\n' "${summary[@]}"
exit "$status"
