#!/bin/bash
# SIGKILL of weftd in the middle of traffic loses nothing: a 100/s ping per family and TCP
# streams between two pods (forwarding off in the node, so only the program delivers) run across
# the kill and the restart with every echo answered and every byte received; the restarted daemon adopts the pinned maps (same map ids, counters kept), keeps
# the endpoint ids, replaces the program at both veths, and a pod added afterwards works.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init k
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
command -v iperf3 >/dev/null || { echo "FAIL: $WT_FILE setup — iperf3 is not installed (make deps)"; exit 1; }
node_create
weftd_setup n1
if weftd_start >"$WT_TMP/out/start"; then
	pass "weftd starts"
else
	fail "weftd starts" "$(cat "$WT_TMP/out/start")"
	exit 1
fi
conf=$(daemon_conf)
declare -A RES V4 V6 PODNS
for i in 1 2; do
	pod_create "p$i"
	PODNS[$i]=$POD_NS
	cni "$WT_NODE" ADD "wtk$$-pod$i" "$POD_PATH" eth0 "$conf"
	expect_ok "ADD pod $i" || exit 1
	RES[$i]=$CNI_OUT
	V4[$i]=$(res_ip "$CNI_OUT" 4)
	V6[$i]=$(res_ip "$CNI_OUT" 6)
done
# Forwarding off: pod-to-pod traffic has no way but the program, so a moment without it at a
# veth would lose packets rather than fall back to the kernel's routes.
node_forwarding 0
check "pod 1 -> pod 2 before the kill (forwarding off: through the program)" ping_from "${PODNS[1]}" "${V4[2]}"

PIN=$WD_BPF/weft/$WD_NAME
map_ids() {
	local m
	for m in weft_ep_ip weft_ep_if weft_counters weft_events; do
		printf '%s=%s ' "$m" "$(bpftool -j map show pinned "$PIN/$m" 2>/dev/null | jq -r '.id // "none"')"
	done
}
ids0=$(ep_ids)
eps0=$(wctl -o json endpoint list | jq -c '[.endpoints[] | {id, container_id, host_ifindex}]')
maps0=$(map_ids)
prog0=$(wctl -o json status | jq -r '.programs[0].id')
pid0=$WD_PID

# ---- SIGKILL mid-stream, restart -----------------------------------------------------------------
traffic_start "${PODNS[1]}" "${PODNS[2]}" "${V4[2]}" "${V6[2]}" 8 5201
sleep 2.5
ep1=$(cut -d' ' -f1 <<<"$ids0")
cK=$(ep_ctr "$ep1" from_pod_packets)
weftd_stop KILL
expect_eq "weftd died of SIGKILL" "$WD_RC" 137
sleep 1
check "with weftd dead, the program still runs (pinned links)" test -e "$PIN/links/$(ip netns exec "$WT_NODE" cat /sys/class/net/"$(res_hostif "${RES[1]}")"/ifindex)"
if weftd_start >"$WT_TMP/out/start"; then
	pass "weftd restarts mid-stream (pid $pid0 -> $WD_PID)"
else
	fail "weftd restarts mid-stream" "$(cat "$WT_TMP/out/start")"
fi
traffic_check "across SIGKILL + restart"

# ---- what the new daemon found --------------------------------------------------------------------
expect_eq "same endpoint ids after the restart" "$(ep_ids)" "$ids0"
expect_eq "same endpoints (id, container, veth) after the restart" \
	"$(wctl -o json endpoint list | jq -c '[.endpoints[] | {id, container_id, host_ifindex}]')" "$eps0"
expect_eq "the pinned maps were adopted, not recreated (same map ids)" "$(map_ids)" "$maps0"
st=$(wctl -o json status)
prog1=$(jq -r '.programs[0].id' <<<"$st")
check "status: program attached at 2 of 2 veths, both taken over without failure" \
	jq -e '.programs[0].attached == 2 and .programs[0].takeover.reattached == 2 and .programs[0].takeover.failed == 0' <<<"$st"
check "the restarted daemon's program ($prog0 -> $prog1) is the one at both veths" \
	bash -c 'for l in "$1"/links/*; do [ "$(bpftool -j link show pinned "$l" | jq .prog_id)" = "$2" ] || exit 1; done' _ "$PIN" "$prog1"
check "the program was replaced (new id)" test "$prog1" != "$prog0"
c=$(ep_ctr "$ep1" from_pod_packets)
check "pod 1's counters were kept across the restart ($cK at the kill, $c now)" test "${c:-0}" -gt "${cK:-0}"
check "the log shows the takeover and the reconcile" grep -q "reconcile:" "$WD_LOG"

# ---- a new pod after the restart -------------------------------------------------------------------
pod_create p3
PODNS[3]=$POD_NS
cni "$WT_NODE" ADD "wtk$$-pod3" "$POD_PATH" eth0 "$conf"
if expect_ok "ADD pod 3 after the restart"; then
	V4[3]=$(res_ip "$CNI_OUT" 4)
	V6[3]=$(res_ip "$CNI_OUT" 6)
	node_forwarding 0
	n=$(ep_ids | wc -w)
	expect_eq "three endpoints now" "$n" 3
	check "ping IPv4 pod 3 -> pod 1" ping_from "${PODNS[3]}" "${V4[1]}"
	check "ping IPv6 pod 2 -> pod 3" ping_from "${PODNS[2]}" "${V6[3]}"
	check "TCP IPv4 pod 3 -> pod 2" tcp_echo "${PODNS[2]}" "${PODNS[3]}" "${V4[2]}" 5202
	id3=$(wctl -o json endpoint get "wtk$$-pod3" | jq -r .id)
	t=$(ep_ctr "$id3" to_pod_packets)
	check "pod 3's traffic went through the program (to_pod $t)" test "${t:-0}" -ge 2
fi
weftd_stop TERM
expect_eq "weftd exits 0 on SIGTERM" "$WD_RC" 0
