# shellcheck shell=bash
# Helpers shared by the scripts the program runs on nodes. Sourced by them, never run on its own.
#
# Every path on the host is written as "$ROOT/etc/...". On a node ROOT is empty; the test sandbox sets
# LSST_K8S_ROOT to a throw-away tree so the scripts can run for real without touching the machine.
ROOT="${LSST_K8S_ROOT:-}"
SCRIPT_NAME="${0##*/}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CURRENT_STEP="setup"
CHANGES=0

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }

die() {
    log "step '$CURRENT_STEP' failed: $*"
    exit 1
}

# A refusal, not a failure: the bundle was meant for another host than this one (a stale address or
# name in the Pulumi state). Its own exit status, so it reads apart from a step that broke.
refuse() {
    log "step '$CURRENT_STEP' refused: $*"
    exit 3
}

on_error() {
    local rc=$?
    log "step '$CURRENT_STEP' failed (exit $rc) at line ${BASH_LINENO[0]}: $BASH_COMMAND"
    exit "$rc"
}
trap on_error ERR

step() {
    CURRENT_STEP=$1
    log "step $1"
}

changed() {
    CHANGES=$((CHANGES + 1))
    log "  changed: $*"
}

# Reads the bundle's params.env into P_<KEY> variables. Values come from stack config, so they are
# assigned with printf -v and never evaluated as shell.
load_params() {
    local file="$HERE/params.env" line key
    [[ -r $file ]] || die "the bundle has no params.env"
    while IFS= read -r line || [[ -n $line ]]; do
        [[ -z $line || $line == \#* ]] && continue
        key=${line%%=*}
        if [[ $line != *=* || ! $key =~ ^[A-Z][A-Z0-9_]*$ ]]; then
            die "malformed line in params.env: ${line:0:40}"
        fi
        printf -v "P_$key" '%s' "${line#*=}"
    done <"$file"
}

# need KEY REGEX: fails unless parameter KEY is present and matches REGEX.
need() {
    local var="P_$1"
    [[ -n ${!var+set} ]] || die "parameter $1 is missing"
    [[ ${!var} =~ $2 ]] || die "parameter $1 is malformed"
}

# update_file SRC DEST MODE: puts SRC (a file in the bundle directory) at $ROOT/DEST with MODE when
# the content differs, replacing it atomically. Status 0 when it changed the file, 1 when it was already
# right, so callers write `if update_file ...; then restart; fi` (or `|| true` when nothing follows).
# Content made on the host is first written into the bundle directory, so a failing command aborts
# the step instead of hiding inside a pipeline.
# Being called inside `if` and `||`, this function runs with set -e and the ERR trap suspended (bash
# rules), so every command here that can fail dies on its own.
update_file() {
    local src="$HERE/$1" dest="$ROOT$2" mode=$3 tmp
    if [[ -f $dest ]] && cmp -s "$src" "$dest"; then
        if [[ $(stat -c %a "$dest") != "${mode#0}" ]]; then
            chmod "$mode" "$dest" || die "cannot set the mode of $2"
            changed "$2 mode $mode"
        fi
        return 1
    fi
    mkdir -p "$(dirname "$dest")" || die "cannot create the directory of $2"
    tmp=$(mktemp "$dest.XXXXXX") || die "cannot write $2"
    if ! { cat "$src" >"$tmp" && chmod "$mode" "$tmp" && mv -f "$tmp" "$dest"; }; then
        rm -f "$tmp"
        die "cannot write $2"
    fi
    changed "$2"
    return 0
}

# The first value of KEY in an os-release style file, without executing the file.
os_field() {
    local line
    line=$(grep -m1 "^$1=" "$2" || true)
    line=${line#*=}
    line=${line#\"}
    printf '%s' "${line%\"}"
}

# kubeconfig_read FILE: the one cluster and the one user that kubeadm and the kubelet write into their
# kubeconfigs (client-go's layout: keys sorted, two-space indents), as KC_CLUSTER (the cluster entry's
# name) and KC_CA, KC_CERT (its CA and the user's client certificate, each "data:BASE64" or
# "file:PATH"). Status 1 when FILE does not hold exactly one of each: not a file either of them wrote.
kubeconfig_read() {
    local line section="" clusters=0 users=0
    local top='^([A-Za-z-]+):' item='^- ' name='^(-| ) name: *(.+)$' field='^ +([a-z-]+): *(.+)$'
    KC_CLUSTER="" KC_CA="" KC_CERT=""
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ $line =~ $top ]]; then
            section=${BASH_REMATCH[1]}
            continue
        fi
        [[ $section == clusters || $section == users ]] || continue
        if [[ $line =~ $item ]]; then
            if [[ $section == clusters ]]; then clusters=$((clusters + 1)); else users=$((users + 1)); fi
        fi
        if [[ $section == clusters && $line =~ $name ]]; then
            KC_CLUSTER=$(unquote "${BASH_REMATCH[2]}")
        elif [[ $line =~ $field ]]; then
            case "$section ${BASH_REMATCH[1]}" in
                "clusters certificate-authority-data") KC_CA="data:$(unquote "${BASH_REMATCH[2]}")" ;;
                "clusters certificate-authority") KC_CA="file:$(unquote "${BASH_REMATCH[2]}")" ;;
                "users client-certificate-data") KC_CERT="data:$(unquote "${BASH_REMATCH[2]}")" ;;
                "users client-certificate") KC_CERT="file:$(unquote "${BASH_REMATCH[2]}")" ;;
            esac
        fi
    done <"$1"
    [[ $clusters -eq 1 && $users -eq 1 && -n $KC_CLUSTER ]]
}

unquote() {
    local v=$1
    if [[ $v =~ ^\"(.*)\"$ || $v =~ ^\'(.*)\'$ ]]; then
        v=${BASH_REMATCH[1]}
    fi
    printf '%s' "$v"
}

# pem_file REF NAME: the path of the certificate a kubeconfig refers to (KC_CA, KC_CERT): its file on
# the host (a relative path is relative to /etc/kubernetes, where kubeadm keeps its kubeconfigs), or the
# embedded data decoded into NAME in the bundle directory. Status 1 when it cannot be read.
pem_file() {
    local path
    case $1 in
        data:*)
            PEM_FILE=$HERE/$2
            openssl base64 -d -A -out "$PEM_FILE" <<<"${1#data:}" 2>/dev/null && [[ -s $PEM_FILE ]] ;;
        file:*)
            path=${1#file:}
            if [[ $path == /* ]]; then PEM_FILE=$ROOT$path; else PEM_FILE=$ROOT/etc/kubernetes/$path; fi
            [[ -r $PEM_FILE ]] ;;
        *) return 1 ;;
    esac
}

# host_identity KUBECONFIG: who kubelet.conf says this host is: HOST_NODE from the client certificate's
# subject (CN system:node:NAME, the name the API server knows the kubelet by), HOST_CLUSTER (the cluster
# entry's name, empty when it is "default-cluster": the kubelet's own name when it wrote the file after
# its TLS bootstrap, which names no cluster) and HOST_CA_HASH (sha256:HEX of the cluster CA's public
# key, as kubeadm pins it). Status 1, with HOST_PROBLEM saying why, when the file cannot tell.
# shellcheck disable=SC2034 # the HOST_* variables are read by the scripts that call this
host_identity() {
    local subject digest
    HOST_NODE="" HOST_CLUSTER="" HOST_CA_HASH="" HOST_PROBLEM=""
    command -v openssl >/dev/null || { HOST_PROBLEM="openssl is not installed"; return 1; }
    kubeconfig_read "$1" || { HOST_PROBLEM="${1#"$ROOT"} does not hold one cluster and one user"; return 1; }
    if [[ $KC_CLUSTER != default-cluster ]]; then
        HOST_CLUSTER=$KC_CLUSTER
    fi
    if ! pem_file "$KC_CERT" kubelet-client.pem ||
        ! subject=$(openssl x509 -noout -subject -nameopt RFC2253 -in "$PEM_FILE" 2>/dev/null) ||
        [[ ! $subject =~ (=|,)CN=system:node:([a-z0-9.-]+)(,|$) ]]; then
        HOST_PROBLEM="its client certificate (${KC_CERT:0:60}) names no node"
        return 1
    fi
    HOST_NODE=${BASH_REMATCH[2]}
    if ! pem_file "$KC_CA" cluster-ca.crt ||
        ! openssl x509 -pubkey -noout -in "$PEM_FILE" -out "$HERE/cluster-ca.pub" 2>/dev/null ||
        ! openssl pkey -pubin -in "$HERE/cluster-ca.pub" -outform der -out "$HERE/cluster-ca.der" 2>/dev/null ||
        ! digest=$(openssl dgst -sha256 -hex "$HERE/cluster-ca.der"); then
        HOST_PROBLEM="its cluster CA cannot be read"
        return 1
    fi
    HOST_CA_HASH=sha256:${digest##* }
}

# The API server's own files (authentication, audit policy, encryption at rest) as the bundle holds them,
# put in /etc/kubernetes/lsst-k8s, and the audit log's directory: all root-only, as the encryption key is
# among them and the API server runs as root. Written before kubeadm starts the API server, which mounts
# both directories (kubeadm.ts's extraVolumes) and would not start without them.
CONTROL_PLANE_FILES=(authentication.yaml audit-policy.yaml encryption.yaml)
install_control_plane_files() {
    local name dir
    for dir in "$ROOT/etc/kubernetes/lsst-k8s" "$ROOT/var/log/kubernetes/audit"; do
        if [[ ! -d $dir ]]; then
            mkdir -p "$dir" || die "cannot create ${dir#"$ROOT"}"
            chmod 0700 "$dir" || die "cannot make ${dir#"$ROOT"} root-only"
            changed "${dir#"$ROOT"}"
        elif [[ $(stat -c %a "$dir") != 700 ]]; then
            chmod 0700 "$dir" || die "cannot make ${dir#"$ROOT"} root-only"
            changed "${dir#"$ROOT"} mode 0700"
        fi
    done
    for name in "${CONTROL_PLANE_FILES[@]}"; do
        if [[ -f $HERE/$name ]]; then
            update_file "$name" "/etc/kubernetes/lsst-k8s/$name" 0600 || true
        fi
    done
}

finish() {
    CURRENT_STEP="done"
    log "done: $CHANGES change(s)"
}

# One run at a time of each action on a host. A run whose SSH session dropped goes on, and the retry
# pulumi makes must not meet it halfway (two kubeadm joins, a reset under a drain). The lock is an open
# file descriptor, so it goes when the run and every child it started (kubeadm) are gone, however they
# end; nothing ever needs removing by hand. It is taken here, when an entry script sources lib.sh, not
# in bootstrap.sh: bootstrap.sh is the command line of every resource, so any edit of it changes the
# create and delete inputs of every command in every stack and the next `pulumi up` would run every
# create again (init, joins and mints included), where lib.sh travels inside the bundles those run-once
# commands never resend; here it also runs as root, and writes under $ROOT, so the sandbox tests it.
# An action is its entry script, plus the node its bundle names: the first control plane runs one
# mint-token.sh or drain.sh for each joining or leaving node at once, by design.
lock_action() {
    local name=$SCRIPT_NAME file=$SCRIPT_NAME line holder=""
    if [[ -r $HERE/params.env ]]; then
        while IFS= read -r line || [[ -n $line ]]; do
            if [[ $line =~ ^NODE_NAME=([a-z0-9.-]+)$ ]]; then
                name+=" for ${BASH_REMATCH[1]}"
                file+="@${BASH_REMATCH[1]}"
            fi
        done <"$HERE/params.env"
    fi
    file+=.lock
    mkdir -p "$ROOT/run/lsst-k8s" || die "cannot create /run/lsst-k8s for the lock of $name"
    exec {LOCK_FD}<>"$ROOT/run/lsst-k8s/$file" || die "cannot open the lock /run/lsst-k8s/$file"
    if ! flock -n "$LOCK_FD"; then
        read -r holder <"$ROOT/run/lsst-k8s/$file" || true
        holder=${holder:-unknown}
        log "not started: another run of $name is still going on this host (pid $holder holds /run/lsst-k8s/$file)."
        log "It is most likely a run whose SSH connection dropped: wait for it to end, then retry. To see what it is doing: ps -o pid,etime,args -p $holder --ppid $holder"
        exit 75
    fi
    printf '%s\n' "$$" >"$ROOT/run/lsst-k8s/$file"
}
lock_action
