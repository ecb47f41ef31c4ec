#!/bin/bash
# `weftctl route list` and the route.list op against a real weftd holding more routes than one
# page: a test peer (tests/integration/tools/bgp_send.c) announces 2,000 IPv4 /24s and 400 IPv6
# /64s. weftctl must give every one exactly once, in order, as a table (one header) and as one
# JSON document; the op itself answers in pages (limit, next), follows a cursor, and refuses a
# bad limit or cursor naming the field and quoting the value.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_lib.sh"
require_root
wt_init rl
if ! out=$(build_tool bgp_send); then
	fail "$WT_FILE setup" "cannot build bgp_send: $out"
	exit 1
fi

bg_underlay
bg_node 1
ns_add peer
PEER=$WT_PREFIX-peer
bg_port vpeer "$PEER" 10.99.0.50 fd00:99::50
bg_weftd 1 "$(jq -cn --argjson asn "$BG_ASN" '{asn: $asn, routerId: "10.99.0.1", holdTime: 9, connectRetry: 1,
	peers: [{address: "10.99.0.50", asn: $asn, passive: true}]}')"
bg_start 1
bg_wait 10 bg_is_state 1 10.99.0.50 Active || { fail "weftd waits for the test peer" "$(bg_ctl 1 peer list | tr '\n' ' ')"; exit 1; }

# The UPDATEs: IPv4 in the NLRI field (ORIGIN IGP, empty AS_PATH, NEXT_HOP 10.99.0.50), 1,000
# /24s each from 10.100.0.0/24; IPv6 in MP_REACH_NLRI (next hop fd00:99::50), fd00:100:0:N::/64.
N4=2000 N6=400
msgs=()
for ((s = 0; s < N4; s += 1000)); do
	nlri=$(awk -v s="$s" 'BEGIN { for (i = s; i < s + 1000; i++) printf "180a%02x%02x", 100 + int(i / 256), i % 256 }')
	attrs=400101004002004003040a630032
	msgs+=("$(printf '2:0000%04x%s%s' $((${#attrs} / 2)) "$attrs" "$nlri")")
done
nlri=$(awk -v n="$N6" 'BEGIN { for (i = 0; i < n; i++) printf "40fd0001000000%04x", i }')
# AFI 2, SAFI 1, a 16-byte next hop, reserved, the NLRI; then ORIGIN and an empty AS_PATH.
mp=0002''01''10''fd000099000000000000000000000050''00$nlri
attrs=$(printf '900e%04x%s' $((${#mp} / 2)) "$mp")40010100400200
msgs+=("$(printf '2:0000%04x%s' $((${#attrs} / 2)) "$attrs")")
timeout -k 1 120 ip netns exec "$PEER" "$WT_TMP/bin/bgp_send" -s 10.99.0.50 -i 10.99.0.50 -t 90 -w 60 \
	10.99.0.1 "${msgs[@]}" >"$WT_TMP/send.out" 2>&1 &
spid=$!
bg_track "$spid"
received() { [ "$(bg_peer_field 1 10.99.0.50 prefixes_received)" = $((N4 + N6)) ]; }
if bg_wait 20 received; then
	pass "weftd took the test peer's $((N4 + N6)) routes (${BG_WAITED} s)"
else
	fail "weftd took the test peer's routes" "$(bg_peer_field 1 10.99.0.50 prefixes_received) received; $(tr '\n' ' ' <"$WT_TMP/send.out" | cut -c1-200)"
	exit 1
fi

# ---- weftctl: all of them, once each, in order -------------------------------------------------
J=$(bg_ctl 1 -o json route list 2>"$WT_TMP/rl.err")
printf '%s\n' "$J" >"$WT_TMP/all.json"
check "route list -o json: one document with all $((N4 + N6)) of the peer's routes, each once, best, no cursor" \
	jq -e --argjson n $((N4 + N6)) '([.routes[] | select(.from == "10.99.0.50" and .best)] | length) == $n and
	 (.routes | map(.prefix + " " + .from + " " + (.best | tostring)) | unique | length) == (.routes | length) and
	 .prefixes >= $n and has("next") == false' "$WT_TMP/all.json"
# The order: IPv4 first, by address (the peer's routes in the order they were made).
want=$(awk -v n4="$N4" -v n6="$N6" 'BEGIN {
	for (i = 0; i < n4; i++) printf "10.%d.%d.0/24\n", 100 + int(i / 256), i % 256
	print "fd00:100::/64"
	for (i = 1; i < n6; i++) printf "fd00:100:0:%x::/64\n", i }')
expect_eq "route list -o json: the peer's routes in order across the pages (IPv4 first, by address)" \
	"$(jq -r '.routes[] | select(.from == "10.99.0.50") | .prefix' "$WT_TMP/all.json" | md5sum)" "$(md5sum <<<"$want")"
T=$(bg_ctl 1 route list 2>>"$WT_TMP/rl.err")
expect_eq "route list (table): one header line" "$(grep -c '^PREFIX' <<<"$T")" 1
expect_eq "route list (table): a line per route, in the JSON's order" \
	"$(tail -n +2 <<<"$T" | awk '{ print $1 }' | md5sum)" "$(jq -r '.routes[].prefix' "$WT_TMP/all.json" | md5sum)"
expect_eq "route list: nothing on stderr" "$(cat "$WT_TMP/rl.err")" ""

# ---- the op: pages ------------------------------------------------------------------------------
bg_use 1
req() { api_call "{\"weft\":1,\"id\":1,\"op\":\"route.list\",\"args\":$1}"; }
P1=$(req '{"limit":1000}')
check "route.list limit 1000: 1,000 rows and a next cursor naming the last one" \
	jq -e '.result.routes | length == 1000' <<<"$P1"
next=$(jq -r '.result.next' <<<"$P1")
case $next in
"$(jq -r '.result.routes[999].prefix' <<<"$P1")|"[bn]"|"*) pass "next is the last row's key: $next" ;;
*) fail "next is the last row's key" "next '$next', last row $(jq -c '.result.routes[999]' <<<"$P1" | cut -c1-200)" ;;
esac
P2=$(req "{\"after\":\"$next\",\"limit\":7}")
check "route.list after it, limit 7: the next 7 rows of the whole list" \
	jq -e --slurpfile all "$WT_TMP/all.json" '.result.routes | map(.prefix + " " + .from) ==
	 ($all[0].routes[1000:1007] | map(.prefix + " " + .from))' <<<"$P2"
# Walk it all by hand: every page within the limit, the last without next.
pages=0 rows=0 after=null
while [ "$pages" -lt 100 ]; do
	P=$(req "{\"after\":$after,\"limit\":500}")
	n=$(jq '.result.routes | length' <<<"$P")
	rows=$((rows + n)) pages=$((pages + 1))
	after=$(jq -c '.result.next // empty' <<<"$P")
	[ -n "$after" ] || break
done
expect_eq "route.list limit 500 walked to the end: every row, in pages of 500" "$rows rows in $pages pages" \
	"$(jq '.routes | length' "$WT_TMP/all.json") rows in $((($(jq '.routes | length' "$WT_TMP/all.json") + 499) / 500)) pages"

# ---- the op: bad arguments ----------------------------------------------------------------------
bad() {
	local name=$1 args=$2 want=$3 R
	R=$(req "$args")
	if jq -e --arg w "$want" '.error.code == "bad-request" and (.error.msg | contains($w))' <<<"$R" >/dev/null; then
		pass "$name: $(jq -r .error.msg <<<"$R")"
	else
		fail "$name" "$(cut -c1-300 <<<"$R")"
	fi
}
bad "limit 0 refused" '{"limit":0}' 'route.list: limit 0 is not a number of routes (1-5000)'
bad "limit 5001 refused" '{"limit":5001}' 'limit 5001 is not'
bad "a cursor weftd never gave refused" '{"after":"10.100.0.1/24|b|1"}' 'after "10.100.0.1/24|b|1" is not a cursor'
bad "an unknown key refused" '{"offset":1000}' 'unknown key "offset"'

# ---- the peer goes: its routes with it ----------------------------------------------------------
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
gone() { [ "$(bg_ctl 1 -o json route list | jq '[.routes[] | select(.from == "10.99.0.50")] | length')" = 0 ]; }
bg_wait 10 gone && pass "the test peer gone: route list has none of its routes" ||
	fail "the test peer gone: its routes go" "$(bg_ctl 1 -o json route list | jq '.routes | length') rows left"
bg_stop 1 TERM
expect_eq "weftd exits 0" "$WD_RC" 0
