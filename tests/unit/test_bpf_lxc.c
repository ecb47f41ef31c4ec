/* BPF unit tests for the pod-veth program (bpf/lxc.bpf.c): the real object, loaded through its
 * skeleton with pinning cleared, fed crafted packets through BPF_PROG_TEST_RUN. One test per
 * verdict; each checks the verdict, the packet that comes out, the counters and the drop event.
 * Needs root (CAP_BPF + CAP_NET_ADMIN); skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft_shared.h"
#include "lxc.skel.h"
#include "test_bpf_util.h"

#define IF_A 101
#define IF_B 102
#define IF_NONE 999

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t HMAC_A[6] = { 0xee, 0xee, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t HMAC_B[6] = { 0xee, 0xee, 0, 0, 0, 0x0b };
static const uint8_t MAC_EVIL[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct fx {
	struct weft_lxc *skel;
	struct ring_buffer *rb;
	struct weft_drop_event ev[16];
	int n_ev;
	struct weft_endpoint a, b;
};

static void ip4(const char *s, uint8_t out[4])
{
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static void ip6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct fx *f = ctx;

	assert_int_equal(len, sizeof(struct weft_drop_event));
	if (f->n_ev < (int)(sizeof(f->ev) / sizeof(f->ev[0])))
		memcpy(&f->ev[f->n_ev++], data, sizeof(struct weft_drop_event));
	return 0;
}

static void ep_put(struct fx *f, const struct weft_endpoint *ep)
{
	assert_int_equal(ep_maps_put(bpf_map__fd(f->skel->maps.weft_ep_if), bpf_map__fd(f->skel->maps.weft_ep_ip),
				     bpf_map__fd(f->skel->maps.weft_ep_ipslot), ep),
			 0);
}

static int setup(void **state)
{
	struct fx *f;
	struct bpf_map *m;

	*state = NULL;
	if (geteuid() != 0)
		return 0;
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->skel = weft_lxc__open();
	assert_non_null(f->skel);
	/* No pins: these tests must not touch any bpffs, nor reuse a running node's maps. */
	bpf_object__for_each_map(m, f->skel->obj)
		assert_int_equal(bpf_map__set_pin_path(m, NULL), 0);
	assert_int_equal(weft_lxc__load(f->skel), 0);
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.weft_events), on_event, f, NULL);
	assert_non_null(f->rb);

	f->a = (struct weft_endpoint){ .id = 1, .ifindex = IF_A, .flags = WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6 };
	memcpy(f->a.pod_mac, MAC_A, 6);
	memcpy(f->a.host_mac, HMAC_A, 6);
	ip4("10.1.0.10", f->a.ipv4);
	ip6("fd00::a", f->a.ipv6);
	f->b = (struct weft_endpoint){ .id = 2, .ifindex = IF_B, .flags = WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6 };
	memcpy(f->b.pod_mac, MAC_B, 6);
	memcpy(f->b.host_mac, HMAC_B, 6);
	ip4("10.1.0.11", f->b.ipv4);
	ip6("fd00::b", f->b.ipv6);
	ep_put(f, &f->a);
	ep_put(f, &f->b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f) {
		ring_buffer__free(f->rb);
		weft_lxc__destroy(f->skel);
		free(f);
	}
	return 0;
}

static struct fx *fx_get(void **state)
{
	if (!*state) {
		print_message("BPF_PROG_TEST_RUN needs root (CAP_BPF, CAP_NET_ADMIN): skipped\n");
		skip();
	}
	return *state;
}

/* Run pkt through the program as if it arrived on ifindex; the packet as the program left it
 * goes to out (if given). Returns the verdict. */
static int run(struct fx *f, unsigned ifindex, const uint8_t *pkt, size_t len, uint8_t *out, uint32_t *out_len)
{
	struct __sk_buff ctx = { .ingress_ifindex = ifindex };
	uint8_t buf[512];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (uint32_t)len, .data_out = buf,
		    .data_size_out = sizeof(buf), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.weft_from_pod), &o), 0);
	if (out) {
		memcpy(out, buf, o.data_size_out);
		*out_len = o.data_size_out;
	}
	return (int)o.retval;
}

static struct weft_counters counters(struct fx *f, uint32_t id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct weft_counters sum = { 0 }, *v;

	assert_true(ncpu > 0);
	v = calloc((size_t)ncpu, sizeof(*v));
	assert_non_null(v);
	if (bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.weft_counters), &id, v) == 0) {
		for (int c = 0; c < ncpu; c++) {
			sum.from_pod_packets += v[c].from_pod_packets;
			sum.from_pod_bytes += v[c].from_pod_bytes;
			sum.to_pod_packets += v[c].to_pod_packets;
			sum.to_pod_bytes += v[c].to_pod_bytes;
			for (int r = 0; r < WEFT_DROP_MAX; r++)
				sum.drops[r] += v[c].drops[r];
		}
	}
	free(v);
	return sum;
}

/* Exactly one drop with this reason counted on A, and its event read back. */
static const struct weft_drop_event *expect_drop(struct fx *f, int verdict, enum weft_drop reason)
{
	struct weft_counters c;
	uint64_t total = 0;

	assert_int_equal(verdict, TC_ACT_SHOT);
	c = counters(f, f->a.id);
	for (int r = 0; r < WEFT_DROP_MAX; r++)
		total += c.drops[r];
	assert_int_equal(c.drops[reason], 1);
	assert_int_equal(total, 1);
	f->n_ev = 0;
	assert_int_equal(ring_buffer__consume(f->rb), 1);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].reason, reason);
	assert_int_equal(f->ev[0].ep_id, f->a.id);
	assert_int_equal(f->ev[0].ifindex, IF_A);
	return &f->ev[0];
}

static void reset_counters(struct fx *f)
{
	uint32_t ids[] = { f->a.id, f->b.id };
	int ncpu = libbpf_num_possible_cpus();
	void *zero = calloc((size_t)ncpu, sizeof(struct weft_counters));

	assert_non_null(zero);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(bpf_map_update_elem(bpf_map__fd(f->skel->maps.weft_counters), &ids[i], zero, BPF_ANY), 0);
	free(zero);
	ring_buffer__consume(f->rb);
	f->n_ev = 0;
}

/* ---- packet building --------------------------------------------------------------------- */

/* IPv4 header with a correct checksum, followed by plen bytes of UDP-ish payload. */
static size_t put_ip4(uint8_t *p, const char *src, const char *dst, uint8_t ttl, size_t plen)
{
	uint16_t tot = (uint16_t)(20 + plen), c;

	memset(p, 0, 20 + plen);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = ttl;
	p[9] = 17;
	ip4(src, p + 12);
	ip4(dst, p + 16);
	c = fold(sum16(p, 20, 0));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	return 20 + plen;
}

static size_t put_ip6(uint8_t *p, const char *src, const char *dst, uint8_t hop, uint8_t nh, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = hop;
	ip6(src, p + 8);
	ip6(dst, p + 24);
	return 40;
}

/* ICMPv6 checksum over the pseudo-header and the message at ip6 + 40 (RFC 8200 8.1). */
static uint16_t icmp6_csum(const uint8_t *ip6h, size_t mlen)
{
	uint8_t ph[40] = { 0 };

	memcpy(ph, ip6h + 8, 32);
	ph[34] = (uint8_t)(mlen >> 8);
	ph[35] = (uint8_t)mlen;
	ph[39] = 58;
	return fold(sum16(ip6h + 40, mlen, sum16(ph, 40, 0)));
}

static size_t udp4(uint8_t *p, const uint8_t *smac, const char *src, const char *dst, uint8_t ttl)
{
	size_t n = put_eth(p, HMAC_A, smac, 0x0800);

	return n + put_ip4(p + n, src, dst, ttl, 16);
}

static size_t udp6(uint8_t *p, const char *src, const char *dst, uint8_t hop)
{
	size_t n = put_eth(p, HMAC_A, MAC_A, 0x86dd);

	n += put_ip6(p + n, src, dst, hop, 17, 16);
	memset(p + n, 0xab, 16);
	return n + 16;
}

static size_t arp(uint8_t *p, uint16_t op, const uint8_t *sha, const char *sip, const char *tip)
{
	size_t n = put_eth(p, MAC_BCAST, MAC_A, 0x0806);
	uint8_t *a = p + n;

	memset(a, 0, 28);
	a[1] = 1;       /* Ethernet */
	a[2] = 0x08;    /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = (uint8_t)op;
	memcpy(a + 8, sha, 6);
	ip4(sip, a + 14);
	ip4(tip, a + 24);
	return n + 28;
}

/* NS (135) or NA (136) with an optional link-layer address option (type 1 or 2). */
static size_t nd(uint8_t *p, uint8_t type, const char *src, const char *dst, const char *target,
		 uint8_t opt, const uint8_t *mac)
{
	size_t n = put_eth(p, MAC_BCAST, MAC_A, 0x86dd), mlen = 24 + (opt ? 8 : 0);
	uint8_t *ip = p + n, *m = ip + 40;
	uint16_t c;

	put_ip6(ip, src, dst, 255, 58, mlen);
	memset(m, 0, mlen);
	m[0] = type;
	if (type == 136)
		m[4] = 0x20; /* Override */
	ip6(target, m + 8);
	if (opt) {
		m[24] = opt;
		m[25] = 1;
		memcpy(m + 26, mac, 6);
	}
	c = icmp6_csum(ip, mlen);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	return n + 40 + mlen;
}

/* ---- drops ------------------------------------------------------------------------------- */

static void spoofed_mac(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128];
	size_t n = udp4(p, MAC_EVIL, "10.1.0.10", "10.1.0.11", 64);
	const struct weft_drop_event *ev;

	ev = expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_MAC);
	/* for a MAC drop the event carries the MACs: the source is what was wrong */
	assert_memory_equal(ev->src, MAC_EVIL, 6);
	assert_memory_equal(ev->dst, HMAC_A, 6);
	assert_int_equal(ntohs(ev->eth_proto), 0x0800);
	assert_int_equal(ev->len, n);
	/* B's MAC on A's veth is as wrong as any other */
	reset_counters(f);
	n = udp4(p, MAC_B, "10.1.0.11", "10.1.0.10", 64);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_MAC);
}

static void spoofed_ipv4(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], a[4];
	size_t n = udp4(p, MAC_A, "10.1.0.99", "10.1.0.11", 64);
	const struct weft_drop_event *ev;
	struct weft_counters c;

	ev = expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_IP4);
	ip4("10.1.0.99", a);
	assert_memory_equal(ev->src, a, 4);
	ip4("10.1.0.11", a);
	assert_memory_equal(ev->dst, a, 4);
	c = counters(f, f->a.id);
	assert_int_equal(c.from_pod_packets, 1); /* "everything seen leaving the pod", drops too */
	assert_int_equal(c.from_pod_bytes, n);
	assert_int_equal(counters(f, f->b.id).to_pod_packets, 0);

	/* B's address from A is a spoof too; so is any IPv4 from a pod that has none */
	reset_counters(f);
	n = udp4(p, MAC_A, "10.1.0.11", "10.1.0.11", 64);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_IP4);
	reset_counters(f);
	f->a.flags = WEFT_EP_HAS_IPV6;
	ep_put(f, &f->a);
	n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_IP4);
}

static void spoofed_ipv6(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], a[16];
	size_t n = udp6(p, "fd00::99", "fd00::b", 64);
	const struct weft_drop_event *ev;

	ev = expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_IP6);
	ip6("fd00::99", a);
	assert_memory_equal(ev->src, a, 16);
	ip6("fd00::b", a);
	assert_memory_equal(ev->dst, a, 16);

	/* the gateway's link-local is never the pod's */
	reset_counters(f);
	n = udp6(p, "fe80::1", "fe80::2", 64);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_IP6);
	/* :: is only for link-scope multicast (DAD, MLD), not for unicast */
	reset_counters(f);
	n = udp6(p, "::", "fd00::b", 64);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_IP6);

	/* allowed: the pod's own link-local, and :: to ff02:: */
	reset_counters(f);
	n = udp6(p, "fe80::a:1", "fe80::2", 64);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	n = udp6(p, "::", "ff02::16", 1);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	assert_int_equal(counters(f, f->a.id).drops[WEFT_DROP_SPOOF_IP6], 0);
}

static void spoofed_arp(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], a[4];
	size_t n = arp(p, 1, MAC_A, "10.1.0.99", "10.1.0.11");
	const struct weft_drop_event *ev;

	ev = expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ARP);
	ip4("10.1.0.99", a);
	assert_memory_equal(ev->src, a, 4);
	/* right IP, someone else's sender MAC inside the ARP body (Ethernet source is right) */
	reset_counters(f);
	n = arp(p, 2, MAC_EVIL, "10.1.0.10", "10.1.0.11");
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ARP);
	/* a gratuitous ARP claiming the gateway */
	reset_counters(f);
	n = arp(p, 1, MAC_A, "169.254.1.1", "169.254.1.1");
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ARP);

	/* allowed, and left to the kernel: a request for another address, an RFC 5227 probe */
	reset_counters(f);
	n = arp(p, 1, MAC_A, "10.1.0.10", "10.1.0.1");
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	n = arp(p, 1, MAC_A, "0.0.0.0", "10.1.0.10");
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	assert_int_equal(counters(f, f->a.id).drops[WEFT_DROP_SPOOF_ARP], 0);
}

static void spoofed_nd(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128];
	size_t n;

	/* NA claiming another pod's address */
	n = nd(p, 136, "fe80::a:1", "ff02::1", "fd00::b", 2, MAC_A);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ND);
	/* NA claiming the gateway */
	reset_counters(f);
	n = nd(p, 136, "fe80::a:1", "ff02::1", "fe80::1", 2, MAC_A);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ND);
	/* NA for its own address but someone else's MAC */
	reset_counters(f);
	n = nd(p, 136, "fe80::a:1", "ff02::1", "fd00::a", 2, MAC_EVIL);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ND);
	/* NS with someone else's source link-layer address */
	reset_counters(f);
	n = nd(p, 135, "fd00::a", "ff02::1:ff00:1", "fe80::2", 1, MAC_EVIL);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ND);
	/* DAD for an address that is not the pod's */
	reset_counters(f);
	n = nd(p, 135, "::", "ff02::1:ff00:b", "fd00::b", 0, NULL);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ND);

	/* allowed: DAD and NA for its own addresses, NS for someone else's address */
	reset_counters(f);
	n = nd(p, 135, "::", "ff02::1:ff00:a", "fd00::a", 0, NULL);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	n = nd(p, 135, "::", "ff02::1:ff0a:1", "fe80::a:1", 0, NULL);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	n = nd(p, 136, "fe80::a:1", "ff02::1", "fd00::a", 2, MAC_A);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	n = nd(p, 135, "fe80::a:1", "ff02::1:ff00:2", "fe80::2", 1, MAC_A);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	assert_int_equal(counters(f, f->a.id).drops[WEFT_DROP_SPOOF_ND], 0);
}

static void router_advertisement(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[160];
	size_t n = put_eth(p, MAC_BCAST, MAC_A, 0x86dd);

	/* from the pod's own link-local: the source is fine, the message is not */
	n += put_ip6(p + n, "fe80::a:1", "ff02::1", 255, 58, 16);
	memset(p + n, 0, 16);
	p[n] = 134;
	n += 16;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_ROUTER_ADV);

	/* the same RA behind a hop-by-hop header (RFC 7113: RA-Guard evasion) */
	reset_counters(f);
	n = put_eth(p, MAC_BCAST, MAC_A, 0x86dd);
	n += put_ip6(p + n, "fe80::a:1", "ff02::1", 255, 0, 8 + 16);
	memset(p + n, 0, 24);
	p[n] = 58; /* next header; length 0 = 8 bytes */
	p[n + 8] = 134;
	n += 24;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_ROUTER_ADV);
}

static void malformed(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[160];
	size_t n;

	/* (An IPv4 or IPv6 frame cut short of its fixed header cannot be driven from here: the
	 * kernel's BPF_PROG_TEST_RUN refuses it with EINVAL before the program runs. The program
	 * checks it all the same, since nothing has validated IP headers yet at tc ingress.) */
	/* IPv4 header length below 5 words */
	n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	p[14] = 0x44;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_MALFORMED);
	/* IPv4 total length beyond what arrived */
	reset_counters(f);
	n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	p[14 + 2] = 0x05;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_MALFORMED);
	/* IPv6 payload length beyond what arrived */
	reset_counters(f);
	n = udp6(p, "fd00::a", "fd00::b", 64);
	expect_drop(f, run(f, IF_A, p, n - 4, NULL, NULL), WEFT_DROP_MALFORMED);
	/* version 4 in an IPv6 frame */
	reset_counters(f);
	p[14] = 0x40;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_MALFORMED);
	/* ARP cut short */
	reset_counters(f);
	n = arp(p, 1, MAC_A, "10.1.0.10", "10.1.0.11");
	expect_drop(f, run(f, IF_A, p, n - 4, NULL, NULL), WEFT_DROP_MALFORMED);
	/* ARP for something other than Ethernet/IPv4 */
	reset_counters(f);
	p[14 + 5] = 16;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_MALFORMED);
	/* a VLAN tag in the frame */
	reset_counters(f);
	n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	p[12] = 0x81;
	p[13] = 0x00;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_MALFORMED);
	/* an IPv6 extension header chain longer than the walk checks (5 destination options) */
	reset_counters(f);
	n = put_eth(p, HMAC_A, MAC_A, 0x86dd);
	n += put_ip6(p + n, "fd00::a", "fd00::b", 64, 60, 5 * 8 + 8);
	memset(p + n, 0, 48);
	for (int i = 0; i < 5; i++)
		p[n + i * 8] = i < 4 ? 60 : 17;
	n += 48;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_MALFORMED);
	/* an NS whose option has length 0 (RFC 4861 4.6) */
	reset_counters(f);
	n = nd(p, 135, "fe80::a:1", "ff02::1:ff00:2", "fe80::2", 1, MAC_A);
	p[n - 7] = 0;
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_MALFORMED);
}

static void ttl_exceeded(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128];
	size_t n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 1);

	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_TTL_EXCEEDED);
	reset_counters(f);
	n = udp6(p, "fd00::a", "fd00::b", 1);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_TTL_EXCEEDED);
	/* toward the node, TTL is the kernel's business (it answers time-exceeded itself) */
	reset_counters(f);
	n = udp4(p, MAC_A, "10.1.0.10", "192.168.7.1", 1);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_OK);
	assert_int_equal(counters(f, f->a.id).drops[WEFT_DROP_TTL_EXCEEDED], 0);
}

/* ---- deliveries and passes ------------------------------------------------------------------ */

static void slot_put(struct fx *f, const struct weft_endpoint *ep, unsigned ifindex)
{
	uint32_t slot = ifindex & (WEFT_EP_SLOTS - 1);

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f->skel->maps.weft_ep_slot), &slot, ep, BPF_ANY), 0);
}

/* weft_ep_slot is read first, and only for the veth its value names. Here A's slot says A's pod
 * MAC is another: while the slot is A's, A's own MAC is the spoof; once the slot names another
 * veth (one whose ifindex shares the slot), or is cleared (ifindex 0), the hash judges again. */
static void slot_first(void **state)
{
	struct fx *f = fx_get(state);
	struct weft_endpoint evil = f->a;
	uint8_t p[128];
	size_t n;

	memcpy(evil.pod_mac, MAC_EVIL, 6);
	slot_put(f, &evil, IF_A);
	n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_MAC);
	n = udp4(p, MAC_EVIL, "10.1.0.10", "10.1.0.11", 64);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_REDIRECT);

	evil.ifindex = IF_A + WEFT_EP_SLOTS;
	slot_put(f, &evil, IF_A);
	n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_REDIRECT);
	n = udp4(p, MAC_EVIL, "10.1.0.10", "10.1.0.11", 64);
	reset_counters(f);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_MAC);

	evil.ifindex = 0;
	slot_put(f, &evil, IF_A);
	n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	assert_int_equal(run(f, IF_A, p, n, NULL, NULL), TC_ACT_REDIRECT);
	/* a packet with no ingress device never matches a cleared slot (ifindex 0) */
	assert_int_equal(run(f, 0, p, n, NULL, NULL), TC_ACT_OK);
}

static void ipslot_put(struct fx *f, int family, const uint8_t *addr, const struct weft_endpoint *ep)
{
	uint32_t slot = WEFT_IPSLOT(family, addr);

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f->skel->maps.weft_ep_ipslot), &slot, ep, BPF_ANY), 0);
}

/* A UDP packet from A to B in each family: the verdict, and for a redirect the MAC it goes to. */
static void expect_a_to_b(struct fx *f, int verdict, const uint8_t *mac)
{
	uint8_t p[128], o[512];
	uint32_t on;
	size_t n;

	for (int family = 4; family <= 6; family += 2) {
		n = family == 4 ? udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64) : udp6(p, "fd00::a", "fd00::b", 64);
		assert_int_equal(run(f, IF_A, p, n, o, &on), verdict);
		if (verdict == TC_ACT_REDIRECT)
			assert_memory_equal(o, mac, 6);
		else
			assert_memory_equal(o, p, n); /* to the kernel untouched */
	}
}

/* weft_ep_ipslot is read first for a destination, and its miss is an answer: B in the hash but
 * not in its slot is no local pod (to the kernel), unless the slot is marked shared; a copy in
 * the slot is what the packet goes by. Both families. */
static void ipslot_first(void **state)
{
	struct fx *f = fx_get(state);
	struct weft_endpoint empty = { 0 }, other = f->a, stale = f->b;

	ipslot_put(f, 4, f->b.ipv4, &empty);
	ipslot_put(f, 6, f->b.ipv6, &empty);
	expect_a_to_b(f, TC_ACT_OK, NULL);

	/* held by another address (A's, as if 16,384 apart) and shared: the hash has B */
	other.flags |= WEFT_EP_SLOT_SHARED;
	ipslot_put(f, 4, f->b.ipv4, &other);
	ipslot_put(f, 6, f->b.ipv6, &other);
	expect_a_to_b(f, TC_ACT_REDIRECT, MAC_B);

	/* the slot's copy of B decides, not the hash's */
	memcpy(stale.pod_mac, MAC_EVIL, 6);
	ipslot_put(f, 4, f->b.ipv4, &stale);
	ipslot_put(f, 6, f->b.ipv6, &stale);
	expect_a_to_b(f, TC_ACT_REDIRECT, MAC_EVIL);
}

static void local_ipv4(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], o[512];
	uint32_t on;
	size_t n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	struct weft_counters ca, cb;

	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
	assert_int_equal(on, n);
	assert_memory_equal(o, MAC_B, 6);      /* to B's pod MAC */
	assert_memory_equal(o + 6, HMAC_B, 6); /* from B's gateway */
	assert_int_equal(o[14 + 8], 63);
	assert_int_equal(fold(sum16(o + 14, 20, 0)), 0); /* header checksum still valid */
	assert_memory_equal(o + 14 + 12, p + 14 + 12, 8); /* addresses untouched */
	assert_memory_equal(o + 34, p + 34, n - 34);      /* payload untouched */
	ca = counters(f, f->a.id);
	cb = counters(f, f->b.id);
	assert_int_equal(ca.from_pod_packets, 1);
	assert_int_equal(ca.from_pod_bytes, n);
	assert_int_equal(ca.to_pod_packets, 0);
	assert_int_equal(cb.to_pod_packets, 1);
	assert_int_equal(cb.to_pod_bytes, n);
	assert_int_equal(cb.from_pod_packets, 0);
	for (int r = 0; r < WEFT_DROP_MAX; r++)
		assert_int_equal(ca.drops[r], 0);

	/* a TTL of 2 still makes it, as 1 */
	n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 2);
	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
	assert_int_equal(o[14 + 8], 1);
	assert_int_equal(fold(sum16(o + 14, 20, 0)), 0);
}

/* The header checksum after the TTL goes down, for every checksum a packet can carry: the IP ID
 * walks all 65,536 values, so the incremental fix meets each carry and the 0xffff edge. */
static void ttl_checksum_every_value(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], o[512];
	uint32_t on;
	size_t n = udp4(p, MAC_A, "10.1.0.10", "10.1.0.11", 64);
	uint8_t *ip = p + 14;

	for (uint32_t id = 0; id <= 0xffff; id++) {
		uint8_t ttl = (uint8_t)(2 + id % 254);
		uint16_t c;

		ip[4] = (uint8_t)(id >> 8);
		ip[5] = (uint8_t)id;
		ip[8] = ttl;
		ip[10] = ip[11] = 0;
		c = fold(sum16(ip, 20, 0));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
		assert_int_equal(o[14 + 8], ttl - 1);
		if (fold(sum16(o + 14, 20, 0)) != 0)
			fail_msg("id %#x ttl %u: checksum %02x%02x is wrong after the hop", id, ttl, o[24], o[25]);
	}
}

static void local_ipv6(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], o[512];
	uint32_t on;
	size_t n = udp6(p, "fd00::a", "fd00::b", 64);

	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
	assert_int_equal(on, n);
	assert_memory_equal(o, MAC_B, 6);
	assert_memory_equal(o + 6, HMAC_B, 6);
	assert_int_equal(o[14 + 7], 63);
	assert_memory_equal(o + 14, p + 14, 7);            /* version .. next header */
	assert_memory_equal(o + 14 + 8, p + 14 + 8, n - 22); /* addresses, payload */
	assert_int_equal(counters(f, f->a.id).from_pod_packets, 1);
	assert_int_equal(counters(f, f->b.id).to_pod_packets, 1);
	assert_int_equal(counters(f, f->b.id).to_pod_bytes, n);

	/* from the pod's link-local to a pod address still is a local delivery */
	n = udp6(p, "fe80::a:1", "fd00::b", 64);
	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
	assert_int_equal(counters(f, f->b.id).to_pod_packets, 2);
}

static void not_ours(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], o[512];
	uint32_t on;
	size_t n = udp4(p, MAC_EVIL, "10.9.9.9", "10.1.0.11", 64);

	/* any packet on a veth with no endpoint passes untouched and uncounted */
	assert_int_equal(run(f, IF_NONE, p, n, o, &on), TC_ACT_OK);
	assert_int_equal(on, n);
	assert_memory_equal(o, p, n);
	assert_int_equal(counters(f, f->a.id).from_pod_packets, 0);
	assert_int_equal(counters(f, f->b.id).to_pod_packets, 0);
	assert_int_equal(ring_buffer__consume(f->rb), 0);
}

static void to_node(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], o[512];
	uint32_t on;
	size_t n = udp4(p, MAC_A, "10.1.0.10", "192.168.7.1", 64);

	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_OK);
	assert_memory_equal(o, p, n); /* the kernel routes it, TTL and all */
	n = udp6(p, "fd00::a", "2001:db8::1", 64);
	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_OK);
	assert_memory_equal(o, p, n);
	assert_int_equal(counters(f, f->a.id).from_pod_packets, 2);
	assert_int_equal(counters(f, f->b.id).to_pod_packets, 0);
	assert_int_equal(ring_buffer__consume(f->rb), 0);
}

static void gateway_arp(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[128], o[512], a[4];
	uint32_t on;
	size_t n = arp(p, 1, MAC_A, "10.1.0.10", "169.254.1.1");

	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
	assert_int_equal(on, n);
	assert_memory_equal(o, MAC_A, 6);     /* back to the pod */
	assert_memory_equal(o + 6, HMAC_A, 6); /* from its gateway */
	assert_int_equal(o[12] << 8 | o[13], 0x0806);
	assert_memory_equal(o + 14, p + 14, 6); /* hrd, pro, hln, pln */
	assert_int_equal(o[14 + 6] << 8 | o[14 + 7], 2); /* reply */
	assert_memory_equal(o + 14 + 8, HMAC_A, 6);
	ip4("169.254.1.1", a);
	assert_memory_equal(o + 14 + 14, a, 4);
	assert_memory_equal(o + 14 + 18, MAC_A, 6);
	ip4("10.1.0.10", a);
	assert_memory_equal(o + 14 + 24, a, 4);
	assert_int_equal(ring_buffer__consume(f->rb), 0);
}

static void check_na(const uint8_t *o, uint32_t on, const char *dst)
{
	uint8_t a[16];

	assert_int_equal(on, 14 + 40 + 32);
	assert_memory_equal(o, MAC_A, 6);
	assert_memory_equal(o + 6, HMAC_A, 6);
	assert_int_equal(o[12] << 8 | o[13], 0x86dd);
	assert_int_equal(o[14] >> 4, 6);
	assert_int_equal(o[14 + 4] << 8 | o[14 + 5], 32); /* payload length */
	assert_int_equal(o[14 + 6], 58);
	assert_int_equal(o[14 + 7], 255);
	ip6("fe80::1", a);
	assert_memory_equal(o + 14 + 8, a, 16);
	ip6(dst, a);
	assert_memory_equal(o + 14 + 24, a, 16);
	assert_int_equal(o[54], 136);
	assert_int_equal(o[55], 0);
	assert_int_equal(o[58], 0xe0); /* router, solicited, override */
	ip6("fe80::1", a);
	assert_memory_equal(o + 62, a, 16);
	assert_int_equal(o[78], 2); /* target link-layer address */
	assert_int_equal(o[79], 1);
	assert_memory_equal(o + 80, HMAC_A, 6);
	/* checksum: summing the message with its checksum in place gives 0 */
	assert_int_equal(icmp6_csum(o + 14, 32), 0);
}

static void gateway_ns(void **state)
{
	struct fx *f = fx_get(state);
	uint8_t p[160], o[512];
	uint32_t on;
	size_t n;

	/* multicast solicitation from the pod's link-local, with its source link-layer option */
	n = nd(p, 135, "fe80::a:1", "ff02::1:ff00:1", "fe80::1", 1, MAC_A);
	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
	check_na(o, on, "fe80::a:1");
	/* unicast reachability probe from the pod's address, no option: the packet grows */
	n = nd(p, 135, "fd00::a", "fe80::1", "fe80::1", 0, NULL);
	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
	check_na(o, on, "fd00::a");
	/* a solicitation with a trailing nonce option (RFC 7527): the packet shrinks */
	n = nd(p, 135, "fe80::a:1", "ff02::1:ff00:1", "fe80::1", 1, MAC_A);
	p[14 + 5] += 8;
	memset(p + n, 0, 8);
	p[n] = 14;
	p[n + 1] = 1;
	n += 8;
	assert_int_equal(run(f, IF_A, p, n, o, &on), TC_ACT_REDIRECT);
	check_na(o, on, "fe80::a:1");
	/* DAD for fe80::1 by the pod is a claim on the gateway's address, not a question */
	n = nd(p, 135, "::", "ff02::1:ff00:1", "fe80::1", 0, NULL);
	expect_drop(f, run(f, IF_A, p, n, NULL, NULL), WEFT_DROP_SPOOF_ND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(spoofed_mac),  T(spoofed_ipv4), T(spoofed_ipv6), T(spoofed_arp),
		T(spoofed_nd),   T(router_advertisement), T(malformed), T(ttl_exceeded),
		T(local_ipv4),   T(ttl_checksum_every_value), T(local_ipv6),   T(not_ours),     T(to_node),
		T(gateway_arp),  T(gateway_ns),   T(slot_first),   T(ipslot_first),
#undef T
	};

	return cmocka_run_group_tests_name("bpf_lxc", tests, NULL, NULL);
}
