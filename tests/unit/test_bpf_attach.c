/* Root smoke test of the data-path module (daemon/dp*.c) on real veths: a node namespace with
 * two pod namespaces, no routes and no forwarding on the node, so pods reach each other only
 * through the BPF program. Attach, ping both families, gateway ARP/ND answered in BPF, a spoof
 * dropped and counted, close/re-open replacing the program without losing a ping, tc fallback
 * and back, status and map dumps, counters carried over from weftd 0.3's map and zeroed for a new
 * endpoint, remove and purge. Everything it makes is named wfb<pid>-*,
 * lives in namespaces it creates (and a private mount namespace for its bpffs) and is removed
 * in teardown. Needs root; skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "daemon/dp.h"
#include "inet.h"
#include "test_bpf_util.h"

#define TCX_INGRESS 46 /* enum bpf_attach_type in Linux 6.6+; the uapi headers here are 6.1's */

struct pod {
	const char *name;    /* "a" or "b" */
	const char *ip4, *ip6;
	char ns[32], hostif[IFNAMSIZ];
	struct weft_endpoint ep;
};

static struct {
	bool ready;
	int pid;
	char node_ns[32], node[32], bpffs[64];
	int home_ns;
	struct dp *dp;
	struct dp_config cfg;
	struct pod a, b;
} W;

/* The first line of a command's output that contains needle, or "" (into buf). */
static bool sh_grep(char *buf, size_t len, const char *needle, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static bool sh_grep(char *buf, size_t len, const char *needle, const char *fmt, ...)
{
	char cmd[1024], line[1024];
	bool found = false;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	buf[0] = 0;
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!found && strstr(line, needle)) {
			size_t n = strnlen(line, len - 1);

			memcpy(buf, line, n);
			buf[n] = 0;
			found = true;
		}
	pclose(f);
	return found;
}

static int ping(struct pod *from, const char *dst, const char *src)
{
	return sh("ip netns exec %s ping -q -c 2 -i 0.2 -W 1 %s%s %s >/dev/null 2>&1", from->ns, src ? "-I " : "",
		  src ? src : "", dst);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (r == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return r;
}

static void cleanup(void)
{
	if (W.dp) {
		dp_close(W.dp);
		W.dp = NULL;
	}
	if (W.cfg.node)
		dp_purge(&W.cfg, NULL, 0);
	if (W.home_ns > 0) {
		setns(W.home_ns, CLONE_NEWNET);
		close(W.home_ns);
		W.home_ns = 0;
	}
	/* Only what this run created: the names carry our PID. Deleting a namespace deletes
	 * the veths in it, and their peers with them. */
	if (W.a.ns[0])
		sh("ip netns del %s 2>/dev/null", W.a.ns);
	if (W.b.ns[0])
		sh("ip netns del %s 2>/dev/null", W.b.ns);
	if (W.node_ns[0])
		sh("ip netns del %s 2>/dev/null", W.node_ns);
	if (W.bpffs[0]) {
		umount2(W.bpffs, MNT_DETACH);
		rmdir(W.bpffs);
	}
	memset(W.node_ns, 0, sizeof(W.node_ns));
	W.a.ns[0] = W.b.ns[0] = W.bpffs[0] = 0;
}

static int pod_make(struct pod *p, const char *name, const char *ip4, const char *ip6)
{
	char line[256], *m;
	uint8_t pod_mac[6];

	p->name = name;
	p->ip4 = ip4;
	p->ip6 = ip6;
	snprintf(p->ns, sizeof(p->ns), "wfb%d-%s", W.pid, name);
	snprintf(p->hostif, sizeof(p->hostif), "wfb%d-%s", W.pid, name);
	if (sh("ip netns add %s", p->ns) != 0 ||
	    sh("ip -n %s link add %s type veth peer name eth0 netns %s", W.node_ns, p->hostif, p->ns) != 0 ||
	    sh("ip -n %s link set %s up", W.node_ns, p->hostif) != 0 || sh("ip -n %s link set lo up", p->ns) != 0 ||
	    sh("ip -n %s link set eth0 up", p->ns) != 0 ||
	    sh("ip -n %s addr add %s/32 dev eth0", p->ns, ip4) != 0 ||
	    sh("ip -n %s addr add %s/128 dev eth0 nodad", p->ns, ip6) != 0)
		return -1;
	/* We are in the node namespace: the host end is ours to read directly. */
	p->ep.ifindex = if_nametoindex(p->hostif);
	if (!p->ep.ifindex || if_mac(p->hostif, p->ep.host_mac) < 0)
		return -1;
	if (!sh_grep(line, sizeof(line), "link/ether", "ip -n %s -o link show eth0", p->ns) ||
	    !(m = strstr(line, "link/ether ")) || parse_mac(m + 11, pod_mac) < 0)
		return -1;
	memcpy(p->ep.pod_mac, pod_mac, 6);
	p->ep.flags = WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6;
	inet_pton(AF_INET, ip4, p->ep.ipv4);
	inet_pton(AF_INET6, ip6, p->ep.ipv6);
	/* As the plugin wires a pod: gateways bound to the host end's MAC by permanent entries. */
	snprintf(line, sizeof(line), "%02x:%02x:%02x:%02x:%02x:%02x", p->ep.host_mac[0], p->ep.host_mac[1],
		 p->ep.host_mac[2], p->ep.host_mac[3], p->ep.host_mac[4], p->ep.host_mac[5]);
	if (sh("ip -n %s route add 169.254.1.1 dev eth0 scope link", p->ns) != 0 ||
	    sh("ip -n %s route add default via 169.254.1.1 dev eth0", p->ns) != 0 ||
	    sh("ip -n %s neigh replace 169.254.1.1 lladdr %s dev eth0 nud permanent", p->ns, line) != 0 ||
	    sh("ip -n %s -6 route add default via fe80::1 dev eth0", p->ns) != 0 ||
	    sh("ip -n %s neigh replace fe80::1 lladdr %s dev eth0 nud permanent", p->ns, line) != 0)
		return -1;
	return 0;
}

static int group_setup(void **state)
{
	char path[128];
	int fd;

	memset(&W, 0, sizeof(W));
	if (geteuid() != 0)
		return 0;
	W.pid = getpid();
	/* A private mount namespace: the bpffs dp_open mounts dies with this process, always. */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	atexit(cleanup);
	snprintf(W.bpffs, sizeof(W.bpffs), "/tmp/wfb%d-bpffs", W.pid);
	snprintf(W.node_ns, sizeof(W.node_ns), "wfb%d-node", W.pid);
	snprintf(W.node, sizeof(W.node), "wfb%d", W.pid);
	if (mkdir(W.bpffs, 0700) < 0 || sh("ip netns add %s", W.node_ns) != 0)
		return -1;
	W.home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", W.node_ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (W.home_ns < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		return -1;
	close(fd);
	if (pod_make(&W.a, "a", "10.77.0.1", "fd77::1") < 0 || pod_make(&W.b, "b", "10.77.0.2", "fd77::2") < 0)
		return -1;
	W.a.ep.id = 1;
	W.b.ep.id = 2;
	W.cfg = (struct dp_config){ .bpffs = W.bpffs, .node = W.node, .attach = DP_ATTACH_AUTO };
	W.ready = true;
	(void)state;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	cleanup();
	return 0;
}

static void need_root(void)
{
	if (!W.ready) {
		print_message("needs root (netns, veths, CAP_BPF): skipped\n");
		skip();
	}
}

static void open_dp(enum dp_attach_mode mode)
{
	char err[512] = "";

	W.cfg.attach = mode;
	if (dp_open(&W.cfg, &W.dp, err, sizeof(err)) < 0)
		fail_msg("dp_open: %s", err);
}

static uint32_t prog_id_at(unsigned ifindex)
{
	uint32_t ids[8] = { 0 };
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = 8);

	if (bpf_prog_query_opts((int)ifindex, (enum bpf_attach_type)TCX_INGRESS, &q) < 0 || q.prog_cnt == 0)
		return 0;
	assert_int_equal(q.prog_cnt, 1); /* idempotent: never a second copy of us */
	return ids[0];
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* weftd's filter (handle 0x57ef, preference 1) at ifindex ingress: its program id, or 0. */
static uint32_t tc_prog_at(unsigned ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = 0x57ef, .priority = 1);
	libbpf_print_fn_t prev = libbpf_set_print(quiet); /* "no qdisc" is an answer here */
	int r = bpf_tc_query(&hook, &o);

	libbpf_set_print(prev);
	return r == 0 ? o.prog_id : 0;
}

static bool link_pinned(unsigned ifindex)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/weft/%s/links/%u", W.bpffs, W.node, ifindex);
	return access(path, F_OK) == 0;
}

static struct weft_counters ctr(unsigned id)
{
	struct weft_counters c;

	memset(&c, 0, sizeof(c));
	dp_counters_get(W.dp, id, &c);
	return c;
}

static void attach_and_deliver(void **state)
{
	char err[512] = "";
	struct statfs sf;
	json_t *st;

	(void)state;
	need_root();
	open_dp(DP_ATTACH_AUTO);
	/* dp_open mounted bpffs where there was none */
	assert_int_equal(statfs(W.bpffs, &sf), 0);
	assert_true(sf.f_type == 0xcafe4a11);

	/* no routes, no forwarding on the node: without the program the pods cannot talk */
	assert_int_not_equal(ping(&W.a, W.b.ip4, NULL), 0);

	assert_int_equal(dp_endpoint_upsert(W.dp, &W.a.ep, err, sizeof(err)), 0);
	assert_int_equal(dp_endpoint_upsert(W.dp, &W.b.ep, err, sizeof(err)), 0);
	/* idempotent: again, in place */
	assert_int_equal(dp_endpoint_upsert(W.dp, &W.a.ep, err, sizeof(err)), 0);
	assert_true(dp_endpoint_attached(W.dp, W.a.ep.ifindex));
	assert_true(dp_endpoint_attached(W.dp, W.b.ep.ifindex));

	st = dp_status(W.dp);
	assert_non_null(st);
	/* Linux 6.6+ has tcx: AUTO must have picked it, as a pinned link */
	if (strcmp(json_string_value(json_object_get(json_array_get(json_object_get(st, "programs"), 0), "attach_mode")),
		   "tcx") == 0) {
		print_message("attach mode: tcx\n");
		assert_true(prog_id_at(W.a.ep.ifindex) != 0);
		assert_true(link_pinned(W.a.ep.ifindex));
		assert_int_equal(tc_prog_at(W.a.ep.ifindex), 0);
	} else {
		print_message("attach mode: tc (no tcx in this kernel)\n");
		assert_true(tc_prog_at(W.a.ep.ifindex) != 0);
	}
	json_decref(st);

	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
	assert_int_equal(ping(&W.b, W.a.ip4, NULL), 0);
	assert_int_equal(ping(&W.a, W.b.ip6, NULL), 0);
	assert_true(ctr(W.a.ep.id).from_pod_packets >= 4);
	assert_true(ctr(W.b.ep.id).to_pod_packets >= 4);  /* a's echo requests */
	assert_true(ctr(W.a.ep.id).to_pod_packets >= 4);  /* b's echo replies */
	assert_true(ctr(W.b.ep.id).from_pod_bytes > 0);
}

static void gateway_answers(void **state)
{
	char line[256], mac[32];

	(void)state;
	need_root();
	assert_non_null(W.dp);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", W.a.ep.host_mac[0], W.a.ep.host_mac[1],
		 W.a.ep.host_mac[2], W.a.ep.host_mac[3], W.a.ep.host_mac[4], W.a.ep.host_mac[5]);
	/* the pod loses its permanent entries: the program must answer ARP and NS itself (the
	 * node has neither 169.254.1.1 nor fe80::1, nor proxy ARP) */
	assert_int_equal(sh("ip -n %s neigh del 169.254.1.1 dev eth0", W.a.ns), 0);
	assert_int_equal(sh("ip -n %s neigh del fe80::1 dev eth0", W.a.ns), 0);
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
	assert_int_equal(ping(&W.a, W.b.ip6, NULL), 0);
	assert_true(sh_grep(line, sizeof(line), "169.254.1.1", "ip -n %s neigh show 169.254.1.1", W.a.ns));
	assert_non_null(strstr(line, mac));
	assert_true(sh_grep(line, sizeof(line), "fe80::1", "ip -n %s -6 neigh show fe80::1", W.a.ns));
	assert_non_null(strstr(line, mac));
	assert_non_null(strstr(line, "router")); /* the NA said R */
}

static void spoof_dropped(void **state)
{
	struct weft_counters before, after;

	(void)state;
	need_root();
	assert_non_null(W.dp);
	before = ctr(W.a.ep.id);
	assert_int_equal(sh("ip -n %s addr add 10.77.0.99/32 dev eth0", W.a.ns), 0);
	assert_int_not_equal(ping(&W.a, W.b.ip4, "10.77.0.99"), 0);
	after = ctr(W.a.ep.id);
	assert_true(after.drops[WEFT_DROP_SPOOF_IP4] >= before.drops[WEFT_DROP_SPOOF_IP4] + 2);
	assert_int_equal(sh("ip -n %s addr del 10.77.0.99/32 dev eth0", W.a.ns), 0);
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
}

/* Pings at 100/s across dp_close + dp_open: none may be lost, and the new program must be the
 * one running afterwards. */
static void reopen_replaces(void **state)
{
	uint32_t old_a, old_b, new_a;
	int sent = 0, got = 0;
	char line[256];
	FILE *f;
	json_t *st;

	(void)state;
	need_root();
	assert_non_null(W.dp);
	old_a = prog_id_at(W.a.ep.ifindex) ? prog_id_at(W.a.ep.ifindex) : tc_prog_at(W.a.ep.ifindex);
	old_b = prog_id_at(W.b.ep.ifindex) ? prog_id_at(W.b.ep.ifindex) : tc_prog_at(W.b.ep.ifindex);
	assert_true(old_a != 0 && old_a == old_b);

	snprintf(line, sizeof(line), "ip netns exec %s ping -q -c 150 -i 0.01 -W 1 %s 2>&1", W.a.ns, W.b.ip4);
	f = popen(line, "r");
	assert_non_null(f);
	usleep(300 * 1000);
	dp_close(W.dp); /* the daemon dies: the pinned link keeps the program running */
	W.dp = NULL;
	usleep(300 * 1000);
	open_dp(DP_ATTACH_AUTO); /* a new daemon (or a new object): atomic replacement */
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "packets transmitted"))
			sscanf(line, "%d packets transmitted, %d received", &sent, &got);
	pclose(f);
	print_message("ping across close/open: %d sent, %d received\n", sent, got);
	assert_int_equal(sent, 150);
	assert_int_equal(got, 150);

	new_a = prog_id_at(W.a.ep.ifindex) ? prog_id_at(W.a.ep.ifindex) : tc_prog_at(W.a.ep.ifindex);
	assert_true(new_a != 0 && new_a != old_a);
	assert_true(dp_endpoint_attached(W.dp, W.a.ep.ifindex));
	assert_true(dp_endpoint_attached(W.dp, W.b.ep.ifindex));
	st = dp_status(W.dp);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(json_object_get(st, "programs"), 0),
									  "takeover"),
							      "reattached")),
			 2);
	json_decref(st);
	assert_int_equal(ping(&W.a, W.b.ip6, NULL), 0);
}

/* A pinned map of this node's, by name. */
static int pin_fd(const char *map)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/weft/%s/%s", W.bpffs, W.node, map);
	return bpf_obj_get(path);
}

/* weftd 0.3 pinned weft_counters as a per-CPU hash; a newer weftd carries its values into the
 * array (ids beyond the array are dropped). A new endpoint's slot starts at zero. */
static void counters_carried_and_zeroed(void **state)
{
	int ncpu = libbpf_num_possible_cpus(), fd;
	struct weft_counters *v, c;
	struct bpf_map_info info;
	uint32_t ilen = sizeof(info), id;
	struct weft_endpoint other;
	char path[256], cfg_path[256], err[512] = "";

	(void)state;
	need_root();
	assert_non_null(W.dp);
	assert_true(ncpu > 0);
	v = calloc((size_t)ncpu, sizeof(*v));
	assert_non_null(v);
	dp_close(W.dp);
	W.dp = NULL;

	/* What weftd 0.3 left: a hash with a's counts spread over the CPUs, and an id the array
	 * has no slot for. */
	snprintf(path, sizeof(path), "%s/weft/%s/weft_counters", W.bpffs, W.node);
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "weft_counters", sizeof(uint32_t), sizeof(*v),
			    WEFT_MAX_ENDPOINTS, NULL);
	assert_true(fd >= 0);
	v[0].from_pod_packets = 1000;
	v[0].drops[WEFT_DROP_SPOOF_IP4] = 3;
	v[ncpu - 1].to_pod_bytes += 77;
	id = W.a.ep.id;
	assert_int_equal(bpf_map_update_elem(fd, &id, v, BPF_ANY), 0);
	id = WEFT_COUNTERS_SLOTS;
	assert_int_equal(bpf_map_update_elem(fd, &id, v, BPF_ANY), 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);

	/* A load that fails (here: a weft_config of another layout) leaves the old hash pinned,
	 * its counts intact, for the next try. */
	snprintf(cfg_path, sizeof(cfg_path), "%s/weft/%s/weft_config", W.bpffs, W.node);
	assert_int_equal(unlink(cfg_path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "weft_config", sizeof(uint32_t), 8, 1, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, cfg_path), 0);
	close(fd);
	assert_true(dp_open(&W.cfg, &W.dp, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "weft_config"));
	fd = pin_fd(WEFT_MAP_COUNTERS);
	assert_true(fd >= 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &ilen), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_PERCPU_HASH);
	id = W.a.ep.id;
	assert_int_equal(bpf_map_lookup_elem(fd, &id, v), 0);
	assert_int_equal(v[0].from_pod_packets, 1000);
	close(fd);
	assert_int_equal(unlink(cfg_path), 0); /* a new one is made at the next open */

	open_dp(DP_ATTACH_AUTO);
	assert_int_equal(dp_counters_carried(W.dp), 1);
	c = ctr(W.a.ep.id);
	assert_true(c.from_pod_packets >= 1000); /* plus whatever a sent since */
	assert_int_equal(c.drops[WEFT_DROP_SPOOF_IP4], 3);
	assert_true(c.to_pod_bytes >= 77);
	fd = pin_fd(WEFT_MAP_COUNTERS);
	assert_true(fd >= 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &ilen), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_PERCPU_ARRAY);
	assert_int_equal(info.max_entries, WEFT_COUNTERS_SLOTS);
	/* ... and the programs count into it: a's pings show up. */
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
	assert_true(ctr(W.a.ep.id).from_pod_packets > c.from_pod_packets);

	/* Id 42, with counts left from an earlier holder, goes to a new endpoint at b's veth:
	 * it starts from zero. b then comes back under its own id. */
	memset(v, 0, (size_t)ncpu * sizeof(*v));
	v[0].to_pod_packets = 5;
	id = 42;
	assert_int_equal(bpf_map_update_elem(fd, &id, v, BPF_ANY), 0);
	close(fd);
	assert_int_equal(ctr(42).to_pod_packets, 5);
	other = W.b.ep;
	other.id = 42;
	assert_int_equal(dp_endpoint_upsert(W.dp, &other, err, sizeof(err)), 0);
	assert_int_equal(ctr(42).to_pod_packets, 0);
	assert_int_equal(dp_endpoint_upsert(W.dp, &W.b.ep, err, sizeof(err)), 0);
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
	free(v);
}

/* Read or write one entry of a pinned map of this node's. */
static void pin_lookup(const char *map, const void *key, void *val)
{
	int fd = pin_fd(map);

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, key, val), 0);
	close(fd);
}

static void pin_update(const char *map, const void *key, const void *val)
{
	int fd = pin_fd(map);

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, key, val, BPF_ANY), 0);
	close(fd);
}

/* The value of ifindex's slot in weft_ep_slot (any ifindex: the slot's holder may be another). */
static struct weft_endpoint slot_of(unsigned ifindex)
{
	uint32_t slot = ifindex & (WEFT_EP_SLOTS - 1);
	struct weft_endpoint ep;

	pin_lookup(WEFT_MAP_EP_SLOT, &slot, &ep);
	return ep;
}

static void slot_set(unsigned ifindex, const struct weft_endpoint *ep)
{
	uint32_t slot = ifindex & (WEFT_EP_SLOTS - 1);

	pin_update(WEFT_MAP_EP_SLOT, &slot, ep);
}

static struct weft_endpoint hash_of(unsigned ifindex)
{
	uint32_t key = ifindex;
	struct weft_endpoint ep;

	pin_lookup(WEFT_MAP_EP_IF, &key, &ep);
	return ep;
}

/* weft_ep_slot repeats weft_ep_if for the veth each slot belongs to: written with the endpoint,
 * left to another veth that holds the slot, and made to agree with the hash again by the next
 * dp_open whatever a killed or older weftd left (a wrong copy, a veth that is no endpoint). */
static void slots_follow_endpoints(void **state)
{
	struct weft_endpoint a, b, other, evil, got;
	char err[512] = "";
	json_t *dump = NULL;

	(void)state;
	need_root();
	assert_non_null(W.dp);
	a = hash_of(W.a.ep.ifindex);
	b = hash_of(W.b.ep.ifindex);
	got = slot_of(W.a.ep.ifindex);
	assert_memory_equal(&got, &a, sizeof(a));
	got = slot_of(W.b.ep.ifindex);
	assert_memory_equal(&got, &b, sizeof(b));
	assert_int_equal(dp_map_dump(W.dp, WEFT_MAP_EP_SLOT, &dump, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(dump, "entries")), 2); /* the slots held, not 16,384 */
	json_decref(dump);

	/* Another veth holds a's slot (its ifindex is a's plus the table size): a upserted again
	 * leaves it alone, and is judged through the hash (the ping still arrives). */
	other = a;
	other.ifindex = W.a.ep.ifindex + WEFT_EP_SLOTS;
	slot_set(W.a.ep.ifindex, &other);
	assert_int_equal(dp_endpoint_upsert(W.dp, &W.a.ep, err, sizeof(err)), 0);
	got = slot_of(W.a.ep.ifindex);
	assert_int_equal(got.ifindex, other.ifindex);
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);

	/* What a killed weftd could leave: b's slot with a wrong MAC (a's packets still flow
	 * through the hash, b's would be dropped as spoofed), and a slot of a veth that is no
	 * endpoint. The next dp_open puts each slot right and gives a its slot back. */
	dp_close(W.dp);
	W.dp = NULL;
	evil = b;
	evil.pod_mac[5] ^= 0xff;
	slot_set(W.b.ep.ifindex, &evil);
	other = b;
	other.ifindex = 9999;
	slot_set(other.ifindex, &other);
	open_dp(DP_ATTACH_AUTO);
	assert_int_equal(dp_slots_synced(W.dp), 2);
	got = slot_of(W.a.ep.ifindex);
	assert_memory_equal(&got, &a, sizeof(a));
	got = slot_of(W.b.ep.ifindex);
	assert_memory_equal(&got, &b, sizeof(b));
	assert_int_equal(slot_of(9999).ifindex, 0);
	assert_int_equal(ping(&W.b, W.a.ip4, NULL), 0);
	assert_int_equal(ping(&W.a, W.b.ip6, NULL), 0);
}

/* The value of the slot of an address (network order bytes) in weft_ep_ipslot. */
static struct weft_endpoint ipslot_of(int family, const uint8_t *addr)
{
	uint32_t slot = WEFT_IPSLOT(family, addr);
	struct weft_endpoint ep;

	pin_lookup(WEFT_MAP_EP_IPSLOT, &slot, &ep);
	return ep;
}

static void assert_ipslot_holds(const struct pod *p, bool shared)
{
	struct weft_endpoint v4 = ipslot_of(4, p->ep.ipv4), v6 = ipslot_of(6, p->ep.ipv6);

	assert_true(v4.flags & WEFT_EP_HAS_IPV4);
	assert_memory_equal(v4.ipv4, p->ep.ipv4, 4);
	assert_int_equal(v4.ifindex, p->ep.ifindex);
	assert_int_equal((v4.flags & WEFT_EP_SLOT_SHARED) != 0, shared);
	assert_true(v6.flags & WEFT_EP_HAS_IPV6);
	assert_memory_equal(v6.ipv6, p->ep.ipv6, 16);
	assert_false(v6.flags & WEFT_EP_SLOT_SHARED);
}

/* weft_ep_ipslot, where to-pod lookups look first and where a miss means "no local pod": each
 * address valid in its slot; an address whose slot another holds lives in the hash, and the
 * slot is marked shared, which is what makes it reachable (the node has no routes: only the
 * program delivers); the mark goes with the last address that shared the slot; and dp_open
 * repairs what a killed weftd could leave (an empty slot would lose a pod, a stray mark only
 * costs a lookup). */
static void address_slots(void **state)
{
	struct weft_endpoint moved, got, stray;
	char err[512] = "";
	json_t *dump = NULL;
	uint8_t far[4];

	(void)state;
	need_root();
	assert_non_null(W.dp);
	assert_ipslot_holds(&W.a, false);
	assert_ipslot_holds(&W.b, false);
	assert_int_equal(dp_map_dump(W.dp, WEFT_MAP_EP_IPSLOT, &dump, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(dump, "entries")), 4);
	json_decref(dump);

	/* b moves to 10.77.64.1, 16,384 addresses after a's 10.77.0.1: the same low 14 bits. */
	assert_int_equal(inet_pton(AF_INET, "10.77.64.1", far), 1);
	assert_int_equal(WEFT_IPSLOT(4, far), WEFT_IPSLOT(4, W.a.ep.ipv4));
	assert_int_equal(sh("ip -n %s addr add 10.77.64.1/32 dev eth0", W.b.ns), 0);
	moved = W.b.ep;
	memcpy(moved.ipv4, far, 4);
	assert_int_equal(dp_endpoint_upsert(W.dp, &moved, err, sizeof(err)), 0);
	assert_ipslot_holds(&W.a, true);
	got = ipslot_of(4, W.b.ep.ipv4);
	assert_int_equal(got.flags & (WEFT_EP_HAS_IPV4 | WEFT_EP_SLOT_SHARED), 0); /* free again */
	assert_int_equal(ping(&W.a, "10.77.64.1", NULL), 0);
	assert_int_equal(ping(&W.b, W.a.ip4, "10.77.64.1"), 0);

	/* back: the shared mark goes, b's old slot is b's again */
	assert_int_equal(dp_endpoint_upsert(W.dp, &W.b.ep, err, sizeof(err)), 0);
	assert_int_equal(sh("ip -n %s addr del 10.77.64.1/32 dev eth0", W.b.ns), 0);
	assert_ipslot_holds(&W.a, false);
	assert_ipslot_holds(&W.b, false);
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);

	/* What a killed weftd could leave: b's IPv4 slot empty, a stray shared mark. */
	dp_close(W.dp);
	W.dp = NULL;
	memset(&stray, 0, sizeof(stray));
	pin_update(WEFT_MAP_EP_IPSLOT, &(uint32_t){ WEFT_IPSLOT(4, W.b.ep.ipv4) }, &stray);
	stray.flags = WEFT_EP_SLOT_SHARED;
	pin_update(WEFT_MAP_EP_IPSLOT, &(uint32_t){ WEFT_EP_SLOTS - 1 }, &stray);
	assert_int_not_equal(ping(&W.a, W.b.ip4, NULL), 0); /* the empty slot: b is lost */
	open_dp(DP_ATTACH_AUTO);
	assert_ipslot_holds(&W.b, false);
	got = ipslot_of(4, (const uint8_t[]){ 10, 77, 0x3f, 0xff });
	assert_int_equal(got.flags, 0);
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
	assert_int_equal(ping(&W.b, W.a.ip6, NULL), 0);
}

static void tc_fallback_and_back(void **state)
{
	(void)state;
	need_root();
	assert_non_null(W.dp);
	dp_close(W.dp);
	W.dp = NULL;
	open_dp(DP_ATTACH_TC);
	/* taken over in tc mode: our filter at both veths, the tcx links gone */
	assert_true(tc_prog_at(W.a.ep.ifindex) != 0);
	assert_true(tc_prog_at(W.b.ep.ifindex) != 0);
	assert_int_equal(prog_id_at(W.a.ep.ifindex), 0);
	assert_false(link_pinned(W.a.ep.ifindex));
	assert_true(dp_endpoint_attached(W.dp, W.a.ep.ifindex));
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
	assert_int_equal(ping(&W.b, W.a.ip6, NULL), 0);
	/* tc mode twice: replaced in place, still one filter */
	assert_int_equal(dp_endpoint_upsert(W.dp, &W.a.ep, NULL, 0), 0);
	assert_int_equal(sh("test $(tc -n %s filter show dev %s ingress | grep -c weft_from_pod) -eq 1", W.node_ns,
			    W.a.hostif),
			 0);

	dp_close(W.dp);
	W.dp = NULL;
	open_dp(DP_ATTACH_AUTO);
	if (prog_id_at(W.a.ep.ifindex)) { /* back on tcx: the filters went */
		assert_int_equal(tc_prog_at(W.a.ep.ifindex), 0);
		assert_int_equal(tc_prog_at(W.b.ep.ifindex), 0);
		assert_true(link_pinned(W.b.ep.ifindex));
	}
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
}

static void status_and_dump(void **state)
{
	char err[512] = "";
	json_t *st, *d, *e, *maps;
	size_t i;
	bool seen_a = false;

	(void)state;
	need_root();
	assert_non_null(W.dp);
	st = dp_status(W.dp);
	assert_non_null(st);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(st, "programs"), 0), "attached")),
			 2);
	maps = json_object_get(st, "maps");
	assert_int_equal(json_array_size(maps), 10); /* and the fabric's weft_tunnel (twice), weft_tun_lens, weft_config */
	json_array_foreach(maps, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));

		if (strcmp(name, "weft_ep_if") == 0)
			assert_int_equal(json_integer_value(json_object_get(e, "entries")), 2);
		if (strcmp(name, "weft_ep_ip") == 0)
			assert_int_equal(json_integer_value(json_object_get(e, "entries")), 4);
		if (strcmp(name, "weft_events") == 0)
			assert_true(json_is_null(json_object_get(e, "entries")));
	}
	json_decref(st);

	assert_int_equal(dp_map_dump(W.dp, "weft_ep_ip", &d, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(d, "entries")), 4);
	json_array_foreach(json_object_get(d, "entries"), i, e) {
		json_t *k = json_object_get(e, "key"), *v = json_object_get(e, "value");

		if (strcmp(json_string_value(json_object_get(k, "addr")), "fd77::1") == 0) {
			seen_a = true;
			assert_int_equal(json_integer_value(json_object_get(k, "family")), 6);
			assert_int_equal(json_integer_value(json_object_get(v, "ifindex")), W.a.ep.ifindex);
			assert_string_equal(json_string_value(json_object_get(v, "ipv4")), "10.77.0.1");
		}
	}
	assert_true(seen_a);
	json_decref(d);
	assert_int_equal(dp_map_dump(W.dp, "weft_counters", &d, err, sizeof(err)), 0);
	e = json_array_get(json_object_get(d, "entries"), 0);
	assert_non_null(json_object_get(json_object_get(json_object_get(e, "value"), "drops"), "spoofed-ipv4"));
	json_decref(d);
	assert_int_equal(dp_map_dump(W.dp, "nope", &d, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "weft_ep_ip"));
	assert_int_equal(dp_map_dump(W.dp, "weft_events", &d, err, sizeof(err)), -EOPNOTSUPP);
}

/* A failed upsert leaves the maps as they were; bad endpoints are refused with their field. */
static void upsert_rolls_back(void **state)
{
	struct weft_endpoint ghost = W.b.ep, bad = W.a.ep;
	char err[512] = "";
	json_t *d;

	(void)state;
	need_root();
	assert_non_null(W.dp);
	ghost.id = 9;
	ghost.ifindex = 999999; /* no such device */
	inet_pton(AF_INET, "10.77.0.9", ghost.ipv4);
	inet_pton(AF_INET6, "fd77::9", ghost.ipv6);
	assert_true(dp_endpoint_upsert(W.dp, &ghost, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "999999"));
	assert_int_equal(dp_map_dump(W.dp, "weft_ep_ip", &d, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(d, "entries")), 4);
	json_decref(d);
	assert_int_equal(dp_map_dump(W.dp, "weft_ep_if", &d, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(d, "entries")), 2);
	json_decref(d);

	bad.flags = 0;
	assert_int_equal(dp_endpoint_upsert(W.dp, &bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no address"));
	bad = W.a.ep;
	bad.ifindex = 0;
	assert_int_equal(dp_endpoint_upsert(W.dp, &bad, err, sizeof(err)), -EINVAL);
	/* and a is still served */
	assert_int_equal(ping(&W.a, W.b.ip4, NULL), 0);
}

static int count_cb(const struct weft_endpoint *ep, void *arg)
{
	assert_int_equal(ep->id, W.a.ep.id);
	++*(int *)arg;
	return 0;
}

static void gone_veth_swept(void **state)
{
	struct weft_counters c;
	char err[512] = "";
	int count = 0;

	(void)state;
	need_root();
	assert_non_null(W.dp);
	/* b's veth disappears while no daemon runs: the next one leaves it alone and drops its
	 * dead link; reconcile (weftd) then removes the entry through dp_endpoint_remove */
	dp_close(W.dp);
	W.dp = NULL;
	assert_int_equal(sh("ip -n %s link del %s", W.node_ns, W.b.hostif), 0);
	open_dp(DP_ATTACH_AUTO);
	assert_false(link_pinned(W.b.ep.ifindex));
	assert_false(dp_endpoint_attached(W.dp, W.b.ep.ifindex));
	assert_true(ctr(W.b.ep.id).to_pod_packets > 0);
	assert_int_equal(slot_of(W.b.ep.ifindex).ifindex, W.b.ep.ifindex); /* as the hash: b is still an endpoint */
	assert_int_equal(dp_endpoint_remove(W.dp, &W.b.ep, err, sizeof(err)), 0);
	assert_int_equal(slot_of(W.b.ep.ifindex).ifindex, 0);
	assert_int_equal(ipslot_of(4, W.b.ep.ipv4).flags & (WEFT_EP_HAS_IPV4 | WEFT_EP_SLOT_SHARED), 0);
	assert_int_equal(ipslot_of(6, W.b.ep.ipv6).flags & (WEFT_EP_HAS_IPV6 | WEFT_EP_SLOT_SHARED), 0);
	assert_int_equal(dp_endpoint_remove(W.dp, &W.b.ep, err, sizeof(err)), 0); /* idempotent */
	/* b's slot is zero again for whoever gets its id next; an id beyond the array has none */
	assert_int_equal(dp_counters_get(W.dp, W.b.ep.id, &c), 0);
	assert_memory_equal(&c, &(struct weft_counters){ 0 }, sizeof(c));
	assert_int_equal(dp_counters_get(W.dp, WEFT_COUNTERS_SLOTS, &c), -ENOENT);
	/* a is untouched */
	assert_true(dp_endpoint_attached(W.dp, W.a.ep.ifindex));
	assert_int_equal(dp_endpoint_foreach(W.dp, count_cb, &count), 0);
	assert_int_equal(count, 1);
}

/* What weftctl status says of a map's entries. */
static json_int_t map_entries(const char *name)
{
	json_t *st = dp_status(W.dp), *e;
	json_int_t n = -1;
	size_t i;

	assert_non_null(st);
	json_array_foreach(json_object_get(st, "maps"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			n = json_integer_value(json_object_get(e, "entries"));
	json_decref(st);
	return n;
}

/* weft_tun_exact's key for an IPv4 CIDR. */
static struct weft_tunnel_key exact_key4(const char *net, unsigned len)
{
	struct weft_tunnel_key k;

	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.prefixlen = len;
	assert_int_equal(inet_pton(AF_INET, net, k.addr), 1);
	return k;
}

static int exact_has(const struct weft_tunnel_key *k)
{
	struct weft_tunnel v;
	int fd = pin_fd(WEFT_MAP_TUN_EXACT), r;

	assert_true(fd >= 0);
	r = bpf_map_lookup_elem(fd, k, &v) == 0;
	close(fd);
	return r;
}

/* The tunnel map's exact-prefix copy follows dp_tunnel_upsert / _delete, and dp_open rebuilds it
 * from the trie: a stray route goes, a missing one comes back, the lengths are worked out again. */
static void tunnel_copy_follows(void **state)
{
	struct weft_tunnel_key k16 = exact_key4("10.60.0.0", 16), k24 = exact_key4("10.61.1.0", 24);
	char err[256];
	json_t *dump, *e;
	struct inet_prefix p;
	struct inet_addr node;
	struct weft_tun_lens l;
	uint32_t v4 = 0;
	int fd;

	(void)state;
	need_root();
	assert_non_null(W.dp);
	assert_true(inet_prefix_parse("10.60.0.0/16", &p));
	assert_true(inet_addr_parse("192.168.77.1", &node));
	assert_int_equal(dp_tunnel_upsert(W.dp, &p, &node, 0), 0);
	assert_true(exact_has(&k16));
	assert_int_equal(map_entries(WEFT_MAP_TUN_EXACT), 1);
	/* weftctl bpf map dump: the route as a CIDR, the lists as lengths */
	assert_int_equal(dp_map_dump(W.dp, WEFT_MAP_TUN_EXACT, &dump, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(json_object_get(dump, "entries"), 0), "key"), "cidr")),
			    "10.60.0.0/16");
	json_decref(dump);
	assert_int_equal(dp_map_dump(W.dp, WEFT_MAP_TUN_LENS, &dump, err, sizeof(err)), 0);
	e = json_object_get(json_array_get(json_object_get(dump, "entries"), 0), "value");
	assert_true(json_is_false(json_object_get(e, "valid")));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(e, "lengths"), 0)), 16);
	json_decref(dump);
	pin_lookup(WEFT_MAP_TUN_LENS, &v4, &l);
	assert_false(l.valid); /* one route: fewer than DP_TUNEXACT_MIN_ROUTES, the trie answers */
	assert_int_equal(l.n, 1);
	assert_int_equal(l.len[0], 16);

	/* What a killed weftd could leave: the copy without the /16, with a stray /24. */
	dp_close(W.dp);
	W.dp = NULL;
	fd = pin_fd(WEFT_MAP_TUN_EXACT);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_delete_elem(fd, &k16), 0);
	close(fd);
	pin_update(WEFT_MAP_TUN_EXACT, &k24, &(struct weft_tunnel){ .family = 4 });
	l.valid = 1;
	l.len[0] = 24;
	pin_update(WEFT_MAP_TUN_LENS, &v4, &l);
	open_dp(DP_ATTACH_AUTO);
	assert_int_equal(dp_tunexact_synced(W.dp), 1);
	assert_true(exact_has(&k16));
	assert_false(exact_has(&k24));
	pin_lookup(WEFT_MAP_TUN_LENS, &v4, &l);
	assert_false(l.valid);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.len[0], 16);

	assert_int_equal(dp_tunnel_delete(W.dp, &p), 0);
	assert_false(exact_has(&k16));
	assert_int_equal(map_entries(WEFT_MAP_TUN_EXACT), 0);
	pin_lookup(WEFT_MAP_TUN_LENS, &v4, &l);
	assert_false(l.valid);
	assert_int_equal(l.n, 0);
}

static void remove_and_purge(void **state)
{
	char err[512] = "", path[256];

	(void)state;
	need_root();
	assert_non_null(W.dp);
	assert_int_equal(dp_endpoint_remove(W.dp, &W.a.ep, err, sizeof(err)), 0);
	assert_false(dp_endpoint_attached(W.dp, W.a.ep.ifindex));
	assert_false(link_pinned(W.a.ep.ifindex));
	assert_int_equal(tc_prog_at(W.a.ep.ifindex), 0);
	dp_close(W.dp);
	W.dp = NULL;
	assert_int_equal(dp_purge(&W.cfg, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/weft/%s", W.bpffs, W.node);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(dp_purge(&W.cfg, err, sizeof(err)), 0); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attach_and_deliver), cmocka_unit_test(gateway_answers),
		cmocka_unit_test(spoof_dropped),      cmocka_unit_test(reopen_replaces),
		cmocka_unit_test(counters_carried_and_zeroed), cmocka_unit_test(slots_follow_endpoints),
		cmocka_unit_test(tunnel_copy_follows),
		cmocka_unit_test(address_slots),
		cmocka_unit_test(tc_fallback_and_back), cmocka_unit_test(status_and_dump),
		cmocka_unit_test(upsert_rolls_back),
		cmocka_unit_test(gone_veth_swept),    cmocka_unit_test(remove_and_purge),
	};

	return cmocka_run_group_tests_name("bpf_attach", tests, group_setup, group_teardown);
}
