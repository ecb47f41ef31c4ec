#!/bin/bash
# An upgrade loses nothing: weftd is stopped (SIGTERM) in the middle of traffic and a weftd built
# with a different BPF object (BPF_EXTRA_CFLAGS=-DWEFT_BUILD_TAG=2, built here with make into
# $BUILD/upgrade) takes over, with forwarding off in the node: every echo of a 100/s ping per family is answered and the TCP
# stream gets every byte; the program at both veths is the new one (new id, another program tag);
# the maps and endpoints are the same; then back to the original build, again without loss.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init u
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
command -v iperf3 >/dev/null || { echo "FAIL: $WT_FILE setup — iperf3 is not installed (make deps)"; exit 1; }

# The second build: only the BPF object differs. Incremental after the first run.
UPBUILD=$WT_BUILD/upgrade
if ! timeout 300 make -s -C "$WT_ROOT" -j2 BUILD="$UPBUILD" BPF_EXTRA_CFLAGS=-DWEFT_BUILD_TAG=2 \
	"$UPBUILD/bin/weftd" >"$WT_TMP/out/make" 2>&1; then
	echo "SKIP: $WT_FILE — cannot build the upgraded weftd: $(tail -n 3 "$WT_TMP/out/make" | tr '\n' ' ')"
	exit 0
fi
cp -p "$UPBUILD/bin/weftd" "$WT_TMP/bin/weftd-upgrade"
if cmp -s "$UPBUILD/bpf/lxc.bpf.o" "$WT_BUILD/bpf/lxc.bpf.o"; then
	fail "the upgrade build's BPF object differs from $WT_BUILD's" "identical (does bpf/lxc.bpf.c use WEFT_BUILD_TAG?)"
	exit 1
fi
pass "built a weftd with another BPF object in $UPBUILD"

node_create
weftd_setup n1
if weftd_start >"$WT_TMP/out/start"; then
	pass "weftd (original build) starts"
else
	fail "weftd (original build) starts" "$(cat "$WT_TMP/out/start")"
	exit 1
fi
conf=$(daemon_conf)
declare -A RES V4 V6 PODNS
for i in 1 2; do
	pod_create "p$i"
	PODNS[$i]=$POD_NS
	cni "$WT_NODE" ADD "wtu$$-pod$i" "$POD_PATH" eth0 "$conf"
	expect_ok "ADD pod $i" || exit 1
	RES[$i]=$CNI_OUT
	V4[$i]=$(res_ip "$CNI_OUT" 4)
	V6[$i]=$(res_ip "$CNI_OUT" 6)
done

# Forwarding off: pod-to-pod traffic has no way but the program (see test_daemon_restart.sh).
node_forwarding 0
PIN=$WD_BPF/weft/$WD_NAME
map_ids() {
	local m
	for m in weft_ep_ip weft_ep_if weft_counters weft_events; do
		printf '%s=%s ' "$m" "$(bpftool -j map show pinned "$PIN/$m" 2>/dev/null | jq -r '.id // "none"')"
	done
}
# link_progs: the program id at each pinned link, one line.
link_progs() {
	local l
	for l in "$PIN"/links/*; do
		bpftool -j link show pinned "$l" 2>/dev/null | jq -r '.prog_id'
	done | sort -u | paste -sd' '
}
prog_tag() {
	bpftool -j prog show id "$1" 2>/dev/null | jq -r '.tag // empty'
}
ids0=$(ep_ids)
maps0=$(map_ids)
prog0=$(wctl -o json status | jq -r '.programs[0].id')
tag0=$(prog_tag "$prog0")
expect_eq "before: both veths run program $prog0" "$(link_progs)" "$prog0"

# switch NAME BIN PORT: traffic for 8 s; at 2.5 s SIGTERM weftd and start BIN in its place.
switch() {
	local name=$1 bin=$2 port=$3
	traffic_start "${PODNS[1]}" "${PODNS[2]}" "${V4[2]}" "${V6[2]}" 8 "$port"
	sleep 2.5
	weftd_stop TERM
	expect_eq "$name: the old weftd exits 0 on SIGTERM" "$WD_RC" 0
	sleep 0.5
	if weftd_start "$bin" >"$WT_TMP/out/start"; then
		pass "$name: the new weftd starts mid-stream"
	else
		fail "$name: the new weftd starts mid-stream" "$(cat "$WT_TMP/out/start")"
	fi
	traffic_check "$name"
}

switch "upgrade" "$WT_TMP/bin/weftd-upgrade" 5301
st=$(wctl -o json status)
prog1=$(jq -r '.programs[0].id' <<<"$st")
tag1=$(prog_tag "$prog1")
check "upgrade: status: attached at 2 of 2, both taken over" \
	jq -e '.programs[0].attached == 2 and .programs[0].takeover.reattached == 2 and .programs[0].takeover.failed == 0' <<<"$st"
expect_eq "upgrade: both veths run the new program $prog1 (was $prog0)" "$(link_progs)" "$prog1"
check "upgrade: the program id changed" test "$prog1" != "$prog0"
check "upgrade: the new program is another object (tag $tag0 -> $tag1)" test -n "$tag1" -a "$tag1" != "$tag0"
expect_eq "upgrade: same endpoint ids" "$(ep_ids)" "$ids0"
expect_eq "upgrade: the pinned maps were adopted (same map ids)" "$(map_ids)" "$maps0"
check "upgrade: pod 2 -> pod 1 IPv6" ping_from "${PODNS[2]}" "${V6[1]}"

switch "downgrade" "$WD_BIN" 5302
prog2=$(wctl -o json status | jq -r '.programs[0].id')
expect_eq "downgrade: both veths run program $prog2" "$(link_progs)" "$prog2"
expect_eq "downgrade: the original object's tag is back" "$(prog_tag "$prog2")" "$tag0"
expect_eq "downgrade: same endpoint ids" "$(ep_ids)" "$ids0"
weftd_stop TERM
expect_eq "weftd exits 0 on SIGTERM" "$WD_RC" 0
