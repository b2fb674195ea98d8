#!/usr/bin/env bash
# Reads the admin kubeconfig back on the first control plane, for the program's Kubernetes provider,
# after renewing its client certificate when that expires within RENEW_DAYS. kubeadm signs admin.conf's
# certificate for one year and never renews it on its own outside an upgrade; once it expires, the
# program is locked out of its own cluster. `kubeadm certs renew admin.conf` signs a new one with the
# cluster CA on this host, without the API server (the bundle's kubeadm.yaml stands in for the cluster's
# kubeadm-config, which an expired certificate could no longer read), so it works after expiry too.
#
# stdout carries exactly one line for the program: {"kubeconfig": "<base64>", "notAfter": "<RFC 3339>"}.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need RENEW_DAYS '^[1-9][0-9]{0,2}$'
admin_conf="$ROOT/etc/kubernetes/admin.conf"

# The admin client certificate, in PEM_FILE.
client_certificate() {
    if ! kubeconfig_read "$admin_conf" || ! pem_file "$KC_CERT" admin-client.pem; then
        die "/etc/kubernetes/admin.conf holds no client certificate this script can read"
    fi
}

step check
[[ -r $admin_conf ]] || die "/etc/kubernetes/admin.conf is missing: kubeadm init has not finished on this host"
client_certificate
if openssl x509 -noout -checkend $((P_RENEW_DAYS * 86400)) -in "$PEM_FILE" >/dev/null; then
    log "  the admin client certificate is valid for more than $P_RENEW_DAYS days"
else
    step renew
    kubeadm certs renew admin.conf --config "$HERE/kubeadm.yaml" >&2 || die "kubeadm certs renew admin.conf failed"
    changed "renewed the admin client certificate"
    client_certificate
fi

step readback
not_after=$(openssl x509 -noout -enddate -in "$PEM_FILE")
not_after=$(date -u -d "${not_after#notAfter=}" +%Y-%m-%dT%H:%M:%SZ)
printf '{"kubeconfig": "%s", "notAfter": "%s"}\n' "$(base64 -w0 <"$admin_conf")" "$not_after"

finish
