#!/usr/bin/env bash
# Reads when this control plane's kubeadm certificates expire, and changes nothing. kubeadm signs the
# API server's, etcd's and the components' certificates for one year and renews them only in an
# upgrade (or by hand); a control plane left a year without one stops serving. The bundle's kubeadm.yaml
# stands in for the cluster's kubeadm-config, so the check never needs the API server, whose own
# certificate may be the one that expired. The CAs (ten years) are not listed: `kubeadm certs renew`
# does not renew them.
#
# stdout carries exactly one line for the program:
#   {"node": "<name>", "earliest": "<RFC 3339>", "certificates": [{"name": "...", "expires": "<RFC 3339>"}, ...]}
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need NODE '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'

step check
[[ -r $ROOT/etc/kubernetes/pki/ca.crt ]] || die "/etc/kubernetes/pki/ca.crt is missing: this host is not a kubeadm control plane"
# One line per certificate: name, expiry ("null" when missing), missing; kubeadm's jsonpath printer keeps
# the parsing here to one fixed shape.
listing=$(kubeadm certs check-expiration --config "$HERE/kubeadm.yaml" \
    -o 'jsonpath={range .certificates[*]}{.name}{" "}{.expirationDate}{" "}{.missing}{"\n"}{end}') ||
    die "kubeadm certs check-expiration failed"

certificates="" earliest=""
while read -r name expires missing; do
    [[ -n $name ]] || continue
    # super-admin.conf exists only on the control plane that ran kubeadm init.
    if [[ $missing == true ]]; then
        continue
    fi
    [[ $name =~ ^[a-z0-9.-]+$ && $expires =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
        die "kubeadm certs check-expiration printed a line this script cannot read: $name $expires"
    certificates+="${certificates:+, }{\"name\": \"$name\", \"expires\": \"$expires\"}"
    # RFC 3339 times in UTC with whole seconds sort as text.
    if [[ -z $earliest || $expires < $earliest ]]; then
        earliest=$expires
    fi
done <<<"$listing"
[[ -n $earliest ]] || die "kubeadm certs check-expiration listed no certificate on this host"
log "  the earliest certificate expires at $earliest"

printf '{"node": "%s", "earliest": "%s", "certificates": [%s]}\n' "$P_NODE" "$earliest" "$certificates"

finish
