#!/usr/bin/env bash
# The command line of every remote action. It runs as the SSH user, reads a bundle from stdin (scripts,
# rendered config files and parameters, secrets included, so none of them is ever in a command line),
# unpacks it into a private directory and runs the entry script of the bundle as root.
#
# Bundle format, one record a line:   lsst-k8s-bundle/1 ENTRY
#                                     NAME MODE BASE64-CONTENT
# An argument names another entry of the same bundle: a resource whose delete command must run a
# different script (reset.sh, drain.sh) gets the same stdin as its create command.
#
# This text is passed to the remote shell inside single quotes, so it must never contain one.
set -euo pipefail
umask 077

workdir=$(mktemp -d)
cleanup() { rm -rf -- "$workdir"; }
trap cleanup EXIT

read -r magic entry
entry=${1:-$entry}
if [[ $magic != lsst-k8s-bundle/1 || ! $entry =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    echo "lsst-k8s: stdin is not a bundle (got ${magic:0:40})" >&2
    exit 2
fi
while read -r name mode data; do
    if [[ ! $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ || ! $mode =~ ^0[0-7]{3}$ ]]; then
        echo "lsst-k8s: malformed bundle record for ${name:0:40}" >&2
        exit 2
    fi
    base64 -d <<<"$data" >"$workdir/$name"
    chmod "$mode" "$workdir/$name"
done
if [[ ! -f $workdir/$entry ]]; then
    echo "lsst-k8s: bundle has no entry script $entry" >&2
    exit 2
fi

if [[ $(id -u) -eq 0 ]]; then
    bash "$workdir/$entry"
else
    sudo -n bash "$workdir/$entry"
fi
