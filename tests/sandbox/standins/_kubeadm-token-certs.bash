# shellcheck shell=bash
# init phase upload-certs --upload-certs --config FILE --kubeconfig KUBECONFIG (mint-token.sh): FILE
# must hold an InitConfiguration with a certificate key; prints the key on stdout as the real one does and
# appends "kubeadm-certs KEY" to $STATE/kubeadm/uploads. With $STATE/kubeadm-upload-certs-fail present
# it fails (exit 1) with kubeadm's error on stderr and uploads nothing.
#
# token create --kubeconfig KUBECONFIG --ttl DURATION --description TEXT (mint-token.sh): prints
# $STATE/kubeadm/token verbatim (the test writes a token there, or anything else to play a kubeadm that
# prints something else) and, when it is a token, appends "TOKEN<TAB>TTL<TAB>DESCRIPTION" to
# $STATE/kubeadm/tokens. With $STATE/kubeadm-token-fail present it fails (exit 1), printing nothing.

upload_certs() {
    local config="" kubeconfig="" upload=no
    while [[ $# -gt 0 ]]; do
        case $1 in
            --config) [[ $# -ge 2 ]] || unsupported "--config without a file"; config=$2; shift ;;
            --kubeconfig) [[ $# -ge 2 ]] || unsupported "--kubeconfig without a file"; kubeconfig=$2; shift ;;
            --upload-certs) upload=yes ;;
            *) unsupported "init phase upload-certs $*" ;;
        esac
        shift
    done
    [[ -n $config && -n $kubeconfig && $upload == yes ]] ||
        unsupported "upload-certs without --config FILE, --kubeconfig FILE and --upload-certs"
    config_file "$config"
    read_config "$config"
    [[ $CFG_KIND == *InitConfiguration* && -n $CFG_KEY ]] ||
        unsupported "upload-certs with a configuration without an InitConfiguration and a certificate key"
    kubeconfig_file "$kubeconfig"
    echo '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace'
    if [[ -f $STATE/kubeadm-upload-certs-fail ]]; then
        echo 'error execution phase upload-certs: error uploading certs: error creating token: timed out waiting for the condition' >&2
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
    mkdir -p "$STATE/kubeadm"
    printf 'kubeadm-certs %s\n' "$CFG_KEY" >>"$STATE/kubeadm/uploads"
    printf '[upload-certs] Using certificate key:\n%s\n' "$CFG_KEY"
    exit 0
}

token_create() {
    local kubeconfig="" ttl="" description="" set_description=no token
    while [[ $# -gt 0 ]]; do
        case $1 in
            --kubeconfig) [[ $# -ge 2 ]] || unsupported "--kubeconfig without a file"; kubeconfig=$2; shift ;;
            --ttl) [[ $# -ge 2 && $2 =~ ^([0-9]+h)?([0-9]+m)?([0-9]+s)?$ && -n $2 ]] || unsupported "--ttl ${2-}"; ttl=$2; shift ;;
            --description) [[ $# -ge 2 ]] || unsupported "--description without a text"; description=$2; set_description=yes; shift ;;
            *) unsupported "token create $*" ;;
        esac
        shift
    done
    [[ -n $kubeconfig && -n $ttl && $set_description == yes ]] ||
        unsupported "token create without --kubeconfig FILE, --ttl DURATION and --description TEXT"
    kubeconfig_file "$kubeconfig"
    if [[ -f $STATE/kubeadm-token-fail ]]; then
        echo 'failed to create or update bootstrap token with name bootstrap-token-abcdef: etcdserver: request timed out' >&2
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
    [[ -f $STATE/kubeadm/token ]] || unsupported "token create without \$STATE/kubeadm/token"
    read -r token <"$STATE/kubeadm/token" || true
    if [[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]]; then
        printf '%s\t%s\t%s\n' "$token" "$ttl" "$description" >>"$STATE/kubeadm/tokens"
    fi
    cat "$STATE/kubeadm/token"
    exit 0
}
