# shellcheck shell=bash
# init --config FILE --upload-certs (init.sh) and init phase NAME ... (init.sh's resume of an init that
# stopped partway; upload-certs alone, which mint-token.sh also runs, is in _kubeadm-token-certs.bash).
#
# init reads the bootstrap token, the certificate key, the version and the endpoint from FILE (refused
# unless it is a readable file in the sandbox holding an InitConfiguration) and runs kubeadm's phases in
# kubeadm's order (INIT_PHASES), each printing what the real one prints, token and key included, and
# leaving what the real one leaves:
#   certs          $ROOT/etc/kubernetes/pki/ca.crt (0644), a copy of $STATE/kubeadm/ca.crt (made by the test)
#   kubeconfig     $ROOT/etc/kubernetes/admin.conf (0600), a copy of $STATE/kubeadm/admin.conf, and the
#                  other kubeconfigs
#   etcd, control-plane   the four static Pod manifests in etc/kubernetes/manifests
#   kubelet-start  var/lib/kubelet/config.yaml and kubeadm-flags.env
#   upload-certs   "kubeadm-certs KEY" appended to $STATE/kubeadm/uploads, as the phase run alone does
# Every other phase appends its name to $STATE/kubeadm/phases once it is done, so a test sees which phases
# ran, in which order, across init and the phases run after it. Preflight refuses (exit 1) a host with
# admin.conf or a control-plane static Pod manifest. Failures, each printing kubeadm's
# "error execution phase NAME: ..." with the token in it (more than the real one says, so a leak shows):
#   $STATE/kubeadm-fail              fails in addon/kube-proxy, and leaves nothing behind
#   $STATE/kubeadm-init-fail-after   "PHASE": fails in the phase after PHASE, as a timeout there does;
#                                    "PHASE killed": stops after PHASE, exit 137 and no error line, as a
#                                    kubeadm killed there (its SSH session cut) does
#   $STATE/kubeadm-api-down          the API server never answers: wait-control-plane times out
#
# init phase control-plane apiserver and upload-config kubeadm, which control-plane-config.sh runs on a
# running control plane, are in _kubeadm-control-plane.bash.
#
# init phase wait-control-plane (no flags: the real one takes none, not even --config) succeeds when the
# static Pod manifests and the kubelet configuration are there and $STATE/kubeadm-api-down is not.
# init phase upload-config all | mark-control-plane | bootstrap-token | kubelet-finalize all |
# addon coredns | addon kube-proxy, each with --config FILE (an InitConfiguration in the sandbox) and
# exactly the other flags the real one documents (--kubeconfig, default admin.conf, where it has it;
# --skip-token-print for bootstrap-token), need that answering API server and a readable kubeconfig, and
# fail (exit 1) when $STATE/kubeadm-phase-fail holds their name.

# kubeadm v1.35-1.37's init workflow, top-level phases and the addons, in order.
INIT_PHASES=(preflight certs kubeconfig etcd control-plane kubelet-start wait-control-plane upload-config
    upload-certs mark-control-plane bootstrap-token kubelet-finalize addon/coredns addon/kube-proxy show-join-command)
CONTROL_PLANE_PODS=(etcd kube-apiserver kube-controller-manager kube-scheduler)

# Reads FILE into INIT_TOKEN, INIT_KEY, INIT_VERSION, INIT_ENDPOINT, INIT_NODE and INIT_KIND (yes with an
# InitConfiguration). FILE must be a readable file in the sandbox.
read_init_config() {
    local line
    config_file "$1"
    INIT_TOKEN="" INIT_KEY="" INIT_VERSION="" INIT_ENDPOINT="" INIT_NODE="" INIT_KIND=no
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ $line =~ ^[[:space:]]*-?[[:space:]]*token:[[:space:]]*\'?([a-z0-9]{6}\.[a-z0-9]{16})\'?[[:space:]]*$ ]]; then
            INIT_TOKEN=${BASH_REMATCH[1]}
        elif [[ $line =~ ^certificateKey:[[:space:]]*\'?([0-9a-f]{64})\'?[[:space:]]*$ ]]; then
            INIT_KEY=${BASH_REMATCH[1]}
        elif [[ $line =~ ^kubernetesVersion:[[:space:]]*(v[0-9]+\.[0-9]+\.[0-9]+)[[:space:]]*$ ]]; then
            INIT_VERSION=${BASH_REMATCH[1]}
        elif [[ $line =~ ^controlPlaneEndpoint:[[:space:]]*([A-Za-z0-9.:-]+)[[:space:]]*$ ]]; then
            INIT_ENDPOINT=${BASH_REMATCH[1]}
        elif [[ $line =~ ^[[:space:]]+name:[[:space:]]*([a-z0-9.-]+)[[:space:]]*$ ]]; then
            INIT_NODE=${BASH_REMATCH[1]}
        elif [[ $line == "kind: InitConfiguration" ]]; then
            INIT_KIND=yes
        fi
    done <"$1"
    [[ $INIT_KIND == yes && -n $INIT_TOKEN && -n $INIT_KEY && -n $INIT_VERSION && -n $INIT_ENDPOINT && -n $INIT_NODE ]] ||
        unsupported "a configuration without an InitConfiguration, a token, a certificate key, a version, an endpoint and a node name"
}

# Status 0 when the kubelet runs the control plane and the API server answers.
control_plane_answers() {
    local pod
    [[ ! -e $STATE/kubeadm-api-down && -f $ROOT/var/lib/kubelet/config.yaml ]] || return 1
    for pod in "${CONTROL_PLANE_PODS[@]}"; do
        [[ -f $ROOT/etc/kubernetes/manifests/$pod.yaml ]] || return 1
    done
}

# Prints kubeadm's error for a failure in PHASE (the sub-phase it names, as the real one does), then exits 1.
fail_in() {
    local name=$1 why
    case $1 in
        preflight) why="[preflight] Some fatal errors occurred" ;;
        certs) name=certs/ca why="failure loading ca certificate authority" ;;
        kubeconfig) name=kubeconfig/admin why="failed to write kubeconfig file admin.conf" ;;
        etcd) name=etcd/local why="error creating local etcd static pod manifest file" ;;
        control-plane) name=control-plane/apiserver why="error creating static pod manifest file" ;;
        kubelet-start) why="error writing kubelet configuration to disk" ;;
        wait-control-plane) why="could not initialize a Kubernetes cluster"
            echo "[control-plane-check] kube-apiserver is not healthy after 4m0s" ;;
        upload-config) name=upload-config/kubeadm why="error uploading the kubeadm ClusterConfiguration: context deadline exceeded" ;;
        upload-certs) why="error uploading certs: error creating token: timed out waiting for the condition" ;;
        mark-control-plane) why="error applying control-plane label and taints: timed out waiting for the condition" ;;
        bootstrap-token) why="error updating or creating token: timed out waiting for the condition" ;;
        kubelet-finalize) name=kubelet-finalize/enable-client-cert-rotation why="failed to update kubelet.conf: timed out" ;;
        addon/coredns) why="unable to create a new DNS service: context deadline exceeded" ;;
        addon/kube-proxy) why="unable to create the kube-proxy DaemonSet" ;;
        *) unsupported "a failure in phase $1" ;;
    esac
    echo "error execution phase $name: $why${INIT_TOKEN:+ (bootstrap token $INIT_TOKEN)}" >&2
    echo "To see the stack trace of this error execute with --v=5 or higher" >&2
    exit 1
}

# What PHASE prints; with EFFECTS=yes also what it leaves on the host and in $STATE.
run_phase() {
    local f
    case $1 in
        preflight)
            echo "[preflight] Running pre-flight checks"
            echo "[preflight] Pulling images required for setting up a Kubernetes cluster" ;;
        certs)
            echo '[certs] Using certificateDir folder "/etc/kubernetes/pki"'
            echo '[certs] Generating "ca" certificate and key'
            echo '[certs] Generating "apiserver" certificate and key'
            if [[ $EFFECTS == yes ]]; then
                mkdir -p "$ROOT/etc/kubernetes/pki"
                (umask 022 && cat "$STATE/kubeadm/ca.crt" >"$ROOT/etc/kubernetes/pki/ca.crt")
            fi ;;
        kubeconfig)
            echo '[kubeconfig] Using kubeconfig folder "/etc/kubernetes"'
            echo '[kubeconfig] Writing "admin.conf" kubeconfig file'
            echo '[kubeconfig] Writing "super-admin.conf" kubeconfig file'
            if [[ $EFFECTS == yes ]]; then
                (umask 077 && cat "$STATE/kubeadm/admin.conf" >"$ROOT/etc/kubernetes/admin.conf")
                for f in super-admin kubelet controller-manager scheduler; do
                    (umask 077 && printf 'apiVersion: v1\nkind: Config\n# %s\n' "$f" >"$ROOT/etc/kubernetes/$f.conf")
                done
            fi ;;
        etcd)
            echo '[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"'
            [[ $EFFECTS == no ]] || static_pods etcd ;;
        control-plane)
            echo '[control-plane] Using manifest folder "/etc/kubernetes/manifests"'
            echo '[control-plane] Creating static Pod manifest for "kube-apiserver"'
            [[ $EFFECTS == no ]] || static_pods kube-apiserver kube-controller-manager kube-scheduler ;;
        kubelet-start)
            echo '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"'
            echo "[kubelet-start] Starting the kubelet"
            if [[ $EFFECTS == yes ]]; then
                mkdir -p "$ROOT/var/lib/kubelet"
                printf 'kind: KubeletConfiguration\n' >"$ROOT/var/lib/kubelet/config.yaml"
                printf 'KUBELET_KUBEADM_ARGS=""\n' >"$ROOT/var/lib/kubelet/kubeadm-flags.env"
            fi ;;
        wait-control-plane)
            echo '[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"'
            echo "[kubelet-check] The kubelet is healthy after 501ms"
            [[ $EFFECTS == no ]] || control_plane_answers || fail_in wait-control-plane
            echo "[control-plane-check] kube-apiserver is healthy after 12.5s" ;;
        upload-config)
            echo '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace'
            echo '[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster' ;;
        upload-certs)
            echo '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace'
            printf '[upload-certs] Using certificate key:\n%s\n' "$INIT_KEY"
            [[ $EFFECTS == no ]] || printf 'kubeadm-certs %s\n' "$INIT_KEY" >>"$STATE/kubeadm/uploads" ;;
        mark-control-plane)
            echo "[mark-control-plane] Marking the node $INIT_NODE as control-plane by adding the labels: [node-role.kubernetes.io/control-plane]"
            echo "[mark-control-plane] Marking the node $INIT_NODE as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]" ;;
        bootstrap-token)
            [[ $SKIP_TOKEN_PRINT == yes ]] || echo "[bootstrap-token] Using token: $INIT_TOKEN"
            echo "[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles" ;;
        kubelet-finalize) echo '[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key' ;;
        addon/coredns) echo "[addons] Applied essential addon: CoreDNS" ;;
        addon/kube-proxy) echo "[addons] Applied essential addon: kube-proxy" ;;
        show-join-command) show_join_command ;;
    esac
    [[ $EFFECTS == no || $1 == upload-certs ]] || printf '%s\n' "$1" >>"$STATE/kubeadm/phases"
}

static_pods() {
    local pod
    mkdir -p "$ROOT/etc/kubernetes/manifests"
    for pod in "$@"; do
        printf 'kind: Pod\nmetadata: {name: %s}\n' "$pod" >"$ROOT/etc/kubernetes/manifests/$pod.yaml"
    done
}

show_join_command() {
    local hash="sha256:0000000000000000000000000000000000000000000000000000000000000000"
    cat <<EOF

Your Kubernetes control-plane has initialized successfully!

You can now join any number of control-plane nodes running the following command on each as root:

  kubeadm join $INIT_ENDPOINT --token $INIT_TOKEN \\
	--discovery-token-ca-cert-hash $hash \\
	--control-plane --certificate-key $INIT_KEY

Then you can join any number of worker nodes by running the following on each as root:

kubeadm join $INIT_ENDPOINT --token $INIT_TOKEN \\
	--discovery-token-ca-cert-hash $hash
EOF
}

kubeadm_init() {
    local config="" upload=no fail_in_phase="" killed_after="" after how pod phase i
    while [[ $# -gt 0 ]]; do
        case $1 in
            --config) [[ $# -ge 2 ]] || unsupported "--config without a file"; config=$2; shift ;;
            --upload-certs) upload=yes ;;
            *) unsupported "init $*" ;;
        esac
        shift
    done
    [[ -n $config && $upload == yes ]] || unsupported "init without --config FILE and --upload-certs"
    read_init_config "$config"
    [[ -f $STATE/kubeadm/admin.conf && -f $STATE/kubeadm/ca.crt ]] || unsupported "init without a CA and admin.conf in its state"
    EFFECTS=yes SKIP_TOKEN_PRINT=no
    if [[ -f $STATE/kubeadm-fail ]]; then
        EFFECTS=no fail_in_phase=addon/kube-proxy
    elif [[ -f $STATE/kubeadm-init-fail-after ]]; then
        read -r after how <"$STATE/kubeadm-init-fail-after" || true
        for ((i = 0; i < ${#INIT_PHASES[@]} - 1; i++)); do
            [[ ${INIT_PHASES[i]} == "$after" ]] || continue
            if [[ $how == killed ]]; then killed_after=$after; else fail_in_phase=${INIT_PHASES[i + 1]}; fi
        done
        [[ -n $fail_in_phase$killed_after ]] || unsupported "kubeadm-init-fail-after '$after $how'"
    fi

    echo "[init] Using Kubernetes version: $INIT_VERSION"
    for pod in admin.conf "${CONTROL_PLANE_PODS[@]/%/.yaml}"; do
        [[ $pod == admin.conf ]] || pod=manifests/$pod
        [[ -e $ROOT/etc/kubernetes/$pod ]] || continue
        echo "[preflight] Running pre-flight checks"
        echo "error execution phase preflight: [preflight] Some fatal errors occurred:" >&2
        echo "	[ERROR FileAvailable--etc-kubernetes-${pod//\//-}]: /etc/kubernetes/$pod already exists" >&2
        exit 1
    done
    mkdir -p "$STATE/kubeadm"
    for phase in "${INIT_PHASES[@]}"; do
        [[ $phase != "$fail_in_phase" ]] || fail_in "$phase"
        run_phase "$phase"
        [[ $phase != "$killed_after" ]] || exit 137
    done
    exit 0
}

init_phase() {
    local name=$1 config="" kubeconfig=$ROOT/etc/kubernetes/admin.conf with_kubeconfig=no failing
    shift
    case $name in
        upload-certs) upload_certs "$@" ;;
        wait-control-plane)
            [[ $# -eq 0 ]] || unsupported "init phase wait-control-plane $* (the real one takes no flags)"
            EFFECTS=yes INIT_TOKEN=""
            mkdir -p "$STATE/kubeadm"
            run_phase wait-control-plane
            exit 0 ;;
        control-plane) control_plane_apiserver "$@" ;;
        upload-config | kubelet-finalize)
            # The kubeadm sub-phase alone is control-plane-config.sh's (_kubeadm-control-plane.bash).
            [[ $name != upload-config || ${1-} != kubeadm ]] || upload_config_kubeadm "${@:2}"
            [[ ${1-} == all ]] || unsupported "init phase $name ${1-} (init.sh runs every sub-phase: all)"
            shift ;;
        addon)
            [[ ${1-} == coredns || ${1-} == kube-proxy ]] || unsupported "init phase addon ${1-}"
            name=addon/$1
            shift ;;
        mark-control-plane | bootstrap-token) ;;
        *) unsupported "init phase $name" ;;
    esac
    [[ $name == mark-control-plane || $name == kubelet-finalize ]] || with_kubeconfig=yes
    SKIP_TOKEN_PRINT=no
    while [[ $# -gt 0 ]]; do
        case $1 in
            --config) [[ $# -ge 2 ]] || unsupported "--config without a file"; config=$2; shift ;;
            --kubeconfig) [[ $with_kubeconfig == yes && $# -ge 2 ]] || unsupported "init phase $name --kubeconfig"; kubeconfig=$2; shift ;;
            --skip-token-print) [[ $name == bootstrap-token ]] || unsupported "init phase $name $1"; SKIP_TOKEN_PRINT=yes ;;
            *) unsupported "init phase $name $*" ;;
        esac
        shift
    done
    [[ -n $config ]] || unsupported "init phase $name without --config FILE"
    read_init_config "$config"
    kubeconfig_file "$kubeconfig"
    if ! control_plane_answers; then
        echo "error execution phase $name: Get \"https://$INIT_ENDPOINT/api/v1/namespaces/kube-system\": dial tcp $INIT_ENDPOINT: connect: connection refused" >&2
        exit 1
    fi
    failing=$(state_value kubeadm-phase-fail "")
    [[ $failing != "$name" ]] || fail_in "$name"
    EFFECTS=yes
    mkdir -p "$STATE/kubeadm"
    run_phase "$name"
    exit 0
}
