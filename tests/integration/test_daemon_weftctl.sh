#!/bin/bash
# weftctl against a real weftd: status, endpoint list, endpoint get (by id, container id, prefix,
# container/ifname) and bpf map dump, each as a table and as -o json (parsed with jq, and agreeing
# with the table and with the node); errors say what is wrong on stderr, print nothing on stdout
# and exit 1 (weftd's errors, no daemon, a stale socket, a silent one) or 2 (bad usage).
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init c
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create
weftd_setup n1
if weftd_start >"$WT_TMP/out/start"; then
	pass "weftd starts"
else
	fail "weftd starts" "$(cat "$WT_TMP/out/start")"
	exit 1
fi

# run ARGS...: weftctl ARGS; sets OUT, ERR, RC.
run() {
	OUT=$(wctl "$@" 2>"$WT_TMP/out/ctl.err")
	RC=$?
	ERR=$(cat "$WT_TMP/out/ctl.err")
}
# expect_ctl_error NAME RC PATTERN ARGS...: weftctl ARGS exits RC, nothing on stdout, one
# "weftctl..." line on stderr matching PATTERN (extended regex).
expect_ctl_error() {
	local name=$1 want=$2 pat=$3
	shift 3
	OUT=$(timeout -k 1 20 "$WD_CTL" "$@" 2>"$WT_TMP/out/ctl.err")
	RC=$?
	ERR=$(cat "$WT_TMP/out/ctl.err")
	if [ "$RC" = "$want" ] && [ -z "$OUT" ] && grep -Eq -- "^weftctl.*$pat" <<<"$ERR"; then
		pass "$name (exit $RC: $(head -n 1 <<<"$ERR"))"
	else
		fail "$name" "exit $RC (want $want), stdout '$(cut -c1-100 <<<"$OUT")', stderr '$(tr '\n' ' ' <<<"$ERR" | cut -c1-200)' (want /$pat/)"
	fi
}

# ---- before any pod -----------------------------------------------------------------------------
run endpoint list
expect_eq "endpoint list with no endpoints says so" "$OUT" "no endpoints"
run -o json endpoint list
check "endpoint list -o json with no endpoints: an empty array" jq -e '.endpoints == []' <<<"$OUT"

conf=$(daemon_conf)
declare -A RES V4 V6 PODNS CID
for i in 1 2; do
	pod_create "p$i"
	PODNS[$i]=$POD_NS
	CID[$i]=wtc$$-container-$i
	cni "$WT_NODE" ADD "${CID[$i]}" "$POD_PATH" eth0 "$conf" "K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=api-$i"
	expect_ok "ADD pod $i" || exit 1
	RES[$i]=$CNI_OUT
	V4[$i]=$(res_ip "$CNI_OUT" 4)
	V6[$i]=$(res_ip "$CNI_OUT" 6)
done
check "traffic pod 1 -> pod 2, so counters exist" ping_from "${PODNS[1]}" "${V4[2]}"

# ---- status --------------------------------------------------------------------------------------
run -o json status
S=$OUT
check "status -o json parses, with this daemon's node, pid, socket and 2 endpoints" \
	jq -e --arg n "$WD_NAME" --argjson p "$WD_PID" --arg s "$WD_SOCK" \
	'.node == $n and .pid == $p and .socket == $s and .endpoints == 2 and (.version | type) == "string" and
	 .uptime_s >= 0 and .attach_mode == "auto"' <<<"$S"
check "status -o json: the program, attached at 2, and the ten maps with their pins" \
	jq -e --arg pin "$WD_BPF/weft/$WD_NAME" '
	 .programs[0].name == "weft_from_pod" and .programs[0].attached == 2 and
	 ([.maps[].name] | sort) == ["weft_config", "weft_counters", "weft_ep_if", "weft_ep_ip", "weft_ep_ipslot", "weft_ep_slot", "weft_events", "weft_tun_exact", "weft_tun_lens", "weft_tunnel"] and
	 (.maps[] | select(.name == "weft_ep_ip") | .entries == 4 and .pinned == "\($pin)/weft_ep_ip") and
	 (.maps[] | select(.name == "weft_events") | .entries == null)' <<<"$S"
run status
T=$OUT
check "status (table): node, pid, endpoints as in the JSON" \
	bash -c 'grep -Eq "^Node: +$2$" <<<"$1" && grep -Eq "^PID: +$3$" <<<"$1" && grep -Eq "^Endpoints: +2$" <<<"$1"' \
	_ "$T" "$WD_NAME" "$WD_PID"
prog=$(jq -r '.programs[0].id' <<<"$S")
check "status (table): program line with id $prog, tcx, 2/2" grep -Eq "weft_from_pod +$prog +tcx +2/2" <<<"$T"
check "status (table): weft_ep_ip with 4 entries" grep -Eq "^ +weft_ep_ip +hash +4 " <<<"$T"
# The same through $WEFT_SOCKET and with the option after the command.
got=$(WEFT_SOCKET=$WD_SOCK timeout 15 "$WD_CTL" status -o json 2>&1 | jq -r .node 2>/dev/null)
expect_eq "WEFT_SOCKET chooses the node; -o after the command" "$got" "$WD_NAME"

# ---- endpoint list / get ---------------------------------------------------------------------------
run -o json endpoint list
L=$OUT
check "endpoint list -o json: both pods with full container ids, pod names, addresses" \
	jq -e --arg c1 "${CID[1]}" --arg c2 "${CID[2]}" --arg a "${V4[1]}" --arg b "${V6[2]}" '
	 ([.endpoints[].container_id] | sort) == ([$c1, $c2] | sort) and
	 ([.endpoints[] | "\(.pod_namespace)/\(.pod_name)"] | sort) == ["team-a/api-1", "team-a/api-2"] and
	 ([.endpoints[].ips[]] | index($a) != null and index($b) != null) and
	 all(.endpoints[]; has("attached") | not)' <<<"$L"
EP1=$(jq -r --arg c "${CID[1]}" '.endpoints[] | select(.container_id == $c) | .id' <<<"$L")
run endpoint list
check "endpoint list (table): one line per pod: id, team-a/api-N, container cut to 13, addresses, veth" \
	bash -c 'for i in 1 2; do grep -Eq "^ *[0-9]+ +team-a/api-$i +${2:0:13} " <<<"$1" || exit 1; done; [ "$(wc -l <<<"$1")" = 3 ]' \
	_ "$OUT" "wtc$$-container-"
run -o json endpoint get "$EP1"
G=$OUT
check "endpoint get $EP1 -o json: pod 1, attached, counters with every drop reason" \
	jq -e --arg c "${CID[1]}" --arg h "$(res_hostif "${RES[1]}")" '
	 .container_id == $c and .host_ifname == $h and .attached == true and
	 .counters.from_pod_packets > 0 and
	 (.counters.drops | keys | sort) == (["malformed","router-advertisement","spoofed-arp","spoofed-ipv4","spoofed-ipv6","spoofed-mac","spoofed-nd","ttl-exceeded"] | sort)' <<<"$G"
for key in "${CID[1]}" "${CID[1]}/eth0" "wtc$$-container-1"; do
	run -o json endpoint get "$key"
	expect_eq "endpoint get $key finds endpoint $EP1" "$(jq -r .id <<<"$OUT" 2>/dev/null)" "$EP1"
done
run endpoint get "$EP1"
check "endpoint get (table): container, addresses, attached, counters" \
	bash -c 'grep -Eq "^Container: +$2$" <<<"$1" && grep -q "$3" <<<"$1" && grep -Eq "^Attached: +yes" <<<"$1" && grep -Eq "From pod: +[1-9][0-9]* packets" <<<"$1"' \
	_ "$OUT" "${CID[1]}" "${V4[1]}"

# ---- bpf map dump -----------------------------------------------------------------------------------
run -o json bpf map dump weft_ep_if
check "bpf map dump weft_ep_if -o json: one entry per host veth, keyed by ifindex" \
	jq -e --argjson x "$(jq '[.endpoints[].host_ifindex] | sort' <<<"$L")" \
	'.name == "weft_ep_if" and ([.entries[].key.ifindex] | sort) == $x and all(.entries[]; .key.ifindex == .value.ifindex)' <<<"$OUT"
run -o json bpf map dump weft_counters
check "bpf map dump weft_counters -o json: pod 1's packets counted" \
	jq -e --argjson id "$EP1" '[.entries[] | select(.key.ep_id == $id) | .value.from_pod_packets > 0] == [true]' <<<"$OUT"
run bpf map dump weft_ep_ip
check "bpf map dump weft_ep_ip (table): header and a line per address" \
	bash -c 'grep -Eq "^Map: +weft_ep_ip" <<<"$1" && for a in "${@:2}"; do grep -qF " $a " <<<"$1" || exit 1; done' \
	_ "$OUT" "${V4[1]}" "${V6[1]}" "${V4[2]}" "${V6[2]}"

# ---- errors -------------------------------------------------------------------------------------------
S2=(--socket "$WD_SOCK")
expect_ctl_error "endpoint get 999: not-found from weftd" 1 "not-found" "${S2[@]}" endpoint get 999
expect_ctl_error "endpoint get of an unknown container" 1 "not-found" "${S2[@]}" endpoint get no-such-container
expect_ctl_error "endpoint get with a prefix matching both pods: bad-request" 1 "bad-request" "${S2[@]}" endpoint get "wtc$$-container"
expect_ctl_error "endpoint get 'a b': bad usage" 2 "a b" "${S2[@]}" endpoint get 'a b'
expect_ctl_error "bpf map dump of an unknown map: not-found" 1 "not-found" "${S2[@]}" bpf map dump weft_nope
expect_ctl_error "bpf map dump weft_events: weftd says it cannot" 1 "weft_events" "${S2[@]}" bpf map dump weft_events
expect_ctl_error "-o yaml: bad usage naming the format" 2 "yaml" "${S2[@]}" -o yaml status
expect_ctl_error "an unknown command: bad usage" 2 "frobnicate" "${S2[@]}" frobnicate
missing=$WT_TMP/no-such-dir/weftd.sock
for cmd in status "endpoint list" "endpoint get 1" "bpf map dump weft_ep_ip"; do
	# shellcheck disable=SC2086
	expect_ctl_error "$cmd --socket to a missing socket: not running, naming it" 1 "not running.*$(re "$missing")" --socket "$missing" $cmd
	# shellcheck disable=SC2086
	expect_ctl_error "$cmd -o json --socket to a missing socket: the same" 1 "not running" -o json --socket "$missing" $cmd
done
# A socket file nobody listens on.
stale=$WT_TMP/stale.sock
socat UNIX-LISTEN:"$stale" /dev/null >/dev/null 2>&1 &
spid=$!
bg_track "$spid"
for i in $(seq 50); do [ -S "$stale" ] && break; sleep 0.1; done
{ kill -9 "$spid"; wait "$spid"; } 2>/dev/null
expect_ctl_error "--socket to a socket file nobody listens on: connection refused" 1 "refused" --socket "$stale" status
# Something that accepts and never answers: bounded by --timeout.
hang=$WT_TMP/hang.sock
timeout 30 socat UNIX-LISTEN:"$hang",fork SYSTEM:'sleep 5' >/dev/null 2>&1 &
bg_track $!
for i in $(seq 50); do [ -S "$hang" ] && break; sleep 0.1; done
start=$(date +%s%N)
expect_ctl_error "--timeout 500 against a silent socket: timed out" 1 "timed out" --socket "$hang" --timeout 500 status
ms=$((($(date +%s%N) - start) / 1000000))
check "... after about 500 ms (took $ms ms)" test "$ms" -lt 3000
run help
expect_eq "help exits 0" "$RC" 0
check "help lists the commands" bash -c 'for c in status "endpoint list" "bpf map dump"; do grep -q "$c" <<<"$1" || exit 1; done' _ "$OUT"

weftd_stop TERM
expect_ctl_error "status after SIGTERM (socket removed): not running" 1 "not running" --socket "$WD_SOCK" status
