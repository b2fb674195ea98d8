# shellcheck shell=bash disable=SC2034
# The globals pkg_get, unit_get and dnf_repo_read set are read by the stand-ins that source this file.
# Shared by the sandbox stand-ins (tests/sandbox.ts). Each stand-in is a generated wrapper that sets
# SANDBOX_SELF, SANDBOX_ROOT, SANDBOX_STATE, SANDBOX_LOG and a PATH of a few harmless tools, sources this
# file, logs its argv and then sources its own body. State lives in files under the sandbox, never on
# the host. Anything a stand-in does not understand fails loudly (exit 2), so a script that starts
# using a new option shows up as a failing test instead of a silently "working" one.
set -uo pipefail
ROOT=$SANDBOX_ROOT
STATE=$SANDBOX_STATE

# One record a call: argv joined by the unit separator (0x1f), line breaks escaped.
record_call() {
    local rec=$SANDBOX_SELF a
    for a in "$@"; do
        a=${a//$'\n'/\\n}
        rec+=$'\x1f'$a
    done
    printf '%s\n' "$rec" >>"$SANDBOX_LOG"
}

unsupported() {
    printf 'sandbox: the %s stand-in does not support: %s\n' "$SANDBOX_SELF" "$*" >&2
    exit 2
}

# Names that become file names under the state directory.
safe_name() {
    [[ $1 =~ ^[A-Za-z0-9@._+:-]+$ && $1 != . && $1 != .. ]] || unsupported "the name '$1'"
}

# ---- packages: $STATE/packages, "NAME<TAB>VERSION<TAB>STATUS" (installed | config-files) ----------------
pkg_get() {
    local n v s
    [[ -f $STATE/packages ]] || return 1
    while IFS=$'\t' read -r n v s; do
        if [[ $n == "$1" ]]; then
            PKG_VERSION=$v
            PKG_STATUS=$s
            return 0
        fi
    done <"$STATE/packages"
    return 1
}

pkg_is_installed() {
    pkg_get "$1" && [[ $PKG_STATUS == installed ]]
}

pkg_set() {
    local n v s out=""
    if [[ -f $STATE/packages ]]; then
        while IFS=$'\t' read -r n v s; do
            [[ $n == "$1" ]] || out+="$n"$'\t'"$v"$'\t'"$s"$'\n'
        done <"$STATE/packages"
    fi
    out+="$1"$'\t'"$2"$'\t'"$3"$'\n'
    printf '%s' "$out" >"$STATE/packages"
}

# What installing a package does besides recording it: $STATE/on-install/PKG/units holds
# "UNIT ENABLED ACTIVE" lines, $STATE/on-install/PKG/files/ a tree copied into the root (existing files
# are kept, as dpkg and rpm keep modified config files).
pkg_install_effects() {
    local dir=$STATE/on-install/$1 unit enabled active
    if [[ -f $dir/units ]]; then
        while read -r unit enabled active; do
            unit_get "$unit" || unit_set "$unit" "$enabled" "$active" 0
        done <"$dir/units"
    fi
    if [[ -d $dir/files ]]; then
        cp -Rn "$dir/files/." "$ROOT/"
    fi
}

# ---- the repositories' packages: $STATE/available, "NAME<TAB>VERSION<TAB>REPO", newest first -------------
# REPO is "base" (the distribution's own repositories, always there) or the name of a file in
# etc/apt/sources.list.d (apt) or etc/yum.repos.d (dnf) that must be in place for the package to exist.
available_lines() {
    [[ -f $STATE/available ]] || return 0
    cat "$STATE/available"
}

# ---- systemd units: $STATE/units/UNIT, "ENABLED ACTIVE RESTARTS" (yes/no yes/no count) ------------------
unit_get() {
    safe_name "$1"
    [[ -f $STATE/units/$1 ]] || return 1
    read -r UNIT_ENABLED UNIT_ACTIVE UNIT_RESTARTS <"$STATE/units/$1"
}

unit_set() {
    safe_name "$1"
    mkdir -p "$STATE/units"
    printf '%s %s %s\n' "$2" "$3" "$4" >"$STATE/units/$1"
}

unit_active() {
    unit_get "$1" && [[ $UNIT_ACTIVE == yes ]]
}

# The first line of a state file, or a default.
state_value() {
    local v
    if [[ -f $STATE/$1 ]]; then
        read -r v <"$STATE/$1" || true
        printf '%s' "$v"
    else
        printf '%s' "$2"
    fi
}

# Adds LINE to a state file unless it is there; status 1 when it was.
state_add_line() {
    local file=$STATE/$1 line
    if [[ -f $file ]]; then
        while IFS= read -r line; do
            [[ $line == "$2" ]] && return 1
        done <"$file"
    fi
    printf '%s\n' "$2" >>"$file"
}

state_has_line() {
    local file=$STATE/$1 line
    [[ -f $file ]] || return 1
    while IFS= read -r line; do
        [[ $line == "$2" ]] && return 0
    done <"$file"
    return 1
}

# ---- apt: a repository is usable once `apt-get update` saw its list file as it is now ------------------
apt_repo_visible() {
    local name=$1
    [[ $name == base ]] && return 0
    [[ -f $ROOT/etc/apt/sources.list.d/$name && -f $STATE/apt-lists/$name ]] &&
        cmp -s "$ROOT/etc/apt/sources.list.d/$name" "$STATE/apt-lists/$name"
}

# ---- dnf: a repository is usable while its .repo file is in etc/yum.repos.d ----------------------------
dnf_repo_visible() {
    [[ $1 == base || -f $ROOT/etc/yum.repos.d/$1 ]]
}

# The repository id (first [section]) and the exclude= words of a .repo file: REPO_ID, REPO_EXCLUDES.
dnf_repo_read() {
    local line
    REPO_ID=""
    REPO_EXCLUDES=()
    while IFS= read -r line; do
        if [[ -z $REPO_ID && $line =~ ^\[([^]]+)\] ]]; then
            REPO_ID=${BASH_REMATCH[1]}
        elif [[ $line == exclude=* ]]; then
            read -r -a REPO_EXCLUDES <<<"${line#exclude=}"
        fi
    done <"$ROOT/etc/yum.repos.d/$1"
}
