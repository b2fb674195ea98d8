#!/usr/bin/env bash
# Installed by the engine tier as `pulumi-analyzer-policy-nodejs`: the analyzer plugin the Pulumi CLI
# starts for a Node.js policy pack when no Node.js language host is installed (the language host
# cannot be built here). The CLI runs it in the pack's directory with the engine's address and the
# pack's path; the SDK's run-policy-pack, resolved from the pack's own node_modules, serves the pack.
set -euo pipefail
runner=$(node -p 'require.resolve("@pulumi/pulumi/cmd/run-policy-pack")')
exec node "$runner" "$@"
