# shellcheck shell=bash
# reset --force (reset.sh): deletes what the real one deletes (the kubeconfigs, the contents of
# etc/kubernetes/manifests, etc/kubernetes/pki, var/lib/kubelet and var/lib/etcd; the directories stay)
# and leaves etc/cni/net.d, as the real one does; appends a line to $STATE/kubeadm/resets. While
# $STATE/kubeadm-reset-hold is there it first waits (up to 20 s, then fails), having written
# $STATE/kubeadm-reset-held: a reset still going, for a test to run something else meanwhile.

kubeadm_reset() {
    local f d
    [[ $# -eq 1 && $1 == --force ]] || unsupported "reset $*"
    if [[ -e $STATE/kubeadm-reset-hold ]]; then
        : >"$STATE/kubeadm-reset-held"
        for _ in {1..400}; do
            [[ -e $STATE/kubeadm-reset-hold ]] || break
            sleep 0.05
        done
        [[ ! -e $STATE/kubeadm-reset-hold ]] || { echo "sandbox: the reset was held for 20 s" >&2; exit 1; }
    fi
    echo "[preflight] Running pre-flight checks"
    [[ ! -d $ROOT/var/lib/etcd ]] || echo "[reset] Deleted contents of the etcd data directory: /var/lib/etcd"
    echo "[reset] Stopping the kubelet service"
    echo "[reset] Unmounting mounted directories in \"/var/lib/kubelet\""
    for d in etc/kubernetes/manifests etc/kubernetes/pki var/lib/kubelet var/lib/etcd; do
        for f in "$ROOT/$d"/*; do
            [[ -e $f || -L $f ]] || continue
            rm -rf -- "$f"
        done
    done
    for f in admin.conf super-admin.conf kubelet.conf bootstrap-kubelet.conf controller-manager.conf scheduler.conf; do
        rm -f -- "$ROOT/etc/kubernetes/$f"
    done
    echo "[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]"
    echo "[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf]"
    echo
    echo "The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d"
    mkdir -p "$STATE/kubeadm"
    echo reset >>"$STATE/kubeadm/resets"
    exit 0
}
