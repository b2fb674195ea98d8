# shellcheck shell=bash
# The sandbox's model of the API server the kubelet runs from its static Pod manifest, which the curl
# stand-in asks (/readyz) and the crictl stand-in looks at (its container). Sourced by both.
#   $STATE/apiserver/fails-on     manifest lines, one a line: the API server exits at start while the
#                                 manifest it runs holds one of them, as a bad flag or file makes it; a
#                                 line "*": whatever it runs (it never comes back)
#   $STATE/apiserver/restart-lag  present: the kubelet notices a changed manifest late, so the API server
#                                 is the one started from $STATE/apiserver/running.yaml (the test writes
#                                 the manifest it starts with there; without it, the manifest of the first
#                                 look); after each look the kubelet restarts it from the manifest in place
APISERVER_MANIFEST=$ROOT/etc/kubernetes/manifests/kube-apiserver.yaml

# The manifest the running API server was started from, in APISERVER_RUNNING.
apiserver_running() {
    APISERVER_RUNNING=$APISERVER_MANIFEST
    if [[ -f $STATE/apiserver/restart-lag ]]; then
        APISERVER_RUNNING=$STATE/apiserver/running.yaml
        [[ -f $APISERVER_RUNNING || ! -f $APISERVER_MANIFEST ]] || cp "$APISERVER_MANIFEST" "$APISERVER_RUNNING"
    fi
}

# Status 0 when the API server started from APISERVER_RUNNING exits at start (or there is none).
apiserver_down() {
    local bad line
    [[ -f $APISERVER_RUNNING ]] || return 0
    [[ -f $STATE/apiserver/fails-on ]] || return 1
    while IFS= read -r bad; do
        [[ -n $bad ]] || continue
        [[ $bad != "*" ]] || return 0
        while IFS= read -r line; do
            [[ $line != "$bad" ]] || return 0
        done <"$APISERVER_RUNNING"
    done <"$STATE/apiserver/fails-on"
    return 1
}

# After a look, a lagging kubelet catches up with the manifest in place (none: no API server).
apiserver_catch_up() {
    [[ $APISERVER_RUNNING != "$APISERVER_MANIFEST" ]] || return 0
    if [[ -f $APISERVER_MANIFEST ]]; then
        cmp -s "$APISERVER_MANIFEST" "$APISERVER_RUNNING" || cp "$APISERVER_MANIFEST" "$APISERVER_RUNNING"
    else
        rm -f "$APISERVER_RUNNING"
    fi
}
