# shellcheck shell=bash
# join --config FILE (join.sh): FILE must hold a JoinConfiguration with an endpoint, a token and a pinned
# sha256 CA hash, and for a control plane (a controlPlane: section) a certificate key. Prints kubeadm's
# output and "joins": writes $ROOT/etc/kubernetes/kubelet.conf (0600) and pki/ca.crt, for a control plane
# also admin.conf, the static pod manifests and var/lib/etcd; appends the node name to
# $STATE/kubeadm/joins. Its output names the token, the CA hash and the certificate key (more than the
# real one says without -v, so a leak of its output shows). Refuses (preflight, exit 1) a host that has
# kubelet.conf already. With $STATE/kubeadm-join-fail present it prints the same, then fails (exit 1)
# with the token in its error: when the file says "after-tls-bootstrap", after writing kubelet.conf (and a
# control plane's files but etcd), as a join that fails adding the etcd member does; otherwise before
# creating anything, as a kubelet that never comes up.

kubeadm_join() {
    local config="" kubelet_conf=$ROOT/etc/kubernetes/kubelet.conf f
    while [[ $# -gt 0 ]]; do
        case $1 in
            --config) [[ $# -ge 2 ]] || unsupported "--config without a file"; config=$2; shift ;;
            *) unsupported "join $*" ;;
        esac
        shift
    done
    [[ -n $config ]] || unsupported "join without --config FILE"
    config_file "$config"
    read_config "$config"
    [[ $CFG_KIND == JoinConfiguration && -n $CFG_TOKEN && -n $CFG_HASH && -n $CFG_ENDPOINT && -n $CFG_NAME ]] ||
        unsupported "a configuration without a JoinConfiguration, a token, a CA hash, an endpoint and a node name"
    if [[ $CFG_CONTROL_PLANE == yes && -z $CFG_KEY ]]; then
        unsupported "a control-plane JoinConfiguration without a certificate key"
    fi

    echo "[preflight] Running pre-flight checks"
    if [[ -e $kubelet_conf ]]; then
        echo "error execution phase preflight: [preflight] Some fatal errors occurred:" >&2
        echo "	[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists" >&2
        exit 1
    fi
    echo "[preflight] Reading configuration from the \"kubeadm-config\" ConfigMap in namespace \"kube-system\"..."
    if [[ $CFG_CONTROL_PLANE == yes ]]; then
        echo "[preflight] Running pre-flight checks before initializing the new control plane instance"
        echo "[download-certs] Downloading the certificates in Secret \"kubeadm-certs\" in the \"kube-system\" Namespace"
        echo "[download-certs] Using certificate key $CFG_KEY"
        echo "[certs] Using certificateDir folder \"/etc/kubernetes/pki\""
        echo "[control-plane] Creating static Pod manifest for \"kube-apiserver\""
    fi
    echo "[discovery] Using token $CFG_TOKEN to reach $CFG_ENDPOINT, pinning $CFG_HASH"
    echo "[kubelet-start] Writing kubelet configuration to file \"/var/lib/kubelet/config.yaml\""
    echo "[kubelet-start] Starting the kubelet"
    echo "[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap"
    fail=""
    [[ ! -f $STATE/kubeadm-join-fail ]] || fail=$(state_value kubeadm-join-fail early)
    if [[ -n $fail && $fail != after-tls-bootstrap ]]; then
        echo "[kubelet-check] The kubelet is not healthy after 4m0s"
        echo "error execution phase kubelet-start: timed out waiting for the condition (bootstrap token $CFG_TOKEN)" >&2
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
    mkdir -p "$ROOT/etc/kubernetes/pki" "$ROOT/etc/kubernetes/manifests" "$ROOT/var/lib/kubelet"
    (umask 077 && printf 'apiVersion: v1\nkind: Config\n# kubelet of %s, server https://%s\n' "$CFG_NAME" "$CFG_ENDPOINT" >"$kubelet_conf")
    (umask 022 && printf 'sandbox cluster CA, pinned as %s\n' "$CFG_HASH" >"$ROOT/etc/kubernetes/pki/ca.crt")
    (umask 022 && printf 'kind: KubeletConfiguration\n' >"$ROOT/var/lib/kubelet/config.yaml")
    if [[ $CFG_CONTROL_PLANE == yes ]]; then
        (umask 077 && printf 'apiVersion: v1\nkind: Config\n# admin of %s\n' "$CFG_ENDPOINT" >"$ROOT/etc/kubernetes/admin.conf")
        for f in kube-apiserver kube-controller-manager kube-scheduler; do
            (umask 077 && printf 'kind: Pod\nmetadata: {name: %s}\n' "$f" >"$ROOT/etc/kubernetes/manifests/$f.yaml")
        done
    fi
    echo "[kubelet-start] The kubelet performed the TLS Bootstrap"
    if [[ -n $fail ]]; then
        if [[ $CFG_CONTROL_PLANE == yes ]]; then
            echo "error execution phase control-plane-join/etcd: error creating local etcd static pod manifest file: etcdserver: re-configuration failed due to not enough started members (bootstrap token $CFG_TOKEN)" >&2
        else
            echo "error execution phase kubelet-start: error uploading crisocket: timed out waiting for the condition (bootstrap token $CFG_TOKEN)" >&2
        fi
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
    if [[ $CFG_CONTROL_PLANE == yes ]]; then
        (umask 077 && printf 'kind: Pod\nmetadata: {name: etcd}\n' >"$ROOT/etc/kubernetes/manifests/etcd.yaml")
        mkdir -p "$ROOT/var/lib/etcd/member"
        (umask 077 && printf 'sandbox etcd member %s\n' "$CFG_NAME" >"$ROOT/var/lib/etcd/member/wal")
        echo "[etcd] Announced new etcd member joining to the existing etcd cluster"
        echo "[mark-control-plane] Marking the node $CFG_NAME as control-plane"
    fi
    mkdir -p "$STATE/kubeadm"
    printf '%s\n' "$CFG_NAME" >>"$STATE/kubeadm/joins"
    echo
    echo "This node has joined the cluster:"
    echo "* Certificate signing request was sent to apiserver and a response was received."
    echo "* The Kubelet was informed of the new secure connection details."
    exit 0
}
