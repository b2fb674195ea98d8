#!/usr/bin/env bash
# Tells this node's containerd where the cluster's registry is and to trust its certificate (technote
# 000/001 "Docker Registry"): a hosts.toml and the CA under /etc/containerd/certs.d/<host>/, which
# containerd reads at every pull (config_path in its config.toml), so no restart is needed. Runs as
# root from a bundle holding this script, lib.sh, params.env, hosts.toml and ca.crt.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need REGISTRY_HOST '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'

step registry
[[ $(id -u) -eq 0 ]] || die "must run as root"
update_file hosts.toml "/etc/containerd/certs.d/$P_REGISTRY_HOST/hosts.toml" 0644 || true
update_file ca.crt "/etc/containerd/certs.d/$P_REGISTRY_HOST/ca.crt" 0644 || true

finish
