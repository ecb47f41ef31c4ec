/* BGP-4 message layer (bgp_msg.h): the header and its framing checks, OPEN and capabilities,
 * NOTIFICATION, KEEPALIVE, ROUTE-REFRESH, NLRI prefixes. Each check cites the clause that
 * makes it an error and the NOTIFICATION that clause asks for. */
#include "bgp_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int bgp_af_from_afi(uint16_t afi, uint8_t safi)
{
	if (safi != BGP_SAFI_UNICAST)
		return -1;
	if (afi == BGP_AFI_IPV4)
		return BGP_AF_IPV4;
	if (afi == BGP_AFI_IPV6)
		return BGP_AF_IPV6;
	return -1;
}

uint16_t bgp_af_afi(enum bgp_af af)
{
	return af == BGP_AF_IPV6 ? BGP_AFI_IPV6 : BGP_AFI_IPV4;
}

int bgp_af_family(enum bgp_af af)
{
	return af == BGP_AF_IPV6 ? AF_INET6 : AF_INET;
}

const char *bgp_af_name(enum bgp_af af)
{
	return af == BGP_AF_IPV6 ? "ipv6-unicast" : "ipv4-unicast";
}

/* ---- errors -------------------------------------------------------------------------------- */

void bgp_err_clear(struct bgp_err *e)
{
	e->action = BGP_ACT_NONE;
	e->code = e->subcode = 0;
	e->len = 0;
	e->reason[0] = '\0';
}

void bgp_err_set(struct bgp_err *e, enum bgp_action a, uint8_t code, uint8_t subcode,
		 const void *data, size_t len, const char *fmt, ...)
{
	va_list ap;

	/* RFC 7606 §3 (h): with several faults the strongest action is taken; among equals the
	 * first one found is reported. */
	if (e->action >= a && e->action != BGP_ACT_NONE)
		return;
	e->action = a;
	e->code = code;
	e->subcode = subcode;
	if (len > BGP_ERR_DATA_MAX)
		len = BGP_ERR_DATA_MAX;
	e->len = (uint16_t)len;
	if (len)
		memcpy(e->data, data, len);
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

static const char *const code_names[] = {
	[0] = "Unknown",
	[BGP_ERR_HEADER] = "Message Header Error",
	[BGP_ERR_OPEN] = "OPEN Message Error",
	[BGP_ERR_UPDATE] = "UPDATE Message Error",
	[BGP_ERR_HOLD] = "Hold Timer Expired",
	[BGP_ERR_FSM] = "Finite State Machine Error",
	[BGP_ERR_CEASE] = "Cease",
	[BGP_ERR_REFRESH] = "ROUTE-REFRESH Message Error",
};
static const char *const header_names[] = {
	[BGP_HDR_NOT_SYNC] = "Connection Not Synchronized",
	[BGP_HDR_BAD_LEN] = "Bad Message Length",
	[BGP_HDR_BAD_TYPE] = "Bad Message Type",
};
static const char *const open_names[] = {
	[BGP_OPEN_BAD_VERSION] = "Unsupported Version Number",
	[BGP_OPEN_BAD_PEER_AS] = "Bad Peer AS",
	[BGP_OPEN_BAD_ID] = "Bad BGP Identifier",
	[BGP_OPEN_BAD_PARAM] = "Unsupported Optional Parameter",
	[BGP_OPEN_BAD_HOLD] = "Unacceptable Hold Time",
	[BGP_OPEN_BAD_CAP] = "Unsupported Capability",
};
static const char *const update_names[] = {
	[BGP_UPD_MALFORMED_ATTRS] = "Malformed Attribute List",
	[BGP_UPD_UNKNOWN_WELLKNOWN] = "Unrecognized Well-known Attribute",
	[BGP_UPD_MISSING_WELLKNOWN] = "Missing Well-known Attribute",
	[BGP_UPD_ATTR_FLAGS] = "Attribute Flags Error",
	[BGP_UPD_ATTR_LEN] = "Attribute Length Error",
	[BGP_UPD_BAD_ORIGIN] = "Invalid ORIGIN Attribute",
	[BGP_UPD_BAD_NEXTHOP] = "Invalid NEXT_HOP Attribute",
	[BGP_UPD_OPT_ATTR] = "Optional Attribute Error",
	[BGP_UPD_BAD_NETWORK] = "Invalid Network Field",
	[BGP_UPD_BAD_ASPATH] = "Malformed AS_PATH",
};
static const char *const fsm_names[] = {
	[BGP_FSM_IN_OPENSENT] = "Receive Unexpected Message in OpenSent State",
	[BGP_FSM_IN_OPENCONFIRM] = "Receive Unexpected Message in OpenConfirm State",
	[BGP_FSM_IN_ESTABLISHED] = "Receive Unexpected Message in Established State",
};
static const char *const cease_names[] = {
	[BGP_CEASE_MAX_PREFIX] = "Maximum Number of Prefixes Reached",
	[BGP_CEASE_SHUTDOWN] = "Administrative Shutdown",
	[BGP_CEASE_DECONFIGURED] = "Peer De-configured",
	[BGP_CEASE_RESET] = "Administrative Reset",
	[BGP_CEASE_REJECTED] = "Connection Rejected",
	[BGP_CEASE_CONFIG_CHANGE] = "Other Configuration Change",
	[BGP_CEASE_COLLISION] = "Connection Collision Resolution",
	[BGP_CEASE_RESOURCES] = "Out of Resources",
};
static const char *const refresh_names[] = {
	[BGP_REFRESH_BAD_LEN] = "Invalid Message Length",
};

#define NAME_IN(tab, i) ((i) < sizeof(tab) / sizeof(tab[0]) && tab[i] ? tab[i] : NULL)

const char *bgp_err_code_name(uint8_t code)
{
	const char *s = NAME_IN(code_names, code);

	return s ? s : "Unknown";
}

const char *bgp_err_subcode_name(uint8_t code, uint8_t subcode)
{
	const char *s = NULL;

	if (subcode == 0)
		return "Unspecific"; /* RFC 4271 §4.5 */
	switch (code) {
	case BGP_ERR_HEADER: s = NAME_IN(header_names, subcode); break;
	case BGP_ERR_OPEN: s = NAME_IN(open_names, subcode); break;
	case BGP_ERR_UPDATE: s = NAME_IN(update_names, subcode); break;
	case BGP_ERR_FSM: s = NAME_IN(fsm_names, subcode); break;
	case BGP_ERR_CEASE: s = NAME_IN(cease_names, subcode); break;
	case BGP_ERR_REFRESH: s = NAME_IN(refresh_names, subcode); break;
	}
	return s ? s : "Unknown";
}

void bgp_notify_fmt(char *buf, size_t len, uint8_t code, uint8_t subcode, const uint8_t *data,
		    size_t dlen)
{
	size_t off;
	int n;

	if (!len)
		return;
	n = snprintf(buf, len, "%s/%s", bgp_err_code_name(code), bgp_err_subcode_name(code, subcode));
	off = n < 0 ? 0 : (size_t)n;
	if (off >= len || !dlen)
		return;
	/* RFC 9003 §2: a Shutdown or Reset Cease may carry a length-prefixed UTF-8 message. */
	if (code == BGP_ERR_CEASE && (subcode == BGP_CEASE_SHUTDOWN || subcode == BGP_CEASE_RESET) &&
	    data[0] == dlen - 1) {
		n = snprintf(buf + off, len - off, ": \"");
		off += n > 0 ? (size_t)n : 0;
		for (size_t i = 1; i < dlen && off + 2 < len; i++) {
			uint8_t ch = data[i];

			buf[off++] = (ch >= 0x20 && ch != 0x7f && ch != '"' && ch != '\\') ? (char)ch : '?';
		}
		if (off + 1 < len)
			buf[off++] = '"';
		buf[off < len ? off : len - 1] = '\0';
		return;
	}
	for (size_t i = 0; i < dlen && i < 16 && off + 4 < len; i++) {
		n = snprintf(buf + off, len - off, "%s%02x", i ? " " : " [", data[i]);
		off += n > 0 ? (size_t)n : 0;
	}
	if (off + 5 < len)
		snprintf(buf + off, len - off, "%s]", dlen > 16 ? " ..." : "");
}

/* ---- framing ------------------------------------------------------------------------------- */

void bgp_msg_header(uint8_t *buf, size_t len, uint8_t type)
{
	memset(buf, 0xff, BGP_MARKER_LEN);
	bgp_put16(buf + 16, (uint16_t)len);
	buf[18] = type;
}

int bgp_msg_frame(const uint8_t *buf, size_t len, struct bgp_err *err)
{
	size_t mlen, min;
	uint8_t type;

	/* RFC 4271 §6.1: a Marker that is not all ones means the stream is out of step. Checked on
	 * the bytes already here, so garbage is refused without waiting for a whole header. */
	for (size_t i = 0; i < len && i < BGP_MARKER_LEN; i++) {
		if (buf[i] != 0xff) {
			bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_HEADER, BGP_HDR_NOT_SYNC, NULL, 0,
				    "marker byte %zu is 0x%02x, not 0xff", i, buf[i]);
			return -EBADMSG;
		}
	}
	if (len < BGP_HDR_LEN)
		return 0;
	mlen = bgp_get16(buf + 16);
	type = buf[18];
	/* RFC 4271 §6.1: Length below 19 or above 4096 is Bad Message Length, data = the field. */
	if (mlen < BGP_HDR_LEN || mlen > BGP_MAX_LEN) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, buf + 16, 2,
			    "message length %zu outside 19..4096", mlen);
		return -EBADMSG;
	}
	switch (type) {
	case BGP_MSG_OPEN: min = BGP_OPEN_MIN_LEN; break;
	case BGP_MSG_UPDATE: min = BGP_UPDATE_MIN_LEN; break;
	case BGP_MSG_NOTIFICATION: min = BGP_NOTIFY_MIN_LEN; break;
	case BGP_MSG_KEEPALIVE: min = BGP_KEEPALIVE_LEN; break;
	case BGP_MSG_ROUTE_REFRESH: min = BGP_REFRESH_LEN; break;
	default:
		/* RFC 4271 §6.1: unrecognized Type is Bad Message Type, data = the type. */
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_HEADER, BGP_HDR_BAD_TYPE, buf + 18, 1,
			    "unknown message type %u", type);
		return -EBADMSG;
	}
	/* RFC 4271 §6.1: shorter than the type's minimum, or a KEEPALIVE other than 19 bytes, is Bad
	 * Message Length (RFC 2918 §3 fixes ROUTE-REFRESH at 23; longer ones are checked when
	 * decoded, RFC 7313 §5). */
	if (mlen < min || (type == BGP_MSG_KEEPALIVE && mlen != BGP_KEEPALIVE_LEN)) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, buf + 16, 2,
			    "length %zu wrong for message type %u", mlen, type);
		return -EBADMSG;
	}
	if (len < mlen)
		return 0;
	return (int)mlen;
}

/* ---- OPEN ---------------------------------------------------------------------------------- */

uint8_t bgp_caps_afs(const struct bgp_caps *c)
{
	return c->mp ? c->afs : BGP_AF_BIT(BGP_AF_IPV4);
}

/* One capability (code, value[0..len)) into o->caps. 0 or -EBADMSG. */
static int cap_decode(struct bgp_caps *c, uint8_t code, const uint8_t *v, size_t len,
		      struct bgp_err *err)
{
	int af;

	switch (code) {
	case BGP_CAP_MP:
		/* RFC 4760 §8: AFI (2), reserved (1), SAFI (1). */
		if (len != 4)
			goto bad;
		c->mp = true;
		af = bgp_af_from_afi(bgp_get16(v), v[3]);
		if (af >= 0)
			c->afs |= (uint8_t)BGP_AF_BIT(af);
		return 0;
	case BGP_CAP_ROUTE_REFRESH:
		if (len != 0) /* RFC 2918 §2: length 0 */
			goto bad;
		c->route_refresh = true;
		return 0;
	case BGP_CAP_ENH_REFRESH:
		if (len != 0) /* RFC 7313 §3: length 0 */
			goto bad;
		c->enhanced_refresh = true;
		return 0;
	case BGP_CAP_EXT_MESSAGE:
		if (len != 0) /* RFC 8654 §3: length 0 */
			goto bad;
		c->ext_message = true;
		return 0;
	case BGP_CAP_AS4:
		if (len != 4) /* RFC 6793 §3: the 4-octet AS number */
			goto bad;
		c->as4 = true;
		c->as4_number = bgp_get32(v);
		return 0;
	case BGP_CAP_GR:
		/* RFC 4724 §3: flags+time (2), then (AFI 2, SAFI 1, flags 1) per family; with
		 * several instances the receiver MUST use the last one. */
		if (len < 2 || (len - 2) % 4)
			goto bad;
		c->gr = true;
		c->gr_flags = v[0] >> 4;
		c->gr_time = bgp_get16(v) & 0x0fff;
		c->gr_afs = c->gr_fwd = 0;
		for (size_t i = 2; i < len; i += 4) {
			af = bgp_af_from_afi(bgp_get16(v + i), v[i + 2]);
			if (af < 0)
				continue;
			c->gr_afs |= (uint8_t)BGP_AF_BIT(af);
			if (v[i + 3] & BGP_GR_FORWARDING)
				c->gr_fwd |= (uint8_t)BGP_AF_BIT(af);
		}
		return 0;
	default:
		/* RFC 5492 §3: a capability the speaker does not understand is ignored. */
		if (c->n_unknown < BGP_CAPS_UNKNOWN_MAX)
			c->unknown[c->n_unknown++] = code;
		return 0;
	}
bad:
	/* No subcode fits a malformed capability value: Unspecific (RFC 4271 §4.5), as BIRD. */
	bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, 0, NULL, 0,
		    "capability %u has a malformed value (length %zu)", code, len);
	return -EBADMSG;
}

/* The capabilities optional parameter value: a run of (code, length, value). */
static int caps_decode(struct bgp_caps *c, const uint8_t *p, size_t len, struct bgp_err *err)
{
	size_t off = 0;

	while (off < len) {
		uint8_t code, clen;

		if (len - off < 2)
			goto overrun;
		code = p[off];
		clen = p[off + 1];
		off += 2;
		if (clen > len - off)
			goto overrun;
		if (cap_decode(c, code, p + off, clen, err) < 0)
			return -EBADMSG;
		off += clen;
	}
	return 0;
overrun:
	bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, 0, NULL, 0,
		    "capability at offset %zu runs past its optional parameter", off);
	return -EBADMSG;
}

int bgp_open_decode(const uint8_t *msg, size_t len, struct bgp_open *o, struct bgp_err *err)
{
	size_t opt_len, off, hdr;
	bool ext = false;

	memset(o, 0, sizeof(*o));
	bgp_err_clear(err);
	if (len < BGP_OPEN_MIN_LEN) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, msg + 16,
			    len >= 18 ? 2 : 0, "OPEN of %zu bytes, 29 at least", len);
		return -EBADMSG;
	}
	o->version = msg[19];
	o->my_as = bgp_get16(msg + 20);
	o->hold_time = bgp_get16(msg + 22);
	o->id = bgp_get32(msg + 24);
	opt_len = msg[28];
	off = BGP_OPEN_MIN_LEN;

	/* RFC 4271 §6.2: Unsupported Version Number; the data is the largest version we support
	 * below the peer's bid (we only speak 4), as a 2-octet integer. */
	if (o->version != BGP_VERSION) {
		uint8_t v[2] = { 0, BGP_VERSION };

		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, BGP_OPEN_BAD_VERSION, v, 2,
			    "BGP version %u, only 4 is supported", o->version);
		return -EBADMSG;
	}
	/* RFC 9072 §2: Non-Ext OP Len 255 with Non-Ext OP Type 255 announces 2-octet lengths. */
	if (opt_len == 255 && len > BGP_OPEN_MIN_LEN && msg[29] == 255) {
		if (len < BGP_OPEN_MIN_LEN + 3)
			goto badlen;
		ext = true;
		opt_len = bgp_get16(msg + 30);
		off = BGP_OPEN_MIN_LEN + 3;
	}
	/* The optional parameters must fill the message exactly: a Length that disagrees with
	 * them is Bad Message Length (RFC 4271 §6.1), data = the Length field. */
	if (off + opt_len != len)
		goto badlen;
	hdr = ext ? 3 : 2;
	while (off < len) {
		uint8_t type;
		size_t plen;

		if (len - off < hdr)
			goto overrun;
		type = msg[off];
		plen = ext ? bgp_get16(msg + off + 1) : msg[off + 1];
		off += hdr;
		if (plen > len - off)
			goto overrun;
		/* RFC 4271 §6.2 / RFC 5492 §4: any parameter but Capabilities is Unsupported
		 * Optional Parameter (type 1, authentication, was deprecated by RFC 5492). */
		if (type != BGP_OPT_PARAM_CAPS) {
			bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, BGP_OPEN_BAD_PARAM, NULL, 0,
				    "unsupported optional parameter type %u", type);
			return -EBADMSG;
		}
		if (caps_decode(&o->caps, msg + off, plen, err) < 0)
			return -EBADMSG;
		off += plen;
	}
	/* RFC 4271 §4.2 / §6.2: Hold Time is 0 or at least 3; 1 and 2 MUST be rejected. */
	if (o->hold_time == 1 || o->hold_time == 2) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, BGP_OPEN_BAD_HOLD, NULL, 0,
			    "hold time %u: must be 0 or at least 3", o->hold_time);
		return -EBADMSG;
	}
	/* RFC 6286 §2.2: the BGP Identifier is a non-zero 4-octet integer. */
	if (o->id == 0) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, BGP_OPEN_BAD_ID, msg + 24, 4,
			    "BGP identifier 0");
		return -EBADMSG;
	}
	/* RFC 6793 §4.1: a 4-octet speaker puts AS_TRANS in My AS when its AS does not fit. */
	o->as = o->caps.as4 ? o->caps.as4_number : o->my_as;
	if (o->caps.as4)
		o->as_mismatch = o->caps.as4_number > 0xffff ? o->my_as != BGP_AS_TRANS
							    : o->my_as != o->caps.as4_number;
	/* RFC 7607 §2: AS 0 in an OPEN is Bad Peer AS. */
	if (o->as == 0) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, BGP_OPEN_BAD_PEER_AS, NULL, 0,
			    "peer AS 0");
		return -EBADMSG;
	}
	return 0;
badlen:
	bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, msg + 16, 2,
		    "OPEN length %zu disagrees with its optional parameters length", len);
	return -EBADMSG;
overrun:
	bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, 0, NULL, 0,
		    "optional parameter at offset %zu runs past the message", off);
	return -EBADMSG;
}

int bgp_open_check(const struct bgp_open *o, uint32_t peer_as, uint32_t local_as,
		   uint32_t local_id, uint8_t our_afs, struct bgp_err *err)
{
	uint8_t caps[32];
	struct bgp_caps mine = { .afs = our_afs, .mp = true };
	int n;

	/* RFC 4271 §6.2: an AS other than the one configured for this peer is Bad Peer AS. */
	if (o->as != peer_as) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, BGP_OPEN_BAD_PEER_AS, NULL, 0,
			    "peer says AS %u, configured AS %u", o->as, peer_as);
		return -EBADMSG;
	}
	/* RFC 6286 §2.2: an internal peer with our own BGP Identifier is Bad BGP Identifier. */
	if (peer_as == local_as && o->id == local_id) {
		uint8_t id[4];

		bgp_put32(id, o->id);
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, BGP_OPEN_BAD_ID, id, 4,
			    "internal peer uses our BGP identifier %u.%u.%u.%u", id[0], id[1],
			    id[2], id[3]);
		return -EBADMSG;
	}
	/* RFC 5492 §5: a speaker may refuse a peer lacking a capability it needs, with
	 * Unsupported Capability carrying that capability. Without one family in common the
	 * session could carry nothing. */
	if (!(bgp_caps_afs(&o->caps) & our_afs)) {
		n = bgp_caps_encode(caps, sizeof(caps), &mine, true);
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_OPEN, BGP_OPEN_BAD_CAP, caps,
			    n > 0 ? (size_t)n : 0, "no address family in common with the peer");
		return -EBADMSG;
	}
	return 0;
}

static size_t put_cap(uint8_t *p, uint8_t code, const uint8_t *v, uint8_t len)
{
	p[0] = code;
	p[1] = len;
	if (len)
		memcpy(p + 2, v, len);
	return 2u + len;
}

int bgp_caps_encode(uint8_t *buf, size_t cap, const struct bgp_caps *caps, bool only_mp)
{
	uint8_t tmp[64], v[2 + 4 * BGP_AF_COUNT];
	size_t off = 0, n;

	for (int af = 0; af < BGP_AF_COUNT; af++) {
		if (!(caps->afs & BGP_AF_BIT(af)))
			continue;
		bgp_put16(v, bgp_af_afi(af));
		v[2] = 0;
		v[3] = BGP_SAFI_UNICAST;
		off += put_cap(tmp + off, BGP_CAP_MP, v, 4);
	}
	if (!only_mp) {
		if (caps->route_refresh)
			off += put_cap(tmp + off, BGP_CAP_ROUTE_REFRESH, NULL, 0);
		if (caps->as4) {
			bgp_put32(v, caps->as4_number);
			off += put_cap(tmp + off, BGP_CAP_AS4, v, 4);
		}
		if (caps->gr) {
			/* RFC 4724 §3: reserved bits are sent as zero. */
			n = 2;
			bgp_put16(v, (uint16_t)((caps->gr_flags & BGP_GR_RESTART) << 12 |
						(caps->gr_time & 0x0fff)));
			for (int af = 0; af < BGP_AF_COUNT; af++) {
				if (!(caps->gr_afs & BGP_AF_BIT(af)))
					continue;
				bgp_put16(v + n, bgp_af_afi(af));
				v[n + 2] = BGP_SAFI_UNICAST;
				v[n + 3] = (caps->gr_fwd & BGP_AF_BIT(af)) ? BGP_GR_FORWARDING : 0;
				n += 4;
			}
			off += put_cap(tmp + off, BGP_CAP_GR, v, (uint8_t)n);
		}
	}
	if (off > cap)
		return -EMSGSIZE;
	memcpy(buf, tmp, off);
	return (int)off;
}

int bgp_open_encode(uint8_t *buf, size_t cap, uint32_t as, uint16_t hold_time, uint32_t id,
		    const struct bgp_caps *caps)
{
	uint8_t c[64];
	int n = bgp_caps_encode(c, sizeof(c), caps, false);
	size_t len;

	if (n < 0)
		return n;
	len = BGP_OPEN_MIN_LEN + (n ? 2u + (size_t)n : 0);
	if (len > cap)
		return -EMSGSIZE;
	bgp_msg_header(buf, len, BGP_MSG_OPEN);
	buf[19] = BGP_VERSION;
	bgp_put16(buf + 20, as > 0xffff ? BGP_AS_TRANS : (uint16_t)as); /* RFC 6793 §4.1 */
	bgp_put16(buf + 22, hold_time);
	bgp_put32(buf + 24, id);
	buf[28] = (uint8_t)(len - BGP_OPEN_MIN_LEN);
	if (n) {
		/* One Capabilities parameter holding them all (RFC 5492 §4), as BIRD sends. */
		buf[29] = BGP_OPT_PARAM_CAPS;
		buf[30] = (uint8_t)n;
		memcpy(buf + 31, c, (size_t)n);
	}
	return (int)len;
}

/* ---- NOTIFICATION, KEEPALIVE, ROUTE-REFRESH ------------------------------------------------------ */

int bgp_notify_decode(const uint8_t *msg, size_t len, struct bgp_notify *n)
{
	if (len < BGP_NOTIFY_MIN_LEN)
		return -EBADMSG;
	n->code = msg[19];
	n->subcode = msg[20];
	n->len = (uint16_t)(len - BGP_NOTIFY_MIN_LEN);
	n->data = msg + BGP_NOTIFY_MIN_LEN;
	return 0;
}

int bgp_notify_encode(uint8_t *buf, size_t cap, uint8_t code, uint8_t subcode,
		      const uint8_t *data, size_t dlen)
{
	size_t len;

	if (dlen > BGP_MAX_LEN - BGP_NOTIFY_MIN_LEN)
		dlen = BGP_MAX_LEN - BGP_NOTIFY_MIN_LEN;
	len = BGP_NOTIFY_MIN_LEN + dlen;
	if (len > cap)
		return -EMSGSIZE;
	bgp_msg_header(buf, len, BGP_MSG_NOTIFICATION);
	buf[19] = code;
	buf[20] = subcode;
	if (dlen)
		memcpy(buf + BGP_NOTIFY_MIN_LEN, data, dlen);
	return (int)len;
}

int bgp_keepalive_encode(uint8_t *buf, size_t cap)
{
	if (cap < BGP_KEEPALIVE_LEN)
		return -EMSGSIZE;
	bgp_msg_header(buf, BGP_KEEPALIVE_LEN, BGP_MSG_KEEPALIVE);
	return BGP_KEEPALIVE_LEN;
}

int bgp_refresh_decode(const uint8_t *msg, size_t len, struct bgp_refresh *r,
		       struct bgp_err *err)
{
	bgp_err_clear(err);
	if (len < BGP_REFRESH_LEN) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_HEADER, BGP_HDR_BAD_LEN, msg + 16,
			    len >= 18 ? 2 : 0, "ROUTE-REFRESH of %zu bytes", len);
		return -EBADMSG;
	}
	/* RFC 7313 §5: any other length is ROUTE-REFRESH Message Error / Invalid Message Length,
	 * data = the whole message. */
	if (len != BGP_REFRESH_LEN) {
		bgp_err_set(err, BGP_ACT_RESET, BGP_ERR_REFRESH, BGP_REFRESH_BAD_LEN, msg, len,
			    "ROUTE-REFRESH of %zu bytes, 23 expected", len);
		return -EBADMSG;
	}
	r->afi = bgp_get16(msg + 19);
	r->subtype = msg[21];
	r->safi = msg[22];
	return 0;
}

int bgp_refresh_encode(uint8_t *buf, size_t cap, enum bgp_af af)
{
	if (cap < BGP_REFRESH_LEN)
		return -EMSGSIZE;
	bgp_msg_header(buf, BGP_REFRESH_LEN, BGP_MSG_ROUTE_REFRESH);
	bgp_put16(buf + 19, bgp_af_afi(af));
	buf[21] = 0;
	buf[22] = BGP_SAFI_UNICAST;
	return BGP_REFRESH_LEN;
}

/* ---- NLRI ---------------------------------------------------------------------------------- */

int bgp_nlri_decode(int family, const uint8_t *p, size_t len, struct inet_prefix *out,
		    size_t cap)
{
	unsigned maxbits = inet_family_bits(family);
	size_t off = 0;
	int n = 0;

	while (off < len) {
		unsigned bits = p[off++];
		size_t bytes = (bits + 7) / 8;

		/* RFC 7606 §5.3: a length beyond the family's address size, or a prefix longer than
		 * what is left, makes the whole field syntactically incorrect. */
		if (bits > maxbits || bytes > len - off)
			return -EBADMSG;
		if (out) {
			struct inet_prefix *x;

			if ((size_t)n >= cap)
				return -ENOBUFS;
			x = &out[n];
			memset(x, 0, sizeof(*x));
			x->addr.family = (uint8_t)family;
			x->len = (uint8_t)bits;
			memcpy(x->addr.bytes, p + off, bytes);
			/* RFC 4271 §4.3: trailing bits are irrelevant; clear them so equal
			 * prefixes compare equal. */
			if (bits % 8)
				x->addr.bytes[bytes - 1] &= (uint8_t)(0xff << (8 - bits % 8));
		}
		off += bytes;
		n++;
	}
	return n;
}

int bgp_nlri_encode(const struct inet_prefix *p, uint8_t *buf, size_t cap)
{
	size_t bytes = (p->len + 7u) / 8;

	if (cap < 1 + bytes)
		return -EMSGSIZE;
	buf[0] = p->len;
	memcpy(buf + 1, p->addr.bytes, bytes);
	if (p->len % 8)
		buf[bytes] &= (uint8_t)(0xff << (8 - p->len % 8));
	return (int)(1 + bytes);
}
