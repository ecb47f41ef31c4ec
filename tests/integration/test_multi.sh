#!/bin/bash
# One pod, several weft attachments (as Multus makes them): eth0 from network A, net1 from network
# B (another name and pool), net2 from A again. The first is the pod's primary; the others are
# secondary (source-based routing: a table of their own, rules from their addresses), so each
# address leaves through its own veth and weftd's anti-spoofing never drops it. CHECK passes and
# names a missing rule; DEL, GC and a failed ADD remove exactly their own rules; IPv4 and IPv6.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init mu
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create
weftd_setup n1
if ! weftd_start >"$WT_TMP/out/start"; then
	fail "weftd starts in the node namespace" "$(cat "$WT_TMP/out/start")"
	exit 1
fi

PRIO=31000
NET_A=${WT_PREFIX}a
NET_B=${WT_PREFIX}b
# net_multi NAME V4 V6 ROUTES_JSON: a 1.1.0 network with daemonSocket, its own pool and routes.
net_multi() {
	jq -cn --arg n "$1" --arg t "$WT_PLUGIN_TYPE" --arg it "$WT_IPAM_TYPE" --arg d "$WT_DATADIR" \
		--arg s4 "$2" --arg s6 "$3" --argjson r "$4" --arg sock "$WD_SOCK" \
		'{cniVersion: "1.1.0", name: $n, type: $t, daemonSocket: $sock,
		  ipam: {type: $it, dataDir: $d, ranges: [[{subnet: $s4}], [{subnet: $s6}]], routes: $r}}'
}
# A routes a documentation range through the pod's primary; B routes the peer namespace's
# network (below) through net1.
CONF_A=$(net_multi "$NET_A" 10.244.1.0/24 fd00:10:244:1::/64 '[{"dst":"203.0.113.0/24"},{"dst":"2001:db8:203::/64"}]')
CONF_B=$(net_multi "$NET_B" 10.245.1.0/24 fd00:10:245:1::/64 '[{"dst":"198.51.100.0/24"},{"dst":"2001:db8:100::/64"}]')
PEER4=198.51.100.2
PEER6=2001:db8:100::2

# A peer namespace behind the node (standing for a network only B routes to): a veth to the node,
# the node's side 198.51.100.1 / 2001:db8:100::1, default routes back through it. Forwarding is
# on before (the plugin would turn it on at the first ADD, and the kernel then adds pr0's IPv6
# subnet-router anycast route, which would spoil the comparison with the node's first snapshot).
node_forwarding 1
ns_add peer
PEER_NS=$WT_PREFIX-peer
ip -n "$WT_NODE" link add pr0 type veth peer name eth0 netns "$PEER_NS" &&
	ip -n "$WT_NODE" addr add 198.51.100.1/24 dev pr0 &&
	ip -n "$WT_NODE" addr add 2001:db8:100::1/64 dev pr0 nodad &&
	ip -n "$WT_NODE" link set pr0 up &&
	ip -n "$PEER_NS" addr add "$PEER4/24" dev eth0 &&
	ip -n "$PEER_NS" addr add "$PEER6/64" dev eth0 nodad &&
	ip -n "$PEER_NS" link set eth0 up &&
	ip -n "$PEER_NS" route add default via 198.51.100.1 &&
	ip -n "$PEER_NS" -6 route add default via 2001:db8:100::1 ||
	{ fail "$WT_FILE setup" "peer namespace"; exit 1; }
NODE_BASE=$(node_snapshot "$WT_NODE")

# ---- helpers ------------------------------------------------------------------------------------
declare -A RES IFX TBL V4 V6 CONF_OF
CONF_OF=([eth0]=$CONF_A [net1]=$CONF_B [net2]=$CONF_A)

# attach POD IF: ADD IF to pod POD (container wtmu$$-POD) with its network; RES/V4/V6 keyed POD/IF.
attach() {
	local pod=$1 ifn=$2
	cni "$WT_NODE" ADD "wtmu$$-$pod" "/run/netns/$WT_PREFIX-$pod" "$ifn" "${CONF_OF[$ifn]}"
	expect_ok "pod $pod: ADD $ifn (network $(jq -r '"\(.name), \(.cniVersion)"' <<<"${CONF_OF[$ifn]}"))" || return 1
	RES[$pod/$ifn]=$CNI_OUT
	V4[$pod/$ifn]=$(res_ip "$CNI_OUT" 4)
	V6[$pod/$ifn]=$(res_ip "$CNI_OUT" 6)
	IFX[$pod/$ifn]=$(ip netns exec "$WT_PREFIX-$pod" cat "/sys/class/net/$ifn/ifindex" 2>/dev/null)
	TBL[$pod/$ifn]=$((1000 + ${IFX[$pod/$ifn]:-0}))
}

# cmd POD IF CMD [NETNS]: CHECK or DEL of one attachment, with prevResult, as a runtime sends it.
cmd() {
	local pod=$1 ifn=$2 c=$3 netns=${4-/run/netns/$WT_PREFIX-$1}
	cni "$WT_NODE" "$c" "wtmu$$-$pod" "$netns" "$ifn" "$(prev_conf "${CONF_OF[$ifn]}" "${RES[$pod/$ifn]}")"
}

# rules NS: the pod's policy rules, both families, one per line.
rules() {
	{ ip -n "$1" -4 rule show; ip -n "$1" -6 rule show; } 2>/dev/null
}

# ping_src NS SRC DST: an echo reply from DST to a request sent from SRC (3 tries, 2 s each).
ping_src() {
	local i
	for i in 1 2 3; do
		ip netns exec "$1" ping -n -q -c 1 -W 2 -I "$2" "$3" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "no reply from $3 to $2 in $1"
	return 1
}

# ep_id POD IF: weftd's endpoint id of the attachment.
ep_id() {
	wctl -o json endpoint list 2>/dev/null |
		jq -r --arg c "wtmu$$-$1" --arg i "$2" '[.endpoints[] | select(.container_id == $c and .ifname == $i) | .id][0] // empty'
}

# spoofed POD IF: the attachment's spoofed-ipv4 + spoofed-ipv6 drops.
spoofed() {
	local id
	id=$(ep_id "$1" "$2")
	echo $(($(ep_ctr "$id" spoofed-ipv4) + $(ep_ctr "$id" spoofed-ipv6)))
}

# v6_full ADDR: an IPv6 address in full (8 groups of 4 hex digits), as socat reports peers.
v6_full() {
	local a=$1 head tail g i n out=()
	local -a H T
	if [[ $a == *::* ]]; then head=${a%%::*} tail=${a#*::}; else head=$a tail=; fi
	IFS=: read -ra H <<<"$head"
	IFS=: read -ra T <<<"$tail"
	n=$((8 - ${#H[@]} - ${#T[@]}))
	for g in "${H[@]}"; do out+=("$(printf %04x $((16#$g)))"); done
	for ((i = 0; i < n; i++)); do out+=(0000); done
	for g in "${T[@]}"; do out+=("$(printf %04x $((16#$g)))"); done
	(IFS=:; echo "${out[*]}")
}

# peer_sees NS DST PORT: the source address a TCP connection from NS (unbound) shows at the peer.
peer_sees() {
	local ns=$1 dst=$2 port=$3 lis con spid i got
	case $dst in
	*:*) lis="TCP6-LISTEN:$port,bind=[$dst],reuseaddr,ipv6only=1" con="TCP6:[$dst]:$port" ;;
	*) lis="TCP4-LISTEN:$port,bind=$dst,reuseaddr" con="TCP4:$dst:$port" ;;
	esac
	ip netns exec "$PEER_NS" timeout 10 socat -T 5 "$lis" SYSTEM:'echo "$SOCAT_PEERADDR"' >/dev/null 2>&1 &
	spid=$!
	bg_track "$spid"
	for i in $(seq 50); do
		ip netns exec "$PEER_NS" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	got=$(ip netns exec "$ns" timeout 8 socat -T 3 - "$con,connect-timeout=3" </dev/null 2>&1)
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	echo "$got" | tr -d '[]'
}

# ---- one pod, three attachments -----------------------------------------------------------------
pod_create m1
P1=$POD_NS
RULES_BASE=$(rules "$P1")
attach m1 eth0 || exit 1
attach m1 net1 || exit 1
attach m1 net2 || exit 1
echo "  eth0 ${V4[m1/eth0]} ${V6[m1/eth0]} | net1 ${V4[m1/net1]} ${V6[m1/net1]} table ${TBL[m1/net1]} | net2 ${V4[m1/net2]} ${V6[m1/net2]} table ${TBL[m1/net2]}"

check_addrs() {
	local ifn a4 a6
	for ifn in eth0 net1 net2; do
		a4=$(ip -n "$P1" -4 -o addr show dev "$ifn" scope global | awk '{print $4}')
		a6=$(ip -n "$P1" -6 -o addr show dev "$ifn" scope global | awk '{print $4}')
		[ -n "${V4[m1/$ifn]}" ] && [ "$a4" = "${V4[m1/$ifn]}/32" ] || { echo "$ifn IPv4 '$a4', result '${V4[m1/$ifn]}'"; return 1; }
		[ -n "${V6[m1/$ifn]}" ] && [ "$a6" = "${V6[m1/$ifn]}/128" ] || { echo "$ifn IPv6 '$a6', result '${V6[m1/$ifn]}'"; return 1; }
	done
	[ "${V4[m1/eth0]}" != "${V4[m1/net2]}" ] || { echo "eth0 and net2 (same pool) share ${V4[m1/eth0]}"; return 1; }
	case ${V4[m1/net1]} in 10.245.1.*) ;; *) echo "net1's ${V4[m1/net1]} is not from B's pool"; return 1 ;; esac
}
check "eth0, net1, net2 each have their own /32 and /128 (net2 from the same pool as eth0)" check_addrs

check_main() {
	local got
	got=$(ip -n "$P1" -4 route show default)
	[ "$(grep -c . <<<"$got")" = 1 ] && grep -q "^default via $WT_GW4 dev eth0 " <<<"$got" ||
		{ echo "IPv4 default routes in main: '$got', want only via eth0"; return 1; }
	got=$(ip -n "$P1" -6 route show default | grep -c .)
	[ "$got" = 1 ] && ip -n "$P1" -6 route show default | grep -q "via $WT_GW6 dev eth0" ||
		{ echo "IPv6 default routes in main: $(ip -n "$P1" -6 route show default | tr '\n' ';')"; return 1; }
	got=$(ip -n "$P1" -4 route show "$WT_GW4")
	[ "$(grep -c . <<<"$got")" = 1 ] && grep -q "dev eth0" <<<"$got" ||
		{ echo "main routes to $WT_GW4: '$got', want one, on eth0"; return 1; }
	# B's routes through net1 in main (on-link, metric 3000 + ifindex), A's through eth0 and net2.
	grep -q "198.51.100.0/24 via $WT_GW4 dev net1 .*metric $((3000 + IFX[m1/net1])) onlink" <<<"$(ip -n "$P1" -4 route show)" ||
		{ echo "main: no 198.51.100.0/24 via $WT_GW4 dev net1 onlink: $(ip -n "$P1" -4 route show | tr '\n' ';')"; return 1; }
	grep -q "2001:db8:100::/64 via $WT_GW6 dev net1 .*metric $((3000 + IFX[m1/net1]))" <<<"$(ip -n "$P1" -6 route show)" ||
		{ echo "main: no 2001:db8:100::/64 via $WT_GW6 dev net1: $(ip -n "$P1" -6 route show | tr '\n' ';')"; return 1; }
	[ "$(ip -n "$P1" -4 route show 203.0.113.0/24 | grep -c 'dev eth0\|dev net2')" = 2 ] ||
		{ echo "main: 203.0.113.0/24 not through both eth0 and net2: $(ip -n "$P1" -4 route show 203.0.113.0/24 | tr '\n' ';')"; return 1; }
}
check "main table: the default routes and $WT_GW4/32 are eth0's alone; B's routes via net1 on-link" check_main

# check_secondary IF: its rules (both families, priority 31000) and its table.
check_secondary() {
	local ifn=$1 t=${TBL[m1/$1]} got
	got=$(ip -n "$P1" -4 rule show)
	grep -q "^$PRIO:[[:space:]]*from ${V4[m1/$ifn]} lookup $t" <<<"$got" || { echo "no IPv4 rule for $ifn: $got"; return 1; }
	got=$(ip -n "$P1" -6 rule show)
	grep -q "^$PRIO:[[:space:]]*from ${V6[m1/$ifn]} lookup $t" <<<"$got" || { echo "no IPv6 rule for $ifn: $got"; return 1; }
	got=$(ip -n "$P1" -4 route show table "$t")
	grep -q "^default via $WT_GW4 dev $ifn" <<<"$got" && grep -q "^$WT_GW4 dev $ifn .*scope link" <<<"$got" ||
		{ echo "table $t (IPv4): $(tr '\n' ';' <<<"$got")"; return 1; }
	got=$(ip -n "$P1" -6 route show table "$t")
	grep -q "^default via $WT_GW6 dev $ifn" <<<"$got" || { echo "table $t (IPv6): $(tr '\n' ';' <<<"$got")"; return 1; }
	got=$(jq -c --argjson t "$t" '[.routes[] | select(.dst == "0.0.0.0/0" or .dst == "::/0") | .table] | sort' <<<"${RES[m1/$ifn]}")
	[ "$got" = "[$t,$t]" ] || { echo "result's default routes carry tables $got, want $t"; return 1; }
}
check "net1: rules from its addresses to table ${TBL[m1/net1]}, the table holds its gateway and default routes" check_secondary net1
check "net2 (same pool as eth0): its own rules and table ${TBL[m1/net2]}" check_secondary net2
expect_eq "eth0 (primary) has no rule" "$(rules "$P1" | grep -cE "from (${V4[m1/eth0]}|${V6[m1/eth0]}) ")" 0

ids=$(wctl -o json endpoint list | jq -r --arg c "wtmu$$-m1" '[.endpoints[] | select(.container_id == $c) | .ifname] | sort | join(" ")')
expect_eq "weftd holds one endpoint per attachment" "$ids" "eth0 net1 net2"

# ---- traffic from each address ------------------------------------------------------------------
S0_eth0=$(spoofed m1 eth0)
S0_net1=$(spoofed m1 net1)
S0_net2=$(spoofed m1 net2)
F0_net1=$(ep_ctr "$(ep_id m1 net1)" from_pod_packets)
for ifn in eth0 net1 net2; do
	check "ping node $WT_NODE4 from $ifn's ${V4[m1/$ifn]}" ping_src "$P1" "${V4[m1/$ifn]}" "$WT_NODE4"
	check "ping node $WT_NODE6 from $ifn's ${V6[m1/$ifn]}" ping_src "$P1" "${V6[m1/$ifn]}" "$WT_NODE6"
	check "route from ${V4[m1/$ifn]} to the node leaves by $ifn" \
		grep -q "dev $ifn" <<<"$(ip -n "$P1" route get "$WT_NODE4" from "${V4[m1/$ifn]}" 2>&1)"
done
check "unbound: the peer $PEER4 (B's route) is reached by net1 from ${V4[m1/net1]}" \
	grep -q "dev net1 .*src ${V4[m1/net1]}" <<<"$(ip -n "$P1" route get "$PEER4" 2>&1)"
expect_eq "unbound TCP to the peer $PEER4 arrives from net1's address" "$(peer_sees "$P1" "$PEER4" 5301)" "${V4[m1/net1]}"
expect_eq "unbound TCP to the peer $PEER6 arrives from net1's address" "$(peer_sees "$P1" "$PEER6" 5302)" "$(v6_full "${V6[m1/net1]}")"
check "ping the peer $PEER6 (unbound)" ping_from "$P1" "$PEER6"
F1_net1=$(ep_ctr "$(ep_id m1 net1)" from_pod_packets)
check "net1's traffic went through net1's veth (from_pod $F0_net1 -> $F1_net1)" test "${F1_net1:-0}" -ge $((${F0_net1:-0} + 6))
expect_eq "no spoofed-source drop on eth0, net1, net2" \
	"$(spoofed m1 eth0) $(spoofed m1 net1) $(spoofed m1 net2)" "$S0_eth0 $S0_net1 $S0_net2"

# ---- CHECK --------------------------------------------------------------------------------------
for ifn in eth0 net1 net2; do
	cmd m1 "$ifn" CHECK
	expect_ok "CHECK $ifn"
done
cni "$WT_NODE" CHECK "wtmu$$-m1" "/run/netns/$P1" net1 "$CONF_B"
expect_ok "CHECK net1 without prevResult"
ip -n "$P1" -4 rule del from "${V4[m1/net1]}/32" lookup "${TBL[m1/net1]}" priority "$PRIO"
cmd m1 net1 CHECK
expect_error "CHECK net1 without its IPv4 rule names the rule" 109 \
	"rule from $(re "${V4[m1/net1]}")/32 lookup ${TBL[m1/net1]}"
ip -n "$P1" -4 rule add from "${V4[m1/net1]}/32" lookup "${TBL[m1/net1]}" priority "$PRIO"
ip -n "$P1" -6 route del default via "$WT_GW6" dev net1 table "${TBL[m1/net1]}"
cmd m1 net1 CHECK
expect_error "CHECK net1 without its IPv6 default route names its table" 109 \
	"route ::/0 via $(re "$WT_GW6") is missing in the pod's table ${TBL[m1/net1]}"
ip -n "$P1" -6 route add default via "$WT_GW6" dev net1 table "${TBL[m1/net1]}" proto boot
cmd m1 net1 CHECK
expect_ok "CHECK net1 once the rule and route are back"

# ---- DEL net1, then net2, then eth0 -------------------------------------------------------------
cmd m1 net1 DEL
expect_ok "DEL net1"
check_net1_gone() {
	local got
	got=$(rules "$P1" | grep -E "lookup ${TBL[m1/net1]}\b|from (${V4[m1/net1]}|${V6[m1/net1]}) ")
	[ -z "$got" ] || { echo "rules left: $got"; return 1; }
	! ip -n "$P1" link show net1 >/dev/null 2>&1 || { echo "net1 still in the pod"; return 1; }
	[ -z "$(ip -n "$P1" route show table "${TBL[m1/net1]}" 2>/dev/null)$(ip -n "$P1" -6 route show table "${TBL[m1/net1]}" 2>/dev/null)" ] ||
		{ echo "table ${TBL[m1/net1]} not empty"; return 1; }
	[ -z "$(ep_id m1 net1)" ] || { echo "weftd still has net1's endpoint"; return 1; }
	[ -z "$(ipam_mentions "$WT_DATADIR/$NET_B" "wtmu$$-m1")" ] || { echo "B's store still holds m1"; return 1; }
}
check "after DEL net1: its rules, interface, table, endpoint and addresses are gone" check_net1_gone
check "after DEL net1: net2's rules and table are intact" check_secondary net2
for ifn in eth0 net2; do
	check "after DEL net1: ping node from $ifn's ${V4[m1/$ifn]}" ping_src "$P1" "${V4[m1/$ifn]}" "$WT_NODE4"
	check "after DEL net1: ping node from $ifn's ${V6[m1/$ifn]}" ping_src "$P1" "${V6[m1/$ifn]}" "$WT_NODE6"
	cmd m1 "$ifn" CHECK
	expect_ok "after DEL net1: CHECK $ifn"
done
check "after DEL net1: eth0 reaches the node unbound" ping_from "$P1" "$WT_NODE4"
check "after DEL net1: the node reaches eth0 over IPv6" ping_from "$WT_NODE" "${V6[m1/eth0]}"
cmd m1 net1 DEL
expect_ok "DEL net1 again (idempotent)"
expect_eq "no spoofed-source drop on eth0 and net2 after all that" \
	"$(spoofed m1 eth0) $(spoofed m1 net2)" "$S0_eth0 $S0_net2"
cmd m1 net2 DEL
expect_ok "DEL net2"
check "after DEL net2: eth0 still reaches the node" ping_from "$P1" "$WT_NODE6"
cmd m1 eth0 DEL
expect_ok "DEL eth0"
expect_same "after DEL of all three: the pod's rules are as before" "$RULES_BASE" "$(rules "$P1")"
expect_eq "after DEL of all three: the pod has only lo" "$(node_links "$P1" | paste -sd' ')" "lo"
expect_eq "after DEL of all three: no route in any table of the pod" \
	"$(node_routes "$P1" | grep -vE '^(local|broadcast|multicast|anycast) ' | grep -v ' dev lo ' | paste -sd';')" ""
expect_same "after DEL of all three: the node's links and routes are as before" "$NODE_BASE" "$(node_snapshot "$WT_NODE")"
expect_not_held "after DEL of all three: nothing held in either store" "$WT_DATADIR" "wtmu$$-m1"
expect_eq "after DEL of all three: weftd has no endpoint" "$(ep_ids)" ""

# ---- a failed secondary ADD leaves no rule --------------------------------------------------------
pod_create m2
P2=$POD_NS
RULES2=$(rules "$P2")
attach m2 eth0 || exit 1
routes2=$(node_routes "$P2")
bad=$(jq -c --arg s "$WT_TMP/nobody.sock" '.daemonSocket = $s | .daemonTimeoutMs = 200' <<<"$CONF_B")
cni "$WT_NODE" ADD "wtmu$$-m2" "/run/netns/$P2" net1 "$bad"
expect_error "ADD net1 with an unreachable weftd fails (after its rules were added)" 11 "$(re "$WT_TMP/nobody.sock")"
expect_same "failed ADD net1: the pod's rules are as before it" "$RULES2" "$(rules "$P2")"
expect_same "failed ADD net1: the pod's routes (every table) are as before it" "$routes2" "$(node_routes "$P2")"
check_fails "failed ADD net1: no net1 in the pod" ip -n "$P2" link show net1
expect_not_held "failed ADD net1: nothing held in B's store" "$WT_DATADIR/$NET_B" "wtmu$$-m2"
check "failed ADD net1: eth0 still reaches the node" ping_from "$P2" "$WT_NODE4"
cmd m2 eth0 DEL
expect_ok "DEL eth0 of pod m2"

# ---- GC and a DEL without CNI_NETNS find the pod's namespace themselves ---------------------------
pod_create m3
P3=$POD_NS
RULES3=$(rules "$P3")
attach m3 eth0 && attach m3 net1 || exit 1
cni_gc "$WT_NODE" "$(conf_with "$CONF_B" '."cni.dev/valid-attachments" = []')"
expect_ok "GC of network B with no valid attachment"
got=$(rules "$P3" | grep -E "lookup ${TBL[m3/net1]}\b")
expect_eq "GC removed net1's rules in the pod (found by its namespace id)" "$got" ""
check_fails "GC removed net1" ip -n "$P3" link show net1
check "after GC: eth0 still reaches the node" ping_from "$P3" "$WT_NODE4"
cmd m3 net1 DEL
expect_ok "DEL net1 after GC"
cmd m3 eth0 DEL
expect_ok "DEL eth0 of pod m3"
expect_same "pod m3: rules as before" "$RULES3" "$(rules "$P3")"

pod_create m4
P4=$POD_NS
RULES4=$(rules "$P4")
attach m4 eth0 && attach m4 net1 || exit 1
cmd m4 net1 DEL ""
expect_ok "DEL net1 with an empty CNI_NETNS (containerd)"
got=$(rules "$P4" | grep -E "lookup ${TBL[m4/net1]}\b")
expect_eq "DEL without CNI_NETNS removed net1's rules (the namespace found through the host veth)" "$got" ""
cmd m4 eth0 CHECK
expect_ok "pod m4: CHECK eth0 after DEL net1"
cmd m4 eth0 DEL
expect_ok "DEL eth0 of pod m4"
expect_same "pod m4: rules as before" "$RULES4" "$(rules "$P4")"

# ---- primary for one family, secondary for the other ----------------------------------------------
# eth0 from an IPv4-only network C, then net1 from B (dual stack, as a 1.0.0 config): net1 is
# secondary for IPv4 (rule, table) and the pod's primary for IPv6 (main's default route).
NET_C=${WT_PREFIX}c
CONF_C=$(net_multi "$NET_C" 10.246.1.0/24 fd00:10:246:1::/64 '[]' | jq -c '.ipam.ranges = [[{subnet: "10.246.1.0/24"}]]')
pod_create m5
P5=$POD_NS
RULES5=$(rules "$P5")
CONF_OF[eth0]=$CONF_C
CONF_OF[net1]=$(jq -c '.cniVersion = "1.0.0"' <<<"$CONF_B")
attach m5 eth0 && attach m5 net1 || exit 1
check_mixed() {
	local t=${TBL[m5/net1]} got
	[ -z "${V6[m5/eth0]}" ] && [ -n "${V6[m5/net1]}" ] || { echo "eth0 should be IPv4 only, net1 dual stack"; return 1; }
	grep -q "^$PRIO:[[:space:]]*from ${V4[m5/net1]} lookup $t" <<<"$(ip -n "$P5" -4 rule show)" || { echo "no IPv4 rule for net1"; return 1; }
	got=$(ip -n "$P5" -6 rule show | grep -c "lookup $t")
	[ "$got" = 0 ] || { echo "net1 has an IPv6 rule though it is the IPv6 primary"; return 1; }
	grep -q "^default via $WT_GW4 dev eth0" <<<"$(ip -n "$P5" -4 route show)" || { echo "main's IPv4 default is not eth0's"; return 1; }
	grep -q "^default via $WT_GW6 dev net1" <<<"$(ip -n "$P5" -6 route show)" || { echo "main's IPv6 default is not net1's"; return 1; }
	grep -q "^default via $WT_GW4 dev net1" <<<"$(ip -n "$P5" -4 route show table "$t")" || { echo "table $t lacks net1's IPv4 default"; return 1; }
	# a 1.0.0 result cannot name a table: the IPv4 default (in T) is left out, the IPv6 one (main) is there
	got=$(jq -c '[.routes[].dst] | sort' <<<"${RES[m5/net1]}")
	[ "$got" = '["198.51.100.0/24","2001:db8:100::/64","::/0"]' ] || { echo "1.0.0 result routes $got"; return 1; }
}
check "IPv4-only eth0 then dual-stack net1: net1 secondary for IPv4 only, primary for IPv6" check_mixed
check "ping node from net1's ${V4[m5/net1]} (IPv4 secondary)" ping_src "$P5" "${V4[m5/net1]}" "$WT_NODE4"
check "ping node from net1's ${V6[m5/net1]} (IPv6 primary)" ping_src "$P5" "${V6[m5/net1]}" "$WT_NODE6"
check "ping node from eth0's ${V4[m5/eth0]}" ping_src "$P5" "${V4[m5/eth0]}" "$WT_NODE4"
for ifn in eth0 net1; do
	cmd m5 "$ifn" CHECK
	expect_ok "pod m5: CHECK $ifn"
done
cmd m5 net1 DEL
expect_ok "pod m5: DEL net1"
cmd m5 eth0 DEL
expect_ok "pod m5: DEL eth0"
expect_same "pod m5: rules as before" "$RULES5" "$(rules "$P5")"

expect_same "in the end the node's links and routes are as before" "$NODE_BASE" "$(node_snapshot "$WT_NODE")"
weftd_stop TERM
expect_eq "weftd exits 0 on SIGTERM" "$WD_RC" 0
