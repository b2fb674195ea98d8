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

finish() {
    CURRENT_STEP="done"
    log "done: $CHANGES change(s)"
}
