/* BGP path attributes (RFC 4271 §4.3, §5): decoding an UPDATE's attribute block with the
 * RFC 7606 error handling (one function decides, per attribute, between attribute discard,
 * treat-as-withdraw and session reset), AS4_PATH merging for 2-octet peers (RFC 6793),
 * MP_REACH/MP_UNREACH framing (RFC 4760), encoding our own attributes, AS_PATH helpers and the
 * loop checks of RFC 4271 §9.1.2 and RFC 4456 §8. */
#ifndef WEFTD_BGP_ATTR_H
#define WEFTD_BGP_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp_msg.h"
#include "inet.h"

enum {
	BGP_ATTR_ORIGIN = 1,
	BGP_ATTR_AS_PATH = 2,
	BGP_ATTR_NEXT_HOP = 3,
	BGP_ATTR_MED = 4,
	BGP_ATTR_LOCAL_PREF = 5,
	BGP_ATTR_ATOMIC_AGGREGATE = 6,
	BGP_ATTR_AGGREGATOR = 7,
	BGP_ATTR_COMMUNITIES = 8,    /* RFC 1997 */
	BGP_ATTR_ORIGINATOR_ID = 9,  /* RFC 4456 */
	BGP_ATTR_CLUSTER_LIST = 10,  /* RFC 4456 */
	BGP_ATTR_MP_REACH = 14,      /* RFC 4760 */
	BGP_ATTR_MP_UNREACH = 15,    /* RFC 4760 */
	BGP_ATTR_AS4_PATH = 17,      /* RFC 6793 */
	BGP_ATTR_AS4_AGGREGATOR = 18,/* RFC 6793 */
};

/* Attribute Flags (RFC 4271 §4.3). */
#define BGP_ATTR_F_OPTIONAL 0x80
#define BGP_ATTR_F_TRANSITIVE 0x40
#define BGP_ATTR_F_PARTIAL 0x20
#define BGP_ATTR_F_EXTLEN 0x10

enum { BGP_ORIGIN_IGP = 0, BGP_ORIGIN_EGP = 1, BGP_ORIGIN_INCOMPLETE = 2 };
enum { BGP_SEG_SET = 1, BGP_SEG_SEQUENCE = 2, BGP_SEG_CONFED_SEQUENCE = 3, BGP_SEG_CONFED_SET = 4 };

#define BGP_LOCAL_PREF_DEFAULT 100
#define BGP_ATTR_BIT(code) (UINT64_C(1) << (code))

/* What the codec needs to know about the session (fixed once the OPENs are exchanged). */
struct bgp_neg {
	bool as4;              /* both sides sent the 4-octet AS capability (RFC 6793) */
	bool ebgp;             /* peer AS differs from ours */
	bool enforce_first_as; /* eBGP routes must start with the peer's AS (RFC 4271 §6.3) */
	uint8_t afs;           /* BGP_AF_BIT()s both sides advertised (RFC 4760) */
	uint32_t local_as, peer_as;
	uint32_t local_id;     /* our BGP Identifier: ORIGINATOR_ID loop check (RFC 4456 §8) */
	uint32_t cluster_id;   /* CLUSTER_LIST loop check when we reflect routes; 0 = we don't */
};

/* Decoded path attributes. present has BGP_ATTR_BIT(code) for each attribute held. Variable
 * parts are heap copies owned by the struct (bgp_attrs_fini). */
struct bgp_attrs {
	uint64_t present;
	uint8_t origin;
	uint8_t *aspath;            /* segments with 4-octet ASNs, after the AS4_PATH merge */
	size_t aspath_len;
	struct inet_addr nexthop;   /* NEXT_HOP (IPv4 NLRI in the classic field) */
	uint32_t med;
	uint32_t local_pref;
	uint32_t aggregator_as, aggregator_id;
	uint32_t *communities;
	size_t n_communities;
	uint32_t originator_id;
	uint32_t *cluster_list;
	size_t n_cluster_list;
	/* MP_REACH_NLRI next hop (RFC 4760 §3, RFC 2545 §3): the global address, or IPv4 for an
	 * IPv4-mapped ::ffff:a.b.c.d; the link-local one of a 32-byte next hop, or of a
	 * link-local-only one. Either may be unset (family 0). */
	struct inet_addr mp_nexthop, mp_nexthop_ll;
	/* Optional transitive attributes we do not recognize, as received (flags, code, length,
	 * value), to be passed on with the Partial bit set (RFC 4271 §5). */
	uint8_t *unknown;
	size_t unknown_len;
};

static inline bool bgp_attrs_has(const struct bgp_attrs *a, unsigned code)
{
	return code < 64 && (a->present & BGP_ATTR_BIT(code));
}
void bgp_attrs_fini(struct bgp_attrs *a);
/* Deep copy; 0 or -ENOMEM (dst is then empty). */
int bgp_attrs_dup(struct bgp_attrs *dst, const struct bgp_attrs *src);

/* ---- decoding one attribute block ---------------------------------------------------------- */

/* An MP_REACH_NLRI or MP_UNREACH_NLRI found in the block. */
struct bgp_attr_mp {
	bool present;
	int af;               /* enum bgp_af, or -1: a family not negotiated, ignored */
	const uint8_t *nlri;  /* the <length, prefix> run, inside the message */
	size_t nlri_len;
	int count;            /* prefixes in it (validated) */
};

struct bgp_attr_parse {
	const struct bgp_neg *neg;  /* in */
	bool classic_nlri;          /* in: the UPDATE carries NLRI in its own field */
	struct bgp_attrs *a;        /* out (zeroed by bgp_attrs_decode) */
	struct bgp_attr_mp reach, unreach; /* out */
	bool others;                /* out: attributes other than MP_UNREACH were present */
	struct bgp_err *err;        /* out: NONE, DISCARD, WITHDRAW or RESET */
};

/* Decode the path attributes p[0..len). Returns 0 (s->err says whether something was
 * discarded or the UPDATE is to be treated as withdraw), -EBADMSG for a session reset
 * (s->err holds the NOTIFICATION), or -ENOMEM. s->a is filled even on error and must be
 * released with bgp_attrs_fini. */
int bgp_attrs_decode(struct bgp_attr_parse *s, const uint8_t *p, size_t len);

/* Encode a's attributes for neg's peer, in type order (RFC 4271 §5), except MP_REACH_NLRI and
 * MP_UNREACH_NLRI which the UPDATE encoder writes first (RFC 7606 §5.1). ORIGIN and AS_PATH
 * always; NEXT_HOP when with_nexthop (a->nexthop must be IPv4); LOCAL_PREF to internal peers
 * only (100 unless set, RFC 4271 §5.1.5); ORIGINATOR_ID and CLUSTER_LIST to internal peers only
 * (RFC 4456 §8); AS_PATH and AGGREGATOR in 2-octet form with AS4_PATH/AS4_AGGREGATOR for a peer
 * without the 4-octet capability (RFC 6793 §4.2.2); unknown transitive attributes with the
 * Partial bit. Returns the length or -EMSGSIZE / -EINVAL. */
int bgp_attrs_encode(const struct bgp_neg *neg, const struct bgp_attrs *a, bool with_nexthop,
		     uint8_t *buf, size_t cap);
/* Write an attribute header (extended length when len > 255); returns its size, 3 or 4. */
size_t bgp_attr_header(uint8_t *buf, uint8_t flags, uint8_t code, size_t len);

/* Routing loops (RFC 4271 §9.1.2: our AS in the AS_PATH; RFC 4456 §8: our BGP Identifier as
 * ORIGINATOR_ID, our cluster id in the CLUSTER_LIST). NULL, or why the route loops. */
const char *bgp_attrs_loop(const struct bgp_attrs *a, const struct bgp_neg *neg);

/* ---- AS_PATH (segments of 4-octet ASNs) ---------------------------------------------------- */

/* RFC 7606 §7.2: known segment types, non-empty segments, no overrun or underrun; asn_size is 2
 * or 4. why (may be NULL) gets the reason. */
bool bgp_aspath_valid(const uint8_t *p, size_t len, unsigned asn_size, const char **why);
/* The length for best-path selection: an AS_SET counts 1 (RFC 4271 §9.1.2.2 a), confederation
 * segments 0 (RFC 5065 §5.3). */
unsigned bgp_aspath_length(const uint8_t *p, size_t len);
bool bgp_aspath_contains(const uint8_t *p, size_t len, uint32_t as);
/* The leftmost AS when the path starts with an AS_SEQUENCE. */
bool bgp_aspath_first(const uint8_t *p, size_t len, uint32_t *as);
/* Prepend as to a's AS_PATH (RFC 4271 §5.1.2, sending to an external peer). 0 or -ENOMEM. */
int bgp_aspath_prepend(struct bgp_attrs *a, uint32_t as);
/* "64512 65000 {1 2} (65001)"; always NUL-terminated, "..." when cut. */
void bgp_aspath_fmt(const uint8_t *p, size_t len, char *buf, size_t buflen);

#endif
