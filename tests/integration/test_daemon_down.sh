#!/bin/bash
# The plugin with daemonSocket set when weftd is not there: ADD fails with code 11 naming the
# socket and leaves nothing (no veth, no route, no address held), whether the socket file is
# missing, left behind by a killed daemon, or held by something that never answers; DEL of a pod
# added while weftd ran still cleans up with weftd stopped, and the next weftd forgets that pod.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init n
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create
weftd_setup n1
conf=$(conf_with "$(daemon_conf)" '. + {daemonTimeoutMs: 1000}')

pod_create a
PA=$POD_PATH
PA_NS=$POD_NS
pod_create b
PB=$POD_PATH
PB_NS=$POD_NS
base=$(node_snapshot "$WT_NODE")

# nothing_left NAME CID: node links/routes as before (with pod a), pod b has only lo, no address held.
nothing_left() {
	expect_same "$1: no link or route left in the node" "$with_a" "$(node_snapshot "$WT_NODE")"
	expect_same "$1: no link left in the pod" "lo" "$(node_links "$PB_NS")"
	expect_not_held "$1: no address held for $2" "$WT_DATADIR" "$2"
}

# ---- a pod added while weftd runs --------------------------------------------------------------
if weftd_start >"$WT_TMP/out/start"; then
	pass "weftd starts"
else
	fail "weftd starts" "$(cat "$WT_TMP/out/start")"
	exit 1
fi
cni "$WT_NODE" ADD "wtn$$-live" "$PA" eth0 "$conf"
expect_ok "ADD with weftd running" || exit 1
RA=$CNI_OUT
HA=$(res_hostif "$RA")
with_a=$(node_snapshot "$WT_NODE")
expect_eq "weftd has the pod" "$(wctl -o json endpoint list | jq -r '[.endpoints[].container_id] | join(" ")')" "wtn$$-live"
weftd_stop TERM
expect_eq "weftd exits 0 on SIGTERM" "$WD_RC" 0
check_fails "SIGTERM removed the socket file" test -e "$WD_SOCK"

# ---- ADD with no daemon -------------------------------------------------------------------------
cni "$WT_NODE" ADD "wtn$$-nosock" "$PB" eth0 "$conf"
expect_error "ADD with no socket file: code 11 naming the socket" 11 "$(re "$WD_SOCK")"
nothing_left "ADD with no socket file" "wtn$$-nosock"

# A socket file nobody listens on (what SIGKILL leaves): connection refused.
if weftd_start >"$WT_TMP/out/start"; then
	weftd_stop KILL
	if [ -S "$WD_SOCK" ]; then
		pass "SIGKILL leaves the socket file behind"
		cni "$WT_NODE" ADD "wtn$$-stale" "$PB" eth0 "$conf"
		expect_error "ADD with a stale socket file: code 11 naming the socket" 11 "$(re "$WD_SOCK")"
		nothing_left "ADD with a stale socket file" "wtn$$-stale"
	else
		fail "SIGKILL leaves the socket file behind" "no socket at $WD_SOCK"
	fi
else
	fail "weftd restarts" "$(cat "$WT_TMP/out/start")"
fi

# Something that accepts and never answers: ADD gives up after daemonTimeoutMs (1 s here), not
# the runtime's timeout, and still rolls back (including its best-effort endpoint.del).
hang=$WT_TMP/hang.sock
timeout 30 socat UNIX-LISTEN:"$hang",fork SYSTEM:'sleep 5' >/dev/null 2>&1 &
bg_track $!
for i in $(seq 50); do [ -S "$hang" ] && break; sleep 0.1; done
c=$(conf_with "$conf" '.daemonSocket = $s' --arg s "$hang")
start=$(date +%s%N)
cni "$WT_NODE" ADD "wtn$$-hang" "$PB" eth0 "$c"
ms=$((($(date +%s%N) - start) / 1000000))
expect_error "ADD against a daemon that never answers: code 11 naming the socket" 11 "$(re "$hang")"
check "... within a few daemonTimeoutMs (took $ms ms)" test "$ms" -lt 6000
nothing_left "ADD against a silent daemon" "wtn$$-hang"

# ---- DEL with no daemon -------------------------------------------------------------------------
cni "$WT_NODE" DEL "wtn$$-live" "$PA" eth0 "$(prev_conf "$conf" "$RA")"
expect_ok "DEL with weftd stopped succeeds"
check_fails "DEL removed the host veth $HA" ip -n "$WT_NODE" link show dev "$HA"
expect_eq "DEL removed the pod's eth0" "$(node_links "$PA_NS")" "lo"
expect_same "DEL left the node as at the start" "$base" "$(node_snapshot "$WT_NODE")"
expect_not_held "DEL released the pod's addresses" "$WT_DATADIR" "wtn$$-live"

# The next weftd finds the record of a pod whose veth is gone, and forgets it.
if weftd_start >"$WT_TMP/out/start"; then
	pass "weftd starts again"
	expect_eq "the restarted weftd dropped the stale endpoint" "$(ep_ids)" ""
	check "its log says why" grep -q "wtn$$-live" "$WD_LOG"
	cni "$WT_NODE" ADD "wtn$$-after" "$PB" eth0 "$conf"
	expect_ok "ADD with weftd back"
	check "the new pod answers from the node" ping_from "$WT_NODE" "$(res_ip "$CNI_OUT" 4)"
	cni "$WT_NODE" DEL "wtn$$-after" "$PB" eth0 "$(prev_conf "$conf" "$CNI_OUT")"
	expect_ok "DEL with weftd back"
	expect_eq "no endpoint left" "$(ep_ids)" ""
	weftd_stop TERM
else
	fail "weftd starts again" "$(cat "$WT_TMP/out/start")"
fi
