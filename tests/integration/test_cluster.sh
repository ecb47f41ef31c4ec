#!/bin/bash
# Three nodes, one flat network: the sandbox cluster (tests/sandbox/sandbox) with a weftd per node
# peering over BGP, in overlay mode with a full mesh, in native mode with a full mesh, and in
# overlay mode behind a BIRD route reflector. Each time: BGP routes for the other nodes' pod CIDRs
# installed on every node; pod <-> pod across nodes over IPv4 and IPv6 (ping, and TCP); node ->
# pod on another node; pod -> an address outside the cluster (the "world" namespace, which has no
# route to pods, so only masquerade gets a reply back); `sandbox down` leaves nothing. In the
# full-mesh overlay run also: SIGKILL of a node's weftd and its restart (graceful restart: its
# peers keep its routes, its pinned data path keeps forwarding) lose nothing of a 100/s ping and a
# TCP stream crossing that node.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init q
SB=$(cd "$(dirname "$0")/../sandbox" && pwd)/sandbox
# The sandbox names its namespaces NAME-*, so NAME carries our prefix and PID.
NAME=wtq$$
export WEFT_BIN_DIR=${WEFT_BIN_DIR:-$WT_BIN}
sb() { "$SB" --name "$NAME" "$@"; }
sandbox_down() { sb down >/dev/null 2>&1; }
trap 'sandbox_down; wt_cleanup' EXIT

ns_of() { echo "$NAME-pod-$1"; }

# restart_without_loss LABEL: p1 (node1) pings p2 (node2) at 100/s over IPv4 and IPv6 and streams
# a counted number of bytes to it over TCP while node2's weftd is SIGKILLed and started again.
restart_without_loss() {
	local label=$1 d4 d6 out4 out6 pid4 pid6 spid cpid installed want=$((64 * 1024 * 1024)) got
	d4=$(sb pod ip p2 4)
	d6=$(sb pod ip p2 6)
	out4=$WT_TMP/ping4.out out6=$WT_TMP/ping6.out
	ip netns exec "$(ns_of p2)" timeout 30 socat -u TCP4-LISTEN:7171,reuseaddr - 2>/dev/null |
		wc -c >"$WT_TMP/bytes" &
	spid=$!
	bg_track "$spid"
	sleep 0.3
	ip netns exec "$(ns_of p1)" timeout 20 ping -n -q -i 0.01 -c 500 -W 1 "$d4" >"$out4" 2>&1 &
	pid4=$!
	ip netns exec "$(ns_of p1)" timeout 20 ping -n -q -i 0.01 -c 500 -W 1 "$d6" >"$out6" 2>&1 &
	pid6=$!
	# A stream paced to last the whole restart (64 chunks of 1 MiB, 0.1 s apart), byte-counted at
	# the far end.
	for _ in $(seq 64); do head -c 1048576 /dev/zero; sleep 0.1; done |
		ip netns exec "$(ns_of p1)" timeout 25 socat -u - "TCP4:$d4:7171,connect-timeout=3" 2>/dev/null &
	cpid=$!
	bg_track "$pid4"
	bg_track "$pid6"
	bg_track "$cpid"
	sleep 1.5
	check "$label: SIGKILL node2's weftd mid-traffic" sb node kill node2
	sleep 0.5
	check "$label: node2's weftd starts again and adopts its pins" sb node start node2
	wait "$pid4" "$pid6" "$cpid"
	wait "$spid"
	got=$(cat "$WT_TMP/bytes" 2>/dev/null)
	expect_eq "$label: 100/s IPv4 ping across the restart: replies" \
		"$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$out4")" 500
	expect_eq "$label: 100/s IPv6 ping across the restart: replies" \
		"$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$out6")" 500
	expect_eq "$label: TCP stream across the restart: bytes that arrived" "${got:-0}" "$want"
	for _ in $(seq 50); do
		installed=$(sb weftctl node1 route list -o json 2>/dev/null |
			jq -r '[.routes[] | select(.best and .from != "local" and .stale == false)] | length' 2>/dev/null)
		[ "$installed" = 4 ] && break
		sleep 0.2
	done
	expect_eq "$label: after the restart node1's routes from node2 are fresh again" "${installed:-none}" 4
}

# cluster_run LABEL UP-ARGS...: one cluster, every check, then down.
cluster_run() {
	local label=$1 n p fam dst installed want
	shift
	if ! out=$(sb up --nodes 3 "$@" 2>&1); then
		fail "$label: sandbox up $*" "$(printf '%s' "$out" | tail -n 5)"
		sandbox_down
		return
	fi
	pass "$label: sandbox up $*"
	for n in 1 2 3; do
		check "$label: pod add node$n p$n" sb pod add "node$n" "p$n" || { sandbox_down; return; }
	done

	# Every node has the two other nodes' IPv4 and IPv6 pod CIDRs as installed best routes.
	for n in 1 2 3; do
		installed=$(sb weftctl "node$n" route list -o json 2>/dev/null |
			jq -r '[.routes[] | select(.best and .from != "local" and .installed != null
				and .installed != "failed" and .installed != "-")] | length' 2>/dev/null)
		expect_eq "$label: node$n installed the 4 remote pod CIDRs" "${installed:-none}" 4
	done

	for pair in "1 2" "2 3" "3 1"; do
		set -- $pair
		for fam in 4 6; do
			dst=$(sb pod ip "p$2" "$fam")
			check "$label: ping p$1 (node$1) -> p$2 (node$2) $dst" ping_from "$(ns_of "p$1")" "$dst"
		done
	done
	for fam in 4 6; do
		dst=$(sb pod ip p3 "$fam")
		check "$label: TCP p1 -> p3 $dst" tcp_echo "$(ns_of p3)" "$(ns_of p1)" "$dst" 7070
		check "$label: node1 -> p2 IPv$fam" ping_from "$NAME-node1" "$(sb pod ip p2 "$fam")"
	done
	check "$label: pod -> outside IPv4 (masqueraded)" ping_from "$(ns_of p2)" 203.0.113.1
	check "$label: pod -> outside IPv6 (masqueraded)" ping_from "$(ns_of p2)" 2001:db8:ff::1

	[ "$label" = overlay ] && restart_without_loss "$label"

	check "$label: sandbox down" sb down
	left=$(ip netns list | awk '{print $1}' | grep -c "^$NAME-")
	expect_eq "$label: no namespace left" "$left" 0
}

cluster_run overlay --mode overlay
cluster_run native --mode native
if command -v bird >/dev/null 2>&1; then
	cluster_run "overlay+bird-rr" --mode overlay --rr bird
else
	echo "SKIP: route reflector run: bird (bird2) is not installed (make deps)"
fi
