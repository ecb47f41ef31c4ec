#!/bin/bash
# GC releases every attachment (host veth, routes, addresses) that is not in the runtime's list
# (cni.dev/valid-attachments, or cni.dev/attachments as newer libcni also sends), and keeps the
# listed ones working. STATUS: 0 with a usable IPAM store, 50 when the store is unusable.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init g
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create

conf=$(net_conf 1.1.0)
base=$(node_snapshot "$WT_NODE")
declare -A RES PODNS

add() {
	pod_create "g$1"
	PODNS[$1]=$POD_NS
	cni "$WT_NODE" ADD "wtg$$-$1" "$POD_PATH" eth0 "$conf"
	expect_ok "ADD pod $1" || exit 1
	RES[$1]=$CNI_OUT
}

# gc KEY ID...: GC with the attachments of those pods listed under KEY.
gc() {
	local key=$1 list
	shift
	list=$(for i in "$@"; do jq -cn --arg c "wtg$$-$i" '{containerID: $c, ifname: "eth0"}'; done | jq -cs .)
	cni_gc "$WT_NODE" "$(conf_with "$conf" '.[$k] = $l' --arg k "$key" --argjson l "$list")"
}

# kept I: pod I still wired: host side present, reachable, its allocation still held.
kept() {
	local h a
	h=$(res_hostif "${RES[$1]}")
	a=$(res_ip "${RES[$1]}" 4)
	ip -n "$WT_NODE" link show dev "$h" >/dev/null 2>&1 || { echo "host side $h of pod $1 is gone"; return 1; }
	ping_from "$WT_NODE" "$a" || return 1
	ping_from "$WT_NODE" "$(res_ip "${RES[$1]}" 6)" || return 1
	[ -n "$(ipam_mentions "$WT_DATADIR" "wtg$$-$1")" ] || { echo "pod $1's allocation is no longer in the store"; return 1; }
}

# released I: pod I's host side, routes, pod interface and allocation are gone.
released() {
	local h a4 a6
	h=$(res_hostif "${RES[$1]}")
	a4=$(res_ip "${RES[$1]}" 4)
	a6=$(res_ip "${RES[$1]}" 6)
	! ip -n "$WT_NODE" link show dev "$h" >/dev/null 2>&1 || { echo "host side $h of pod $1 still exists"; return 1; }
	[ -z "$(ip -n "$WT_NODE" -4 route show "$a4/32")" ] || { echo "route to $a4 still there"; return 1; }
	[ -z "$(ip -n "$WT_NODE" -6 route show "$a6/128")" ] || { echo "route to $a6 still there"; return 1; }
	! ip -n "${PODNS[$1]}" link show dev eth0 >/dev/null 2>&1 || { echo "pod $1 still has eth0"; return 1; }
	[ -z "$(ipam_mentions "$WT_DATADIR" "wtg$$-$1")" ] || { echo "pod $1 still in the store: $(ipam_mentions "$WT_DATADIR" "wtg$$-$1")"; return 1; }
}

add 1
add 2
add 3
gc cni.dev/valid-attachments 1
expect_ok "GC with cni.dev/valid-attachments listing pod 1"
check "GC (valid-attachments): pod 1 kept and working" kept 1
check "GC (valid-attachments): pod 2 released" released 2
check "GC (valid-attachments): pod 3 released" released 3

add 4
add 5
gc cni.dev/attachments 1 4
expect_ok "GC with cni.dev/attachments listing pods 1 and 4"
check "GC (attachments): pod 1 kept" kept 1
check "GC (attachments): pod 4 kept" kept 4
check "GC (attachments): pod 5 released" released 5

gc cni.dev/valid-attachments 1 4
expect_ok "GC again with nothing to release"
check "GC again: pod 4 still kept" kept 4

gc cni.dev/valid-attachments
expect_ok "GC with an empty list"
check "GC with an empty list: pod 1 released" released 1
check "GC with an empty list: pod 4 released" released 4
expect_same "GC with an empty list: the node's links and routes as before any ADD" "$base" "$(node_snapshot "$WT_NODE")"

# Released addresses can be handed out again: a new pod gets one.
add 6
check "a pod added after GC works" kept 6

# ---- STATUS -------------------------------------------------------------------------------------
cni_status "$WT_NODE" "$conf"
expect_ok "STATUS with a usable IPAM store: 0"
echo "this is a file, not a directory" >"$WT_TMP/not-a-dir"
cni_status "$WT_NODE" "$(conf_with "$conf" '.ipam.dataDir = $d' --arg d "$WT_TMP/not-a-dir")"
expect_error "STATUS with a regular file as the IPAM dataDir: 50" 50
cni_status "$WT_NODE" "$(conf_with "$conf" '.ipam.dataDir = $d' --arg d "$WT_TMP/not-a-dir/sub")"
expect_error "STATUS with a dataDir under a regular file: 50" 50
cni_status "$WT_NODE" "$(conf_with "$conf" '.ipam.type = "wtg-no-such-ipam"')"
expect_error "STATUS with an IPAM plugin that does not exist: 50" 50
