# shellcheck shell=bash
# kubeadm certs renew admin.conf: signs admin.conf's client certificate anew for a year with the cluster CA
# kept in $ROOT/etc/kubernetes/pki (ca.crt and ca.key), keeping its subject and its key, as the real one
# does with the local PKI. Only with --config (the cluster's configuration given, so no API server is
# asked for it); a host without the CA key fails as kubeadm does.
certs_renew() {
    [[ ${1-} == admin.conf ]] || unsupported "certs renew $*"
    shift
    local config="" pki=$ROOT/etc/kubernetes/pki conf=$ROOT/etc/kubernetes/admin.conf work=$STATE/kubeadm/renew
    while [[ $# -gt 0 ]]; do
        case $1 in
            --config) config_file "${2-}"; config=$2; shift 2 ;;
            *) unsupported "certs renew admin.conf $1" ;;
        esac
    done
    [[ -n $config ]] || unsupported "certs renew admin.conf without --config (it would ask the API server for the cluster's)"
    if [[ ! -f $pki/ca.crt || ! -f $pki/ca.key ]]; then
        echo "error: failed to load existing certificate authority: couldn't load the certificate file $pki/ca.crt" >&2
        exit 1
    fi
    local text cert_b64="" key_b64="" line
    text=$(cat "$conf")
    while IFS= read -r line; do
        case $line in
            "    client-certificate-data: "*) cert_b64=${line#*: } ;;
            "    client-key-data: "*) key_b64=${line#*: } ;;
        esac
    done <<<"$text"
    [[ -n $cert_b64 && -n $key_b64 ]] || unsupported "an admin.conf without embedded client certificate and key"
    mkdir -p "$work"
    openssl base64 -d -A -out "$work/client.crt" <<<"$cert_b64"
    openssl base64 -d -A -out "$work/client.key" <<<"$key_b64"
    openssl x509 -x509toreq -in "$work/client.crt" -signkey "$work/client.key" -out "$work/client.csr" 2>/dev/null
    openssl x509 -req -in "$work/client.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -set_serial "0x$(printf '%x' "$RANDOM$RANDOM")" \
        -days 365 -out "$work/renewed.crt" 2>/dev/null
    local renewed
    renewed=$(openssl base64 -A -in "$work/renewed.crt")
    printf '%s\n' "${text/"client-certificate-data: $cert_b64"/"client-certificate-data: $renewed"}" >"$conf"
    rm -rf "$work"
    echo "certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed"
}
