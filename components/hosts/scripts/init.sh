#!/usr/bin/env bash
# Creates the cluster on the first control plane: `kubeadm init` from the configuration the program
# rendered (technote 003 "Installation"), then reads back what the program needs. Runs as root from a
# bundle holding this script, lib.sh and kubeadm.yaml (which carries the bootstrap token and the
# certificate key, so it is never copied out of the bundle's private directory).
#
# stdout carries exactly one line for the program: {"caCertHash": "sha256:...", "kubeconfig": "<base64>"}.
# Everything else goes to stderr, and kubeadm's own output, which prints a join command with the token,
# goes to a root-only log file instead.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

admin_conf="$ROOT/etc/kubernetes/admin.conf"
ca_cert="$ROOT/etc/kubernetes/pki/ca.crt"
log_dir="$ROOT/var/log/lsst-k8s"

step init
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -r $HERE/kubeadm.yaml ]] || die "the bundle has no kubeadm.yaml"
if [[ -f $admin_conf ]]; then
    # Never a second init on a live control plane: it would mint a new CA and orphan every node.
    log "  /etc/kubernetes/admin.conf exists: the cluster is already initialised here"
else
    mkdir -p "$log_dir"
    chmod 0700 "$log_dir"
    log_file="$log_dir/kubeadm-init.log"
    # 0600 before kubeadm writes to it, so a failed run's log (token and key included) is root-only too.
    : >"$log_file"
    chmod 0600 "$log_file"
    if ! kubeadm init --config "$HERE/kubeadm.yaml" --upload-certs >"$log_file" 2>&1; then
        # The log may hold the token and the certificate key (64 hex digits; the public CA hash, after
        # "sha256:", is kept): mask both before showing the end of the log.
        tail -n 20 "$log_file" |
            sed -E -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/<token>/g' -e 's/(^|[^:0-9a-f])[0-9a-f]{64}/\1<certificate-key>/g' >&2
        die "kubeadm init failed; the whole log is $log_file on this host"
    fi
    changed "kubeadm init"
fi

step readback
[[ -r $admin_conf && -r $ca_cert ]] || die "admin.conf or the cluster CA is missing after init"
# The discovery hash joins verify the API server with (never --discovery-token-unsafe-skip-ca-verification).
ca_hash=$(openssl x509 -pubkey -noout -in "$ca_cert" | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex)
ca_hash=${ca_hash##* }
[[ $ca_hash =~ ^[0-9a-f]{64}$ ]] || die "could not compute the CA public key hash"
printf '{"caCertHash": "sha256:%s", "kubeconfig": "%s"}\n' "$ca_hash" "$(base64 -w0 <"$admin_conf")"

finish
