#!/bin/bash
# CHECK: passes right after ADD (with and without prevResult), and fails with a message naming
# what is missing after each kind of tampering: the pod's default route, a pod address, the host
# side down, the host route.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init c
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create

conf=$(net_conf)
declare -A RES PODNS PODPATH

# add N: pod cN wired on eth0; exits the file if ADD fails (nothing else can be checked).
add() {
	pod_create "c$1"
	PODNS[$1]=$POD_NS
	PODPATH[$1]=$POD_PATH
	cni "$WT_NODE" ADD "wtc$$-$1" "$POD_PATH" eth0 "$conf"
	expect_ok "ADD pod $1" || exit 1
	RES[$1]=$CNI_OUT
}

# check_pod N: CHECK as a runtime sends it (prevResult = the ADD result).
check_pod() {
	cni "$WT_NODE" CHECK "wtc$$-$1" "${PODPATH[$1]}" eth0 "$(prev_conf "$conf" "${RES[$1]}")"
}

# ---- healthy ----------------------------------------------------------------------------------
add 1
check_pod 1
expect_ok "CHECK right after ADD"
cni "$WT_NODE" CHECK "wtc$$-1" "${PODPATH[1]}" eth0 "$conf"
expect_ok "CHECK without prevResult on a healthy pod"
cni "$WT_NODE" CHECK "wtc$$-1" "${PODPATH[1]}" eth9 "$(prev_conf "$conf" "${RES[1]}")"
expect_error "CHECK for an interface never added (eth9) fails" any "eth9"

# ---- tampered ---------------------------------------------------------------------------------
# The pod's IPv4 default route is deleted.
add 2
ip -n "${PODNS[2]}" -4 route del default
check_pod 2
expect_error "CHECK after deleting the pod's IPv4 default route names it" 109 "route" \
	"default|0\.0\.0\.0/0|$(re "$WT_GW4")"

# The pod's IPv6 address is removed.
add 3
v6=$(res_ip "${RES[3]}" 6)
ip -n "${PODNS[3]}" -6 addr del "$v6/128" dev eth0
check_pod 3
expect_error "CHECK after removing the pod's IPv6 address names it" 109 "$(re "$v6")"

# The pod's IPv4 address is removed.
add 4
v4=$(res_ip "${RES[4]}" 4)
ip -n "${PODNS[4]}" -4 addr del "$v4/32" dev eth0
check_pod 4
expect_error "CHECK after removing the pod's IPv4 address names it" 109 "$(re "$v4")"

# The host side is set down.
add 5
hostif=$(res_hostif "${RES[5]}")
ip -n "$WT_NODE" link set "$hostif" down
check_pod 5
expect_error "CHECK after setting the host side ($hostif) down names it" 109 "$(re "$hostif")"

# The host route to the pod's IPv4 address is deleted.
add 6
v4=$(res_ip "${RES[6]}" 4)
ip -n "$WT_NODE" -4 route del "$v4/32"
check_pod 6
expect_error "CHECK after deleting the host route to $v4 names it" 109 "route" "$(re "$v4")"

# The host route to the pod's IPv6 address is deleted.
add 7
v6=$(res_ip "${RES[7]}" 6)
ip -n "$WT_NODE" -6 route del "$v6/128"
check_pod 7
expect_error "CHECK after deleting the host route to $v6 names it" 109 "route" "$(re "$v6")"

# The permanent neighbour entry for the IPv4 gateway is deleted.
add 8
ip -n "${PODNS[8]}" -4 neigh del "$WT_GW4" dev eth0
check_pod 8
expect_error "CHECK after deleting the pod's neighbour entry for $WT_GW4 names it" 109 "$(re "$WT_GW4")"

# The host side is deleted altogether (the pod's end goes with it).
add 9
hostif=$(res_hostif "${RES[9]}")
ip -n "$WT_NODE" link del "$hostif"
check_pod 9
expect_error "CHECK after deleting the veth pair fails" 109 "$(re "$hostif")|eth0"

# The untouched pod is still fine after all that.
check_pod 1
expect_ok "CHECK on the untouched pod still passes"

for i in 1 2 3 4 5 6 7 8 9; do
	cni "$WT_NODE" DEL "wtc$$-$i" "${PODPATH[$i]}" eth0 "$(prev_conf "$conf" "${RES[$i]}")"
	[ "$CNI_RC" = 0 ] || fail "DEL pod $i after the CHECK tests" "$(cni_describe)"
done
left=$(node_links "$WT_NODE" | grep -vx -e lo -e uplink0)
expect_eq "DEL removed every tampered pod's host side" "$left" ""
