# Sourced by tests/sandbox/sandbox: pods wired through the CNI plugin exactly as a runtime
# (libcni) runs a network configuration list, commands run inside namespaces, and status.

SB_IFNAME=eth0

sb_pod_file() { echo "$SB_DIR/pods/$1.json"; }

sb_pod_name_check() {
	# A Kubernetes pod name (DNS label, K8S_POD_NAME must be one), short enough for a netns name.
	[[ $1 =~ ^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$ ]] ||
		sb_die "bad pod name '$1': 1-32 lowercase letters, digits or '-', starting and ending with a letter or digit"
}

# sb_plugin TYPE: the executable a runtime runs for TYPE: the first match in CNI_PATH.
sb_plugin() {
	local d IFS=:
	for d in $SB_CNI_PATH; do
		if [ -x "$d/$1" ] && [ ! -d "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

# sb_cni_call NODE_NS CONF VAR=VALUE...: run the plugin CONF's "type" names in the node's network
# namespace with exactly these CNI_* variables and CONF on stdin, bounded (30 s). Sets SB_CNI_OUT,
# SB_CNI_ERR, SB_CNI_RC.
sb_cni_call() {
	local ns=$1 conf=$2 type plugin errf
	shift 2
	type=$(jq -r '.type // empty' <<<"$conf")
	if ! plugin=$(sb_plugin "$type"); then
		SB_CNI_RC=1
		SB_CNI_OUT=$(jq -cn --arg t "$type" --arg p "$SB_CNI_PATH" '{code: 1, msg: "plugin \($t) not found in CNI_PATH \($p)"}')
		SB_CNI_ERR=
		return
	fi
	errf=$(mktemp /tmp/wsbcni.XXXXXX)
	SB_CNI_OUT=$(printf '%s' "$conf" | ip netns exec "$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" \
		timeout -k 2 "${SB_CNI_TIMEOUT:-30}" "$plugin" 2>"$errf")
	SB_CNI_RC=$?
	SB_CNI_ERR=$(cat "$errf")
	rm -f "$errf"
}

# sb_cni_list I CMD CID NETNS_PATH ARGS [CACHED_RESULT]: one runtime operation on node I's
# conflist, as libcni does it: each plugin's config is the list's element with the list's
# cniVersion and name injected; ADD runs the plugins in order, each given the previous one's
# result as prevResult, and the last result is the attachment's; DEL runs them in reverse, each
# given the cached result as prevResult. Sets SB_CNI_OUT/ERR/RC of the last (or failing) call.
sb_cni_list() {
	local i=$1 cmd=$2 cid=$3 path=$4 args=$5 cached=${6:-} list n k conf prev=
	list=$(cat "$(sb_node_dir "$i")/net.d/10-weft.conflist") || return 1
	n=$(jq '.plugins | length' <<<"$list")
	local order=()
	if [ "$cmd" = DEL ]; then
		for ((k = n - 1; k >= 0; k--)); do order+=("$k"); done
		prev=$cached
	else
		for ((k = 0; k < n; k++)); do order+=("$k"); done
	fi
	for k in "${order[@]}"; do
		conf=$(jq -c --argjson k "$k" --arg prev "$prev" \
			'.plugins[$k] + {cniVersion: .cniVersion, name: .name}
			 + (if $prev == "" then {} else {prevResult: ($prev | fromjson)} end)' <<<"$list")
		sb_cni_call "$(sb_ns_node "$i")" "$conf" CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" \
			CNI_NETNS="$path" CNI_IFNAME="$SB_IFNAME" CNI_ARGS="$args" CNI_PATH="$SB_CNI_PATH"
		[ "$SB_CNI_RC" = 0 ] || return 1
		if [ "$cmd" = ADD ]; then
			prev=$SB_CNI_OUT
		fi
	done
	return 0
}

# sb_cni_why: the last failed call in one line (the CNI error's code, msg and details).
sb_cni_why() {
	local m
	m=$(jq -r '"code \(.code): \(.msg)\(if .details then " (" + .details + ")" else "" end)"' <<<"$SB_CNI_OUT" 2>/dev/null)
	[ -n "$m" ] || m="exit $SB_CNI_RC: $(printf '%s' "$SB_CNI_OUT" | head -c 300)"
	printf '%s%s' "$m" "${SB_CNI_ERR:+ [stderr: $(printf '%s' "$SB_CNI_ERR" | tr '\n' ' ' | head -c 300)]}"
}

# sb_pod_addr RESULT 4|6: the pod's address of that family, without prefix length.
sb_pod_addr() {
	if [ "$2" = 4 ]; then
		jq -r '[.ips[]?.address | select(test(":") | not)][0] // empty | sub("/.*"; "")' <<<"$1"
	else
		jq -r '[.ips[]?.address | select(test(":"))][0] // empty | sub("/.*"; "")' <<<"$1"
	fi
}

cmd_pod() {
	local sub=${1:-}
	shift || true
	case $sub in
	add) sb_pod_add "$@" ;;
	del|delete|rm) sb_pod_del "$@" ;;
	list|ls) sb_pod_list "$@" ;;
	ip) sb_pod_ip "$@" ;;
	*) sb_die "pod: expected add NODE POD, del NODE POD, list, or ip POD [4|6] (not '$sub')" ;;
	esac
}

sb_pod_add() {
	[ $# = 2 ] || sb_die "usage: sandbox pod add NODE POD"
	local node=$1 pod=$2 i ns path cid args v4 v6 res
	sb_require_root
	sb_require_cluster
	sb_pod_name_check "$pod"
	i=$(sb_node_index "$node") || exit 1
	sb_lock
	[ "$(sb_cfg state)" = up ] || sb_die "cluster '$SB_NAME' is not up (state $(sb_cfg state))"
	[ ! -e "$(sb_pod_file "$pod")" ] || sb_die "pod '$pod' exists already (on $(jq -r .node "$(sb_pod_file "$pod")"))"
	ns=$(sb_ns_pod "$pod")
	path=/run/netns/$ns
	# Interrupted before the pod is recorded: undo it as a failed ADD is undone.
	SB_POD_PENDING="$i $ns"
	trap sb_pod_add_abort EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	sb_netns_add "$ns" || sb_die "pod add: cannot create namespace $ns"
	# A container ID as CRI runtimes make them (64 hex digits), and the CNI_ARGS kubelet's
	# runtimes send.
	cid=$(printf '%s/%s/%s/%s' "$SB_NAME" "$pod" "$(date +%s%N)" "$RANDOM" | sha256sum | cut -c1-64)
	args="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod;K8S_POD_INFRA_CONTAINER_ID=$cid"
	if ! sb_cni_list "$i" ADD "$cid" "$path" "$args"; then
		local why
		why=$(sb_cni_why)
		# A runtime tears a failed ADD down with DEL before giving up.
		sb_cni_list "$i" DEL "$cid" "$path" "$args" >/dev/null 2>&1
		sb_netns_del "$ns"
		SB_POD_PENDING=
		sb_die "pod add $node $pod: ADD failed: $why"
	fi
	res=$SB_CNI_OUT
	jq -n --arg pod "$pod" --arg node "$node" --arg ns "$ns" --arg path "$path" --arg cid "$cid" \
		--arg ifname "$SB_IFNAME" --arg args "$args" --argjson res "$res" \
		'{pod: $pod, node: $node, netns: $ns, netns_path: $path, container_id: $cid, ifname: $ifname,
		  cni_args: $args, result: $res}' >"$(sb_pod_file "$pod").tmp" &&
		mv "$(sb_pod_file "$pod").tmp" "$(sb_pod_file "$pod")" || sb_die "pod add: cannot write $(sb_pod_file "$pod")"
	SB_POD_PENDING=
	trap - EXIT INT TERM HUP
	v4=$(sb_pod_addr "$res" 4)
	v6=$(sb_pod_addr "$res" 6)
	echo "$pod $node $v4 $v6"
}

sb_pod_add_abort() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "${SB_POD_PENDING:-}" ]; then
		sb_warn "pod add interrupted: undoing it (DEL, namespace removed)"
		[ -n "${cid:-}" ] && sb_cni_list "${SB_POD_PENDING% *}" DEL "$cid" "/run/netns/${SB_POD_PENDING#* }" "${args:-}" >/dev/null 2>&1
		sb_netns_del "${SB_POD_PENDING#* }"
	fi
	exit "$rc"
}

sb_pod_del() {
	[ $# = 2 ] || sb_die "usage: sandbox pod del NODE POD"
	local node=$1 pod=$2 f i rec
	sb_require_root
	sb_require_cluster
	sb_pod_name_check "$pod"
	i=$(sb_node_index "$node") || exit 1
	sb_lock
	f=$(sb_pod_file "$pod")
	[ -f "$f" ] || sb_die "no pod '$pod' in cluster '$SB_NAME'"
	rec=$(cat "$f")
	[ "$(jq -r .node <<<"$rec")" = "$node" ] || sb_die "pod '$pod' is on $(jq -r .node <<<"$rec"), not $node"
	if ! sb_cni_list "$i" DEL "$(jq -r .container_id <<<"$rec")" "$(jq -r .netns_path <<<"$rec")" \
		"$(jq -r .cni_args <<<"$rec")" "$(jq -c .result <<<"$rec")"; then
		sb_die "pod del $node $pod: DEL failed (pod kept; try again): $(sb_cni_why)"
	fi
	sb_netns_del "$(jq -r .netns <<<"$rec")"
	rm -f "$f"
	echo "$pod deleted"
}

sb_pod_list() {
	local f
	sb_require_cluster
	printf '%-20s %-8s %-15s %-24s %s\n' POD NODE IPV4 IPV6 NAMESPACE
	for f in "$SB_DIR"/pods/*.json; do
		[ -f "$f" ] || continue
		jq -r '[.pod, .node,
			([.result.ips[]?.address | select(test(":") | not)][0] // "-" | sub("/.*"; "")),
			([.result.ips[]?.address | select(test(":"))][0] // "-" | sub("/.*"; "")), .netns] | @tsv' "$f"
	done | sort -V | awk -F'\t' '{ printf "%-20s %-8s %-15s %-24s %s\n", $1, $2, $3, $4, $5 }'
}

# pod ip POD [4|6]: the pod's address(es), for scripts.
sb_pod_ip() {
	[ $# -ge 1 ] && [ $# -le 2 ] || sb_die "usage: sandbox pod ip POD [4|6]"
	local f
	sb_require_cluster
	f=$(sb_pod_file "$1")
	[ -f "$f" ] || sb_die "no pod '$1' in cluster '$SB_NAME'"
	case ${2:-} in
	4|6) sb_pod_addr "$(jq -c .result "$f")" "$2" ;;
	'') sb_pod_addr "$(jq -c .result "$f")" 4; sb_pod_addr "$(jq -c .result "$f")" 6 ;;
	*) sb_die "pod ip: family '$2' must be 4 or 6" ;;
	esac
}

# ---- running things inside ------------------------------------------------------------------

# sb_exec_in NS CMD...: replace this process with CMD in namespace NS. The process is recorded
# first (same PID after exec), so `down` stops it if it is still running then (a server left
# in the background).
sb_exec_in() {
	local ns=$1
	shift
	[ $# -gt 0 ] || sb_die "nothing to run (usage: ... -- CMD [ARGS...])"
	[ -e "/run/netns/$ns" ] || sb_die "namespace $ns does not exist"
	sb_track $$ "exec"
	exec ip netns exec "$ns" "$@"
}

cmd_exec() {
	[ $# -ge 1 ] || sb_die "usage: sandbox exec POD -- CMD [ARGS...]"
	local pod=$1 f
	shift
	[ "${1:-}" = -- ] && shift
	sb_require_root
	sb_require_cluster
	f=$(sb_pod_file "$pod")
	[ -f "$f" ] || sb_die "no pod '$pod' in cluster '$SB_NAME' (sandbox pod list)"
	sb_exec_in "$(jq -r .netns "$f")" "$@"
}

# sb_ns_of NODE: the namespace of node1..nodeN, world, rr or underlay.
sb_ns_of() {
	case $1 in
	world) SB_NS_WORLD ;;
	underlay) SB_NS_UL ;;
	rr) [ -n "$(sb_cfg rr)" ] || sb_die "cluster '$SB_NAME' has no route reflector"; SB_NS_RR ;;
	*) local i; i=$(sb_node_index "$1") || exit 1; sb_ns_node "$i" ;;
	esac
}

cmd_node() {
	local sub=${1:-} node ns
	shift || true
	sb_require_root
	sb_require_cluster
	case $sub in
	exec)
		[ $# -ge 1 ] || sb_die "usage: sandbox node exec NODE -- CMD [ARGS...]"
		node=$1
		shift
		[ "${1:-}" = -- ] && shift
		ns=$(sb_ns_of "$node") || exit 1
		sb_exec_in "$ns" "$@" ;;
	stop|kill|start|restart)
		[ $# = 1 ] || sb_die "usage: sandbox node $sub NODE (stops/starts that node's weftd)"
		local i
		i=$(sb_node_index "$1") || exit 1
		SB_NODES=$(sb_cfg nodes)
		sb_lock
		case $sub in
		stop) sb_weftd_stop "$i" TERM && echo "node$i: weftd stopped (SIGTERM)" ;;
		kill) sb_weftd_stop "$i" KILL && echo "node$i: weftd killed (SIGKILL)" ;;
		start|restart)
			[ "$sub" = restart ] && sb_weftd_stop "$i" TERM
			if sb_ledger_pid "weftd-node$i" >/dev/null; then
				sb_die "node$i: weftd is running already"
			fi
			sb_weftd_start "$i" || exit 1
			echo "node$i: weftd started (pid $(sb_ledger_pid "weftd-node$i" | cut -d' ' -f1))" ;;
		esac ;;
	*) sb_die "node: expected exec NODE -- CMD, or stop|kill|start|restart NODE (not '$sub')" ;;
	esac
}

cmd_weftctl() {
	[ $# -ge 1 ] || sb_die "usage: sandbox weftctl NODE [ARGS...]"
	local i
	sb_require_cluster
	i=$(sb_node_index "$1") || exit 1
	shift
	exec "$SB_BIN/weftctl" --socket "$(sb_node_dir "$i")/weftd.sock" "$@"
}

# ---- status -----------------------------------------------------------------------------------

# sb_node_json I: one node's state as JSON: addresses, pod CIDRs, weftd (pid, running,
# answering, endpoints, uptime), BGP peers when weftctl has them.
sb_node_json() {
	local i=$1 l pid='' running=false reply peers=null ns
	ns=$(sb_ns_node "$i")
	if l=$(sb_ledger_pid "weftd-node$i"); then
		pid=${l% *}
		running=true
	fi
	reply=$(sb_api "$i" '{"weft":1,"id":0,"op":"status"}' | jq -c '.result // empty' 2>/dev/null)
	if [ -n "$SB_HAS_PEERS" ] && [ -n "$reply" ]; then
		peers=$(timeout -k 1 5 "$SB_BIN/weftctl" --socket "$(sb_node_dir "$i")/weftd.sock" -o json peer list 2>/dev/null) || peers=null
		[ -n "$peers" ] || peers=null
	fi
	jq -n --arg name "node$i" --arg ns "$ns" --argjson nsok "$([ -e "/run/netns/$ns" ] && echo true || echo false)" \
		--arg a4 "$(sb_node4 "$i")" --arg a6 "$(sb_node6 "$i")" --arg p4 "$(sb_pod4 "$i")" --arg p6 "$(sb_pod6 "$i")" \
		--arg pid "$pid" --argjson running "$running" --arg reply "$reply" --argjson peers "$peers" \
		--arg sock "$(sb_node_dir "$i")/weftd.sock" --arg log "$(sb_node_dir "$i")/weftd.log" \
		--arg conflist "$(sb_node_dir "$i")/net.d/10-weft.conflist" \
		'{name: $name, netns: $ns, netns_exists: $nsok, addresses: [$a4, $a6], pod_cidrs: [$p4, $p6],
		  weftd: {pid: (if $pid == "" then null else ($pid | tonumber) end), running: $running,
		          answering: ($reply != ""),
		          endpoints: (if $reply == "" then null else ($reply | fromjson | .endpoints) end),
		          uptime_s: (if $reply == "" then null else ($reply | fromjson | .uptime_s) end),
		          socket: $sock, log: $log},
		  conflist: $conflist, bgp_peers: $peers}'
}

sb_status_json() {
	local i n nodes='[]' pods='[]' f rr=null
	n=$(sb_cfg nodes)
	SB_HAS_PEERS=
	"$SB_BIN/weftctl" help 2>/dev/null | grep -q '^ *peer' && SB_HAS_PEERS=1
	for ((i = 1; i <= n; i++)); do
		nodes=$(jq -c --argjson x "$(sb_node_json "$i")" '. + [$x]' <<<"$nodes")
	done
	for f in "$SB_DIR"/pods/*.json; do
		[ -f "$f" ] || continue
		pods=$(jq -c --slurpfile p "$f" '. + [$p[0] | {pod, node, netns, container_id,
			ips: [.result.ips[]?.address | sub("/.*"; "")]}]' <<<"$pods")
	done
	if [ -n "$(sb_cfg rr)" ]; then
		local l out
		l=$(sb_ledger_pid bird-rr) || l=
		out=$(sb_birdc show protocols 2>/dev/null | awk '$2 == "BGP" { print $1 " " $4 " " $6 }' | jq -R -s -c 'split("\n") | map(select(. != "") | split(" ") | {name: .[0], state: .[1], info: .[2]})') || out=null
		rr=$(jq -n --arg pid "${l% *}" --argjson sess "${out:-null}" --arg ns "$(SB_NS_RR)" --arg a4 "$SB_RR4" --arg a6 "$SB_RR6" \
			'{kind: "bird", netns: $ns, addresses: [$a4, $a6], pid: (if $pid == "" then null else ($pid | tonumber) end), sessions: $sess}')
	fi
	jq -n --slurpfile c "$SB_CONF" --argjson nodes "$nodes" --argjson pods "$pods" --argjson rr "$rr" \
		--arg dir "$SB_DIR" --arg ul "$(SB_NS_UL)" --arg w "$(SB_NS_WORLD)" \
		--arg i4 "$SB_INET4" --arg i6 "$SB_INET6" --arg w4 "$SB_WORLD4" --arg w6 "$SB_WORLD6" \
		--arg c4 "$SB_CLUSTER4" --arg c6 "$SB_CLUSTER6" \
		'$c[0] + {dir: $dir, cluster_cidrs: [$c4, $c6],
		  underlay: {netns: $ul, bridge: "br0", subnets: ["10.99.0.0/24", "fd99::/64"]},
		  world: {netns: $w, addresses: [$w4, $w6], internet: [$i4, $i6]},
		  route_reflector: $rr, nodes: $nodes, pods: $pods}'
}

cmd_status() {
	local json=
	while [ $# -gt 0 ]; do
		case $1 in
		-o) [ "${2:-}" = json ] || sb_die "status: -o takes json"; json=1; shift 2 ;;
		-ojson|--json|--output=json) json=1; shift ;;
		*) sb_die "status: unknown argument '$1' (usage: sandbox status [-o json])" ;;
		esac
	done
	sb_require_root
	if ! sb_exists; then
		sb_say "no cluster '$SB_NAME'"
		return 1
	fi
	if [ ! -f "$SB_CONF" ]; then
		sb_say "cluster '$SB_NAME' is half-built (no $SB_CONF); remove it with: sandbox --name $SB_NAME down"
		return 1
	fi
	local s healthy
	s=$(sb_status_json) || sb_die "status: cannot read the cluster's state"
	healthy=$(jq -r '(.state == "up") and all(.nodes[]; .netns_exists and .weftd.running and .weftd.answering)
		and (.route_reflector == null or .route_reflector.pid != null)' <<<"$s")
	if [ -n "$json" ]; then
		jq . <<<"$s"
		[ "$healthy" = true ]
		return
	fi
	jq -r '"cluster \(.name): \(.state), \(.nodes | length) node(s), mode \(.mode), peering \(.peering)\(if .rr != "" then " via " + .rr + " route reflector" else "" end), since \(.created | strftime("%F %T")) UTC",
		"  underlay \(.underlay.subnets | join(" ")) MTU \(.mtu) (bridge br0 in \(.underlay.netns)); pods MTU \(.pod_mtu); cluster CIDRs \(.cluster_cidrs | join(" "))",
		"  world \(.world.addresses | join(" ")), internet addresses \(.world.internet | join(" ")) (\(.world.netns))",
		"  state in \(.dir)"' <<<"$s"
	echo
	printf '%-7s %-16s %-21s %-37s %s\n' NODE NAMESPACE ADDRESSES POD-CIDRS WEFTD
	jq -r '.nodes[] | [.name, (.netns + (if .netns_exists then "" else " (GONE)" end)), (.addresses | join(" ")), (.pod_cidrs | join(" ")),
		(if .weftd.running | not then "NOT RUNNING"
		 elif .weftd.answering | not then "pid \(.weftd.pid), NOT ANSWERING"
		 else "pid \(.weftd.pid), ok, up \(.weftd.uptime_s)s, \(.weftd.endpoints) endpoint(s)" end)] | @tsv' <<<"$s" |
		awk -F'\t' '{ printf "%-7s %-16s %-21s %-37s %s\n", $1, $2, $3, $4, $5 }'
	echo
	if [ "$(jq '.pods | length' <<<"$s")" = 0 ]; then
		echo "no pods (sandbox --name $SB_NAME pod add NODE POD)"
	else
		sb_pod_list
	fi
	if jq -e 'any(.nodes[]; .bgp_peers != null)' <<<"$s" >/dev/null; then
		echo
		for ((i = 1; i <= $(sb_cfg nodes); i++)); do
			echo "node$i BGP peers:"
			timeout -k 1 5 "$SB_BIN/weftctl" --socket "$(sb_node_dir "$i")/weftd.sock" peer list 2>&1 | sed 's/^/  /'
		done
	fi
	if [ "$(jq -r '.route_reflector != null' <<<"$s")" = true ]; then
		echo
		echo "route reflector (BIRD, $(SB_NS_RR), pid $(jq -r '.route_reflector.pid // "NOT RUNNING"' <<<"$s")):"
		sb_birdc show protocols 2>&1 | sed 's/^/  /'
	fi
	[ "$healthy" = true ]
}
