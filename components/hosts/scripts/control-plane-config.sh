#!/usr/bin/env bash
# Keeps a running control plane's API server on the program's own files (controlPlaneFiles.ts): who may
# log in (OIDC), the audit policy, the key Secrets are encrypted with. Runs as root from a bundle holding
# this script, lib.sh, params.env, kubeadm.yaml (this node's InitConfiguration and the cluster's
# ClusterConfiguration, no token or key) and the files themselves.
#
# The API server reloads the authentication and encryption files when they change, so a new provider or
# client id needs nothing more. Its flags are another matter: a cluster made before the program set them
# (or a changed set) has a static Pod manifest without them, which kubeadm regenerates from kubeadm.yaml
# (`kubeadm init phase control-plane apiserver`, the documented way to reconfigure a kubeadm cluster).
# The kubelet then restarts the API server; this waits for it to answer /readyz again and, when it does
# not, puts the old manifest back, so a bad file never leaves a control plane down. The program runs
# this on one control plane at a time. On the first control plane the ClusterConfiguration is then
# uploaded (`kubeadm init phase upload-config kubeadm`), so `kubeadm upgrade` and later control-plane
# joins regenerate the manifest with the same flags. Safe to run again: nothing changes when the files
# and flags are already right.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need NODE_NAME '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'
need CONFIG_ROLE '^(first-control-plane|control-plane)$'
need API_SERVER_FLAGS '^--[a-z]'
need API_SERVER_ADDRESS '^[0-9.]+:[0-9]+$'

manifest="$ROOT/etc/kubernetes/manifests/kube-apiserver.yaml"
admin_conf="$ROOT/etc/kubernetes/admin.conf"
ca_cert="$ROOT/etc/kubernetes/pki/ca.crt"
saved="$ROOT/var/lib/lsst-k8s/kube-apiserver.yaml.before"
# How long the API server has to answer on a manifest. The sandbox tests shorten it, as they set
# LSST_K8S_ROOT (lib.sh); nothing sets it on a node.
READY_WITHIN_S=${LSST_K8S_READY_WITHIN_S:-300}
[[ $READY_WITHIN_S =~ ^[1-9][0-9]*$ ]] || die "LSST_K8S_READY_WITHIN_S is not a number of seconds: $READY_WITHIN_S"

step host
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -r $HERE/kubeadm.yaml ]] || die "the bundle has no kubeadm.yaml"
# A stale address in the state must not reconfigure another machine's API server.
host_identity "$ROOT/etc/kubernetes/kubelet.conf" || refuse "cannot tell which node this host is ($HOST_PROBLEM)"
[[ $HOST_NODE == "$P_NODE_NAME" ]] || refuse "this host is node $HOST_NODE, not $P_NODE_NAME"
[[ -f $manifest ]] || refuse "no API server manifest here: $P_NODE_NAME is not a control plane"

step files
install_control_plane_files

# Status 0 when the manifest runs the API server with every flag the program sets and no file it no
# longer ships.
flags_current() {
    local flag
    for flag in $P_API_SERVER_FLAGS; do
        grep -qxF -- "    - $flag" "$manifest" || return 1
    done
    if [[ ! -f $HERE/authentication.yaml ]] && grep -qF -- "--authentication-config=" "$manifest"; then
        return 1
    fi
    return 0
}

# The kube-apiserver container the kubelet runs now; empty when none runs.
api_container() {
    crictl ps --name kube-apiserver --state running -q 2>/dev/null | head -n 1 || true
}

# Status 0 once an API server other than container $1 answers /readyz, within READY_WITHIN_S. The
# kubelet replaces the API server some time after its manifest changed, and until it has, the old one
# still answers: its answer says nothing of the new manifest.
api_ready() {
    local end=$((SECONDS + READY_WITHIN_S)) current
    while ((SECONDS < end)); do
        current=$(api_container)
        if [[ -n $current && $current != "$1" ]] &&
            curl -fsS --max-time 5 --cacert "$ca_cert" "https://$P_API_SERVER_ADDRESS/readyz" >/dev/null 2>&1; then
            return 0
        fi
        sleep 2
    done
    return 1
}

step api-server
if flags_current; then
    log "  the API server already runs with the program's flags"
else
    mkdir -p "${saved%/*}"
    chmod 0700 "${saved%/*}"
    cp -p "$manifest" "$saved"
    replaced=$(api_container)
    if ! kubeadm init phase control-plane apiserver --config "$HERE/kubeadm.yaml" >&2; then
        cp -p "$saved" "$manifest"
        die "kubeadm could not regenerate the API server manifest; the old one is back in place"
    fi
    changed "API server manifest regenerated with the program's flags"
    # Else every deploy would regenerate it, and restart the API server, again.
    if ! flags_current; then
        cp -p "$saved" "$manifest"
        die "kubeadm's regenerated manifest still lacks the program's flags (is kubeadm.yaml's ClusterConfiguration the bundle's?); the old one is back in place"
    fi
    if ! api_ready "$replaced"; then
        replaced=$(api_container)
        cp -p "$saved" "$manifest"
        api_ready "$replaced" || log "  the API server does not answer with the old manifest either"
        die "the API server did not become ready within ${READY_WITHIN_S} s on the new flags; the old manifest is back in place (its log: crictl logs \$(crictl ps -a --name kube-apiserver -q | head -1))"
    fi
fi
if [[ ! -f $HERE/authentication.yaml && -f $ROOT/etc/kubernetes/lsst-k8s/authentication.yaml ]]; then
    # Only now that no running manifest names it.
    rm -f "$ROOT/etc/kubernetes/lsst-k8s/authentication.yaml"
    changed "/etc/kubernetes/lsst-k8s/authentication.yaml removed (cluster.oidc is gone)"
fi

if [[ $P_CONFIG_ROLE == first-control-plane ]]; then
    step upload-config
    [[ -r $admin_conf ]] || die "no /etc/kubernetes/admin.conf on the first control plane"
    kubeadm init phase upload-config kubeadm --config "$HERE/kubeadm.yaml" --kubeconfig "$admin_conf" >&2 ||
        die "kubeadm could not upload the ClusterConfiguration (kubeadm-config ConfigMap)"
fi

finish
