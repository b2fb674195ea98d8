#!/usr/bin/env bash
# Runs on the first control plane around one node's upgrade: ACTION=drain before it, ACTION=uncordon
# after it. The drain is skipped when the node already runs the pinned kubelet, and marks the node, so
# the uncordon undoes only a cordon of its own and never one an admin set by hand.
#
# The drain passes --force. Without it kubectl refuses to drain a node running a pod that declares no
# controller, and JupyterHub starts every notebook as such a bare pod, so one notebook would stop the
# upgrade. --force only lifts that refusal (and the one for a pod whose controller is gone): those pods
# are still evicted through the Eviction API like the others, so PodDisruptionBudgets hold, and each
# still gets its own termination grace period (kubectl's --grace-period stays at -1, the pod's own), all
# within --timeout. It is passed on every drain rather than on a retry once kubectl has refused: the
# refused drain evicts nothing (kubectl checks every pod before it evicts the first), so the retry would
# do what one forced drain does, only later, and the script would depend on the wording of kubectl's
# error, which is no interface (it says "cannot delete" twice; kubectl issue 1808 means to change that).
# Nothing recreates a bare pod, so the ones on the node are named in the log before the drain.
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
# Every pod on the node as "NAMESPACE/POD KIND", KIND that of its controller (the owner reference kubectl
# drain looks for): empty for a bare pod.
pods_path='jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.metadata.ownerReferences[?(@.controller==true)].kind}{"\n"}{end}'

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
        pods=$("${kubectl[@]}" get pods --all-namespaces --field-selector "spec.nodeName=$P_NODE_NAME" -o "$pods_path")
        bare=()
        while read -r pod controller; do
            if [[ -n $pod && -z $controller ]]; then
                bare+=("$pod")
            fi
        done <<<"$pods"
        if [[ ${#bare[@]} -gt 0 ]]; then
            log "  bare pods on $P_NODE_NAME (no controller, nothing recreates them), evicted after their grace period: ${bare[*]}"
        fi
        "${kubectl[@]}" drain "$P_NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout "$P_DRAIN_TIMEOUT"
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
