/* BGP UPDATE and path attributes (daemon/bgp_update.c, daemon/bgp_attr.c): UPDATEs as BIRD,
 * FRR and GoBGP send them (packed IPv4, extended-length MP_REACH with 32-byte next hops,
 * IPv4-mapped next hops), every error path with its exact action and (code, subcode, data),
 * RFC 6793 AS4_PATH reconstruction, loops, End-of-RIB, and the encoder: exact bytes, round
 * trips, packing within 4096 bytes, 2-octet peers, unknown attributes passed on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/bgp_attr.h"
#include "daemon/bgp_update.h"
#include "test_bgp_util.h"

static uint8_t buf[BGP_MAX_LEN + 64];

static const struct bgp_neg ibgp = {
	.as4 = true, .afs = BGP_AF_ALL, .local_as = 64512, .peer_as = 64512, .local_id = 0x0a630001,
};
static const struct bgp_neg ebgp = {
	.as4 = true, .ebgp = true, .enforce_first_as = true, .afs = BGP_AF_ALL, .local_as = 64512,
	.peer_as = 65000, .local_id = 0x0a630001,
};
/* An OLD (2-octet) external peer. */
static const struct bgp_neg ebgp16 = {
	.as4 = false, .ebgp = true, .enforce_first_as = true, .afs = BGP_AF_ALL, .local_as = 64512,
	.peer_as = 65000, .local_id = 0x0a630001,
};

#define ORIGIN "40 01 01 00 "
#define PATH_EMPTY "40 02 00 "
#define PATH_65000 "40 02 06 02 01 00 00 fd e8 "
#define NH "40 03 04 0a 63 00 02 "
#define LP "40 05 04 00 00 00 64 "
#define NLRI_A "18 0a f4 02"
#define MP_REACH6 "90 0e 00 1e 00 02 01 10 fd000099000000000000000000000002 00 40 fd00024400020000 "
#define MP_UNREACH6 "90 0f 00 0c 00 02 01 40 fd00024400020000 "

/* The update's lists as text: "-10.0.0.0/8 +10.244.2.0/24@10.99.0.2 +fd00::/64@fd00::2%fe80::2". */
static char *dump(const struct bgp_update *u)
{
	static char out[8192];
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < u->n_lists; i++) {
		const struct bgp_nlri *l = &u->lists[i];

		for (size_t j = 0; j < l->n; j++) {
			char p[INET_PREFIXSTR], nh[INET_ADDRSTR] = "", ll[INET_ADDRSTR] = "";

			inet_prefix_fmt(&l->pfx[j], p, sizeof(p));
			if (!l->withdraw && l->nh.family)
				inet_addr_fmt(&l->nh, nh, sizeof(nh));
			if (!l->withdraw && l->nh_ll.family)
				inet_addr_fmt(&l->nh_ll, ll, sizeof(ll));
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%c%s%s%s%s%s",
						off ? " " : "", l->withdraw ? '-' : '+', p,
						l->withdraw ? "" : "@", nh, ll[0] ? "%" : "", ll);
		}
	}
	return out;
}

/* Decode and expect a clean result with these lists. */
static void decodes_to(const struct bgp_neg *neg, size_t n, const char *want, struct bgp_update *u)
{
	struct bgp_err e;

	if (bgp_update_decode(neg, buf, n, u, &e) != 0)
		fail_msg("decode failed: %s", e.reason);
	if (e.action != BGP_ACT_NONE)
		fail_msg("unexpected fault: %s", e.reason);
	assert_string_equal(dump(u), want);
}

/* Decode and expect action a with (code, sub, data) and these lists afterwards. */
static void faults(const struct bgp_neg *neg, size_t n, enum bgp_action a, uint8_t code,
		   uint8_t sub, const char *data, const char *want)
{
	struct bgp_update u;
	struct bgp_err e;
	int r = bgp_update_decode(neg, buf, n, &u, &e);

	assert_int_equal(r, a == BGP_ACT_RESET ? -EBADMSG : 0);
	err_is(&e, a, code, sub, data);
	if (want)
		assert_string_equal(dump(&u), want);
	assert_int_equal(u.treat_as_withdraw, a == BGP_ACT_WITHDRAW);
	bgp_update_fini(&u);
}

/* ---- what real speakers send ------------------------------------------------------------------- */

static void bird_ipv4_reflected(void **state)
{
	struct bgp_update u;
	/* BIRD as route reflector: node2's two prefixes packed in one UPDATE, with ORIGINATOR_ID
	 * and CLUSTER_LIST. */
	size_t n = update_hex(buf, sizeof(buf), "",
			      ORIGIN PATH_EMPTY NH LP "80 09 04 0a 63 00 02 80 0a 04 0a 63 00 fe",
			      NLRI_A " 18 0a f4 03");

	decodes_to(&ibgp, n, "+10.244.2.0/24@10.99.0.2 +10.244.3.0/24@10.99.0.2", &u);
	assert_int_equal(u.attrs.origin, BGP_ORIGIN_IGP);
	assert_int_equal(u.attrs.aspath_len, 0);
	assert_true(bgp_attrs_has(&u.attrs, BGP_ATTR_AS_PATH));
	assert_int_equal(u.attrs.local_pref, 100);
	assert_int_equal(u.attrs.originator_id, 0x0a630002);
	assert_int_equal(u.attrs.n_cluster_list, 1);
	assert_int_equal(u.attrs.cluster_list[0], 0x0a6300fe);
	assert_int_equal(u.eor, -1);
	assert_null(u.loop);
	bgp_update_fini(&u);
}

static void bird_ipv6_32_byte_next_hop(void **state)
{
	struct bgp_update u;
	/* Extended-length MP_REACH_NLRI first, global + link-local next hop. */
	size_t n = update_hex(buf, sizeof(buf), "",
			      "90 0e 00 2e 00 02 01 20"
			      " fd000099000000000000000000000002 fe800000000000000000000000000002 00"
			      " 40 fd00024400020000 " ORIGIN PATH_EMPTY LP,
			      "");

	decodes_to(&ibgp, n, "+fd00:244:2::/64@fd00:99::2%fe80::2", &u);
	bgp_update_fini(&u);
}

static void frr_ipv4_ext_length_as_path(void **state)
{
	struct bgp_update u;
	/* FRR sets the extended-length flag on AS_PATH too; MED 0. */
	size_t n = update_hex(buf, sizeof(buf), "",
			      ORIGIN "50 02 00 06 02 01 00 00 fd e8 40 03 04 0a 63 00 03 80 04 04 00 00 00 00",
			      "18 0a f4 03");
	char s[64];

	decodes_to(&ebgp, n, "+10.244.3.0/24@10.99.0.3", &u);
	bgp_aspath_fmt(u.attrs.aspath, u.attrs.aspath_len, s, sizeof(s));
	assert_string_equal(s, "65000");
	assert_true(bgp_attrs_has(&u.attrs, BGP_ATTR_MED));
	assert_int_equal(u.attrs.med, 0);
	bgp_update_fini(&u);
}

static void gobgp_ipv4_mapped_next_hop(void **state)
{
	struct bgp_update u;
	/* GoBGP without a configured IPv6 next hop: ::ffff:10.99.0.3, one prefix per UPDATE.
	 * Policy: the IPv4 address is the next hop (docs/bgp.md). */
	size_t n = update_hex(buf, sizeof(buf), "",
			      "80 0e 1e 00 02 01 10 00000000000000000000ffff0a630003 00 40 fd00024400030000 "
			      ORIGIN PATH_65000,
			      "");

	decodes_to(&ebgp, n, "+fd00:244:3::/64@10.99.0.3", &u);
	assert_int_equal(u.attrs.mp_nexthop.family, AF_INET);
	bgp_update_fini(&u);
}

static void withdrawals_and_mixed(void **state)
{
	struct bgp_update u;
	/* Withdrawn Routes and MP_UNREACH in one message, plus announcements (old speakers mix
	 * them; RFC 7606 §5.1 says to accept any combination). Order: withdrawals first. */
	size_t n = update_hex(buf, sizeof(buf), "18 0a f4 05",
			      MP_UNREACH6 MP_REACH6 ORIGIN PATH_EMPTY NH, NLRI_A);

	decodes_to(&ibgp, n,
		   "-10.244.5.0/24 -fd00:244:2::/64 +fd00:244:2::/64@fd00:99::2 +10.244.2.0/24@10.99.0.2", &u);
	assert_int_equal(bgp_update_count(&u, true), 2);
	assert_int_equal(bgp_update_count(&u, false), 2);
	bgp_update_fini(&u);
	/* A withdrawal alone needs no attributes. */
	n = update_hex(buf, sizeof(buf), "18 0a f4 05 10 0a f5", "", "");
	decodes_to(&ibgp, n, "-10.244.5.0/24 -10.245.0.0/16", &u);
	bgp_update_fini(&u);
}

static void end_of_rib(void **state)
{
	struct bgp_update u;
	size_t n;

	/* RFC 4724 §2: IPv4 is the empty UPDATE... */
	n = update_hex(buf, sizeof(buf), "", "", "");
	decodes_to(&ibgp, n, "", &u);
	assert_int_equal(u.eor, BGP_AF_IPV4);
	bgp_update_fini(&u);
	/* ...IPv6 an empty MP_UNREACH, with or without the extended-length flag. */
	n = update_hex(buf, sizeof(buf), "", "80 0f 03 00 02 01", "");
	decodes_to(&ibgp, n, "", &u);
	assert_int_equal(u.eor, BGP_AF_IPV6);
	bgp_update_fini(&u);
	n = update_hex(buf, sizeof(buf), "", "90 0f 00 03 00 02 01", "");
	decodes_to(&ibgp, n, "", &u);
	assert_int_equal(u.eor, BGP_AF_IPV6);
	bgp_update_fini(&u);
	/* Not one with other attributes, nor one for a family not negotiated. */
	n = update_hex(buf, sizeof(buf), "", "80 0f 03 00 02 01 " ORIGIN, "");
	decodes_to(&ibgp, n, "", &u);
	assert_int_equal(u.eor, -1);
	bgp_update_fini(&u);
	struct bgp_neg v4only = ibgp;
	v4only.afs = BGP_AF_BIT(BGP_AF_IPV4);
	n = update_hex(buf, sizeof(buf), "", "80 0f 03 00 02 01", "");
	decodes_to(&v4only, n, "", &u);
	assert_int_equal(u.eor, -1);
	bgp_update_fini(&u);
	/* Encoded markers decode as markers. */
	int k = bgp_update_encode_eor(BGP_AF_IPV6, buf, sizeof(buf));
	assert_int_equal(k, 29);
	decodes_to(&ibgp, (size_t)k, "", &u);
	assert_int_equal(u.eor, BGP_AF_IPV6);
	bgp_update_fini(&u);
	k = bgp_update_encode_eor(BGP_AF_IPV4, buf, sizeof(buf));
	assert_int_equal(k, 23);
	decodes_to(&ibgp, (size_t)k, "", &u);
	assert_int_equal(u.eor, BGP_AF_IPV4);
	bgp_update_fini(&u);
	assert_int_equal(bgp_update_encode_eor(BGP_AF_IPV6, buf, 28), -EMSGSIZE);
}

static void families_not_negotiated_are_ignored(void **state)
{
	struct bgp_neg v6only = ibgp;
	struct bgp_update u;
	size_t n;

	v6only.afs = BGP_AF_BIT(BGP_AF_IPV6);
	/* IPv4 in the classic fields of an IPv6-only session: ignored, no NEXT_HOP needed. */
	n = update_hex(buf, sizeof(buf), "18 0a f4 05", ORIGIN PATH_EMPTY, NLRI_A);
	decodes_to(&v6only, n, "", &u);
	bgp_update_fini(&u);
	/* MP_REACH of L2VPN EVPN (AFI 25, SAFI 70): ignored, not parsed. */
	n = update_hex(buf, sizeof(buf), "", "80 0e 0b 00 19 46 04 0a 63 00 02 00 01 02 " ORIGIN PATH_EMPTY, "");
	decodes_to(&ibgp, n, "", &u);
	bgp_update_fini(&u);
}

/* ---- structure errors: session reset --------------------------------------------------------- */

static void structure_errors(void **state)
{
	struct bgp_update u;
	struct bgp_err e;
	size_t n;

	/* RFC 4271 §6.3 / RFC 7606 §3 (b): lengths past the message -> 3/1. */
	n = update_hex(buf, sizeof(buf), "18 0a f4 05", "", "");
	bgp_put16(buf + 19, 5);
	faults(&ibgp, n, BGP_ACT_RESET, 3, 1, "", NULL);
	n = update_hex(buf, sizeof(buf), "", ORIGIN, "");
	bgp_put16(buf + 21, 5);
	faults(&ibgp, n, BGP_ACT_RESET, 3, 1, "", NULL);
	/* RFC 7606 §3 (i), §5.3: Withdrawn Routes or NLRI that cannot be parsed -> 3/10. */
	n = update_hex(buf, sizeof(buf), "21 0a 00 00 00 00", "", "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 10, "", NULL);
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH, "18 0a f4");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 10, "", NULL);
	/* Too short to be an UPDATE at all. */
	n = update_hex(buf, sizeof(buf), "", "", "");
	assert_int_equal(bgp_update_decode(&ibgp, buf, 22, &u, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 1, 2, "00 17");
	bgp_update_fini(&u);
}

/* ---- per attribute (RFC 7606 §7) --------------------------------------------------------------- */

static void origin_errors(void **state)
{
	size_t n;

	/* §7.1: length not 1 -> treat-as-withdraw, recorded as 3/5 with the attribute. */
	n = update_hex(buf, sizeof(buf), "", "40 01 02 00 00 " PATH_EMPTY NH, NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "40 01 02 00 00", "-10.244.2.0/24");
	/* Undefined value -> 3/6. */
	n = update_hex(buf, sizeof(buf), "", "40 01 01 03 " PATH_EMPTY NH, NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 6, "40 01 01 03", "-10.244.2.0/24");
	/* §3 (c): Optional bit set on a well-known attribute -> 3/4. */
	n = update_hex(buf, sizeof(buf), "", "c0 01 01 00 " PATH_EMPTY NH, NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 4, "c0 01 01 00", "-10.244.2.0/24");
	/* Transitive bit clear. */
	n = update_hex(buf, sizeof(buf), "", "00 01 01 00 " PATH_EMPTY NH, NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 4, "00 01 01 00", "-10.244.2.0/24");
	/* The Partial bit and the low nibble are not checked. */
	struct bgp_update u;
	n = update_hex(buf, sizeof(buf), "", "6f 01 01 00 " PATH_EMPTY NH, NLRI_A);
	decodes_to(&ibgp, n, "+10.244.2.0/24@10.99.0.2", &u);
	bgp_update_fini(&u);
}

static void as_path_errors(void **state)
{
	static const struct {
		const char *attr;
		const struct bgp_neg *neg;
	} bad[] = {
		{ "40 02 06 05 01 00 00 fd e8", &ebgp },          /* unknown segment type */
		{ "40 02 02 02 00", &ebgp },                      /* empty segment */
		{ "40 02 06 02 02 00 00 fd e8", &ebgp },          /* overrun */
		{ "40 02 07 02 01 00 00 fd e8 02", &ebgp },       /* underrun: one octet left */
		{ "40 02 0a 02 02 00 00 fd e8 00 00 00 00", &ebgp }, /* AS 0, RFC 7607 */
		{ "40 02 0c 03 01 00 00 fd e9 02 01 00 00 fd e8", &ebgp }, /* confed from eBGP */
		{ "40 02 04 02 01 fd e8", &ebgp },                /* 2-octet path on a 4-octet session */
		{ "40 02 06 02 01 00 00 fd e8", &ebgp16 },        /* 4-octet path on a 2-octet one */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char attrs[256];
		size_t n;

		snprintf(attrs, sizeof(attrs), ORIGIN "%s " NH, bad[i].attr);
		n = update_hex(buf, sizeof(buf), "", attrs, NLRI_A);
		faults(bad[i].neg, n, BGP_ACT_WITHDRAW, 3, 11, bad[i].attr, "-10.244.2.0/24");
	}
	/* Confederation segments are fine from an internal peer. */
	struct bgp_update u;
	size_t n = update_hex(buf, sizeof(buf), "", ORIGIN "40 02 06 03 01 00 00 fd e9 " NH, NLRI_A);
	decodes_to(&ibgp, n, "+10.244.2.0/24@10.99.0.2", &u);
	assert_int_equal(bgp_aspath_length(u.attrs.aspath, u.attrs.aspath_len), 0);
	bgp_update_fini(&u);
	/* RFC 4271 §6.3 first-AS check on eBGP (RFC 7606 §7.2: treat-as-withdraw), no data. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN "40 02 06 02 01 00 00 fd e9 " NH, NLRI_A);
	faults(&ebgp, n, BGP_ACT_WITHDRAW, 3, 11, "", "-10.244.2.0/24");
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH, NLRI_A);
	faults(&ebgp, n, BGP_ACT_WITHDRAW, 3, 11, "", "-10.244.2.0/24");
	/* ...not enforced when switched off (a route server's peers). */
	struct bgp_neg rs = ebgp;
	rs.enforce_first_as = false;
	n = update_hex(buf, sizeof(buf), "", ORIGIN "40 02 06 02 01 00 00 fd e9 " NH, NLRI_A);
	decodes_to(&rs, n, "+10.244.2.0/24@10.99.0.2", &u);
	bgp_update_fini(&u);
}

static void next_hop_errors(void **state)
{
	struct bgp_update u;
	size_t n;

	/* §7.3: length not 4 -> withdraw, 3/5. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY "40 03 05 0a 63 00 02 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "40 03 05 0a 63 00 02 00", "-10.244.2.0/24");
	/* RFC 4271 §6.3: no unicast host address -> 3/8, the route ignored. */
	static const char *const bad[] = { "00 00 00 00", "7f 00 00 01", "e0 00 00 05", "ff ff ff ff" };
	for (size_t i = 0; i < 4; i++) {
		char attrs[128], data[32];

		snprintf(attrs, sizeof(attrs), ORIGIN PATH_EMPTY "40 03 04 %s", bad[i]);
		snprintf(data, sizeof(data), "40 03 04 %s", bad[i]);
		n = update_hex(buf, sizeof(buf), "", attrs, NLRI_A);
		faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 8, data, "-10.244.2.0/24");
	}
	/* RFC 4760 §3: without classic NLRI, NEXT_HOP is ignored, even a malformed one. */
	n = update_hex(buf, sizeof(buf), "", MP_REACH6 ORIGIN PATH_EMPTY "40 03 02 00 00", "");
	decodes_to(&ibgp, n, "+fd00:244:2::/64@fd00:99::2", &u);
	assert_false(bgp_attrs_has(&u.attrs, BGP_ATTR_NEXT_HOP));
	bgp_update_fini(&u);
}

static void missing_well_known(void **state)
{
	struct bgp_update u;
	size_t n;

	/* RFC 7606 §3 (d): treat-as-withdraw; data = the missing type code. */
	n = update_hex(buf, sizeof(buf), "", PATH_EMPTY NH, NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 3, "01", "-10.244.2.0/24");
	n = update_hex(buf, sizeof(buf), "", ORIGIN NH, NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 3, "02", "-10.244.2.0/24");
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY, NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 3, "03", "-10.244.2.0/24");
	/* MP_REACH alone does not need NEXT_HOP. */
	n = update_hex(buf, sizeof(buf), "", MP_REACH6 ORIGIN PATH_EMPTY, "");
	decodes_to(&ibgp, n, "+fd00:244:2::/64@fd00:99::2", &u);
	bgp_update_fini(&u);
	n = update_hex(buf, sizeof(buf), "", MP_REACH6 PATH_EMPTY, "");
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 3, "01", "-fd00:244:2::/64");
}

static void optional_attribute_errors(void **state)
{
	struct bgp_update u;
	struct bgp_err e;
	size_t n;

	/* §7.4 MED length -> withdraw 3/5. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "80 04 03 00 00 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "80 04 03 00 00 00", "-10.244.2.0/24");
	/* §7.5 LOCAL_PREF from an external peer: discarded, the route kept. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_65000 NH LP, NLRI_A);
	assert_int_equal(bgp_update_decode(&ebgp, buf, n, &u, &e), 0);
	err_is(&e, BGP_ACT_DISCARD, 3, 9, "40 05 04 00 00 00 64");
	assert_string_equal(dump(&u), "+10.244.2.0/24@10.99.0.2");
	assert_false(bgp_attrs_has(&u.attrs, BGP_ATTR_LOCAL_PREF));
	bgp_update_fini(&u);
	/* ...malformed from an internal one: withdraw. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "40 05 03 00 00 64", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "40 05 03 00 00 64", "-10.244.2.0/24");
	/* §7.6 ATOMIC_AGGREGATE with a value: discard. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "40 06 01 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_DISCARD, 3, 5, "40 06 01 00", "+10.244.2.0/24@10.99.0.2");
	/* §7.7 AGGREGATOR: 6 bytes on a 4-octet session, or AS 0 (RFC 7607): discard. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "c0 07 06 fd e8 0a 63 00 02", NLRI_A);
	faults(&ibgp, n, BGP_ACT_DISCARD, 3, 5, "c0 07 06 fd e8 0a 63 00 02", "+10.244.2.0/24@10.99.0.2");
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "c0 07 08 00 00 00 00 0a 63 00 02", NLRI_A);
	faults(&ibgp, n, BGP_ACT_DISCARD, 3, 9, "c0 07 08 00 00 00 00 0a 63 00 02", "+10.244.2.0/24@10.99.0.2");
	/* ...flags wrong on AGGREGATOR: discard too (§3 (f)). */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "80 07 08 00 00 fd e8 0a 63 00 02", NLRI_A);
	faults(&ibgp, n, BGP_ACT_DISCARD, 3, 4, "80 07 08 00 00 fd e8 0a 63 00 02", "+10.244.2.0/24@10.99.0.2");
	/* §7.8 COMMUNITIES empty or not a multiple of 4: withdraw. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "c0 08 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "c0 08 00", "-10.244.2.0/24");
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "c0 08 05 fd e8 00 01 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "c0 08 05 fd e8 00 01 00", "-10.244.2.0/24");
	/* §7.9 ORIGINATOR_ID, §7.10 CLUSTER_LIST from an external peer: discard... */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_65000 NH "80 09 04 0a 63 00 09", NLRI_A);
	faults(&ebgp, n, BGP_ACT_DISCARD, 3, 9, "80 09 04 0a 63 00 09", "+10.244.2.0/24@10.99.0.2");
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_65000 NH "80 0a 04 0a 63 00 09", NLRI_A);
	faults(&ebgp, n, BGP_ACT_DISCARD, 3, 9, "80 0a 04 0a 63 00 09", "+10.244.2.0/24@10.99.0.2");
	/* ...malformed from an internal one: withdraw. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "80 09 03 0a 63 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "80 09 03 0a 63 00", "-10.244.2.0/24");
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "80 0a 06 0a 63 00 09 00 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "80 0a 06 0a 63 00 09 00 00", "-10.244.2.0/24");
	/* §3 (c) flags on COMMUNITIES (Transitive clear): withdraw. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "80 08 04 fd e8 00 01", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 4, "80 08 04 fd e8 00 01", "-10.244.2.0/24");
}

static void mp_errors(void **state)
{
	size_t n;

	/* RFC 7606 §7.11 / RFC 4760 §7: MP attributes that hide the NLRI reset the session with
	 * Optional Attribute Error and the attribute. */
	n = update_hex(buf, sizeof(buf), "", "80 0e 04 00 02 01 10 " ORIGIN PATH_EMPTY, "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 9, "80 0e 04 00 02 01 10", NULL);
	n = update_hex(buf, sizeof(buf), "", "80 0e 06 00 02 01 10 fd 00 " ORIGIN PATH_EMPTY, "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 9, "80 0e 06 00 02 01 10 fd 00", NULL);
	/* A next hop length wrong for IPv6 (15) or IPv4 (16). */
	n = update_hex(buf, sizeof(buf), "",
		       "80 0e 14 00 02 01 0f fd0000990000000000000000000000 00 " ORIGIN PATH_EMPTY, "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 9,
	       "80 0e 14 00 02 01 0f fd0000990000000000000000000000 00", NULL);
	n = update_hex(buf, sizeof(buf), "",
		       "80 0e 15 00 01 01 10 fd000099000000000000000000000002 00 " ORIGIN PATH_EMPTY, "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 9,
	       "80 0e 15 00 01 01 10 fd000099000000000000000000000002 00", NULL);
	/* NLRI inside that cannot be parsed (a /129). */
	n = update_hex(buf, sizeof(buf), "",
		       "80 0e 16 00 02 01 10 fd000099000000000000000000000002 00 81 " ORIGIN PATH_EMPTY, "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 9,
	       "80 0e 16 00 02 01 10 fd000099000000000000000000000002 00 81", NULL);
	/* Flags wrong (Transitive set): reset, as Attribute Flags Error. */
	n = update_hex(buf, sizeof(buf), "", "c0 0f 03 00 02 01", "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 4, "c0 0f 03 00 02 01", NULL);
	/* MP_UNREACH too short, or its NLRI broken. */
	n = update_hex(buf, sizeof(buf), "", "80 0f 02 00 02", "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 9, "80 0f 02 00 02", NULL);
	n = update_hex(buf, sizeof(buf), "", "80 0f 05 00 02 01 40 fd", "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 9, "80 0f 05 00 02 01 40 fd", NULL);
	/* RFC 7606 §3 (g): MP_REACH twice -> 3/1. */
	n = update_hex(buf, sizeof(buf), "", MP_REACH6 MP_REACH6 ORIGIN PATH_EMPTY, "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 1, "", NULL);
	n = update_hex(buf, sizeof(buf), "", MP_UNREACH6 MP_UNREACH6, "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 1, "", NULL);
}

static void mp_next_hop_policy(void **state)
{
	struct bgp_update u;
	size_t n;

	/* Link-local only (16 bytes of fe80::). */
	n = update_hex(buf, sizeof(buf), "",
		       "90 0e 00 1e 00 02 01 10 fe800000000000000000000000000007 00 40 fd00024400020000 "
		       ORIGIN PATH_EMPTY, "");
	decodes_to(&ibgp, n, "+fd00:244:2::/64@%fe80::7", &u);
	bgp_update_fini(&u);
	/* A second address that is not link-local (zero, as some send) is ignored. */
	n = update_hex(buf, sizeof(buf), "",
		       "90 0e 00 2e 00 02 01 20 fd000099000000000000000000000002"
		       " 00000000000000000000000000000000 00 40 fd00024400020000 " ORIGIN PATH_EMPTY, "");
	decodes_to(&ibgp, n, "+fd00:244:2::/64@fd00:99::2", &u);
	bgp_update_fini(&u);
	/* Unspecified, loopback, multicast, or a mapped non-host: the routes are ignored. */
	static const char *const bad[] = {
		"00000000000000000000000000000000", "00000000000000000000000000000001",
		"ff020000000000000000000000000001", "00000000000000000000ffff00000000",
	};
	for (size_t i = 0; i < 4; i++) {
		char attrs[256], data[128];

		snprintf(data, sizeof(data), "90 0e 00 1e 00 02 01 10 %s 00 40 fd00024400020000", bad[i]);
		snprintf(attrs, sizeof(attrs), "%s " ORIGIN PATH_EMPTY, data);
		n = update_hex(buf, sizeof(buf), "", attrs, "");
		faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 8, data, "-fd00:244:2::/64");
	}
	/* IPv4 in MP_REACH (AFI 1) with a 4-byte next hop. */
	n = update_hex(buf, sizeof(buf), "", "80 0e 0d 00 01 01 04 0a 63 00 04 00 18 0a f4 04 " ORIGIN PATH_EMPTY, "");
	decodes_to(&ibgp, n, "+10.244.4.0/24@10.99.0.4", &u);
	bgp_update_fini(&u);
}

static void unknown_and_duplicate_attributes(void **state)
{
	struct bgp_update u;
	struct bgp_err e;
	uint8_t out[512];
	size_t n;
	int k;

	/* RFC 4271 §6.3: unrecognized well-known -> reset 3/2 with the attribute. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "40 63 02 ab cd", NLRI_A);
	faults(&ibgp, n, BGP_ACT_RESET, 3, 2, "40 63 02 ab cd", NULL);
	/* Optional transitive ones (extended communities, 99) are kept; optional
	 * non-transitive ones (100) dropped. */
	n = update_hex(buf, sizeof(buf), "",
		       ORIGIN PATH_EMPTY NH "c0 10 08 00 02 fd e8 00 00 00 01 80 64 01 00 c0 63 02 ab cd",
		       NLRI_A);
	decodes_to(&ibgp, n, "+10.244.2.0/24@10.99.0.2", &u);
	assert_int_equal(u.attrs.unknown_len, 11 + 5);
	/* ...and passed on with the Partial bit (RFC 4271 §5). */
	k = bgp_attrs_encode(&ibgp, &u.attrs, true, out, sizeof(out));
	assert_true(k > 0);
	uint8_t want[64];
	size_t wn = hexbytes("40 01 01 00 40 02 00 40 03 04 0a 63 00 02 40 05 04 00 00 00 64"
			     " e0 10 08 00 02 fd e8 00 00 00 01 e0 63 02 ab cd", want, sizeof(want));
	assert_int_equal(k, wn);
	assert_memory_equal(out, want, wn);
	bgp_update_fini(&u);
	/* RFC 7606 §3 (g): a repeated attribute is discarded, the first one kept. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN "40 01 01 02 " PATH_EMPTY NH, NLRI_A);
	assert_int_equal(bgp_update_decode(&ibgp, buf, n, &u, &e), 0);
	err_is(&e, BGP_ACT_DISCARD, 3, 1, "");
	assert_int_equal(u.attrs.origin, BGP_ORIGIN_IGP);
	assert_string_equal(dump(&u), "+10.244.2.0/24@10.99.0.2");
	bgp_update_fini(&u);
}

static void framing_errors(void **state)
{
	size_t n;

	/* RFC 7606 §4: an attribute running past the block -> withdraw (3/1, no data). */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "c0 08 08 fd e8 00 01", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 1, "", "-10.244.2.0/24");
	/* Fewer than 3 octets left (4 with extended length). */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "c0 08", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 1, "", "-10.244.2.0/24");
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "d0 08 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 1, "", "-10.244.2.0/24");
	/* RFC 7606 §5.2: with nothing reachable to withdraw, the same faults reset the session. */
	n = update_hex(buf, sizeof(buf), "18 0a f4 05", "40 01 02 00 00", "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 5, "40 01 02 00 00", NULL);
	n = update_hex(buf, sizeof(buf), "", "c0 08", "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 1, "", NULL);
	n = update_hex(buf, sizeof(buf), "", MP_UNREACH6 "40 01 01 07", "");
	faults(&ibgp, n, BGP_ACT_RESET, 3, 6, "40 01 01 07", NULL);
	/* ...but attribute discard alone does not. */
	struct bgp_update u;
	struct bgp_err e;
	n = update_hex(buf, sizeof(buf), "18 0a f4 05", "40 06 01 00", "");
	assert_int_equal(bgp_update_decode(&ibgp, buf, n, &u, &e), 0);
	assert_int_equal(e.action, BGP_ACT_DISCARD);
	assert_string_equal(dump(&u), "-10.244.5.0/24");
	bgp_update_fini(&u);
}

static void strongest_action_wins(void **state)
{
	size_t n;

	/* RFC 7606 §3 (h): discard then withdraw -> withdraw (the withdraw's subcode). */
	n = update_hex(buf, sizeof(buf), "", "40 06 01 00 " ORIGIN PATH_EMPTY NH "80 04 02 00 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 5, "80 04 02 00 00", "-10.244.2.0/24");
	/* Withdraw then reset -> reset. */
	n = update_hex(buf, sizeof(buf), "", "40 01 01 09 " PATH_EMPTY NH "40 63 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_RESET, 3, 2, "40 63 00", NULL);
	/* Two withdraws: the first is reported. */
	n = update_hex(buf, sizeof(buf), "", "40 01 01 09 " PATH_EMPTY NH "80 04 02 00 00", NLRI_A);
	faults(&ibgp, n, BGP_ACT_WITHDRAW, 3, 6, "40 01 01 09", "-10.244.2.0/24");
}

/* ---- RFC 6793: 2-octet peers ---------------------------------------------------------------- */

static void path_of(const struct bgp_neg *neg, const char *attrs, const char *want_path,
		    enum bgp_action want_action, uint32_t want_aggr)
{
	struct bgp_update u;
	struct bgp_err e;
	char s[128];
	size_t n = update_hex(buf, sizeof(buf), "", attrs, NLRI_A);

	assert_int_equal(bgp_update_decode(neg, buf, n, &u, &e), 0);
	if (e.action != want_action)
		fail_msg("action %d (%s), want %d", e.action, e.reason, want_action);
	bgp_aspath_fmt(u.attrs.aspath, u.attrs.aspath_len, s, sizeof(s));
	assert_string_equal(s, want_path);
	if (want_aggr)
		assert_int_equal(u.attrs.aggregator_as, want_aggr);
	assert_string_equal(dump(&u), "+10.244.2.0/24@10.99.0.2");
	bgp_update_fini(&u);
}

static void as4_reconstruction(void **state)
{
	/* AS_PATH [65000 AS_TRANS] + AS4_PATH [4200000001] -> 65000 4200000001. */
	path_of(&ebgp16, ORIGIN "40 02 06 02 02 fd e8 5b a0 " NH "c0 11 06 02 01 fa 56 ea 01",
		"65000 4200000001", BGP_ACT_NONE, 0);
	/* Sets and widening: [65000 {1 2}]. */
	path_of(&ebgp16, ORIGIN "40 02 0a 02 01 fd e8 01 02 00 01 00 02 " NH, "65000 {1 2}", BGP_ACT_NONE, 0);
	/* AS4_PATH longer than AS_PATH: ignored (RFC 6793 §4.2.3). */
	path_of(&ebgp16, ORIGIN "40 02 04 02 01 fd e8 " NH "c0 11 0a 02 02 00 00 00 01 00 00 00 02",
		"65000", BGP_ACT_NONE, 0);
	/* An AGGREGATOR other than AS_TRANS: AS4_PATH and AS4_AGGREGATOR ignored. */
	path_of(&ebgp16, ORIGIN "40 02 06 02 02 fd e8 5b a0 " NH "c0 07 06 fd e8 0a 63 00 02"
		" c0 11 06 02 01 fa 56 ea 01 c0 12 08 fa 56 ea 01 0a 63 00 02",
		"65000 23456", BGP_ACT_NONE, 65000);
	/* AGGREGATOR AS_TRANS: AS4_AGGREGATOR replaces it, AS4_PATH merged. */
	path_of(&ebgp16, ORIGIN "40 02 06 02 02 fd e8 5b a0 " NH "c0 07 06 5b a0 0a 63 00 02"
		" c0 11 06 02 01 fa 56 ea 01 c0 12 08 fa 56 ea 01 0a 63 00 02",
		"65000 4200000001", BGP_ACT_NONE, 4200000001u);
	/* Confederation segments in AS4_PATH are dropped (RFC 6793 §6). */
	path_of(&ebgp16, ORIGIN "40 02 06 02 02 fd e8 5b a0 " NH
		"c0 11 0c 03 01 00 00 00 05 02 01 fa 56 ea 01",
		"65000 4200000001", BGP_ACT_NONE, 0);
	/* A malformed AS4_PATH is discarded, the AS_PATH kept. */
	path_of(&ebgp16, ORIGIN "40 02 06 02 02 fd e8 5b a0 " NH "c0 11 06 07 01 fa 56 ea 01",
		"65000 23456", BGP_ACT_DISCARD, 0);
	path_of(&ebgp16, ORIGIN "40 02 06 02 02 fd e8 5b a0 " NH "c0 11 06 02 01 00 00 00 00",
		"65000 23456", BGP_ACT_DISCARD, 0);
	path_of(&ebgp16, ORIGIN "40 02 06 02 02 fd e8 5b a0 " NH "c0 12 06 fa 56 ea 01 0a 63",
		"65000 23456", BGP_ACT_DISCARD, 0);
	/* Between two 4-octet speakers AS4_* are discarded (RFC 6793 §3). */
	path_of(&ebgp, ORIGIN PATH_65000 NH "c0 11 06 02 01 fa 56 ea 01", "65000", BGP_ACT_DISCARD, 0);
	path_of(&ebgp, ORIGIN PATH_65000 NH "c0 12 08 fa 56 ea 01 0a 63 00 02", "65000", BGP_ACT_DISCARD, 0);
	/* 2-octet AGGREGATOR widened. */
	path_of(&ebgp16, ORIGIN "40 02 04 02 01 fd e8 " NH "c0 07 06 fd e9 0a 63 00 02", "65000",
		BGP_ACT_NONE, 65001);
}

/* ---- loops ---------------------------------------------------------------------------------- */

static void loops_become_withdrawals(void **state)
{
	struct bgp_neg rr = ibgp;
	struct bgp_update u;
	size_t n;

	/* RFC 4271 §9.1.2: our AS in the path. */
	n = update_hex(buf, sizeof(buf), "", ORIGIN "40 02 0a 02 02 00 00 fd e8 00 00 fc 00 " NH, NLRI_A);
	decodes_to(&ebgp, n, "-10.244.2.0/24", &u);
	assert_string_equal(u.loop, "AS_PATH contains our AS");
	assert_false(u.treat_as_withdraw);
	bgp_update_fini(&u);
	/* RFC 4456 §8: our own route reflected back (FRR as RR does that; GoBGP stamps it). */
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "80 09 04 0a 63 00 01", NLRI_A);
	decodes_to(&ibgp, n, "-10.244.2.0/24", &u);
	assert_string_equal(u.loop, "ORIGINATOR_ID is our BGP identifier");
	bgp_update_fini(&u);
	/* Our cluster id, when we reflect. */
	rr.cluster_id = 0x0a6300fe;
	n = update_hex(buf, sizeof(buf), "", ORIGIN PATH_EMPTY NH "80 0a 08 0a 63 00 07 0a 63 00 fe", NLRI_A);
	decodes_to(&rr, n, "-10.244.2.0/24", &u);
	assert_string_equal(u.loop, "CLUSTER_LIST contains our cluster id");
	bgp_update_fini(&u);
	decodes_to(&ibgp, n, "+10.244.2.0/24@10.99.0.2", &u);
	assert_null(u.loop);
	bgp_update_fini(&u);
}

/* ---- encoder -------------------------------------------------------------------------------- */

static void own_attrs(struct bgp_attrs *a, const char *nh4, const char *nh6, const char *ll)
{
	memset(a, 0, sizeof(*a));
	a->present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	a->origin = BGP_ORIGIN_IGP;
	if (nh4)
		a->nexthop = addr(nh4);
	if (nh6)
		a->mp_nexthop = addr(nh6);
	if (ll)
		a->mp_nexthop_ll = addr(ll);
}

static void encode_ipv4_exact_bytes(void **state)
{
	struct inet_prefix p[2] = { pfx("10.244.1.0/24"), pfx("10.244.9.0/24") };
	struct bgp_attrs a;
	struct bgp_update u;
	uint8_t want[128];
	size_t used, wn;
	int n;

	own_attrs(&a, "10.99.0.1", NULL, NULL);
	/* iBGP: ORIGIN IGP, empty AS_PATH, NEXT_HOP, LOCAL_PREF 100, then the NLRI. */
	n = bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV4, p, 2, buf, sizeof(buf), &used);
	wn = hexbytes("ffffffffffffffffffffffffffffffff 0034 02 0000 0015"
		      " 40010100 400200 4003040a630001 40050400000064 180af401 180af409", want, sizeof(want));
	assert_int_equal(n, wn);
	assert_int_equal(used, 2);
	assert_memory_equal(buf, want, wn);
	decodes_to(&ibgp, (size_t)n, "+10.244.1.0/24@10.99.0.1 +10.244.9.0/24@10.99.0.1", &u);
	bgp_update_fini(&u);
	/* eBGP: our AS prepended, no LOCAL_PREF (RFC 4271 §5.1.5). */
	assert_int_equal(bgp_aspath_prepend(&a, 64512), 0);
	n = bgp_update_encode_announce(&ebgp, &a, BGP_AF_IPV4, p, 1, buf, sizeof(buf), &used);
	wn = hexbytes("ffffffffffffffffffffffffffffffff 002f 02 0000 0014"
		      " 40010100 40020602010000fc00 4003040a630001 180af401", want, sizeof(want));
	assert_int_equal(n, wn);
	assert_memory_equal(buf, want, wn);
	bgp_attrs_fini(&a);
}

static void encode_ipv6(void **state)
{
	struct inet_prefix p = pfx("fd00:244:1::/64");
	struct bgp_attrs a;
	struct bgp_update u;
	size_t used;
	int n;

	/* 32-byte next hop, MP_REACH first with the extended-length flag. */
	own_attrs(&a, NULL, "fd00:99::1", "fe80::1");
	n = bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV6, &p, 1, buf, sizeof(buf), &used);
	assert_true(n > 0);
	assert_int_equal(buf[23], 0x90);
	assert_int_equal(buf[24], BGP_ATTR_MP_REACH);
	assert_int_equal(bgp_get16(buf + 25), 5 + 32 + 9);
	assert_int_equal(buf[30], 32);
	decodes_to(&ibgp, (size_t)n, "+fd00:244:1::/64@fd00:99::1%fe80::1", &u);
	assert_int_equal(u.attrs.local_pref, 100);
	bgp_update_fini(&u);
	/* 16 bytes without a link-local. */
	own_attrs(&a, NULL, "fd00:99::1", NULL);
	n = bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV6, &p, 1, buf, sizeof(buf), &used);
	assert_int_equal(buf[30], 16);
	decodes_to(&ibgp, (size_t)n, "+fd00:244:1::/64@fd00:99::1", &u);
	bgp_update_fini(&u);
	/* An IPv4 next hop for IPv6 routes goes IPv4-mapped, and comes back as IPv4. */
	own_attrs(&a, NULL, "10.99.0.1", NULL);
	n = bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV6, &p, 1, buf, sizeof(buf), &used);
	uint8_t mapped[16];
	hexbytes("00000000000000000000ffff0a630001", mapped, sizeof(mapped));
	assert_memory_equal(buf + 31, mapped, 16);
	decodes_to(&ibgp, (size_t)n, "+fd00:244:1::/64@10.99.0.1", &u);
	bgp_update_fini(&u);
}

static void encode_errors(void **state)
{
	struct inet_prefix v4 = pfx("10.244.1.0/24"), v6 = pfx("fd00::/64");
	struct bgp_attrs a;
	size_t used;

	own_attrs(&a, NULL, NULL, NULL);
	/* No next hop, or prefixes of the other family. */
	assert_int_equal(bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV4, &v4, 1, buf, sizeof(buf), &used), -EINVAL);
	assert_int_equal(bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV6, &v6, 1, buf, sizeof(buf), &used), -EINVAL);
	own_attrs(&a, "10.99.0.1", "fd00::1", NULL);
	assert_int_equal(bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV4, &v6, 1, buf, sizeof(buf), &used), -EINVAL);
	assert_int_equal(bgp_update_encode_withdraw(BGP_AF_IPV6, &v4, 1, buf, sizeof(buf), &used), -EINVAL);
	/* Too small a buffer. */
	assert_int_equal(bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV4, &v4, 1, buf, 40, &used), -EMSGSIZE);
	assert_int_equal(bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV4, &v4, 0, buf, sizeof(buf), &used), -EMSGSIZE);
	assert_int_equal(used, 0);
}

/* Announce or withdraw count prefixes of af; every message fits in 4096 bytes and together
 * they carry all prefixes in order. Returns the number of messages. */
static int pack_all(enum bgp_af af, bool withdraw, size_t count)
{
	struct inet_prefix *p = calloc(count, sizeof(*p));
	struct bgp_attrs a;
	size_t done = 0;
	int msgs = 0;

	own_attrs(&a, "10.99.0.1", "fd00:99::1", NULL);
	for (size_t i = 0; i < count; i++) {
		char s[64];

		if (af == BGP_AF_IPV4)
			snprintf(s, sizeof(s), "10.%zu.%zu.0/24", i / 256, i % 256);
		else
			snprintf(s, sizeof(s), "fd00:%zx:%zx::/64", i / 256, i % 256);
		p[i] = pfx(s);
	}
	while (done < count) {
		struct bgp_update u;
		struct bgp_err e;
		size_t used;
		int n = withdraw ? bgp_update_encode_withdraw(af, p + done, count - done, buf, sizeof(buf), &used)
				 : bgp_update_encode_announce(&ibgp, &a, af, p + done, count - done, buf,
							      sizeof(buf), &used);

		assert_true(n > 0 && n <= BGP_MAX_LEN);
		assert_true(used > 0);
		/* Packed: the next prefix would not have fitted. */
		if (done + used < count)
			assert_true((size_t)n + bgp_nlri_size(&p[done + used]) > BGP_MAX_LEN);
		assert_int_equal(bgp_msg_frame(buf, (size_t)n, &e), n);
		assert_int_equal(bgp_update_decode(&ibgp, buf, (size_t)n, &u, &e), 0);
		assert_int_equal(e.action, BGP_ACT_NONE);
		assert_int_equal(u.n_lists, 1);
		assert_int_equal(u.lists[0].withdraw, withdraw);
		assert_int_equal(u.lists[0].n, used);
		for (size_t i = 0; i < used; i++)
			assert_memory_equal(&u.lists[0].pfx[i], &p[done + i], sizeof(p[0]));
		bgp_update_fini(&u);
		done += used;
		msgs++;
	}
	free(p);
	return msgs;
}

static void encode_packs_within_4096(void **state)
{
	/* IPv4 /24: 4 bytes each; 4096 - 23 - 21 bytes of attributes = 1013 per UPDATE. */
	assert_int_equal(pack_all(BGP_AF_IPV4, false, 3000), 3);
	/* IPv6 /64: 9 bytes each. */
	assert_int_equal(pack_all(BGP_AF_IPV6, false, 1000), 3);
	assert_int_equal(pack_all(BGP_AF_IPV4, true, 3000), 3);
	assert_int_equal(pack_all(BGP_AF_IPV6, true, 1000), 3);
	assert_int_equal(pack_all(BGP_AF_IPV4, false, 1), 1);
}

static void encode_for_old_speaker(void **state)
{
	struct inet_prefix p = pfx("10.244.1.0/24");
	struct bgp_attrs a;
	struct bgp_update u;
	struct bgp_neg to_old = ebgp16, from_new = ebgp16;
	char s[64];
	size_t used;
	int n;

	/* We are AS 4200000001 talking to an OLD speaker: AS_PATH [AS_TRANS] + AS4_PATH. */
	to_old.local_as = 4200000001u;
	own_attrs(&a, "10.99.0.1", NULL, NULL);
	assert_int_equal(bgp_aspath_prepend(&a, 4200000001u), 0);
	a.present |= BGP_ATTR_BIT(BGP_ATTR_AGGREGATOR);
	a.aggregator_as = 4200000001u;
	a.aggregator_id = 0x0a630001;
	n = bgp_update_encode_announce(&to_old, &a, BGP_AF_IPV4, &p, 1, buf, sizeof(buf), &used);
	uint8_t want[128];
	size_t wn = hexbytes("40010100 400204 0201 5ba0 4003040a630001 c00706 5ba0 0a630001"
			     " c01106 0201 fa56ea01 c01208 fa56ea01 0a630001 180af401", want, sizeof(want));
	assert_int_equal(n, 23 + wn);
	assert_memory_equal(buf + 23, want, wn);
	/* The OLD speaker's peer (us, on a 2-octet session) reconstructs it. */
	from_new.enforce_first_as = false;
	decodes_to(&from_new, (size_t)n, "+10.244.1.0/24@10.99.0.1", &u);
	bgp_aspath_fmt(u.attrs.aspath, u.attrs.aspath_len, s, sizeof(s));
	assert_string_equal(s, "4200000001");
	assert_int_equal(u.attrs.aggregator_as, 4200000001u);
	bgp_update_fini(&u);
	bgp_attrs_fini(&a);
}

static void encode_extended_length_and_lists(void **state)
{
	struct inet_prefix p = pfx("10.244.1.0/24");
	struct bgp_attrs a, copy;
	struct bgp_update u;
	uint32_t comm[100];
	size_t used;
	int n;

	own_attrs(&a, "10.99.0.1", NULL, NULL);
	for (size_t i = 0; i < 100; i++)
		comm[i] = 0xfde80000u + (uint32_t)i;
	a.communities = comm;
	a.n_communities = 100;
	a.present |= BGP_ATTR_BIT(BGP_ATTR_COMMUNITIES) | BGP_ATTR_BIT(BGP_ATTR_MED) |
		     BGP_ATTR_BIT(BGP_ATTR_ORIGINATOR_ID) | BGP_ATTR_BIT(BGP_ATTR_ATOMIC_AGGREGATE);
	a.med = 7;
	a.originator_id = 0x0a630009;
	n = bgp_update_encode_announce(&ibgp, &a, BGP_AF_IPV4, &p, 1, buf, sizeof(buf), &used);
	assert_true(n > 400);
	decodes_to(&ibgp, (size_t)n, "+10.244.1.0/24@10.99.0.1", &u);
	assert_int_equal(u.attrs.n_communities, 100);
	assert_memory_equal(u.attrs.communities, comm, sizeof(comm));
	assert_int_equal(u.attrs.med, 7);
	assert_int_equal(u.attrs.originator_id, 0x0a630009);
	assert_true(bgp_attrs_has(&u.attrs, BGP_ATTR_ATOMIC_AGGREGATE));
	/* A deep copy survives the original. */
	assert_int_equal(bgp_attrs_dup(&copy, &u.attrs), 0);
	bgp_update_fini(&u);
	assert_int_equal(copy.communities[99], 0xfde80063u);
	bgp_attrs_fini(&copy);
	bgp_attrs_fini(NULL);
	/* The extended-length flag was used for the 400-byte COMMUNITIES. */
	bool found = false;
	for (int i = 23; i + 4 < n; i++)
		if (buf[i] == 0xd0 && buf[i + 1] == BGP_ATTR_COMMUNITIES && bgp_get16(buf + i + 2) == 400)
			found = true;
	assert_true(found);
	/* ORIGINATOR_ID is not sent to external peers. */
	n = bgp_update_encode_announce(&ebgp, &a, BGP_AF_IPV4, &p, 1, buf, sizeof(buf), &used);
	a.communities = NULL;
	struct bgp_neg any = ebgp;
	any.enforce_first_as = false;
	decodes_to(&any, (size_t)n, "+10.244.1.0/24@10.99.0.1", &u);
	assert_false(bgp_attrs_has(&u.attrs, BGP_ATTR_ORIGINATOR_ID));
	assert_false(bgp_attrs_has(&u.attrs, BGP_ATTR_LOCAL_PREF));
	bgp_update_fini(&u);
}

static void aspath_helpers(void **state)
{
	struct bgp_attrs a = { 0 };
	const char *why;
	uint32_t first;
	char s[32];

	assert_int_equal(bgp_aspath_prepend(&a, 65000), 0);
	assert_int_equal(bgp_aspath_prepend(&a, 64512), 0);
	assert_int_equal(a.aspath_len, 10);
	bgp_aspath_fmt(a.aspath, a.aspath_len, s, sizeof(s));
	assert_string_equal(s, "64512 65000");
	assert_true(bgp_aspath_first(a.aspath, a.aspath_len, &first));
	assert_int_equal(first, 64512);
	assert_true(bgp_aspath_contains(a.aspath, a.aspath_len, 65000));
	assert_false(bgp_aspath_contains(a.aspath, a.aspath_len, 65001));
	assert_int_equal(bgp_aspath_length(a.aspath, a.aspath_len), 2);
	/* A full segment starts a new one. */
	for (int i = 0; i < 300; i++)
		assert_int_equal(bgp_aspath_prepend(&a, 1), 0);
	assert_true(bgp_aspath_valid(a.aspath, a.aspath_len, 4, &why));
	assert_int_equal(bgp_aspath_length(a.aspath, a.aspath_len), 302);
	/* Formatting is cut, terminated and marked. */
	bgp_aspath_fmt(a.aspath, a.aspath_len, s, sizeof(s));
	assert_int_equal(strlen(s), sizeof(s) - 1);
	assert_string_equal(s + sizeof(s) - 4, "...");
	bgp_attrs_fini(&a);
	assert_false(bgp_aspath_first(NULL, 0, &first));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bird_ipv4_reflected),
		cmocka_unit_test(bird_ipv6_32_byte_next_hop),
		cmocka_unit_test(frr_ipv4_ext_length_as_path),
		cmocka_unit_test(gobgp_ipv4_mapped_next_hop),
		cmocka_unit_test(withdrawals_and_mixed),
		cmocka_unit_test(end_of_rib),
		cmocka_unit_test(families_not_negotiated_are_ignored),
		cmocka_unit_test(structure_errors),
		cmocka_unit_test(origin_errors),
		cmocka_unit_test(as_path_errors),
		cmocka_unit_test(next_hop_errors),
		cmocka_unit_test(missing_well_known),
		cmocka_unit_test(optional_attribute_errors),
		cmocka_unit_test(mp_errors),
		cmocka_unit_test(mp_next_hop_policy),
		cmocka_unit_test(unknown_and_duplicate_attributes),
		cmocka_unit_test(framing_errors),
		cmocka_unit_test(strongest_action_wins),
		cmocka_unit_test(as4_reconstruction),
		cmocka_unit_test(loops_become_withdrawals),
		cmocka_unit_test(encode_ipv4_exact_bytes),
		cmocka_unit_test(encode_ipv6),
		cmocka_unit_test(encode_errors),
		cmocka_unit_test(encode_packs_within_4096),
		cmocka_unit_test(encode_for_old_speaker),
		cmocka_unit_test(encode_extended_length_and_lists),
		cmocka_unit_test(aspath_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
