#!/bin/bash
# DEL leaves nothing and never fails for what a runtime really sends: repeated DELs, unknown
# containers, an empty CNI_NETNS (containerd), a pod netns already gone, no prevResult. The
# range holds exactly one address per family, so every ADD after the first also proves that
# the DEL before it released the address.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init d
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create

A4=10.244.3.10
A6=fd00:10:244:3::10
ipam=$(jq -cn --arg t "$WT_IPAM_TYPE" --arg d "$WT_DATADIR" --arg a4 "$A4" --arg a6 "$A6" '{type: $t, dataDir: $d,
	ranges: [[{subnet: "10.244.3.0/24", rangeStart: $a4, rangeEnd: $a4}],
	         [{subnet: "fd00:10:244:3::/64", rangeStart: $a6, rangeEnd: $a6}]]}')
conf=$(net_conf "$WT_VERSION" "$ipam")
base=$(node_snapshot "$WT_NODE")

# add CID POD_PATH: ADD on eth0 that must get the range's only addresses; sets RES.
add() {
	cni "$WT_NODE" ADD "$1" "$2" eth0 "$conf"
	RES=$CNI_OUT
	if [ "$CNI_RC" != 0 ]; then
		fail "ADD $1" "$(cni_describe)"
		return 1
	fi
	if [ "$(res_ip "$RES" 4) $(res_ip "$RES" 6)" != "$A4 $A6" ]; then
		fail "ADD $1 gets the range's only addresses" "got $(res_ip "$RES" 4) $(res_ip "$RES" 6), want $A4 $A6"
		return 1
	fi
	pass "ADD $1 gets $A4 and $A6 (so the previous DEL released them)"
}

# gone NAME CID: nothing of CID is left in the node or the store.
gone() {
	expect_same "$1: node links and routes as before the ADD" "$base" "$(node_snapshot "$WT_NODE")"
	expect_not_held "$1: nothing of $2 in the IPAM store" "$WT_DATADIR" "$2" "$A4" "$A6"
}

# ---- a plain DEL, then again, then unknown ------------------------------------------------------
pod_create a
PA=$POD_PATH
cid=wtd$$-one
add "$cid" "$PA" || exit 1
hostif=$(res_hostif "$RES")
check "after ADD the host side $hostif exists" ip -n "$WT_NODE" link show dev "$hostif"
cni "$WT_NODE" DEL "$cid" "$PA" eth0 "$(prev_conf "$conf" "$RES")"
expect_ok "DEL with prevResult"
gone "DEL with prevResult" "$cid"
check_fails "DEL removed the pod's eth0" ip -n "$POD_NS" link show dev eth0
cni "$WT_NODE" DEL "$cid" "$PA" eth0 "$(prev_conf "$conf" "$RES")"
expect_ok "DEL again (with prevResult) succeeds"
cni "$WT_NODE" DEL "$cid" "$PA" eth0 "$conf"
expect_ok "DEL again (without prevResult) succeeds"
cni "$WT_NODE" DEL "wtd$$-never-added" "$PA" eth0 "$conf"
expect_ok "DEL of an unknown container succeeds"
cni "$WT_NODE" DEL "wtd$$-never-added" "" eth0 "$conf"
expect_ok "DEL of an unknown container with an empty CNI_NETNS succeeds"
cni "$WT_NODE" DEL "wtd$$-never-added" "/run/netns/$WT_PREFIX-no-such-netns" eth0 "$conf"
expect_ok "DEL of an unknown container with a missing netns succeeds"
gone "DELs of unknown containers" "wtd$$-never-added"

# ---- without prevResult ------------------------------------------------------------------------
cid=wtd$$-noprev
pod_create c
if add "$cid" "$POD_PATH"; then
	cni "$WT_NODE" DEL "$cid" "$POD_PATH" eth0 "$conf"
	expect_ok "DEL without prevResult"
	gone "DEL without prevResult" "$cid"
fi

# ---- empty CNI_NETNS (containerd sends DEL that way, with prevResult) ---------------------------
cid=wtd$$-containerd
pod_create d
if add "$cid" "$POD_PATH"; then
	cni "$WT_NODE" DEL "$cid" "" eth0 "$(prev_conf "$conf" "$RES")"
	expect_ok "DEL with an empty CNI_NETNS"
	gone "DEL with an empty CNI_NETNS" "$cid"
	check_fails "DEL with an empty CNI_NETNS also removed the pod's eth0" ip -n "$POD_NS" link show dev eth0
fi

# ---- the pod's netns deleted before DEL ---------------------------------------------------------
pod_create b
PB=$POD_PATH
cid=wtd$$-netnsgone
if add "$cid" "$PB"; then
	ns_del b
	cni "$WT_NODE" DEL "$cid" "$PB" eth0 "$(prev_conf "$conf" "$RES")"
	expect_ok "DEL after the pod's netns was deleted"
	# The kernel destroys a dead netns's devices asynchronously; give it a bounded moment.
	for i in $(seq 50); do
		[ "$(node_snapshot "$WT_NODE")" = "$base" ] && break
		sleep 0.1
	done
	gone "DEL after the pod's netns was deleted" "$cid"
fi

# ---- the host side deleted by hand before DEL -----------------------------------------------------
cid=wtd$$-hostgone
pod_create e
if add "$cid" "$POD_PATH"; then
	ip -n "$WT_NODE" link del "$(res_hostif "$RES")"
	cni "$WT_NODE" DEL "$cid" "$POD_PATH" eth0 "$(prev_conf "$conf" "$RES")"
	expect_ok "DEL after the host side was deleted by hand"
	gone "DEL after the host side was deleted by hand" "$cid"
fi

# ---- the addresses are free for a last pod --------------------------------------------------------
cid=wtd$$-last
pod_create f
if add "$cid" "$POD_PATH"; then
	check "the last pod reaches the node" ping_from "$POD_NS" "$WT_NODE4"
	cni "$WT_NODE" DEL "$cid" "$POD_PATH" eth0 "$(prev_conf "$conf" "$RES")"
	expect_ok "DEL of the last pod"
	gone "DEL of the last pod" "$cid"
fi
