#!/bin/bash
# weftd's eBPF data path on one node, pods wired by the plugin with daemonSocket set: every pod is
# registered (weftctl endpoint list, the weft_ep_ip map), the program runs at each host veth (one
# pinned tcx link each, the status' program), pod-to-pod traffic in both families goes through
# it (its counters move, and it still flows with forwarding off in the node, which only the
# program's redirect can do), pod-to-node goes through the kernel, spoofed sources and MACs and
# router advertisements from a pod are dropped and counted, and DEL unregisters everything.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init e
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create
weftd_setup n1
if weftd_start >"$WT_TMP/out/start"; then
	pass "weftd starts in the node namespace and answers status"
else
	fail "weftd starts in the node namespace and answers status" "$(cat "$WT_TMP/out/start")"
	exit 1
fi

conf=$(daemon_conf)
declare -A RES V4 V6 HOSTIF PODNS CID EP IFX MAC
for i in 1 2 3; do
	pod_create "p$i"
	PODNS[$i]=$POD_NS
	CID[$i]=wte$$-pod$i
	cni "$WT_NODE" ADD "${CID[$i]}" "$POD_PATH" eth0 "$conf" "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-$i"
	expect_ok "ADD pod $i with daemonSocket" || exit 1
	RES[$i]=$CNI_OUT
	V4[$i]=$(res_ip "$CNI_OUT" 4)
	V6[$i]=$(res_ip "$CNI_OUT" 6)
	HOSTIF[$i]=$(res_hostif "$CNI_OUT")
	IFX[$i]=$(ip netns exec "$WT_NODE" cat "/sys/class/net/${HOSTIF[$i]}/ifindex" 2>/dev/null)
	MAC[$i]=$(ip -n "${PODNS[$i]}" -o link show dev eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
done

# ---- registration ------------------------------------------------------------------------------
list=$(wctl -o json endpoint list)
check "weftctl -o json endpoint list parses" jq -e '.endpoints | type == "array"' <<<"$list"
expect_eq "three endpoints registered" "$(jq '.endpoints | length' <<<"$list" 2>/dev/null)" 3
check_registered() {
	local i=$1 e
	e=$(jq -c --arg c "${CID[$i]}" '.endpoints[] | select(.container_id == $c)' <<<"$list")
	[ -n "$e" ] || { echo "no endpoint for ${CID[$i]}"; return 1; }
	jq -e --arg v4 "${V4[$i]}" --arg v6 "${V6[$i]}" --arg h "${HOSTIF[$i]}" --argjson x "${IFX[$i]:-0}" \
		--arg m "${MAC[$i]}" --arg ns "/run/netns/${PODNS[$i]}" --arg net "$WT_NET" --arg pod "web-$i" '
		(.ips | sort) == ([$v4, $v6] | sort) and .ifname == "eth0" and .host_ifname == $h and
		.host_ifindex == $x and .pod_mac == $m and .netns == $ns and .network == $net and
		.pod_name == $pod and .pod_namespace == "default" and (.id | type) == "number"' <<<"$e" >/dev/null ||
		{ echo "endpoint $e; want ips ${V4[$i]} ${V6[$i]}, host veth ${HOSTIF[$i]} (${IFX[$i]}), pod mac ${MAC[$i]}"; return 1; }
	EP[$i]=$(jq -r .id <<<"$e")
}
for i in 1 2 3; do
	# Not through check: EP[] must be set in this shell.
	if out=$(check_registered "$i") && check_registered "$i" >/dev/null; then
		pass "pod $i registered: addresses, host veth, ifindex, MACs, netns, network, pod name"
	else
		fail "pod $i registered: addresses, host veth, ifindex, MACs, netns, network, pod name" "$out"
	fi
done
[ -n "${EP[1]:-}" ] && [ -n "${EP[2]:-}" ] && [ -n "${EP[3]:-}" ] || exit 1
table=$(wctl endpoint list)
check "weftctl endpoint list (table) shows each pod as default/web-N" \
	bash -c 'for i in 1 2 3; do grep -q "default/web-$i" <<<"$1" || exit 1; done' _ "$table"

# ---- the program at each veth ------------------------------------------------------------------
st=$(wctl -o json status)
PROG=$(jq -r '.programs[0].id // empty' <<<"$st" 2>/dev/null)
check "status: one program, attached at 3 of 3 endpoints' veths" \
	jq -e '.endpoints == 3 and (.programs | length) == 1 and .programs[0].attached == 3 and
		.programs[0].endpoints == 3 and (.programs[0].id | type) == "number"' <<<"$st"
LINKS=$WD_BPF/weft/$WD_NAME/links
check_link() {
	local i=$1 p l
	p=$LINKS/${IFX[$i]}
	[ -e "$p" ] || { echo "no pinned link $p"; return 1; }
	l=$(bpftool -j link show pinned "$p" 2>&1)
	jq -e --argjson prog "${PROG:-0}" '.prog_id == $prog' <<<"$l" >/dev/null ||
		{ echo "link $p: $l; want prog_id $PROG"; return 1; }
	[ "$(wctl -o json endpoint get "${EP[$i]}" | jq -r .attached)" = true ] ||
		{ echo "endpoint get ${EP[$i]} says not attached"; return 1; }
}
for i in 1 2 3; do
	check "pod $i: pinned tcx link at ifindex ${IFX[$i]} runs program $PROG; endpoint get says attached" check_link "$i"
done

# ---- the maps ----------------------------------------------------------------------------------
dump=$(wctl -o json bpf map dump weft_ep_ip)
check_ep_ip() {
	local i fam a
	for i in 1 2 3; do
		for fam in 4 6; do
			if [ $fam = 4 ]; then a=${V4[$i]}; else a=${V6[$i]}; fi
			jq -e --argjson f $fam --arg a "$a" --argjson id "${EP[$i]}" --argjson x "${IFX[$i]}" \
				'[.entries[] | select(.key.family == $f and .key.addr == $a and .value.id == $id and
					.value.ifindex == $x)] | length == 1' <<<"$dump" >/dev/null ||
				{ echo "no entry $a -> endpoint ${EP[$i]} (ifindex ${IFX[$i]}) in $(cut -c1-300 <<<"$dump")"; return 1; }
		done
	done
	[ "$(jq '.entries | length' <<<"$dump")" = 6 ] || { echo "want 6 entries, got $(jq '.entries | length' <<<"$dump")"; return 1; }
}
check "bpf map dump weft_ep_ip: each pod's IPv4 and IPv6 -> its endpoint, nothing else" check_ep_ip
table=$(wctl bpf map dump weft_ep_ip)
check "bpf map dump weft_ep_ip (table) lists the pods' addresses" \
	bash -c 'for a in "${@:2}"; do grep -qF -- " $a " <<<"$1" || exit 1; done' _ "$table" \
	"${V4[1]}" "${V4[2]}" "${V4[3]}" "${V6[1]}" "${V6[2]}" "${V6[3]}"

# ---- pod to pod, through the program -----------------------------------------------------------
f1=$(ep_ctr "${EP[1]}" from_pod_packets)
t2=$(ep_ctr "${EP[2]}" to_pod_packets)
for pair in "1 2" "2 3" "3 1"; do
	set -- $pair
	check "ping IPv4 pod $1 -> pod $2" ping_from "${PODNS[$1]}" "${V4[$2]}"
	check "ping IPv6 pod $1 -> pod $2" ping_from "${PODNS[$1]}" "${V6[$2]}"
done
check "TCP IPv4 pod 1 -> pod 2" tcp_echo "${PODNS[2]}" "${PODNS[1]}" "${V4[2]}" 5101
check "TCP IPv6 pod 1 -> pod 2" tcp_echo "${PODNS[2]}" "${PODNS[1]}" "${V6[2]}" 5102
f1b=$(ep_ctr "${EP[1]}" from_pod_packets)
t2b=$(ep_ctr "${EP[2]}" to_pod_packets)
# pod 1 sent at least 2 echo requests + the TCP exchanges; pod 2 got them delivered by the program.
check "pod 1's from_pod counter grew ($f1 -> $f1b)" test "${f1b:-0}" -ge $((${f1:-0} + 8))
check "pod 2's to_pod counter grew ($t2 -> $t2b)" test "${t2b:-0}" -ge $((${t2:-0} + 8))

# Forwarding off in the node: the kernel can no longer route between pods, only the program's
# redirect straight into the peer namespace delivers. The node's own addresses still answer.
fw4=$(ip netns exec "$WT_NODE" cat /proc/sys/net/ipv4/ip_forward)
fw6=$(ip netns exec "$WT_NODE" cat /proc/sys/net/ipv6/conf/all/forwarding)
ip netns exec "$WT_NODE" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward; echo 0 >/proc/sys/net/ipv6/conf/all/forwarding'
t3=$(ep_ctr "${EP[3]}" to_pod_packets)
check "forwarding off: ping IPv4 pod 1 -> pod 3 (only BPF can deliver)" ping_from "${PODNS[1]}" "${V4[3]}"
check "forwarding off: ping IPv6 pod 2 -> pod 3 (only BPF can deliver)" ping_from "${PODNS[2]}" "${V6[3]}"
check "forwarding off: TCP IPv4 pod 2 -> pod 3" tcp_echo "${PODNS[3]}" "${PODNS[2]}" "${V4[3]}" 5103
check "forwarding off: TCP IPv6 pod 3 -> pod 1" tcp_echo "${PODNS[1]}" "${PODNS[3]}" "${V6[1]}" 5104
t3b=$(ep_ctr "${EP[3]}" to_pod_packets)
check "pod 3's to_pod counter grew ($t3 -> $t3b)" test "${t3b:-0}" -ge $((${t3:-0} + 4))
ip netns exec "$WT_NODE" sh -c "echo $fw4 >/proc/sys/net/ipv4/ip_forward; echo $fw6 >/proc/sys/net/ipv6/conf/all/forwarding"

# ---- pod to node, through the kernel -----------------------------------------------------------
for i in 1 2; do
	check "ping IPv4 pod $i -> node" ping_from "${PODNS[$i]}" "$WT_NODE4"
	check "ping IPv6 pod $i -> node" ping_from "${PODNS[$i]}" "$WT_NODE6"
	check "ping IPv4 node -> pod $i" ping_from "$WT_NODE" "${V4[$i]}"
	check "ping IPv6 node -> pod $i" ping_from "$WT_NODE" "${V6[$i]}"
done
check "TCP IPv4 pod 1 -> node" tcp_echo "$WT_NODE" "${PODNS[1]}" "$WT_NODE4" 5105
check "TCP IPv6 node -> pod 2" tcp_echo "${PODNS[2]}" "$WT_NODE" "${V6[2]}" 5106

# ---- anti-spoofing ------------------------------------------------------------------------------
# replies SRC_NS ARGS...: how many echo replies `ping ARGS` gets in SRC_NS (3 requests, 0.2 s apart).
replies() {
	local ns=$1
	shift
	ip netns exec "$ns" ping -n -c 3 -i 0.2 -W 1 "$@" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
# expect_dropped NAME EP REASON MIN GOT_REPLIES BEFORE: no reply and the reason's counter grew by MIN.
expect_dropped() {
	local name=$1 ep=$2 reason=$3 min=$4 got=$5 before=$6 after
	after=$(ep_ctr "$ep" "$reason")
	if [ "${got:-x}" = 0 ] && [ "${after:-0}" -ge $((before + min)) ]; then
		pass "$name: no reply, $reason drops $before -> $after"
	else
		fail "$name" "replies '${got}', $reason drops $before -> ${after} (want 0 replies, +$min drops)"
	fi
}
# The spoofed addresses are routed back to pod 1 by the node, so without the check a reply would
# come back: "no reply" then means the request never got through.
S4=10.244.1.200
S6=fd00:10:244:1::200
ip -n "${PODNS[1]}" addr add "$S4/32" dev eth0
ip -n "${PODNS[1]}" addr add "$S6/128" dev eth0 nodad
ip -n "$WT_NODE" route add "$S4/32" dev "${HOSTIF[1]}"
ip -n "$WT_NODE" -6 route add "$S6/128" dev "${HOSTIF[1]}"
b=$(ep_ctr "${EP[1]}" spoofed-ipv4)
got=$(replies "${PODNS[1]}" -I "$S4" "${V4[2]}")
expect_dropped "pod 1 pings pod 2 from $S4 (not its address)" "${EP[1]}" spoofed-ipv4 3 "$got" "$b"
b=$(ep_ctr "${EP[1]}" spoofed-ipv4)
got=$(replies "${PODNS[1]}" -I "$S4" "$WT_NODE4")
expect_dropped "pod 1 pings the node from $S4" "${EP[1]}" spoofed-ipv4 3 "$got" "$b"
b=$(ep_ctr "${EP[1]}" spoofed-ipv6)
got=$(replies "${PODNS[1]}" -I "$S6" "${V6[3]}")
expect_dropped "pod 1 pings pod 3 from $S6 (not its address)" "${EP[1]}" spoofed-ipv6 3 "$got" "$b"
ip -n "${PODNS[1]}" addr del "$S4/32" dev eth0
ip -n "${PODNS[1]}" addr del "$S6/128" dev eth0
check "pod 1 from its own address still reaches pod 2" ping_from "${PODNS[1]}" "${V4[2]}"

# A spoofed MAC: pod 2 takes another Ethernet address. The kernel flushes the interface's
# neighbours on an address change, the plugin's permanent gateway entries included; they are put
# back as the plugin made them, so the pings leave as IPv4/IPv6 frames (not as ARP/NS).
gw_neigh() {
	local hmac
	hmac=$(jq -r '[.interfaces[] | select((.sandbox // "") == "") | .mac][0]' <<<"${RES[$1]}")
	ip -n "${PODNS[$1]}" neigh replace "$WT_GW4" lladdr "$hmac" dev eth0 nud permanent &&
		ip -n "${PODNS[$1]}" -6 neigh replace "$WT_GW6" lladdr "$hmac" dev eth0 nud permanent
}
ip -n "${PODNS[2]}" link set dev eth0 address 02:00:5e:10:00:99
gw_neigh 2
b=$(ep_ctr "${EP[2]}" spoofed-mac)
got=$(replies "${PODNS[2]}" "${V4[3]}")
expect_dropped "pod 2 with MAC 02:00:5e:10:00:99 pings pod 3 (IPv4)" "${EP[2]}" spoofed-mac 3 "$got" "$b"
b=$(ep_ctr "${EP[2]}" spoofed-mac)
got=$(replies "${PODNS[2]}" "${V6[1]}")
expect_dropped "pod 2 with MAC 02:00:5e:10:00:99 pings pod 1 (IPv6)" "${EP[2]}" spoofed-mac 3 "$got" "$b"
ip -n "${PODNS[2]}" link set dev eth0 address "${MAC[2]}"
gw_neigh 2
check "pod 2 with its own MAC again reaches pod 3" ping_from "${PODNS[2]}" "${V4[3]}"

# A router advertisement from pod 3 to all nodes: dropped at the veth, counted, and the node's
# stack never sees it (its ICMPv6 type-134 input counter stays put).
ra_in() {
	ip netns exec "$WT_NODE" awk '$1 == "Icmp6InType134" { print $2; f = 1 } END { if (!f) print 0 }' /proc/net/snmp6
}
out=$(build_tool ra_send)
rc=$?
if [ "$rc" = 2 ]; then
	echo "SKIP: router advertisement from a pod — $out"
elif [ "$rc" != 0 ]; then
	fail "build tests/integration/tools/ra_send.c" "$out"
else
	b=$(ep_ctr "${EP[3]}" router-advertisement)
	n0=$(ra_in)
	out=$(ip netns exec "${PODNS[3]}" "$WT_TMP/bin/ra_send" eth0 5 2>&1)
	rc=$?
	sleep 0.3
	a=$(ep_ctr "${EP[3]}" router-advertisement)
	n1=$(ra_in)
	if [ "$rc" = 0 ] && [ "${a:-0}" -ge $((b + 5)) ] && [ "$n1" = "$n0" ]; then
		pass "pod 3 sends 5 router advertisements: dropped ($b -> $a), the node received none"
	else
		fail "pod 3's router advertisements are dropped" \
			"ra_send exit $rc ($out); router-advertisement drops $b -> $a (want +5); node Icmp6InType134 $n0 -> $n1 (want unchanged)"
	fi
fi
got=$(wctl endpoint get "${EP[1]}")
check "weftctl endpoint get (table) shows the spoofed-ipv4 drops" grep -Eq 'spoofed-ipv4: +[1-9]' <<<"$got"

# ---- DEL unregisters ---------------------------------------------------------------------------
cni "$WT_NODE" DEL "${CID[3]}" "/run/netns/${PODNS[3]}" eth0 "$(prev_conf "$conf" "${RES[3]}")"
expect_ok "DEL pod 3"
expect_eq "after DEL pod 3 the endpoints are pods 1 and 2" "$(ep_ids)" "$(printf '%s\n' "${EP[1]}" "${EP[2]}" | sort -n | paste -sd' ')"
check_fails "after DEL pod 3 endpoint get ${EP[3]} fails" wctl endpoint get "${EP[3]}"
check_fails "after DEL pod 3 its link pin ${IFX[3]} is gone" test -e "$LINKS/${IFX[3]}"
dump=$(wctl -o json bpf map dump weft_ep_ip)
expect_eq "after DEL pod 3 weft_ep_ip holds pods 1 and 2's 4 addresses, none of pod 3's" \
	"$(jq -r --arg a "${V4[3]}" --arg b "${V6[3]}" '[(.entries | length), ([.entries[] | select(.key.addr == $a or .key.addr == $b)] | length)] | map(tostring) | join(" ")' <<<"$dump")" "4 0"
expect_eq "after DEL pod 3 weft_counters has no entry for endpoint ${EP[3]}" \
	"$(wctl -o json bpf map dump weft_counters | jq --argjson id "${EP[3]}" '[.entries[] | select(.key.ep_id == $id)] | length')" 0
check "after DEL pod 3 status: attached 2 of 2" \
	jq -e '.endpoints == 2 and .programs[0].attached == 2' <<<"$(wctl -o json status)"
check "after DEL pod 3 pod 1 -> pod 2 still flows" ping_from "${PODNS[1]}" "${V6[2]}"
for i in 1 2; do
	cni "$WT_NODE" DEL "${CID[$i]}" "/run/netns/${PODNS[$i]}" eth0 "$(prev_conf "$conf" "${RES[$i]}")"
	expect_ok "DEL pod $i"
done
expect_eq "after DEL of every pod no endpoint is left" "$(ep_ids)" ""
expect_eq "after DEL of every pod no link pin is left" "$(ls -A "$LINKS" 2>/dev/null)" ""
check "weftd still serves, with 0 endpoints" jq -e '.endpoints == 0' <<<"$(wctl -o json status)"
weftd_stop TERM
expect_eq "weftd exits 0 on SIGTERM" "$WD_RC" 0
