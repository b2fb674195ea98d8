#!/usr/bin/env bash
# Prepares a host for kubeadm: technote 003 "System Configuration" and "Detailed Installation", done the
# way they are done today (ARCHITECTURE.md "What the technotes say, done today"). Runs as root from a
# bundle (bootstrap.sh) holding this script, lib.sh, params.env and the config files the program rendered.
# Safe to run again: every step checks before it changes anything, and says what it changed.
#
# Deliberately not done: technote 003's `yum update -y`. Routine OS updates belong to the sysadmins'
# usual process (technote 000 "Administrative functions"), and an update on every run would make the
# script change the host each time it runs.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# P_* variables are assigned by load_params.
# shellcheck disable=SC2154

load_params
need K8S_VERSION '^[0-9]+\.[0-9]+\.[0-9]+$'
need K8S_DEB_KEY_URL '^https://[A-Za-z0-9./:_-]+$'
need CONTAINERD_MIN '^[0-9]+\.[0-9]+$'
need NODE_ROLE '^(control-plane|worker)$'
need NODE_CIDR '^[0-9./]+$'
need POD_CIDR '^[0-9./]+$'
need API_PORT '^[0-9]+$'
need CONTROL_PLANE_ADDRESSES '^[0-9. ]+$'

# ---- operating system -------------------------------------------------------------------------------
step os
[[ $(id -u) -eq 0 ]] || die "must run as root"
os_release="$ROOT/etc/os-release"
[[ -r $os_release ]] || die "/etc/os-release is missing: cannot tell the distribution"
os_id=$(os_field ID "$os_release")
os_like=$(os_field ID_LIKE "$os_release")
os_version=$(os_field VERSION_ID "$os_release")
os_codename=$(os_field VERSION_CODENAME "$os_release")
case " $os_id $os_like " in
    *" rhel "* | *" centos "* | *" fedora "*)
        family=el
        [[ ${os_version%%.*} == 8 || ${os_version%%.*} == 9 ]] ||
            die "$os_id $os_version is not supported: the EL family needs release 8 or 9 (CentOS 7 is end of life)"
        dnf=dnf
        command -v dnf >/dev/null || dnf=yum
        ;;
    *" debian "* | *" ubuntu "*)
        family=debian
        [[ $os_id == debian || $os_id == ubuntu ]] ||
            die "$os_id is not supported: Docker's containerd packages exist for debian and ubuntu only"
        [[ $os_codename =~ ^[a-z]+$ ]] || die "/etc/os-release has no VERSION_CODENAME"
        ;;
    *)
        die "unsupported distribution ID=$os_id ID_LIKE=$os_like: EL 8/9 (dnf) or Debian/Ubuntu (apt) are supported"
        ;;
esac
log "  $os_id $os_version ($family)"

pkg_installed() {
    if [[ $family == el ]]; then
        rpm -q "$1" >/dev/null 2>&1
    else
        # ${Status} is "WANT FLAG STATE": WANT is "hold" once apt-mark holds the package, so only the
        # state is compared ("install ok installed", "hold ok installed").
        [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == *" ok installed" ]]
    fi
}

# The version of an installed package; nothing when it is not installed. Neither query says so on its
# own: `rpm -q` prints "package X is not installed" on stdout, and dpkg-query prints the version of a
# package that was removed with its configuration files left behind.
pkg_version() {
    pkg_installed "$1" || return 0
    if [[ $family == el ]]; then
        rpm -q --qf '%{VERSION}' "$1" 2>/dev/null
    else
        dpkg-query -W -f='${Version}' "$1" 2>/dev/null
    fi
}

apt_updated=no
apt_update() {
    if [[ $apt_updated == no ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        apt_updated=yes
    fi
}

install_missing() {
    local missing=() p
    for p in "$@"; do
        pkg_installed "$p" || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $family == el ]]; then
        "$dnf" install -y "${missing[@]}"
    else
        apt_update
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    fi
    changed "installed ${missing[*]}"
}

# The kubelet of every release in the maintained window (1.35 on) refuses to start on cgroup v1.
step cgroup
[[ -f $ROOT/sys/fs/cgroup/cgroup.controllers ]] ||
    die "this host runs cgroup v1; Kubernetes $P_K8S_VERSION needs cgroup v2 (boot with systemd.unified_cgroup_hierarchy=1)"

# ---- DNS (technote 003 "DNS configuration") ---------------------------------------------------------
# CoreDNS forwards to the nameservers the kubelet hands it. A 127.x nameserver there points back into
# the pod itself and loops, so at least one real upstream must be reachable.
step dns
upstream_in() {
    local ns
    [[ -r $1 ]] || return 1
    while read -r ns; do
        [[ $ns == 127.* || $ns == ::1 ]] || return 0
    done < <(awk '$1 == "nameserver" { print $2 }' "$1")
    return 1
}
if upstream_in "$ROOT/etc/resolv.conf"; then
    log "  /etc/resolv.conf has a non-loopback nameserver"
elif upstream_in "$ROOT/run/systemd/resolve/resolv.conf"; then
    # kubeadm sees systemd-resolved and points the kubelet at this file instead of the stub.
    log "  /etc/resolv.conf is the systemd-resolved stub; the kubelet will use /run/systemd/resolve/resolv.conf"
else
    die "/etc/resolv.conf lists only loopback nameservers (127.x) and no upstream list exists; CoreDNS would query itself. Point /etc/resolv.conf at the site's nameservers"
fi

# Installs come after the checks above, so a host that is refused is left as it was.
step prerequisites
if [[ $family == el ]]; then
    install_missing curl iproute-tc conntrack-tools
else
    install_missing ca-certificates curl gpg conntrack
fi

# ---- swap (technote 003 "Swap") ---------------------------------------------------------------------
step swap
if [[ -r $ROOT/proc/swaps ]] && [[ $(wc -l <"$ROOT/proc/swaps") -gt 1 ]]; then
    swapoff -a
    changed "swap turned off"
fi
# Commenting the fstab entries keeps swap off after a reboot.
swap_entry='^[[:space:]]*[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap([[:space:]]|$)'
if [[ -f $ROOT/etc/fstab ]] && grep -Eq "$swap_entry" "$ROOT/etc/fstab"; then
    sed -E "s/^(${swap_entry#^}.*)$/# disabled for Kubernetes by lsst-k8s: \\1/" "$ROOT/etc/fstab" >"$HERE/fstab"
    update_file fstab /etc/fstab 0644 || true
fi

# ---- SELinux (technote 003 step 4) ------------------------------------------------------------------
if [[ $family == el ]]; then
    step selinux
    if command -v getenforce >/dev/null && [[ $(getenforce) == Enforcing ]]; then
        setenforce 0
        changed "SELinux permissive now"
    fi
    # setenforce alone is forgotten at the next boot.
    if [[ -f $ROOT/etc/selinux/config ]] && grep -q '^SELINUX=enforcing' "$ROOT/etc/selinux/config"; then
        sed 's/^SELINUX=enforcing/SELINUX=permissive/' "$ROOT/etc/selinux/config" >"$HERE/selinux-config"
        update_file selinux-config /etc/selinux/config 0644 || true
    fi
fi

# ---- kernel modules and sysctls (technote 003 steps 8 and 9) ----------------------------------------
step kernel
update_file modules-load.conf /etc/modules-load.d/k8s.conf 0644 || true
while read -r module; do
    [[ -z $module || $module == \#* ]] && continue
    if [[ ! -d $ROOT/sys/module/$module ]]; then
        modprobe "$module"
        # A module built into the kernel may have no /sys/module entry: modprobe succeeds, nothing changed.
        if [[ -d $ROOT/sys/module/$module ]]; then
            changed "loaded module $module"
        fi
    fi
done <"$HERE/modules-load.conf"
update_file sysctl.conf /etc/sysctl.d/k8s.conf 0644 || true
while IFS='=' read -r key value; do
    [[ -z $key || $key == \#* ]] && continue
    read -r key <<<"$key"
    read -r value <<<"$value"
    if [[ $(sysctl -n "$key") != "$value" ]]; then
        sysctl -q -w "$key=$value"
        changed "sysctl $key=$value"
    fi
done <"$HERE/sysctl.conf"

# ---- container runtime ------------------------------------------------------------------------------
# Docker 1.12 from technote 003 is gone as the kubelet's runtime (dockershim was removed in 1.24):
# containerd with the systemd cgroup driver replaces it. Distribution packages lag behind what the
# kubelet needs, so containerd comes from Docker's containerd.io packages, as the Kubernetes docs advise.
step runtime
if [[ $family == el ]]; then
    update_file docker-ce.repo /etc/yum.repos.d/docker-ce.repo 0644 || true
else
    if [[ ! -s $ROOT/etc/apt/keyrings/docker.asc ]]; then
        curl -fsSL -o "$HERE/docker.asc" "https://download.docker.com/linux/$os_id/gpg"
        update_file docker.asc /etc/apt/keyrings/docker.asc 0644 || true
    fi
    # The one file written here rather than rendered by the program: it names the host's own release.
    printf 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/%s %s stable\n' \
        "$os_id" "$os_codename" >"$HERE/docker.list"
    if update_file docker.list /etc/apt/sources.list.d/docker.list 0644; then
        apt_updated=no
    fi
fi
install_missing containerd.io
containerd_version() {
    local v
    v=$(containerd --version | awk '{ print $3 }')
    printf '%s' "${v#v}"
}
containerd_too_old() {
    [[ $(printf '%s\n%s\n' "$P_CONTAINERD_MIN" "$1" | sort -V | head -n1) != "$P_CONTAINERD_MIN" ]]
}
# A new minor can need a newer containerd (2.0 from Kubernetes 1.36), and moving it restarts the runtime.
# On a host kubeadm has not joined yet (no kubelet.conf) nothing runs on it, so it moves here. On a member
# its pods do, and preparation runs on every node at once: the move waits for the node's own upgrade
# (upgrade.sh, once cordon.sh has drained the node), which finds the minimum left for it here. A member
# whose kubelet is already at the pin gets no upgrade, so nothing would ever move its containerd: refused.
runtime_changed=no
containerd_version=$(containerd_version)
if containerd_too_old "$containerd_version"; then
    too_old="containerd $containerd_version is older than $P_CONTAINERD_MIN, the oldest Kubernetes $P_K8S_VERSION runs on"
    kubelet_version=$(pkg_version kubelet)
    if [[ ! -f $ROOT/etc/kubernetes/kubelet.conf ]]; then
        # config.toml is the program's (written below): dpkg would stop at its conffile prompt with nobody
        # to answer, rpm keeps a changed %config(noreplace) file on its own.
        if [[ $family == el ]]; then
            "$dnf" upgrade -y containerd.io
        else
            apt_update
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold containerd.io
        fi
        upgraded=$(containerd_version)
        if containerd_too_old "$upgraded"; then
            die "$too_old, and Docker's repository has nothing newer than $upgraded"
        fi
        changed "containerd.io upgraded from $containerd_version to $upgraded"
        runtime_changed=yes
    elif [[ ${kubelet_version%%-*} == "$P_K8S_VERSION" ]]; then
        die "$too_old, and this node's kubelet is already at $P_K8S_VERSION, so no upgrade will move it: drain the node, upgrade containerd.io, then run this again"
    else
        printf '%s\n' "$P_CONTAINERD_MIN" >"$HERE/containerd-upgrade"
        update_file containerd-upgrade /var/lib/lsst-k8s/containerd-upgrade 0644 || true
        log "  $too_old: this node's pods run on it, so the node's upgrade moves it, once the node is drained"
    fi
fi
if update_file containerd-config.toml /etc/containerd/config.toml 0644; then
    runtime_changed=yes
fi
update_file crictl.yaml /etc/crictl.yaml 0644 || true
if ! systemctl is-enabled --quiet containerd; then
    systemctl enable containerd
    changed "containerd enabled"
fi
if [[ $runtime_changed == yes ]] || ! systemctl is-active --quiet containerd; then
    systemctl restart containerd
    changed "containerd restarted"
fi

# ---- kubelet, kubeadm, kubectl at the exact pin -----------------------------------------------------
# pkgs.k8s.io replaces packages.cloud.google.com; it has one repository per minor release. The packages
# are locked against automatic updates (technote 000 "Administrative functions"): `exclude=` in the
# repo file on EL, `apt-mark hold` on Debian. A host that already has another version is left alone:
# moving a node between versions is the upgrade's job, one node at a time, never prepare's.
step packages
k8s_packages=(kubelet kubeadm kubectl)
if [[ $family == el ]]; then
    update_file kubernetes.repo /etc/yum.repos.d/kubernetes.repo 0644 || true
else
    keyring=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
    list_changed=no
    if update_file kubernetes.list /etc/apt/sources.list.d/kubernetes.list 0644; then
        list_changed=yes
    fi
    if [[ $list_changed == yes || ! -s $ROOT$keyring ]]; then
        curl -fsSL -o "$HERE/kubernetes.key" "$P_K8S_DEB_KEY_URL"
        gpg --batch --dearmor <"$HERE/kubernetes.key" >"$HERE/kubernetes.gpg"
        update_file kubernetes.gpg "$keyring" 0644 || true
        apt_updated=no
    fi
fi
# Debian package versions carry a revision ("1.36.3-1.1"): take the one the repository has. awk reads
# to the end rather than exiting early, so apt-cache never dies of SIGPIPE under pipefail.
deb_pin() {
    apt-cache madison "$1" | awk -F'|' -v v="$P_K8S_VERSION" \
        '{ gsub(/ /, "", $2); if (!found && index($2, v "-") == 1) { print $2; found = 1 } }'
}
to_install=()
for p in "${k8s_packages[@]}"; do
    installed=$(pkg_version "$p" || true)
    if [[ -z $installed ]]; then
        to_install+=("$p")
    elif [[ ${installed%%-*} != "$P_K8S_VERSION" ]]; then
        log "  $p ${installed%%-*} is installed and $P_K8S_VERSION is pinned: the upgrade moves this node"
    fi
done
if [[ ${#to_install[@]} -gt 0 ]]; then
    if [[ $family == el ]]; then
        "$dnf" install -y --disableexcludes=kubernetes "${to_install[@]/%/-$P_K8S_VERSION}"
    else
        apt_update
        specs=()
        for p in "${to_install[@]}"; do
            deb_version=$(deb_pin "$p")
            [[ -n $deb_version ]] || die "$p $P_K8S_VERSION is not in the pkgs.k8s.io repository"
            specs+=("$p=$deb_version")
        done
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-change-held-packages "${specs[@]}"
    fi
    changed "installed ${to_install[*]} $P_K8S_VERSION"
fi
if [[ $family == debian ]]; then
    held=$(apt-mark showhold)
    for p in "${k8s_packages[@]}"; do
        if ! grep -qx "$p" <<<"$held"; then
            apt-mark hold "$p" >/dev/null
            changed "held $p"
        fi
    done
fi
if ! systemctl is-enabled --quiet kubelet; then
    # The kubelet restarts in a loop until kubeadm init or join gives it a config; that is expected.
    systemctl enable --now kubelet
    changed "kubelet enabled"
fi

# ---- firewall (technote 003 "Firewall") -------------------------------------------------------------
# Only what the cluster needs from inside: the API from the node network, the kubelet, etcd between
# control planes, Weave's control and data ports, and pod traffic arriving on the weave bridge.
# NodePorts are not opened: public exposure is the sysadmin's decision (technote 001 "Network Ports").
step firewall
read -r -a control_planes <<<"$P_CONTROL_PLANE_ADDRESSES"
# Each rule: PROTOCOL PORTS SOURCE WHY
rules=(
    "tcp 10250 $P_NODE_CIDR kubelet API"
    "tcp 6783 $P_NODE_CIDR Weave control"
    "udp 6783:6784 $P_NODE_CIDR Weave data"
)
if [[ $P_NODE_ROLE == control-plane ]]; then
    rules+=("tcp $P_API_PORT $P_NODE_CIDR Kubernetes API")
    for cp in "${control_planes[@]}"; do
        rules+=("tcp 2379:2380 $cp/32 etcd peers")
    done
fi
if systemctl is-active --quiet firewalld; then
    added=0
    for rule in "${rules[@]}"; do
        read -r proto ports source _ <<<"$rule"
        rich="rule family=\"ipv4\" source address=\"$source\" port port=\"${ports/:/-}\" protocol=\"$proto\" accept"
        if ! firewall-cmd --permanent --query-rich-rule="$rich" >/dev/null; then
            firewall-cmd --permanent --add-rich-rule="$rich" >/dev/null
            added=$((added + 1))
        fi
    done
    # firewalld matches by zone, not by interface and source together: the weave bridge goes into the
    # trusted zone, which carries technote 003's "accept from the overlay" rule.
    if ! firewall-cmd --permanent --zone=trusted --query-interface=weave >/dev/null; then
        firewall-cmd --permanent --zone=trusted --add-interface=weave >/dev/null
        added=$((added + 1))
    fi
    if [[ $added -gt 0 ]]; then
        firewall-cmd --reload >/dev/null
        changed "firewalld: $added rule(s) added"
    fi
elif command -v iptables >/dev/null; then
    added=0
    for rule in "${rules[@]}"; do
        read -r proto ports source why <<<"$rule"
        spec=(-p "$proto" -s "$source" --dport "$ports" -m comment --comment "lsst-k8s: $why" -j ACCEPT)
        if ! iptables -C INPUT "${spec[@]}" 2>/dev/null; then
            iptables -I INPUT 1 "${spec[@]}"
            added=$((added + 1))
        fi
    done
    spec=(-i weave -s "$P_POD_CIDR" -m comment --comment "lsst-k8s: pod traffic from the Weave overlay" -j ACCEPT)
    if ! iptables -C INPUT "${spec[@]}" 2>/dev/null; then
        iptables -I INPUT 1 "${spec[@]}"
        added=$((added + 1))
    fi
    if [[ $added -gt 0 ]]; then
        changed "iptables: $added rule(s) added"
        if command -v netfilter-persistent >/dev/null; then
            netfilter-persistent save
        elif [[ -f $ROOT/etc/sysconfig/iptables ]]; then
            iptables-save >"$HERE/iptables"
            update_file iptables /etc/sysconfig/iptables 0600 || true
        else
            log "  the rules are live but not saved: install iptables-persistent or iptables-services to keep them"
        fi
    fi
else
    log "  neither firewalld nor iptables is present: nothing to open"
fi

finish
