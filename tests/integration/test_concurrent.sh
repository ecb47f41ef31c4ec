#!/bin/bash
# 100 ADDs at once give 100 distinct addresses per family and 100 reachable pods; 100 DELs at once
# then leave no veth, no route and no address held.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init x
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create

N=${WT_CONCURRENT:-100}
# 100 plugins contend for the kernel's rtnl lock at once: allow each one more than the default.
WT_CNI_TIMEOUT=${WT_CNI_TIMEOUT_CONCURRENT:-90}
conf=$(net_conf "$WT_VERSION" "$(ipam_conf 10.244.4.0/24 fd00:10:244:4::/64)")
base=$(node_snapshot "$WT_NODE")
out=$WT_TMP/out

for i in $(seq "$N"); do
	pod_create "p$i"
done

# run_all CMD: CMD for every pod at once, each a background process bounded by cni's timeout;
# leaves out/CMD.i.rc and out/CMD.i.json. The configs are prepared first, so that the calls
# start within a few milliseconds of each other.
run_all() {
	local cmd=$1 i pids=()
	for i in $(seq "$N"); do
		if [ "$cmd" = DEL ]; then
			prev_conf "$conf" "$(<"$out/ADD.$i.json")"
		else
			printf '%s' "$conf"
		fi >"$out/$cmd.$i.conf"
	done
	for i in $(seq "$N"); do
		(
			cni "$WT_NODE" "$cmd" "wtx$$-$i" "/run/netns/$WT_PREFIX-p$i" eth0 "$(<"$out/$cmd.$i.conf")"
			printf '%s\n' "$CNI_OUT" >"$out/$cmd.$i.json"
			echo "$CNI_RC" >"$out/$cmd.$i.rc"
		) &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
}

# ok_count CMD: how many calls exited 0; the first failure is kept in FIRST_ERR.
ok_count() {
	local i n=0 rc
	FIRST_ERR=
	for i in $(seq "$N"); do
		rc=
		read -r rc <"$out/$1.$i.rc" 2>/dev/null
		if [ "$rc" = 0 ]; then
			n=$((n + 1))
		elif [ -z "$FIRST_ERR" ]; then
			FIRST_ERR="pod $i: exit $rc $(tr -d '\n' <"$out/$1.$i.json" 2>/dev/null | cut -c1-200)"
		fi
	done
	echo "$n"
}

start=$(date +%s%N)
run_all ADD
ms=$((($(date +%s%N) - start) / 1000000))
n=$(ok_count ADD)
if [ "$n" = "$N" ]; then
	pass "$N concurrent ADDs all succeeded (${ms} ms)"
else
	fail "$N concurrent ADDs all succeeded" "$n of $N; first failure: $FIRST_ERR"
fi

# One jq over every result: the IPv4 addresses, the IPv6 addresses, the host-side names.
results() {
	cat "$out"/ADD.*.json | jq -r "$1" 2>/dev/null | grep . | sort
}
v4s=$(results '[.ips[]?.address | select(test(":") | not)][0] // empty | sub("/.*"; "")')
v6s=$(results '[.ips[]?.address | select(test(":"))][0] // empty | sub("/.*"; "")')
hostifs=$(results '[.interfaces[]? | select((.sandbox // "") == "") | .name][0] // empty' | sort -u)
expect_eq "$N distinct IPv4 addresses" "$(sort -u <<<"$v4s" | grep -c .)" "$N"
expect_eq "$N distinct IPv6 addresses" "$(sort -u <<<"$v6s" | grep -c .)" "$N"
expect_eq "$N distinct host-side veths in the results" "$(grep -c . <<<"$hostifs")" "$N"
present=$(comm -12 <(printf '%s\n' "$hostifs") <(node_links "$WT_NODE") | grep -c .)
expect_eq "all $N host-side veths exist in the node" "$present" "$N"
# host_routes FAMILY ADDRS: how many of ADDRS have a host route (dst = the address) in the node.
host_routes() {
	comm -12 <(ip -n "$WT_NODE" "-$1" route show | awk '$2 == "dev" { sub(/\/(32|128)$/, "", $1); print $1 }' | sort -u) \
		<(printf '%s\n' $2 | sort -u) | grep -c .
}
expect_eq "a host route to each of the $N IPv4 addresses" "$(host_routes 4 "$v4s")" "$N"
expect_eq "a host route to each of the $N IPv6 addresses" "$(host_routes 6 "$v6s")" "$N"

# Every pod answers the node, both families (one netns exec for all the pings).
reach() {
	ip netns exec "$WT_NODE" bash -c '
		bad=0
		for a in "$@"; do
			ping -n -q -c 1 -W 2 "$a" >/dev/null 2>&1 || ping -n -q -c 1 -W 2 "$a" >/dev/null 2>&1 ||
				{ echo "no reply from $a"; bad=$((bad + 1)); }
		done
		[ "$bad" = 0 ]' reach $v4s $v6s
}
check "the node reaches all $N pods over IPv4 and IPv6" reach
a=$(res_ip "$(cat "$out/ADD.$N.json")" 4)
b=$(res_ip "$(cat "$out/ADD.1.json")" 6)
check "pod 1 reaches pod $N over IPv4" ping_from "$WT_PREFIX-p1" "$a"
check "pod $N reaches pod 1 over IPv6" ping_from "$WT_PREFIX-p$N" "$b"

start=$(date +%s%N)
run_all DEL
ms=$((($(date +%s%N) - start) / 1000000))
n=$(ok_count DEL)
if [ "$n" = "$N" ]; then
	pass "$N concurrent DELs all succeeded (${ms} ms)"
else
	fail "$N concurrent DELs all succeeded" "$n of $N; first failure: $FIRST_ERR"
fi
expect_same "after $N DELs: the node's links and routes are as before" "$base" "$(node_snapshot "$WT_NODE")"
expect_not_held "after $N DELs: no address held" "$WT_DATADIR" "wtx$$-"
leftover=0
for i in $(seq "$N"); do
	[ "$(ip -n "$WT_PREFIX-p$i" -o link show | grep -c .)" = 1 ] || leftover=$((leftover + 1))
done
expect_eq "after $N DELs: no pod has an interface left" "$leftover" 0
