#!/usr/bin/env bash
# Returns a host to its prepared state when it leaves the cluster (technote 003 "Resetting"): kubeadm
# reset (which also removes a control plane's etcd member), then what reset leaves behind: the CNI
# config, and Weave's bridge and data files. Tolerates a host where any of it is already gone.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step reset
[[ $(id -u) -eq 0 ]] || die "must run as root"
# Not the manifests directory itself: the kubelet package ships it empty and kubeadm reset empties it
# without removing it, so only static pod manifests in it mean kubeadm set this host up.
if [[ -f $ROOT/etc/kubernetes/kubelet.conf ]] || compgen -G "$ROOT/etc/kubernetes/manifests/*" >/dev/null; then
    if command -v kubeadm >/dev/null; then
        kubeadm reset --force >&2
        changed "kubeadm reset"
    else
        log "  kubeadm is not installed: nothing to reset"
    fi
else
    log "  this host is not part of a cluster"
fi

step cleanup
# kubeadm reset leaves the CNI config, whose stale subnet would break the next join.
for f in "$ROOT"/etc/cni/net.d/*; do
    [[ -e $f ]] || continue
    rm -rf -- "$f"
    changed "removed ${f#"$ROOT"}"
done
# Weave's bridge, its datapath, the veth pair between them and its VXLAN device.
for link in weave datapath vethwe-bridge vxlan-6784; do
    if [[ -d $ROOT/sys/class/net/$link ]]; then
        ip link delete "$link"
        changed "removed the $link link"
    fi
done
if [[ -d $ROOT/var/lib/weave ]]; then
    rm -rf -- "$ROOT/var/lib/weave"
    changed "removed /var/lib/weave"
fi

finish
