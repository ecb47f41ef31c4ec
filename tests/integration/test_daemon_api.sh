#!/bin/bash
# weftd's API against bad clients, on the real daemon: malformed JSON and bad envelopes get
# their error and the connection stays usable; a line over 4 MiB gets too-big and is closed; a
# client that floods requests and never reads is cut off while others are answered at once; a
# client leaving mid-request or mid-reply harms nothing; 300 connections against a limit of 256
# are refused cleanly; SIGHUP applies a new limit (and survives a broken file); SIGTERM exits 0
# and leaves the data path running. After each, the same daemon (same pid) still serves.
set -u
. "$(dirname "$0")/lib.sh"
require_root
wt_init a
require_plugins "$WT_PLUGIN_TYPE" "$WT_IPAM_TYPE"
node_create
weftd_setup n1
if weftd_start >"$WT_TMP/out/start"; then
	pass "weftd starts"
else
	fail "weftd starts" "$(cat "$WT_TMP/out/start")"
	exit 1
fi
PID0=$WD_PID
conf=$(daemon_conf)
declare -A V4 V6 PODNS
for i in 1 2; do
	pod_create "p$i"
	PODNS[$i]=$POD_NS
	cni "$WT_NODE" ADD "wta$$-pod$i" "$POD_PATH" eth0 "$conf"
	expect_ok "ADD pod $i" || exit 1
	V4[$i]=$(res_ip "$CNI_OUT" 4)
	V6[$i]=$(res_ip "$CNI_OUT" 6)
done

# serving WHAT: the daemon we started (same pid) answers status at once (2 s).
serving() {
	local r
	r=$(wctl --timeout 2000 -o json status 2>&1) || { echo "weftctl status: $r"; return 1; }
	[ "$(jq -r .pid <<<"$r")" = "$PID0" ] || { echo "status from pid $(jq -r .pid <<<"$r"), want $PID0"; return 1; }
}
# reply_is NAME LINE JQ: the reply line satisfies JQ.
reply_is() {
	if jq -e "$3" <<<"$2" >/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1" "reply: $(cut -c1-300 <<<"${2:-(none)}")"
	fi
}

# ---- malformed requests --------------------------------------------------------------------------
r=$(api_call 'this is not json')
reply_is "not JSON: bad-request with id null, naming the problem" "$r" \
	'.weft == 1 and .id == null and .error.code == "bad-request" and (.error.msg | test("JSON"))'
r=$(api_call '[1,2,3]')
reply_is "a JSON array: bad-request" "$r" '.error.code == "bad-request" and (.error.msg | test("object"))'
r=$(api_call '{"weft":2,"id":7,"op":"status"}')
reply_is "weft 2: bad-version, answered with id 7" "$r" '.id == 7 and .error.code == "bad-version"'
r=$(api_call '{"weft":1,"id":8,"op":"reboot"}')
reply_is "unknown op: unknown-op quoting it" "$r" '.id == 8 and .error.code == "unknown-op" and (.error.msg | test("reboot"))'
r=$(api_call '{"weft":1,"id":9,"op":"endpoint.get","args":{"id":"one"}}')
reply_is "endpoint.get id \"one\": bad-request naming the field and value" "$r" \
	'.id == 9 and .error.code == "bad-request" and (.error.msg | test("id") and test("one"))'
r=$(api_call '{"weft":1,"id":10,"op":"status","extra":1}')
reply_is "an unknown envelope key: bad-request naming it" "$r" '.id == 10 and .error.code == "bad-request" and (.error.msg | test("extra"))'
# One connection: a truncated object, then a good request: both answered, in order.
r=$(api_call '{"weft":1,"id":11,"op":"sta' '{"weft":1,"id":12,"op":"status"}')
expect_eq "a bad line then a good one on one connection: two replies" "$(wc -l <<<"$r")" 2
reply_is "... the first is bad-request" "$(sed -n 1p <<<"$r")" '.error.code == "bad-request"'
reply_is "... the second is the status (id 12)" "$(sed -n 2p <<<"$r")" '.id == 12 and .result.pid > 0'
# Random bytes (with newlines and NULs) on a connection.
head -c 65536 /dev/urandom | timeout 5 socat -t 2 - "UNIX-CONNECT:$WD_SOCK" >/dev/null 2>&1
check "after malformed requests and random bytes weftd still serves" serving

# ---- sizes -----------------------------------------------------------------------------------------
# big_request ID BYTES: a status request padded with an unknown args key of BYTES bytes.
big_request() {
	printf '{"weft":1,"id":%s,"op":"status","args":{"pad":"' "$1"
	head -c "$2" /dev/zero | tr '\0' a
	printf '"}}\n'
}
r=$(big_request 20 $((3 << 20)) | timeout 15 socat -t 5 - "UNIX-CONNECT:$WD_SOCK" 2>/dev/null)
reply_is "a 3 MiB request is parsed (bad-request for the unknown key pad, not too-big)" "$r" \
	'.id == 20 and .error.code == "bad-request" and (.error.msg | test("pad"))'
start=$SECONDS
r=$({ big_request 21 $((5 << 20)); sleep 3; } | timeout 15 socat -t 5 - "UNIX-CONNECT:$WD_SOCK" 2>/dev/null)
took=$((SECONDS - start))
reply_is "a 5 MiB request: too-big" "$r" '.error.code == "too-big"'
check "... and the daemon closed the connection itself (socat done in ${took}s, before our 3 s pause ended)" test "$took" -lt 3
check "after the 5 MiB request weftd still serves" serving

# ---- a flooding client that never reads -------------------------------------------------------------
out=$(build_tool api_clients)
rc=$?
if [ "$rc" != 0 ]; then
	[ "$rc" = 2 ] && echo "SKIP: flooding and many clients — $out" || fail "build tests/integration/tools/api_clients.c" "$out"
else
	"$WT_TMP/bin/api_clients" flood "$WD_SOCK" 40000 4000 >"$WT_TMP/out/flood" 2>&1 &
	fpid=$!
	bg_track "$fpid"
	sleep 0.5
	worst=0
	for i in $(seq 10); do
		t0=$(date +%s%N)
		if ! serving >/dev/null; then
			worst=failed
			break
		fi
		t=$((($(date +%s%N) - t0) / 1000000))
		[ "$t" -gt "$worst" ] && worst=$t
		sleep 0.2
	done
	check "while a client floods requests and reads nothing, status is answered at once (worst ${worst} ms)" \
		test "$worst" != failed -a "$worst" -lt 2000 2>/dev/null
	wait "$fpid"
	f=$(cat "$WT_TMP/out/flood")
	# 40000 replies are ~40 MB: far past the 8 MiB a client may leave unread.
	check "the flooding client was cut off before all its replies ($f)" \
		awk '$1 == "sent" && $6 < 40000 && ($4 != 0 || $8 == 1) { ok = 1 } END { exit !ok }' <<<"$f"
	check "weftd logged why" grep -q "replies unread: disconnecting" "$WD_LOG"
	check "after the flood weftd still serves" serving
fi

# ---- clients that leave early -----------------------------------------------------------------------
printf '{"weft":1,"id":30,"op":"endpoint.l' | timeout 5 socat -u - "UNIX-CONNECT:$WD_SOCK" 2>/dev/null
check "a client gone halfway through a request: weftd still serves" serving
# Many endpoint.list requests, the reader stops after 1000 bytes and the connection goes away
# while weftd is still writing.
for i in $(seq 3000); do echo '{"weft":1,"id":31,"op":"endpoint.list"}'; done |
	timeout 10 socat -t 1 - "UNIX-CONNECT:$WD_SOCK" 2>/dev/null | head -c 1000 >/dev/null
check "a client gone in the middle of its replies: weftd still serves" serving
# weftd learns of the close at its next read or write on that connection, which on a busy
# machine can come after it answered the status request above: give it up to 5 s.
gone_re="client [0-9]+ closed: (went away|Connection reset|Broken pipe)"
for i in $(seq 50); do grep -Eq "$gone_re" "$WD_LOG" && break; sleep 0.1; done
check "weftd logged that client going away" grep -Eq "$gone_re" "$WD_LOG"

# ---- too many clients -------------------------------------------------------------------------------
if [ -x "$WT_TMP/bin/api_clients" ]; then
	"$WT_TMP/bin/api_clients" hold "$WD_SOCK" 300 3000 >"$WT_TMP/out/hold" 2>&1 &
	hpid=$!
	bg_track "$hpid"
	for i in $(seq 100); do grep -q '^connected' "$WT_TMP/out/hold" && break; sleep 0.1; done
	h=$(cat "$WT_TMP/out/hold")
	expect_eq "300 connections against apiMaxClients 256: 256 served, 44 refused" "$h" "connected 300 open 256 refused 44 failed 0"
	r=$(wctl --timeout 2000 status 2>&1)
	rc=$?
	check "a 301st client (weftctl) is told so and exits 1 (exit $rc: $r)" \
		bash -c '[ "$1" = 1 ] && grep -q "too many clients" <<<"$2"' _ "$rc" "$r"
	wait "$hpid"
	check "once they are gone weftd serves again" serving
	expect_eq "... with one client (this one)" "$(wctl -o json status | jq .api_clients)" 1
fi

# ---- SIGHUP ------------------------------------------------------------------------------------------
cp "$WD_CONF" "$WT_TMP/out/weftd.json.orig"
# hup_done N: wait (5 s) for the N-th "reload: done" (or the N-th refused reload) in the log.
hup_done() {
	local i
	for i in $(seq 50); do
		[ "$(grep -cE 'reload: done|keeping the running configuration' "$WD_LOG")" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "no reload logged: $(weftd_log_tail 3)"
	return 1
}
jq '.apiMaxClients = 8' "$WT_TMP/out/weftd.json.orig" >"$WD_CONF"
kill -HUP "$WD_PID"
check "SIGHUP with apiMaxClients 8: reloaded" hup_done 1
check "after SIGHUP weftd (same pid) serves" serving
if [ -x "$WT_TMP/bin/api_clients" ]; then
	expect_eq "after SIGHUP 20 connections: 8 served, 12 refused" \
		"$("$WT_TMP/bin/api_clients" hold "$WD_SOCK" 20 0 2>&1)" "connected 20 open 8 refused 12 failed 0"
fi
echo '{"node": ' >"$WD_CONF"
kill -HUP "$WD_PID"
check "SIGHUP with a broken config file: logged, the running one kept" hup_done 2
check "after that SIGHUP weftd serves" serving
cp "$WT_TMP/out/weftd.json.orig" "$WD_CONF"
kill -HUP "$WD_PID"
hup_done 3 >/dev/null
check "SIGHUP back to the original config: weftd serves" serving

# ---- SIGTERM -----------------------------------------------------------------------------------------
node_forwarding 0
weftd_stop TERM
expect_eq "SIGTERM: weftd exits 0" "$WD_RC" 0
check_fails "SIGTERM: the socket file is removed" test -e "$WD_SOCK"
expect_eq "SIGTERM: both links stay pinned" "$(ls "$WD_BPF/weft/$WD_NAME/links" | wc -l)" 2
check "with weftd stopped and forwarding off, pod 1 -> pod 2 IPv4 (through the program)" ping_from "${PODNS[1]}" "${V4[2]}"
check "with weftd stopped and forwarding off, pod 2 -> pod 1 IPv6 (through the program)" ping_from "${PODNS[2]}" "${V6[1]}"
check "with weftd stopped, TCP pod 1 -> pod 2" tcp_echo "${PODNS[2]}" "${PODNS[1]}" "${V4[2]}" 5401
check "the log says the data path keeps running" grep -q "stopping (the data path keeps running)" "$WD_LOG"
