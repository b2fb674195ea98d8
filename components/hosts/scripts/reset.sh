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
# as before.
#
# A reset is a delete, so `pulumi up --replace` of the command that carries it would reset a host that is
# still wanted. The cluster says whether the host has really left: a member is reset only once its drain
# has deleted its Node object (removing it from nodes[] runs the drain first), asked with the kubelet's
# own credential, which may read its own Node; the first control plane only on `pulumi destroy`, once
# every other node has been drained and deleted, asked with admin.conf. An API server that cannot
# answer refuses the reset too: a removal's drain has just talked to it.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need NODE_NAME '^[a-z0-9.-]+$'
need CLUSTER_NAME '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
need CA_CERT_HASH '^sha256:[0-9a-f]{64}$'
need RESET_ROLE '^(first-control-plane|member)$'
kubelet_conf=$ROOT/etc/kubernetes/kubelet.conf
untouched="nothing was reset. If this host must leave the cluster all the same, run 'kubeadm reset --force' on it by hand"

# Refuses unless kubelet.conf says this host is the node and cluster of the bundle.
check_identity() {
    local expected="node $P_NODE_NAME of cluster $P_CLUSTER_NAME" hostname=unknown
    if [[ -r $ROOT/proc/sys/kernel/hostname ]]; then
        read -r hostname <"$ROOT/proc/sys/kernel/hostname" || true
    fi
    host_identity "$kubelet_conf" ||
        refuse "cannot tell which node this host (hostname $hostname) is: $HOST_PROBLEM; this reset is for $expected; $untouched"
    [[ $HOST_NODE == "$P_NODE_NAME" ]] ||
        refuse "this host is node $HOST_NODE (its kubelet client certificate; hostname $hostname), but this reset is for $expected; $untouched"
    [[ -z $HOST_CLUSTER || $HOST_CLUSTER == "$P_CLUSTER_NAME" ]] ||
        refuse "this host belongs to cluster $HOST_CLUSTER (its kubelet.conf; node $HOST_NODE), but this reset is for $expected; $untouched"
    [[ $HOST_CA_HASH == "$P_CA_CERT_HASH" ]] ||
        refuse "this host's cluster CA is $HOST_CA_HASH (its kubelet.conf; node $HOST_NODE), not $P_CA_CERT_HASH of cluster $P_CLUSTER_NAME: it belongs to another cluster, and this reset is for $expected; $untouched"
    log "  this host is $expected (its kubelet client certificate and kubelet.conf)"
}

# Refuses while the cluster still counts this host in (the header says why).
check_left() {
    local found line others=()
    if [[ $P_RESET_ROLE == member ]]; then
        found=$(kubectl --kubeconfig "$kubelet_conf" get node "$P_NODE_NAME" --ignore-not-found -o name) ||
            refuse "cannot ask the API server whether node $P_NODE_NAME is still registered; $untouched"
        [[ -z $found ]] ||
            refuse "node $P_NODE_NAME is still registered in the cluster: a node is reset only after its drain has deleted it from the API, which removing it from nodes[] does first, and a 'pulumi up --replace' of its reset command does not; $untouched"
        log "  node $P_NODE_NAME is no longer in the cluster's API"
        return
    fi
    found=$(kubectl --kubeconfig "$ROOT/etc/kubernetes/admin.conf" get nodes -o name) ||
        refuse "cannot ask the API server which nodes are left in the cluster; $untouched"
    while IFS= read -r line; do
        [[ -z $line || $line == "node/$P_NODE_NAME" ]] || others+=("${line#node/}")
    done <<<"$found"
    if [[ ${#others[@]} -gt 0 ]]; then
        local IFS=,
        refuse "the cluster still has nodes ${others[*]}: the first control plane is reset only by 'pulumi destroy', after every other node has been drained and deleted, and a 'pulumi up --replace' of its reset command does not do that; $untouched"
    fi
    log "  no other node is left in the cluster's API"
}

step reset
[[ $(id -u) -eq 0 ]] || die "must run as root"
# Not the manifests directory itself: the kubelet package ships it empty and kubeadm reset empties it
# without removing it, so only static pod manifests in it mean kubeadm set this host up.
if [[ -f $kubelet_conf ]] || compgen -G "$ROOT/etc/kubernetes/manifests/*" >/dev/null; then
    if [[ -f $kubelet_conf ]]; then
        check_identity
        check_left
    fi
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
# A control plane's own API server files hold the cluster's encryption key: a host that has left the
# cluster keeps none of it. The audit log stays, as a record of what was done here.
if [[ -d $ROOT/etc/kubernetes/lsst-k8s ]]; then
    rm -rf -- "$ROOT/etc/kubernetes/lsst-k8s"
    changed "removed /etc/kubernetes/lsst-k8s"
fi

finish
