# Helpers sourced by tests/integration/test_*.sh: per-run names and cleanup, PASS/FAIL lines, a
# node namespace with pods, and `cni`, which calls a plugin exactly as a container runtime does
# (CNI_* environment, config on stdin, result on stdout) from inside the node namespace.
#
# A test file does:   . "$(dirname "$0")/lib.sh"; require_root; wt_init TAG; node_create; ...
# Knobs (environment): BUILD (default build), WEFT_BIN_DIR (default $BUILD/bin), CNI_REF_DIR
# (default /usr/lib/cni), WT_PLUGIN_TYPE / WT_IPAM_TYPE (default weft / weft-ipam: e.g. ptp /
# host-local to try the harness on the reference plugins), WT_LEDGER (set by tests/run: every
# namespace and directory created is also written there, so the runner can remove what a killed
# test file left behind; bpffs mounts are recorded as "mount PATH").

WT_FILE=$(basename "$0")
WT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${BUILD:=build}"
case $BUILD in /*) WT_BUILD=$BUILD ;; *) WT_BUILD=$WT_ROOT/$BUILD ;; esac
WT_BIN=${WEFT_BIN_DIR:-$WT_BUILD/bin}
WT_REF_BIN=${CNI_REF_DIR:-/usr/lib/cni}
WT_PLUGIN_TYPE=${WT_PLUGIN_TYPE:-weft}
WT_IPAM_TYPE=${WT_IPAM_TYPE:-weft-ipam}
WT_VERSION=${WT_VERSION:-1.1.0}
# Every plugin call and wait is bounded: a hung plugin is a failure, not a hung suite.
WT_CNI_TIMEOUT=${WT_CNI_TIMEOUT:-30}

WT_PASSES=0
WT_FAILS=0
WT_NETNS=()
WT_DIRS=()
WT_PIDS=()
WT_MOUNTS=()
WD_CONFS=()
WT_TMP=
WT_PREFIX=

# Test addresses: the node's own (TEST-NET documentation ranges, never routed anywhere) and the
# link-local gateway every pod's default route points at.
WT_NODE4=192.0.2.1
WT_NODE6=2001:db8::1
WT_GW4=169.254.1.1
WT_GW6=fe80::1

# ---- results ----------------------------------------------------------------------------------

pass() {
	WT_PASSES=$((WT_PASSES + 1))
	echo "PASS: $1"
}

# fail NAME WHY...
fail() {
	local name=$1 why
	shift
	why=$(printf '%s' "$*" | tr '\n' ' ' | cut -c1-400)
	WT_FAILS=$((WT_FAILS + 1))
	echo "FAIL: $name — ${why:-no reason given}"
}

# check NAME CMD...: PASS when CMD exits 0, else FAIL quoting the end of its output.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "$name"
	else
		fail "$name" "\`$*\` exited $rc${out:+: $(printf '%s' "$out" | tail -n 4)}"
	fi
	return "$rc"
}

# check_fails NAME CMD...: PASS when CMD exits non-zero.
check_fails() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" != 0 ]; then
		pass "$name"
		return 0
	fi
	fail "$name" "\`$*\` succeeded but should have failed${out:+: $(printf '%s' "$out" | tail -n 2)}"
	return 1
}

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', want '$3'"
		return 1
	fi
}

# ---- setup and cleanup ------------------------------------------------------------------------

require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: $WT_FILE needs root (creates network namespaces)"
		exit 0
	fi
}

_wt_ledger() {
	[ -n "${WT_LEDGER:-}" ] && echo "$1 $2" >>"$WT_LEDGER"
	return 0
}

# wt_init TAG: names for this file are wt<TAG><pid>-*; temp dir /tmp/wt<TAG><pid>.XXXXXX; cleanup
# traps; CNI_PATH (our fake plugins first, then the built plugins, then the reference ones).
wt_init() {
	local t
	WT_PREFIX=wt$1$$
	for t in ip jq socat ping timeout ss; do
		if ! command -v "$t" >/dev/null; then
			echo "FAIL: $WT_FILE setup — '$t' is not installed (make deps)"
			exit 1
		fi
	done
	trap wt_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	WT_TMP=$(mktemp -d "/tmp/$WT_PREFIX.XXXXXX") || { echo "FAIL: $WT_FILE setup — mktemp"; exit 1; }
	WT_DIRS+=("$WT_TMP")
	_wt_ledger dir "$WT_TMP"
	mkdir -p "$WT_TMP/bin" "$WT_TMP/plugins" "$WT_TMP/ipam" "$WT_TMP/out"
	# Our own copy of the built plugins: a rebuild running meanwhile (make in another shell)
	# cannot swap a binary under a test halfway through.
	for t in "$WT_BIN"/*; do
		[ -f "$t" ] && [ -x "$t" ] && cp -p "$t" "$WT_TMP/plugins/"
	done
	WT_CNI_PATH=$WT_TMP/bin:$WT_TMP/plugins:$WT_REF_BIN
	WT_NET=${WT_PREFIX}net
	WT_DATADIR=$WT_TMP/ipam
}

# require_plugins NAME...: each must be found in CNI_PATH; FAIL and exit otherwise.
require_plugins() {
	local p
	for p in "$@"; do
		if [ -z "$(plugin_path "$p")" ]; then
			fail "$WT_FILE setup" "plugin '$p' not found in $WT_CNI_PATH (run make)"
			exit 1
		fi
	done
}

wt_cleanup() {
	local rc=$? pid ns d i
	trap - EXIT INT TERM HUP
	for pid in "${WT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${WT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	_wt_weftd_cleanup
	# Pods first, the node last (its veths go with it). Any process still inside one of our
	# namespaces was started by this file (a plugin or a listener): stop it by PID.
	for ((i = ${#WT_NETNS[@]} - 1; i >= 0; i--)); do
		ns=${WT_NETNS[i]}
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	_wt_umount_all
	for d in "${WT_DIRS[@]}"; do
		case $d in /tmp/wt*) rm -rf "$d" ;; esac
	done
	if [ "$rc" = 0 ] && [ "$WT_FAILS" -gt 0 ]; then
		rc=1
	fi
	exit "$rc"
}

# ns_add NAME: create netns $WT_PREFIX-NAME with lo up; prints nothing; FAIL and exit on error.
ns_add() {
	local ns=$WT_PREFIX-$1
	if ! ip netns add "$ns"; then
		fail "$WT_FILE setup" "ip netns add $ns"
		exit 1
	fi
	WT_NETNS+=("$ns")
	_wt_ledger netns "$ns"
	ip -n "$ns" link set lo up
}

# ns_del NAME: delete one of our namespaces early (e.g. a pod whose netns the runtime removed).
ns_del() {
	local ns=$WT_PREFIX-$1 pid
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
}

# node_create: the node namespace $WT_NODE (= $WT_PREFIX-node). Its addresses ($WT_NODE4,
# $WT_NODE6) sit on lo; its "uplink" is uplink0, a bridge with no ports (this kernel has no dummy
# driver) carrying the default routes: whatever is routed there is dropped, so nothing can leave
# the namespace, and a plugin looking for the uplink's MTU finds uplink0's. It has no IPv6
# link-local address, so the node's routes change only when a plugin changes them.
node_create() {
	ns_add node
	WT_NODE=$WT_PREFIX-node
	ip -n "$WT_NODE" addr add "$WT_NODE4/32" dev lo &&
		ip -n "$WT_NODE" addr add "$WT_NODE6/128" dev lo &&
		ip -n "$WT_NODE" link add uplink0 type bridge &&
		ip -n "$WT_NODE" link set uplink0 addrgenmode none &&
		ip -n "$WT_NODE" link set uplink0 mtu "${WT_UPLINK_MTU:-1500}" up &&
		ip -n "$WT_NODE" route add default dev uplink0 &&
		ip -n "$WT_NODE" -6 route add default dev uplink0 ||
		{ fail "$WT_FILE setup" "node namespace $WT_NODE"; exit 1; }
}

# pod_create NAME: a pod namespace; sets POD_NS (name) and POD_PATH (what CNI_NETNS carries).
pod_create() {
	ns_add "$1"
	POD_NS=$WT_PREFIX-$1
	POD_PATH=/run/netns/$POD_NS
}

# bg PID: remember a background process of ours, stopped at cleanup.
bg_track() {
	WT_PIDS+=("$1")
}

# ---- configurations ---------------------------------------------------------------------------

# ipam_conf [V4SUBNET [V6SUBNET [EXTRA_RANGE_JSON]]]: dual-stack IPAM config, one range set per
# family, dataDir under our temp dir. EXTRA_RANGE_JSON is merged into both ranges' objects by the
# caller with jq when needed; use ipam_conf_raw for full control.
ipam_conf() {
	jq -cn --arg t "$WT_IPAM_TYPE" --arg d "$WT_DATADIR" \
		--arg s4 "${1:-10.244.1.0/24}" --arg s6 "${2:-fd00:10:244:1::/64}" \
		'{type: $t, dataDir: $d, ranges: [[{subnet: $s4}], [{subnet: $s6}]]}'
}

# net_conf VERSION [IPAM_JSON]: the plugin's network config as a runtime hands it over.
net_conf() {
	local ipam=${2:-}
	[ -n "$ipam" ] || ipam=$(ipam_conf)
	jq -cn --arg v "${1:-$WT_VERSION}" --arg n "$WT_NET" --arg t "$WT_PLUGIN_TYPE" --argjson i "$ipam" \
		'{cniVersion: $v, name: $n, type: $t, ipam: $i}'
}

# conf_with CONF JQ_FILTER [jq args...]: CONF edited by a jq filter, compact.
conf_with() {
	local conf=$1 filter=$2
	shift 2
	jq -c "$@" "$filter" <<<"$conf"
}

# prev_conf CONF RESULT: CONF with prevResult set, as a runtime sends it on CHECK and DEL.
prev_conf() {
	jq -c --argjson r "$2" '. + {prevResult: $r}' <<<"$1"
}

# ---- calling plugins --------------------------------------------------------------------------

# plugin_path TYPE: the executable a runtime would run for TYPE (first match in CNI_PATH).
plugin_path() {
	local d IFS=:
	[ -n "$1" ] || return 0
	for d in $WT_CNI_PATH; do
		if [ -x "$d/$1" ] && [ ! -d "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
}

# cni_exec NODE_NS CONF VAR=VALUE...: run the plugin named by CONF's "type" (or $CNI_PLUGIN when
# set, or weft when CONF has no readable type) inside NODE_NS with exactly the given CNI_*
# variables, CONF on stdin. Sets CNI_OUT (stdout), CNI_ERR (stderr) and CNI_RC (exit code).
cni_exec() {
	local node=$1 conf=$2 type plugin errf
	shift 2
	plugin=${CNI_PLUGIN:-}
	if [ -z "$plugin" ]; then
		type=$(jq -r 'if type == "object" then .type // empty else empty end' <<<"$conf" 2>/dev/null)
		plugin=$(plugin_path "${type:-$WT_PLUGIN_TYPE}")
		[ -n "$plugin" ] || plugin=$WT_TMP/plugins/$WT_PLUGIN_TYPE
	fi
	errf=$WT_TMP/out/stderr.$BASHPID.$RANDOM
	CNI_OUT=$(printf '%s' "$conf" | ip netns exec "$node" \
		env -u CNI_COMMAND -u CNI_CONTAINERID -u CNI_NETNS -u CNI_IFNAME -u CNI_ARGS -u CNI_PATH \
		"$@" timeout -k 2 "$WT_CNI_TIMEOUT" "$plugin" 2>"$errf")
	CNI_RC=$?
	CNI_ERR=$(cat "$errf" 2>/dev/null)
	rm -f "$errf"
	# With sanitizer builds (WEFT_BIN_DIR=build/san/bin) a report must fail the test even where
	# the call was expected to fail anyway.
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' <<<"$CNI_ERR"; then
		fail "sanitizer report from $(basename "$plugin") ($*)" "$(grep -m1 -E 'Sanitizer|runtime error' <<<"$CNI_ERR")"
	fi
	return 0
}

# cni NODE_NS CMD CONTAINERID POD_NETNS IFNAME CONF [ARGS]: one plugin call as a runtime makes it.
cni() {
	cni_exec "$1" "$6" CNI_COMMAND="$2" CNI_CONTAINERID="$3" CNI_NETNS="$4" CNI_IFNAME="$5" \
		CNI_ARGS="${7:-}" CNI_PATH="$WT_CNI_PATH"
}

# cni_gc NODE_NS CONF / cni_status NODE_NS CONF: the commands without an attachment.
cni_gc() {
	cni_exec "$1" "$2" CNI_COMMAND=GC CNI_PATH="$WT_CNI_PATH"
}
cni_status() {
	cni_exec "$1" "$2" CNI_COMMAND=STATUS CNI_PATH="$WT_CNI_PATH"
}

# cni_describe: the last call's outcome on one line, for FAIL messages.
cni_describe() {
	printf 'exit %s, stdout %s%s' "$CNI_RC" "$(printf '%s' "$CNI_OUT" | tr -d '\n' | cut -c1-300)" \
		"${CNI_ERR:+, stderr $(printf '%s' "$CNI_ERR" | tr '\n' ' ' | cut -c1-200)}"
}

# expect_ok NAME: the last call exited 0 (and printed valid JSON unless it was a DEL/GC).
expect_ok() {
	if [ "$CNI_RC" = 0 ]; then
		pass "$1"
	else
		fail "$1" "$(cni_describe)"
		return 1
	fi
}

# expect_error NAME CODE [PATTERN...]: the last call exited non-zero (not killed), printed a CNI
# error JSON with that code ("any": any code) and a msg, and its msg+details match every PATTERN
# (extended regex, case-insensitive; quote literal text with re).
expect_error() {
	local name=$1 want=$2 code text w
	shift 2
	if [ "$CNI_RC" = 0 ]; then
		fail "$name" "succeeded, want error code $want: $(cni_describe)"
		return 1
	fi
	if [ "$CNI_RC" -ge 124 ]; then
		fail "$name" "timed out or crashed: $(cni_describe)"
		return 1
	fi
	code=$(jq -r 'if (.msg | type) == "string" then .code // empty else empty end' <<<"$CNI_OUT" 2>/dev/null)
	if [ -z "$code" ] || { [ "$want" != any ] && [ "$code" != "$want" ]; }; then
		fail "$name" "error code '${code}', want $want (and a msg): $(cni_describe)"
		return 1
	fi
	text=$(jq -r '"\(.msg // "") \(.details // "")"' <<<"$CNI_OUT" 2>/dev/null)
	for w in "$@"; do
		if ! grep -qiE -- "$w" <<<"$text"; then
			fail "$name" "error does not mention /$w/: $(cni_describe)"
			return 1
		fi
	done
	pass "$name"
}

# re TEXT: TEXT quoted for an extended regex.
re() {
	printf '%s' "$1" | sed 's/[][\\.*^$()+?{}|]/\\&/g'
}

# ---- reading a result -------------------------------------------------------------------------

# res_ip RESULT 4|6: the pod address of that family, without prefix length.
res_ip() {
	if [ "$2" = 4 ]; then
		jq -r '[.ips[]?.address | select(test(":") | not)][0] // empty | sub("/.*"; "")' <<<"$1" 2>/dev/null
	else
		jq -r '[.ips[]?.address | select(test(":"))][0] // empty | sub("/.*"; "")' <<<"$1" 2>/dev/null
	fi
}

# res_hostif RESULT: the host-side interface (the one without a sandbox).
res_hostif() {
	jq -r '[.interfaces[]? | select((.sandbox // "") == "") | .name][0] // empty' <<<"$1" 2>/dev/null
}

# ---- state of the node and the IPAM store -----------------------------------------------------

# node_links NS: link names, sorted (without @peer suffixes).
node_links() {
	ip -n "$1" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
}

# node_routes NS: every IPv4 and IPv6 route in every table, sorted; without the kernel's own
# per-link IPv6 link-local and multicast routes (they follow the links, which are compared too,
# and the local fe80 ones appear only once DAD finishes, some time after a veth comes up).
node_routes() {
	{ ip -n "$1" -4 route show table all; ip -n "$1" -6 route show table all; } |
		grep -Ev '^((local|anycast|multicast) )?(fe80:|ff00::/8)' | sort
}

# node_snapshot NS: links and routes, to compare before and after.
node_snapshot() {
	echo "== links"
	node_links "$1"
	echo "== routes"
	node_routes "$1"
}

# expect_same NAME BEFORE AFTER: PASS when equal, else FAIL with the differing lines.
expect_same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "changed: $(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | grep '^[<>]' | head -n 6)"
		return 1
	fi
}

# ipam_mentions DIR CID [ADDR...]: files under DIR that contain CID or have it in their name, or
# are named exactly after one of the addresses (weft-ipam's addr/<address> and host-local's
# layout); empty when the store holds nothing of them. Addresses are not searched in contents:
# a store may remember the last address it gave (host-local's last_reserved_ip).
ipam_mentions() {
	local dir=$1 cid=$2 s
	shift 2
	[ -d "$dir" ] || return 0
	{
		grep -rlaF -- "$cid" "$dir" 2>/dev/null
		find "$dir" -name "*$cid*" 2>/dev/null
		for s in "$@"; do
			[ -n "$s" ] && find "$dir" -name "$s" 2>/dev/null
		done
	} | sort -u
}

# expect_not_held NAME DIR CID [ADDR...]: the store holds nothing of CID or the addresses.
expect_not_held() {
	local name=$1 dir=$2 found
	shift 2
	found=$(ipam_mentions "$dir" "$@")
	if [ -z "$found" ]; then
		pass "$name"
	else
		fail "$name" "still in the IPAM store: $(printf '%s ' $found | cut -c1-300)"
		return 1
	fi
}

# ---- traffic ----------------------------------------------------------------------------------

# ping_from NS ADDR: one echo reply within 2 s, up to 3 tries (the first may wait for neighbour
# resolution). The exit code is ping's: 0 only when a reply came back.
ping_from() {
	local ns=$1 addr=$2 i
	for i in 1 2 3; do
		if ip netns exec "$ns" ping -n -q -c 1 -W 2 "$addr" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	echo "no reply from $addr in $ns"
	return 1
}

# tcp_echo SERVER_NS CLIENT_NS ADDR PORT: a one-connection echo server (socat) in SERVER_NS on
# ADDR:PORT, a client in CLIENT_NS sends a token, and gets the token back. Bounded to ~10 s.
tcp_echo() {
	local sns=$1 cns=$2 addr=$3 port=$4 fam lis con token got spid i
	case $addr in
	*:*) fam=6 lis="TCP6-LISTEN:$port,bind=[$addr],reuseaddr,ipv6only=1" con="TCP6:[$addr]:$port" ;;
	*) fam=4 lis="TCP4-LISTEN:$port,bind=$addr,reuseaddr" con="TCP4:$addr:$port" ;;
	esac
	token="weft-$fam-$$-$RANDOM"
	ip netns exec "$sns" timeout 10 socat -T 5 "$lis" EXEC:cat >/dev/null 2>&1 &
	spid=$!
	bg_track "$spid"
	for i in $(seq 50); do
		ip netns exec "$sns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	got=$(echo "$token" | ip netns exec "$cns" timeout 8 socat -T 3 - "$con,connect-timeout=3" 2>&1)
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	if [ "$got" = "$token" ]; then
		return 0
	fi
	echo "tcp to $addr:$port from $cns: sent '$token', got '${got}'"
	return 1
}

# ---- weftd: the node's daemon -----------------------------------------------------------------
# One weftd per node namespace, every path private to this run under $WT_TMP/weftd-NAME/, with
# its own bpffs mounted in the host's mount namespace: `ip netns exec` gives its command a private
# mount namespace, so a bpffs that weftd mounted from inside one would vanish (pins and all) with
# the daemon. weftd itself runs under `nsenter --net`, i.e. in the node's network namespace and
# the host's mount namespace. Cleanup stops it, purges its pins, unmounts the bpffs.

# weftd_setup NAME [NODE_NS] [EXTRA_CONF_JSON]: paths, bpffs and config for a daemon of node
# NODE_NS (default $WT_NODE). Sets WD_NAME (weftd's node name), WD_NS, WD_DIR, WD_CONF, WD_SOCK,
# WD_LOG, WD_BPF, WD_BIN (our copy of weftd), WD_CTL (our copy of weftctl).
weftd_setup() {
	local extra=${3:-} out
	[ -n "$extra" ] || extra='{}'
	WD_NAME=$WT_PREFIX-$1
	WD_NS=${2:-$WT_NODE}
	WD_DIR=$WT_TMP/weftd-$1
	WD_CONF=$WD_DIR/weftd.json
	WD_SOCK=$WD_DIR/weftd.sock
	WD_LOG=$WD_DIR/weftd.log
	WD_BPF=$WD_DIR/bpf
	WD_BIN=$WT_TMP/plugins/weftd
	WD_CTL=$WT_TMP/plugins/weftctl
	if [ ! -x "$WD_BIN" ] || [ ! -x "$WD_CTL" ]; then
		fail "$WT_FILE setup" "weftd or weftctl not built in $WT_BIN (run make)"
		exit 1
	fi
	mkdir -p "$WD_BPF" || { fail "$WT_FILE setup" "mkdir $WD_BPF"; exit 1; }
	if ! mount -t bpf bpf "$WD_BPF"; then
		fail "$WT_FILE setup" "cannot mount a bpffs at $WD_BPF"
		exit 1
	fi
	WT_MOUNTS+=("$WD_BPF")
	_wt_ledger mount "$WD_BPF"
	jq -n --arg n "$WD_NAME" --arg d "$WD_DIR" --arg ipam "$WT_DATADIR" --argjson x "$extra" \
		'{node: $n, stateDir: "\($d)/state", bpffs: "\($d)/bpf", apiSocket: "\($d)/weftd.sock",
		  log: {file: "\($d)/weftd.log", level: "debug"}, ipam: {dataDir: $ipam}} * $x' >"$WD_CONF" ||
		{ fail "$WT_FILE setup" "weftd config"; exit 1; }
	if ! out=$("$WD_BIN" -n -c "$WD_CONF" 2>&1); then
		fail "$WT_FILE setup" "weftd -n refuses the config: $out"
		exit 1
	fi
	WD_CONFS+=("$WD_NS $WD_CONF")
	WD_PID=
}

# daemon_conf [CONF]: the network config (default net_conf) with daemonSocket = our weftd's.
daemon_conf() {
	local c=${1:-}
	[ -n "$c" ] || c=$(net_conf)
	jq -c --arg s "$WD_SOCK" '. + {daemonSocket: $s}' <<<"$c"
}

# weftd_start and weftd_stop set variables and wait for our own child: call them directly, never
# in a subshell (not through check).
# weftd_start [BIN]: start weftd (default our copy of the built one) in the node namespace, wait
# until it answers status with its own pid (10 s at most). Sets WD_PID. 0 when ready; else prints
# why (with the end of its log) and returns 1, the process stopped.
weftd_start() {
	local bin=${1:-$WD_BIN} i
	nsenter --net="/run/netns/$WD_NS" -- "$bin" -c "$WD_CONF" >>"$WD_DIR/weftd.out" 2>&1 &
	WD_PID=$!
	bg_track "$WD_PID"
	for i in $(seq 100); do
		if ! kill -0 "$WD_PID" 2>/dev/null; then
			wait "$WD_PID" 2>/dev/null
			echo "weftd exited $? before it was ready: $(tail -n 5 "$WD_DIR/weftd.out" "$WD_LOG" 2>/dev/null | tr '\n' ' ')"
			return 1
		fi
		if [ "$(api_call '{"weft":1,"id":0,"op":"status"}' 2>/dev/null | jq -r '.result.pid // empty' 2>/dev/null)" = "$WD_PID" ]; then
			return 0
		fi
		sleep 0.1
	done
	kill -9 "$WD_PID" 2>/dev/null
	wait "$WD_PID" 2>/dev/null
	echo "weftd (pid $WD_PID) not answering on $WD_SOCK after 10 s: $(tail -n 5 "$WD_LOG" 2>/dev/null | tr '\n' ' ')"
	return 1
}

# weftd_stop [SIGNAL]: send SIGNAL (default TERM) to our weftd, wait up to 10 s for it to exit
# (then SIGKILL). Sets WD_RC to its exit status (128+n for a signal). Returns 1 if it had to be
# killed after the wait.
weftd_stop() {
	local sig=${1:-TERM} i
	WD_RC=
	[ -n "$WD_PID" ] || return 0
	kill "-$sig" "$WD_PID" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$WD_PID" 2>/dev/null || break
		# A zombie is gone for our purpose; wait reaps it below.
		[ "$(ps -o stat= -p "$WD_PID" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.1
	done
	if kill -0 "$WD_PID" 2>/dev/null && [ "$(ps -o stat= -p "$WD_PID" 2>/dev/null | cut -c1)" != Z ]; then
		kill -9 "$WD_PID" 2>/dev/null
		wait "$WD_PID" 2>/dev/null
		WD_RC=$?
		WD_PID=
		_wd_san_check
		return 1
	fi
	wait "$WD_PID" 2>/dev/null
	WD_RC=$?
	WD_PID=
	_wd_san_check
	return 0
}

# With a sanitizer build (WEFT_BIN_DIR=build/san/bin) a report from weftd fails the test; each
# report is counted once.
_wd_san_check() {
	local n
	n=$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WD_DIR/weftd.out" 2>/dev/null)
	if [ "${n:-0}" -gt "${WD_SAN_SEEN:-0}" ]; then
		fail "sanitizer report from weftd" "$(grep -m1 -E 'Sanitizer|runtime error' "$WD_DIR/weftd.out")"
		WD_SAN_SEEN=$n
	fi
}

# api_call LINE...: send request lines to our weftd, print its reply lines (bounded: 5 s).
api_call() {
	printf '%s\n' "$@" | timeout -k 1 5 socat -t 3 - "UNIX-CONNECT:$WD_SOCK"
}

# wctl ARGS...: our weftctl against our weftd, bounded (15 s).
wctl() {
	timeout -k 1 15 "$WD_CTL" --socket "$WD_SOCK" "$@"
}

# weftd_log_tail [N]: the end of weftd's log on one line, for FAIL messages.
weftd_log_tail() {
	tail -n "${1:-5}" "$WD_LOG" 2>/dev/null | tr '\n' ' ' | cut -c1-400
}

# Cleanup, part of wt_cleanup: each daemon is already stopped (WT_PIDS); purge its pins and
# detach its programs while its node namespace still exists (bounded), then (after the
# namespaces are gone) unmount the bpffs, which frees whatever is left.
_wt_weftd_cleanup() {
	local e ns conf
	for e in "${WD_CONFS[@]}"; do
		ns=${e%% *}
		conf=${e#* }
		[ -e "/run/netns/$ns" ] && [ -x "$WT_TMP/plugins/weftd" ] || continue
		timeout -k 1 10 nsenter --net="/run/netns/$ns" -- "$WT_TMP/plugins/weftd" --purge -c "$conf" >/dev/null 2>&1
	done
}
_wt_umount_all() {
	local m
	for m in "${WT_MOUNTS[@]}"; do
		case $m in /tmp/wt*) ;; *) continue ;; esac
		mountpoint -q "$m" 2>/dev/null || continue
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
}

# ep_ctr ID FIELD: one of endpoint ID's data path counters (from_pod_packets, to_pod_bytes, ...,
# or a drop reason such as spoofed-ipv4), 0 before the first packet; empty if weftd did not answer.
ep_ctr() {
	wctl -o json endpoint get "$1" 2>/dev/null |
		jq -r --arg f "$2" '(.counters // {}) as $c | ($c[$f] // ($c.drops // {})[$f] // 0)' 2>/dev/null
}

# ep_ids: the endpoint ids weftd lists, sorted, one line.
ep_ids() {
	wctl -o json endpoint list 2>/dev/null | jq -r '[.endpoints[].id] | sort | map(tostring) | join(" ")' 2>/dev/null
}

# ---- traffic across a daemon restart ----------------------------------------------------------
# traffic_start A_NS B_NS B4 B6 SECONDS PORT: from A to B, in the background, for SECONDS: a
# 100/s ping over IPv4 and one over IPv6; an iperf3 TCP stream over IPv4 at 1 Gbit/s (server in B
# on PORT), whose 0.5 s intervals show any stall; and a TCP stream over IPv6 (socat, PORT+1) of
# exactly 1 MiB per 0.1 s whose receiver counts the bytes. traffic_check NAME then waits for them
# (bounded) and asserts zero loss.
traffic_start() {
	local a=$1 b=$2 b4=$3 b6=$4 secs=$5 port=$6 i
	WT_TR_DIR=$WT_TMP/traffic.$RANDOM
	WT_TR_N=$((secs * 100))
	WT_TR_CHUNKS=$((secs * 10))
	mkdir -p "$WT_TR_DIR"
	ip netns exec "$b" timeout $((secs + 20)) iperf3 -s -1 -B "$b4" -p "$port" >"$WT_TR_DIR/iperf3-server" 2>&1 &
	WT_TR_PIDS=("$!")
	bg_track "$!"
	ip netns exec "$b" timeout $((secs + 20)) sh -c \
		'socat -u "TCP6-LISTEN:$1,bind=[$2],reuseaddr,ipv6only=1" STDOUT | wc -c >"$3"' \
		_ $((port + 1)) "$b6" "$WT_TR_DIR/bytes" 2>"$WT_TR_DIR/bytes.err" &
	WT_TR_PIDS+=("$!")
	bg_track "$!"
	for i in $(seq 50); do
		[ "$(ip netns exec "$b" ss -Hltn "( sport = :$port or sport = :$((port + 1)) )" 2>/dev/null | wc -l)" = 2 ] && break
		sleep 0.1
	done
	ip netns exec "$a" timeout $((secs + 15)) iperf3 -c "$b4" -p "$port" -t "$secs" -b 1G -i 0.5 -J \
		>"$WT_TR_DIR/iperf3" 2>"$WT_TR_DIR/iperf3.err" &
	WT_TR_PIDS+=("$!")
	bg_track "$!"
	ip netns exec "$a" timeout $((secs + 15)) sh -c \
		'i=0; while [ $i -lt "$1" ]; do head -c 1048576 /dev/zero; sleep 0.1; i=$((i + 1)); done |
		 socat -u - "TCP6:[$2]:$3,connect-timeout=3"' _ "$WT_TR_CHUNKS" "$b6" $((port + 1)) \
		2>"$WT_TR_DIR/stream.err" &
	WT_TR_PIDS+=("$!")
	bg_track "$!"
	ip netns exec "$a" timeout $((secs + 10)) ping -n -q -i 0.01 -W 2 -c "$WT_TR_N" "$b4" >"$WT_TR_DIR/ping4" 2>&1 &
	WT_TR_PIDS+=("$!")
	bg_track "$!"
	ip netns exec "$a" timeout $((secs + 10)) ping -n -q -i 0.01 -W 2 -c "$WT_TR_N" "$b6" >"$WT_TR_DIR/ping6" 2>&1 &
	WT_TR_PIDS+=("$!")
	bg_track "$!"
}

traffic_check() {
	local name=$1 pid f tx rx bytes want gaps
	for pid in "${WT_TR_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for f in ping4 ping6; do
		tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$WT_TR_DIR/$f")
		rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WT_TR_DIR/$f")
		if [ "${tx:-x}" = "$WT_TR_N" ] && [ "${rx:-x}" = "$WT_TR_N" ]; then
			pass "$name: $f at 100/s: $rx of $WT_TR_N answered"
		else
			fail "$name: $f at 100/s: every echo answered" \
				"sent ${tx:-?}, answered ${rx:-?} of $WT_TR_N: $(tail -n 3 "$WT_TR_DIR/$f" | tr '\n' ' ')"
		fi
	done
	# iperf3: no error, and no half second without data (a stall would show as an empty
	# interval even when TCP recovers the bytes later). Its sent/received totals are not
	# compared: the server stops counting when the client ends the test, bytes in flight aside.
	if jq -e '(.error // null) == null and .end.sum_sent.bytes > 0' "$WT_TR_DIR/iperf3" >/dev/null 2>&1; then
		gaps=$(jq '[.intervals[].sum.bytes | select(. == 0)] | length' "$WT_TR_DIR/iperf3")
		if [ "$gaps" = 0 ]; then
			pass "$name: iperf3 TCP stream (IPv4) ran through, $(jq '.intervals | length' "$WT_TR_DIR/iperf3") half seconds, none empty"
		else
			fail "$name: iperf3 TCP stream (IPv4) without a stall" "$gaps empty 0.5 s intervals"
		fi
	else
		fail "$name: iperf3 TCP stream (IPv4)" "$(jq -r '.error // empty' "$WT_TR_DIR/iperf3" 2>/dev/null) $(head -c 300 "$WT_TR_DIR/iperf3.err") $(head -c 300 "$WT_TR_DIR/iperf3-server")"
	fi
	bytes=$(tr -d ' ' <"$WT_TR_DIR/bytes" 2>/dev/null)
	want=$((WT_TR_CHUNKS * 1048576))
	if [ "${bytes:-x}" = "$want" ]; then
		pass "$name: TCP stream (IPv6): $bytes of $want bytes received"
	else
		fail "$name: TCP stream (IPv6): every byte received" \
			"received ${bytes:-nothing} of $want: $(head -c 300 "$WT_TR_DIR/stream.err" "$WT_TR_DIR/bytes.err" 2>/dev/null | tr '\n' ' ')"
	fi
}

# node_forwarding 0|1: IPv4 and IPv6 forwarding in the node. Off, the kernel no longer routes
# between pods: only the data path's redirect delivers pod-to-pod (the plugin turns it on at ADD).
node_forwarding() {
	ip netns exec "$WT_NODE" sh -c "echo $1 >/proc/sys/net/ipv4/ip_forward && echo $1 >/proc/sys/net/ipv6/conf/all/forwarding"
}

# build_tool NAME: compile tests/integration/tools/NAME.c to $WT_TMP/bin/NAME (our PATH for
# plugins, not the shell's). 0 when built; 2 and a reason on stdout when there is no compiler;
# 1 and the compiler's complaint when it does not compile.
build_tool() {
	local cc=${CC:-cc}
	if ! command -v "$cc" >/dev/null; then
		echo "no C compiler ($cc) to build tests/integration/tools/$1.c"
		return 2
	fi
	"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wshadow \
		-D_GNU_SOURCE -o "$WT_TMP/bin/$1" "$WT_ROOT/tests/integration/tools/$1.c" 2>&1
}
