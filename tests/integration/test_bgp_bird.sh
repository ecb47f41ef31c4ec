#!/bin/bash
# BIRD 2 as the route reflector of two weftd nodes (dynamic neighbours, `direct`, as the sandbox's
# --rr bird): each node peers only with BIRD, over IPv4 for IPv4 and over IPv6 for IPv6. Routes
# learned both ways, checked through `birdc show route` and `weftctl route list`. Then BIRD
# SIGSTOPped (hold timer), its link cut (hold timer) and killed (at once: BIRD is only graceful
# restart "aware", it keeps no forwarding state): the reflected routes leave the nodes. And the
# other way round: a node's weftd killed or stopped and restarted, BIRD helping (RFC 4724): the
# other node never loses the route. Last, BIRD as an eBGP peer with GTSM (a top-of-rack router):
# routes both ways, and its ROUTE-REFRESH answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_lib.sh"
require_root
wt_init r
if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then
	echo "SKIP: $WT_FILE needs BIRD 2 (Debian: apt-get install bird2; make deps)"
	exit 0
fi

bg_underlay
ns_add rr
RR=$WT_PREFIX-rr
bg_port vrr "$RR" 10.99.0.100 fd00:99::100
bg_node 1
bg_node 2

bird_conf() {
	cat <<BIRD
log "$WT_TMP/bird/bird.log" all;
router id 10.99.0.100;
protocol device { }
template bgp rrc {
	local as $BG_ASN;
	rr client;
	rr cluster id 10.99.0.100;
	direct;
	hold time 9;
	connect retry time 2;
	error wait time 1, 5;   # after an error BIRD refuses the peer for 60 s by default
}
protocol bgp nodes4 from rrc {
	local 10.99.0.100 as $BG_ASN;
	neighbor range 10.99.0.0/24 as $BG_ASN;
	dynamic name "node4_";
	ipv4 { import all; export all; };
}
protocol bgp nodes6 from rrc {
	local fd00:99::100 as $BG_ASN;
	neighbor range fd00:99::/64 as $BG_ASN;
	dynamic name "node6_";
	ipv6 { import all; export all; };
}
BIRD
}
bg_bird "$RR" "$(bird_conf)"

# Node I peers with BIRD only: IPv4 routes over the IPv4 session, IPv6 over the IPv6 one.
bgp_conf() {
	jq -cn --argjson i "$1" --argjson asn "$BG_ASN" '{
		asn: $asn, routerId: "10.99.0.\($i)", holdTime: 9, connectRetry: 2,
		announce: ["10.244.\($i).0/24", "fd00:10:244:\($i)::/64"],
		peers: [{address: "10.99.0.100", asn: $asn, families: ["ipv4"]},
			{address: "fd00:99::100", asn: $asn, families: ["ipv6"]}]}'
}
bg_weftd 1 "$(bgp_conf 1)"
bg_weftd 2 "$(bgp_conf 2)"
bg_start 1
t0=$(bg_now)
bg_start 2

both_up() {
	local i a
	for i in 1 2; do
		for a in 10.99.0.100 fd00:99::100; do
			bg_is_state "$i" "$a" Established || return 1
		done
	done
}
if bg_wait 20 both_up; then
	pass "both nodes Established with BIRD over IPv4 and IPv6 ($(bg_since "$t0") s)"
else
	fail "both nodes Established with BIRD" "$(bg_ctl 1 peer list | tr '\n' ' ') | $(bg_birdc show protocols | tr '\n' ' ')"
fi
converged() {
	bg_has_route 1 10.244.2.0/24 10.99.0.2 && bg_has_route 2 10.244.1.0/24 10.99.0.1 &&
		bg_has_route 1 fd00:10:244:2::/64 fd00:99::2 && bg_has_route 2 fd00:10:244:1::/64 fd00:99::1
}
if bg_wait 15 converged; then
	pass "routes reflected: each node has the other's pod CIDRs, next hop the other node ($(bg_since "$t0") s after the second start)"
else
	fail "routes reflected to both nodes" "node1: $(bg_ctl 1 route list | tr '\n' ' ') node2: $(bg_ctl 2 route list | tr '\n' ' ')"
fi
for p in "10.244.1.0/24 10.99.0.1" "10.244.2.0/24 10.99.0.2" "fd00:10:244:1::/64 fd00:99::1" "fd00:10:244:2::/64 fd00:99::2"; do
	expect_eq "birdc show route: ${p% *} via ${p#* }" "$(bg_bird_route "${p% *}")" "${p#* }"
done
expect_eq "node1 learned 10.244.2.0/24 from BIRD" "$(bg_route 1 10.244.2.0/24 from)" 10.99.0.100
expect_eq "node1 learned fd00:10:244:2::/64 from BIRD over IPv6" "$(bg_route 1 fd00:10:244:2::/64 from)" fd00:99::100
expect_eq "node1: 1 prefix from BIRD (IPv4), its own not reflected back" "$(bg_peer_field 1 10.99.0.100 prefixes_received)" 1
expect_eq "node1: End-of-RIB sent to BIRD" "$(bg_ctl 1 -o json peer list | jq -c '.peers[0].end_of_rib_sent')" '["ipv4"]'
out=$(bg_birdc show protocols all node4_1 2>&1)
grep -q 'Routes: *1 imported, 1 exported' <<<"$out" && pass "birdc: node 1 sent 1 route, got 1" ||
	fail "birdc: node 1 sent 1 route, got 1" "$(grep -E 'Routes|State|Neighbor address' <<<"$out" | tr '\n' ' ')"

# ---- BIRD SIGSTOPped: the hold timer -------------------------------------------------------
kill -STOP "$BIRD_PID"
t0=$(bg_now)
if bg_wait 13 eval 'bg_no_route 1 10.244.2.0/24 && bg_no_route 1 fd00:10:244:2::/64'; then
	pass "BIRD SIGSTOPped: reflected routes gone from node1 after $BG_WAITED s (hold time 9 s)"
else
	fail "BIRD SIGSTOPped: reflected routes gone within the hold time" "after $(bg_since "$t0") s: $(bg_ctl 1 route list | tr '\n' ' ')"
fi
kill -CONT "$BIRD_PID"
bg_wait 25 converged && pass "BIRD resumed: converged again after $BG_WAITED s" || fail "BIRD resumed: converged again" "$(bg_ctl 1 peer list | tr '\n' ' ')"

# ---- BIRD's link cut -----------------------------------------------------------------------
ip -n "$BG_UL" link set vrr down
t0=$(bg_now)
if bg_wait 13 eval 'bg_no_route 1 10.244.2.0/24 && bg_no_route 2 10.244.1.0/24'; then
	pass "BIRD's link cut: reflected routes gone from both nodes after $BG_WAITED s (hold time 9 s)"
else
	fail "BIRD's link cut: routes gone within the hold time" "after $(bg_since "$t0") s"
fi
ip -n "$BG_UL" link set vrr up
bg_wait 30 converged && pass "link back: converged again after $BG_WAITED s" || fail "link back: converged again" "$(bg_ctl 1 peer list | tr '\n' ' ')"

# ---- a node restarts: BIRD keeps its routes (graceful restart helper) ---------------------
# node2 is killed, then started again: node1 must hold the route the whole time.
watch_route() {
	local end=$(($(date +%s) + $1)) gaps=0
	while [ "$(date +%s)" -lt "$end" ]; do
		bg_has_route 1 10.244.2.0/24 10.99.0.2 || gaps=$((gaps + 1))
		sleep 0.2
	done
	echo "$gaps"
}
for sig in KILL TERM; do
	watch_route 8 >"$WT_TMP/gaps" &
	watcher=$!
	sleep 1
	if [ $sig = KILL ]; then
		bg_kill9 2
	else
		bg_stop 2 TERM
	fi
	sleep 2
	expect_eq "node2's weftd gone (SIG$sig): BIRD still has its route" "$(bg_bird_route 10.244.2.0/24)" 10.99.0.2
	bg_start 2
	wait "$watcher"
	expect_eq "node2's weftd gone (SIG$sig) and back: node1 had the route all the time (samples without it)" 		"$(cat "$WT_TMP/gaps")" 0
	bg_wait 15 eval '[ "$(bg_ctl 2 -o json peer list | jq -r .local.synced)" = true ]' &&
		pass "node2 back (SIG$sig): End-of-RIB from BIRD on both sessions after $BG_WAITED s" ||
		fail "node2 back (SIG$sig): End-of-RIB from BIRD" "$(bg_ctl 2 -o json peer list | jq -c '.peers[] | [.state, .end_of_rib_received]')"
	bg_wait 10 converged || fail "node2 back (SIG$sig): converged" "$(bg_ctl 2 route list | tr '\n' ' ')"
done

# ---- BIRD killed: TCP closes; BIRD keeps no forwarding state, so its routes go at once ------
bg_kill9_bird
if bg_wait 3 eval 'bg_no_route 1 10.244.2.0/24 && bg_no_route 2 10.244.1.0/24 && bg_no_route 1 fd00:10:244:2::/64'; then
	pass "BIRD killed: reflected routes gone from both nodes after $BG_WAITED s"
else
	fail "BIRD killed: routes gone at once" "$(bg_ctl 1 route list | tr '\n' ' ')"
fi
bg_bird "$RR" "$(bird_conf)"
bg_wait 30 converged && pass "BIRD restarted: converged again after $BG_WAITED s" || fail "BIRD restarted: converged again" "$(bg_ctl 1 peer list | tr '\n' ' ')"

# ---- a node leaves for good: without graceful restart SIGTERM sends Cease ------------------
bg_stop 2 TERM
bg_use 2
jq '.bgp.gracefulRestart = {enabled: false}' "$WD_CONF" >"$WD_CONF.new" && mv "$WD_CONF.new" "$WD_CONF"
bg_start 2
bg_wait 20 converged
bg_stop 2 TERM
if bg_wait 5 eval 'bg_bird_none 10.244.2.0/24 && bg_no_route 1 10.244.2.0/24'; then
	pass "node2 without graceful restart stopped: Cease, its routes gone from BIRD and node1 after $BG_WAITED s"
else
	fail "node2 without graceful restart stopped: its routes gone from BIRD and node1" "bird: $(bg_bird_route 10.244.2.0/24) node1: $(bg_route 1 10.244.2.0/24)"
fi
grep -q 'Received: Administrative shutdown' "$BIRD_DIR/bird.log" && pass "BIRD logged the Cease (Administrative shutdown)" ||
	fail "BIRD logged the Cease" "$(grep node4_ "$BIRD_DIR/bird.log" | tail -n 3 | tr '\n' ' ')"
# ---- BIRD as eBGP peer (a top-of-rack router) -------------------------------------------------
bg_kill9_bird
bg_stop 1 TERM
bg_bird "$RR" "$(cat <<BIRD
log "$WT_TMP/bird/bird.log" all;
router id 10.99.0.100;
protocol device { }
protocol static { ipv4; route 10.250.0.0/24 blackhole; }
protocol bgp tor {
	local 10.99.0.100 as 65000;
	neighbor 10.99.0.1 as $BG_ASN;
	ttl security on;                    # GTSM (RFC 5082), as node1's ttlSecurity 1
	password "s3cret";                  # TCP MD5 (RFC 2385), as node1's md5Password
	hold time 9;
	connect retry time 2;
	error wait time 1, 5;
	ipv4 { import all; export all; };   # BIRD refuses eBGP without explicit filters (RFC 8212)
}
BIRD
)"
bg_use 1
jq --argjson asn "$BG_ASN" '.bgp.peers = [{address: "10.99.0.100", asn: 65000, families: ["ipv4"],
	acceptAll: true, exportPodCIDRs: true, ttlSecurity: 1, md5Password: "s3cret"}]' "$WD_CONF" >"$WD_CONF.new" && mv "$WD_CONF.new" "$WD_CONF"
bg_start 1
if bg_wait 15 eval 'bg_bird_has 10.244.1.0/24 10.99.0.1 && bg_has_route 1 10.250.0.0/24 10.99.0.100'; then
	pass "BIRD as eBGP peer (GTSM and TCP MD5 on both sides): routes both ways after $BG_WAITED s"
else
	fail "BIRD as eBGP peer: routes both ways" "bird: $(bg_bird_route 10.244.1.0/24); node1: $(bg_ctl 1 route list | tr '\n' ' ')"
fi
expect_eq "BIRD: our route with AS path 64512" \
	"$(bg_birdc show route for 10.244.1.0/24 all | awk '$1 == "BGP.as_path:" { print $2 }')" "$BG_ASN"
expect_eq "node1: BIRD's route with AS path 65000, eBGP" "$(bg_route 1 10.250.0.0/24 as_path)" 65000
# BIRD asks for our routes again (it keeps no copy): a ROUTE-REFRESH (RFC 2918), answered.
bg_birdc reload in tor >/dev/null
if bg_wait 5 grep -q 'route refresh for ipv4-unicast' "$WD_LOG"; then
	pass "birdc reload in: weftd answered BIRD's ROUTE-REFRESH"
else
	fail "birdc reload in: weftd answered BIRD's ROUTE-REFRESH" "$(grep 'bgp ' "$WD_LOG" | tail -n 3 | tr '\n' ' ')"
fi
bg_wait 3 bg_bird_has 10.244.1.0/24 10.99.0.1 && pass "BIRD still has our route after the refresh" ||
	fail "BIRD still has our route after the refresh" "$(bg_bird_route 10.244.1.0/24)"
# The keys are really in use: with another one nothing gets through.
bg_stop 1 TERM
jq '.bgp.peers[0].md5Password = "wrong"' "$WD_CONF" >"$WD_CONF.new" && mv "$WD_CONF.new" "$WD_CONF"
bg_start 1
if bg_wait 6 bg_is_state 1 10.99.0.100 Established; then
	fail "a wrong TCP MD5 key: no session" "Established with the wrong key"
else
	pass "a wrong TCP MD5 key: no session in 6 s ($(bg_peer_field 1 10.99.0.100 state))"
fi
bg_stop 1 TERM
expect_eq "node1 exits 0" "$WD_RC" 0
