#!/usr/bin/env bash
# Creates the cluster on the first control plane: `kubeadm init` from the configuration the program
# rendered (technote 003 "Installation"), then reads back what the program needs. Runs as root from a
# bundle holding this script, lib.sh and kubeadm.yaml (which carries the bootstrap token and the
# certificate key, so it is never copied out of the bundle's private directory).
#
# kubeadm writes /etc/kubernetes/admin.conf early (phase kubeconfig) and can still fail minutes later (a
# timeout waiting for the control plane, or in any phase that talks to it), so admin.conf does not mean a
# finished init; /var/lib/lsst-k8s/init.done does, written once everything here has succeeded. A run finds:
#   no admin.conf, no control-plane static Pod    runs kubeadm init
#   admin.conf and init.done                      nothing to do: reads back
#   admin.conf, our kubeadm-init.log, no mark     resumes the phases kubeadm did not finish (below), then marks
#   admin.conf and no log of ours                 a control plane made outside this program: reads back as is
#   control-plane static Pods, no admin.conf      stops, exit 4, with the reset to run by hand; with
#                                                 init.done, with how to restore admin.conf instead
#
# stdout carries exactly one line for the program: {"caCertHash": "sha256:...", "kubeconfig": "<base64>"}.
# Everything else goes to stderr, and kubeadm's own output, which prints a join command with the token,
# goes to a root-only log file instead.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

admin_conf="$ROOT/etc/kubernetes/admin.conf"
ca_cert="$ROOT/etc/kubernetes/pki/ca.crt"
manifests="$ROOT/etc/kubernetes/manifests"
kubelet_config="$ROOT/var/lib/kubelet/config.yaml"
config="$HERE/kubeadm.yaml"
log_dir="$ROOT/var/log/lsst-k8s"
log_file="$log_dir/kubeadm-init.log"
marker="$ROOT/var/lib/lsst-k8s/init.done"
CONTROL_PLANE_PODS=(etcd kube-apiserver kube-controller-manager kube-scheduler)

# Resuming an init (kubeadm v1.35-1.37: `kubeadm init --help` lists the phases in order, `kubeadm init
# phase NAME --help` each one's flags). kubeadm ends a failed run with "error execution phase NAME[/SUB]:",
# from the same workflow `kubeadm init phase NAME` runs; every phase before NAME is done.
#   preflight certs kubeconfig etcd control-plane kubelet-start: never re-run. Nothing of theirs has reached
#     the cluster, and another pass over half-written certificates and kubeconfigs keeps what is there
#     rather than repairing it: a stop in one of them is `kubeadm reset --force` and a fresh init.
#   wait-control-plane: always run first, as the API server may still be starting (or the host rebooted).
#     It only waits: for the kubelet, then each component's health endpoint at the address in its static
#     Pod manifest. It takes no --config, so it checks the kubelet's default health port, which kubeadm.ts
#     leaves as is (its unused defaults may make kubeadm look up a version online, falling back to its own).
#   upload-config all: creates or updates the kubeadm-config and kubelet-config ConfigMaps.
#   upload-certs --upload-certs: encrypts the certificates again with the config's certificate key into
#     the kubeadm-certs Secret (as mint-token.sh does before each control-plane join).
#   mark-control-plane: sets the node's control-plane label and taint again.
#   bootstrap-token: creates or updates the config's token (its 24 hours restart), cluster-info and the
#     bootstrap RBAC rules.
#   kubelet-finalize all: points kubelet.conf at the rotating client certificate; a no-op once it does.
#   addon coredns, addon kube-proxy: create or update their objects (an existing Corefile is kept). Both
#     run, as under `kubeadm init`: kubeadm.ts renders no skipPhases (Weave relies on kube-proxy).
#   show-join-command: not run; it only prints the join command, token included.
# Whatever the phase, kubeadm's first call with the default admin.conf also binds its admin group to
# cluster-admin (admin.conf has no rights before), so a stop right after wait-control-plane is covered.
# --kubeconfig, where a phase has the flag, is that default on a node; ROOT only moves it in the sandbox.
RESUMABLE=(upload-config upload-certs mark-control-plane bootstrap-token kubelet-finalize addon/coredns addon/kube-proxy)

# The argv of `kubeadm init phase` for a RESUMABLE name, in PHASE_ARGV.
phase_argv() {
    case $1 in
        upload-config) PHASE_ARGV=(upload-config all --config "$config" --kubeconfig "$admin_conf") ;;
        upload-certs) PHASE_ARGV=(upload-certs --upload-certs --config "$config" --kubeconfig "$admin_conf") ;;
        mark-control-plane) PHASE_ARGV=(mark-control-plane --config "$config") ;;
        bootstrap-token) PHASE_ARGV=(bootstrap-token --config "$config" --kubeconfig "$admin_conf" --skip-token-print) ;;
        kubelet-finalize) PHASE_ARGV=(kubelet-finalize all --config "$config") ;;
        addon/*) PHASE_ARGV=(addon "${1#addon/}" --config "$config" --kubeconfig "$admin_conf") ;;
    esac
}

# The index in RESUMABLE of the first phase to run, in RESUME_AT, from the last phase kubeadm failed in.
# wait-control-plane's failures are passed over: it runs first anyway, and one in an earlier resume says
# nothing of the phases after it. No failure named (kubeadm killed, its SSH session cut) or a name this
# table does not know: from the first, every resumable phase being safe to run again.
resume_point() {
    local failed i
    failed=$(sed -nE -e '/^error execution phase wait-control-plane:/d' \
        -e 's/^error execution phase ([a-z0-9/-]+):.*/\1/p' "$log_file" | tail -n 1)
    [[ $failed == addon/* ]] || failed=${failed%%/*}
    case $failed in
        preflight | certs | kubeconfig | etcd | control-plane | kubelet-start)
            needs_reset "kubeadm init stopped in phase $failed, before the control plane ran" ;;
    esac
    RESUME_AT=0
    for i in "${!RESUMABLE[@]}"; do
        [[ ${RESUMABLE[i]} != "$failed" ]] || RESUME_AT=$i
    done
}

# How many of the control plane's static Pod manifests are on this host.
static_pods() {
    local pod n=0
    for pod in "${CONTROL_PLANE_PODS[@]}"; do
        if [[ -f $manifests/$pod.yaml ]]; then
            n=$((n + 1))
        fi
    done
    printf '%d' "$n"
}

# Status 0 when init.done holds a version. A torn write leaves no mark, so that host resumes, which is safe.
init_done() {
    local line
    [[ -f $marker ]] && read -r line <"$marker" && [[ $line =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]
}

# Exit 4, apart from die's 1 (a retry may do) and the scripts' refusals (3): no retry can help before someone
# has run the command named, on this host.
stop_for_hand() {
    log "step '$CURRENT_STEP' failed: $1"
    exit 4
}

needs_reset() {
    stop_for_hand "$1: run 'kubeadm reset --force' on this host, then 'pulumi up'"
}

# The end of the log, on stderr. It may hold the token and the certificate key (64 hex digits; the
# public CA hash, after "sha256:", is kept): both masked.
show_log_tail() {
    tail -n 20 "$log_file" |
        sed -E -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/<token>/g' -e 's/(^|[^:0-9a-f])[0-9a-f]{64}/\1<certificate-key>/g' >&2
}

step init
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -r $config ]] || die "the bundle has no kubeadm.yaml"
version=$(sed -nE 's/^kubernetesVersion:[[:space:]]*(v[0-9]+\.[0-9]+\.[0-9]+)[[:space:]]*$/\1/p' "$config")
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "the bundle's kubeadm.yaml has no exact kubernetesVersion"
[[ -r $HERE/encryption.yaml && -r $HERE/audit-policy.yaml ]] || die "the bundle has no API server files (encryption.yaml, audit-policy.yaml)"
finished=no
if [[ -f $admin_conf ]] && init_done; then
    log "  /etc/kubernetes/admin.conf exists: the cluster is already initialised here"
elif [[ -f $admin_conf && ! -f $log_file ]]; then
    # Not ours to finish or to mark: whoever ran kubeadm init here knows how far it got.
    log "  /etc/kubernetes/admin.conf exists and no kubeadm init of ours ran here: read back as it is"
elif [[ -f $admin_conf ]]; then
    resume_point
    [[ $(static_pods) -eq ${#CONTROL_PLANE_PODS[@]} && -f $kubelet_config ]] ||
        needs_reset "kubeadm init stopped before the control plane's static Pods and the kubelet configuration were all written"
    log "  /etc/kubernetes/admin.conf exists but kubeadm init did not finish here: resuming it"
    step resume
    if ! kubeadm init phase wait-control-plane >>"$log_file" 2>&1; then
        show_log_tail
        die "the control plane did not come up (kubeadm init phase wait-control-plane); the whole log is $log_file on this host"
    fi
    for phase in "${RESUMABLE[@]:RESUME_AT}"; do
        phase_argv "$phase"
        if ! kubeadm init phase "${PHASE_ARGV[@]}" >>"$log_file" 2>&1; then
            show_log_tail
            die "kubeadm init phase $phase failed; the whole log is $log_file on this host, and the next run resumes there"
        fi
        changed "kubeadm init phase $phase"
    done
    finished=yes
elif [[ $(static_pods) -gt 0 ]] && init_done; then
    # Finished once: this may be a live control plane, which a reset would take out of its cluster.
    endpoint=$(sed -nE 's/^controlPlaneEndpoint:[[:space:]]*([A-Za-z0-9.:-]+)[[:space:]]*$/\1/p' "$config")
    stop_for_hand "control-plane static Pods but no /etc/kubernetes/admin.conf, where kubeadm init finished: do not reset; run 'kubeadm init phase kubeconfig admin --control-plane-endpoint $endpoint' on this host, then 'pulumi up'"
elif [[ $(static_pods) -gt 0 ]]; then
    needs_reset "control-plane static Pods but no /etc/kubernetes/admin.conf"
else
    mkdir -p "$log_dir"
    chmod 0700 "$log_dir"
    # 0600 before kubeadm writes to it, so a failed run's log (token and key included) is root-only too.
    : >"$log_file"
    chmod 0600 "$log_file"
    # kubeadm reset (and reset.sh) leave /var/lib/lsst-k8s: an earlier cluster's mark must not pass this one.
    [[ ! -e $marker ]] || : >"$marker"
    # kubeadm starts the API server with these (a running cluster's are ControlPlaneConfig's to keep).
    install_control_plane_files
    if ! kubeadm init --config "$config" --upload-certs >"$log_file" 2>&1; then
        show_log_tail
        die "kubeadm init failed; the whole log is $log_file on this host"
    fi
    changed "kubeadm init"
    finished=yes
fi

step readback
[[ -r $admin_conf && -r $ca_cert ]] || die "admin.conf or the cluster CA is missing after init"
# The discovery hash joins verify the API server with (never --discovery-token-unsafe-skip-ca-verification).
ca_hash=$(openssl x509 -pubkey -noout -in "$ca_cert" | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex)
ca_hash=${ca_hash##* }
[[ $ca_hash =~ ^[0-9a-f]{64}$ ]] || die "could not compute the CA public key hash"
kubeconfig=$(base64 -w0 <"$admin_conf")
# Marked last, once the readback is in hand: a run that stops before this is resumed, never taken for done.
if [[ $finished == yes ]]; then
    mkdir -p "${marker%/*}"
    chmod 0700 "${marker%/*}"
    (umask 077 && printf '%s\n' "$version" >"$marker")
    chmod 0600 "$marker"
fi
printf '{"caCertHash": "%s", "kubeconfig": "%s"}\n' "sha256:$ca_hash" "$kubeconfig"

finish
