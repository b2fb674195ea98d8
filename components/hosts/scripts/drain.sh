#!/usr/bin/env bash
# Takes a node out of the cluster from the first control plane, before the node itself is reset
# (technote 003 "Removing Nodes", kubespray's order: drain, delete, reset). Tolerates a node that is
# already gone from the API, and one that is dead: a drain that cannot finish is reported and the node
# is deleted anyway, so its pods are rescheduled elsewhere.
#
# A delete runs with the inputs stored in the Pulumi state, so the first control plane it dials may since
# have become another cluster's. It drains only from a control plane of the cluster its bundle names,
# by the cluster entry kubeadm writes into admin.conf (ClusterConfiguration.clusterName, on kubeadm init
# and on every control-plane join), and refuses (exit 3) anywhere else. A host without admin.conf is no
# control plane: nothing can be drained from it, as before.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need NODE_NAME '^[a-z0-9.-]+$'
need DRAIN_TIMEOUT '^[0-9]+s$'
need CLUSTER_NAME '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
kubectl=(kubectl --kubeconfig "$ROOT/etc/kubernetes/admin.conf")

step drain
if [[ ! -r $ROOT/etc/kubernetes/admin.conf ]]; then
    log "  no admin.conf here: the cluster is gone, nothing to drain"
    finish
    exit 0
fi
kubeconfig_read "$ROOT/etc/kubernetes/admin.conf" ||
    refuse "cannot tell which cluster this host is a control plane of: its /etc/kubernetes/admin.conf does not hold one cluster and one user; node $P_NODE_NAME of cluster $P_CLUSTER_NAME was not drained or deleted"
[[ $KC_CLUSTER == "$P_CLUSTER_NAME" ]] ||
    refuse "this host is a control plane of cluster $KC_CLUSTER (its /etc/kubernetes/admin.conf), not of $P_CLUSTER_NAME: node $P_NODE_NAME was not drained or deleted"
# Only a node the API says is absent is skipped: an API that cannot answer fails the removal (kubectl's
# error shown), or the node would be reset while its Node object and pods stay behind.
if ! found=$("${kubectl[@]}" get node "$P_NODE_NAME" --ignore-not-found -o name); then
    die "cannot look up node $P_NODE_NAME in the API; nothing was drained or deleted"
fi
if [[ -z $found ]]; then
    log "  node $P_NODE_NAME is not in the cluster"
    finish
    exit 0
fi
if "${kubectl[@]}" drain "$P_NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout "$P_DRAIN_TIMEOUT"; then
    changed "drained $P_NODE_NAME"
else
    log "  drain of $P_NODE_NAME did not finish within $P_DRAIN_TIMEOUT (a dead node?); deleting it anyway"
fi

step delete
"${kubectl[@]}" delete node "$P_NODE_NAME" --ignore-not-found
changed "deleted node $P_NODE_NAME"

finish
