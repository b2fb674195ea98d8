#!/usr/bin/env bash
# Joins this host to the cluster (technote 003 "Adding Addition Nodes") from the JoinConfiguration the
# program rendered: a token minted for this join, the CA hash pinned, and for a control plane the
# certificate key. Runs as root from a bundle holding this script, lib.sh and kubeadm.yaml.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kubelet_conf="$ROOT/etc/kubernetes/kubelet.conf"
log_dir="$ROOT/var/log/lsst-k8s"
# There while a kubeadm join of ours runs, and after one that failed or was cut off.
unfinished="$log_dir/kubeadm-join.unfinished"

step join
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -r $HERE/kubeadm.yaml ]] || die "the bundle has no kubeadm.yaml"
if [[ -f $kubelet_conf ]]; then
    # kubelet.conf appears halfway through a join (after the kubelet's TLS bootstrap, before a control
    # plane's etcd member is added): a join of ours that stopped after it is not a joined host.
    [[ ! -e $unfinished ]] ||
        die "an earlier kubeadm join stopped partway on this host (see $log_dir/kubeadm-join.log): run 'kubeadm reset --force' here, then retry"
    # A host that already joined keeps its identity: a second join would fail or, after a reset
    # elsewhere, register a duplicate.
    log "  /etc/kubernetes/kubelet.conf exists: this host has already joined"
else
    mkdir -p "$log_dir"
    chmod 0700 "$log_dir"
    log_file="$log_dir/kubeadm-join.log"
    # Root-only before kubeadm writes to it: a failed join leaves the token in it.
    : >"$log_file"
    chmod 0600 "$log_file"
    : >"$unfinished"
    if [[ -f $HERE/encryption.yaml ]]; then
        # A control plane: kubeadm starts its API server with these (a running one's are ControlPlaneConfig's to keep).
        install_control_plane_files
    fi
    if ! kubeadm join --config "$HERE/kubeadm.yaml" >"$log_file" 2>&1; then
        # Token and certificate key masked; the public CA hash (after "sha256:") kept, as it tells which
        # CA the node expected when pinning fails.
        tail -n 20 "$log_file" |
            sed -E -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/<token>/g' -e 's/(^|[^:0-9a-f])[0-9a-f]{64}/\1<certificate-key>/g' >&2
        die "kubeadm join failed; the whole log is $log_file on this host"
    fi
    rm -f "$unfinished"
    changed "kubeadm join"
fi

finish
