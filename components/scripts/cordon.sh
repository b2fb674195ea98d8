#!/usr/bin/env bash
# Runs on the first control plane around one node's upgrade: ACTION=drain before it, ACTION=uncordon
# after it. The drain is skipped when the node already runs the pinned kubelet, and marks the node, so
# the uncordon undoes only a cordon of its own and never one an admin set by hand.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need ACTION '^(drain|uncordon)$'
need NODE_NAME '^[a-z0-9.-]+$'
need K8S_VERSION '^[0-9]+\.[0-9]+\.[0-9]+$'
need DRAIN_TIMEOUT '^[0-9]+s$'
kubectl=(kubectl --kubeconfig "$ROOT/etc/kubernetes/admin.conf")
mark=lsst-k8s.io/drained-for-upgrade

step "$P_ACTION"
[[ -r $ROOT/etc/kubernetes/admin.conf ]] || die "/etc/kubernetes/admin.conf is missing on the first control plane"
if [[ $P_ACTION == drain ]]; then
    kubelet=$("${kubectl[@]}" get node "$P_NODE_NAME" -o 'jsonpath={.status.nodeInfo.kubeletVersion}')
    if [[ $kubelet == "v$P_K8S_VERSION" ]]; then
        log "  $P_NODE_NAME already runs kubelet v$P_K8S_VERSION: no drain"
    else
        "${kubectl[@]}" annotate --overwrite node "$P_NODE_NAME" "$mark=v$P_K8S_VERSION" >/dev/null
        "${kubectl[@]}" drain "$P_NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout "$P_DRAIN_TIMEOUT"
        changed "drained $P_NODE_NAME for the upgrade to v$P_K8S_VERSION"
    fi
else
    if [[ -n $("${kubectl[@]}" get node "$P_NODE_NAME" -o "jsonpath={.metadata.annotations.lsst-k8s\\.io/drained-for-upgrade}") ]]; then
        "${kubectl[@]}" uncordon "$P_NODE_NAME"
        "${kubectl[@]}" annotate node "$P_NODE_NAME" "$mark-" >/dev/null
        changed "uncordoned $P_NODE_NAME"
    else
        log "  $P_NODE_NAME was not drained for an upgrade: left as it is"
    fi
fi

finish
