#!/usr/bin/env bash
# Tells this node's containerd where the cluster's registry is and to trust its certificate (technote
# 000/001 "Docker Registry"): a hosts.toml and the CA under /etc/containerd/certs.d/<host>/, which
# containerd reads at every pull (config_path in its config.toml), so no restart is needed. Runs as
# root from a bundle holding this script, lib.sh, params.env, hosts.toml and ca.crt. The node's hosts
# file maps the registry's name to its Service address too, so what runs on the node itself (crictl,
# skopeo, npm run mirror) reaches the registry by the one name pods pull by and its certificate names.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need REGISTRY_HOST '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'
need REGISTRY_ADDRESS '^[0-9]{1,3}([.][0-9]{1,3}){3}$'

step registry
[[ $(id -u) -eq 0 ]] || die "must run as root"
update_file hosts.toml "/etc/containerd/certs.d/$P_REGISTRY_HOST/hosts.toml" 0644 || true
update_file ca.crt "/etc/containerd/certs.d/$P_REGISTRY_HOST/ca.crt" 0644 || true

# One line of ours, marked: an earlier one of ours is dropped, every other line is kept as it is.
mark="# lsst-k8s: registry"
if [[ -f $ROOT/etc/hosts ]]; then
    grep -vF -- "$mark" "$ROOT/etc/hosts" >"$HERE/hosts" || [[ $? -eq 1 ]] || die "cannot read /etc/hosts"
else
    : >"$HERE/hosts"
fi
printf '%s %s %s\n' "$P_REGISTRY_ADDRESS" "$P_REGISTRY_HOST" "$mark" >>"$HERE/hosts"
update_file hosts /etc/hosts 0644 || true

finish
