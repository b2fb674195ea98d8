#!/usr/bin/env bash
# Builds real upstream binaries from the Go module proxy, at the versions pinned in versions.env.
#
#   tools/upstream/build.sh [NAME...|all]      build the named tools (none or `all` = every one)
#   tools/upstream/build.sh --print-path NAME... print each binary's absolute path, one a line,
#                                              building it first if it is missing (progress then
#                                              goes to stderr, so stdout holds only the paths)
#
# NAMEs: kube-apiserver kube-controller-manager kube-scheduler kubectl kubeadm etcd kwok pulumi (`all`,
# what the tests need: pulumi is the CLI, for tests/workflow.test.ts and `npm run e2e -- engine`).
# Each tool is built from its wrapper module in this folder (kubernetes/, etcd/, kwok/: a go.mod
# with `tool` lines and a committed go.sum; no upstream source is kept here), from any cwd.
#
# Everything it writes is under CACHE=${LSST_K8S_CACHE:-$HOME/.cache/lsst-k8s}:
#   CACHE/bin/NAME-VERSION    the binary, keyed by version; an existing one is reused ("cached")
#   CACHE/bin/NAME            symlink to the version pinned now, so PATH=CACHE/bin:$PATH works
#   CACHE/logs/NAME-VERSION.log  go's output of the last build of that tool
#   CACHE/go/mod, CACHE/go/build  GOMODCACHE and GOCACHE (kept out of Go's defaults so one folder
#                             holds it all and `rm -rf CACHE` cleans it: -modcacherw leaves the
#                             module cache writable)
# A binary is linked to a temp name and moved into place, so a failed build leaves none; a lock
# (CACHE/.build.lock) serialises concurrent runs. Safe to run again: what exists is skipped.
#
# Build flags follow upstream's release builds: CGO_ENABLED=0, -trimpath, -ldflags "-s -w" plus the
# version stamps (Kubernetes: gitVersion/gitMajor/gitMinor/gitTreeState=clean/buildDate in both
# k8s.io/client-go/pkg/version and k8s.io/component-base/version, buildDate = the release's time
# on the proxy, so builds are reproducible; gitCommit is unknown from the proxy and left unset.
# etcd: api/v3/version.GitSHA names the module version; kwok: pkg/consts.Version; pulumi: sdk's
# common/version.Version, which the engine compares with the plugins' and the SDK's, and the build
# tags osusergo,grpcnotrace of Pulumi's release builds).
# GOFLAGS=-mod=readonly: the committed go.mod/go.sum are used as they are, never rewritten.
#
# Checksums: sum.golang.org itself does not resolve here, but Go reaches the checksum database
# through the proxy (https://proxy.golang.org/sumdb/sum.golang.org/...), so no GONOSUMDB or
# GOSUMDB=off is needed; with the committed go.sum files Go does not even ask it. GOPROXY and
# GOTOOLCHAIN are taken from the environment (Go's defaults); the wrappers need go >= 1.26.0.
#
# To bump a version: edit versions.env, then in the wrapper `go mod edit -require=MODULE@VERSION`
# (for Kubernetes also every `-replace=k8s.io/X=k8s.io/X@v0.MINOR.PATCH`) and `go mod tidy`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

cache=${LSST_K8S_CACHE:-$HOME/.cache/lsst-k8s}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd) # absolute: the builds run from the wrapper folders
bin=$cache/bin
logs=$cache/logs
export GOMODCACHE=$cache/go/mod
export GOCACHE=$cache/go/build
export GOFLAGS="-mod=readonly -modcacherw"
export GOWORK=off
export CGO_ENABLED=0

all_tools=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubeadm etcd kwok pulumi)
known_tools=("${all_tools[@]}")

exec 3>&1
die() { echo "build.sh: $*" >&2; exit 1; }
say() { echo "$*" >&3; }

usage() {
    sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit "${1:-2}"
}

# Sets wrapper, module, version, pkg, ldflags and tags for tool $1.
tool_info() {
    tags=
    case $1 in
        kube-apiserver | kube-controller-manager | kube-scheduler | kubectl | kubeadm)
            wrapper=kubernetes module=k8s.io/kubernetes version=$KUBERNETES_VERSION
            pkg=k8s.io/kubernetes/cmd/$1
            ;;
        etcd)
            wrapper=etcd module=go.etcd.io/etcd/server/v3 version=$ETCD_VERSION
            pkg=go.etcd.io/etcd/server/v3
            ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$module@$version"
            ;;
        kwok)
            wrapper=kwok module=sigs.k8s.io/kwok version=$KWOK_VERSION
            pkg=sigs.k8s.io/kwok/cmd/kwok
            ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$version"
            ;;
        pulumi)
            wrapper=pulumi module=github.com/pulumi/pulumi/pkg/v3 version=$PULUMI_VERSION
            pkg=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
            ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
            tags=osusergo,grpcnotrace
            ;;
        *) die "unknown tool '$1' (known: ${known_tools[*]} all)" ;;
    esac
}

# Kubernetes' version stamps; needs the module graph, so runs after the download step.
kube_ldflags() {
    local v=${version#v} date p
    date=$(go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$module" 2>>"$log") ||
        fail "go list -m $module failed"
    ldflags="-s -w"
    for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
        ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=${v%%.*} -X $p.gitMinor=$(cut -d. -f2 <<<"$v")"
        ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=${date:-1970-01-01T00:00:00Z}"
    done
}

# The wrapper's go.mod must pin what versions.env says.
check_pins() {
    local got staging
    got=$(go list -m -f '{{.Version}}' "$module" 2>>"$log") || fail "go list -m $module failed"
    [[ $got == "$version" ]] ||
        die "$name $version: $wrapper/go.mod requires $module $got but versions.env says $version"
    if [[ $module == k8s.io/kubernetes ]]; then
        staging=v0.${version#v1.}
        got=$(go list -m -f '{{with .Replace}}{{.Version}}{{end}}' k8s.io/client-go 2>>"$log") ||
            fail "go list -m k8s.io/client-go failed"
        [[ $got == "$staging" ]] ||
            die "$name $version: $wrapper/go.mod replaces k8s.io/client-go with '$got', want $staging"
    fi
}

locked=false
tmp=
trap '[[ -z $tmp ]] || rm -f "$tmp"' EXIT

# Prints the log's last lines and one line naming the tool and the step, then exits 1.
fail() {
    echo "--- last lines of $log:" >&2
    tail -n 25 "$log" | sed 's/^/    /' >&2
    die "$name $version: $1 (see $log)"
}

build() {
    local name=$1 wrapper module version pkg ldflags tags out log start
    tool_info "$name"
    out=$bin/$name-$version
    if [[ ! -x $out ]] && ! $locked; then
        mkdir -p "$bin" "$logs"
        exec 9>"$cache/.build.lock"
        flock 9
        locked=true
    fi
    if [[ -x $out ]]; then
        say "$name $version: cached"
    else
        command -v go >/dev/null || die "$name $version: no 'go' command on PATH (need go >= 1.26.0)"
        log=$logs/$name-$version.log
        start=$SECONDS
        cd "$here/$wrapper"
        say "$name $version: building (log: $log)"
        { echo "# $(date -u +%FT%TZ) $(go version) in $PWD"; } >"$log" 2>&1
        go mod download >>"$log" 2>&1 || fail "module download from the Go proxy failed"
        check_pins
        [[ $module != k8s.io/kubernetes ]] || kube_ldflags
        tmp=$bin/.$name-$version.tmp.$$
        echo "# go build -trimpath -buildvcs=false -tags '$tags' -ldflags '$ldflags' $pkg" >>"$log"
        go build -trimpath -buildvcs=false -tags "$tags" -ldflags "$ldflags" -o "$tmp" "$pkg" >>"$log" 2>&1 ||
            fail "go build failed"
        chmod 0755 "$tmp"
        mv -f "$tmp" "$out"
        tmp=
        say "$name $version: built in $((SECONDS - start)) s"
    fi
    # Stable name for the pinned version (relative link, so the cache folder can move).
    [[ $(readlink "$bin/$name" 2>/dev/null) == "$name-$version" ]] || ln -sfn "$name-$version" "$bin/$name"
    built_path=$out
}

print_path=false
tools=()
for arg in "$@"; do
    case $arg in
        --print-path) print_path=true ;;
        -h | --help) usage 0 ;;
        all) tools+=("${all_tools[@]}") ;;
        -*) echo "build.sh: unknown option '$arg'" >&2; usage ;;
        *) tools+=("$arg") ;;
    esac
done
if [[ ${#tools[@]} -eq 0 ]]; then
    $print_path && { echo "build.sh: --print-path needs a tool name" >&2; usage; }
    tools=("${all_tools[@]}")
fi
for name in "${tools[@]}"; do tool_info "$name"; done # reject unknown names before building any

if $print_path; then exec 3>&2; fi
total_start=$SECONDS
paths=()
for name in "${tools[@]}"; do
    build "$name"
    paths+=("$built_path")
done
if $print_path; then
    printf '%s\n' "${paths[@]}"
elif [[ ${#tools[@]} -gt 1 ]]; then
    say "all ${#tools[@]} tools ready in $bin ($((SECONDS - total_start)) s)"
fi
