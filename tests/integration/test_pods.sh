#!/bin/bash
# Pods wired by weft + weft-ipam on one node: three pods reach each other and the node over IPv4
# and IPv6 (ping and TCP); their addresses, routes and permanent neighbours are what the design
# says; the host side has one route per pod; each cniVersion gets a result of its own shape.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init p
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
WT_UPLINK_MTU=1450   # pods take the uplink's MTU when the config names none
node_create

conf=$(net_conf)
declare -A RES V4 V6 HOSTIF PODNS
for i in 1 2 3; do
	pod_create "p$i"
	PODNS[$i]=$POD_NS
	cni "$WT_NODE" ADD "wtp$$-pod$i" "$POD_PATH" eth0 "$conf"
	if ! expect_ok "ADD pod $i ($WT_VERSION)"; then
		exit 1
	fi
	RES[$i]=$CNI_OUT
	V4[$i]=$(res_ip "$CNI_OUT" 4)
	V6[$i]=$(res_ip "$CNI_OUT" 6)
	HOSTIF[$i]=$(res_hostif "$CNI_OUT")
	echo "  pod $i: ${V4[$i]} ${V6[$i]} host side ${HOSTIF[$i]}"
done

# ---- addresses, routes, neighbours ------------------------------------------------------------
check_pod() {
	local i=$1 ns=${PODNS[$1]} a4 a6 mac got
	[ -n "${V4[$i]}" ] && [ -n "${V6[$i]}" ] || { echo "result lacks an address per family: ${RES[$i]}"; return 1; }
	[ -n "${HOSTIF[$i]}" ] || { echo "result names no host interface: ${RES[$i]}"; return 1; }
	a4=$(ip -n "$ns" -4 -o addr show dev eth0 scope global | awk '{print $4}')
	a6=$(ip -n "$ns" -6 -o addr show dev eth0 scope global | awk '{print $4}')
	[ "$a4" = "${V4[$i]}/32" ] || { echo "pod $i IPv4 on eth0: '$a4', want ${V4[$i]}/32"; return 1; }
	[ "$a6" = "${V6[$i]}/128" ] || { echo "pod $i IPv6 on eth0: '$a6', want ${V6[$i]}/128"; return 1; }
	if ip -n "$ns" -6 addr show dev eth0 scope global | grep -q tentative; then
		echo "pod $i: IPv6 address still tentative after ADD (DAD not disabled)"
		return 1
	fi
	got=$(jq -r '[.ips[].address] | sort | join(" ")' <<<"${RES[$i]}")
	[ "$got" = "$(printf '%s\n' "${V4[$i]}/32" "${V6[$i]}/128" | sort | paste -sd' ')" ] ||
		{ echo "result ips: '$got', want /32 and /128"; return 1; }
	got=$(ip -n "$ns" -4 route show default)
	grep -q "^default via $WT_GW4 dev eth0" <<<"$got" || { echo "pod $i IPv4 default route: '$got'"; return 1; }
	got=$(ip -n "$ns" -6 route show default)
	grep -q "^default via $WT_GW6 dev eth0" <<<"$got" || { echo "pod $i IPv6 default route: '$got'"; return 1; }
	mac=$(ip -n "$WT_NODE" -o link show dev "${HOSTIF[$i]}" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	[ -n "$mac" ] || { echo "host side ${HOSTIF[$i]} not in the node"; return 1; }
	got=$(ip -n "$ns" -4 neigh show "$WT_GW4" dev eth0)
	grep -q "lladdr $mac PERMANENT" <<<"$got" || { echo "pod $i neighbour $WT_GW4: '$got', want lladdr $mac PERMANENT"; return 1; }
	got=$(ip -n "$ns" -6 neigh show "$WT_GW6" dev eth0)
	grep -q "lladdr $mac PERMANENT" <<<"$got" || { echo "pod $i neighbour $WT_GW6: '$got', want lladdr $mac PERMANENT"; return 1; }
	got=$(ip -n "$WT_NODE" -4 route show "${V4[$i]}/32")
	grep -q "dev ${HOSTIF[$i]}" <<<"$got" || { echo "node route to ${V4[$i]}: '$got', want dev ${HOSTIF[$i]}"; return 1; }
	got=$(ip -n "$WT_NODE" -6 route show "${V6[$i]}/128")
	grep -q "dev ${HOSTIF[$i]}" <<<"$got" || { echo "node route to ${V6[$i]}: '$got', want dev ${HOSTIF[$i]}"; return 1; }
	got=$(ip netns exec "$ns" cat /proc/sys/net/ipv6/conf/eth0/accept_ra)
	[ "$got" = 0 ] || { echo "pod $i accept_ra on eth0 is '$got', want 0"; return 1; }
	return 0
}
for i in 1 2 3; do
	check "pod $i: /32 + /128, default routes via $WT_GW4 / $WT_GW6, permanent neighbours, host routes, accept_ra=0" check_pod "$i"
done

# The MTU: the node's uplink (uplink0, the default route's device) has 1450 and no mtu is configured.
check_mtu() {
	local i=$1 m
	m=$(ip -n "${PODNS[$i]}" -o link show dev eth0 | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
	[ "$m" = 1450 ] || { echo "pod $i eth0 mtu $m, want the uplink's 1450"; return 1; }
	m=$(ip -n "$WT_NODE" -o link show dev "${HOSTIF[$i]}" | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
	[ "$m" = 1450 ] || { echo "host side ${HOSTIF[$i]} mtu $m, want 1450"; return 1; }
}
check "pod 1: MTU taken from the node's uplink (1450) on both ends" check_mtu 1

# Host side names: unique, at most 15 bytes (kernel limit), the same for the same attachment.
names=$(printf '%s\n' "${HOSTIF[@]}" | sort -u | wc -l)
expect_eq "three distinct host-side veth names" "$names" 3

# ---- traffic ----------------------------------------------------------------------------------
for pair in "1 2" "2 3" "3 1"; do
	set -- $pair
	check "ping IPv4 pod $1 -> pod $2" ping_from "${PODNS[$1]}" "${V4[$2]}"
	check "ping IPv6 pod $1 -> pod $2" ping_from "${PODNS[$1]}" "${V6[$2]}"
done
for i in 1 2 3; do
	check "ping IPv4 pod $i -> node" ping_from "${PODNS[$i]}" "$WT_NODE4"
	check "ping IPv6 pod $i -> node" ping_from "${PODNS[$i]}" "$WT_NODE6"
	check "ping IPv4 node -> pod $i" ping_from "$WT_NODE" "${V4[$i]}"
	check "ping IPv6 node -> pod $i" ping_from "$WT_NODE" "${V6[$i]}"
done
check "TCP IPv4 pod 1 -> pod 2" tcp_echo "${PODNS[2]}" "${PODNS[1]}" "${V4[2]}" 5001
check "TCP IPv6 pod 1 -> pod 2" tcp_echo "${PODNS[2]}" "${PODNS[1]}" "${V6[2]}" 5002
check "TCP IPv4 pod 3 -> pod 1" tcp_echo "${PODNS[1]}" "${PODNS[3]}" "${V4[1]}" 5003
check "TCP IPv6 pod 3 -> pod 1" tcp_echo "${PODNS[1]}" "${PODNS[3]}" "${V6[1]}" 5004
check "TCP IPv4 pod 2 -> node" tcp_echo "$WT_NODE" "${PODNS[2]}" "$WT_NODE4" 5005
check "TCP IPv6 node -> pod 2" tcp_echo "${PODNS[2]}" "$WT_NODE" "${V6[2]}" 5006

# ---- the result's shape per version -----------------------------------------------------------
# 0.3.x/0.4.0: every ip carries "version"; 1.x: none does. Below 1.1.0 no 1.1-only keys (interface
# mtu/socketPath/pciID, route mtu/advmss/priority/table/scope). Always: cniVersion echoed,
# interfaces with a host side and a pod side in our netns, ips pointing at the pod side.
check_shape() {
	local v=$1 r=$2 path=$3 old=false
	case $v in 0.*) old=true ;; esac
	jq -e --arg v "$v" --arg path "$path" --argjson old "$old" '
		def fail(m): error(m);
		(.cniVersion == $v or fail("cniVersion \(.cniVersion)")) and
		((.interfaces | length) == 2 or fail("want 2 interfaces")) and
		((.ips | length) == 2 or fail("want 2 ips")) and
		(([.interfaces[] | select(.sandbox == $path and .name == "eth0")] | length) == 1
			or fail("no eth0 with sandbox \($path)")) and
		(all(.ips[]; (.interface != null) and (.interface >= 0) and (.interface < 2))
			or fail("ips[].interface missing or out of range")) and
		(if $old then
			all(.ips[]; .version == (if (.address | test(":")) then "6" else "4" end))
				or fail("0.x ips need a matching version")
		 else
			all(.ips[]; has("version") | not) or fail("1.x ips must not carry version")
		 end) and
		(if $v != "1.1.0" then
			(all(.interfaces[]; (has("mtu") or has("socketPath") or has("pciID")) | not)
				or fail("1.1.0-only interface keys in a \($v) result")) and
			(all(.routes[]?; (has("mtu") or has("advmss") or has("priority") or has("table") or has("scope")) | not)
				or fail("1.1.0-only route keys in a \($v) result"))
		 else true end) and
		(.interfaces[.ips[0].interface].sandbox == $path or fail("ips[0].interface is not the pod side"))
	' <<<"$r" >/dev/null
}
check "result shape $WT_VERSION" check_shape "$WT_VERSION" "${RES[1]}" "/run/netns/${PODNS[1]}"
n=4
for v in 0.3.0 0.3.1 0.4.0 1.0.0; do
	pod_create "p$n"
	c=$(net_conf "$v")
	cni "$WT_NODE" ADD "wtp$$-pod$n" "$POD_PATH" eth0 "$c"
	if expect_ok "ADD pod $n ($v)"; then
		check "result shape $v" check_shape "$v" "$CNI_OUT" "$POD_PATH"
		a4=$(res_ip "$CNI_OUT" 4)
		check "pod $n ($v) reaches pod 1 over IPv4" ping_from "$POD_NS" "${V4[1]}"
		cni "$WT_NODE" DEL "wtp$$-pod$n" "$POD_PATH" eth0 "$(prev_conf "$c" "$CNI_OUT")"
		expect_ok "DEL pod $n ($v)"
		check_fails "pod $n ($v): host route gone after DEL" bash -c "ip -n $WT_NODE route show $a4/32 | grep -q ."
	fi
	n=$((n + 1))
done

# ---- what runtimes add to the call --------------------------------------------------------------
# VERSION the way podman calls it first (CNI_NETNS, CNI_IFNAME and CNI_PATH set to "dummy").
cni_exec "$WT_NODE" '{"cniVersion":"1.1.0"}' CNI_COMMAND=VERSION CNI_CONTAINERID=dummy CNI_NETNS=dummy \
	CNI_IFNAME=dummy CNI_PATH=dummy
if expect_ok "VERSION (as podman calls it)"; then
	expect_eq "VERSION lists 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0" \
		"$(jq -r '[.supportedVersions[] | select(. == "0.3.0" or . == "0.3.1" or . == "0.4.0" or . == "1.0.0" or . == "1.1.0")] | sort | join(" ")' <<<"$CNI_OUT" 2>&1)" \
		"0.3.0 0.3.1 0.4.0 1.0.0 1.1.0"
fi

# An explicit mtu, podman's CNI_ARGS, capabilities/runtimeConfig/args and unknown keys.
pod_create p8
c=$(conf_with "$conf" '. + {mtu: 1400, capabilities: {portMappings: true},
	runtimeConfig: {portMappings: [{hostPort: 8080, containerPort: 80, protocol: "tcp"}], aliases: {x: ["y"]}},
	args: {cni: {labels: []}}, someUnknownKey: {nested: true}}')
cni "$WT_NODE" ADD "wtp$$-pod8" "$POD_PATH" eth0 "$c" "IgnoreUnknown=1;K8S_POD_NAME=web-0;K8S_POD_NAMESPACE=default"
if expect_ok "ADD with mtu 1400, podman's CNI_ARGS, runtimeConfig, capabilities, args, unknown keys"; then
	r8=$CNI_OUT
	m=$(ip -n "$POD_NS" -o link show dev eth0 | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
	expect_eq "pod 8: eth0 has the configured mtu" "$m" 1400
	m=$(ip -n "$WT_NODE" -o link show dev "$(res_hostif "$r8")" | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
	expect_eq "pod 8: host side has the configured mtu" "$m" 1400
	expect_eq "pod 8: the 1.1.0 result reports the pod side's mtu" \
		"$(jq -r '[.interfaces[] | select(.sandbox != null and .sandbox != "") | .mtu][0]' <<<"$r8")" 1400
	cni "$WT_NODE" DEL "wtp$$-pod8" "$POD_PATH" eth0 "$(prev_conf "$c" "$r8")"
	expect_ok "DEL pod 8"
fi

# CNI_ARGS IP= asks IPAM for given addresses (host-local's syntax: one per family, comma separated).
pod_create p9
cni "$WT_NODE" ADD "wtp$$-pod9" "$POD_PATH" eth0 "$conf" "IgnoreUnknown=1;IP=10.244.1.77,fd00:10:244:1::77"
if expect_ok "ADD with CNI_ARGS IP=10.244.1.77,fd00:10:244:1::77"; then
	r9=$CNI_OUT
	expect_eq "pod 9 got the requested addresses" "$(res_ip "$r9" 4) $(res_ip "$r9" 6)" "10.244.1.77 fd00:10:244:1::77"
	check "pod 9 reaches pod 1 from its requested address" ping_from "$POD_NS" "${V4[1]}"
	cni "$WT_NODE" DEL "wtp$$-pod9" "$POD_PATH" eth0 "$(prev_conf "$conf" "$r9")"
	expect_ok "DEL pod 9"
fi

# Chaining: a prevResult from an earlier plugin goes in, and comes out with weft's changes added.
pod_create p10
prev='{"cniVersion":"1.1.0","interfaces":[{"name":"earlier0"}],"ips":[],"dns":{"nameservers":["10.96.0.10"],"search":["svc.cluster.local"]}}'
c=$(prev_conf "$conf" "$prev")
cni "$WT_NODE" ADD "wtp$$-pod10" "$POD_PATH" eth0 "$c"
if expect_ok "ADD with a prevResult (chained after another plugin)"; then
	r10=$CNI_OUT
	check "chained ADD keeps the earlier interface and dns and adds its own" jq -e '
		(.interfaces | map(.name) | index("earlier0")) != null and
		(.interfaces | map(select(.name == "eth0")) | length) == 1 and
		.dns.nameservers == ["10.96.0.10"] and (.ips | length) == 2 and
		(.interfaces[.ips[0].interface].name == "eth0")' <<<"$r10"
	cni "$WT_NODE" DEL "wtp$$-pod10" "$POD_PATH" eth0 "$(prev_conf "$conf" "$r10")"
	expect_ok "DEL pod 10"
fi

# ---- DEL the three ----------------------------------------------------------------------------
for i in 1 2 3; do
	cni "$WT_NODE" DEL "wtp$$-pod$i" "/run/netns/${PODNS[$i]}" eth0 "$(prev_conf "$conf" "${RES[$i]}")"
	expect_ok "DEL pod $i"
done
left=$(node_links "$WT_NODE" | grep -vx -e lo -e uplink0)
expect_eq "no host veth left after DEL" "$left" ""
