# shellcheck shell=bash
# upgrade plan vX.Y.Z, upgrade apply --yes vX.Y.Z (upgrade.sh, first control plane): read the cluster
# through $ROOT/etc/kubernetes/admin.conf (exit 1 without it) and its version from the image of
# $ROOT/etc/kubernetes/manifests/kube-apiserver.yaml. Like the real ones they refuse (exit 1) a target
# newer than kubeadm itself (the kubeadm package in $STATE/packages: "Upgrade kubeadm first"), older than
# the cluster, or more than one minor release ahead of it. plan prints its report and changes nothing.
# apply without --yes asks, reads no answer and aborts (exit 1); with --yes it rewrites the image of the
# kube-apiserver, kube-controller-manager and kube-scheduler manifests there are to the target and
# appends "apply vX.Y.Z" to $STATE/kubeadm/upgrades. With $STATE/kubeadm-upgrade-fail present apply
# fails (exit 1): when the file says "after-control-plane", after moving the manifests, as an apply whose
# addon phase fails (kubeadm rolls back only a failed static pod upgrade); otherwise before changing
# anything, as an apply whose new static pods did not come up and were rolled back.
#
# upgrade node (upgrade.sh, other nodes): a control plane (one with the kube-apiserver manifest) needs
# admin.conf, a worker kubelet.conf. Moves a control plane's manifests to kubeadm's own version and
# appends "node vX.Y.Z" to $STATE/kubeadm/upgrades. With $STATE/kubeadm-upgrade-fail present it fails
# (exit 1) and changes nothing.

# "vX.Y.Z" of the installed kubeadm package into KUBEADM_VERSION.
kubeadm_version() {
    pkg_is_installed kubeadm || unsupported "upgrade without a kubeadm package in \$STATE/packages"
    KUBEADM_VERSION=v${PKG_VERSION%%-*}
}

# MAJOR MINOR PATCH of "vX.Y.Z" into VERSION_PARTS.
version_parts() {
    [[ $1 =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || unsupported "the version '$1'"
    VERSION_PARTS=("${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}")
}

# Status 0 when version $1 is older than version $2.
version_older() {
    local a b i
    version_parts "$1"
    a=("${VERSION_PARTS[@]}")
    version_parts "$2"
    b=("${VERSION_PARTS[@]}")
    for i in 0 1 2; do
        ((a[i] == b[i])) || return $((a[i] < b[i] ? 0 : 1))
    done
    return 1
}

# The version of the registry.k8s.io/$2 image in static pod manifest $1, into IMAGE_VERSION.
manifest_version() {
    local line component=$2
    IMAGE_VERSION=""
    while IFS= read -r line; do
        if [[ $line =~ ^[[:space:]]*image:[[:space:]]*registry\.k8s\.io/${component}:(v[0-9]+\.[0-9]+\.[0-9]+)[[:space:]]*$ ]]; then
            IMAGE_VERSION=${BASH_REMATCH[1]}
        fi
    done <"$1"
    [[ -n $IMAGE_VERSION ]] || unsupported "a manifest without a registry.k8s.io/$component image: $1"
}

# Rewrites the image of each control-plane manifest there is to version $1.
move_manifests() {
    local f line out component
    for component in kube-apiserver kube-controller-manager kube-scheduler; do
        f=$ROOT/etc/kubernetes/manifests/$component.yaml
        [[ -f $f ]] || continue
        out=""
        while IFS= read -r line; do
            if [[ $line =~ ^([[:space:]]*image:[[:space:]]*registry\.k8s\.io/${component}:)v[0-9]+\.[0-9]+\.[0-9]+[[:space:]]*$ ]]; then
                line=${BASH_REMATCH[1]}$1
            fi
            out+=$line$'\n'
        done <"$f"
        printf '%s' "$out" >"$f"
    done
}

upgrade_failure() {
    if [[ -f $STATE/kubeadm-upgrade-fail && $(state_value kubeadm-upgrade-fail early) == after-control-plane ]]; then
        move_manifests "$1"
        echo "[upgrade/addons] Applying upgraded addons"
        echo "error execution phase addon/coredns: unable to update the CoreDNS ConfigMap: etcdserver: request timed out" >&2
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
    if [[ -f $STATE/kubeadm-upgrade-fail ]]; then
        echo "[upgrade/apply] FATAL: couldn't upgrade control plane. kubeadm has tried to recover everything into the earlier state. Errors faced: static Pod hash for component kube-apiserver on Node did not change after 5m0s: timed out waiting for the condition" >&2
        echo "To see the stack trace of this error execute with --v=5 or higher" >&2
        exit 1
    fi
}

kubeadm_upgrade() {
    local sub=${1-} target="" yes=no a cluster manifest=$ROOT/etc/kubernetes/manifests/kube-apiserver.yaml
    shift || true
    case $sub in
        plan | apply)
            for a in "$@"; do
                case $a in
                    --yes | -y) [[ $sub == apply ]] || unsupported "upgrade $sub $*"; yes=yes ;;
                    v[0-9]*) [[ -z $target ]] || unsupported "upgrade $sub $*"; version_parts "$a"; target=$a ;;
                    *) unsupported "upgrade $sub $*" ;;
                esac
            done
            # Without a version the real one asks dl.k8s.io for the newest release.
            [[ -n $target ]] || unsupported "upgrade $sub without a version"
            kubeconfig_file "$ROOT/etc/kubernetes/admin.conf"
            [[ -f $manifest ]] || unsupported "upgrade $sub on a host without $manifest"
            kubeadm_version
            manifest_version "$manifest" kube-apiserver
            cluster=$IMAGE_VERSION
            echo "[preflight] Running pre-flight checks."
            echo "[upgrade/config] Reading configuration from the \"kubeadm-config\" ConfigMap in namespace \"kube-system\"..."
            echo "[upgrade] Running cluster health checks"
            echo "[upgrade/version] You have chosen to change the cluster version to \"$target\""
            echo "[upgrade/versions] Cluster version: $cluster"
            echo "[upgrade/versions] kubeadm version: $KUBEADM_VERSION"
            local problem=""
            version_parts "$target"
            local t=("${VERSION_PARTS[@]}")
            version_parts "$cluster"
            local c=("${VERSION_PARTS[@]}")
            if version_older "$KUBEADM_VERSION" "$target"; then
                problem="Specified version to upgrade to \"$target\" is higher than the kubeadm version \"$KUBEADM_VERSION\". Upgrade kubeadm first using the tool you used to install kubeadm"
            elif version_older "$target" "$cluster"; then
                problem="Specified version to upgrade to \"$target\" is lower than the cluster version \"$cluster\". Downgrades are not supported yet"
            elif ((t[0] != c[0] || t[1] > c[1] + 1)); then
                problem="Specified version to upgrade to \"$target\" is too high; kubeadm can upgrade only 1 minor version at a time"
            fi
            if [[ -n $problem ]]; then
                printf '[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n\t- %s\n\n' "$problem" >&2
                echo "To see the stack trace of this error execute with --v=5 or higher" >&2
                exit 1
            fi
            if [[ $sub == plan ]]; then
                echo
                echo "Upgrade to the latest version in the v${t[0]}.${t[1]} series:"
                echo
                printf '%-24s %-12s %-10s %s\n' COMPONENT NODE CURRENT TARGET
                for a in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
                    printf '%-24s %-12s %-10s %s\n' "$a" control-plane "$cluster" "$target"
                done
                echo
                echo "You can now apply the upgrade by executing the following command:"
                echo
                echo "	kubeadm upgrade apply $target"
                exit 0
            fi
            if [[ $yes == no ]]; then
                echo "[upgrade] Are you sure you want to proceed? [y/N]: "
                echo "[upgrade] won't proceed; the user didn't answer (Y|y) in order to continue" >&2
                exit 1
            fi
            echo "[upgrade/staticpods] Writing new Static Pod manifests to \"/etc/kubernetes/tmp/kubeadm-upgraded-manifests\""
            upgrade_failure "$target"
            move_manifests "$target"
            mkdir -p "$STATE/kubeadm"
            printf 'apply %s\n' "$target" >>"$STATE/kubeadm/upgrades"
            echo "[upgrade/successful] SUCCESS! Your cluster was upgraded to \"$target\". Enjoy!"
            echo "[upgrade/kubelet] Now that your control plane is upgraded, please proceed with upgrading your kubelets if you haven't already done so."
            exit 0
            ;;
        node)
            [[ $# -eq 0 ]] || unsupported "upgrade node $*"
            kubeadm_version
            if [[ -f $manifest ]]; then
                kubeconfig_file "$ROOT/etc/kubernetes/admin.conf"
            else
                kubeconfig_file "$ROOT/etc/kubernetes/kubelet.conf"
            fi
            echo "[upgrade] Reading configuration from the \"kubeadm-config\" ConfigMap in namespace \"kube-system\"..."
            echo "[preflight] Running pre-flight checks"
            if [[ -f $manifest ]]; then
                echo "[upgrade/staticpods] Writing new Static Pod manifests to \"/etc/kubernetes/tmp/kubeadm-upgraded-manifests\""
            else
                echo "[upgrade] Skipping phase. Not a control plane node."
            fi
            [[ $(state_value kubeadm-upgrade-fail early) != after-control-plane ]] ||
                unsupported "kubeadm-upgrade-fail=after-control-plane for upgrade node"
            upgrade_failure "$KUBEADM_VERSION"
            [[ ! -f $manifest ]] || move_manifests "$KUBEADM_VERSION"
            mkdir -p "$STATE/kubeadm"
            printf 'node %s\n' "$KUBEADM_VERSION" >>"$STATE/kubeadm/upgrades"
            echo "[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!"
            echo "[upgrade] The configuration for this node was successfully upgraded!"
            echo "[upgrade] Now you should go ahead and upgrade the kubelet package using your package manager."
            exit 0
            ;;
        *) unsupported "upgrade $sub $*" ;;
    esac
}
