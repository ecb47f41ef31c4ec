# shellcheck shell=bash
# Helpers for tests/integration/test_bgp_*.sh, sourced after lib.sh: an underlay (a bridge in a
# namespace of its own), node namespaces joined to it, and a weftd with a `bgp` config in each,
# switched between with bg_use. Addresses: the underlay is 10.99.0.0/24 and fd00:99::/64 (node I
# is .I / ::I); node I's pod CIDRs are 10.244.I.0/24 and fd00:10:244:I::/64. Nothing is routed
# out of the namespaces.

BG_ASN=64512
BG_NS=()
BG_DIR=()
BG_CONF=()
BG_SOCK=()
BG_LOG=()
BG_BPF=()
BG_NAME=()
BG_PID=()

# bg_underlay: namespace $WT_PREFIX-ul with bridge br0.
bg_underlay() {
	ns_add ul
	BG_UL=$WT_PREFIX-ul
	ip -n "$BG_UL" link add br0 type bridge &&
		ip -n "$BG_UL" link set br0 up ||
		{ fail "$WT_FILE setup" "underlay bridge"; exit 1; }
}

# bg_port NAME NS ADDR4 ADDR6: a veth from br0 (NAME) to NS (eth0) with the addresses (/24, /64).
bg_port() {
	local name=$1 ns=$2
	ip -n "$BG_UL" link add "$name" type veth peer name eth0 netns "$ns" &&
		ip -n "$BG_UL" link set "$name" master br0 up &&
		ip -n "$ns" addr add "$3/24" dev eth0 &&
		ip -n "$ns" addr add "$4/64" dev eth0 nodad &&
		ip -n "$ns" link set eth0 up ||
		{ fail "$WT_FILE setup" "underlay port $name"; exit 1; }
}

# bg_fabric I: the fabric's keys for node I (nodeAddress 10.99.0.I, nodeAddress6 fd00:99::I, its
# pod CIDRs, overlay mode).
bg_fabric() {
	jq -cn --argjson i "$1" '{nodeAddress: "10.99.0.\($i)", nodeAddress6: "fd00:99::\($i)",
		podCIDRs: ["10.244.\($i).0/24", "fd00:10:244:\($i)::/64"]}'
}

# bg_node I: namespace $WT_PREFIX-nI on the underlay as 10.99.0.I.
bg_node() {
	ns_add "n$1"
	bg_port "v$1" "$WT_PREFIX-n$1" "10.99.0.$1" "fd00:99::$1"
}

# bg_weftd I BGP_JSON [EXTRA_JSON]: a weftd for node I whose config has bgp = BGP_JSON, and the
# top-level keys of EXTRA_JSON (the fabric's: nodeAddress, podCIDRs...).
bg_weftd() {
	local i=$1
	weftd_setup "n$i" "$WT_PREFIX-n$i" "$(jq -cn --argjson b "$2" --argjson x "${3:-{\}}" '{bgp: $b} + $x')"
	BG_NS[i]=$WD_NS
	BG_DIR[i]=$WD_DIR
	BG_CONF[i]=$WD_CONF
	BG_SOCK[i]=$WD_SOCK
	BG_LOG[i]=$WD_LOG
	BG_BPF[i]=$WD_BPF
	BG_NAME[i]=$WD_NAME
	BG_PID[i]=
}

# bg_use I: point lib.sh's WD_* (weftd_start, weftd_stop, wctl, api_call) at node I's weftd.
# Call bg_save I after weftd_start/weftd_stop to keep its pid.
bg_use() {
	local i=$1
	WD_NS=${BG_NS[i]}
	WD_DIR=${BG_DIR[i]}
	WD_CONF=${BG_CONF[i]}
	WD_SOCK=${BG_SOCK[i]}
	WD_LOG=${BG_LOG[i]}
	WD_BPF=${BG_BPF[i]}
	WD_NAME=${BG_NAME[i]}
	WD_PID=${BG_PID[i]}
	BG_CUR=$i
}
bg_save() {
	BG_PID[$1]=$WD_PID
}

# bg_start I: start node I's weftd (weftd_start, called directly so that WD_PID sticks); FAIL
# and exit if it does not come up.
bg_start() {
	bg_use "$1"
	weftd_start >"$WT_TMP/start.$1.out" 2>&1 || {
		fail "weftd of node $1 starts" "$(cat "$WT_TMP/start.$1.out")"
		exit 1
	}
	bg_save "$1"
}

# bg_stop I [SIGNAL]: stop node I's weftd (default TERM).
bg_stop() {
	bg_use "$1"
	weftd_stop "${2:-TERM}"
	bg_save "$1"
}

# bg_kill I SIGNAL: send SIGNAL to node I's weftd without waiting (STOP, CONT, KILL...).
bg_kill() {
	kill "-$2" "${BG_PID[$1]}" 2>/dev/null
}

# bg_kill9 I: SIGKILL node I's weftd and reap it (quietly).
bg_kill9() {
	{ kill -KILL "${BG_PID[$1]}" && wait "${BG_PID[$1]}"; } 2>/dev/null
	BG_PID[$1]=
	[ "$BG_CUR" = "$1" ] && WD_PID=
	return 0
}

# bg_ctl I ARGS...: weftctl against node I's weftd.
bg_ctl() {
	local i=$1
	shift
	timeout -k 1 15 "$WD_CTL" --socket "${BG_SOCK[i]}" "$@"
}

# bg_peer_field I ADDR FIELD: a field of node I's peer ADDR in `weftctl -o json peer list`.
bg_peer_field() {
	bg_ctl "$1" -o json peer list 2>/dev/null |
		jq -r --arg a "$2" --arg f "$3" '.peers[] | select(.address == $a) | .[$f] | tostring' 2>/dev/null
}

# bg_route I PREFIX [FIELD]: FIELD (default next_hop) of node I's best path to PREFIX; empty if none.
bg_route() {
	bg_ctl "$1" -o json route list 2>/dev/null |
		jq -r --arg p "$2" --arg f "${3:-next_hop}" '.routes[] | select(.prefix == $p and .best) | .[$f] | tostring' 2>/dev/null
}

# bg_tunnel I CIDR: the node node I's data path tunnels CIDR to (weft_tunnel), "" if none.
bg_tunnel() {
	bg_ctl "$1" -o json bpf map dump weft_tunnel 2>/dev/null |
		jq -r --arg c "$2" '.entries[] | select(.key.cidr == $c) | .value.node' 2>/dev/null
}

# bg_now: seconds since the epoch with milliseconds.
bg_now() {
	date +%s.%3N
}

# bg_since T0: seconds since T0, one decimal.
bg_since() {
	awk -v a="$1" -v b="$(bg_now)" 'BEGIN { printf "%.1f", b - a }'
}

# bg_wait SECS CMD...: run CMD every 0.1 s until it succeeds (0) or SECS pass (1). Sets BG_WAITED
# to the seconds it took.
bg_wait() {
	local secs=$1 t0 end
	shift
	t0=$(bg_now)
	end=$(awk -v a="$t0" -v s="$secs" 'BEGIN { printf "%.3f", a + s }')
	while :; do
		if "$@" >/dev/null 2>&1; then
			BG_WAITED=$(bg_since "$t0")
			return 0
		fi
		if awk -v n="$(bg_now)" -v e="$end" 'BEGIN { exit !(n > e) }'; then
			BG_WAITED=$(bg_since "$t0")
			return 1
		fi
		sleep 0.1
	done
}

# Conditions for bg_wait.
bg_is_state() { [ "$(bg_peer_field "$1" "$2" state)" = "$3" ]; }
bg_has_route() { [ "$(bg_route "$1" "$2")" = "$3" ]; }
bg_no_route() { [ -z "$(bg_route "$1" "$2")" ]; }
bg_route_is() { [ "$(bg_route "$1" "$2" "$3")" = "$4" ]; }

# ---- BIRD 2 ------------------------------------------------------------------------------------

# bg_bird NS CONF_TEXT: run BIRD in namespace NS with its config, control socket, pid file and log
# under $WT_TMP/bird; wait (10 s) until birdc answers. Sets BIRD_PID, BIRD_DIR.
bg_bird() {
	local ns=$1 i out
	BIRD_DIR=$WT_TMP/bird
	mkdir -p "$BIRD_DIR"
	printf '%s\n' "$2" >"$BIRD_DIR/bird.conf"
	if ! out=$(bird -p -c "$BIRD_DIR/bird.conf" 2>&1); then
		fail "$WT_FILE setup" "bird refuses its config: $out"
		exit 1
	fi
	nsenter --net="/run/netns/$ns" -- bird -f -c "$BIRD_DIR/bird.conf" -s "$BIRD_DIR/bird.ctl" \
		-P "$BIRD_DIR/bird.pid" >>"$BIRD_DIR/bird.out" 2>&1 &
	BIRD_PID=$!
	bg_track "$BIRD_PID"
	for i in $(seq 100); do
		bg_birdc show status >/dev/null 2>&1 && return 0
		kill -0 "$BIRD_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "$WT_FILE setup" "bird (pid $BIRD_PID) not answering: $(tail -n 5 "$BIRD_DIR/bird.out" 2>/dev/null | tr '\n' ' ')"
	exit 1
}

# bg_birdc ARGS...: birdc on our BIRD's socket (bounded).
bg_birdc() {
	timeout -k 1 5 birdc -s "$BIRD_DIR/bird.ctl" "$@"
}

# bg_bird_route PREFIX: the next hop BIRD has for PREFIX ("" if none), from `birdc show route`.
bg_bird_route() {
	bg_birdc show route for "$1" 2>/dev/null | awk '$1 == "via" { print $2; exit }'
}
# bg_kill9_bird: SIGKILL our BIRD and reap it (quietly).
bg_kill9_bird() {
	{ kill -KILL "$BIRD_PID" && wait "$BIRD_PID"; } 2>/dev/null
	return 0
}
bg_bird_has() { [ "$(bg_bird_route "$1")" = "$2" ]; }
bg_bird_none() { [ -z "$(bg_bird_route "$1")" ]; }

# ---- GoBGP --------------------------------------------------------------------------------------

# bg_gobgp NS TOML: run gobgpd in namespace NS with its config, its API on a unix socket and its
# log under $WT_TMP/gobgp; wait (10 s) until `gobgp global` answers. Sets GOBGP_PID, GOBGP_DIR.
bg_gobgp() {
	local ns=$1 i out
	GOBGP_DIR=$WT_TMP/gobgp
	mkdir -p "$GOBGP_DIR"
	printf '%s\n' "$2" >"$GOBGP_DIR/gobgpd.toml"
	if ! out=$(gobgpd -d -f "$GOBGP_DIR/gobgpd.toml" 2>&1); then
		fail "$WT_FILE setup" "gobgpd refuses its config: $out"
		exit 1
	fi
	rm -f "$GOBGP_DIR/api.sock"
	nsenter --net="/run/netns/$ns" -- gobgpd -f "$GOBGP_DIR/gobgpd.toml" -p -l debug --pprof-disable \
		--api-hosts "unix://$GOBGP_DIR/api.sock" >>"$GOBGP_DIR/gobgpd.log" 2>&1 &
	GOBGP_PID=$!
	bg_track "$GOBGP_PID"
	for i in $(seq 100); do
		bg_gobgpc global >/dev/null 2>&1 && return 0
		kill -0 "$GOBGP_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "$WT_FILE setup" "gobgpd (pid $GOBGP_PID) not answering: $(tail -n 5 "$GOBGP_DIR/gobgpd.log" 2>/dev/null | tr '\n' ' ')"
	exit 1
}

# bg_gobgpc ARGS...: the gobgp CLI against our gobgpd (bounded).
bg_gobgpc() {
	timeout -k 1 5 gobgp --target "unix://$GOBGP_DIR/api.sock" "$@"
}

bg_kill9_gobgp() {
	{ kill -KILL "$GOBGP_PID" && wait "$GOBGP_PID"; } 2>/dev/null
	return 0
}
