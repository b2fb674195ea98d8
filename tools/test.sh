#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the Debian tools the tests run for real, the npm
# dependencies from the lock file, then type-checks and runs every jest suite. README and .ci/run call it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the tests use for real, by the command each one provides.
declare -A tools=([shellcheck]=shellcheck [docker-registry]=docker-registry [openssl]=openssl [etcd]=etcd-server [etcdctl]=etcd-client [ip]=iproute2)
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

npm ci --no-audit --no-fund
npx tsc --noEmit -p .
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
npx jest --json --outputFile="$results" || status=$?
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log("tests: " + r.numPassedTests + " passed, " + r.numFailedTests + " failed")' "$results"
exit "$status"
