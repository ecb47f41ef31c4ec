/* BGP path attributes (bgp_attr.h). attr_fault() is the one place that decides what a fault
 * in a received attribute costs (RFC 7606 §2-§7); the per-attribute decoders only detect and
 * cite the clause that makes the value wrong. */
#include "bgp_attr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define O BGP_ATTR_F_OPTIONAL
#define T BGP_ATTR_F_TRANSITIVE

/* The attributes Weft recognizes, with the Optional and Transitive bits their specifications
 * fix. Anything else is "unrecognized" in the sense of RFC 4271 §5. */
static const struct {
	const char *name;
	uint8_t flags;
} attr_desc[] = {
	[BGP_ATTR_ORIGIN] = { "ORIGIN", T },
	[BGP_ATTR_AS_PATH] = { "AS_PATH", T },
	[BGP_ATTR_NEXT_HOP] = { "NEXT_HOP", T },
	[BGP_ATTR_MED] = { "MULTI_EXIT_DISC", O },
	[BGP_ATTR_LOCAL_PREF] = { "LOCAL_PREF", T },
	[BGP_ATTR_ATOMIC_AGGREGATE] = { "ATOMIC_AGGREGATE", T },
	[BGP_ATTR_AGGREGATOR] = { "AGGREGATOR", O | T },
	[BGP_ATTR_COMMUNITIES] = { "COMMUNITIES", O | T },
	[BGP_ATTR_ORIGINATOR_ID] = { "ORIGINATOR_ID", O },
	[BGP_ATTR_CLUSTER_LIST] = { "CLUSTER_LIST", O },
	[BGP_ATTR_MP_REACH] = { "MP_REACH_NLRI", O },
	[BGP_ATTR_MP_UNREACH] = { "MP_UNREACH_NLRI", O },
	[BGP_ATTR_AS4_PATH] = { "AS4_PATH", O | T },
	[BGP_ATTR_AS4_AGGREGATOR] = { "AS4_AGGREGATOR", O | T },
};

static const char *attr_name(uint8_t code)
{
	return code < sizeof(attr_desc) / sizeof(attr_desc[0]) ? attr_desc[code].name : NULL;
}

void bgp_attrs_fini(struct bgp_attrs *a)
{
	if (!a)
		return;
	free(a->aspath);
	free(a->communities);
	free(a->cluster_list);
	free(a->unknown);
	memset(a, 0, sizeof(*a));
}

static void *memdup(const void *p, size_t len)
{
	void *q;

	if (!len)
		return NULL;
	q = malloc(len);
	if (q)
		memcpy(q, p, len);
	return q;
}

int bgp_attrs_dup(struct bgp_attrs *dst, const struct bgp_attrs *src)
{
	*dst = *src;
	dst->aspath = memdup(src->aspath, src->aspath_len);
	dst->communities = memdup(src->communities, src->n_communities * 4);
	dst->cluster_list = memdup(src->cluster_list, src->n_cluster_list * 4);
	dst->unknown = memdup(src->unknown, src->unknown_len);
	if ((src->aspath_len && !dst->aspath) || (src->n_communities && !dst->communities) ||
	    (src->n_cluster_list && !dst->cluster_list) || (src->unknown_len && !dst->unknown)) {
		bgp_attrs_fini(dst);
		return -ENOMEM;
	}
	return 0;
}

/* ---- AS_PATH -------------------------------------------------------------------------------- */

bool bgp_aspath_valid(const uint8_t *p, size_t len, unsigned asn_size, const char **why)
{
	const char *dummy;
	size_t off = 0;

	if (!why)
		why = &dummy;
	while (off < len) {
		uint8_t type, n;

		/* RFC 7606 §7.2: a single octet left cannot hold a segment header (underrun). */
		if (len - off < 2) {
			*why = "segment header cut short";
			return false;
		}
		type = p[off];
		n = p[off + 1];
		if (type < BGP_SEG_SET || type > BGP_SEG_CONFED_SET) {
			*why = "unknown segment type";
			return false;
		}
		if (n == 0) {
			*why = "empty segment";
			return false;
		}
		off += 2;
		if ((size_t)n * asn_size > len - off) {
			*why = "segment runs past the attribute";
			return false;
		}
		off += (size_t)n * asn_size;
	}
	return true;
}

unsigned bgp_aspath_length(const uint8_t *p, size_t len)
{
	unsigned total = 0;

	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)p[off + 1] * 4) {
		if (p[off] == BGP_SEG_SEQUENCE)
			total += p[off + 1];
		else if (p[off] == BGP_SEG_SET)
			total += 1;
	}
	return total;
}

bool bgp_aspath_contains(const uint8_t *p, size_t len, uint32_t as)
{
	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)p[off + 1] * 4)
		for (size_t i = 0; i < p[off + 1] && off + 2 + i * 4 + 4 <= len; i++)
			if (bgp_get32(p + off + 2 + i * 4) == as)
				return true;
	return false;
}

bool bgp_aspath_first(const uint8_t *p, size_t len, uint32_t *as)
{
	if (len < 6 || p[0] != BGP_SEG_SEQUENCE || p[1] == 0)
		return false;
	*as = bgp_get32(p + 2);
	return true;
}

int bgp_aspath_prepend(struct bgp_attrs *a, uint32_t as)
{
	bool join = a->aspath_len >= 2 && a->aspath[0] == BGP_SEG_SEQUENCE && a->aspath[1] < 255;
	size_t len = a->aspath_len + (join ? 4 : 6);
	uint8_t *p = malloc(len);

	if (!p)
		return -ENOMEM;
	if (join) {
		p[0] = BGP_SEG_SEQUENCE;
		p[1] = (uint8_t)(a->aspath[1] + 1);
		bgp_put32(p + 2, as);
		memcpy(p + 6, a->aspath + 2, a->aspath_len - 2);
	} else {
		p[0] = BGP_SEG_SEQUENCE;
		p[1] = 1;
		bgp_put32(p + 2, as);
		if (a->aspath_len)
			memcpy(p + 6, a->aspath, a->aspath_len);
	}
	free(a->aspath);
	a->aspath = p;
	a->aspath_len = len;
	a->present |= BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	return 0;
}

void bgp_aspath_fmt(const uint8_t *p, size_t len, char *buf, size_t buflen)
{
	static const char *const open[] = { "", "{", "", "(", "[" }, *const close[] = { "", "}", "", ")", "]" };
	size_t off = 0;

	if (!buflen)
		return;
	buf[0] = '\0';
	for (size_t s = 0; s + 2 <= len; s += 2 + (size_t)p[s + 1] * 4) {
		uint8_t type = p[s] <= BGP_SEG_CONFED_SET ? p[s] : 0;
		int n = snprintf(buf + off, buflen - off, "%s%s", off ? " " : "", open[type]);

		if (n < 0 || (size_t)n >= buflen - off)
			goto cut;
		off += (size_t)n;
		for (size_t i = 0; i < p[s + 1] && s + 2 + i * 4 + 4 <= len; i++) {
			n = snprintf(buf + off, buflen - off, "%s%u", i ? " " : "",
				     bgp_get32(p + s + 2 + i * 4));
			if (n < 0 || (size_t)n >= buflen - off)
				goto cut;
			off += (size_t)n;
		}
		n = snprintf(buf + off, buflen - off, "%s", close[type]);
		if (n < 0 || (size_t)n >= buflen - off)
			goto cut;
		off += (size_t)n;
	}
	return;
cut:
	if (buflen >= 4)
		memcpy(buf + buflen - 4, "...", 4);
	else
		buf[buflen - 1] = '\0';
}

/* A validated path of 2-octet ASNs in 4-octet form. */
static uint8_t *aspath_widen(const uint8_t *p, size_t len, size_t *out_len)
{
	size_t n_as = 0, off, o = 0;
	uint8_t *q;

	for (off = 0; off < len; off += 2 + (size_t)p[off + 1] * 2)
		n_as += p[off + 1];
	*out_len = len + n_as * 2;
	q = malloc(*out_len ? *out_len : 1);
	if (!q)
		return NULL;
	for (off = 0; off < len; off += 2 + (size_t)p[off + 1] * 2) {
		q[o++] = p[off];
		q[o++] = p[off + 1];
		for (size_t i = 0; i < p[off + 1]; i++, o += 4)
			bgp_put32(q + o, bgp_get16(p + off + 2 + i * 2));
	}
	return q;
}

/* ---- the decision: what a fault costs --------------------------------------------------------- */

enum fault {
	FAULT_FRAMING,           /* an attribute header or value runs past the block */
	FAULT_DUPLICATE,         /* the attribute appeared before */
	FAULT_UNKNOWN_WELLKNOWN, /* unrecognized, Optional bit clear */
	FAULT_FLAGS,             /* Optional/Transitive bits differ from the specification */
	FAULT_LENGTH,            /* length wrong for the type */
	FAULT_VALUE,             /* malformed content */
	FAULT_NEXTHOP,           /* a next hop that is no unicast host address */
	FAULT_MISSING,           /* a well-known mandatory attribute is absent */
	FAULT_FIRST_AS,          /* eBGP route whose AS_PATH does not start with the peer's AS */
	FAULT_EBGP,              /* an internal-only attribute from an external peer */
	FAULT_NEW_SPEAKER,       /* AS4_PATH / AS4_AGGREGATOR between two 4-octet speakers */
};

/* The one function that decides. RFC 4271 §6.3 gives every fault its NOTIFICATION (code 3,
 * subcode, data); RFC 7606 then says which of those still reset the session and which
 * become treat-as-withdraw or attribute discard. attr/attr_len is the whole attribute
 * (flags, type, length, value): the Data field RFC 4271 §6.3 asks for. */
static void attr_fault(struct bgp_attr_parse *s, uint8_t code, enum fault f, const uint8_t *attr,
		       size_t attr_len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void attr_fault(struct bgp_attr_parse *s, uint8_t code, enum fault f, const uint8_t *attr,
		       size_t attr_len, const char *fmt, ...)
{
	enum bgp_action act = BGP_ACT_RESET;
	uint8_t sub = BGP_UPD_OPT_ATTR, one = code;
	const char *rule = "RFC 4271 §6.3";
	const char *name = attr_name(code);
	char what[112], nbuf[16];
	va_list ap;

	switch (f) {
	case FAULT_FRAMING:
		/* RFC 7606 §4: both framing cases are treat-as-withdraw; the Total Attribute Length
		 * still locates the NLRI. */
		act = BGP_ACT_WITHDRAW, sub = BGP_UPD_MALFORMED_ATTRS, rule = "RFC 7606 §4";
		attr_len = 0;
		break;
	case FAULT_DUPLICATE:
		/* RFC 7606 §3 (g): a repeated MP_REACH/MP_UNREACH is Malformed Attribute List; any
		 * other repeat is discarded, the first occurrence kept. */
		sub = BGP_UPD_MALFORMED_ATTRS, rule = "RFC 7606 §3 (g)";
		act = (code == BGP_ATTR_MP_REACH || code == BGP_ATTR_MP_UNREACH) ? BGP_ACT_RESET
										 : BGP_ACT_DISCARD;
		attr_len = 0;
		break;
	case FAULT_UNKNOWN_WELLKNOWN:
		/* RFC 4271 §6.3, not revised by RFC 7606: data = the unrecognized attribute. */
		act = BGP_ACT_RESET, sub = BGP_UPD_UNKNOWN_WELLKNOWN, rule = "RFC 4271 §6.3";
		break;
	case FAULT_MISSING:
		/* RFC 7606 §3 (d); RFC 4271 §6.3's data would be the missing type code. */
		act = BGP_ACT_WITHDRAW, sub = BGP_UPD_MISSING_WELLKNOWN, rule = "RFC 7606 §3 (d)";
		attr = &one, attr_len = 1;
		break;
	case FAULT_FIRST_AS:
		/* RFC 4271 §6.3 (Malformed AS_PATH); RFC 7606 §7.2: SHOULD treat-as-withdraw. */
		act = BGP_ACT_WITHDRAW, sub = BGP_UPD_BAD_ASPATH, rule = "RFC 7606 §7.2";
		break;
	case FAULT_EBGP:
		/* RFC 7606 §7.5, §7.9, §7.10: from an external peer these are discarded. */
		act = BGP_ACT_DISCARD, rule = "RFC 7606 §7.5/§7.9/§7.10";
		break;
	case FAULT_NEW_SPEAKER:
		/* RFC 6793 §3: AS4_* between NEW speakers are discarded. */
		act = BGP_ACT_DISCARD, rule = "RFC 6793 §3";
		break;
	case FAULT_FLAGS:
	case FAULT_LENGTH:
	case FAULT_VALUE:
	case FAULT_NEXTHOP:
		sub = f == FAULT_FLAGS ? BGP_UPD_ATTR_FLAGS
		    : f == FAULT_LENGTH ? BGP_UPD_ATTR_LEN
		    : f == FAULT_NEXTHOP ? BGP_UPD_BAD_NEXTHOP : BGP_UPD_OPT_ATTR;
		switch (code) {
		case BGP_ATTR_ORIGIN:
			if (f == FAULT_VALUE)
				sub = BGP_UPD_BAD_ORIGIN;
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §7.1";
			break;
		case BGP_ATTR_AS_PATH:
			if (f == FAULT_VALUE)
				sub = BGP_UPD_BAD_ASPATH;
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §7.2";
			break;
		case BGP_ATTR_NEXT_HOP:
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §7.3";
			break;
		case BGP_ATTR_MED:
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §7.4";
			break;
		case BGP_ATTR_LOCAL_PREF:
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §7.5";
			break;
		case BGP_ATTR_ATOMIC_AGGREGATE:
			act = BGP_ACT_DISCARD, rule = "RFC 7606 §7.6";
			break;
		case BGP_ATTR_AGGREGATOR:
			act = BGP_ACT_DISCARD, rule = "RFC 7606 §7.7";
			break;
		case BGP_ATTR_COMMUNITIES:
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §7.8";
			break;
		case BGP_ATTR_ORIGINATOR_ID:
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §7.9";
			break;
		case BGP_ATTR_CLUSTER_LIST:
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §7.10";
			break;
		case BGP_ATTR_MP_REACH:
		case BGP_ATTR_MP_UNREACH:
			/* RFC 7606 §7.11, §5.3 and RFC 4760 §7: an incorrect MP attribute hides the
			 * NLRI, so session reset (we do not implement AFI/SAFI disable), as
			 * Optional Attribute Error. A next hop that parses but is no usable address
			 * leaves the NLRI readable: the routes are ignored (RFC 4271 §6.3). */
			if (f == FAULT_NEXTHOP) {
				act = BGP_ACT_WITHDRAW, rule = "RFC 4271 §6.3";
			} else {
				act = BGP_ACT_RESET, rule = "RFC 7606 §7.11";
				if (f != FAULT_FLAGS)
					sub = BGP_UPD_OPT_ATTR;
			}
			break;
		case BGP_ATTR_AS4_PATH:
		case BGP_ATTR_AS4_AGGREGATOR:
			/* RFC 6793 §6: a malformed AS4_PATH or AS4_AGGREGATOR is discarded. */
			act = BGP_ACT_DISCARD, rule = "RFC 6793 §6";
			break;
		default:
			/* RFC 7606 §3 (c) default for recognized attributes. */
			act = BGP_ACT_WITHDRAW, rule = "RFC 7606 §3 (c)";
			break;
		}
		if (f == FAULT_NEXTHOP && code == BGP_ATTR_NEXT_HOP)
			rule = "RFC 4271 §6.3, RFC 7606 §3 (e)";
		break;
	}
	if (!name) {
		snprintf(nbuf, sizeof(nbuf), "attribute %u", code);
		name = nbuf;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	bgp_err_set(s->err, act, BGP_ERR_UPDATE, sub, attr, attr_len, "%s: %s (%s: %s)", name, what,
		    rule,
		    act == BGP_ACT_RESET ? "session reset"
		    : act == BGP_ACT_WITHDRAW ? "treat-as-withdraw" : "attribute discard");
}

/* ---- per-attribute decoders --------------------------------------------------------------------- */

struct parse {
	struct bgp_attr_parse *s;
	uint8_t seen[32];          /* one bit per type code */
	uint8_t *as4_path;         /* AS4_PATH, confederation segments removed (heap) */
	size_t as4_path_len;
	bool as4_agg;
	uint32_t as4_agg_as, as4_agg_id;
	bool nomem;
};

/* One attribute: a points at its flags octet, hlen is the header size, v/len its value. */
struct attr {
	const uint8_t *a;
	size_t hlen, len;
	const uint8_t *v;
	uint8_t flags, code;
};

/* Report fault f about attribute x and leave the decoder. */
#define FAIL(p, x, f, ...)                                                                  \
	do {                                                                                \
		attr_fault((p)->s, (x)->code, f, (x)->a, (x)->hlen + (x)->len, __VA_ARGS__); \
		return;                                                                     \
	} while (0)

static void set_present(struct parse *p, uint8_t code)
{
	p->s->a->present |= BGP_ATTR_BIT(code);
}

/* An IPv4 next hop must be a unicast host address (RFC 4271 §6.3: syntactically correct): not
 * 0/8, loopback, multicast, class E or the limited broadcast. */
static bool ipv4_host(const uint8_t *b)
{
	return b[0] != 0 && b[0] != 127 && b[0] < 224;
}

static void dec_origin(struct parse *p, const struct attr *x)
{
	/* RFC 4271 §5.1.1 / RFC 7606 §7.1: length 1, value IGP, EGP or INCOMPLETE. */
	if (x->len != 1)
		FAIL(p, x, FAULT_LENGTH, "length %zu, 1 expected", x->len);
	if (x->v[0] > BGP_ORIGIN_INCOMPLETE)
		FAIL(p, x, FAULT_VALUE, "undefined value %u", x->v[0]);
	p->s->a->origin = x->v[0];
	set_present(p, x->code);
}

static void dec_as_path(struct parse *p, const struct attr *x)
{
	const struct bgp_neg *neg = p->s->neg;
	unsigned size = neg->as4 ? 4 : 2;
	struct bgp_attrs *a = p->s->a;
	const char *why;
	uint8_t *path;
	size_t len;

	/* RFC 7606 §7.2: unknown segment type, empty segment, overrun or underrun. */
	if (!bgp_aspath_valid(x->v, x->len, size, &why))
		FAIL(p, x, FAULT_VALUE, "%s", why);
	if (size == 2) {
		path = aspath_widen(x->v, x->len, &len);
	} else {
		len = x->len;
		path = malloc(len ? len : 1);
		if (path)
			memcpy(path, x->v, len);
	}
	if (!path) {
		p->nomem = true;
		return;
	}
	for (size_t off = 0; off < len; off += 2 + (size_t)path[off + 1] * 4) {
		/* RFC 5065 §5: confederation segments from outside the confederation (we are in
		 * none) are a Malformed AS_PATH. */
		if (neg->ebgp && (path[off] == BGP_SEG_CONFED_SEQUENCE || path[off] == BGP_SEG_CONFED_SET)) {
			free(path);
			FAIL(p, x, FAULT_VALUE, "confederation segment from an external peer");
		}
		/* RFC 7607 §2: AS 0 in the AS_PATH makes the attribute malformed. */
		for (size_t i = 0; i < path[off + 1]; i++) {
			if (bgp_get32(path + off + 2 + i * 4) == 0) {
				free(path);
				FAIL(p, x, FAULT_VALUE, "AS 0 in the path");
			}
		}
	}
	free(a->aspath);
	a->aspath = path;
	a->aspath_len = len;
	set_present(p, x->code);
}

static void dec_next_hop(struct parse *p, const struct attr *x)
{
	struct bgp_attrs *a = p->s->a;

	/* RFC 4760 §3: without NLRI in the classic field NEXT_HOP means nothing and SHOULD be
	 * ignored. */
	if (!p->s->classic_nlri)
		return;
	/* RFC 7606 §7.3: length 4. */
	if (x->len != 4)
		FAIL(p, x, FAULT_LENGTH, "length %zu, 4 expected", x->len);
	if (!ipv4_host(x->v))
		FAIL(p, x, FAULT_NEXTHOP, "%u.%u.%u.%u is no unicast host address", x->v[0],
			     x->v[1], x->v[2], x->v[3]);
	memset(&a->nexthop, 0, sizeof(a->nexthop));
	a->nexthop.family = AF_INET;
	memcpy(a->nexthop.bytes, x->v, 4);
	set_present(p, x->code);
}

static void dec_u32(struct parse *p, const struct attr *x, uint32_t *out)
{
	/* RFC 7606 §7.4 (MED), §7.5 (LOCAL_PREF), §7.9 (ORIGINATOR_ID): length 4. */
	if (x->len != 4)
		FAIL(p, x, FAULT_LENGTH, "length %zu, 4 expected", x->len);
	*out = bgp_get32(x->v);
	set_present(p, x->code);
}

static void dec_atomic(struct parse *p, const struct attr *x)
{
	/* RFC 7606 §7.6: length 0. */
	if (x->len != 0)
		FAIL(p, x, FAULT_LENGTH, "length %zu, 0 expected", x->len);
	set_present(p, x->code);
}

static void dec_aggregator(struct parse *p, const struct attr *x)
{
	struct bgp_attrs *a = p->s->a;
	size_t want = p->s->neg->as4 ? 8 : 6;
	uint32_t as;

	/* RFC 7606 §7.7: length 6, or 8 when both sides speak 4-octet ASes. */
	if (x->len != want)
		FAIL(p, x, FAULT_LENGTH, "length %zu, %zu expected", x->len, want);
	as = want == 8 ? bgp_get32(x->v) : bgp_get16(x->v);
	/* RFC 7607 §2: AS 0 in AGGREGATOR: attribute discard. */
	if (as == 0)
		FAIL(p, x, FAULT_VALUE, "AS 0");
	a->aggregator_as = as;
	a->aggregator_id = bgp_get32(x->v + want - 4);
	set_present(p, x->code);
}

static void dec_u32_list(struct parse *p, const struct attr *x, uint32_t **out, size_t *n)
{
	uint32_t *l;

	/* RFC 7606 §7.8 (COMMUNITIES), §7.10 (CLUSTER_LIST): a non-zero multiple of 4. */
	if (x->len == 0 || x->len % 4)
		FAIL(p, x, FAULT_LENGTH, "length %zu, a non-zero multiple of 4 expected",
			     x->len);
	l = malloc(x->len);
	if (!l) {
		p->nomem = true;
		return;
	}
	for (size_t i = 0; i < x->len / 4; i++)
		l[i] = bgp_get32(x->v + i * 4);
	free(*out);
	*out = l;
	*n = x->len / 4;
	set_present(p, x->code);
}

/* The MP_REACH_NLRI next hop (RFC 4760 §3) for family af. IPv6 (RFC 2545 §3): 16 bytes global,
 * or 32 bytes global + link-local. Policy: an IPv4-mapped ::ffff:a.b.c.d (GoBGP's default) is
 * taken as the IPv4 address a.b.c.d, the node to tunnel to; a link-local first address is a
 * link-local-only next hop; a second address that is not link-local is ignored. */
static void mp_nexthop(struct parse *p, const struct attr *x, int af, const uint8_t *nh, size_t len)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct bgp_attrs *a = p->s->a;
	struct inet_addr g = { 0 }, ll = { 0 };

	if (af == BGP_AF_IPV4) {
		if (!ipv4_host(nh))
			FAIL(p, x, FAULT_NEXTHOP, "next hop %u.%u.%u.%u is no unicast host address",
				     nh[0], nh[1], nh[2], nh[3]);
		g.family = AF_INET;
		memcpy(g.bytes, nh, 4);
	} else if (memcmp(nh, mapped, 12) == 0) {
		if (!ipv4_host(nh + 12))
			FAIL(p, x, FAULT_NEXTHOP, "IPv4-mapped next hop %u.%u.%u.%u is no unicast host address",
				     nh[12], nh[13], nh[14], nh[15]);
		g.family = AF_INET;
		memcpy(g.bytes, nh + 12, 4);
	} else if (nh[0] == 0xfe && (nh[1] & 0xc0) == 0x80) {
		ll.family = AF_INET6;
		memcpy(ll.bytes, nh, 16);
	} else {
		static const uint8_t zero[15];

		/* Unspecified (::), loopback (::1) and multicast (ff00::/8) are no next hop. */
		if (nh[0] == 0xff || (memcmp(nh, zero, 15) == 0 && nh[15] <= 1))
			FAIL(p, x, FAULT_NEXTHOP, "IPv6 next hop is unspecified, loopback or multicast");
		g.family = AF_INET6;
		memcpy(g.bytes, nh, 16);
	}
	if (af == BGP_AF_IPV6 && len == 32 && nh[16] == 0xfe && (nh[17] & 0xc0) == 0x80) {
		ll.family = AF_INET6;
		memcpy(ll.bytes, nh + 16, 16);
	}
	a->mp_nexthop = g;
	a->mp_nexthop_ll = ll;
}

static void dec_mp(struct parse *p, const struct attr *x)
{
	bool reach = x->code == BGP_ATTR_MP_REACH;
	struct bgp_attr_mp *mp = reach ? &p->s->reach : &p->s->unreach;
	size_t off = 3, nhlen = 0;
	int af, n;

	/* RFC 7606 §5.3 / RFC 4760 §3-4: MP_REACH needs AFI, SAFI, next hop length, reserved (5);
	 * MP_UNREACH needs AFI and SAFI (3). */
	if (x->len < (reach ? 5u : 3u))
		FAIL(p, x, FAULT_LENGTH, "length %zu too short", x->len);
	if (reach) {
		nhlen = x->v[3];
		if (5 + nhlen > x->len)
			FAIL(p, x, FAULT_LENGTH, "next hop length %zu runs past the attribute", nhlen);
		off = 5 + nhlen;
	}
	mp->present = true;
	af = bgp_af_from_afi(bgp_get16(x->v), x->v[2]);
	/* A family we did not negotiate (RFC 4760 §6) or do not speak: its routes are ignored. */
	if (af < 0 || !(p->s->neg->afs & BGP_AF_BIT(af))) {
		mp->af = -1;
		mp->nlri_len = x->len - off;
		return;
	}
	/* RFC 7606 §7.11: a next hop length other than the family's hides the NLRI. IPv4: 4
	 * (extended next hop, RFC 8950, is not negotiated); IPv6: 16 or 32 (RFC 2545 §3). */
	if (reach && (af == BGP_AF_IPV4 ? nhlen != 4 : nhlen != 16 && nhlen != 32))
		FAIL(p, x, FAULT_LENGTH, "next hop length %zu wrong for %s", nhlen,
			     bgp_af_name(af));
	/* RFC 7606 §5.3: NLRI that cannot be parsed. */
	n = bgp_nlri_decode(bgp_af_family(af), x->v + off, x->len - off, NULL, 0);
	if (n < 0)
		FAIL(p, x, FAULT_VALUE, "malformed %s NLRI", bgp_af_name(af));
	mp->af = af;
	mp->nlri = x->v + off;
	mp->nlri_len = x->len - off;
	mp->count = n;
	if (reach) {
		set_present(p, x->code);
		mp_nexthop(p, x, af, x->v + 4, nhlen);
	} else {
		set_present(p, x->code);
	}
}

static void dec_as4_path(struct parse *p, const struct attr *x)
{
	const char *why;
	size_t o = 0;

	/* RFC 6793 §3: only an OLD speaker's routes carry it. */
	if (p->s->neg->as4)
		FAIL(p, x, FAULT_NEW_SPEAKER, "from a 4-octet AS speaker");
	if (x->len == 0 || !bgp_aspath_valid(x->v, x->len, 4, &why))
		FAIL(p, x, FAULT_VALUE, "%s", x->len ? why : "empty");
	free(p->as4_path);
	p->as4_path = malloc(x->len);
	if (!p->as4_path) {
		p->nomem = true;
		return;
	}
	/* RFC 6793 §6: confederation segments in AS4_PATH are discarded. */
	for (size_t off = 0; off < x->len; off += 2 + (size_t)x->v[off + 1] * 4) {
		size_t seg = 2 + (size_t)x->v[off + 1] * 4;

		if (x->v[off] == BGP_SEG_CONFED_SEQUENCE || x->v[off] == BGP_SEG_CONFED_SET)
			continue;
		for (size_t i = 0; i < x->v[off + 1]; i++) {
			if (bgp_get32(x->v + off + 2 + i * 4) == 0) { /* RFC 7607 §2 */
				free(p->as4_path);
				p->as4_path = NULL;
				FAIL(p, x, FAULT_VALUE, "AS 0 in the path");
			}
		}
		memcpy(p->as4_path + o, x->v + off, seg);
		o += seg;
	}
	p->as4_path_len = o;
}

static void dec_as4_aggregator(struct parse *p, const struct attr *x)
{
	if (p->s->neg->as4)
		FAIL(p, x, FAULT_NEW_SPEAKER, "from a 4-octet AS speaker");
	if (x->len != 8)
		FAIL(p, x, FAULT_LENGTH, "length %zu, 8 expected", x->len);
	if (bgp_get32(x->v) == 0) /* RFC 7607 §2 */
		FAIL(p, x, FAULT_VALUE, "AS 0");
	p->as4_agg = true;
	p->as4_agg_as = bgp_get32(x->v);
	p->as4_agg_id = bgp_get32(x->v + 4);
}

static void keep_unknown(struct parse *p, const struct attr *x)
{
	struct bgp_attrs *a = p->s->a;
	size_t n = x->hlen + x->len;
	uint8_t *u = realloc(a->unknown, a->unknown_len + n);

	if (!u) {
		p->nomem = true;
		return;
	}
	memcpy(u + a->unknown_len, x->a, n);
	a->unknown = u;
	a->unknown_len += n;
}

static void dec_attr(struct parse *p, const struct attr *x)
{
	const struct bgp_neg *neg = p->s->neg;
	struct bgp_attrs *a = p->s->a;
	const char *name = attr_name(x->code);

	if (x->code != BGP_ATTR_MP_UNREACH)
		p->s->others = true;
	/* RFC 7606 §3 (g): repeats. */
	if (p->seen[x->code / 8] & (1u << (x->code % 8)))
		FAIL(p, x, FAULT_DUPLICATE, "appears more than once");
	p->seen[x->code / 8] |= (uint8_t)(1u << (x->code % 8));

	if (!name) {
		/* RFC 4271 §5: an unrecognized well-known attribute is an error (§6.3); an
		 * unrecognized optional transitive one is kept to be passed on, a non-transitive
		 * one quietly ignored. */
		if (!(x->flags & BGP_ATTR_F_OPTIONAL))
			FAIL(p, x, FAULT_UNKNOWN_WELLKNOWN, "unrecognized well-known attribute");
		if (x->flags & BGP_ATTR_F_TRANSITIVE)
			keep_unknown(p, x);
		return;
	}
	/* RFC 7606 §3 (c) / RFC 4271 §6.3: Optional and Transitive bits as the type's
	 * specification fixes them (the Partial bit and the low nibble are not checked). */
	if ((x->flags ^ attr_desc[x->code].flags) & (BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE))
		FAIL(p, x, FAULT_FLAGS, "flags 0x%02x, expected 0x%02x",
			     x->flags & 0xf0, attr_desc[x->code].flags);
	switch (x->code) {
	case BGP_ATTR_ORIGIN: dec_origin(p, x);
		return;
	case BGP_ATTR_AS_PATH: dec_as_path(p, x);
		return;
	case BGP_ATTR_NEXT_HOP: dec_next_hop(p, x);
		return;
	case BGP_ATTR_MED: dec_u32(p, x, &a->med);
		return;
	case BGP_ATTR_LOCAL_PREF:
		/* RFC 7606 §7.5 (and RFC 4271 §5.1.5): from an external peer it is discarded. */
		if (neg->ebgp)
			FAIL(p, x, FAULT_EBGP, "from an external peer");
		dec_u32(p, x, &a->local_pref);
		return;
	case BGP_ATTR_ATOMIC_AGGREGATE: dec_atomic(p, x);
		return;
	case BGP_ATTR_AGGREGATOR: dec_aggregator(p, x);
		return;
	case BGP_ATTR_COMMUNITIES: dec_u32_list(p, x, &a->communities, &a->n_communities);
		return;
	case BGP_ATTR_ORIGINATOR_ID:
		if (neg->ebgp) /* RFC 7606 §7.9 */
			FAIL(p, x, FAULT_EBGP, "from an external peer");
		dec_u32(p, x, &a->originator_id);
		return;
	case BGP_ATTR_CLUSTER_LIST:
		if (neg->ebgp) /* RFC 7606 §7.10 */
			FAIL(p, x, FAULT_EBGP, "from an external peer");
		dec_u32_list(p, x, &a->cluster_list, &a->n_cluster_list);
		return;
	case BGP_ATTR_MP_REACH:
	case BGP_ATTR_MP_UNREACH: dec_mp(p, x);
		return;
	case BGP_ATTR_AS4_PATH: dec_as4_path(p, x);
		return;
	case BGP_ATTR_AS4_AGGREGATOR: dec_as4_aggregator(p, x);
		return;
	}
}

/* RFC 6793 §4.2.3: rebuild the 4-octet path of a route from an OLD (2-octet) speaker. */
static int as4_merge(struct parse *p)
{
	struct bgp_attrs *a = p->s->a;
	unsigned n, n4, need;
	uint8_t *q;
	size_t o = 0;

	if (bgp_attrs_has(a, BGP_ATTR_AGGREGATOR)) {
		/* An AGGREGATOR that is not AS_TRANS was added by an OLD speaker after the
		 * 4-octet ones: AS4_AGGREGATOR and AS4_PATH are then stale and ignored. */
		if (a->aggregator_as != BGP_AS_TRANS)
			return 0;
		if (p->as4_agg) {
			a->aggregator_as = p->as4_agg_as;
			a->aggregator_id = p->as4_agg_id;
		}
	}
	if (!p->as4_path || !bgp_attrs_has(a, BGP_ATTR_AS_PATH))
		return 0;
	n = bgp_aspath_length(a->aspath, a->aspath_len);
	n4 = bgp_aspath_length(p->as4_path, p->as4_path_len);
	/* "...if the number of AS numbers in the AS_PATH attribute is less than the number of AS
	 * numbers in the AS4_PATH attribute, then the AS4_PATH attribute SHALL be ignored". */
	if (n < n4)
		return 0;
	q = malloc(a->aspath_len + p->as4_path_len + 2);
	if (!q)
		return -ENOMEM;
	/* The leading n - n4 ASes of AS_PATH, then AS4_PATH. */
	need = n - n4;
	for (size_t off = 0; off < a->aspath_len && need; off += 2 + (size_t)a->aspath[off + 1] * 4) {
		uint8_t type = a->aspath[off], cnt = a->aspath[off + 1];
		size_t take = cnt;

		if (type == BGP_SEG_SEQUENCE) {
			take = cnt < need ? cnt : need;
			need -= (unsigned)take;
		} else if (type == BGP_SEG_SET) {
			need--;
		}
		q[o++] = type;
		q[o++] = (uint8_t)take;
		memcpy(q + o, a->aspath + off + 2, take * 4);
		o += take * 4;
	}
	memcpy(q + o, p->as4_path, p->as4_path_len);
	o += p->as4_path_len;
	free(a->aspath);
	a->aspath = q;
	a->aspath_len = o;
	return 0;
}

int bgp_attrs_decode(struct bgp_attr_parse *s, const uint8_t *buf, size_t len)
{
	struct parse p = { .s = s };
	const struct bgp_neg *neg = s->neg;
	struct bgp_attrs *a = s->a;
	size_t off = 0;
	bool reachable;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	memset(&s->reach, 0, sizeof(s->reach));
	memset(&s->unreach, 0, sizeof(s->unreach));
	s->reach.af = s->unreach.af = -1;
	s->others = false;
	bgp_err_clear(s->err);

	while (off < len) {
		struct attr x = { .a = buf + off };
		size_t left = len - off;
		bool others = s->others;

		/* RFC 7606 §4: fewer than 3 octets (4 with Extended Length) left for a header, or
		 * a value running past the Total Attribute Length. What follows cannot be read, so
		 * it counts as path attributes for RFC 7606 §5.2. */
		s->others = true;
		if (left < 3 || ((buf[off] & BGP_ATTR_F_EXTLEN) && left < 4)) {
			attr_fault(s, left >= 2 ? buf[off + 1] : 0, FAULT_FRAMING, NULL, 0,
				   "%zu octets left, too few for an attribute header", left);
			break;
		}
		x.flags = buf[off];
		x.code = buf[off + 1];
		x.hlen = (x.flags & BGP_ATTR_F_EXTLEN) ? 4 : 3;
		x.len = x.hlen == 4 ? bgp_get16(buf + off + 2) : buf[off + 2];
		if (x.len > left - x.hlen) {
			attr_fault(s, x.code, FAULT_FRAMING, NULL, 0,
				   "length %zu runs past the attribute block (%zu left)", x.len,
				   left - x.hlen);
			break;
		}
		x.v = buf + off + x.hlen;
		s->others = others;
		dec_attr(&p, &x);
		if (p.nomem) {
			ret = -ENOMEM;
			goto out;
		}
		if (s->err->action == BGP_ACT_RESET) {
			ret = -EBADMSG;
			goto out;
		}
		off += x.hlen + x.len;
	}

	reachable = s->classic_nlri || (s->reach.af >= 0 && s->reach.count > 0);
	if (reachable) {
		/* RFC 4271 §5: ORIGIN and AS_PATH always; NEXT_HOP when NLRI is in the classic
		 * field (RFC 4760 §3 makes it optional otherwise). Missing: RFC 7606 §3 (d). */
		static const uint8_t mandatory[] = { BGP_ATTR_ORIGIN, BGP_ATTR_AS_PATH, BGP_ATTR_NEXT_HOP };

		for (size_t i = 0; i < sizeof(mandatory); i++) {
			uint8_t code = mandatory[i];

			if (code == BGP_ATTR_NEXT_HOP && !s->classic_nlri)
				continue;
			if (!(p.seen[code / 8] & (1u << (code % 8))))
				attr_fault(s, code, FAULT_MISSING, NULL, 0, "missing");
		}
	}
	if (!neg->as4 && as4_merge(&p) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	/* RFC 4271 §6.3: the leftmost AS of an external peer's route is the peer's. */
	if (reachable && neg->ebgp && neg->enforce_first_as && bgp_attrs_has(a, BGP_ATTR_AS_PATH)) {
		uint32_t first;

		if (!bgp_aspath_first(a->aspath, a->aspath_len, &first) || first != neg->peer_as)
			attr_fault(s, BGP_ATTR_AS_PATH, FAULT_FIRST_AS, NULL, 0,
				   "does not start with the peer's AS %u", neg->peer_as);
	}
	/* RFC 7606 §5.2: with path attributes (other than MP_UNREACH) but no reachable NLRI,
	 * nothing proves the NLRI were parsed right: any fault stronger than attribute discard
	 * resets the session. */
	if (s->err->action == BGP_ACT_WITHDRAW && s->others && !s->classic_nlri &&
	    !(s->reach.present && s->reach.nlri_len > 0)) {
		size_t n = strlen(s->err->reason);

		s->err->action = BGP_ACT_RESET;
		snprintf(s->err->reason + n, sizeof(s->err->reason) - n, "; no NLRI: session reset, RFC 7606 §5.2");
		ret = -EBADMSG;
	}
out:
	free(p.as4_path);
	return ret;
}

/* ---- encoding ------------------------------------------------------------------------------------ */

size_t bgp_attr_header(uint8_t *buf, uint8_t flags, uint8_t code, size_t len)
{
	if (len > 255) {
		buf[0] = flags | BGP_ATTR_F_EXTLEN;
		buf[1] = code;
		bgp_put16(buf + 2, (uint16_t)len);
		return 4;
	}
	buf[0] = flags & (uint8_t)~BGP_ATTR_F_EXTLEN;
	buf[1] = code;
	buf[2] = (uint8_t)len;
	return 3;
}

struct writer {
	uint8_t *buf;
	size_t cap, off;
	bool full;
};

/* Room for one attribute of len value bytes; the value's address, or NULL when full. */
static uint8_t *put_attr(struct writer *w, uint8_t flags, uint8_t code, size_t len)
{
	size_t h = len > 255 ? 4 : 3;

	if (w->full || h + len > w->cap - w->off) {
		w->full = true;
		return NULL;
	}
	w->off += bgp_attr_header(w->buf + w->off, flags, code, len);
	w->off += len;
	return w->buf + w->off - len;
}

static void put_u32_attr(struct writer *w, uint8_t flags, uint8_t code, uint32_t v)
{
	uint8_t *p = put_attr(w, flags, code, 4);

	if (p)
		bgp_put32(p, v);
}

static void put_u32_list(struct writer *w, uint8_t flags, uint8_t code, const uint32_t *l, size_t n)
{
	uint8_t *p = n ? put_attr(w, flags, code, n * 4) : NULL;

	for (size_t i = 0; p && i < n; i++)
		bgp_put32(p + i * 4, l[i]);
}

/* Unknown transitive attributes with code in [lo, hi), Partial bit set (RFC 4271 §5). */
static void put_unknown(struct writer *w, const struct bgp_attrs *a, unsigned lo, unsigned hi)
{
	for (size_t off = 0; off + 3 <= a->unknown_len;) {
		const uint8_t *u = a->unknown + off;
		size_t h = (u[0] & BGP_ATTR_F_EXTLEN) ? 4 : 3;
		size_t len = h == 4 ? bgp_get16(u + 2) : u[2];
		uint8_t *p;

		if (off + h + len > a->unknown_len)
			break;
		if (u[1] >= lo && u[1] < hi) {
			p = put_attr(w, (u[0] & 0xf0) | BGP_ATTR_F_PARTIAL, u[1], len);
			if (p)
				memcpy(p, u + h, len);
		}
		off += h + len;
	}
}

int bgp_attrs_encode(const struct bgp_neg *neg, const struct bgp_attrs *a, bool with_nexthop,
		     uint8_t *buf, size_t cap)
{
	struct writer w = { .buf = buf, .cap = cap };
	bool ibgp = !neg->ebgp, need_as4 = false;
	uint8_t *p;

	if (with_nexthop && a->nexthop.family != AF_INET)
		return -EINVAL;
	p = put_attr(&w, T, BGP_ATTR_ORIGIN, 1);
	if (p)
		*p = bgp_attrs_has(a, BGP_ATTR_ORIGIN) ? a->origin : BGP_ORIGIN_IGP;

	if (neg->as4) {
		p = put_attr(&w, T, BGP_ATTR_AS_PATH, a->aspath_len);
		if (p && a->aspath_len)
			memcpy(p, a->aspath, a->aspath_len);
	} else {
		/* RFC 6793 §4.2.2: to an OLD speaker, 2-octet ASNs with AS_TRANS for the large
		 * ones, and the true path in AS4_PATH. */
		size_t n_as = 0;

		for (size_t off = 0; off + 2 <= a->aspath_len; off += 2 + (size_t)a->aspath[off + 1] * 4)
			n_as += a->aspath[off + 1];
		p = put_attr(&w, T, BGP_ATTR_AS_PATH, a->aspath_len - n_as * 2);
		for (size_t off = 0, o = 0; p && off + 2 <= a->aspath_len;
		     off += 2 + (size_t)a->aspath[off + 1] * 4) {
			p[o++] = a->aspath[off];
			p[o++] = a->aspath[off + 1];
			for (size_t i = 0; i < a->aspath[off + 1]; i++, o += 2) {
				uint32_t as = bgp_get32(a->aspath + off + 2 + i * 4);

				need_as4 |= as > 0xffff;
				bgp_put16(p + o, as > 0xffff ? BGP_AS_TRANS : (uint16_t)as);
			}
		}
	}
	if (with_nexthop) {
		p = put_attr(&w, T, BGP_ATTR_NEXT_HOP, 4);
		if (p)
			memcpy(p, a->nexthop.bytes, 4);
	}
	if (bgp_attrs_has(a, BGP_ATTR_MED))
		put_u32_attr(&w, O, BGP_ATTR_MED, a->med);
	if (ibgp)
		put_u32_attr(&w, T, BGP_ATTR_LOCAL_PREF,
			     bgp_attrs_has(a, BGP_ATTR_LOCAL_PREF) ? a->local_pref : BGP_LOCAL_PREF_DEFAULT);
	if (bgp_attrs_has(a, BGP_ATTR_ATOMIC_AGGREGATE))
		put_attr(&w, T, BGP_ATTR_ATOMIC_AGGREGATE, 0);
	if (bgp_attrs_has(a, BGP_ATTR_AGGREGATOR)) {
		p = put_attr(&w, O | T, BGP_ATTR_AGGREGATOR, neg->as4 ? 8 : 6);
		if (p && neg->as4) {
			bgp_put32(p, a->aggregator_as);
			bgp_put32(p + 4, a->aggregator_id);
		} else if (p) {
			bgp_put16(p, a->aggregator_as > 0xffff ? BGP_AS_TRANS : (uint16_t)a->aggregator_as);
			bgp_put32(p + 2, a->aggregator_id);
		}
	}
	if (bgp_attrs_has(a, BGP_ATTR_COMMUNITIES))
		put_u32_list(&w, O | T, BGP_ATTR_COMMUNITIES, a->communities, a->n_communities);
	if (ibgp && bgp_attrs_has(a, BGP_ATTR_ORIGINATOR_ID))
		put_u32_attr(&w, O, BGP_ATTR_ORIGINATOR_ID, a->originator_id);
	if (ibgp && bgp_attrs_has(a, BGP_ATTR_CLUSTER_LIST))
		put_u32_list(&w, O, BGP_ATTR_CLUSTER_LIST, a->cluster_list, a->n_cluster_list);
	put_unknown(&w, a, 0, BGP_ATTR_AS4_PATH);
	if (need_as4) {
		size_t n = 0;

		for (size_t off = 0; off + 2 <= a->aspath_len; off += 2 + (size_t)a->aspath[off + 1] * 4)
			if (a->aspath[off] == BGP_SEG_SET || a->aspath[off] == BGP_SEG_SEQUENCE)
				n += 2 + (size_t)a->aspath[off + 1] * 4;
		p = put_attr(&w, O | T, BGP_ATTR_AS4_PATH, n);
		/* RFC 6793 §4.2.2: no confederation segments in AS4_PATH. */
		for (size_t off = 0, o = 0; p && off + 2 <= a->aspath_len;
		     off += 2 + (size_t)a->aspath[off + 1] * 4) {
			size_t seg = 2 + (size_t)a->aspath[off + 1] * 4;

			if (a->aspath[off] != BGP_SEG_SET && a->aspath[off] != BGP_SEG_SEQUENCE)
				continue;
			memcpy(p + o, a->aspath + off, seg);
			o += seg;
		}
	}
	if (!neg->as4 && bgp_attrs_has(a, BGP_ATTR_AGGREGATOR) && a->aggregator_as > 0xffff) {
		p = put_attr(&w, O | T, BGP_ATTR_AS4_AGGREGATOR, 8);
		if (p) {
			bgp_put32(p, a->aggregator_as);
			bgp_put32(p + 4, a->aggregator_id);
		}
	}
	put_unknown(&w, a, BGP_ATTR_AS4_PATH, 256);
	if (w.full)
		return -EMSGSIZE;
	return (int)w.off;
}

/* ---- loops ------------------------------------------------------------------------------------- */

const char *bgp_attrs_loop(const struct bgp_attrs *a, const struct bgp_neg *neg)
{
	/* RFC 4271 §9.1.2: a route whose AS_PATH holds our AS is excluded. */
	if (bgp_attrs_has(a, BGP_ATTR_AS_PATH) && bgp_aspath_contains(a->aspath, a->aspath_len, neg->local_as))
		return "AS_PATH contains our AS";
	/* RFC 4456 §8: our own BGP Identifier as ORIGINATOR_ID: a route we originated, reflected
	 * back to us. */
	if (bgp_attrs_has(a, BGP_ATTR_ORIGINATOR_ID) && a->originator_id == neg->local_id)
		return "ORIGINATOR_ID is our BGP identifier";
	/* RFC 4456 §8: our cluster id in the CLUSTER_LIST. */
	if (neg->cluster_id && bgp_attrs_has(a, BGP_ATTR_CLUSTER_LIST))
		for (size_t i = 0; i < a->n_cluster_list; i++)
			if (a->cluster_list[i] == neg->cluster_id)
				return "CLUSTER_LIST contains our cluster id";
	return NULL;
}
