#!/usr/bin/env bash
# Moves this node to the pinned version (technote 000 "Maintenance": kubeadm upgrade plan/apply). Runs
# only when the pin changes, after the node was drained from the first control plane and with the
# package repository already switched to the new minor by prepare.sh. In kubeadm's order: kubeadm first,
# then `upgrade apply` on the first control plane or `upgrade node` elsewhere, then kubelet and kubectl,
# then the kubelet restarted. Safe to run again: each part is skipped when already at the pin.
#
# First of all containerd, when prepare.sh found it older than the pin needs and left the move to this
# script: the restart that comes with it belongs to the one drained node, and preparation runs on every
# node at once. The new kubelet needs the newer containerd, and the old one runs on it too.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need K8S_VERSION '^[0-9]+\.[0-9]+\.[0-9]+$'
need UPGRADE_ROLE '^(first-control-plane|control-plane|worker)$'

step os
[[ $(id -u) -eq 0 ]] || die "must run as root"
if command -v dnf >/dev/null || command -v yum >/dev/null; then
    family=el
    dnf=dnf
    command -v dnf >/dev/null || dnf=yum
else
    family=debian
fi

installed_version() {
    if [[ $family == el ]]; then
        rpm -q --qf '%{VERSION}' "$1" 2>/dev/null || true
    else
        local v
        v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true)
        printf '%s' "${v%%-*}"
    fi
}

# install_pinned PACKAGE...: moves packages to the pin, past the update locks.
install_pinned() {
    local p deb specs=()
    if [[ $family == el ]]; then
        "$dnf" install -y --disableexcludes=kubernetes "${@/%/-$P_K8S_VERSION}"
    else
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        for p in "$@"; do
            deb=$(apt-cache madison "$p" | awk -F'|' -v v="$P_K8S_VERSION" \
                '{ gsub(/ /, "", $2); if (!found && index($2, v "-") == 1) { print $2; found = 1 } }')
            [[ -n $deb ]] || die "$p $P_K8S_VERSION is not in the pkgs.k8s.io repository (did prepare.sh switch it?)"
            specs+=("$p=$deb")
        done
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-change-held-packages "${specs[@]}"
        apt-mark hold "$@" >/dev/null
    fi
    changed "$* moved to $P_K8S_VERSION"
}

# older A B: status 0 when version A comes before B, number by number ("1.7.27" before "2.0").
older() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a, x, "."); m = split(b, y, ".")
        for (i = 1; i <= (n > m ? n : m); i++) if (x[i] + 0 != y[i] + 0) exit !(x[i] + 0 < y[i] + 0)
        exit 1
    }'
}

step runtime
# Written by prepare.sh only on a node whose kubelet is not at the pin yet, so cordon.sh did drain it, and
# removed here before the kubelet moves: the restart never reaches a node that still runs pods. Removed
# only after the restart, so a run cut off in between restarts containerd on the retry.
containerd_upgrade="$ROOT/var/lib/lsst-k8s/containerd-upgrade"
if [[ -f $containerd_upgrade ]]; then
    read -r minimum <"$containerd_upgrade" || true
    [[ $minimum =~ ^[0-9]+\.[0-9]+$ ]] || die "/var/lib/lsst-k8s/containerd-upgrade holds no version"
    # The config.toml prepare.sh wrote stays: dpkg would stop at its conffile prompt with nobody to answer,
    # rpm keeps a changed %config(noreplace) file on its own.
    if [[ $family == el ]]; then
        "$dnf" upgrade -y containerd.io
    else
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold containerd.io
    fi
    containerd_version=$(containerd --version | awk '{ print $3 }')
    containerd_version=${containerd_version#v}
    if older "$containerd_version" "$minimum"; then
        die "containerd $containerd_version is still older than $minimum, the oldest Kubernetes $P_K8S_VERSION runs on: Docker's repository has nothing newer"
    fi
    systemctl restart containerd
    rm -f "$containerd_upgrade"
    changed "containerd.io at $containerd_version, containerd restarted"
fi

step kubeadm
if [[ $(installed_version kubeadm) != "$P_K8S_VERSION" ]]; then
    install_pinned kubeadm
fi

step control-plane
case $P_UPGRADE_ROLE in
    first-control-plane)
        manifest="$ROOT/etc/kubernetes/manifests/kube-apiserver.yaml"
        # apply moves the static pods first and the cluster's configuration and addons after them, so an
        # apply that failed there left the manifest at the pin; the kubelet, moved only once apply has
        # succeeded, tells a finished apply from that one.
        if grep -q "kube-apiserver:v$P_K8S_VERSION\$" "$manifest" && [[ $(installed_version kubelet) == "$P_K8S_VERSION" ]]; then
            log "  the control plane already runs v$P_K8S_VERSION"
        else
            # plan refuses what apply would refuse, and its report lands in the log for the admins.
            kubeadm upgrade plan "v$P_K8S_VERSION" >&2
            kubeadm upgrade apply --yes "v$P_K8S_VERSION" >&2
            changed "control plane upgraded to v$P_K8S_VERSION"
        fi
        ;;
    control-plane | worker)
        if [[ $(installed_version kubelet) != "$P_K8S_VERSION" ]]; then
            kubeadm upgrade node >&2
            changed "kubeadm upgrade node"
        fi
        ;;
esac

step kubelet
# Set before the packages move and cleared after the restart, so a run cut off in between restarts the
# kubelet on the retry even though the packages are already at the pin.
restart_pending="$ROOT/var/lib/lsst-k8s/kubelet-restart-pending"
if [[ $(installed_version kubelet) != "$P_K8S_VERSION" || $(installed_version kubectl) != "$P_K8S_VERSION" ]]; then
    mkdir -p "$(dirname "$restart_pending")"
    touch "$restart_pending"
    install_pinned kubelet kubectl
fi
if [[ -f $restart_pending ]]; then
    systemctl daemon-reload
    systemctl restart kubelet
    rm -f "$restart_pending"
    changed "kubelet restarted"
fi

finish
