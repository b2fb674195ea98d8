#!/usr/bin/env bash
# Returns a host to its prepared state when it leaves the cluster (technote 003 "Resetting"): kubeadm
# reset (which also removes a control plane's etcd member), then what reset leaves behind: the CNI
# config, and Weave's bridge and data files. Tolerates a host where any of it is already gone.
#
# A delete runs with the inputs stored in the Pulumi state, so the address it dials may since have
# become another host's. It resets only the node of the cluster its bundle names, and refuses (exit 3)
# any host whose kubelet.conf says otherwise. What decides is the kubelet's client certificate, whose
# subject CN system:node:NAME is the name the API server knows the node by; not the hostname, which
# kubeadm's nodeRegistration.name (set by the program) is free to differ from, so it is only reported.
# The cluster is its CA, the one the node pinned when it joined: kubelet.conf carries it whoever wrote
# the file, where the cluster's name is there only when kubeadm init wrote it (the first control plane);
# after a join the kubelet writes kubelet.conf itself, once its TLS bootstrap is done, and names its
# cluster "default-cluster" (pkg/kubelet/certificate/bootstrap). The client certificate is embedded in
# the file when kubeadm init wrote it, or, once kubeadm's kubelet-finalize phase or the kubelet's
# bootstrap has run, the file /var/lib/kubelet/pki/kubelet-client-current.pem, which both name.
# Without kubelet.conf nothing names the host, and nothing of a member is left to protect: it is reset
# as before. The first control plane's bundle (reset on `pulumi destroy`) is built before its CA
# exists, so there the name kubeadm init wrote is what ties the host to the cluster.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need NODE_NAME '^[a-z0-9.-]+$'
need CLUSTER_NAME '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
[[ -z ${P_CA_CERT_HASH+set} ]] || need CA_CERT_HASH '^sha256:[0-9a-f]{64}$'
kubelet_conf=$ROOT/etc/kubernetes/kubelet.conf

# Refuses unless kubelet.conf says this host is the node and cluster of the bundle.
check_identity() {
    local expected="node $P_NODE_NAME of cluster $P_CLUSTER_NAME" hostname=unknown
    local untouched="nothing was reset. If this host must leave the cluster all the same, run 'kubeadm reset --force' on it by hand"
    if [[ -r $ROOT/proc/sys/kernel/hostname ]]; then
        read -r hostname <"$ROOT/proc/sys/kernel/hostname" || true
    fi
    host_identity "$kubelet_conf" ||
        refuse "cannot tell which node this host (hostname $hostname) is: $HOST_PROBLEM; this reset is for $expected; $untouched"
    [[ $HOST_NODE == "$P_NODE_NAME" ]] ||
        refuse "this host is node $HOST_NODE (its kubelet client certificate; hostname $hostname), but this reset is for $expected; $untouched"
    [[ -z $HOST_CLUSTER || $HOST_CLUSTER == "$P_CLUSTER_NAME" ]] ||
        refuse "this host belongs to cluster $HOST_CLUSTER (its kubelet.conf; node $HOST_NODE), but this reset is for $expected; $untouched"
    if [[ -n ${P_CA_CERT_HASH-} && $HOST_CA_HASH != "$P_CA_CERT_HASH" ]]; then
        refuse "this host's cluster CA is $HOST_CA_HASH (its kubelet.conf; node $HOST_NODE), not $P_CA_CERT_HASH of cluster $P_CLUSTER_NAME: it belongs to another cluster, and this reset is for $expected; $untouched"
    fi
    [[ -n $HOST_CLUSTER || -n ${P_CA_CERT_HASH-} ]] ||
        refuse "cannot tell which cluster node $HOST_NODE (hostname $hostname) belongs to: its kubelet.conf names none, and this reset is for $expected; $untouched"
    log "  this host is $expected (its kubelet client certificate and kubelet.conf)"
}

step reset
[[ $(id -u) -eq 0 ]] || die "must run as root"
# Not the manifests directory itself: the kubelet package ships it empty and kubeadm reset empties it
# without removing it, so only static pod manifests in it mean kubeadm set this host up.
if [[ -f $kubelet_conf ]] || compgen -G "$ROOT/etc/kubernetes/manifests/*" >/dev/null; then
    [[ ! -f $kubelet_conf ]] || check_identity
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
