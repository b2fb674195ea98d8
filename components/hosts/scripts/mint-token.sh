#!/usr/bin/env bash
# Runs on the first control plane when a node joins: mints a bootstrap token for that join (technote 003
# "Adding Addition Nodes": the init token expires after 24 hours, so a node added weeks later needs its
# own), and for a joining control plane uploads the control-plane certificates again, encrypted with the
# certificate key (kubeadm deletes them two hours after each upload).
#
# stdout carries exactly one line for the program: {"token": "abcdef.0123456789abcdef"}.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need NODE_NAME '^[a-z0-9.-]+$'
need NODE_ROLE '^(control-plane|worker)$'
admin_conf="$ROOT/etc/kubernetes/admin.conf"

step token
[[ -r $admin_conf ]] || die "/etc/kubernetes/admin.conf is missing: kubeadm init has not run on this host"
if [[ $P_NODE_ROLE == control-plane ]]; then
    [[ -r $HERE/upload-certs.yaml ]] || die "the bundle has no upload-certs.yaml"
    # Output discarded: it repeats the certificate key.
    kubeadm init phase upload-certs --upload-certs --config "$HERE/upload-certs.yaml" --kubeconfig "$admin_conf" >/dev/null ||
        die "uploading the control-plane certificates failed"
    changed "control-plane certificates uploaded"
fi
token=$(kubeadm token create --kubeconfig "$admin_conf" --ttl 1h0m0s --description "lsst-k8s: join of $P_NODE_NAME")
[[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "kubeadm token create did not print a token"
changed "token minted for $P_NODE_NAME"
printf '{"token": "%s"}\n' "$token"

finish
