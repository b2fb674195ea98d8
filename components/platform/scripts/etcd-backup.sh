#!/usr/bin/env bash
# Backs up a control-plane node's etcd data and its /etc/kubernetes/pki: the two things technote 004
# "Storage" and technote 000 "Preparing for disaster recovery" say must be kept, and with them
# /etc/kubernetes/lsst-k8s, the API server's own files, among them encryption.yaml: the key the Secrets
# in the snapshot are encrypted with, without which a restored etcd's Secrets cannot be read (technote
# 004: the backup must work "even when etcd is encrypted"). The program runs it as
# a CronJob on each control-plane node (an etcdctl image, no host network), from a ConfigMap, so it is
# self-contained: it does not source lib.sh and reads nothing but the environment variables below.
#
#   ETCD_ENDPOINTS  comma-separated client URLs, tried in order until one gives a snapshot
#                   (default https://127.0.0.1:2379, the node's own etcd member)
#   ETCD_CACERT     CA of the etcd client certificates   (default /etc/kubernetes/pki/etcd/ca.crt)
#   ETCD_CERT       client certificate                   (default /etc/kubernetes/pki/etcd/healthcheck-client.crt)
#   ETCD_KEY        its key                              (default /etc/kubernetes/pki/etcd/healthcheck-client.key)
#                   The three TLS settings are used, and checked, only for https:// endpoints.
#   PKI_DIR         the directory archived               (default /etc/kubernetes/pki)
#   CONFIG_DIR      the directory archived beside it     (default /etc/kubernetes/lsst-k8s); when it does
#                   not exist or is empty (a control plane set up before lsst-k8s wrote the API server's
#                   files; the kubelet creates the mount point empty), the archive holds PKI_DIR only
#                   and the run says so
#   BACKUP_DIR      where the backups go; required, must already exist (the mounted volume)
#   KEEP            how many snapshots, and separately how many archives, to keep (default 7, >= 1)
#   NODE_NAME       optional; part of the file names, so several nodes can share BACKUP_DIR
#
# Each run writes, with one UTC timestamp (YYYYMMDDTHHMMSSZ, so names sort in time order):
#   etcd-<node>-<timestamp>.db        the snapshot, checked with `snapshot status` before it is kept
#   pki-<node>-<timestamp>.tar.gz     PKI_DIR as <basename of PKI_DIR>/... and CONFIG_DIR as
#                                     <basename of CONFIG_DIR>/... (pki/ and lsst-k8s/ by default:
#                                     `tar -C /etc/kubernetes -xzf` restores both)
#   <each of them>.sha256             `sha256sum -c` format, written last: a backup is complete when it exists
# (without NODE_NAME the names are etcd-<timestamp>.db and pki-<timestamp>.tar.gz). Every file is 0600
# and BACKUP_DIR is made 0700: the snapshot holds the cluster's Secrets, the archive its private keys
# and the key the Secrets are encrypted with.
# Both are written to a temporary file in BACKUP_DIR and renamed into place, so a failed or interrupted
# run leaves no partial backup under a backup's name. Then only the newest KEEP snapshots and KEEP
# archives of this node are kept; files of other nodes, and any other file, are never touched.
set -Eeuo pipefail
export LC_ALL=C
umask 077

SCRIPT_NAME="${0##*/}"
CURRENT_STEP="config"
TEMP_FILES=()

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }

die() {
    log "step '$CURRENT_STEP' failed: $*"
    exit 1
}

on_error() {
    local rc=$?
    log "step '$CURRENT_STEP' failed (exit $rc) at line ${BASH_LINENO[0]}: $BASH_COMMAND"
    exit "$rc"
}

# Removes this run's temporary files, and the .part file etcdctl writes beside its target, whatever
# the way out: success, failure, or the TERM the kubelet sends when the job's deadline passes.
cleanup() {
    local f
    for f in "${TEMP_FILES[@]}"; do
        rm -f -- "$f" "$f.part"
    done
}
# The kubelet sends TERM when the job's deadline passes. The long commands run as background jobs
# (run_child), so the signal is handled at once: the command is stopped before its files are removed.
CHILD=""
interrupted() {
    log "step '$CURRENT_STEP' interrupted by SIG$1"
    if [[ -n $CHILD ]]; then
        kill "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    exit "$2"
}
trap on_error ERR
trap cleanup EXIT
trap 'interrupted TERM 143' TERM
trap 'interrupted INT 130' INT

step() {
    CURRENT_STEP=$1
    log "step $1"
}

# Creates a temporary file in BACKUP_DIR, removed on exit unless renamed into place, and names it in
# TEMP. (It sets a variable rather than printing the name: in $(...) the list of files to remove would
# be changed in a subshell only.)
TEMP=""
new_temp() {
    TEMP=$(mktemp "$BACKUP_DIR/$TEMP_PREFIX.XXXXXX") || die "cannot create a temporary file in BACKUP_DIR=$BACKUP_DIR"
    TEMP_FILES+=("$TEMP")
}

# run_child OUT COMMAND...: runs COMMAND with its output in the file OUT and returns its status. It runs
# as a background job waited for, because bash defers a trapped signal until a foreground command ends,
# and etcdctl can wait for a long time.
run_child() {
    local out=$1 rc=0
    shift
    "$@" >"$out" 2>&1 &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=""
    return "$rc"
}

# The last line of a command's output, for the log.
last_line() { tail -n 1 -- "$1"; }

# store TMP NAME: writes NAME.sha256 for the content of TMP, then renames TMP to NAME and the checksum
# next to it, both in BACKUP_DIR. The checksum comes last, so it marks a complete backup.
store() {
    local tmp=$1 name=$2 sum sum_tmp
    sum=$(sha256sum <"$tmp")
    sum=${sum%% *}
    [[ $sum =~ ^[0-9a-f]{64}$ ]] || die "cannot checksum $name"
    new_temp
    sum_tmp=$TEMP
    printf '%s  %s\n' "$sum" "$name" >"$sum_tmp"
    chmod 0600 "$tmp" "$sum_tmp"
    mv -f -- "$tmp" "$BACKUP_DIR/$name"
    mv -f -- "$sum_tmp" "$BACKUP_DIR/$name.sha256"
    log "  wrote $name (sha256 $sum)"
}

# ---- settings ---------------------------------------------------------------------------------------
# Every problem is reported before failing, each naming its variable. Values are only ever passed as
# arguments, never evaluated, and are checked against patterns strict enough to be safe in file names.
step config
problems=()
bad() { problems+=("$*"); }
shown() { printf "'%s'" "${1:0:120}"; }

ETCD_ENDPOINTS=${ETCD_ENDPOINTS:-https://127.0.0.1:2379}
ETCD_CACERT=${ETCD_CACERT:-/etc/kubernetes/pki/etcd/ca.crt}
ETCD_CERT=${ETCD_CERT:-/etc/kubernetes/pki/etcd/healthcheck-client.crt}
ETCD_KEY=${ETCD_KEY:-/etc/kubernetes/pki/etcd/healthcheck-client.key}
PKI_DIR=${PKI_DIR:-/etc/kubernetes/pki}
CONFIG_DIR=${CONFIG_DIR:-/etc/kubernetes/lsst-k8s}
BACKUP_DIR=${BACKUP_DIR:-}
KEEP=${KEEP:-7}
NODE_NAME=${NODE_NAME:-}

endpoint_re='^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$'
endpoints=()
tls=no
IFS=, read -r -a endpoints <<<"$ETCD_ENDPOINTS"
if [[ ${#endpoints[@]} -eq 0 || $ETCD_ENDPOINTS == *, || $ETCD_ENDPOINTS == *,,* ]]; then
    bad "ETCD_ENDPOINTS=$(shown "$ETCD_ENDPOINTS") has an empty entry: give comma-separated URLs like https://127.0.0.1:2379"
fi
for ep in "${endpoints[@]}"; do
    if [[ ! $ep =~ $endpoint_re ]]; then
        bad "ETCD_ENDPOINTS entry $(shown "$ep") is not an http:// or https:// URL with a host and an optional port"
    elif [[ $ep == https://* ]]; then
        tls=yes
    fi
done
if [[ $tls == yes ]]; then
    for var in ETCD_CACERT ETCD_CERT ETCD_KEY; do
        [[ -f ${!var} && -r ${!var} ]] || bad "$var=$(shown "${!var}") is not a readable file (needed for the https:// endpoints in ETCD_ENDPOINTS)"
    done
fi

# Paths are absolute without . or .. components, so the checks below compare what tar and mv will use.
path_ok() { [[ $1 == /* && ! $1 =~ (^|/)\.\.?(/|$) ]]; }
while [[ $PKI_DIR == ?*/ ]]; do PKI_DIR=${PKI_DIR%/}; done
while [[ $CONFIG_DIR == ?*/ ]]; do CONFIG_DIR=${CONFIG_DIR%/}; done
while [[ $BACKUP_DIR == ?*/ ]]; do BACKUP_DIR=${BACKUP_DIR%/}; done
if ! path_ok "$PKI_DIR" || [[ $PKI_DIR == / ]]; then
    bad "PKI_DIR=$(shown "$PKI_DIR") must be an absolute path to a directory, without . or .. and not /"
elif [[ ! -d $PKI_DIR || ! -r $PKI_DIR || ! -x $PKI_DIR ]]; then
    bad "PKI_DIR=$(shown "$PKI_DIR") is not a readable directory"
fi
# Both go into one archive under their own names, so neither may hold the other nor share its name.
config_exists=no
if ! path_ok "$CONFIG_DIR" || [[ $CONFIG_DIR == / ]]; then
    bad "CONFIG_DIR=$(shown "$CONFIG_DIR") must be an absolute path to a directory, without . or .. and not /"
elif [[ $CONFIG_DIR == "$PKI_DIR" || $CONFIG_DIR == "$PKI_DIR"/* || $PKI_DIR == "$CONFIG_DIR"/* ]]; then
    bad "CONFIG_DIR=$(shown "$CONFIG_DIR") and PKI_DIR=$(shown "$PKI_DIR") overlap: the archive would hold the same files twice"
elif [[ ${CONFIG_DIR##*/} == "${PKI_DIR##*/}" ]]; then
    bad "CONFIG_DIR=$(shown "$CONFIG_DIR") has the same name as PKI_DIR=$(shown "$PKI_DIR"): the archive keeps each under its name"
elif [[ -e $CONFIG_DIR || -L $CONFIG_DIR ]]; then
    if [[ ! -d $CONFIG_DIR || ! -r $CONFIG_DIR || ! -x $CONFIG_DIR ]]; then
        bad "CONFIG_DIR=$(shown "$CONFIG_DIR") is not a readable directory"
    else
        config_exists=yes
    fi
fi
if [[ -z $BACKUP_DIR ]]; then
    bad "BACKUP_DIR is not set: it must name the (mounted) directory the backups go to"
elif ! path_ok "$BACKUP_DIR"; then
    bad "BACKUP_DIR=$(shown "$BACKUP_DIR") must be an absolute path without . or .."
elif [[ ! -d $BACKUP_DIR ]]; then
    # Not created here: a missing directory means the volume is not mounted, and backups written into
    # the container would vanish with it.
    bad "BACKUP_DIR=$(shown "$BACKUP_DIR") does not exist or is not a directory (is the backup volume mounted?)"
elif [[ $BACKUP_DIR == "$PKI_DIR" || $BACKUP_DIR == "$PKI_DIR"/* ]]; then
    bad "BACKUP_DIR=$(shown "$BACKUP_DIR") is inside PKI_DIR=$(shown "$PKI_DIR"): the archive would contain the backups"
elif [[ $BACKUP_DIR == "$CONFIG_DIR" || $BACKUP_DIR == "$CONFIG_DIR"/* ]]; then
    bad "BACKUP_DIR=$(shown "$BACKUP_DIR") is inside CONFIG_DIR=$(shown "$CONFIG_DIR"): the archive would contain the backups"
fi

if [[ ! $KEEP =~ ^[0-9]{1,6}$ ]] || ((10#$KEEP < 1)); then
    bad "KEEP=$(shown "$KEEP") must be a whole number from 1 to 999999"
else
    KEEP=$((10#$KEEP))
fi

# Kubernetes node names are DNS subdomains (RFC 1123), which are also safe in file names and globs.
if [[ -n $NODE_NAME && ! $NODE_NAME =~ ^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$ ]]; then
    bad "NODE_NAME=$(shown "$NODE_NAME") is not a Kubernetes node name (lower-case letters, digits, '-' and '.')"
fi

if [[ ${#problems[@]} -gt 0 ]]; then
    for p in "${problems[@]}"; do
        log "  $p"
    done
    die "${#problems[@]} invalid setting(s): ${problems[0]}"
fi
command -v etcdctl >/dev/null || die "etcdctl is not on PATH: run this in an image that has it"
for cmd in tar gzip sha256sum mktemp; do
    command -v "$cmd" >/dev/null || die "$cmd is not on PATH"
done
export ETCDCTL_API=3

NODE_PART=${NODE_NAME:+-$NODE_NAME}
SNAPSHOT_PREFIX="etcd$NODE_PART-"
ARCHIVE_PREFIX="pki$NODE_PART-"
TEMP_PREFIX=".etcd-backup$NODE_PART.tmp"
STAMP_RE='^[0-9]{8}T[0-9]{6}Z$'
log "  endpoints $ETCD_ENDPOINTS, PKI_DIR $PKI_DIR, CONFIG_DIR $CONFIG_DIR, BACKUP_DIR $BACKUP_DIR, keep $KEEP${NODE_NAME:+, node $NODE_NAME}"

# ---- the backup directory ---------------------------------------------------------------------------
step backup-dir
if [[ $(stat -c %a "$BACKUP_DIR") != 700 ]]; then
    chmod 0700 "$BACKUP_DIR" || die "cannot make BACKUP_DIR=$BACKUP_DIR mode 0700"
    log "  changed: BACKUP_DIR mode 0700"
fi
[[ -w $BACKUP_DIR ]] || die "BACKUP_DIR=$BACKUP_DIR is not writable (is the volume mounted read-write?)"
# A run killed outright (SIGKILL, node crash) cannot remove its temporary files; the next one does,
# once they are old enough that no run of this node can still be writing them.
while IFS= read -r -d '' stale; do
    rm -f -- "$stale"
    log "  removed the stale temporary file ${stale##*/}"
done < <(find "$BACKUP_DIR" -maxdepth 1 -type f -name "$TEMP_PREFIX.*" -mmin +120 -print0)

# One timestamp names both files. Names are unique per second: when this second's names are taken
# (runs back to back), wait for the next one.
stamp=""
for _ in 1 2 3 4 5; do
    candidate=$(date -u +%Y%m%dT%H%M%SZ)
    if [[ ! -e $BACKUP_DIR/$SNAPSHOT_PREFIX$candidate.db && ! -e $BACKUP_DIR/$ARCHIVE_PREFIX$candidate.tar.gz ]]; then
        stamp=$candidate
        break
    fi
    sleep 1
done
[[ $stamp =~ $STAMP_RE ]] || die "cannot pick a timestamp not already used in BACKUP_DIR"
snapshot_name="$SNAPSHOT_PREFIX$stamp.db"
archive_name="$ARCHIVE_PREFIX$stamp.tar.gz"

# ---- the etcd snapshot ------------------------------------------------------------------------------
# `snapshot save` asks one member, so the endpoints are tried one at a time. Each is first asked for
# its status, which is bounded by the timeouts: etcdctl 3.4's `snapshot save` ignores --dial-timeout
# and waits for ever on an endpoint that does not answer. The status call, like the snapshot and
# unlike `endpoint health`, needs no quorum, so a surviving member of a broken cluster is still saved.
step snapshot
new_temp
snapshot_tmp=$TEMP
new_temp
output=$TEMP
saved_from=""
for ep in "${endpoints[@]}"; do
    flags=(--endpoints="$ep" --dial-timeout=3s --command-timeout=5s)
    if [[ $ep == https://* ]]; then
        flags+=(--cacert="$ETCD_CACERT" --cert="$ETCD_CERT" --key="$ETCD_KEY")
    fi
    if ! run_child "$output" etcdctl "${flags[@]}" endpoint status; then
        log "  $ep does not answer: $(last_line "$output")"
        continue
    fi
    if run_child "$output" etcdctl "${flags[@]}" snapshot save "$snapshot_tmp"; then
        saved_from=$ep
        break
    fi
    rm -f -- "$snapshot_tmp.part"
    log "  no snapshot from $ep: $(last_line "$output")"
done
if [[ -z $saved_from ]]; then
    hint="is etcd running there?"
    [[ $tls == yes ]] && hint="is etcd running there, and are ETCD_CACERT, ETCD_CERT and ETCD_KEY its CA and a client certificate it trusts?"
    die "no endpoint in ETCD_ENDPOINTS=$ETCD_ENDPOINTS gave a snapshot ($hint)"
fi
[[ -s $snapshot_tmp ]] || die "etcdctl reported success but the snapshot from $saved_from is empty"
log "  snapshot from $saved_from"

# etcdutl took `snapshot status` over from etcdctl in etcd 3.5 (and etcdctl lost it in 3.6); 3.4 has
# only etcdctl.
step verify
status_tool=etcdctl
command -v etcdutl >/dev/null && status_tool=etcdutl
status=$("$status_tool" snapshot status -w json "$snapshot_tmp" 2>&1) ||
    die "$status_tool snapshot status rejects the snapshot: $(printf '%s' "$status" | tail -n 1)"
declare -A fields=()
for f in revision totalKey totalSize; do
    [[ $status =~ \"$f\":([0-9]+) ]] || die "$status_tool snapshot status gave no $f: ${status:0:200}"
    fields[$f]=${BASH_REMATCH[1]}
done
revision=${fields[revision]}
keys=${fields[totalKey]}
size=${fields[totalSize]}
((size > 0)) || die "the snapshot is empty (totalSize 0)"
log "  revision $revision, $keys keys, $size bytes"
store "$snapshot_tmp" "$snapshot_name"

# ---- the PKI archive --------------------------------------------------------------------------------
# --add-file rather than a name after --: the second --directory must still be read as an option.
step pki-archive
members=(--directory="$(dirname "$PKI_DIR")" --add-file="${PKI_DIR##*/}")
archived="PKI_DIR=$PKI_DIR"
with_config=no
if [[ $config_exists == yes && -n $(find "$CONFIG_DIR" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
    members+=(--directory="$(dirname "$CONFIG_DIR")" --add-file="${CONFIG_DIR##*/}")
    archived+=" and CONFIG_DIR=$CONFIG_DIR"
    with_config=yes
elif [[ $config_exists == yes ]]; then
    log "  CONFIG_DIR=$CONFIG_DIR is empty: the archive holds PKI_DIR only (no lsst-k8s files on this control plane yet)"
else
    log "  CONFIG_DIR=$CONFIG_DIR does not exist: the archive holds PKI_DIR only (no lsst-k8s files on this control plane yet)"
fi
new_temp
archive_tmp=$TEMP
run_child "$output" tar --create --gzip --numeric-owner --file="$archive_tmp" "${members[@]}" ||
    die "cannot archive $archived: $(last_line "$output")"
run_child "$output" tar --list --gzip --file="$archive_tmp" || die "cannot read back the archive: $(last_line "$output")"
pki_entries=0
config_entries=0
while IFS= read -r entry; do
    case $entry in
        "${PKI_DIR##*/}"/*) pki_entries=$((pki_entries + 1)) ;;
        "${CONFIG_DIR##*/}"/*) config_entries=$((config_entries + 1)) ;;
    esac
done <"$output"
((pki_entries > 1)) || die "the archive of PKI_DIR=$PKI_DIR is empty"
if [[ $with_config == yes ]] && ((config_entries < 2)); then
    die "the archive holds nothing of CONFIG_DIR=$CONFIG_DIR"
fi
log "  $pki_entries entries of PKI_DIR, $config_entries of CONFIG_DIR"
store "$archive_tmp" "$archive_name"

# ---- retention --------------------------------------------------------------------------------------
# Only this node's backups, recognised by their exact name pattern; names sort in time order.
step retention
shopt -s nullglob
prune() {
    local prefix=$1 suffix=$2 f name stamp_part i
    local found=()
    for f in "$BACKUP_DIR/$prefix"*"$suffix"; do
        name=${f##*/}
        stamp_part=${name#"$prefix"}
        stamp_part=${stamp_part%"$suffix"}
        if [[ $stamp_part =~ $STAMP_RE && -f $f && ! -L $f ]]; then
            found+=("$f")
        fi
    done
    local excess=$((${#found[@]} - KEEP))
    log "  ${#found[@]} ${prefix}*$suffix, keeping $KEEP"
    for ((i = 0; i < excess; i++)); do
        rm -f -- "${found[i]}" "${found[i]}.sha256"
        log "  removed ${found[i]##*/} and its checksum"
    done
}
prune "$SNAPSHOT_PREFIX" .db
prune "$ARCHIVE_PREFIX" .tar.gz

CURRENT_STEP="done"
log "done: $snapshot_name and $archive_name in $BACKUP_DIR"
