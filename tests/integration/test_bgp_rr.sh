#!/bin/bash
# weftd as route reflector (routeReflectorClient): node1 reflects between node2 and node3, which
# peer with node1 only. Each client gets the other's pod CIDRs with the other as next hop (RFC
# 4456: next hop unchanged, ORIGINATOR_ID the originator), and a client that stops without
# graceful restart has its routes withdrawn from the other through the reflector.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_lib.sh"
require_root
wt_init r

bg_underlay
for i in 1 2 3; do bg_node $i; done

# conf I PEERS_JSON GR
conf() {
	jq -cn --argjson i "$1" --argjson p "$2" --argjson gr "$3" --argjson asn "$BG_ASN" '{
		asn: $asn, routerId: "10.99.0.\($i)", holdTime: 9, connectRetry: 2, gracefulRestart: {enabled: $gr},
		announce: ["10.244.\($i).0/24", "fd00:10:244:\($i)::/64"], peers: $p}'
}
bg_weftd 1 "$(conf 1 "[{\"address\": \"10.99.0.2\", \"asn\": $BG_ASN, \"routeReflectorClient\": true},
		      {\"address\": \"10.99.0.3\", \"asn\": $BG_ASN, \"routeReflectorClient\": true}]" true)"
bg_weftd 2 "$(conf 2 "[{\"address\": \"10.99.0.1\", \"asn\": $BG_ASN}]" true)"
bg_weftd 3 "$(conf 3 "[{\"address\": \"10.99.0.1\", \"asn\": $BG_ASN}]" false)"
for i in 1 2 3; do bg_start $i; done
t0=$(bg_now)
reflected() {
	bg_has_route 2 10.244.3.0/24 10.99.0.3 && bg_has_route 3 10.244.2.0/24 10.99.0.2 &&
		bg_has_route 2 fd00:10:244:3::/64 10.99.0.3 && bg_has_route 3 fd00:10:244:2::/64 10.99.0.2
}
if bg_wait 20 reflected; then
	pass "clients learn each other's pod CIDRs through node1, next hop unchanged ($(bg_since "$t0") s)"
else
	fail "clients learn each other's pod CIDRs through node1" "node2: $(bg_ctl 2 route list | tr '\n' ' ')"
fi
expect_eq "node2 learned node3's route from the reflector" "$(bg_route 2 10.244.3.0/24 from)" 10.99.0.1
expect_eq "node2 learned node1's own route too" "$(bg_route 2 10.244.1.0/24)" 10.99.0.1
expect_eq "node1 sent node2 4 prefixes: its own 2 and node3's 2 reflected" \
	"$(bg_peer_field 1 10.99.0.2 prefixes_sent)" 4
expect_eq "node2's own routes not reflected back to it" "$(bg_peer_field 2 10.99.0.1 prefixes_received)" 4
bg_stop 3 TERM
if bg_wait 5 eval 'bg_no_route 2 10.244.3.0/24 && bg_no_route 2 fd00:10:244:3::/64'; then
	pass "node3 stops (no graceful restart: Cease): withdrawn from node2 through the reflector after $BG_WAITED s"
else
	fail "node3 stops: withdrawn from node2" "$(bg_ctl 2 route list | tr '\n' ' ')"
fi
expect_eq "node1 now reflects only its own 2 to node2" "$(bg_peer_field 1 10.99.0.2 prefixes_sent)" 2
bg_stop 2 TERM
bg_stop 1 TERM
expect_eq "node1 exits 0" "$WD_RC" 0
