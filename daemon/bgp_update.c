/* BGP UPDATE messages (bgp_update.h): the two length fields and two NLRI fields of RFC 4271
 * §4.3 around the attribute block that bgp_attr.c decodes, and the packing encoder. */
#include "bgp_update.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void bgp_update_fini(struct bgp_update *u)
{
	if (!u)
		return;
	bgp_attrs_fini(&u->attrs);
	free(u->mem);
	memset(u, 0, sizeof(*u));
	u->eor = -1;
}

size_t bgp_update_count(const struct bgp_update *u, bool withdrawn)
{
	size_t n = 0;

	for (size_t i = 0; i < u->n_lists; i++)
		if (u->lists[i].withdraw == withdrawn)
			n += u->lists[i].n;
	return n;
}

/* Append a list decoded from p[0..len) (already validated as count prefixes). */
static void add_list(struct bgp_update *u, struct inet_prefix **next, int af, bool withdraw,
		     const uint8_t *p, size_t len, int count)
{
	struct bgp_nlri *l;

	if (count <= 0)
		return;
	l = &u->lists[u->n_lists++];
	l->af = af;
	l->withdraw = withdraw;
	l->pfx = *next;
	l->n = (size_t)bgp_nlri_decode(bgp_af_family(af), p, len, l->pfx, (size_t)count);
	*next += l->n;
}

int bgp_update_decode(const struct bgp_neg *neg, const uint8_t *msg, size_t len,
		      struct bgp_update *u, struct bgp_err *err)
{
	struct bgp_attr_parse s = { .neg = neg, .a = &u->attrs, .err = err };
	const uint8_t *wd, *attrs, *nlri;
	size_t wlen, alen, nlen, total;
	int nw = 0, nn = 0, ret;
	bool v4 = neg->afs & BGP_AF_BIT(BGP_AF_IPV4);
	struct inet_prefix *next;

	memset(u, 0, sizeof(*u));
	u->eor = -1;
	bgp_err_clear(err);
	if (len < BGP_UPDATE_MIN_LEN) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, msg + 16,
			    len >= 18 ? 2 : 0, "UPDATE of %zu bytes, 23 at least", len);
		return -EBADMSG;
	}
	/* RFC 4271 §6.3 / RFC 7606 §3 (b): Withdrawn Routes Length + Total Attribute Length + 23
	 * beyond the message Length is Malformed Attribute List. */
	wlen = bgp_get16(msg + 19);
	if (wlen > len - BGP_UPDATE_MIN_LEN) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_ATTRS, NULL, 0,
			    "withdrawn routes length %zu runs past the message", wlen);
		return -EBADMSG;
	}
	alen = bgp_get16(msg + 21 + wlen);
	if (alen > len - BGP_UPDATE_MIN_LEN - wlen) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_ATTRS, NULL, 0,
			    "total path attribute length %zu runs past the message", alen);
		return -EBADMSG;
	}
	wd = msg + 21;
	attrs = msg + 23 + wlen;
	nlri = attrs + alen;
	nlen = len - BGP_UPDATE_MIN_LEN - wlen - alen;

	/* RFC 4271 §6.3 (Invalid Network Field) and RFC 7606 §3 (i), §5.3: a Withdrawn Routes or
	 * NLRI field that cannot be parsed makes treat-as-withdraw impossible: session reset. */
	nw = bgp_nlri_decode(AF_INET, wd, wlen, NULL, 0);
	nn = bgp_nlri_decode(AF_INET, nlri, nlen, NULL, 0);
	if (nw < 0 || nn < 0) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_UPDATE, BGP_UPD_BAD_NETWORK, NULL, 0,
			    "%s field is malformed (RFC 7606 §5.3: session reset)",
			    nw < 0 ? "Withdrawn Routes" : "NLRI");
		return -EBADMSG;
	}
	/* IPv4 in the classic fields of a session that did not negotiate IPv4 is ignored. */
	if (!v4)
		nw = nn = 0;
	s.classic_nlri = nn > 0;
	ret = bgp_attrs_decode(&s, attrs, alen);
	if (ret < 0)
		return ret;

	total = (size_t)nw + (size_t)nn + (s.unreach.af >= 0 ? (size_t)s.unreach.count : 0) +
		(s.reach.af >= 0 ? (size_t)s.reach.count : 0);
	if (total) {
		u->mem = calloc(total, sizeof(*u->mem));
		if (!u->mem)
			return -ENOMEM;
	}
	next = u->mem;
	add_list(u, &next, BGP_AF_IPV4, true, wd, wlen, nw);
	if (s.unreach.af >= 0)
		add_list(u, &next, s.unreach.af, true, s.unreach.nlri, s.unreach.nlri_len, s.unreach.count);
	if (s.reach.af >= 0 && s.reach.count > 0) {
		add_list(u, &next, s.reach.af, false, s.reach.nlri, s.reach.nlri_len, s.reach.count);
		u->lists[u->n_lists - 1].nh = u->attrs.mp_nexthop;
		u->lists[u->n_lists - 1].nh_ll = u->attrs.mp_nexthop_ll;
	}
	if (nn > 0) {
		add_list(u, &next, BGP_AF_IPV4, false, nlri, nlen, nn);
		u->lists[u->n_lists - 1].nh = u->attrs.nexthop;
	}

	/* RFC 7606 §2 treat-as-withdraw; RFC 4271 §9.1.2 / RFC 4456 §8 loops: the announced
	 * routes are removed like withdrawn ones, so no stale copy stays installed. */
	if (err->action == BGP_ACT_WITHDRAW)
		u->treat_as_withdraw = true;
	else if (bgp_update_count(u, false))
		u->loop = bgp_attrs_loop(&u->attrs, neg);
	if (u->treat_as_withdraw || u->loop)
		for (size_t i = 0; i < u->n_lists; i++)
			u->lists[i].withdraw = true;

	/* RFC 4724 §2: End-of-RIB is an UPDATE with nothing in it (IPv4 unicast), or with only an
	 * empty MP_UNREACH_NLRI (other families). */
	if (len == BGP_UPDATE_MIN_LEN && v4)
		u->eor = BGP_AF_IPV4;
	else if (wlen == 0 && nlen == 0 && !s.others && s.unreach.present && s.unreach.af >= 0 &&
		 s.unreach.nlri_len == 0 && err->action == BGP_ACT_NONE)
		u->eor = s.unreach.af;
	return 0;
}

/* ---- encoding ------------------------------------------------------------------------------------ */

static size_t limit(size_t cap)
{
	return cap < BGP_MAX_LEN ? cap : BGP_MAX_LEN;
}

/* Append prefixes while they fit in room bytes; returns the bytes used, *used the count. */
static size_t pack(int family, const struct inet_prefix *pfx, size_t n, uint8_t *p, size_t room,
		   size_t *used, bool *bad)
{
	size_t off = 0, i;

	for (i = 0; i < n; i++) {
		int k;

		if (pfx[i].addr.family != family || pfx[i].len > inet_family_bits(family)) {
			*bad = true;
			break;
		}
		k = bgp_nlri_encode(&pfx[i], p + off, room - off);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	*used = i;
	return off;
}

int bgp_update_encode_announce(const struct bgp_neg *neg, const struct bgp_attrs *a,
			       enum bgp_af af, const struct inet_prefix *pfx, size_t n,
			       uint8_t *buf, size_t cap, size_t *used)
{
	size_t lim = limit(cap), off, k, nhlen;
	bool bad = false;
	int alen;

	*used = 0;
	if (lim < BGP_UPDATE_MIN_LEN || !n)
		return -EMSGSIZE;
	bgp_put16(buf + 19, 0);
	if (af == BGP_AF_IPV4) {
		alen = bgp_attrs_encode(neg, a, true, buf + 23, lim - 23);
		if (alen < 0)
			return alen;
		bgp_put16(buf + 21, (uint16_t)alen);
		off = 23 + (size_t)alen;
		off += pack(AF_INET, pfx, n, buf + off, lim - off, used, &bad);
	} else {
		uint8_t other[BGP_MAX_LEN], *p;

		if (a->mp_nexthop.family != AF_INET6 && a->mp_nexthop.family != AF_INET)
			return -EINVAL;
		if (a->mp_nexthop_ll.family && a->mp_nexthop_ll.family != AF_INET6)
			return -EINVAL;
		alen = bgp_attrs_encode(neg, a, false, other, sizeof(other));
		if (alen < 0)
			return alen;
		nhlen = a->mp_nexthop_ll.family ? 32 : 16;
		/* MP_REACH_NLRI: extended length always, as BIRD and FRR send it. */
		off = 23 + 4 + 5 + nhlen;
		if (off + (size_t)alen > lim)
			return -EMSGSIZE;
		p = buf + 23;
		bgp_put16(p + 4, BGP_AFI_IPV6);
		p[6] = BGP_SAFI_UNICAST;
		p[7] = (uint8_t)nhlen;
		memset(p + 8, 0, nhlen);
		if (a->mp_nexthop.family == AF_INET) {
			/* Our policy for an IPv4 next hop on IPv6 routes: IPv4-mapped (docs/bgp.md). */
			p[8 + 10] = p[8 + 11] = 0xff;
			memcpy(p + 8 + 12, a->mp_nexthop.bytes, 4);
		} else {
			memcpy(p + 8, a->mp_nexthop.bytes, 16);
		}
		if (nhlen == 32)
			memcpy(p + 8 + 16, a->mp_nexthop_ll.bytes, 16);
		p[8 + nhlen] = 0; /* reserved, RFC 4760 §3 */
		k = pack(AF_INET6, pfx, n, buf + off, lim - off - (size_t)alen, used, &bad);
		off += k;
		p[0] = BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_EXTLEN;
		p[1] = BGP_ATTR_MP_REACH;
		bgp_put16(p + 2, (uint16_t)(5 + nhlen + k));
		memcpy(buf + off, other, (size_t)alen);
		off += (size_t)alen;
		bgp_put16(buf + 21, (uint16_t)(off - 23));
	}
	if (bad && !*used)
		return -EINVAL;
	if (!*used)
		return -EMSGSIZE;
	bgp_msg_header(buf, off, BGP_MSG_UPDATE);
	return (int)off;
}

int bgp_update_encode_withdraw(enum bgp_af af, const struct inet_prefix *pfx, size_t n,
			       uint8_t *buf, size_t cap, size_t *used)
{
	size_t lim = limit(cap), off, k;
	bool bad = false;

	*used = 0;
	if (lim < BGP_UPDATE_MIN_LEN + 7 || !n)
		return -EMSGSIZE;
	if (af == BGP_AF_IPV4) {
		k = pack(AF_INET, pfx, n, buf + 21, lim - 23, used, &bad);
		bgp_put16(buf + 19, (uint16_t)k);
		bgp_put16(buf + 21 + k, 0);
		off = 23 + k;
	} else {
		uint8_t *p = buf + 23;

		bgp_put16(buf + 19, 0);
		k = pack(AF_INET6, pfx, n, p + 7, lim - 30, used, &bad);
		p[0] = BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_EXTLEN;
		p[1] = BGP_ATTR_MP_UNREACH;
		bgp_put16(p + 2, (uint16_t)(3 + k));
		bgp_put16(p + 4, BGP_AFI_IPV6);
		p[6] = BGP_SAFI_UNICAST;
		bgp_put16(buf + 21, (uint16_t)(7 + k));
		off = 30 + k;
	}
	if (bad && !*used)
		return -EINVAL;
	if (!*used)
		return -EMSGSIZE;
	bgp_msg_header(buf, off, BGP_MSG_UPDATE);
	return (int)off;
}

int bgp_update_encode_eor(enum bgp_af af, uint8_t *buf, size_t cap)
{
	size_t len = af == BGP_AF_IPV4 ? BGP_UPDATE_MIN_LEN : BGP_UPDATE_MIN_LEN + 6;

	if (cap < len)
		return -EMSGSIZE;
	bgp_msg_header(buf, len, BGP_MSG_UPDATE);
	bgp_put16(buf + 19, 0);
	bgp_put16(buf + 21, (uint16_t)(len - BGP_UPDATE_MIN_LEN));
	if (af != BGP_AF_IPV4) {
		buf[23] = BGP_ATTR_F_OPTIONAL;
		buf[24] = BGP_ATTR_MP_UNREACH;
		buf[25] = 3;
		bgp_put16(buf + 26, bgp_af_afi(af));
		buf[28] = BGP_SAFI_UNICAST;
	}
	return (int)len;
}
