#!/bin/bash
# Two weftd in two node namespaces on one underlay bridge, peering iBGP with each other (a full
# mesh of two, both dialling: collision handling), with the fabric on (nodeAddress, podCIDRs,
# overlay), exchange their pod CIDRs: checked through `weftctl route list` (where the fabric
# installed them) and `peer list` on both sides. Then the faults: a peer SIGSTOPped or its
# link cut (routes gone within the 9 s hold time), killed with and without graceful restart
# (kept stale and refreshed after its restart / gone at once), and stopped with SIGTERM (no
# Cease: the other side keeps the routes until it is back).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_lib.sh"
require_root
wt_init r

bg_underlay
bg_node 1
bg_node 2

# bgp_conf I PEER GR: node I's bgp key (hold 9 s, retry 2 s), peering with node PEER.
bgp_conf() {
	jq -cn --argjson i "$1" --argjson j "$2" --argjson gr "$3" --argjson asn "$BG_ASN" '{
		asn: $asn, routerId: "10.99.0.\($i)", holdTime: 9, connectRetry: 2,
		gracefulRestart: {enabled: $gr, restartTime: 30},
		peers: [{address: "10.99.0.\($j)", asn: $asn}]}'
}
bg_weftd 1 "$(bgp_conf 1 2 true)" "$(bg_fabric 1)"
bg_weftd 2 "$(bgp_conf 2 1 true)" "$(bg_fabric 2)"
bg_start 1
bg_start 2

# ---- the exchange ------------------------------------------------------------------------
if bg_wait 20 bg_is_state 1 10.99.0.2 Established && bg_wait 5 bg_is_state 2 10.99.0.1 Established; then
	pass "both sessions Established ($BG_WAITED s after the second weftd was ready)"
else
	fail "both sessions Established" "node1: $(bg_peer_field 1 10.99.0.2 state) ($(bg_peer_field 1 10.99.0.2 last_error)), node2: $(bg_peer_field 2 10.99.0.1 state); $(weftd_log_tail)"
fi
if bg_wait 10 bg_has_route 1 10.244.2.0/24 10.99.0.2 && bg_wait 5 bg_has_route 2 10.244.1.0/24 10.99.0.1; then
	pass "IPv4 pod CIDRs learned both ways, next hop the other node ($BG_WAITED s)"
else
	fail "IPv4 pod CIDRs learned both ways" "node1: $(bg_ctl 1 route list 2>&1 | tr '\n' ' '); node2: $(bg_ctl 2 route list 2>&1 | tr '\n' ' ')"
fi
expect_eq "IPv6 pod CIDR learned by node1, next hop node2's nodeAddress6" "$(bg_route 1 fd00:10:244:2::/64)" fd00:99::2
expect_eq "IPv6 pod CIDR learned by node2, next hop node1's nodeAddress6" "$(bg_route 2 fd00:10:244:1::/64)" fd00:99::1
expect_eq "route list: the fabric put it in the tunnel map" "$(bg_route 1 10.244.2.0/24 installed)" tunnel
expect_eq "data path: node1 tunnels 10.244.2.0/24 to node2" "$(bg_tunnel 1 10.244.2.0/24)" 10.99.0.2
expect_eq "data path: node1 tunnels fd00:10:244:2::/64 to node2" "$(bg_tunnel 1 fd00:10:244:2::/64)" fd00:99::2
expect_eq "route list: the node's own pod CIDR, from local" "$(bg_route 1 10.244.1.0/24 from)" local
expect_eq "route list: learned from the peer" "$(bg_route 1 10.244.2.0/24 from)" 10.99.0.2
expect_eq "route list: empty AS path (internal)" "$(bg_route 1 10.244.2.0/24 as_path)" ""
expect_eq "peer list: 2 prefixes received" "$(bg_peer_field 1 10.99.0.2 prefixes_received)" 2
expect_eq "peer list: 2 prefixes sent" "$(bg_peer_field 1 10.99.0.2 prefixes_sent)" 2
expect_eq "peer list: End-of-RIB received for both families" \
	"$(bg_ctl 1 -o json peer list | jq -c '.peers[0].end_of_rib_received')" '["ipv4","ipv6"]'
expect_eq "peer list: no error" "$(bg_peer_field 1 10.99.0.2 last_error)" null
expect_eq "peer list: synced" "$(bg_ctl 1 -o json peer list | jq -r .local.synced)" true
out=$(bg_ctl 1 peer list)
if grep -q '^ADDRESS *AS *TYPE *STATE *UPTIME *RECEIVED *SENT *LAST ERROR' <<<"$out" &&
	grep -Eq '^10\.99\.0\.2 +64512 +ibgp +Established +[0-9smh]+ +2 +2 +- *$' <<<"$out"; then
	pass "weftctl peer list (table)"
else
	fail "weftctl peer list (table)" "$out"
fi
out=$(bg_ctl 1 route list)
if grep -Eq '^10\.244\.2\.0/24 +10\.99\.0\.2 +10\.99\.0\.2 +yes +\(empty\) +[0-9smh]+ +tunnel *$' <<<"$out"; then
	pass "weftctl route list (table)"
else
	fail "weftctl route list (table)" "$out"
fi

# ---- SIGSTOP: the hold timer notices -----------------------------------------------------
bg_kill 2 STOP
t0=$(bg_now)
if bg_wait 13 bg_no_route 1 10.244.2.0/24; then
	pass "node2 SIGSTOPped: its routes gone from node1 after $BG_WAITED s (hold time 9 s)"
else
	fail "node2 SIGSTOPped: its routes gone within the hold time" "still $(bg_route 1 10.244.2.0/24) after $(bg_since "$t0") s"
fi
expect_eq "node1 says why: Hold Timer Expired" \
	"$(bg_peer_field 1 10.99.0.2 last_error | cut -c1-23)" "sent Hold Timer Expired"
bg_no_route 1 fd00:10:244:2::/64 && pass "node2's IPv6 route gone too" || fail "node2's IPv6 route gone too" "$(bg_route 1 fd00:10:244:2::/64)"
expect_eq "... and out of node1's data path" "$(bg_tunnel 1 10.244.2.0/24)$(bg_tunnel 1 fd00:10:244:2::/64)" ""
bg_kill 2 CONT
if bg_wait 20 bg_has_route 1 10.244.2.0/24 10.99.0.2; then
	pass "node2 resumed: routes back on node1 after $BG_WAITED s"
else
	fail "node2 resumed: routes back" "$(bg_peer_field 1 10.99.0.2 state) $(bg_peer_field 1 10.99.0.2 last_error)"
fi

# ---- link cut: only the hold timer can tell --------------------------------------------
bg_wait 10 bg_has_route 2 10.244.1.0/24 10.99.0.1
ip -n "$BG_UL" link set v2 down
t0=$(bg_now)
if bg_wait 13 bg_no_route 1 10.244.2.0/24; then
	pass "node2's link cut: its routes gone from node1 after $BG_WAITED s (hold time 9 s)"
else
	fail "node2's link cut: routes gone within the hold time" "after $(bg_since "$t0") s"
fi
bg_wait 5 bg_no_route 2 10.244.1.0/24 && pass "and node1's gone from node2 ($BG_WAITED s more)" ||
	fail "node1's routes gone from node2" "$(bg_route 2 10.244.1.0/24)"
ip -n "$BG_UL" link set v2 up
if bg_wait 25 bg_has_route 1 10.244.2.0/24 10.99.0.2 && bg_wait 10 bg_has_route 2 10.244.1.0/24 10.99.0.1; then
	pass "link back: routes back both ways"
else
	fail "link back: routes back both ways" "$(bg_peer_field 1 10.99.0.2 state)"
fi

# ---- kill -9 with graceful restart: kept stale, refreshed when it is back ------------------
bg_kill9 2
sleep 1
expect_eq "node2 killed (graceful restart): node1 keeps its route" "$(bg_route 1 10.244.2.0/24)" 10.99.0.2
expect_eq "... marked stale" "$(bg_route 1 10.244.2.0/24 stale)" true
expect_eq "... and counted" "$(bg_ctl 1 -o json peer list | jq '.peers[0].graceful_restart.stale_routes')" 2
expect_eq "... still in node1's data path" "$(bg_tunnel 1 10.244.2.0/24)" 10.99.0.2
t0=$(bg_now)
bg_start 2
expect_eq "node2 restarts with the R bit (its data path is pinned)" \
	"$(bg_ctl 2 -o json peer list | jq -r .local.graceful_restart.restarting)" true
if bg_wait 20 bg_route_is 1 10.244.2.0/24 stale false; then
	pass "node2 back: its routes fresh again on node1 after $BG_WAITED s"
else
	fail "node2 back: its routes fresh again" "$(bg_ctl 1 route list | tr '\n' ' ')"
fi
bg_wait 10 eval '[ "$(bg_ctl 2 -o json peer list | jq -r .local.synced)" = true ]' &&
	pass "node2 synced (End-of-RIB from node1) $BG_WAITED s later" || fail "node2 synced" "$(bg_ctl 2 -o json peer list | jq -c .local)"
expect_eq "node2 learned node1's route again" "$(bg_route 2 10.244.1.0/24)" 10.99.0.1

# ---- SIGTERM with graceful restart: no Cease ---------------------------------------------
bg_stop 2 TERM
expect_eq "node2 stopped with SIGTERM: exit 0" "$WD_RC" 0
sleep 1
expect_eq "node1 still has node2's route (no Cease on SIGTERM)" "$(bg_route 1 10.244.2.0/24 stale)" true
case $(bg_peer_field 1 10.99.0.2 last_error) in
*Cease*) fail "no Cease received by node1" "$(bg_peer_field 1 10.99.0.2 last_error)" ;;
*) pass "no Cease received by node1" ;;
esac
bg_start 2
bg_wait 20 bg_route_is 1 10.244.2.0/24 stale false && pass "node2 back after SIGTERM: fresh in $BG_WAITED s" ||
	fail "node2 back after SIGTERM" "$(bg_ctl 1 route list | tr '\n' ' ')"

# ---- without graceful restart: kill -9 takes the routes at once ----------------------------
bg_stop 2 TERM
bg_use 2
jq --argjson b "$(bgp_conf 2 1 false)" '.bgp = $b' "$WD_CONF" >"$WD_CONF.new" && mv "$WD_CONF.new" "$WD_CONF"
bg_start 2
bg_wait 20 bg_route_is 1 10.244.2.0/24 stale false
# node1 still does graceful restart; node2 advertises none now.
bg_kill9 2
if bg_wait 3 bg_no_route 1 10.244.2.0/24; then
	pass "node2 without graceful restart killed: its routes gone from node1 after $BG_WAITED s"
else
	fail "node2 without graceful restart killed: routes gone at once" "$(bg_ctl 1 route list | tr '\n' ' ')"
fi
grep -q 'ERROR\|Sanitizer' "${BG_DIR[1]}/weftd.out" && fail "node1's weftd output is clean" "$(grep -m3 'ERROR\|Sanitizer' "${BG_DIR[1]}/weftd.out")"
bg_stop 1 TERM
expect_eq "node1 exits 0" "$WD_RC" 0
