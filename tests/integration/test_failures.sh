#!/bin/bash
# Failed ADDs leave nothing (no link in the node or the pod, no route, no address held) and every
# bad input gets its CNI error code with a message naming the culprit. The main range holds four
# addresses per family; at the end four ADDs must still succeed and a fifth must find it full,
# which proves that none of the failures kept an address.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init f
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create

ipam=$(jq -cn --arg t "$WT_IPAM_TYPE" --arg d "$WT_DATADIR" '{type: $t, dataDir: $d,
	ranges: [[{subnet: "10.244.9.0/24", rangeStart: "10.244.9.10", rangeEnd: "10.244.9.13"}],
	         [{subnet: "fd00:10:244:9::/64", rangeStart: "fd00:10:244:9::10", rangeEnd: "fd00:10:244:9::13"}]]}')
conf=$(net_conf "$WT_VERSION" "$ipam")
pod_create pod
POD=$POD_PATH
PODNS=$POD_NS
base=$(node_snapshot "$WT_NODE")

# nothing_left NAME CID: the node and the pod are as before, the store holds nothing of CID.
nothing_left() {
	expect_same "$1: no link or route left in the node" "$base" "$(node_snapshot "$WT_NODE")"
	expect_same "$1: no link left in the pod" "lo" "$(node_links "$PODNS")"
	expect_not_held "$1: no address held for $2" "$WT_DATADIR" "$2"
}

# ---- failures past validation -------------------------------------------------------------------
missing=/run/netns/$WT_PREFIX-no-such-netns
cni "$WT_NODE" ADD "wtf$$-nonetns" "$missing" eth0 "$conf"
expect_error "ADD into a netns path that does not exist fails naming it" any "$(re "$missing")"
nothing_left "bad netns path" "wtf$$-nonetns"

regular=$WT_TMP/not-a-netns
echo "I am a regular file" >"$regular"
cni "$WT_NODE" ADD "wtf$$-filenetns" "$regular" eth0 "$conf"
expect_error "ADD into a regular file as CNI_NETNS fails naming it" any "$(re "$regular")"
nothing_left "CNI_NETNS a regular file" "wtf$$-filenetns"

c=$(conf_with "$conf" '.ipam.type = "wtf-no-such-ipam"')
cni "$WT_NODE" ADD "wtf$$-noipam" "$POD" eth0 "$c"
expect_error "ADD with an IPAM plugin that does not exist: code 105 naming it" 105 "wtf-no-such-ipam"
nothing_left "missing IPAM plugin" "wtf$$-noipam"

cat >"$WT_TMP/bin/wtf-refusing-ipam" <<'EOF'
#!/bin/sh
cat >/dev/null
echo '{"cniVersion":"1.0.0","code":11,"msg":"fake IPAM says no","details":"try later"}'
exit 1
EOF
chmod +x "$WT_TMP/bin/wtf-refusing-ipam"
c=$(conf_with "$conf" '.ipam.type = "wtf-refusing-ipam"')
cni "$WT_NODE" ADD "wtf$$-ipamerr" "$POD" eth0 "$c"
expect_error "ADD whose IPAM returns an error passes that error on" any "fake IPAM says no"
nothing_left "IPAM error" "wtf$$-ipamerr"

cat >"$WT_TMP/bin/wtf-garbage-ipam" <<'EOF'
#!/bin/sh
cat >/dev/null
echo 'this is not JSON'
exit 0
EOF
chmod +x "$WT_TMP/bin/wtf-garbage-ipam"
c=$(conf_with "$conf" '.ipam.type = "wtf-garbage-ipam"')
cni "$WT_NODE" ADD "wtf$$-ipamgarbage" "$POD" eth0 "$c"
expect_error "ADD whose IPAM answers garbage fails" any "ipam|wtf-garbage-ipam"
nothing_left "IPAM garbage" "wtf$$-ipamgarbage"

# Duplicate ifname: a second container ADDs the same ifname into the same pod. The first pod's
# wiring must survive and the second's allocation must be released.
pod_create dup
cni "$WT_NODE" ADD "wtf$$-dup1" "$POD_PATH" eth0 "$conf"
if expect_ok "ADD the first container into the dup pod"; then
	first=$CNI_OUT
	after_first=$(node_snapshot "$WT_NODE")
	cni "$WT_NODE" ADD "wtf$$-dup2" "$POD_PATH" eth0 "$conf"
	expect_error "ADD of an ifname that already exists in the pod: code 103 naming it" 103 "eth0"
	expect_same "duplicate ifname: no link or route left in the node" "$after_first" "$(node_snapshot "$WT_NODE")"
	expect_not_held "duplicate ifname: no address held for the second container" "$WT_DATADIR" "wtf$$-dup2"
	check "duplicate ifname: the first container still reaches the node" ping_from "$POD_NS" "$WT_NODE4"
	cni "$WT_NODE" DEL "wtf$$-dup1" "$POD_PATH" eth0 "$(prev_conf "$conf" "$first")"
	expect_ok "DEL the first container of the dup pod"
	expect_same "dup pod deleted: node as before" "$base" "$(node_snapshot "$WT_NODE")"
fi

# Exhausted range: a /30 has at most two usable addresses; ADD until IPAM says it is full.
net30=$(jq -cn --arg t "$WT_IPAM_TYPE" --arg d "$WT_DATADIR" '{type: $t, dataDir: $d,
	ranges: [[{subnet: "10.244.8.0/30"}], [{subnet: "fd00:10:244:8::/64"}]]}')
c30=$(conf_with "$(net_conf "$WT_VERSION" "$net30")" '.name = .name + "-30"')
full=
declare -a ok30
for i in 1 2 3; do
	pod_create "x$i"
	before=$(node_snapshot "$WT_NODE")
	cni "$WT_NODE" ADD "wtf$$-x$i" "$POD_PATH" eth0 "$c30"
	if [ "$CNI_RC" = 0 ]; then
		ok30+=("$i:$CNI_OUT")
		continue
	fi
	full=$i
	expect_error "ADD into a full /30: code 106 naming the range" 106 \
		"10\.244\.8\.0/30|10\.244\.8\.[0-9]+ ?- ?10\.244\.8\.[0-9]+|ranges\[0\]"
	expect_same "full range: no link or route left in the node" "$before" "$(node_snapshot "$WT_NODE")"
	expect_same "full range: no link left in the pod" "lo" "$(node_links "$POD_NS")"
	expect_not_held "full range: no IPv6 address held for the refused container" "$WT_DATADIR" "wtf$$-x$i"
	break
done
if [ -z "$full" ]; then
	fail "a /30 range runs out" "three ADDs into 10.244.8.0/30 all succeeded"
elif [ "$full" = 1 ]; then
	fail "a /30 range has an address" "the first ADD into 10.244.8.0/30 failed"
fi
for e in "${ok30[@]}"; do
	cni "$WT_NODE" DEL "wtf$$-x${e%%:*}" "/run/netns/$WT_PREFIX-x${e%%:*}" eth0 "$(prev_conf "$c30" "${e#*:}")"
	[ "$CNI_RC" = 0 ] || fail "DEL wtf$$-x${e%%:*}" "$(cni_describe)"
done

# ---- bad input: each gets its code and names the culprit ------------------------------------------
base=$(node_snapshot "$WT_NODE")
cid=wtf$$-bad
env_ok=(CNI_COMMAND=ADD "CNI_CONTAINERID=$cid" "CNI_NETNS=$POD" CNI_IFNAME=eth0 "CNI_PATH=$WT_CNI_PATH")
for var in CNI_COMMAND CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_PATH; do
	envs=()
	for kv in "${env_ok[@]}"; do
		[ "${kv%%=*}" = "$var" ] || envs+=("$kv")
	done
	cni_exec "$WT_NODE" "$conf" "${envs[@]}"
	expect_error "ADD without $var: code 4 naming it" 4 "$var"
done

for id in "bad/id" "../etc" "-leading-dash" "has space" "a;b" "$(printf 'x%.0s' $(seq 300))"; do
	cni "$WT_NODE" ADD "$id" "$POD" eth0 "$conf"
	expect_error "container ID '$(printf '%s' "$id" | cut -c1-20)': code 4" 4 "CNI_CONTAINERID"
done
for ifn in "a/b" "." ".." "x234567890123456" "eth 0" "eth:0"; do
	cni "$WT_NODE" ADD "$cid" "$POD" "$ifn" "$conf"
	expect_error "ifname '$ifn': code 4" 4 "CNI_IFNAME"
done
cni "$WT_NODE" ADD "$cid" "$POD" "" "$conf"
expect_error "empty CNI_IFNAME: code 4" 4 "CNI_IFNAME"
cni "$WT_NODE" ADD "$cid" "relative/netns" eth0 "$conf"
expect_error "relative CNI_NETNS: code 4" 4 "CNI_NETNS"
cni "$WT_NODE" ADD "$cid" "$POD" eth0 "$conf" "IgnoreUnknown"
expect_error "CNI_ARGS without '=': code 4" 4 "CNI_ARGS"
cni "$WT_NODE" FROB "$cid" "$POD" eth0 "$conf"
expect_error "unknown command FROB: code 4" 4 "CNI_COMMAND" "FROB"

for v in 0.1.0 0.2.0 1.2.0 2.0.0 banana; do
	cni "$WT_NODE" ADD "$cid" "$POD" eth0 "$(conf_with "$conf" '.cniVersion = $v' --arg v "$v")"
	expect_error "cniVersion $v: code 1" 1 "$(re "$v")"
done

for bad in '{not json' '' '[1,2]' '"a string"' '{"cniVersion":"1.1.0","name":"x",'; do
	cni "$WT_NODE" ADD "$cid" "$POD" eth0 "$bad"
	expect_error "config '$bad': code 6" 6
done

# field:jq-edit pairs; each must give code 7 and name the field.
while IFS='|' read -r field edit; do
	[ -n "$field" ] || continue
	cni "$WT_NODE" ADD "$cid" "$POD" eth0 "$(conf_with "$conf" "$edit")"
	expect_error "config $edit: code 7 naming $field" 7 "$field"
done <<'EOF'
name|.name = "bad/name"
name|.name = ""
name|del(.name)
name|.name = 7
cniVersion|del(.cniVersion)
cniVersion|.cniVersion = 1.1
ipam|del(.ipam)
ipam|.ipam = "weft-ipam"
ipam.type|del(.ipam.type)
mtu|.mtu = "1500"
mtu|.mtu = 10
mtu|.mtu = 100000
mtu|.mtu = -1
prevResult|.prevResult = "nope"
EOF
expect_same "bad inputs: no link or route in the node" "$base" "$(node_snapshot "$WT_NODE")"
expect_same "bad inputs: no link in the pod" "lo" "$(node_links "$PODNS")"
expect_not_held "bad inputs: no address held" "$WT_DATADIR" "$cid"

# ---- nothing leaked: the four addresses are all still free ------------------------------------------
got=()
for i in 1 2 3 4; do
	pod_create "cap$i"
	cni "$WT_NODE" ADD "wtf$$-cap$i" "$POD_PATH" eth0 "$conf"
	if [ "$CNI_RC" = 0 ]; then
		got+=("$(res_ip "$CNI_OUT" 4)")
	else
		fail "capacity: ADD $i of 4" "$(cni_describe)"
	fi
done
expect_eq "after all the failures the 4 addresses of the range are still free" \
	"$(printf '%s\n' "${got[@]}" | sort -u | paste -sd' ')" "10.244.9.10 10.244.9.11 10.244.9.12 10.244.9.13"
pod_create cap5
cni "$WT_NODE" ADD "wtf$$-cap5" "$POD_PATH" eth0 "$conf"
expect_error "a fifth ADD finds the range full (code 106)" 106
