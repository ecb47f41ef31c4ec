#!/bin/bash
# The fabric between two nodes, without BGP: two node namespaces on an underlay bridge (its own
# namespace, with a "world" namespace standing for the outside), a weftd on each whose
# staticRoutes point at the other, pods wired by the plugin (mtu 1450). In overlay mode and then
# in native mode: pod <-> pod across nodes over IPv4 and IPv6 (ping and TCP), node -> remote pod
# and remote pod -> node, a withdrawn route (SIGHUP without it) leaving the data path at once
# and coming back, pod -> outside masqueraded to the node's address; the VXLAN device's MTU;
# weftd's kernel routes under proto 201; a mode switch and --purge leaving nothing behind.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init f
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"

UL=$WT_PREFIX-ul
WORLD=$WT_PREFIX-world
WORLD4=192.168.50.100

# ---- the underlay: a bridge, two nodes, the world ---------------------------------------------
ns_add ul
ns_add world
ip -n "$UL" link add br0 type bridge && ip -n "$UL" link set br0 up &&
	ip -n "$UL" link add w0 type veth peer name eth0 netns "$WORLD" &&
	ip -n "$UL" link set w0 master br0 up &&
	ip -n "$WORLD" addr add "$WORLD4/24" dev eth0 && ip -n "$WORLD" link set eth0 up ||
	{ fail "$WT_FILE setup" "underlay"; exit 1; }

declare -A NS CONF DIR SOCK PID BPF CTL POD4 POD6 PODNS
for n in 1 2; do
	ns_add "n$n"
	NS[$n]=$WT_PREFIX-n$n
	ip -n "$UL" link add "p$n" type veth peer name eth0 netns "${NS[$n]}" &&
		ip -n "$UL" link set "p$n" master br0 up &&
		ip -n "${NS[$n]}" addr add "192.168.50.$n/24" dev eth0 &&
		ip -n "${NS[$n]}" addr add "fd50::$n/64" dev eth0 nodad &&
		ip -n "${NS[$n]}" link set eth0 up ||
		{ fail "$WT_FILE setup" "node $n"; exit 1; }
done

# fabric_conf N MODE: node N's fabric keys; the other node's pod CIDRs as static routes. In
# overlay mode node 1 sends IPv6 pods' packets over the IPv4 underlay (an IPv4-only underlay
# would do) and node 2 over the IPv6 one, so both tunnel kinds carry traffic; native mode needs
# IPv6 next hops for IPv6 (Linux has no IPv6 route through an IPv4 neighbour).
fabric_conf() {
	local n=$1 mode=$2 o=$((3 - $1)) nh6
	[ "$mode" = overlay ] && [ "$n" = 1 ] && nh6=192.168.50.$o || nh6=fd50::$o
	jq -cn --arg n "$n" --arg o "$o" --arg mode "$mode" --arg nh6 "$nh6" '{
		nodeAddress: "192.168.50.\($n)", nodeAddress6: "fd50::\($n)",
		podCIDRs: ["10.244.\($n).0/24", "fd00:10:244:\($n)::/64"],
		clusterCIDRs: ["10.244.0.0/16", "fd00:10:244::/48"],
		fabric: {mode: $mode},
		staticRoutes: [{prefix: "10.244.\($o).0/24", nexthop: "192.168.50.\($o)"},
		               {prefix: "fd00:10:244:\($o)::/64", nexthop: $nh6}]}'
}

# use N: make node N's daemon the one lib.sh's weftd helpers work on.
use() {
	WD_NAME=$WT_PREFIX-n$1 WD_NS=${NS[$1]} WD_DIR=${DIR[$1]} WD_CONF=${CONF[$1]} WD_SOCK=${SOCK[$1]}
	WD_LOG=${DIR[$1]}/weftd.log WD_BPF=${BPF[$1]} WD_PID=${PID[$1]:-}
}
remember() {
	PID[$1]=$WD_PID
}

for n in 1 2; do
	WT_DATADIR=$WT_TMP/ipam-$n
	weftd_setup "n$n" "${NS[$n]}" "$(fabric_conf "$n" overlay)"
	DIR[$n]=$WD_DIR CONF[$n]=$WD_CONF SOCK[$n]=$WD_SOCK BPF[$n]=$WD_BPF
	if weftd_start >"$WT_TMP/out/start"; then
		pass "weftd on node $n starts (overlay)"
	else
		fail "weftd on node $n starts (overlay)" "$(cat "$WT_TMP/out/start")"
		exit 1
	fi
	remember "$n"
	pod_create "pod$n"
	PODNS[$n]=$POD_NS
	conf=$(daemon_conf "$(conf_with "$(net_conf "$WT_VERSION" "$(ipam_conf "10.244.$n.0/24" "fd00:10:244:$n::/64")")" \
		'. + {mtu: 1450}')")
	cni "${NS[$n]}" ADD "wtf$$-pod$n" "$POD_PATH" eth0 "$conf"
	expect_ok "ADD a pod on node $n" || exit 1
	POD4[$n]=$(res_ip "$CNI_OUT" 4)
	POD6[$n]=$(res_ip "$CNI_OUT" 6)
done

# ---- checks run in both modes ------------------------------------------------------------------
# forwarding N 0|1: the node's IPv4 and IPv6 forwarding.
forwarding() {
	ip netns exec "${NS[$1]}" sysctl -qw "net.ipv4.conf.all.forwarding=$2" "net.ipv6.conf.all.forwarding=$2"
}

# fwd_count N: datagrams node N's kernel has forwarded (both families).
fwd_count() {
	ip netns exec "${NS[$1]}" nstat -asz IpForwDatagrams Ip6OutForwDatagrams 2>/dev/null |
		awk '$1 ~ /Forw/ { s += $2 } END { print s + 0 }'
}

# bpf_carries MODE: 20 pings from pod 1 to pod 2 (10 per family) pass node 1's kernel
# forwarding not at all, where the kernel alone would forward 40: BPF sends (from-pod) and
# delivers what arrives (the VXLAN device's program in overlay mode, the underlay device's in
# native mode).
bpf_carries() {
	local before after want=0
	before=$(fwd_count 1)
	ip netns exec "${PODNS[1]}" ping -n -q -c 10 -i 0.02 -W 1 "${POD4[2]}" >/dev/null 2>&1
	ip netns exec "${PODNS[1]}" ping -n -q -c 10 -i 0.02 -W 1 "${POD6[2]}" >/dev/null 2>&1
	after=$(fwd_count 1)
	expect_eq "$1: BPF carries pod 1's packets: node 1's kernel forwarded $want of 40" "$((after - before))" "$want"
}

cross_checks() {
	local mode=$1 a b
	# Overlay: no forwarding in the nodes at all, so pods reach each other only through the
	# programs (encapsulation by one, delivery by the other); the node's own traffic needs no
	# forwarding either. Native delivers through the receiving node's kernel: forwarding on.
	[ "$mode" = overlay ] && { forwarding 1 0; forwarding 2 0; }
	for a in 1 2; do
		b=$((3 - a))
		check "$mode: pod $a -> pod $b IPv4 (ping)" ping_from "${PODNS[$a]}" "${POD4[$b]}"
		check "$mode: pod $a -> pod $b IPv6 (ping)" ping_from "${PODNS[$a]}" "${POD6[$b]}"
		check "$mode: node $a -> pod $b IPv4" ping_from "${NS[$a]}" "${POD4[$b]}"
		check "$mode: node $a -> pod $b IPv6" ping_from "${NS[$a]}" "${POD6[$b]}"
	done
	check "$mode: pod 1 -> pod 2 TCP IPv4" tcp_echo "${PODNS[2]}" "${PODNS[1]}" "${POD4[2]}" 7001
	check "$mode: pod 2 -> pod 1 TCP IPv6" tcp_echo "${PODNS[1]}" "${PODNS[2]}" "${POD6[1]}" 7002
	forwarding 1 1
	forwarding 2 1
	bpf_carries "$mode"
	check "$mode: pod 2 -> node 1 TCP (the node's underlay address, masqueraded)" \
		tcp_echo "${NS[1]}" "${PODNS[2]}" 192.168.50.1 7003
	# Pod -> outside the cluster: the world has no route to pods, so only a masqueraded
	# connection comes back, and it must come from the node's address.
	world_peer "$mode" 1 7004
}

# world_peer MODE N PORT: pod N connects to the world, which answers with the address it saw.
world_peer() {
	local got spid
	ip netns exec "$WORLD" timeout 10 socat -T 5 "TCP4-LISTEN:$3,reuseaddr" SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
	spid=$!
	bg_track "$spid"
	for _ in $(seq 50); do
		ip netns exec "$WORLD" ss -Hltn "sport = :$3" | grep -q . && break
		sleep 0.1
	done
	got=$(ip netns exec "${PODNS[$2]}" timeout 8 socat -T 3 - "TCP4:$WORLD4:$3,connect-timeout=3" </dev/null 2>&1)
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	expect_eq "$1: pod $2 -> outside is masqueraded to its node's address" "$got" "192.168.50.$2"
}

tunnel_cidrs() {
	use "$1"
	wctl -o json bpf map dump weft_tunnel 2>/dev/null | jq -r '[.entries[] | "\(.key.cidr)>\(.value.node)"] | sort | join(" ")'
}

weft_routes() {
	ip -n "${NS[$1]}" route show proto 201 | sort
	ip -n "${NS[$1]}" -6 route show proto 201 | sort
}

# vxlan_rx N: packets node N's VXLAN device has received, i.e. what its kernel decapsulated.
vxlan_rx() {
	ip -n "${NS[$1]}" -s -j link show weft.vxlan | jq '.[0].stats64.rx.packets'
}

# ---- overlay ------------------------------------------------------------------------------------
cross_checks overlay
# Over the IPv4 underlay the underlay device's program decapsulates what is for a local pod
# itself: the VXLAN device never sees pod 2's replies (nor its pings the other way).
before=$(vxlan_rx 1)
ip netns exec "${PODNS[1]}" ping -n -q -c 10 -i 0.02 -W 1 "${POD4[2]}" >/dev/null 2>&1
after=$(vxlan_rx 1)
expect_eq "overlay: node 1's weft_from_netdev decapsulates pod 2's IPv4 replies: weft.vxlan received none of 10" \
	"$((after - before))" 0
check "overlay: ... and they arrived (10 of 10)" \
	bash -c "ip netns exec ${PODNS[1]} ping -n -q -c 10 -i 0.02 -W 1 ${POD4[2]} | grep -q ' 10 received'"
expect_eq "overlay: node 1's tunnel map holds node 2's CIDRs" "$(tunnel_cidrs 1)" \
	"10.244.2.0/24>192.168.50.2 fd00:10:244:2::/64>192.168.50.2"
expect_eq "overlay: node 2's tunnel map: IPv6 over the IPv6 underlay" "$(tunnel_cidrs 2)" \
	"10.244.1.0/24>192.168.50.1 fd00:10:244:1::/64>fd50::1"
check "overlay: weft.vxlan is a collect-metadata VXLAN device on port 8472 with MTU 1430 (1500 - 70: IPv6 next hops too)" \
	bash -c "ip -n ${NS[1]} -d link show weft.vxlan | grep -q 'mtu 1430 ' &&
		 ip -n ${NS[1]} -d link show weft.vxlan | grep -q 'vxlan external.*dstport 8472'"
check "overlay: node 1 has its router addresses on weft.vxlan" \
	bash -c "ip -n ${NS[1]} addr show weft.vxlan | grep -q 'inet 10.244.1.0/32' &&
		 ip -n ${NS[1]} addr show weft.vxlan | grep -q 'inet6 fd00:10:244:1::/128'"
check "overlay: node 1's kernel routes to node 2's pods go through weft.vxlan with an encap" \
	bash -c "ip -n ${NS[1]} route show proto 201 | grep -q '^10.244.2.0/24 .*encap ip .*dst 192.168.50.2.*dev weft.vxlan'"
no_direct_entries() {
	use 1
	wctl -o json bpf map dump weft_tunnel | jq -e '(.entries | length) > 0 and ([.entries[] | select(.value.direct)] | length == 0)' >/dev/null
}
check "overlay: no tunnel entry of node 1 is marked direct (that is native mode's)" no_direct_entries
check "overlay: the masquerade table" bash -c "ip netns exec ${NS[1]} nft list table inet weft_${WT_PREFIX}_n1 | grep -q masquerade"
check "overlay: the tunnel's packets are not tracked (notrack for UDP 8472 at prerouting and output)" \
	bash -c "ip netns exec ${NS[1]} nft list table inet weft_${WT_PREFIX}_n1 |
		 grep -A3 'chain notrack_in' | grep -q 'udp dport 8472 notrack' &&
		 ip netns exec ${NS[1]} nft list table inet weft_${WT_PREFIX}_n1 |
		 grep -A3 'chain notrack_out' | grep -q 'udp dport 8472 notrack'"
# Conntrack runs on the nodes (the masquerade needs it), yet the pings and TCP above between
# pods left no entry for a tunnel packet on either node.
for n in 1 2; do
	expect_eq "overlay: node $n's conntrack table holds no VXLAN flow" \
		"$(ip netns exec "${NS[$n]}" grep -c 'dport=8472 ' /proc/net/nf_conntrack)" 0
done

# A route withdrawn (SIGHUP with node 2's IPv4 CIDR gone from staticRoutes) leaves the data path.
use 1
jq '.staticRoutes |= map(select(.prefix | startswith("10.") | not))' \
	"$WD_CONF" >"$WD_CONF.tmp" && mv "$WD_CONF.tmp" "$WD_CONF"
kill -HUP "$WD_PID"
for _ in $(seq 50); do
	[ "$(tunnel_cidrs 1)" = "fd00:10:244:2::/64>192.168.50.2" ] && break
	sleep 0.1
done
expect_eq "overlay: withdrawn: node 1's tunnel map lost 10.244.2.0/24" "$(tunnel_cidrs 1)" "fd00:10:244:2::/64>192.168.50.2"
check "overlay: withdrawn: no kernel route for it either" bash -c "! ip -n ${NS[1]} route show proto 201 | grep -q 10.244.2.0"
check_fails "overlay: withdrawn: pod 1 no longer reaches pod 2 over IPv4" \
	ip netns exec "${PODNS[1]}" ping -n -q -c 1 -W 1 "${POD4[2]}"
check "overlay: withdrawn: IPv6 still flows" ping_from "${PODNS[1]}" "${POD6[2]}"
fabric_conf 1 overlay | jq --slurpfile c "$WD_CONF" '$c[0] + .' >"$WD_CONF.tmp" && mv "$WD_CONF.tmp" "$WD_CONF"
kill -HUP "$WD_PID"
for _ in $(seq 50); do
	[ "$(tunnel_cidrs 1)" = "10.244.2.0/24>192.168.50.2 fd00:10:244:2::/64>192.168.50.2" ] && break
	sleep 0.1
done
check "overlay: re-announced: pod 1 reaches pod 2 again" ping_from "${PODNS[1]}" "${POD4[2]}"

# restart_loses_nothing MODE: 100/s pings from pod 1 to pod 2, both families, while node 1's
# weftd is killed (SIGKILL) and started again: every one answered (the new weftd adopts the
# device, the maps and the routes, and replaces the programs atomically).
restart_loses_nothing() {
	local p4 p6 r4 r6
	ip netns exec "${PODNS[1]}" ping -n -q -c 300 -i 0.01 -W 1 "${POD4[2]}" >"$WT_TMP/out/p4" 2>&1 &
	p4=$!
	ip netns exec "${PODNS[1]}" ping -n -q -c 300 -i 0.01 -W 1 "${POD6[2]}" >"$WT_TMP/out/p6" 2>&1 &
	p6=$!
	bg_track "$p4"
	bg_track "$p6"
	sleep 0.5
	use 1
	weftd_stop KILL
	if ! weftd_start >"$WT_TMP/out/start"; then
		fail "$1: weftd on node 1 starts again after SIGKILL" "$(cat "$WT_TMP/out/start")"
	fi
	remember 1
	wait "$p4" "$p6"
	r4=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WT_TMP/out/p4")
	r6=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WT_TMP/out/p6")
	expect_eq "$1: weftd killed and restarted mid-stream: every ping answered (IPv4, IPv6)" "$r4 $r6" "300 300"
}
restart_loses_nothing overlay

# ---- native ------------------------------------------------------------------------------------
for n in 1 2; do
	use "$n"
	weftd_stop
	jq --argjson f "$(fabric_conf "$n" native)" '. + $f' "$WD_CONF" >"$WD_CONF.tmp" && mv "$WD_CONF.tmp" "$WD_CONF"
	if weftd_start >"$WT_TMP/out/start"; then
		pass "weftd on node $n restarts in native mode"
	else
		fail "weftd on node $n restarts in native mode" "$(cat "$WT_TMP/out/start")"
		exit 1
	fi
	remember "$n"
done
check "native: the VXLAN device is gone" bash -c "! ip -n ${NS[1]} link show weft.vxlan 2>/dev/null"
check "native: node 1 routes node 2's CIDRs via node 2, proto 201" \
	bash -c "ip -n ${NS[1]} route show proto 201 | grep -q '^10.244.2.0/24 via 192.168.50.2 dev eth0' &&
		 ip -n ${NS[1]} -6 route show proto 201 | grep -q '^fd00:10:244:2::/64 via fd50::2 dev eth0'"
# netdev_prog_at_eth0 N: node N's weftd says weft_from_netdev runs at its eth0.
netdev_prog_at_eth0() {
	local ifindex
	ifindex=$(ip netns exec "${NS[$1]}" cat /sys/class/net/eth0/ifindex) || return 1
	use "$1"
	wctl -o json status | jq -e --argjson i "$ifindex" \
		'.programs[] | select(.name == "weft_from_netdev" and .attached == 1 and .ifindex == $i)' >/dev/null
}
check "native: node 1's underlay device runs weft_from_netdev" netdev_prog_at_eth0 1
check "native: node 2's underlay device runs weft_from_netdev" netdev_prog_at_eth0 2
# direct_to_node2: node 1's data path sends to node 2's CIDRs out of eth0 without a FIB lookup,
# because the kernel's routes for them go to node 2 there (weft_tunnel "direct", weft_config's
# device eth0).
direct_to_node2() {
	local ifindex
	ifindex=$(ip netns exec "${NS[1]}" cat /sys/class/net/eth0/ifindex) || return 1
	use 1
	wctl -o json bpf map dump weft_tunnel | jq -e '[.entries[] | select(.key.cidr | test("^(10.244.2.0/24|fd00:10:244:2::/64)$")) |
		select(.value.direct)] | length == 2' >/dev/null &&
		wctl -o json bpf map dump weft_config | jq -e --argjson i "$ifindex" \
			'.entries[0].value | .mode == "native" and .ifindex == $i' >/dev/null
}
check "native: node 1 sends to node 2's pod CIDRs directly out of eth0 (no FIB lookup per packet)" direct_to_node2
# An operator's route inside node 2's CIDR, to a gateway nobody answers for: weftd notices
# (fabric_watch), the entry stops being direct, and pod 1's packets follow the kernel's FIB into
# that route, so they are lost. The route gone, the entry is direct again and they arrive.
# direct_is N CIDR true|false: node N's entry for CIDR is (not) direct within 3 s.
direct_is() {
	local i
	use "$1"
	for i in $(seq 30); do
		wctl -o json bpf map dump weft_tunnel | jq -e --arg c "$2" --argjson d "$3" \
			'[.entries[] | select(.key.cidr == $c and .value.direct == $d)] | length == 1' >/dev/null && return 0
		sleep 0.1
	done
	echo "node $1's $2 is not direct=$3"
	return 1
}
ip -n "${NS[1]}" route add 10.244.2.0/25 via 192.168.50.9 dev eth0
check "native: an operator's route inside node 2's CIDR: node 1's entry is no longer direct" direct_is 1 10.244.2.0/24 false
check "native: ... and pod 1's packets follow it (to a gateway nobody answers: no reply)" \
	bash -c "! ip netns exec ${PODNS[1]} ping -n -q -c 2 -W 1 ${POD4[2]} >/dev/null 2>&1"
ip -n "${NS[1]}" route del 10.244.2.0/25 via 192.168.50.9 dev eth0
check "native: the operator's route gone: direct again" direct_is 1 10.244.2.0/24 true
check "native: ... and pod 1 reaches pod 2 again" ping_from "${PODNS[1]}" "${POD4[2]}"
cross_checks native
restart_loses_nothing native

# ---- purge --------------------------------------------------------------------------------------
use 1
weftd_stop
timeout 10 nsenter --net="/run/netns/${NS[1]}" -- "$WD_BIN" --purge -c "$WD_CONF" >/dev/null 2>&1
expect_eq "purge: no route of weftd's left on node 1" "$(weft_routes 1)" ""
check_fails "purge: no masquerade table left" ip netns exec "${NS[1]}" nft list table inet "weft_${WT_PREFIX}_n1"
# The underlay device's program went too: what pod 2 sends pod 1 is forwarded by node 1's kernel
# again (its replies find no route without weftd's, which is fine here), where the program would
# have delivered it past the kernel.
before=$(fwd_count 1)
ip netns exec "${PODNS[2]}" ping -n -q -c 5 -i 0.05 -W 1 "${POD4[1]}" >/dev/null 2>&1
after=$(fwd_count 1)
check "purge: node 1's kernel forwards pod traffic from the underlay again (weft_from_netdev detached): $((after - before)) of 5" \
	test "$((after - before))" -ge 5
