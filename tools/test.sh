#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the Debian tools the tests run for real, the npm
# dependencies from the lock file, then type-checks, builds the upstream tools that are not in the cache
# yet (tools/upstream/build.sh: the first run pays for the build), runs every jest suite (some run those
# tools) and the control-plane tier against them. README and .ci/run call it.
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
# Built before jest: suites that run the real API server, kubectl or kubeadm take them from the cache.
# The real tier never passes by skipping: a tool that cannot be built fails it with build.sh's line.
tier=0
start=$SECONDS
bash tools/upstream/build.sh all || tier=$?
build_s=$((SECONDS - start))
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
start=$SECONDS
npx jest --json --outputFile="$results" || status=$?
jest_s=$((SECONDS - start))
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log("tests: " + r.numPassedTests + " passed, " + r.numFailedTests + " failed")' "$results"

start=$SECONDS
if [[ $tier -eq 0 ]]; then
    npm run -s e2e -- control-plane || tier=$?
fi
tier_s=$((SECONDS - start))
[[ $tier -eq 0 ]] || status=1
echo "times: jest ${jest_s} s, upstream build ${build_s} s, control-plane tier ${tier_s} s"
exit "$status"
