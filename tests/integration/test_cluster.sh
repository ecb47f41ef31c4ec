#!/bin/bash
# Three nodes, one flat network: the sandbox cluster (tests/sandbox/sandbox) with a weftd per node
# peering over BGP, in overlay mode with a full mesh, in native mode with a full mesh, and in
# overlay mode behind a BIRD route reflector. Each time: BGP routes for the other nodes' pod CIDRs
# installed on every node; pod <-> pod across nodes over IPv4 and IPv6 (ping, and TCP); node ->
# pod on another node; pod -> an address outside the cluster (the "world" namespace, which has no
# route to pods, so only masquerade gets a reply back); `sandbox down` leaves nothing.
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
