#!/bin/bash
# A test peer (tests/integration/tools/bgp_send.c) opens sessions to a weftd and sends malformed
# messages byte for byte: each gets the NOTIFICATION RFC 4271 §6 / RFC 7606 / RFC 6608 give it
# (code, subcode, data), or is treated as withdraw with the session kept, and the routes of a reset
# session go. All along weftd keeps serving its other peer (a second weftd, whose session must
# never drop) and its API.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_lib.sh"
require_root
wt_init r
if ! out=$(build_tool bgp_send); then
	fail "$WT_FILE setup" "cannot build bgp_send: $out"
	exit 1
fi

bg_underlay
bg_node 1
bg_node 2
ns_add bad
BAD=$WT_PREFIX-bad
bg_port vbad "$BAD" 10.99.0.50 fd00:99::50

bg_weftd 1 "$(jq -cn --argjson asn "$BG_ASN" '{asn: $asn, routerId: "10.99.0.1", holdTime: 9, connectRetry: 1,
	announce: ["10.244.1.0/24"],
	peers: [{address: "10.99.0.2", asn: $asn}, {address: "10.99.0.50", asn: $asn, passive: true}]}')"
bg_weftd 2 "$(jq -cn --argjson asn "$BG_ASN" '{asn: $asn, routerId: "10.99.0.2", holdTime: 9, connectRetry: 1,
	announce: ["10.244.2.0/24"], peers: [{address: "10.99.0.1", asn: $asn}]}')"
bg_start 1
bg_start 2
bg_wait 20 bg_has_route 1 10.244.2.0/24 10.99.0.2 || { fail "node1 and node2 exchange routes" "$(bg_ctl 1 peer list | tr '\n' ' ')"; exit 1; }
pass "node1 and node2 Established, routes exchanged"
n2_count=$(bg_peer_field 1 10.99.0.2 established_count)

# send NAME EXPECT [bgp_send options and messages...]: wait until node1 accepts the test peer
# again (its peer back in Active after the previous error), run bgp_send from the bad namespace,
# and PASS when its output has a line matching EXPECT (an extended regex).
send() {
	local name=$1 want=$2 out
	shift 2
	bg_wait 10 bg_is_state 1 10.99.0.50 Active ||
		fail "$name: node1 accepts the test peer again" "state $(bg_peer_field 1 10.99.0.50 state)"
	# bgp_send OPTIONS ADDR MSGS: getopt finds options after ADDR too (-a, -t, -n below).
	out=$(timeout -k 1 20 ip netns exec "$BAD" "$WT_TMP/bin/bgp_send" -s 10.99.0.50 -i 10.99.0.50 -w 2 10.99.0.1 "$@" 2>&1)
	SENT_OUT=$out
	if grep -Eq "^($want)\$" <<<"$out"; then
		pass "$name: $(grep -Em1 "^($want)\$" <<<"$out")"
	else
		fail "$name" "wanted a line /$want/, got: $(tr '\n' ' ' <<<"$out")"
	fi
}
ORIGIN="40010100" ASPATH="400200" NH="4003040a630032"  # 10.99.0.50
NLRI="180afa00"                                           # 10.250.0.0/24
# A well-formed UPDATE, then the same prefix with ORIGIN 5 (RFC 7606 §7.1: treat-as-withdraw,
# no NOTIFICATION, the copy taken before removed), then an UPDATE of the same session with MP_REACH
# flagged well-known (RFC 7606 §5.3: session reset, 3/4 with the attribute): its routes go.
upd() { printf '2:%04x%04x%s%s%s' $((${#1} / 2)) $((${#2} / 2)) "$1" "$2" "$3"; }
# In the background, so that the route can be seen in between.
bg_wait 10 bg_is_state 1 10.99.0.50 Active
timeout -k 1 20 ip netns exec "$BAD" "$WT_TMP/bin/bgp_send" -s 10.99.0.50 -i 10.99.0.50 -w 2 10.99.0.1 \
	"$(upd "" "$ORIGIN$ASPATH$NH" "$NLRI")" wait:2500 "$(upd "" "40010105$ASPATH$NH" "$NLRI")" >"$WT_TMP/taw.out" 2>&1 &
taw=$!
bg_wait 2 bg_has_route 1 10.250.0.0/24 10.99.0.50 && pass "the test peer's well-formed route is taken" ||
	fail "the test peer's well-formed route is taken" "$(bg_ctl 1 route list | tr '\n' ' ')"
wait "$taw"
if grep -qx TIMEOUT "$WT_TMP/taw.out" && ! grep -q NOTIFICATION "$WT_TMP/taw.out"; then
	pass "treat-as-withdraw: ORIGIN 5 gets no NOTIFICATION (RFC 7606 §7.1)"
else
	fail "treat-as-withdraw: ORIGIN 5 gets no NOTIFICATION" "$(tr '\n' ' ' <"$WT_TMP/taw.out")"
fi
if bg_no_route 1 10.250.0.0/24; then
	pass "treat-as-withdraw: the route taken before is gone"
else
	fail "treat-as-withdraw: the route taken before is gone" "$(bg_route 1 10.250.0.0/24)"
fi
case $(bg_peer_field 1 10.99.0.50 last_update_error) in
*ORIGIN*) pass "treat-as-withdraw: peer list says why ($(bg_peer_field 1 10.99.0.50 last_update_error))" ;;
*) fail "treat-as-withdraw: peer list says why" "$(bg_peer_field 1 10.99.0.50 last_update_error)" ;;
esac

send "missing well-known ORIGIN: treat-as-withdraw, no NOTIFICATION (RFC 7606 §3 d)" "TIMEOUT" \
	"$(upd "" "$ASPATH$NH" "$NLRI")"
MPREACH="400e1e00020110fd00009900000000000000000000005000""40fd00001002440002"  # fd00:10:244:2::/64
send "MP_REACH_NLRI flags: 3/4 with the attribute, session reset (RFC 7606 §5.3)" "NOTIFICATION 3/4 $MPREACH" \
	"$(upd "" "$ORIGIN$ASPATH$NH" "$NLRI")" wait:300 \
	"$(upd "" "$MPREACH$ORIGIN$ASPATH" "")"
bg_wait 3 bg_no_route 1 10.250.0.0/24 && pass "session reset: the test peer's routes are gone" ||
	fail "session reset: the test peer's routes are gone" "$(bg_route 1 10.250.0.0/24)"
send "unknown well-known attribute: 3/2 with the attribute" "NOTIFICATION 3/2 40630100" \
	"$(upd "" "$ORIGIN$ASPATH${NH}40630100" "$NLRI")"
send "Withdrawn Routes Length past the message: 3/1" "NOTIFICATION 3/1 ?" "2:00ff0000"
send "NLRI prefix length 33: 3/10 (RFC 7606 §5.3)" "NOTIFICATION 3/10 ?" "$(upd "" "$ORIGIN$ASPATH$NH" "210afa0000ff")"
send "AS_PATH segment overrun: treat-as-withdraw (RFC 7606 §7.2)" "TIMEOUT" "$(upd "" "${ORIGIN}40020602050000fde8$NH" "$NLRI")"
send "header: marker not all ones: 1/1" "NOTIFICATION 1/1 ?" "raw:00000000000000000000000000000000001304"
send "header: length 18: 1/2 with the length" "NOTIFICATION 1/2 0012" "raw:ffffffffffffffffffffffffffffffff001204"
send "header: unknown message type 7: 1/3 with the type (GoBGP 3.10 crashes on this)" "NOTIFICATION 1/3 07" "7:"
send "KEEPALIVE of 20 bytes: 1/2 with the length" "NOTIFICATION 1/2 0014" "4:00"
send "ROUTE-REFRESH of 24 bytes: 7/1 with the message (RFC 7313 §5)" "NOTIFICATION 7/1 ffffffffffffffffffffffffffffffff001805.*" "5:0001000100"
send "OPEN from the wrong AS: 2/2" "NOTIFICATION 2/2 ?" -a 65001
send "OPEN with hold time 2: 2/6" "NOTIFICATION 2/6 ?" -t 2
send "OPEN of version 3: 2/1 with version 4" "NOTIFICATION 2/1 0004" -n \
	"1:03fc0000090a63003214021201040001000101040002000141040000fc00"
send "UPDATE in OpenConfirm: FSM Error 5/2 with the type (RFC 6608)" "NOTIFICATION 5/2 02" -n \
	"1:04fc0000090a63003214021201040001000101040002000141040000fc00" wait:300 "$(upd "" "$ORIGIN$ASPATH$NH" "$NLRI")"

# ---- through all of it ---------------------------------------------------------------------
expect_eq "node2's session never dropped" "$(bg_peer_field 1 10.99.0.2 established_count)/$(bg_peer_field 1 10.99.0.2 state)" \
	"$n2_count/Established"
expect_eq "node2's route still there" "$(bg_route 1 10.244.2.0/24)" 10.99.0.2
expect_eq "weftd still answers" "$(bg_ctl 1 -o json status | jq -r .pid)" "${BG_PID[1]}"
case $(bg_peer_field 1 10.99.0.50 last_error) in
"sent Finite State Machine Error"*) pass "peer list: the test peer's last error ($(bg_peer_field 1 10.99.0.50 last_error))" ;;
*) fail "peer list: the test peer's last error" "$(bg_peer_field 1 10.99.0.50 last_error)" ;;
esac
bg_stop 1 TERM
expect_eq "node1 exits 0" "$WD_RC" 0
