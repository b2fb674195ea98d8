# shellcheck shell=bash
# init phase control-plane apiserver --config FILE and init phase upload-config kubeadm --config FILE
# [--kubeconfig KUBECONFIG] (control-plane-config.sh, on a running control plane).
#
# control-plane apiserver reads FILE (a readable file in the sandbox holding an InitConfiguration with
# its localAPIEndpoint and a ClusterConfiguration with its version and service subnet) and writes
# $ROOT/etc/kubernetes/manifests/kube-apiserver.yaml (0600 when new) as kubeadm lays it out: the
# command's flags one "    - --NAME=VALUE" line each, sorted by name, kubeadm's own (APISERVER_FLAGS
# below, with the endpoint and the subnet) overridden and completed by the ClusterConfiguration's
# apiServer.extraArgs (v1beta4's list of name/value pairs or v1beta3's map), then the version's image.
# With $STATE/kubeadm-phase-fail holding control-plane/apiserver it fails (exit 1) after a write cut
# short (a manifest of two lines, as a full disk leaves it), so a script that does not put the old one
# back leaves a broken manifest behind.
#
# upload-config kubeadm, like init.sh's phases, needs a control plane that answers (control_plane_answers
# in _kubeadm-init.bash) and a readable kubeconfig (admin.conf by default); it stores FILE's
# ClusterConfiguration document, as it is in FILE, in $STATE/kubeadm/kubeadm-config.yaml (what the
# kubeadm-config ConfigMap then holds) and appends "kubeadm-config" to $STATE/kubeadm/uploads. It fails
# (exit 1), uploading nothing, when $STATE/kubeadm-phase-fail holds upload-config/kubeadm.

# The flags kubeadm sets itself, NAME=VALUE; @ADDRESS@, @PORT@ and @SUBNET@ come from FILE.
APISERVER_FLAGS=(
    advertise-address=@ADDRESS@
    allow-privileged=true
    "authorization-mode=Node,RBAC"
    client-ca-file=/etc/kubernetes/pki/ca.crt
    enable-admission-plugins=NodeRestriction
    enable-bootstrap-token-auth=true
    etcd-servers=https://127.0.0.1:2379
    secure-port=@PORT@
    service-cluster-ip-range=@SUBNET@
    tls-cert-file=/etc/kubernetes/pki/apiserver.crt
    tls-private-key-file=/etc/kubernetes/pki/apiserver.key
)

# A YAML scalar as js-yaml writes one: plain, 'single' ('' for a quote) or "double" (no escapes used).
yaml_scalar() {
    local v=$1
    if [[ $v =~ ^\'(.*)\'$ ]]; then
        v=${BASH_REMATCH[1]}
        v=${v//\'\'/\'}
    elif [[ $v =~ ^\"(.*)\"$ ]]; then
        v=${BASH_REMATCH[1]}
    fi
    printf '%s' "$v"
}

# Reads FILE into CP_ADDRESS, CP_PORT (InitConfiguration.localAPIEndpoint), CP_VERSION, CP_SUBNET
# (ClusterConfiguration) and CP_ARGS (apiServer.extraArgs, NAME=VALUE in FILE's order); refused
# (exit 2) unless FILE holds both documents with each of them.
read_control_plane_config() {
    local line top="" sub="" name="" kinds=""
    config_file "$1"
    CP_ADDRESS="" CP_PORT="" CP_VERSION="" CP_SUBNET="" CP_ARGS=()
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ $line == --- ]]; then
            top="" sub=""
        elif [[ $line =~ ^([A-Za-z]+):[[:space:]]*(.*)$ ]]; then
            top=${BASH_REMATCH[1]} sub=""
            case $top in
                kind) kinds+=" ${BASH_REMATCH[2]}" ;;
                kubernetesVersion) CP_VERSION=$(yaml_scalar "${BASH_REMATCH[2]}") ;;
            esac
        elif [[ $line =~ ^\ \ ([A-Za-z]+):[[:space:]]*(.*)$ ]]; then
            sub=${BASH_REMATCH[1]}
            case "$top.$sub" in
                localAPIEndpoint.advertiseAddress) CP_ADDRESS=$(yaml_scalar "${BASH_REMATCH[2]}") ;;
                localAPIEndpoint.bindPort) CP_PORT=$(yaml_scalar "${BASH_REMATCH[2]}") ;;
                networking.serviceSubnet) CP_SUBNET=$(yaml_scalar "${BASH_REMATCH[2]}") ;;
            esac
        elif [[ $top.$sub == apiServer.extraArgs ]]; then
            if [[ $line =~ ^[[:space:]]+-[[:space:]]+name:[[:space:]]*(.+)$ ]]; then
                name=$(yaml_scalar "${BASH_REMATCH[1]}")
            elif [[ -n $name && $line =~ ^[[:space:]]+value:[[:space:]]*(.*)$ ]]; then
                CP_ARGS+=("$name=$(yaml_scalar "${BASH_REMATCH[1]}")")
                name=""
            elif [[ $line =~ ^\ \ \ \ ([a-z][a-z0-9-]*):[[:space:]]*(.*)$ ]]; then
                CP_ARGS+=("${BASH_REMATCH[1]}=$(yaml_scalar "${BASH_REMATCH[2]}")")
            else
                unsupported "an apiServer.extraArgs line it cannot read: $line"
            fi
        fi
    done <"$1"
    [[ $kinds == *" InitConfiguration"* && $kinds == *" ClusterConfiguration"* && -n $CP_ADDRESS && -n $CP_PORT &&
        $CP_VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ && -n $CP_SUBNET ]] ||
        unsupported "a configuration without an InitConfiguration's localAPIEndpoint and a ClusterConfiguration's version and service subnet"
}

# The manifest's flags: kubeadm's own with the extra ones over them, sorted by name, one a line.
apiserver_flags() {
    local -A value=()
    local flag names=() i j tmp
    for flag in "${APISERVER_FLAGS[@]}" "${CP_ARGS[@]}"; do
        flag=${flag//@ADDRESS@/$CP_ADDRESS}
        flag=${flag//@PORT@/$CP_PORT}
        flag=${flag//@SUBNET@/$CP_SUBNET}
        [[ -n ${value[${flag%%=*}]+set} ]] || names+=("${flag%%=*}")
        value[${flag%%=*}]=${flag#*=}
    done
    for ((i = 1; i < ${#names[@]}; i++)); do
        for ((j = i; j > 0; j--)); do
            [[ ${names[j - 1]} > ${names[j]} ]] || break
            tmp=${names[j]} names[j]=${names[j - 1]} names[j - 1]=$tmp
        done
    done
    for flag in "${names[@]}"; do
        printf '    - --%s=%s\n' "$flag" "${value[$flag]}"
    done
}

control_plane_apiserver() {
    local config="" manifest=$ROOT/etc/kubernetes/manifests/kube-apiserver.yaml
    [[ ${1-} == apiserver ]] || unsupported "init phase control-plane $* (control-plane-config.sh regenerates the API server only)"
    shift
    while [[ $# -gt 0 ]]; do
        case $1 in
            --config) [[ $# -ge 2 ]] || unsupported "--config without a file"; config=$2; shift ;;
            *) unsupported "init phase control-plane apiserver $*" ;;
        esac
        shift
    done
    [[ -n $config ]] || unsupported "init phase control-plane apiserver without --config FILE"
    read_control_plane_config "$config"
    echo '[control-plane] Using manifest folder "/etc/kubernetes/manifests"'
    echo '[control-plane] Creating static Pod manifest for "kube-apiserver"'
    mkdir -p "${manifest%/*}"
    if [[ $(state_value kubeadm-phase-fail "") == control-plane/apiserver ]]; then
        (umask 077 && printf 'apiVersion: v1\nkind: Pod\n' >"$manifest")
        echo 'error execution phase control-plane/apiserver: failed to create static Pod manifest file for "kube-apiserver": write /etc/kubernetes/manifests/kube-apiserver.yaml: no space left on device' >&2
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
    (umask 077 && {
        printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata:" "  annotations:" \
            "    kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: $CP_ADDRESS:$CP_PORT" \
            "  labels:" "    component: kube-apiserver" "    tier: control-plane" "  name: kube-apiserver" \
            "  namespace: kube-system" "spec:" "  containers:" "  - command:" "    - kube-apiserver"
        apiserver_flags
        printf '%s\n' "    image: registry.k8s.io/kube-apiserver:$CP_VERSION" "    imagePullPolicy: IfNotPresent" \
            "    name: kube-apiserver" "  hostNetwork: true" "  priorityClassName: system-node-critical"
    } >"$manifest")
    exit 0
}

upload_config_kubeadm() {
    local config="" kubeconfig=$ROOT/etc/kubernetes/admin.conf line doc="" out=""
    while [[ $# -gt 0 ]]; do
        case $1 in
            --config) [[ $# -ge 2 ]] || unsupported "--config without a file"; config=$2; shift ;;
            --kubeconfig) [[ $# -ge 2 ]] || unsupported "--kubeconfig without a file"; kubeconfig=$2; shift ;;
            *) unsupported "init phase upload-config kubeadm $*" ;;
        esac
        shift
    done
    [[ -n $config ]] || unsupported "init phase upload-config kubeadm without --config FILE"
    config_file "$config"
    read_config "$config"
    [[ " $CFG_KIND " == *" ClusterConfiguration "* ]] ||
        unsupported "upload-config kubeadm with a configuration without a ClusterConfiguration"
    kubeconfig_file "$kubeconfig"
    if ! control_plane_answers; then
        echo 'error execution phase upload-config/kubeadm: error uploading the kubeadm ClusterConfiguration: Get "https://127.0.0.1:6443/api/v1/namespaces/kube-system/configmaps/kubeadm-config": dial tcp 127.0.0.1:6443: connect: connection refused' >&2
        exit 1
    fi
    echo '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace'
    if [[ $(state_value kubeadm-phase-fail "") == upload-config/kubeadm ]]; then
        echo 'error execution phase upload-config/kubeadm: error uploading the kubeadm ClusterConfiguration: context deadline exceeded' >&2
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
    # Each document of FILE, its lines kept as they are; the one whose kind is ClusterConfiguration goes up.
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ $line == --- ]]; then
            [[ $'\n'$doc != *$'\nkind: ClusterConfiguration\n'* ]] || out=$doc
            doc=""
        else
            doc+=$line$'\n'
        fi
    done <"$config"
    [[ $'\n'$doc != *$'\nkind: ClusterConfiguration\n'* ]] || out=$doc
    mkdir -p "$STATE/kubeadm"
    printf '%s' "$out" >"$STATE/kubeadm/kubeadm-config.yaml"
    printf 'kubeadm-config\n' >>"$STATE/kubeadm/uploads"
    exit 0
}
