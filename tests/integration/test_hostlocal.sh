#!/bin/bash
# weft with the reference host-local IPAM (which stops at CNI 1.0.0) under a 1.1.0 config: ADD,
# traffic both families, CHECK, DEL, and host-local's files for the pods are gone afterwards.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init h
require_plugins "$WT_PLUGIN_TYPE" host-local
node_create

ipam=$(jq -cn --arg d "$WT_DATADIR" '{type: "host-local", dataDir: $d,
	ranges: [[{subnet: "10.244.5.0/24"}], [{subnet: "fd00:10:244:5::/64"}]]}')
conf=$(net_conf 1.1.0 "$ipam")
base=$(node_snapshot "$WT_NODE")
declare -A RES PODNS PODPATH V4 V6

for i in 1 2; do
	pod_create "h$i"
	PODNS[$i]=$POD_NS
	PODPATH[$i]=$POD_PATH
	cni "$WT_NODE" ADD "wth$$-$i" "$POD_PATH" eth0 "$conf"
	expect_ok "ADD pod $i with host-local (1.1.0 config)" || exit 1
	RES[$i]=$CNI_OUT
	V4[$i]=$(res_ip "$CNI_OUT" 4)
	V6[$i]=$(res_ip "$CNI_OUT" 6)
	expect_eq "pod $i: result is 1.1.0" "$(jq -r .cniVersion <<<"$CNI_OUT")" 1.1.0
	expect_eq "pod $i: addresses from host-local's ranges" \
		"$(printf '%s %s' "${V4[$i]}" "${V6[$i]}" | sed -E 's/^10\.244\.5\.[0-9]+ fd00:10:244:5::[0-9a-f]+$/ok/')" ok
	a=$(ip -n "$POD_NS" -4 -o addr show dev eth0 scope global | awk '{print $4}')
	expect_eq "pod $i: IPv4 on eth0 is a /32" "$a" "${V4[$i]}/32"
	check "pod $i: host-local recorded the allocation" test -n "$(ipam_mentions "$WT_DATADIR" "wth$$-$i")"
done

check "ping IPv4 pod 1 -> pod 2" ping_from "${PODNS[1]}" "${V4[2]}"
check "ping IPv6 pod 2 -> pod 1" ping_from "${PODNS[2]}" "${V6[1]}"
check "ping IPv4 pod 1 -> node" ping_from "${PODNS[1]}" "$WT_NODE4"
check "ping IPv6 node -> pod 2" ping_from "$WT_NODE" "${V6[2]}"
check "TCP IPv4 pod 1 -> pod 2" tcp_echo "${PODNS[2]}" "${PODNS[1]}" "${V4[2]}" 5101
check "TCP IPv6 pod 2 -> pod 1" tcp_echo "${PODNS[1]}" "${PODNS[2]}" "${V6[1]}" 5102

cni "$WT_NODE" CHECK "wth$$-1" "${PODPATH[1]}" eth0 "$(prev_conf "$conf" "${RES[1]}")"
expect_ok "CHECK with host-local"

for i in 1 2; do
	cni "$WT_NODE" DEL "wth$$-$i" "${PODPATH[$i]}" eth0 "$(prev_conf "$conf" "${RES[$i]}")"
	expect_ok "DEL pod $i with host-local"
	expect_not_held "pod $i: host-local released both addresses" "$WT_DATADIR" "wth$$-$i" "${V4[$i]}" "${V6[$i]}"
done
expect_same "after DEL the node's links and routes are as before" "$base" "$(node_snapshot "$WT_NODE")"
