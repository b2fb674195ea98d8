# shellcheck shell=bash
# join --config FILE (join.sh): FILE must hold a JoinConfiguration with an endpoint, a token and a pinned
# sha256 CA hash, and for a control plane (a controlPlane: section) a certificate key. Prints kubeadm's
# output and "joins": writes pki/ca.crt (the sandbox cluster's CA, _cluster-ca.bash) and what the kubelet
# writes after its TLS bootstrap (kubelet_bootstrap below), for a control plane also admin.conf (its
# cluster named by $STATE/kubeadm/cluster-name, as the kubeadm-config ConfigMap names the real one;
# kubeadm's default "kubernetes" without it), the static pod manifests and var/lib/etcd; appends the node
# name to $STATE/kubeadm/joins. Its output names the token, the CA hash and the certificate key (more than the
# real one says without -v, so a leak of its output shows). Refuses (preflight, exit 1) a host that has
# kubelet.conf already. With $STATE/kubeadm-join-fail present it prints the same, then fails (exit 1)
# with the token in its error: when the file says "after-tls-bootstrap", after writing kubelet.conf (and a
# control plane's files but etcd), as a join that fails adding the etcd member does; otherwise before
# creating anything, as a kubelet that never comes up.

# shellcheck source=/dev/null
source "${BASH_SOURCE[0]%/*}/_cluster-ca.bash" || exit 2

# The base64 of the cluster CA, as kubeconfigs embed it (certificate-authority-data).
cluster_ca_data() {
    printf '%s' "$SANDBOX_CLUSTER_CA" | openssl base64 -A
}

# What the kubelet writes once its TLS bootstrap is done (pkg/kubelet/certificate/bootstrap): its client
# certificate and key in one file under var/lib/kubelet/pki, linked as kubelet-client-current.pem, the
# certificate's subject O=system:nodes, CN=system:node:NAME (the real one is signed by the cluster CA,
# this one by itself: nothing here checks the signature); and kubelet.conf (0600) pointing at that file,
# with the cluster CA embedded and the names the kubelet gives every entry, "default-cluster" for the
# cluster.
kubelet_bootstrap() {
    local name=$1 endpoint=$2 pki=$ROOT/var/lib/kubelet/pki pem=kubelet-client-2026-01-01-00-00-00.pem
    mkdir -p "$pki"
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
        -subj "/O=system:nodes/CN=system:node:$name" -keyout "$pki/$pem.key" -out "$pki/$pem.crt" 2>/dev/null &&
        cat "$pki/$pem.crt" "$pki/$pem.key" >"$pki/$pem") || unsupported "openssl could not make the kubelet's certificate"
    rm -f -- "$pki/$pem.crt" "$pki/$pem.key"
    # Relative, where the kubelet's link is absolute: an absolute one would leave the sandbox's root.
    ln -sfn "$pem" "$pki/kubelet-client-current.pem"
    (umask 077 && cat >"$ROOT/etc/kubernetes/kubelet.conf" <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(cluster_ca_data)
    server: https://$endpoint
  name: default-cluster
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
kind: Config
preferences: {}
users:
- name: default-auth
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
EOF
    )
}

# A control plane's admin.conf as kubeadm writes it: the cluster entry and the context named after
# ClusterConfiguration.clusterName. The admin's credentials are a stand-in's: nothing reads them.
admin_conf() {
    local cluster endpoint=$1
    cluster=$(state_value kubeadm/cluster-name kubernetes)
    (umask 077 && cat >"$ROOT/etc/kubernetes/admin.conf" <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(cluster_ca_data)
    server: https://$endpoint
  name: $cluster
contexts:
- context:
    cluster: $cluster
    user: kubernetes-admin
  name: kubernetes-admin@$cluster
current-context: kubernetes-admin@$cluster
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: c2FuZGJveCBhZG1pbg==
    client-key-data: c2FuZGJveCBhZG1pbg==
EOF
    )
}

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
    kubelet_bootstrap "$CFG_NAME" "$CFG_ENDPOINT"
    (umask 022 && printf '%s' "$SANDBOX_CLUSTER_CA" >"$ROOT/etc/kubernetes/pki/ca.crt")
    (umask 022 && printf 'kind: KubeletConfiguration\n' >"$ROOT/var/lib/kubelet/config.yaml")
    if [[ $CFG_CONTROL_PLANE == yes ]]; then
        admin_conf "$CFG_ENDPOINT"
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
