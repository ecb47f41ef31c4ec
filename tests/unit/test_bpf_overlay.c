/* BPF tests of the fabric's data path: the pod-veth program (bpf/lxc.bpf.c) sending to another
 * node, in overlay mode (tunnel key + redirect to the VXLAN device) and native mode
 * (bpf_fib_lookup + redirect), and the VXLAN device's program (bpf/overlay.bpf.c) delivering
 * into local pods. First through BPF_PROG_TEST_RUN with crafted frames (verdict, the frame that
 * comes out, counters), in a private network namespace whose FIB the native lookups query; then
 * with real packets: two node namespaces joined by an underlay, a VXLAN device and a pod in
 * each, no routes and no forwarding in the nodes, so a ping arrives only if the programs
 * encapsulate to the right node and deliver on the other side. Needs root; skipped otherwise.
 * Everything is named wfo<pid>-* and removed at the end. */
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
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weft_shared.h"
#include "daemon/dp_tunexact.h"
#include "lxc.skel.h"
#include "fabric.skel.h"
#include "test_bpf_util.h"

#define IF_B 102 /* a pod that only exists in the maps (redirect_peer is not carried out) */

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t HMAC_B[6] = { 0xee, 0xee, 0, 0, 0, 0x0b };
static const uint8_t VXMAC[6] = { 0x02, 0x77, 0, 0, 0, 0x01 };
static const uint8_t PEERMAC[6] = { 0x02, 0x99, 0, 0, 0, 0x02 };
static const uint8_t REMOTE_VXMAC[6] = { 0x02, 0x77, 0, 0, 0, 0x02 };

/* One node's objects: the pod-veth program and the overlay program over the same maps. */
struct node {
	struct weft_lxc *lxc;
	struct weft_fabric *ov;
	struct dp_tunexact tx; /* the trie's exact-prefix copy, kept as weftd keeps it */
};

static struct {
	bool root;
	int pid;
	int home_ns;          /* the namespace the binary started in */
	int test_ns;          /* the private one the BPF_PROG_TEST_RUN tests use */
	unsigned p0, u0;      /* in test_ns: pod A's host veth, the underlay */
	uint8_t hmac_a[6], u0_mac[6];
	struct node n;
	struct weft_endpoint a, b;
} T;

static void ip4(const char *s, uint8_t out[4])
{
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static void ip6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
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

/* ---- objects and maps ------------------------------------------------------------------------ */

/* Load both programs with pinning off; the overlay object uses the pod-veth object's maps, as
 * the pinned maps make them shared in weftd. */
static void node_load(struct node *n)
{
	struct bpf_map *m;

	n->lxc = weft_lxc__open();
	assert_non_null(n->lxc);
	bpf_object__for_each_map(m, n->lxc->obj)
		assert_int_equal(bpf_map__set_pin_path(m, NULL), 0);
	assert_int_equal(weft_lxc__load(n->lxc), 0);
	n->ov = weft_fabric__open();
	assert_non_null(n->ov);
	bpf_object__for_each_map(m, n->ov->obj) {
		struct bpf_map *src = bpf_object__find_map_by_name(n->lxc->obj, bpf_map__name(m));

		assert_int_equal(bpf_map__set_pin_path(m, NULL), 0);
		assert_non_null(src);
		assert_int_equal(bpf_map__reuse_fd(m, bpf_map__fd(src)), 0);
	}
	assert_int_equal(weft_fabric__load(n->ov), 0);
	dp_tunexact_init(&n->tx, bpf_map__fd(n->lxc->maps.weft_tun_exact), bpf_map__fd(n->lxc->maps.weft_tun_lens));
	n->tx.min_routes = 0; /* the hash answers from the first route, so every test here uses it */
	assert_int_equal(dp_tunexact_sync(&n->tx, bpf_map__fd(n->lxc->maps.weft_tunnel)), 0);
}

static void node_unload(struct node *n)
{
	weft_fabric__destroy(n->ov);
	weft_lxc__destroy(n->lxc);
	n->ov = NULL;
	n->lxc = NULL;
}

static void ep_put(struct node *n, const struct weft_endpoint *ep)
{
	assert_int_equal(ep_maps_put(bpf_map__fd(n->lxc->maps.weft_ep_if), bpf_map__fd(n->lxc->maps.weft_ep_ip),
				     bpf_map__fd(n->lxc->maps.weft_ep_ipslot), ep),
			 0);
}

static void config_set_port(struct node *n, uint32_t mode, unsigned vx_ifindex, const uint8_t mac[6], uint16_t port)
{
	struct weft_config c = { .mode = mode, .ifindex = vx_ifindex, .vni = WEFT_VXLAN_VNI, .vxlan_port = htons(port) };
	uint32_t zero = 0;

	memcpy(c.vxlan_mac, mac, 6);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(n->lxc->maps.weft_config), &zero, &c, BPF_ANY), 0);
}

static void config_set(struct node *n, uint32_t mode, unsigned vx_ifindex, const uint8_t mac[6])
{
	config_set_port(n, mode, vx_ifindex, mac, 0);
}

/* "10.2.0.0/16" -> "192.168.0.2" (either family on either side). */
static void tunnel_key(const char *cidr, struct weft_tunnel_key *k)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	assert_non_null(slash);
	*slash = 0;
	memset(k, 0, sizeof(*k));
	if (strchr(buf, ':')) {
		k->family = 6;
		ip6(buf, k->addr);
	} else {
		k->family = 4;
		ip4(buf, k->addr);
	}
	k->prefixlen = WEFT_TUNNEL_KEY_BITS + (uint32_t)atoi(slash + 1);
}

static void tunnel_put_flags(struct node *n, const char *cidr, const char *node, uint8_t flags)
{
	struct weft_tunnel_key k;
	struct weft_tunnel v;

	tunnel_key(cidr, &k);
	memset(&v, 0, sizeof(v));
	v.flags = flags;
	if (strchr(node, ':')) {
		v.family = 6;
		ip6(node, v.addr);
	} else {
		v.family = 4;
		ip4(node, v.addr);
	}
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(n->lxc->maps.weft_tunnel), &k, &v, BPF_ANY), 0);
	assert_int_equal(dp_tunexact_put(&n->tx, &k, &v), 0);
}

static void tunnel_put(struct node *n, const char *cidr, const char *node)
{
	tunnel_put_flags(n, cidr, node, 0);
}

static void tunnel_del(struct node *n, const char *cidr)
{
	struct weft_tunnel_key k;

	tunnel_key(cidr, &k);
	assert_int_equal(dp_tunexact_del(&n->tx, &k), 0);
	assert_int_equal(bpf_map_delete_elem(bpf_map__fd(n->lxc->maps.weft_tunnel), &k), 0);
}

static struct weft_tun_lens tun_lens(struct node *n, uint32_t fam)
{
	struct weft_tun_lens l;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(n->lxc->maps.weft_tun_lens), &fam, &l), 0);
	return l;
}

static uint64_t to_pod_packets(struct node *n, uint32_t id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct weft_counters *v = calloc((size_t)ncpu, sizeof(*v));
	uint64_t sum = 0;

	assert_non_null(v);
	if (bpf_map_lookup_elem(bpf_map__fd(n->lxc->maps.weft_counters), &id, v) == 0)
		for (int c = 0; c < ncpu; c++)
			sum += v[c].to_pod_packets;
	free(v);
	return sum;
}

/* ---- packets --------------------------------------------------------------------------------- */

/* An Ethernet + IPv4 + 16-byte UDP-ish frame with a correct header checksum. */
static size_t udp4(uint8_t *p, const uint8_t *dmac, const uint8_t *smac, const char *src, const char *dst, uint8_t ttl)
{
	size_t n = put_eth(p, dmac, smac, 0x0800);
	uint8_t *ip = p + n;
	uint16_t c;

	memset(ip, 0, 36);
	ip[0] = 0x45;
	ip[3] = 36;
	ip[8] = ttl;
	ip[9] = 17;
	ip4(src, ip + 12);
	ip4(dst, ip + 16);
	c = fold(sum16(ip, 20, 0));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	return n + 36;
}

static size_t udp6(uint8_t *p, const uint8_t *dmac, const uint8_t *smac, const char *src, const char *dst, uint8_t hop)
{
	size_t n = put_eth(p, dmac, smac, 0x86dd);
	uint8_t *ip = p + n;

	memset(ip, 0, 56);
	ip[0] = 0x60;
	ip[5] = 16;
	ip[6] = 17;
	ip[7] = hop;
	ip6(src, ip + 8);
	ip6(dst, ip + 24);
	memset(ip + 40, 0xab, 16);
	return n + 56;
}

/* inner (an Ethernet frame of ilen bytes) in VXLAN (vni) in UDP to port (checksum csum) in IPv4
 * from 192.168.9.2 to 192.168.9.1, in an Ethernet frame to dmac. */
static size_t vxlan4(uint8_t *p, const uint8_t *dmac, uint16_t port, uint32_t vni, uint16_t csum, const uint8_t *inner,
		     size_t ilen)
{
	size_t n = put_eth(p, dmac, PEERMAC, 0x0800);
	uint8_t *ip = p + n, *udp = ip + 20, *vx = udp + 8;
	size_t tot = 20 + 8 + 8 + ilen;
	uint16_t c;

	memset(ip, 0, 36);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40; /* DF, as Linux sends VXLAN */
	ip[8] = 64;
	ip[9] = 17;
	ip4("192.168.9.2", ip + 12);
	ip4("192.168.9.1", ip + 16);
	c = fold(sum16(ip, 20, 0));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = 0xd4;
	udp[1] = 0x31;
	udp[2] = (uint8_t)(port >> 8);
	udp[3] = (uint8_t)port;
	udp[4] = (uint8_t)((tot - 20) >> 8);
	udp[5] = (uint8_t)(tot - 20);
	udp[6] = (uint8_t)(csum >> 8);
	udp[7] = (uint8_t)csum;
	vx[0] = 0x08;
	vx[4] = (uint8_t)(vni >> 16);
	vx[5] = (uint8_t)(vni >> 8);
	vx[6] = (uint8_t)vni;
	memcpy(vx + 8, inner, ilen);
	return n + tot;
}

/* Run a frame through prog as if it arrived on ifindex; the frame as it leaves goes to out. */
static int run(struct bpf_program *prog, unsigned ifindex, const uint8_t *pkt, size_t len, uint8_t *out,
	       uint32_t *out_len)
{
	struct __sk_buff ctx = { .ingress_ifindex = ifindex };
	uint8_t buf[512];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (uint32_t)len, .data_out = buf,
		    .data_size_out = sizeof(buf), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &o), 0);
	memcpy(out, buf, o.data_size_out);
	*out_len = o.data_size_out;
	return (int)o.retval;
}

static int from_pod(const uint8_t *pkt, size_t len, uint8_t *out, uint32_t *out_len)
{
	return run(T.n.lxc->progs.weft_from_pod, T.p0, pkt, len, out, out_len);
}

static int from_overlay(const uint8_t *pkt, size_t len, uint8_t *out, uint32_t *out_len)
{
	return run(T.n.ov->progs.weft_from_overlay, 77, pkt, len, out, out_len);
}

static int from_netdev(const uint8_t *pkt, size_t len, uint8_t *out, uint32_t *out_len)
{
	return run(T.n.ov->progs.weft_from_netdev, 78, pkt, len, out, out_len);
}

/* The underlay device's program leaves the frame alone and passes it on to the next program
 * or filter (not TC_ACT_OK, which would end the chain on a shared device). */
static void assert_netdev_passes(const uint8_t *pkt, size_t len)
{
	uint8_t out[512];
	uint32_t olen;

	assert_int_equal(from_netdev(pkt, len, out, &olen), TC_ACT_UNSPEC);
	assert_int_equal(olen, len);
	assert_memory_equal(out, pkt, len);
}

typedef int (*prog_run_fn)(const uint8_t *pkt, size_t len, uint8_t *out, uint32_t *out_len);

/* A pod's or the overlay device's program hands the frame to the kernel as it came: the kernel
 * routes it, answers it or sends the ICMP error. */
static void assert_to_kernel(prog_run_fn prog, const uint8_t *pkt, size_t len)
{
	uint8_t out[512];
	uint32_t olen;

	assert_int_equal(prog(pkt, len, out, &olen), TC_ACT_OK);
	assert_int_equal(olen, len);
	assert_memory_equal(out, pkt, len);
}

static void assert_ip4_csum_ok(const uint8_t *ip)
{
	assert_int_equal(fold(sum16(ip, 20, 0)), 0);
}

/* An IPv4 packet from pod A to dst that leaves through bpf_redirect_neigh: redirected, its MACs
 * as they came (the neighbour code writes them after the program), TTL down by one, header
 * checksum still valid. */
static void assert_neigh_redirect4(const char *dst)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", dst, 64);

	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_memory_equal(out, pkt, 12);
	assert_int_equal(out[14 + 8], 63);
	assert_ip4_csum_ok(out + 14);
}

/* ---- fixture ----------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	T.pid = getpid();
	if (geteuid() != 0)
		return 0;
	T.root = true;
	T.home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(T.home_ns >= 0);
	/* A private namespace for the FIB of the native tests: p0 stands for pod A's host veth,
	 * u0 for the underlay. Forwarding on, as the plugin sets it on a node. */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	T.test_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_int_equal(sh("ip link set lo up && ip link add p0 type veth peer name p1 && "
			    "ip link add u0 type veth peer name u1 && ip link set p0 up && ip link set p1 up && "
			    "ip link set u0 up && ip link set u1 up && ip addr add 192.168.9.1/24 dev u0 && "
			    "ip addr add fd99::1/64 dev u0 nodad && sysctl -qw net.ipv4.conf.all.forwarding=1 "
			    "net.ipv6.conf.all.forwarding=1 && "
			    "ip route add 10.2.0.0/16 via 192.168.9.2 dev u0 && "
			    "ip neigh add 192.168.9.2 lladdr 02:99:00:00:00:02 dev u0 nud permanent && "
			    "ip route add 10.4.0.0/16 via 192.168.9.3 dev u0 && "
			    "ip -6 route add fd00:2::/64 via fd99::2 dev u0 && "
			    "ip -6 neigh add fd99::2 lladdr 02:99:00:00:00:02 dev u0 nud permanent"),
			 0);
	T.p0 = if_nametoindex("p0");
	T.u0 = if_nametoindex("u0");
	assert_true(T.p0 > 0 && T.u0 > 0);
	assert_int_equal(if_mac("p0", T.hmac_a), 0);
	assert_int_equal(if_mac("u0", T.u0_mac), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (T.home_ns > 0) {
		setns(T.home_ns, CLONE_NEWNET);
		close(T.home_ns);
	}
	if (T.test_ns > 0)
		close(T.test_ns); /* the last reference: the namespace and its veths go */
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (!T.root)
		return 0;
	node_load(&T.n);
	T.a = (struct weft_endpoint){ .id = 1, .ifindex = T.p0, .flags = WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6 };
	memcpy(T.a.pod_mac, MAC_A, 6);
	memcpy(T.a.host_mac, T.hmac_a, 6);
	ip4("10.1.0.10", T.a.ipv4);
	ip6("fd00:1::a", T.a.ipv6);
	T.b = (struct weft_endpoint){ .id = 2, .ifindex = IF_B, .flags = WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6 };
	memcpy(T.b.pod_mac, MAC_B, 6);
	memcpy(T.b.host_mac, HMAC_B, 6);
	ip4("10.1.0.11", T.b.ipv4);
	ip6("fd00:1::b", T.b.ipv6);
	ep_put(&T.n, &T.a);
	ep_put(&T.n, &T.b);
	config_set(&T.n, WEFT_FABRIC_OVERLAY, 77, VXMAC);
	tunnel_put(&T.n, "10.2.0.0/16", "192.168.0.2");
	tunnel_put(&T.n, "fd00:2::/64", "192.168.0.2");
	tunnel_put(&T.n, "10.4.0.0/16", "192.168.9.3");
	tunnel_put(&T.n, "10.5.0.0/16", "192.168.9.5");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (T.root)
		node_unload(&T.n);
	return 0;
}

static void need_root(void)
{
	if (!T.root) {
		print_message("BPF_PROG_TEST_RUN and namespaces need root (CAP_BPF, CAP_NET_ADMIN): skipped\n");
		skip();
	}
}

/* ---- overlay: encapsulation ---------------------------------------------------------------------- */

static void test_encap_ipv4(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.2.3.4", 64);
	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_int_equal(olen, n);
	/* The inner frame as the VXLAN device sends it: from (and to) its MAC; one hop less. */
	assert_memory_equal(out, VXMAC, 6);
	assert_memory_equal(out + 6, VXMAC, 6);
	assert_int_equal(out[14 + 8], 63);
	assert_ip4_csum_ok(out + 14);
	assert_memory_equal(out + 14 + 12, pkt + 14 + 12, 8); /* addresses untouched */
}

static void test_encap_ipv6(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	n = udp6(pkt, T.hmac_a, MAC_A, "fd00:1::a", "fd00:2::99", 64);
	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_memory_equal(out, VXMAC, 6);
	assert_memory_equal(out + 6, VXMAC, 6);
	assert_int_equal(out[14 + 7], 63);
	assert_memory_equal(out + 14 + 8, pkt + 14 + 8, 32);
}

/* Not a remote pod CIDR, TTL 1, or the fabric off: the kernel's, and the frame is untouched. */
static void test_encap_not_ours(void **state)
{
	uint8_t pkt[128];
	size_t n;

	(void)state;
	need_root();
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.9.9.9", 64);
	assert_to_kernel(from_pod, pkt, n);
	n = udp6(pkt, T.hmac_a, MAC_A, "fd00:1::a", "fd00:3::1", 64);
	assert_to_kernel(from_pod, pkt, n);
	/* TTL 1: the kernel sends the time-exceeded error (the local hop drops instead). */
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.2.3.4", 1);
	assert_to_kernel(from_pod, pkt, n);
	n = udp6(pkt, T.hmac_a, MAC_A, "fd00:1::a", "fd00:2::99", 1);
	assert_to_kernel(from_pod, pkt, n);
	config_set(&T.n, WEFT_FABRIC_OFF, 0, VXMAC);
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.2.3.4", 64);
	assert_to_kernel(from_pod, pkt, n);
}

/* The pod's checks come first: a spoofed source never reaches another node. */
static void test_encap_after_antispoofing(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.99", "10.2.3.4", 64);
	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_SHOT);
	n = udp6(pkt, T.hmac_a, MAC_A, "fd00:1::99", "fd00:2::99", 64);
	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_SHOT);
}

/* ---- overlay: delivery ------------------------------------------------------------------------------ */

static void test_decap_ipv4(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	n = udp4(pkt, REMOTE_VXMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.11", 63);
	assert_int_equal(from_overlay(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_memory_equal(out, MAC_B, 6);
	assert_memory_equal(out + 6, HMAC_B, 6);
	assert_int_equal(out[14 + 8], 62);
	assert_ip4_csum_ok(out + 14);
	assert_int_equal(to_pod_packets(&T.n, T.b.id), 1);
}

static void test_decap_ipv6(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	n = udp6(pkt, REMOTE_VXMAC, REMOTE_VXMAC, "fd00:2::99", "fd00:1::b", 63);
	assert_int_equal(from_overlay(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_memory_equal(out, MAC_B, 6);
	assert_memory_equal(out + 6, HMAC_B, 6);
	assert_int_equal(out[14 + 7], 62);
	assert_int_equal(to_pod_packets(&T.n, T.b.id), 1);
}

/* The node itself, unknown pods, TTL 1, ARP: the kernel's, untouched. */
static void test_decap_to_kernel(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	n = udp4(pkt, REMOTE_VXMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.0", 63);
	assert_to_kernel(from_overlay, pkt, n);
	n = udp4(pkt, REMOTE_VXMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.11", 1);
	assert_to_kernel(from_overlay, pkt, n);
	n = udp6(pkt, REMOTE_VXMAC, REMOTE_VXMAC, "fd00:2::99", "fd00:1::77", 63);
	assert_to_kernel(from_overlay, pkt, n);
	n = put_eth(pkt, REMOTE_VXMAC, REMOTE_VXMAC, 0x0806);
	memset(pkt + n, 0, 28);
	assert_int_equal(from_overlay(pkt, n + 28, out, &olen), TC_ACT_OK);
	assert_int_equal(to_pod_packets(&T.n, T.b.id), 0);
}


/* Native mode's underlay device: a frame for this node (BPF_PROG_TEST_RUN classifies it against
 * lo, whose MAC is all zeros) with a local pod's address goes into the pod like a decapsulated
 * one; anything else, and frames for other hosts (promiscuous mode), stays the kernel's. */
static void test_netdev_deliver(void **state)
{
	static const uint8_t LO_MAC[6] = { 0 };
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	config_set(&T.n, WEFT_FABRIC_NATIVE, 0, VXMAC);
	n = udp4(pkt, LO_MAC, PEERMAC, "10.2.3.4", "10.1.0.11", 63);
	assert_int_equal(from_netdev(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_memory_equal(out, MAC_B, 6);
	assert_memory_equal(out + 6, HMAC_B, 6);
	assert_int_equal(out[14 + 8], 62);
	assert_ip4_csum_ok(out + 14);
	n = udp6(pkt, LO_MAC, PEERMAC, "fd00:2::99", "fd00:1::b", 63);
	assert_int_equal(from_netdev(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_memory_equal(out, MAC_B, 6);
	assert_int_equal(out[14 + 7], 62);
	assert_int_equal(to_pod_packets(&T.n, T.b.id), 2);

	/* Not a local pod, TTL 1, another host's frame: passed on, no pod counted. */
	n = udp4(pkt, LO_MAC, PEERMAC, "10.2.3.4", "10.1.0.77", 63);
	assert_netdev_passes(pkt, n);
	n = udp4(pkt, LO_MAC, PEERMAC, "10.2.3.4", "10.1.0.11", 1);
	assert_netdev_passes(pkt, n);
	n = udp4(pkt, PEERMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.11", 63);
	assert_netdev_passes(pkt, n);
	n = udp6(pkt, PEERMAC, REMOTE_VXMAC, "fd00:2::99", "fd00:1::b", 63);
	assert_netdev_passes(pkt, n);
	assert_int_equal(to_pod_packets(&T.n, T.b.id), 2);
}

/* Overlay mode's underlay device: VXLAN for a local pod is decapsulated and delivered (the outer
 * Ethernet header kept, with the pod's MACs and the inner EtherType); anything not exactly our
 * tunnel, or for no local pod, is left unchanged to the kernel's VXLAN device. */
static void test_netdev_decap(void **state)
{
	static const uint8_t LO_MAC[6] = { 0 };
	uint8_t inner[128], pkt[256], out[512];
	uint32_t olen;
	size_t in, n;

	(void)state;
	need_root();
	config_set_port(&T.n, WEFT_FABRIC_OVERLAY, 77, VXMAC, 8472);
	in = udp4(inner, REMOTE_VXMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.11", 63);
	n = vxlan4(pkt, LO_MAC, 8472, WEFT_VXLAN_VNI, 0, inner, in);
	assert_int_equal(from_netdev(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_int_equal(olen, in);
	assert_memory_equal(out, MAC_B, 6);
	assert_memory_equal(out + 6, HMAC_B, 6);
	assert_int_equal(out[12] << 8 | out[13], 0x0800);
	assert_memory_equal(out + 14, inner + 14, 8); /* the inner header up to the TTL */
	assert_int_equal(out[14 + 8], 62);
	assert_ip4_csum_ok(out + 14);
	assert_memory_equal(out + 14 + 20, inner + 14 + 20, in - 14 - 20);

	in = udp6(inner, REMOTE_VXMAC, REMOTE_VXMAC, "fd00:2::99", "fd00:1::b", 63);
	n = vxlan4(pkt, LO_MAC, 8472, WEFT_VXLAN_VNI, 0, inner, in);
	assert_int_equal(from_netdev(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_int_equal(olen, in);
	assert_memory_equal(out, MAC_B, 6);
	assert_int_equal(out[12] << 8 | out[13], 0x86dd);
	assert_int_equal(out[14 + 7], 62);
	assert_memory_equal(out + 14 + 8, inner + 14 + 8, in - 14 - 8);
	assert_int_equal(to_pod_packets(&T.n, T.b.id), 2);

	/* Another port, another VNI, a UDP checksum to verify, a pod we do not have, TTL 1: the
	 * kernel's, unchanged. */
	in = udp4(inner, REMOTE_VXMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.11", 63);
	n = vxlan4(pkt, LO_MAC, 4789, WEFT_VXLAN_VNI, 0, inner, in);
	assert_netdev_passes(pkt, n);
	n = vxlan4(pkt, LO_MAC, 8472, 7, 0, inner, in);
	assert_netdev_passes(pkt, n);
	n = vxlan4(pkt, LO_MAC, 8472, WEFT_VXLAN_VNI, 0x1234, inner, in);
	assert_netdev_passes(pkt, n);
	in = udp4(inner, REMOTE_VXMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.77", 63);
	n = vxlan4(pkt, LO_MAC, 8472, WEFT_VXLAN_VNI, 0, inner, in);
	assert_netdev_passes(pkt, n);
	in = udp4(inner, REMOTE_VXMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.11", 1);
	n = vxlan4(pkt, LO_MAC, 8472, WEFT_VXLAN_VNI, 0, inner, in);
	assert_netdev_passes(pkt, n);
	/* A weftd that wrote no port (older, or native mode): no decapsulation at all. */
	config_set_port(&T.n, WEFT_FABRIC_OVERLAY, 77, VXMAC, 0);
	in = udp4(inner, REMOTE_VXMAC, REMOTE_VXMAC, "10.2.3.4", "10.1.0.11", 63);
	n = vxlan4(pkt, LO_MAC, 8472, WEFT_VXLAN_VNI, 0, inner, in);
	assert_netdev_passes(pkt, n);
	assert_int_equal(to_pod_packets(&T.n, T.b.id), 2);
}

/* ---- native ------------------------------------------------------------------------------------ */

/* The FIB has 10.2.0.0/16 via 192.168.9.2 (a permanent neighbour): redirect out of u0 with
 * u0's MAC and the neighbour's, one hop less. */
static void test_native_ipv4(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	config_set(&T.n, WEFT_FABRIC_NATIVE, 0, VXMAC);
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.2.3.4", 64);
	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_memory_equal(out, PEERMAC, 6);
	assert_memory_equal(out + 6, T.u0_mac, 6);
	assert_int_equal(out[14 + 8], 63);
	assert_ip4_csum_ok(out + 14);
	/* 10.4.0.0/16 via 192.168.9.3, whose MAC nobody knows yet: bpf_redirect_neigh resolves
	 * it, so the frame leaves with its MACs as they were (the neighbour code writes them). */
	assert_neigh_redirect4("10.4.0.1");
	/* 10.5.0.0/16 is in the tunnel map but the kernel has no route: the kernel's to answer. */
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.5.0.1", 64);
	assert_to_kernel(from_pod, pkt, n);
}

static void test_native_ipv6(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	config_set(&T.n, WEFT_FABRIC_NATIVE, 0, VXMAC);
	n = udp6(pkt, T.hmac_a, MAC_A, "fd00:1::a", "fd00:2::99", 64);
	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_memory_equal(out, PEERMAC, 6);
	assert_memory_equal(out + 6, T.u0_mac, 6);
	assert_int_equal(out[14 + 7], 63);
	/* Forwarding off on the pod's veth: the kernel decides (and drops). */
	assert_int_equal(sh("sysctl -qw net.ipv6.conf.p0.forwarding=0 net.ipv6.conf.all.forwarding=0"), 0);
	assert_to_kernel(from_pod, pkt, n);
	assert_int_equal(sh("sysctl -qw net.ipv6.conf.all.forwarding=1"), 0);
}

/* An entry weftd marked WEFT_TUNNEL_NEIGH goes out of the config's device towards its node with
 * no FIB lookup: 10.5.0.0/16 has no kernel route at all, and still leaves (the neighbour code
 * writes the MACs after the program, so they leave as they came). Forwarding off on the node
 * does not stop it either, as in overlay mode. Without the flag, or with a config from a weftd
 * that wrote no device, the FIB decides: no route, the kernel's. */
static void test_native_direct(void **state)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	(void)state;
	need_root();
	config_set(&T.n, WEFT_FABRIC_NATIVE, T.u0, VXMAC);
	tunnel_put_flags(&T.n, "10.5.0.0/16", "192.168.9.5", WEFT_TUNNEL_NEIGH);
	tunnel_put_flags(&T.n, "fd00:5::/64", "fd99::5", WEFT_TUNNEL_NEIGH);
	assert_neigh_redirect4("10.5.0.1");
	n = udp6(pkt, T.hmac_a, MAC_A, "fd00:1::a", "fd00:5::1", 64);
	assert_int_equal(sh("sysctl -qw net.ipv6.conf.all.forwarding=0"), 0);
	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_REDIRECT);
	assert_int_equal(sh("sysctl -qw net.ipv6.conf.all.forwarding=1"), 0);
	assert_memory_equal(out, pkt, 12);
	assert_int_equal(out[14 + 7], 63);
	/* TTL 1 still ends here, for the kernel to answer */
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.5.0.1", 1);
	assert_int_equal(from_pod(pkt, n, out, &olen), TC_ACT_OK);

	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.5.0.1", 64);
	config_set(&T.n, WEFT_FABRIC_NATIVE, 0, VXMAC);
	assert_to_kernel(from_pod, pkt, n);
	config_set(&T.n, WEFT_FABRIC_NATIVE, T.u0, VXMAC);
	tunnel_put(&T.n, "10.5.0.0/16", "192.168.9.5");
	assert_to_kernel(from_pod, pkt, n);
}

/* ---- real packets: two nodes, one pod each ------------------------------------------------------ */

static int ns_enter(const char *name)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static void e2e_cleanup(void)
{
	static const char *const sfx[] = { "a", "b", "pa", "pb" };

	setns(T.test_ns, CLONE_NEWNET);
	for (size_t i = 0; i < 4; i++)
		sh("ip netns del wfo%d-%s 2>/dev/null", T.pid, sfx[i]);
}

/* Node X (a or b): underlay address, VXLAN device, a pod with the plugin's wiring; no routes to
 * the pod and no forwarding, so only the programs can deliver. */
static void e2e_node(const char *x, const char *ip4u, const char *ip6u, const char *pod4, const char *pod6)
{
	int p = T.pid;

	assert_int_equal(sh("ip -n wfo%d-%s link set u%s up && ip -n wfo%d-%s addr add %s/24 dev u%s && "
			    "ip -n wfo%d-%s addr add %s/64 dev u%s nodad && ip -n wfo%d-%s link set lo up && "
			    "ip -n wfo%d-%s link add vx type vxlan external dstport 8472 nolearning && "
			    "ip -n wfo%d-%s link set vx arp off addrgenmode none mtu 1450 up && "
			    "ip netns exec wfo%d-%s sysctl -qw net.ipv4.conf.all.forwarding=0 "
			    "net.ipv6.conf.all.forwarding=0",
			    p, x, x, p, x, ip4u, x, p, x, ip6u, x, p, x, p, x, p, x, p, x),
			 0);
	assert_int_equal(sh("ip -n wfo%d-%s link add h%s type veth peer name eth0 netns wfo%d-p%s && "
			    "ip -n wfo%d-%s link set h%s up && ip -n wfo%d-p%s link set eth0 mtu 1450 up && "
			    "ip -n wfo%d-p%s link set lo up && ip -n wfo%d-p%s addr add %s/32 dev eth0 && "
			    "ip -n wfo%d-p%s addr add %s/128 dev eth0 nodad && "
			    "ip -n wfo%d-p%s route add 169.254.1.1 dev eth0 scope link && "
			    "ip -n wfo%d-p%s route add default via 169.254.1.1 dev eth0 && "
			    "ip -n wfo%d-p%s -6 route add default via fe80::1 dev eth0",
			    p, x, x, p, x, p, x, x, p, x, p, x, p, x, pod4, p, x, pod6, p, x, p, x, p, x),
			 0);
}

static void e2e_attach(struct node *n, const char *x, const char *pod4, const char *pod6, uint32_t id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = 1, .priority = 1);
	struct weft_endpoint ep = { .id = id, .flags = WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6 };
	char host[16], pod[32];
	uint8_t vxmac[6];
	unsigned vx;

	snprintf(host, sizeof(host), "h%s", x);
	snprintf(pod, sizeof(pod), "wfo%d-p%s", T.pid, x);
	assert_int_equal(ns_enter(pod), 0);
	assert_int_equal(if_mac("eth0", ep.pod_mac), 0);
	snprintf(pod, sizeof(pod), "wfo%d-%s", T.pid, x);
	assert_int_equal(ns_enter(pod), 0);
	ep.ifindex = if_nametoindex(host);
	vx = if_nametoindex("vx");
	assert_true(ep.ifindex > 0 && vx > 0);
	assert_int_equal(if_mac(host, ep.host_mac), 0);
	assert_int_equal(if_mac("vx", vxmac), 0);
	ip4(pod4, ep.ipv4);
	ip6(pod6, ep.ipv6);
	ep_put(n, &ep);
	config_set(n, WEFT_FABRIC_OVERLAY, vx, vxmac);

	hook.ifindex = (int)ep.ifindex;
	assert_true(bpf_tc_hook_create(&hook) == 0);
	o.prog_fd = bpf_program__fd(n->lxc->progs.weft_from_pod);
	assert_int_equal(bpf_tc_attach(&hook, &o), 0);
	hook.ifindex = (int)vx;
	assert_true(bpf_tc_hook_create(&hook) == 0);
	o.prog_fd = bpf_program__fd(n->ov->progs.weft_from_overlay);
	o.prog_id = 0;
	assert_int_equal(bpf_tc_attach(&hook, &o), 0);
	/* The pod's gateway entries name the host veth's MAC, as the plugin writes them. */
	assert_int_equal(sh("ip -n wfo%d-p%s neigh add 169.254.1.1 lladdr %02x:%02x:%02x:%02x:%02x:%02x dev eth0 "
			    "nud permanent && ip -n wfo%d-p%s neigh add fe80::1 lladdr "
			    "%02x:%02x:%02x:%02x:%02x:%02x dev eth0 nud permanent",
			    T.pid, x, ep.host_mac[0], ep.host_mac[1], ep.host_mac[2], ep.host_mac[3], ep.host_mac[4],
			    ep.host_mac[5], T.pid, x, ep.host_mac[0], ep.host_mac[1], ep.host_mac[2], ep.host_mac[3],
			    ep.host_mac[4], ep.host_mac[5]),
			 0);
}

static int e2e_ping(const char *from, const char *dst)
{
	return sh("ip netns exec wfo%d-%s ping -q -c 2 -i 0.2 -W 1 %s >/dev/null 2>&1", T.pid, from, dst);
}

/* Pod a (10.1.0.10, node a) and pod b (10.2.0.20, node b). IPv4 pods over the IPv4 underlay,
 * IPv6 pods over the IPv6 underlay one way and over IPv4 the other: both tunnel-key kinds. */
static void test_overlay_two_nodes(void **state)
{
	struct node na = { 0 }, nb = { 0 };
	int p = T.pid;

	(void)state;
	need_root();
	e2e_cleanup();
	assert_int_equal(sh("ip netns add wfo%d-a && ip netns add wfo%d-b && ip netns add wfo%d-pa && "
			    "ip netns add wfo%d-pb && ip link add ua netns wfo%d-a type veth peer name ub netns wfo%d-b",
			    p, p, p, p, p, p),
			 0);
	e2e_node("a", "192.168.77.1", "fd77::1", "10.1.0.10", "fd00:1::a");
	e2e_node("b", "192.168.77.2", "fd77::2", "10.2.0.20", "fd00:2::14");
	node_load(&na);
	node_load(&nb);
	e2e_attach(&na, "a", "10.1.0.10", "fd00:1::a", 1);
	e2e_attach(&nb, "b", "10.2.0.20", "fd00:2::14", 1);
	tunnel_put(&na, "10.2.0.0/24", "192.168.77.2");
	tunnel_put(&na, "fd00:2::/64", "fd77::2");
	tunnel_put(&nb, "10.1.0.0/24", "192.168.77.1");
	tunnel_put(&nb, "fd00:1::/64", "192.168.77.1");
	setns(T.test_ns, CLONE_NEWNET);

	assert_int_equal(e2e_ping("pa", "10.2.0.20"), 0);
	assert_int_equal(e2e_ping("pb", "10.1.0.10"), 0);
	assert_int_equal(e2e_ping("pa", "fd00:2::14"), 0);
	assert_int_equal(e2e_ping("pb", "fd00:1::a"), 0);
	assert_true(to_pod_packets(&nb, 1) >= 4);
	assert_true(to_pod_packets(&na, 1) >= 4);

	/* The tunnel key really carries the entry's node: a longer prefix for pod b pointing at an
	 * address nobody has loses the pings; removing it brings them back. */
	tunnel_put(&na, "10.2.0.20/32", "192.168.77.9");
	assert_int_not_equal(e2e_ping("pa", "10.2.0.20"), 0);
	tunnel_del(&na, "10.2.0.20/32");
	assert_int_equal(e2e_ping("pa", "10.2.0.20"), 0);
	/* Without its entry, a remote pod is the kernel's, which has no route here: lost. */
	tunnel_del(&na, "fd00:2::/64");
	assert_int_not_equal(e2e_ping("pa", "fd00:2::14"), 0);

	node_unload(&na);
	node_unload(&nb);
	e2e_cleanup();
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Remote routes come from the exact-prefix hash, longest length first, as the trie would answer;
 * the trie answers when the list of lengths is not valid. Which route answered shows in the
 * verdict: the /24 is direct (redirected), the /16 and /25 are not (the FIB has no route: the
 * kernel's). */
static void expect_routes(const char *what, int r16, int r24, int r25)
{
	uint8_t pkt[128], out[512];
	uint32_t olen;
	size_t n;

	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.6.1.1", 64);
	assert_int_equal(from_pod(pkt, n, out, &olen), r16);
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.6.7.1", 64);
	if (from_pod(pkt, n, out, &olen) != r24)
		fail_msg("%s: 10.6.7.1 not answered by 10.6.7.0/24", what);
	n = udp4(pkt, T.hmac_a, MAC_A, "10.1.0.10", "10.6.7.200", 64);
	if (from_pod(pkt, n, out, &olen) != r25)
		fail_msg("%s: 10.6.7.200 not answered by 10.6.7.128/25", what);
}

static void test_tunnel_exact(void **state)
{
	static const char *const extra[] = { "10.9.0.0/17", "10.9.0.0/18", "10.9.0.0/19", "10.9.0.0/20" };
	struct weft_tunnel_key k;
	struct weft_tun_lens l;
	uint32_t fam = 0;

	(void)state;
	need_root();
	config_set(&T.n, WEFT_FABRIC_NATIVE, T.u0, VXMAC);
	tunnel_put(&T.n, "10.6.0.0/16", "192.168.9.6");
	tunnel_put_flags(&T.n, "10.6.7.0/24", "192.168.9.7", WEFT_TUNNEL_NEIGH);
	tunnel_put(&T.n, "10.6.7.128/25", "192.168.9.8");
	l = tun_lens(&T.n, 0);
	assert_true(l.valid);
	assert_int_equal(l.n, 3);
	assert_memory_equal(l.len, "\x19\x18\x10", 3); /* 25, 24, 16 */
	expect_routes("exact", TC_ACT_OK, TC_ACT_REDIRECT, TC_ACT_OK);

	/* The hash is what answers: the /24 gone from the trie alone still redirects... */
	tunnel_key("10.6.7.0/24", &k);
	assert_int_equal(bpf_map_delete_elem(bpf_map__fd(T.n.lxc->maps.weft_tunnel), &k), 0);
	expect_routes("the trie lost the /24, the hash has it", TC_ACT_OK, TC_ACT_REDIRECT, TC_ACT_OK);
	/* ...until the list says not valid, and the trie answers: the /16. */
	l.valid = 0;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(T.n.lxc->maps.weft_tun_lens), &fam, &l, BPF_ANY), 0);
	expect_routes("list not valid: the trie", TC_ACT_OK, TC_ACT_OK, TC_ACT_OK);
	/* A rebuild makes the hash the trie again (the fixture's four routes and our two). */
	assert_int_equal(dp_tunexact_sync(&T.n.tx, bpf_map__fd(T.n.lxc->maps.weft_tunnel)), 4 + 2);
	expect_routes("rebuilt without the /24", TC_ACT_OK, TC_ACT_OK, TC_ACT_OK);
	tunnel_put_flags(&T.n, "10.6.7.0/24", "192.168.9.7", WEFT_TUNNEL_NEIGH);
	expect_routes("the /24 back", TC_ACT_OK, TC_ACT_REDIRECT, TC_ACT_OK);

	/* More lengths than the list holds: not valid, the trie answers, and the same. */
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		tunnel_put(&T.n, extra[i], "192.168.9.9");
	l = tun_lens(&T.n, 0);
	assert_false(l.valid);
	assert_int_equal(l.n, 7);
	expect_routes("seven lengths: the trie", TC_ACT_OK, TC_ACT_REDIRECT, TC_ACT_OK);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		tunnel_del(&T.n, extra[i]);
	assert_true(tun_lens(&T.n, 0).valid);

	/* Deleting goes longest to shortest: each address falls to the next route. */
	tunnel_del(&T.n, "10.6.7.128/25");
	expect_routes("no /25", TC_ACT_OK, TC_ACT_REDIRECT, TC_ACT_REDIRECT);
	tunnel_del(&T.n, "10.6.7.0/24");
	tunnel_del(&T.n, "10.6.0.0/16");
	l = tun_lens(&T.n, 0);
	assert_true(l.valid);
	assert_int_equal(l.n, 1); /* the fixture's /16s */
	assert_int_equal(l.len[0], 16);

	/* Too few routes for the hash to pay (weftd's default is DP_TUNEXACT_MIN_ROUTES): the list
	 * turns valid with the fourth IPv4 route and invalid again when it goes. */
	T.n.tx.min_routes = 4;
	assert_int_equal(dp_tunexact_sync(&T.n.tx, bpf_map__fd(T.n.lxc->maps.weft_tunnel)), 4);
	assert_false(tun_lens(&T.n, 0).valid);
	tunnel_put(&T.n, "10.6.0.0/16", "192.168.9.6");
	assert_true(tun_lens(&T.n, 0).valid);
	assert_int_equal(tun_lens(&T.n, 0).n, 1);
	tunnel_del(&T.n, "10.6.0.0/16");
	assert_false(tun_lens(&T.n, 0).valid);
	assert_false(tun_lens(&T.n, 1).valid); /* one IPv6 route */
	T.n.tx.min_routes = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_(test_encap_ipv4),
		T_(test_encap_ipv6),
		T_(test_encap_not_ours),
		T_(test_encap_after_antispoofing),
		T_(test_decap_ipv4),
		T_(test_decap_ipv6),
		T_(test_decap_to_kernel),
		T_(test_native_ipv4),
		T_(test_native_ipv6),
		T_(test_native_direct),
		T_(test_tunnel_exact),
		T_(test_netdev_deliver),
		T_(test_netdev_decap),
		cmocka_unit_test(test_overlay_two_nodes),
	};
	int r = cmocka_run_group_tests_name("bpf_overlay", tests, group_setup, group_teardown);

	if (T.root)
		e2e_cleanup();
	return r;
}
