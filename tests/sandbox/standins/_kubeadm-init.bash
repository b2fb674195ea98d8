# shellcheck shell=bash
# init --config FILE --upload-certs (init.sh): reads the bootstrap token, the certificate key and the
# version from FILE (refused unless it is a readable file in the sandbox holding an InitConfiguration),
# prints what the real one prints, join commands with the token and key included, and "creates the
# cluster": $STATE/kubeadm/admin.conf and $STATE/kubeadm/ca.crt (made by the test) are copied to
# $ROOT/etc/kubernetes/admin.conf (0600) and $ROOT/etc/kubernetes/pki/ca.crt (0644).
# With $STATE/kubeadm-fail present it prints the same secrets, then fails (exit 1) and creates nothing.

kubeadm_init() {
    local config="" upload=no
    while [[ $# -gt 0 ]]; do
        case $1 in
            --config) [[ $# -ge 2 ]] || unsupported "--config without a file"; config=$2; shift ;;
            --upload-certs) upload=yes ;;
            *) unsupported "init $*" ;;
        esac
        shift
    done
    [[ -n $config && $upload == yes ]] || unsupported "init without --config FILE and --upload-certs"
    [[ $config == "$SANDBOX_DIR"/* ]] || unsupported "a configuration outside the sandbox: $config"
    if [[ ! -f $config || ! -r $config ]]; then
        echo "failed to load config file: open $config: no such file or directory" >&2
        exit 1
    fi

    local token="" key="" version="" endpoint="" kind=no line
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ $line =~ ^[[:space:]]*-?[[:space:]]*token:[[:space:]]*\'?([a-z0-9]{6}\.[a-z0-9]{16})\'?[[:space:]]*$ ]]; then
            token=${BASH_REMATCH[1]}
        elif [[ $line =~ ^certificateKey:[[:space:]]*\'?([0-9a-f]{64})\'?[[:space:]]*$ ]]; then
            key=${BASH_REMATCH[1]}
        elif [[ $line =~ ^kubernetesVersion:[[:space:]]*(v[0-9]+\.[0-9]+\.[0-9]+)[[:space:]]*$ ]]; then
            version=${BASH_REMATCH[1]}
        elif [[ $line =~ ^controlPlaneEndpoint:[[:space:]]*([A-Za-z0-9.:-]+)[[:space:]]*$ ]]; then
            endpoint=${BASH_REMATCH[1]}
        elif [[ $line == "kind: InitConfiguration" ]]; then
            kind=yes
        fi
    done <"$config"
    [[ $kind == yes && -n $token && -n $key && -n $version && -n $endpoint ]] ||
        unsupported "a configuration without an InitConfiguration, a token, a certificate key, a version and an endpoint"

    local admin=$ROOT/etc/kubernetes/admin.conf ca=$ROOT/etc/kubernetes/pki/ca.crt
    if [[ -e $admin ]]; then
        echo "[init] Using Kubernetes version: $version"
        echo "[preflight] Running pre-flight checks"
        echo "error execution phase preflight: [preflight] Some fatal errors occurred:" >&2
        echo "	[ERROR FileAvailable--etc-kubernetes-admin.conf]: /etc/kubernetes/admin.conf already exists" >&2
        exit 1
    fi
    [[ -f $STATE/kubeadm/admin.conf && -f $STATE/kubeadm/ca.crt ]] || unsupported "init without a CA and admin.conf in its state"

    local hash="sha256:0000000000000000000000000000000000000000000000000000000000000000"
    cat <<EOF
[init] Using Kubernetes version: $version
[preflight] Running pre-flight checks
[preflight] Pulling images required for setting up a Kubernetes cluster
[certs] Using certificateDir folder "/etc/kubernetes/pki"
[certs] Generating "ca" certificate and key
[certs] Generating "apiserver" certificate and key
[kubeconfig] Using kubeconfig folder "/etc/kubernetes"
[kubeconfig] Writing "admin.conf" kubeconfig file
[control-plane] Using manifest folder "/etc/kubernetes/manifests"
[control-plane] Creating static Pod manifest for "kube-apiserver"
[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"
[kubelet-start] Starting the kubelet
[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods
[api-check] The API server is healthy after 12.5s
[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace
[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace
[upload-certs] Using certificate key:
$key
[mark-control-plane] Marking the node as control-plane
[bootstrap-token] Using token: $token
[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles
[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key
EOF
    if [[ -f $STATE/kubeadm-fail ]]; then
        echo "[addons] Applied essential addon: CoreDNS"
        echo "error execution phase addon/kube-proxy: unable to create the kube-proxy DaemonSet (bootstrap token $token)" >&2
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
    mkdir -p "$ROOT/etc/kubernetes/pki"
    (umask 077 && cat "$STATE/kubeadm/admin.conf" >"$admin")
    (umask 022 && cat "$STATE/kubeadm/ca.crt" >"$ca")
    cat <<EOF
[addons] Applied essential addon: CoreDNS
[addons] Applied essential addon: kube-proxy

Your Kubernetes control-plane has initialized successfully!

You can now join any number of control-plane nodes running the following command on each as root:

  kubeadm join $endpoint --token $token \\
	--discovery-token-ca-cert-hash $hash \\
	--control-plane --certificate-key $key

Then you can join any number of worker nodes by running the following on each as root:

kubeadm join $endpoint --token $token \\
	--discovery-token-ca-cert-hash $hash
EOF
    exit 0
}
