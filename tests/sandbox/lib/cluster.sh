# Sourced by tests/sandbox/sandbox: building a cluster (`up`) and removing it (`down`): the
# underlay bridge namespace, the world, the node namespaces with their weftd, the BIRD route
# reflector, and the peering (BGP, weftd's static routes, or kernel routes while weftd has no
# fabric).

# ---- what this weftd can do -------------------------------------------------------------------
# Asked of the copied weftd itself, never inferred from its version, so the sandbox follows weftd
# as the fabric and BGP land. `weftd -n` prints the normalised config with every field it has a
# default for; a key without one (an optional section) is known when a config setting it to
# null (the same as leaving it out) passes `weftd -n`, and unknown keys are refused.
SB_PROBE_BASE='{"node": "probe", "stateDir": "/nonexistent/state", "ipam": null}'

sb_weftd_keys() {
	local tmp out
	tmp=$(mktemp /tmp/wsbprobe.XXXXXX) || return 1
	printf '%s\n' "$SB_PROBE_BASE" >"$tmp"
	out=$("$1" -n -c "$tmp" 2>/dev/null)
	rm -f "$tmp"
	jq -r 'paths | map(tostring) | join(".")' <<<"$out" 2>/dev/null
}

# sb_weftd_takes FRAGMENT_JSON: the copied weftd accepts the probe config with FRAGMENT merged in.
sb_weftd_takes() {
	local tmp rc
	tmp=$(mktemp /tmp/wsbprobe.XXXXXX) || return 1
	jq -n --argjson b "$SB_PROBE_BASE" --argjson f "$1" '$b * $f' >"$tmp" 2>/dev/null &&
		"$SB_BIN/weftd" -n -c "$tmp" >/dev/null 2>&1
	rc=$?
	rm -f "$tmp"
	return "$rc"
}

# sb_has KEY: the copied weftd knows config key KEY (a dotted path): printed by weftd -n, or
# accepted as null.
sb_has() {
	grep -qx -- "$1" <<<"$SB_KEYS" && return 0
	sb_weftd_takes "$(jq -cn --arg k "$1" 'null | setpath($k | split("."); null)')"
}

# ---- configurations ---------------------------------------------------------------------------

# sb_weftd_conf I: weftd's config for node I. Every path private to the node, under its
# directory; the fabric and BGP sections as far as this weftd has them (sb_fabric_conf).
sb_weftd_conf() {
	local i=$1 nd fab
	nd=$(sb_node_dir "$i")
	fab=$(sb_fabric_conf "$i") || return 1
	jq -n --arg n "node$i" --arg d "$nd" --arg lvl "$SB_LOG_LEVEL" --arg net "$SB_NET" --argjson fab "$fab" \
		'{node: $n, stateDir: "\($d)/state", bpffs: "\($d)/bpf", apiSocket: "\($d)/weftd.sock",
		  log: {file: "\($d)/weftd.log", level: $lvl},
		  ipam: {dataDir: "\($d)/ipam", network: $net}} + $fab'
}

# sb_use6: whether nodes get an IPv6 node address (nodeAddress6) beside the IPv4 one. weftd
# then announces its IPv6 pod CIDR with an IPv6 next hop and tunnels IPv6 over IPv6, which costs
# 70 bytes of MTU instead of 50. Used where it is needed: native mode (Linux routes IPv4 via an
# IPv6 neighbour, not the reverse) and BIRD (it rejects IPv4-mapped IPv6 next hops).
sb_use6() {
	[ "$SB_PEERING" != kernel ] && sb_has nodeAddress6 && { [ "$SB_MODE" = native ] || [ -n "$SB_RR" ]; }
}

# sb_bgp_peer ADDR4 ADDR6 USE6: the bgp.peers entries for one neighbour: one IPv4 session for
# both families, or (USE6, IPv6 next hops wanted) IPv4 routes over an IPv4 session and IPv6 routes
# over an IPv6 one, so each family's next hop is the neighbour's address of that family.
sb_bgp_peer() {
	jq -cn --arg a4 "$1" --arg a6 "$2" --argjson use6 "$3" --argjson asn "$SB_ASN" '
		if $use6 then [{address: $a4, asn: $asn, families: ["ipv4"]}, {address: $a6, asn: $asn, families: ["ipv6"]}]
		else [{address: $a4, asn: $asn}] end'
}

# sb_fabric_conf I: the fabric/BGP part of node I's weftd config ({} with kernel peering):
# nodeAddress(6), podCIDRs, clusterCIDRs (masquerade is then on by default), fabric.mode, and
# staticRoutes or bgp. Keys this weftd does not take are left out, never guessed.
sb_fabric_conf() {
	local i=$1 j n=$SB_NODES statics='[]' peers='[]' use6=false nh6
	if [ "$SB_PEERING" = kernel ]; then
		echo '{}'
		return 0
	fi
	sb_use6 && use6=true
	if [ "$SB_PEERING" = static ]; then
		for ((j = 1; j <= n; j++)); do
			[ "$j" = "$i" ] && continue
			nh6=$(sb_node4 "$j")
			[ "$use6" = true ] && nh6=$(sb_node6 "$j")
			statics=$(jq -c --arg p4 "$(sb_pod4 "$j")" --arg p6 "$(sb_pod6 "$j")" \
				--arg v4 "$(sb_node4 "$j")" --arg v6 "$nh6" \
				'. + [{prefix: $p4, nexthop: $v4}, {prefix: $p6, nexthop: $v6}]' <<<"$statics")
		done
	fi
	if [ "$SB_PEERING" = bgp ]; then
		if [ -n "$SB_RR" ]; then
			peers=$(sb_bgp_peer "$SB_RR4" "$SB_RR6" "$use6")
		else
			for ((j = 1; j <= n; j++)); do
				[ "$j" = "$i" ] && continue
				peers=$(jq -c --argjson p "$(sb_bgp_peer "$(sb_node4 "$j")" "$(sb_node6 "$j")" "$use6")" '. + $p' <<<"$peers")
			done
		fi
	fi
	jq -n --arg n4 "$(sb_node4 "$i")" --arg n6 "$(sb_node6 "$i")" --argjson use6 "$use6" \
		--arg p4 "$(sb_pod4 "$i")" --arg p6 "$(sb_pod6 "$i")" \
		--arg c4 "$SB_CLUSTER4" --arg c6 "$SB_CLUSTER6" --arg mode "$SB_MODE" \
		--argjson statics "$statics" --argjson peers "$peers" --argjson asn "$SB_ASN" --arg peering "$SB_PEERING" '
		{nodeAddress: $n4}
		+ (if $use6 then {nodeAddress6: $n6} else {} end)
		+ {podCIDRs: [$p4, $p6], clusterCIDRs: [$c4, $c6], fabric: {mode: $mode}}
		+ (if $peering == "static" then {staticRoutes: $statics} else {} end)
		+ (if $peering == "bgp" then {bgp: {asn: $asn, peers: $peers}} else {} end)'
}

# sb_conflist I: the CNI network configuration list of node I, as it would be in the node's
# /etc/cni/net.d: weft with weft-ipam on the node's pod CIDRs, and the node's weftd socket.
sb_conflist() {
	local i=$1 nd
	nd=$(sb_node_dir "$i")
	jq -n --arg name "$SB_NET" --arg sock "$nd/weftd.sock" --arg ipam "$nd/ipam" \
		--arg p4 "$(sb_pod4 "$i")" --arg p6 "$(sb_pod6 "$i")" --argjson mtu "$SB_POD_MTU" \
		'{cniVersion: "1.1.0", name: $name, plugins: [
		   {type: "weft", mtu: $mtu, daemonSocket: $sock,
		    ipam: {type: "weft-ipam", dataDir: $ipam, ranges: [[{subnet: $p4}], [{subnet: $p6}]]}}]}'
}

# sb_bird_conf: BIRD 2 as route reflector for every node of the underlay (dynamic neighbours,
# so the config does not depend on the node count), IPv4 routes over IPv4 sessions and IPv6 over
# IPv6 ones (BIRD rejects IPv4-mapped IPv6 next hops). `direct`: the nodes share the underlay
# subnet with it; without it BIRD takes iBGP as multihop and shows the routes unreachable.
sb_bird_conf() {
	cat <<EOF
# BIRD 2 route reflector of sandbox cluster $SB_NAME (written by tests/sandbox/sandbox)
log "$SB_DIR/rr/bird.log" all;
router id $SB_RR4;
protocol device { }
template bgp rrc {
	local as $SB_ASN;
	rr client;
	rr cluster id $SB_RR4;
	direct;
	connect retry time 2;
	error wait time 1, 5;   # after an error BIRD refuses the peer for 60 s by default
}
protocol bgp nodes4 from rrc {
	local $SB_RR4 as $SB_ASN;
	neighbor range $SB_UL4_NET.0/24 as $SB_ASN;
	dynamic name "node4_";
	ipv4 { import all; export all; };
}
protocol bgp nodes6 from rrc {
	local $SB_RR6 as $SB_ASN;
	neighbor range fd99::/64 as $SB_ASN;
	dynamic name "node6_";
	ipv6 { import all; export all; };
}
EOF
}

# ---- building -------------------------------------------------------------------------------

# sb_ul_port NAME NS [MAC]: a veth from the underlay bridge to namespace NS, named NAME on the
# bridge and eth0 in NS, MTU $SB_MTU, up.
sb_ul_port() {
	local ul
	ul=$(SB_NS_UL)
	ip -n "$ul" link add "$1" mtu "$SB_MTU" type veth peer name eth0 mtu "$SB_MTU" netns "$2" &&
		ip -n "$ul" link set "$1" master br0 up &&
		ip -n "$2" link set eth0 up
}

# sb_ns_ipv6_quiet NS: no DAD (addresses usable at once) and no router advertisements accepted
# in NS: the only routes are the ones we write.
sb_ns_ipv6_quiet() {
	sb_sysctl "$1" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
}

sb_build_underlay() {
	local ul
	ul=$(SB_NS_UL)
	sb_netns_add "$ul" || return 1
	sb_ns_ipv6_quiet "$ul" &&
		ip -n "$ul" link add br0 mtu "$SB_MTU" type bridge &&
		ip -n "$ul" link set br0 addrgenmode none &&
		ip -n "$ul" link set br0 up
}

# The world: the internet as seen from the cluster. It sits on the underlay with no route to
# the pod CIDRs, so a pod reaches it only masqueraded to its node's address.
sb_build_world() {
	local w
	w=$(SB_NS_WORLD)
	sb_netns_add "$w" || return 1
	sb_ns_ipv6_quiet "$w" &&
		sb_ul_port world "$w" &&
		ip -n "$w" addr add "$SB_WORLD4/24" dev eth0 &&
		ip -n "$w" addr add "$SB_WORLD6/64" dev eth0 nodad &&
		ip -n "$w" addr add "$SB_INET4/32" dev lo &&
		ip -n "$w" addr add "$SB_INET6/128" dev lo
}

sb_build_node() {
	local i=$1 ns nd
	ns=$(sb_ns_node "$i")
	nd=$(sb_node_dir "$i")
	sb_netns_add "$ns" || return 1
	sb_ns_ipv6_quiet "$ns" &&
		sb_ul_port "n$i" "$ns" &&
		ip -n "$ns" addr add "$(sb_node4 "$i")/24" dev eth0 &&
		ip -n "$ns" addr add "$(sb_node6 "$i")/64" dev eth0 nodad &&
		ip -n "$ns" route add default via "$SB_WORLD4" dev eth0 &&
		ip -n "$ns" -6 route add default via "$SB_WORLD6" dev eth0 &&
		sb_sysctl "$ns" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	mkdir -p "$nd/bpf" "$nd/net.d" || return 1
	sb_ledger "mount $nd/bpf"
	mount -t bpf bpf "$nd/bpf" || { sb_warn "cannot mount a bpffs at $nd/bpf"; return 1; }
	sb_weftd_conf "$i" >"$nd/weftd.json" || return 1
	local out
	if ! out=$("$SB_BIN/weftd" -n -c "$nd/weftd.json" 2>&1); then
		sb_warn "weftd refuses node$i's config: $out"
		return 1
	fi
	sb_conflist "$i" >"$nd/net.d/10-weft.conflist" || return 1
	sb_ledger "purge $i"
}

# sb_kernel_routes: the stopgap peering while weftd has no fabric: each node routes every other
# node's pod CIDRs to that node's underlay address (native routing done by the kernel).
sb_kernel_routes() {
	local i j ns
	for ((i = 1; i <= SB_NODES; i++)); do
		ns=$(sb_ns_node "$i")
		for ((j = 1; j <= SB_NODES; j++)); do
			[ "$i" = "$j" ] && continue
			ip -n "$ns" route add "$(sb_pod4 "$j")" via "$(sb_node4 "$j")" dev eth0 proto static &&
				ip -n "$ns" -6 route add "$(sb_pod6 "$j")" via "$(sb_node6 "$j")" dev eth0 proto static ||
				return 1
		done
	done
}

# ---- processes --------------------------------------------------------------------------------

# sb_api I LINE: one request to node I's weftd, its reply on stdout (bounded: 3 s).
sb_api() {
	printf '%s\n' "$2" | timeout -k 1 3 socat -t 2 - "UNIX-CONNECT:$(sb_node_dir "$1")/weftd.sock" 2>/dev/null
}

# sb_ledger_pid ROLE: "PID START" of the newest ledger entry for ROLE, if that process is alive.
sb_ledger_pid() {
	local l
	l=$(awk -v r="$1" '$1 == "pid" && $4 == r { p = $2 " " $3 } END { print p }' "$SB_LEDGER" 2>/dev/null)
	[ -n "$l" ] && sb_alive "${l% *}" "${l#* }" && echo "$l"
}

# sb_weftd_spawn I: start weftd of node I in the node's network namespace and the host's mount
# namespace (its bpffs is mounted there: `ip netns exec` would give it a private mount namespace),
# in its own session, detached from the terminal; recorded in the ledger.
sb_weftd_spawn() {
	local i=$1 nd ns
	nd=$(sb_node_dir "$i")
	ns=$(sb_ns_node "$i")
	sb_daemon "weftd-node$i" "$nd/weftd.out" nsenter --net="/run/netns/$ns" -- "$SB_BIN/weftd" -c "$nd/weftd.json"
}

# sb_weftd_ready I: wait until node I's weftd (the newest in the ledger) answers status with its
# own pid, 10 s at most; else its log's end is printed, it is stopped, and 1 returned.
sb_weftd_ready() {
	local i=$1 nd l pid st got k
	nd=$(sb_node_dir "$i")
	l=$(awk -v r="weftd-node$i" '$1 == "pid" && $4 == r { p = $2 " " $3 } END { print p }' "$SB_LEDGER")
	pid=${l% *}
	st=${l#* }
	for ((k = 0; k < 100; k++)); do
		if ! sb_alive "$pid" "$st"; then
			sb_warn "node$i: weftd (pid $pid) exited before it was ready: $(tail -n 5 "$nd/weftd.out" "$nd/weftd.log" 2>/dev/null | tr '\n' ' ')"
			return 1
		fi
		got=$(sb_api "$i" '{"weft":1,"id":0,"op":"status"}' | jq -r '.result.pid // empty' 2>/dev/null)
		[ "$got" = "$pid" ] && return 0
		sleep 0.1
	done
	sb_warn "node$i: weftd (pid $pid) not answering on $nd/weftd.sock after 10 s: $(tail -n 5 "$nd/weftd.log" 2>/dev/null | tr '\n' ' ')"
	sb_stop "$pid" "$st" 2
	return 1
}

sb_weftd_start() {
	sb_weftd_spawn "$1" && sb_weftd_ready "$1"
}

# sb_weftd_stop I [SIGNAL]: stop node I's weftd (SIGTERM by default, bounded; SIGKILL when asked).
sb_weftd_stop() {
	local l
	l=$(sb_ledger_pid "weftd-node$1") || return 0
	if [ "${2:-TERM}" = KILL ]; then
		kill -KILL "${l% *}" 2>/dev/null
		sb_wait 2 eval '! sb_alive '"${l% *} ${l#* }"
		return 0
	fi
	sb_stop "${l% *}" "${l#* }" 10
}

sb_birdc() {
	timeout -k 1 5 birdc -s "$SB_DIR/rr/bird.ctl" "$@"
}

sb_rr_start() {
	local rr d pid st out
	rr=$(SB_NS_RR)
	d=$SB_DIR/rr
	sb_bird_conf >"$d/bird.conf" || return 1
	if ! out=$(bird -p -c "$d/bird.conf" 2>&1); then
		sb_warn "bird refuses $d/bird.conf: $out"
		return 1
	fi
	sb_daemon bird-rr "$d/bird.out" nsenter --net="/run/netns/$rr" -- bird -f -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid"
	pid=$SB_DAEMON_PID
	st=$(sb_starttime "$pid")
	if ! sb_wait 10 eval 'sb_birdc show status >/dev/null 2>&1'; then
		sb_warn "bird (pid $pid) not answering on $d/bird.ctl after 10 s: $(tail -n 5 "$d/bird.out" "$d/bird.log" 2>/dev/null | tr '\n' ' ')"
		sb_stop "$pid" "$st" 2
		return 1
	fi
}

sb_build_rr() {
	local rr
	rr=$(SB_NS_RR)
	mkdir -p "$SB_DIR/rr" || return 1
	sb_netns_add "$rr" || return 1
	sb_ns_ipv6_quiet "$rr" &&
		sb_ul_port rr "$rr" &&
		ip -n "$rr" addr add "$SB_RR4/24" dev eth0 &&
		ip -n "$rr" addr add "$SB_RR6/64" dev eth0 nodad
}

# ---- up -------------------------------------------------------------------------------------

sb_up_usage() {
	cat <<EOF
usage: sandbox up [--nodes N] [--mode overlay|native] [--rr bird] [--peering auto|bgp|static|kernel]
                  [--mtu MTU] [--name NAME] [--log-level LEVEL] [--wait SECONDS] [--keep]
EOF
}

cmd_up() {
	local a
	SB_NODES=3 SB_MODE=overlay SB_RR='' SB_PEERING=auto SB_MTU=1500 SB_LOG_LEVEL=info SB_WAIT=30 SB_KEEP=''
	while [ $# -gt 0 ]; do
		a=$1
		case $a in
		--nodes|--mode|--rr|--peering|--mtu|--name|--log-level|--wait)
			[ $# -ge 2 ] || { sb_up_usage >&2; sb_die "up: $a needs a value"; }
			case $a in
			--nodes) SB_NODES=$2 ;;
			--mode) SB_MODE=$2 ;;
			--rr) SB_RR=$2 ;;
			--peering) SB_PEERING=$2 ;;
			--mtu) SB_MTU=$2 ;;
			--name) sb_use "$2" ;;
			--log-level) SB_LOG_LEVEL=$2 ;;
			--wait) SB_WAIT=$2 ;;
			esac
			shift 2 ;;
		--keep) SB_KEEP=1; shift ;;
		-h|--help) sb_up_usage; exit 0 ;;
		*) sb_up_usage >&2; sb_die "up: unknown argument '$a'" ;;
		esac
	done
	[[ $SB_NODES =~ ^[1-9][0-9]*$ ]] && [ "$SB_NODES" -le "$SB_NODES_MAX" ] ||
		sb_die "up: --nodes '$SB_NODES' must be a number from 1 to $SB_NODES_MAX"
	case $SB_MODE in overlay|native) ;; *) sb_die "up: --mode '$SB_MODE' must be overlay or native" ;; esac
	case $SB_RR in ''|bird) ;; *) sb_die "up: --rr '$SB_RR': the only route reflector is bird" ;; esac
	case $SB_PEERING in auto|bgp|static|kernel) ;; *) sb_die "up: --peering '$SB_PEERING' must be auto, bgp, static or kernel" ;; esac
	[[ $SB_MTU =~ ^[0-9]+$ ]] && [ "$SB_MTU" -ge 1350 ] && [ "$SB_MTU" -le 9000 ] ||
		sb_die "up: --mtu '$SB_MTU' must be from 1350 (IPv6's 1280 for pods plus the overlay's 70) to 9000"
	case $SB_LOG_LEVEL in error|warn|info|debug) ;; *) sb_die "up: --log-level '$SB_LOG_LEVEL' must be error, warn, info or debug" ;; esac
	[[ $SB_WAIT =~ ^[0-9]+$ ]] && [ "$SB_WAIT" -le 600 ] || sb_die "up: --wait '$SB_WAIT' must be 0 to 600 seconds"
	[ -z "$SB_RR" ] || [ "$SB_PEERING" = auto ] || [ "$SB_PEERING" = bgp ] ||
		sb_die "up: --rr bird needs BGP peering, not --peering $SB_PEERING"

	sb_require_root
	sb_require_tools ip jq socat nsenter setsid flock timeout mount umount
	if [ -n "$SB_RR" ] && ! { command -v bird && command -v birdc; } >/dev/null; then
		sb_die "up: --rr bird needs BIRD 2 (Debian: apt-get install bird2)"
	fi
	for a in weft weft-ipam weftd weftctl; do
		[ -x "$SB_SRC_BIN/$a" ] || sb_die "up: $SB_SRC_BIN/$a is not built (run make)"
	done

	sb_lock
	if sb_exists; then
		if [ "$(sb_cfg state)" = up ]; then
			sb_die "cluster '$SB_NAME' is already up ($(sb_cfg nodes) nodes since $(date -d "@$(sb_cfg created)" '+%F %T' 2>/dev/null), state in $SB_DIR); remove it first with: sandbox --name $SB_NAME down"
		fi
		sb_die "cluster '$SB_NAME' is half-built (an up that crashed, or one still running), state in $SB_DIR; remove it first with: sandbox --name $SB_NAME down"
	fi
	# Namespaces of this name that no state records belong to someone else: never reuse them.
	a=$(ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^$SB_NAME-(node[0-9]+|underlay|world|rr|pod-.*)\$" | paste -sd' ')
	[ -z "$a" ] || sb_die "up: namespaces named like this cluster's exist but no state in $SB_DIR records them: $a; choose another --name"

	mkdir -p "$SB_DIR" "$SB_BIN" "$SB_DIR/nodes" "$SB_DIR/pods" || sb_die "cannot create $SB_DIR"
	: >"$SB_LEDGER"
	SB_UP_DONE=
	trap sb_up_abort EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	# Our own copy of the binaries: a rebuild meanwhile cannot swap one under a running cluster.
	for a in weft weft-ipam weftd weftctl; do
		cp -p "$SB_SRC_BIN/$a" "$SB_BIN/" || sb_die "cannot copy $SB_SRC_BIN/$a"
	done
	SB_KEYS=$(sb_weftd_keys "$SB_BIN/weftd")
	sb_choose_peering || exit 1
	if [ "$SB_MODE" = overlay ] && sb_use6; then
		SB_POD_MTU=$((SB_MTU - 70))   # VXLAN over IPv6 too (outer IPv6 40 + UDP 8 + VXLAN 8 + Ethernet 14)
	elif [ "$SB_MODE" = overlay ]; then
		SB_POD_MTU=$((SB_MTU - 50))   # VXLAN over IPv4: outer IPv4 20 + UDP 8 + VXLAN 8 + Ethernet 14
	else
		SB_POD_MTU=$SB_MTU
	fi
	sb_write_cluster building || exit 1

	sb_say "cluster $SB_NAME: $SB_NODES node(s), mode $SB_MODE, peering $(sb_peering_text), underlay MTU $SB_MTU, pod MTU $SB_POD_MTU"
	sb_build_underlay || sb_die "up: the underlay namespace failed"
	sb_build_world || sb_die "up: the world namespace failed"
	if [ -n "$SB_RR" ]; then
		sb_build_rr || sb_die "up: the route reflector's namespace failed"
	fi
	for ((a = 1; a <= SB_NODES; a++)); do
		sb_build_node "$a" || sb_die "up: node$a failed"
	done
	if [ "$SB_PEERING" = kernel ]; then
		sb_kernel_routes || sb_die "up: kernel routes between the nodes failed"
	fi
	if [ -n "$SB_RR" ]; then
		sb_rr_start || sb_die "up: the route reflector (bird) did not start"
	fi
	# All at once (each takes a moment to load its programs), then each must answer.
	for ((a = 1; a <= SB_NODES; a++)); do
		sb_weftd_spawn "$a" || sb_die "up: weftd of node$a did not start"
	done
	for ((a = 1; a <= SB_NODES; a++)); do
		sb_weftd_ready "$a" || sb_die "up: weftd of node$a did not start"
	done
	sb_write_cluster up || exit 1
	SB_UP_DONE=1
	trap - EXIT INT TERM HUP
	if [ "$SB_PEERING" != kernel ] && [ "$SB_WAIT" -gt 0 ]; then
		sb_wait_converged "$SB_WAIT" || sb_warn "routes not converged after ${SB_WAIT}s: see sandbox --name $SB_NAME status"
	fi
	sb_say "cluster $SB_NAME is up; state in $SB_DIR"
	sb_say "  sandbox --name $SB_NAME pod add node1 a      # a pod"
	sb_say "  sandbox --name $SB_NAME status               # nodes, weftd, pods"
	sb_say "  sandbox --name $SB_NAME down                 # remove everything"
}

# sb_choose_peering: resolve --peering auto, and check that weftd can do what was asked.
sb_choose_peering() {
	local fabric=
	sb_has podCIDRs && sb_has nodeAddress && sb_has clusterCIDRs && sb_has fabric.mode && fabric=1
	case $SB_PEERING in
	auto)
		if [ -n "$fabric" ] && sb_has bgp; then
			SB_PEERING=bgp
		elif [ -n "$SB_RR" ]; then
			sb_warn "up: --rr bird: this weftd has no BGP yet (weftd -n prints no 'bgp' key)"
			return 1
		elif [ -n "$fabric" ] && sb_has staticRoutes; then
			SB_PEERING=static
		else
			SB_PEERING=kernel
			sb_say "note: this weftd has no fabric yet (weftd -n prints no podCIDRs/nodeAddress): pods reach other nodes through kernel routes the sandbox writes (--peering kernel)"
		fi ;;
	bgp)
		[ -n "$fabric" ] && sb_has bgp || { sb_warn "up: --peering bgp: this weftd has no BGP configuration yet"; return 1; } ;;
	static)
		[ -n "$fabric" ] && sb_has staticRoutes || { sb_warn "up: --peering static: this weftd has no staticRoutes yet"; return 1; } ;;
	esac
	return 0
}

sb_peering_text() {
	case $SB_PEERING in
	bgp) if [ -n "$SB_RR" ]; then echo "BGP via a BIRD route reflector"; else echo "BGP full mesh"; fi ;;
	static) echo "static routes in weftd" ;;
	kernel) echo "kernel routes written by the sandbox (no weftd fabric)" ;;
	esac
}

sb_write_cluster() {
	jq -n --arg name "$SB_NAME" --argjson nodes "$SB_NODES" --arg mode "$SB_MODE" --arg peering "$SB_PEERING" \
		--arg rr "$SB_RR" --argjson mtu "$SB_MTU" --argjson pod_mtu "$SB_POD_MTU" --arg state "$1" \
		--argjson created "$(date +%s)" --arg src "$SB_SRC_BIN" \
		'{name: $name, nodes: $nodes, mode: $mode, peering: $peering, rr: $rr, mtu: $mtu,
		  pod_mtu: $pod_mtu, state: $state, created: $created, binaries_from: $src}' >"$SB_CONF.tmp" &&
		mv "$SB_CONF.tmp" "$SB_CONF"
}

sb_up_abort() {
	local rc=$? i nd
	[ -n "$SB_UP_DONE" ] && return
	trap - EXIT INT TERM HUP
	for ((i = 1; i <= ${SB_NODES:-0}; i++)); do
		nd=$(sb_node_dir "$i")
		[ -s "$nd/weftd.log" ] || [ -s "$nd/weftd.out" ] || continue
		sb_warn "node$i weftd log (end):"
		tail -n 5 "$nd/weftd.out" "$nd/weftd.log" 2>/dev/null | sed 's/^/    /' >&2
	done
	if [ -n "$SB_KEEP" ]; then
		sb_warn "up failed; --keep: left half-built for inspection in $SB_DIR; remove with: sandbox --name $SB_NAME down"
	else
		sb_warn "up failed; removing what it built"
		sb_teardown
	fi
	exit $((rc == 0 ? 1 : rc))
}

# sb_wait_converged SECONDS: every node has a best route to each of every other node's pod CIDRs
# (weftctl route list), bounded.
sb_wait_converged() {
	local secs=$1 t0
	t0=$(date +%s)
	sb_say "waiting for routes to converge (up to ${secs}s)..."
	if sb_wait "$secs" sb_converged; then
		sb_say "converged in $(($(date +%s) - t0))s"
		return 0
	fi
	return 1
}

sb_converged() {
	local i j got want
	for ((i = 1; i <= SB_NODES; i++)); do
		got=$(timeout -k 1 5 "$SB_BIN/weftctl" --socket "$(sb_node_dir "$i")/weftd.sock" -o json route list 2>/dev/null |
			jq -r '.routes[] | select(.best) | .prefix' 2>/dev/null) || return 1
		for ((j = 1; j <= SB_NODES; j++)); do
			[ "$i" = "$j" ] && continue
			for want in "$(sb_pod4 "$j")" "$(sb_pod6 "$j")"; do
				grep -qxF "$want" <<<"$got" || return 1
			done
		done
	done
}

# ---- down -----------------------------------------------------------------------------------

cmd_down() {
	[ $# = 0 ] || sb_die "down: unexpected argument '$1' (usage: sandbox [--name NAME] down)"
	sb_require_root
	sb_lock
	if ! sb_exists; then
		local stray
		stray=$(ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^$SB_NAME-(node[0-9]+|underlay|world|rr|pod-.*)\$" | paste -sd' ')
		sb_say "no cluster '$SB_NAME' (no $SB_DIR): nothing to remove"
		[ -z "$stray" ] || sb_warn "namespaces named like its are there but no state records them, so they are left alone: $stray"
		return 0
	fi
	sb_teardown
}

# sb_teardown: remove everything the ledger lists, in order: our processes (by PID and start
# time), weftd's pins (--purge, while the node namespace still exists), the namespaces (pods
# first, as made last), the bpffs mounts, the state directory. Each step bounded; a thing
# already gone is skipped, so a half-built or crashed cluster comes down the same way.
sb_teardown() {
	local procs=0 nss=0 mounts=0 kind a b i lines=() ns conf
	if [ -f "$SB_LEDGER" ]; then
		mapfile -t lines <"$SB_LEDGER"
	fi
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r kind a b _ <<<"${lines[i]}"
		[ "$kind" = pid ] || continue
		if sb_alive "$a" "$b"; then
			sb_stop "$a" "$b" 10
			procs=$((procs + 1))
		fi
	done
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r kind a _ <<<"${lines[i]}"
		[ "$kind" = purge ] || continue
		ns=$(sb_ns_node "$a")
		conf=$(sb_node_dir "$a")/weftd.json
		[ -e "/run/netns/$ns" ] && [ -f "$conf" ] && [ -x "$SB_BIN/weftd" ] || continue
		timeout -k 1 10 nsenter --net="/run/netns/$ns" -- "$SB_BIN/weftd" --purge -c "$conf" >/dev/null 2>&1 ||
			sb_warn "weftd --purge of node$a failed (its pins go with the bpffs anyway)"
	done
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r kind a _ <<<"${lines[i]}"
		[ "$kind" = netns ] || continue
		[ -e "/run/netns/$a" ] || continue
		sb_netns_del "$a" && nss=$((nss + 1))
	done
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r kind a _ <<<"${lines[i]}"
		[ "$kind" = mount ] || continue
		case $a in "$SB_DIR"/*) ;; *) continue ;; esac
		mountpoint -q "$a" 2>/dev/null || continue
		if umount "$a" 2>/dev/null || umount -l "$a" 2>/dev/null; then
			mounts=$((mounts + 1))
		else
			sb_warn "cannot unmount $a"
		fi
	done
	# Nothing may be mounted below the directory we are about to delete.
	if findmnt -rn -o TARGET | grep -q "^$SB_DIR/"; then
		sb_warn "mounts remain under $SB_DIR; leaving it: $(findmnt -rn -o TARGET | grep "^$SB_DIR/" | paste -sd' ')"
		return 1
	fi
	# With sanitizer builds (WEFT_BIN_DIR=build/san/bin) a weftd's report would go with the
	# directory: say so, and fail.
	local san='' f
	for f in "$SB_DIR"/nodes/*/weftd.out; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
			san=1
			sb_warn "sanitizer report from weftd of $(basename "$(dirname "$f")"):"
			grep -m 3 -E -A 3 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | sed 's/^/    /' >&2
		fi
	done
	case $SB_DIR in "$SB_RUN"/?*) rm -rf "$SB_DIR" ;; esac
	sb_say "cluster $SB_NAME removed: $procs process(es) stopped, $nss namespace(s) and $mounts bpffs mount(s) removed"
	[ -z "$san" ]
}
