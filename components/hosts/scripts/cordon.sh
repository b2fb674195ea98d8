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
# kubectl's jsonpath needs the dot in the key escaped; unescaped, it reads nested fields and prints nothing.
mark_path='jsonpath={.metadata.annotations.lsst-k8s\.io/drained-for-upgrade}'

step "$P_ACTION"
[[ -r $ROOT/etc/kubernetes/admin.conf ]] || die "/etc/kubernetes/admin.conf is missing on the first control plane"
if [[ $P_ACTION == drain ]]; then
    kubelet=$("${kubectl[@]}" get node "$P_NODE_NAME" -o 'jsonpath={.status.nodeInfo.kubeletVersion}')
    if [[ $kubelet == "v$P_K8S_VERSION" ]]; then
        log "  $P_NODE_NAME already runs kubelet v$P_K8S_VERSION: no drain"
    else
        # Cordoned without our mark: an admin's cordon, which the uncordon must leave in place. (Cordoned
        # with it: a drain of ours that did not finish, taken up again.)
        cordoned=$("${kubectl[@]}" get node "$P_NODE_NAME" -o 'jsonpath={.spec.unschedulable}')
        marked=$("${kubectl[@]}" get node "$P_NODE_NAME" -o "$mark_path")
        if [[ $cordoned == true && -z $marked ]]; then
            log "  $P_NODE_NAME was cordoned by hand: drained without the mark, it stays cordoned after the upgrade"
        else
            "${kubectl[@]}" annotate --overwrite node "$P_NODE_NAME" "$mark=v$P_K8S_VERSION" >/dev/null
        fi
        "${kubectl[@]}" drain "$P_NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout "$P_DRAIN_TIMEOUT"
        changed "drained $P_NODE_NAME for the upgrade to v$P_K8S_VERSION"
    fi
else
    # Read into a variable: a failing kubectl inside the test itself would pass for "no mark" and leave
    # the node cordoned with the step reported as done.
    marked=$("${kubectl[@]}" get node "$P_NODE_NAME" -o "$mark_path")
    if [[ -n $marked ]]; then
        "${kubectl[@]}" uncordon "$P_NODE_NAME"
        "${kubectl[@]}" annotate node "$P_NODE_NAME" "$mark-" >/dev/null
        changed "uncordoned $P_NODE_NAME"
    else
        log "  $P_NODE_NAME was not drained for an upgrade: left as it is"
    fi
fi

finish
