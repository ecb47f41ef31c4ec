#!/bin/bash
# GoBGP (gobgpd 3.10) as a peer of one weftd: eBGP without policy (RFC 8212: nothing either way),
# eBGP with acceptAll and exportPodCIDRs (routes both ways, IPv6 with IPv4-mapped next hops, a
# withdrawal, GoBGP SIGSTOPped and killed), then iBGP with graceful restart (LOCAL_PREF, End-of-RIB,
# GoBGP killed: its routes kept stale until it is back and says End-of-RIB). Checked through
# `gobgp global rib` and `weftctl route list` / `peer list`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_lib.sh"
require_root
wt_init r
if ! command -v gobgpd >/dev/null || ! command -v gobgp >/dev/null; then
	echo "SKIP: $WT_FILE needs GoBGP (Debian: apt-get install gobgpd; make deps)"
	exit 0
fi

bg_underlay
ns_add gb
GB=$WT_PREFIX-gb
bg_port vgb "$GB" 10.99.0.100 fd00:99::100
bg_node 1

# gobgp_conf AS GR: gobgpd in AS AS peering with node 1 (hold 9 s), graceful restart on or off.
gobgp_conf() {
	cat <<TOML
[global.config]
  as = $1
  router-id = "10.99.0.100"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.99.0.1"
    peer-as = $BG_ASN
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
    connect-retry = 2
  [neighbors.graceful-restart.config]
    enabled = $2
    restart-time = 30
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = $2
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = $2
TOML
}
# weftd_bgp PEER_AS EXTRA_PEER_JSON
weftd_bgp() {
	jq -cn --argjson asn "$BG_ASN" --argjson pas "$1" --argjson x "$2" '{
		asn: $asn, routerId: "10.99.0.1", holdTime: 9, connectRetry: 2,
		announce: ["10.244.1.0/24", "fd00:10:244:1::/64"],
		peers: [{address: "10.99.0.100", asn: $pas} + $x]}'
}
# gobgp_route PREFIX FAMILY: "NEXTHOP ASPATH" of GoBGP's best path ("" if none).
gobgp_route() {
	bg_gobgpc -j global rib -a "$2" 2>/dev/null | jq -r --arg p "$1" '
		(.[$p] // [])[] | select(.best) | [(.attrs[] | select(.type == 3) | .nexthop) //
		 (.attrs[] | select(.type == 14) | .nexthop), ([.attrs[] | select(.type == 2) | .as_paths[].asns[]] | map(tostring) | join(" "))] | join(" ")' 2>/dev/null
}
gobgp_has() { [ "$(gobgp_route "$1" "$2")" = "$3" ]; }
established() { bg_is_state 1 10.99.0.100 Established; }

# ---- eBGP without policy: RFC 8212 -------------------------------------------------------------
bg_gobgp "$GB" "$(gobgp_conf 65000 false)"
bg_weftd 1 "$(weftd_bgp 65000 '{}')"
bg_start 1
bg_wait 15 established && pass "eBGP session with GoBGP Established ($BG_WAITED s)" ||
	fail "eBGP session with GoBGP Established" "$(bg_ctl 1 peer list | tr '\n' ' ')"
bg_gobgpc global rib add 10.250.0.0/24 -a ipv4 >/dev/null
bg_wait 5 eval '[ "$(bg_peer_field 1 10.99.0.100 prefixes_filtered)" -ge 1 ]'
expect_eq "RFC 8212: GoBGP's route refused without acceptAll" "$(bg_peer_field 1 10.99.0.100 prefixes_received)" 0
expect_eq "... counted as refused" "$(bg_peer_field 1 10.99.0.100 prefixes_filtered)" 1
expect_eq "... not in the routing table" "$(bg_route 1 10.250.0.0/24)" ""
expect_eq "RFC 8212: nothing announced to GoBGP without exportPodCIDRs" "$(gobgp_route 10.244.1.0/24 ipv4)" ""
expect_eq "... prefixes sent 0" "$(bg_peer_field 1 10.99.0.100 prefixes_sent)" 0
bg_ctl 1 peer list | grep -q '^10\.99\.0\.100 .* 0 (1 refused) ' && pass "weftctl peer list shows the refused prefix" ||
	fail "weftctl peer list shows the refused prefix" "$(bg_ctl 1 peer list | tr '\n' ' ')"

# ---- eBGP with acceptAll and exportPodCIDRs ----------------------------------------------------
bg_stop 1 TERM
bg_use 1
jq --argjson b "$(weftd_bgp 65000 '{"acceptAll": true, "exportPodCIDRs": true}')" '.bgp = $b' "$WD_CONF" >"$WD_CONF.new" &&
	mv "$WD_CONF.new" "$WD_CONF"
t0=$(bg_now)
bg_start 1
bg_gobgpc global rib add fd00:250::/64 -a ipv6 >/dev/null
both_ways() {
	gobgp_has 10.244.1.0/24 ipv4 "10.99.0.1 64512" && bg_has_route 1 10.250.0.0/24 10.99.0.100 &&
		bg_has_route 1 fd00:250::/64 10.99.0.100
}
if bg_wait 15 both_ways; then
	pass "eBGP with policy: routes both ways after $(bg_since "$t0") s"
else
	fail "eBGP with policy: routes both ways" "gobgp: $(gobgp_route 10.244.1.0/24 ipv4); weftd: $(bg_ctl 1 route list | tr '\n' ' ')"
fi
expect_eq "gobgp global rib: our IPv4 pod CIDR, next hop node1, AS path 64512" "$(gobgp_route 10.244.1.0/24 ipv4)" "10.99.0.1 64512"
expect_eq "gobgp global rib: our IPv6 pod CIDR (IPv4-mapped next hop), AS path 64512" \
	"$(gobgp_route fd00:10:244:1::/64 ipv6 | cut -d' ' -f2)" "64512"
expect_eq "weftd: GoBGP's route with AS path 65000" "$(bg_route 1 10.250.0.0/24 as_path)" 65000
expect_eq "weftd: GoBGP's IPv6 route, its IPv4-mapped next hop read as IPv4" "$(bg_route 1 fd00:250::/64)" 10.99.0.100
bg_gobgpc global rib del 10.250.0.0/24 -a ipv4 >/dev/null
bg_has_route 1 fd00:250::/64 10.99.0.100 && bg_wait 5 bg_no_route 1 10.250.0.0/24 && pass "GoBGP withdraws: gone from weftd after $BG_WAITED s" ||
	fail "GoBGP withdraws: gone from weftd" "$(bg_route 1 10.250.0.0/24)"
bg_gobgpc global rib add 10.250.0.0/24 -a ipv4 >/dev/null
bg_wait 5 bg_has_route 1 10.250.0.0/24 10.99.0.100 || fail "GoBGP announces again: back in weftd" "$(bg_ctl 1 route list | tr '\n' ' ')"

kill -STOP "$GOBGP_PID"
t0=$(bg_now)
if bg_wait 13 eval 'bg_no_route 1 10.250.0.0/24 && bg_no_route 1 fd00:250::/64'; then
	pass "GoBGP SIGSTOPped: its routes gone after $BG_WAITED s (hold time 9 s)"
else
	fail "GoBGP SIGSTOPped: its routes gone within the hold time" "after $(bg_since "$t0") s"
fi
kill -CONT "$GOBGP_PID"
bg_wait 20 bg_has_route 1 10.250.0.0/24 10.99.0.100 && pass "GoBGP resumed: its route back after $BG_WAITED s" ||
	fail "GoBGP resumed: its route back" "$(bg_ctl 1 peer list | tr '\n' ' ')"
bg_has_route 1 10.250.0.0/24 10.99.0.100 && bg_kill9_gobgp && bg_wait 3 bg_no_route 1 10.250.0.0/24 && pass "GoBGP killed (no graceful restart): its routes gone after $BG_WAITED s" ||
	fail "GoBGP killed: its routes gone at once" "$(bg_ctl 1 route list | tr '\n' ' ')"

# ---- iBGP with graceful restart ---------------------------------------------------------------
bg_stop 1 TERM
bg_use 1
jq --argjson b "$(weftd_bgp "$BG_ASN" '{}')" '.bgp = $b' "$WD_CONF" >"$WD_CONF.new" && mv "$WD_CONF.new" "$WD_CONF"
bg_gobgp "$GB" "$(gobgp_conf "$BG_ASN" true)"
bg_gobgpc global rib add 10.251.0.0/24 local-pref 200 -a ipv4 >/dev/null
bg_start 1
bg_wait 15 eval 'bg_has_route 1 10.251.0.0/24 10.99.0.100 && gobgp_has 10.244.1.0/24 ipv4 "10.99.0.1 "' &&
	pass "iBGP with GoBGP: routes both ways after $BG_WAITED s" ||
	fail "iBGP with GoBGP: routes both ways" "gobgp: $(gobgp_route 10.244.1.0/24 ipv4); weftd: $(bg_ctl 1 route list | tr '\n' ' ')"
expect_eq "weftd: LOCAL_PREF 200 from the internal peer" "$(bg_route 1 10.251.0.0/24 local_pref)" 200
expect_eq "weftd: internal route, empty AS path" "$(bg_route 1 10.251.0.0/24 as_path)" ""
expect_eq "gobgp: LOCAL_PREF 100 on our route" \
	"$(bg_gobgpc -j global rib -a ipv4 | jq -r '."10.244.1.0/24"[0].attrs[] | select(.type == 5) | .value')" 100
bg_wait 5 eval '[ "$(bg_peer_field 1 10.99.0.100 end_of_rib_received)" = "[\"ipv4\",\"ipv6\"]" ]' &&
	pass "End-of-RIB from GoBGP (it does graceful restart)" ||
	fail "End-of-RIB from GoBGP" "$(bg_peer_field 1 10.99.0.100 end_of_rib_received)"
expect_eq "weftd synced" "$(bg_ctl 1 -o json peer list | jq -r .local.synced)" true
bg_kill9_gobgp
sleep 1
expect_eq "GoBGP killed (graceful restart): its route kept" "$(bg_route 1 10.251.0.0/24)" 10.99.0.100
expect_eq "... as stale" "$(bg_route 1 10.251.0.0/24 stale)" true
# GoBGP comes back without the route (it was added by hand): its End-of-RIB sweeps it.
bg_gobgp "$GB" "$(gobgp_conf "$BG_ASN" true)"
if bg_wait 20 bg_no_route 1 10.251.0.0/24; then
	pass "GoBGP back without the route: swept at its End-of-RIB after $BG_WAITED s"
else
	fail "GoBGP back without the route: swept at its End-of-RIB" "$(bg_ctl 1 route list | tr '\n' ' ') $(bg_peer_field 1 10.99.0.100 state)"
fi
grep -q 'End-of-RIB for ipv4-unicast' "${BG_DIR[1]}/weftd.log" && pass "weftd logged GoBGP's End-of-RIB" ||
	fail "weftd logged GoBGP's End-of-RIB" "$(grep 'bgp ' "${BG_DIR[1]}/weftd.log" | tail -n 3 | tr '\n' ' ')"
bg_wait 10 gobgp_has 10.244.1.0/24 ipv4 "10.99.0.1 " && pass "GoBGP has our route again" ||
	fail "GoBGP has our route again" "$(gobgp_route 10.244.1.0/24 ipv4)"
bg_stop 1 TERM
expect_eq "weftd exits 0" "$WD_RC" 0
