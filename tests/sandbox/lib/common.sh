# Sourced by tests/sandbox/sandbox: messages, the cluster's names and paths, the ledger of
# everything a cluster made (so `down` removes exactly that, also after a crash), process
# identity checks (a PID is ours only while its start time matches), the lock and bounded waits.

SB_RUN=${WEFT_SANDBOX_RUN:-/run/weft-sandbox}

# ---- the address plan (docs/sandbox.md) ------------------------------------------------------
# Private and documentation ranges, used only inside namespaces the sandbox creates; nothing
# here is routed to or from the host.
SB_UL4_NET=10.99.0            # underlay IPv4 10.99.0.0/24: node i = .i, route reflector .250, world .254
SB_RR4=10.99.0.250
SB_RR6=fd99::fa
SB_WORLD4=10.99.0.254
SB_WORLD6=fd99::fe
SB_INET4=203.0.113.1          # "the internet" (TEST-NET-3), on the world's lo
SB_INET6=2001:db8:ff::1       # (documentation range), on the world's lo
SB_CLUSTER4=10.244.0.0/16     # cluster CIDRs: node i's pod CIDRs are 10.244.i.0/24, fd00:10:244:i::/64
SB_CLUSTER6=fd00:10:244::/48
SB_ASN=64512                  # private AS of every node (iBGP) and of the route reflector
SB_NODES_MAX=200
SB_NET=weft                   # the CNI network's name

sb_node4() { echo "$SB_UL4_NET.$1"; }
sb_node6() { echo "fd99::$1"; }
sb_pod4() { echo "10.244.$1.0/24"; }
sb_pod6() { echo "fd00:10:244:$1::/64"; }

# ---- messages ---------------------------------------------------------------------------------
sb_die() {
	echo "sandbox: $*" >&2
	exit 1
}
sb_warn() { echo "sandbox: $*" >&2; }
sb_say() { [ -n "${SB_QUIET:-}" ] || echo "$*"; }

# ---- names and paths --------------------------------------------------------------------------
# sb_use NAME: select cluster NAME; sets SB_NAME, SB_DIR, SB_LEDGER, SB_BIN, SB_CONF, SB_CNI_PATH.
sb_use() {
	local n=$1
	if ! [[ $n =~ ^[a-z0-9][a-z0-9-]{0,15}$ ]]; then
		echo "sandbox: bad cluster name '$n': 1-16 lowercase letters, digits or '-', starting with a letter or digit" >&2
		exit 2
	fi
	SB_NAME=$n
	SB_DIR=$SB_RUN/$n
	SB_LEDGER=$SB_DIR/ledger
	SB_BIN=$SB_DIR/bin
	SB_CONF=$SB_DIR/cluster.json
	SB_CNI_PATH=$SB_BIN:/usr/lib/cni   # as a runtime's CNI_PATH: our plugins, then the reference ones
}

sb_ns_node() { echo "$SB_NAME-node$1"; }
sb_ns_pod() { echo "$SB_NAME-pod-$1"; }
SB_NS_UL() { echo "$SB_NAME-underlay"; }
SB_NS_WORLD() { echo "$SB_NAME-world"; }
SB_NS_RR() { echo "$SB_NAME-rr"; }
sb_node_dir() { echo "$SB_DIR/nodes/node$1"; }

# sb_cfg KEY: a field of the cluster's record (cluster.json), empty when absent.
sb_cfg() {
	jq -r --arg k "$1" '.[$k] // empty | tostring' "$SB_CONF" 2>/dev/null
}

# sb_exists: the cluster has a state directory (built, half-built or crashed).
sb_exists() { [ -d "$SB_DIR" ]; }

sb_require_cluster() {
	sb_exists || sb_die "no cluster '$SB_NAME' (no $SB_DIR); start one with: sandbox up --name $SB_NAME --nodes N"
	[ -f "$SB_CONF" ] || sb_die "cluster '$SB_NAME' is half-built (no $SB_CONF): remove it with: sandbox --name $SB_NAME down"
}

# sb_node_index NODE: node1..nodeN of this cluster -> its index; dies otherwise.
sb_node_index() {
	local n=${1#node} max
	max=$(sb_cfg nodes)
	if ! [[ $1 =~ ^node[1-9][0-9]*$ ]] || [ "$n" -gt "${max:-0}" ]; then
		sb_die "no node '$1' in cluster '$SB_NAME' (nodes are node1..node${max:-?})"
	fi
	echo "$n"
}

# ---- the ledger -------------------------------------------------------------------------------
# One line per thing made, written *before* making it (netns, mount) or right after it exists
# (pid), so that a crash anywhere leaves a ledger listing at least everything there is:
#   netns NAME          a network namespace (/run/netns/NAME)
#   mount PATH          a bpffs mounted in the host's mount namespace
#   pid PID START ROLE  a process we started; START is its start time (clock ticks since boot,
#                       /proc/PID/stat field 22), so a recycled PID is never taken for ours
#   purge NODE          run `weftd --purge` for nodeNODE before its namespace goes
sb_ledger() {
	printf '%s\n' "$*" >>"$SB_LEDGER"
}

# sb_procstat PID: "STATE START" of a process from /proc/PID/stat: field 3 (R, S, Z, ...) and
# field 22, its start time; read after the parenthesised command name, which may contain spaces.
# Empty when there is no such process.
sb_procstat() {
	local s a
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	read -r -a a <<<"${s##*) }"
	echo "${a[0]} ${a[19]}"
}
sb_starttime() {
	local s
	s=$(sb_procstat "$1")
	echo "${s#* }"
}

# sb_alive PID START: that very process is still running (not a zombie).
sb_alive() {
	local s
	[ -n "$1" ] && [ -n "$2" ] || return 1
	s=$(sb_procstat "$1")
	[ -n "$s" ] && [ "${s#* }" = "$2" ] && [ "${s%% *}" != Z ]
}

# sb_track PID ROLE: record a process we just started.
sb_track() {
	local st
	st=$(sb_starttime "$1")
	[ -n "$st" ] || return 1
	sb_ledger "pid $1 $st $2"
}

# sb_stop PID START [SECONDS]: SIGTERM that process, wait up to SECONDS (default 5) for it to go,
# then SIGKILL it. Only when PID still has start time START.
sb_stop() {
	local pid=$1 st=$2 secs=${3:-5} i
	sb_alive "$pid" "$st" || return 0
	kill -TERM "$pid" 2>/dev/null
	kill -CONT "$pid" 2>/dev/null   # a SIGSTOPped one (a fault test) gets to handle it
	for ((i = 0; i < secs * 10; i++)); do
		sb_alive "$pid" "$st" || return 0
		sleep 0.1
	done
	sb_alive "$pid" "$st" && kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		sb_alive "$pid" "$st" || return 0
		sleep 0.1
	done
	sb_warn "process $pid did not go away after SIGKILL"
	return 1
}

# ---- the lock ---------------------------------------------------------------------------------
# One lock for all clusters (the run directory itself): up, down and pod add/del of any cluster
# run one at a time. Bounded: 120 s.
sb_lock() {
	mkdir -p "$SB_RUN" || sb_die "cannot create $SB_RUN"
	exec 8<"$SB_RUN" || sb_die "cannot open $SB_RUN"
	flock -w "${SB_LOCK_WAIT:-120}" 8 || sb_die "another sandbox command holds the lock on $SB_RUN for over ${SB_LOCK_WAIT:-120}s"
}

# ---- namespaces -------------------------------------------------------------------------------
# sb_netns_add NAME: record, then create, a namespace with lo up. Refuses a name that exists
# (it is not ours).
sb_netns_add() {
	[ -e "/run/netns/$1" ] && { sb_warn "network namespace $1 already exists and is not this cluster's"; return 1; }
	sb_ledger "netns $1"
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up
}

# sb_netns_del NAME: delete one of our namespaces. Processes still inside it were not started
# by the sandbox (ours are stopped by PID first): they are named, not killed.
sb_netns_del() {
	local ns=$1 pids
	[ -e "/run/netns/$ns" ] || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null | paste -sd' ')
	if [ -n "$pids" ]; then
		sb_warn "namespace $ns still has processes the sandbox did not start: $pids (left running; the namespace lives on with them)"
	fi
	ip netns del "$ns" 2>/dev/null || { sb_warn "ip netns del $ns failed"; return 1; }
}

# sb_sysctl NS KEY=VALUE...: write sysctls inside a namespace (through /proc, as ip netns exec
# gives the namespace's view).
sb_sysctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -q -w "$@" >/dev/null
}

# sb_daemon ROLE LOG CMD...: start CMD in the background, in a session of its own (no terminal,
# so Ctrl-C on a sandbox command never reaches it), stdin /dev/null, stdout and stderr appended
# to LOG, and no other file descriptor of ours (the lock, a caller's pipes: a daemon holding those
# would block whoever waits on them). The child records itself in the ledger as ROLE before it
# execs CMD (same PID and start time), so no instant exists where it runs unrecorded. Sets
# SB_DAEMON_PID.
sb_daemon() {
	local role=$1 log=$2
	shift 2
	(
		sb_track "$BASHPID" "$role" || exit 1
		for fd in "/proc/$BASHPID"/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
		done
		exec setsid "$@" </dev/null >>"$log" 2>&1
	) &
	SB_DAEMON_PID=$!
	# Callers look the process up in the ledger: wait for its line (bounded).
	sb_wait 5 grep -q "^pid $SB_DAEMON_PID " "$SB_LEDGER"
}

# sb_wait SECONDS CMD...: run CMD every 0.1 s until it succeeds or SECONDS pass.
sb_wait() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
