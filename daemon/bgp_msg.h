/* BGP-4 wire format, the message layer (RFC 4271 §4): framing, OPEN with its capabilities
 * (RFC 5492), NOTIFICATION, KEEPALIVE, ROUTE-REFRESH (RFC 2918) and the <length, prefix> NLRI
 * encoding. Path attributes are in bgp_attr.h, the UPDATE message in bgp_update.h. Decoders never
 * read outside the buffer they are given; every fault becomes a struct bgp_err. */
#ifndef WEFTD_BGP_MSG_H
#define WEFTD_BGP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"

#define BGP_PORT 179
#define BGP_VERSION 4
#define BGP_MARKER_LEN 16
#define BGP_HDR_LEN 19
#define BGP_MAX_LEN 4096 /* RFC 4271 §4.1; RFC 8654 extended messages are not negotiated */
#define BGP_OPEN_MIN_LEN 29
#define BGP_UPDATE_MIN_LEN 23
#define BGP_NOTIFY_MIN_LEN 21
#define BGP_KEEPALIVE_LEN 19
#define BGP_REFRESH_LEN 23
#define BGP_AS_TRANS 23456u /* RFC 6793 §2 */

enum bgp_msg_type {
	BGP_MSG_OPEN = 1,
	BGP_MSG_UPDATE = 2,
	BGP_MSG_NOTIFICATION = 3,
	BGP_MSG_KEEPALIVE = 4,
	BGP_MSG_ROUTE_REFRESH = 5, /* RFC 2918 */
};

/* NOTIFICATION error codes (RFC 4271 §4.5) and subcodes (§6, RFC 4486, 5492, 6608, 7313). */
enum {
	BGP_ERR_HEADER = 1,
	BGP_ERR_OPEN = 2,
	BGP_ERR_UPDATE = 3,
	BGP_ERR_HOLD = 4,
	BGP_ERR_FSM = 5,
	BGP_ERR_CEASE = 6,
	BGP_ERR_REFRESH = 7,
};
enum { BGP_HDR_NOT_SYNC = 1, BGP_HDR_BAD_LEN = 2, BGP_HDR_BAD_TYPE = 3 };
enum {
	BGP_OPEN_BAD_VERSION = 1,
	BGP_OPEN_BAD_PEER_AS = 2,
	BGP_OPEN_BAD_ID = 3,
	BGP_OPEN_BAD_PARAM = 4,
	BGP_OPEN_BAD_HOLD = 6,
	BGP_OPEN_BAD_CAP = 7,
};
enum {
	BGP_UPD_MALFORMED_ATTRS = 1,
	BGP_UPD_UNKNOWN_WELLKNOWN = 2,
	BGP_UPD_MISSING_WELLKNOWN = 3,
	BGP_UPD_ATTR_FLAGS = 4,
	BGP_UPD_ATTR_LEN = 5,
	BGP_UPD_BAD_ORIGIN = 6,
	BGP_UPD_BAD_NEXTHOP = 8,
	BGP_UPD_OPT_ATTR = 9,
	BGP_UPD_BAD_NETWORK = 10,
	BGP_UPD_BAD_ASPATH = 11,
};
enum { BGP_FSM_IN_OPENSENT = 1, BGP_FSM_IN_OPENCONFIRM = 2, BGP_FSM_IN_ESTABLISHED = 3 };
enum {
	BGP_CEASE_MAX_PREFIX = 1,
	BGP_CEASE_SHUTDOWN = 2,
	BGP_CEASE_DECONFIGURED = 3,
	BGP_CEASE_RESET = 4,
	BGP_CEASE_REJECTED = 5,
	BGP_CEASE_CONFIG_CHANGE = 6,
	BGP_CEASE_COLLISION = 7,
	BGP_CEASE_RESOURCES = 8,
};
enum { BGP_REFRESH_BAD_LEN = 1 };

/* The address families Weft speaks (RFC 4760): unicast only. */
enum bgp_af { BGP_AF_IPV4, BGP_AF_IPV6, BGP_AF_COUNT };
#define BGP_AF_BIT(af) (1u << (af))
#define BGP_AF_ALL (BGP_AF_BIT(BGP_AF_IPV4) | BGP_AF_BIT(BGP_AF_IPV6))
#define BGP_AFI_IPV4 1
#define BGP_AFI_IPV6 2
#define BGP_SAFI_UNICAST 1

/* The family for (afi, safi), or -1 for one Weft does not speak. */
int bgp_af_from_afi(uint16_t afi, uint8_t safi);
uint16_t bgp_af_afi(enum bgp_af af);
int bgp_af_family(enum bgp_af af); /* AF_INET, AF_INET6 */
const char *bgp_af_name(enum bgp_af af); /* "ipv4-unicast" */

/* What to do about a fault in a received message, weakest first (RFC 7606 §2). When one
 * message has several faults the strongest action wins (RFC 7606 §3 (h)). */
enum bgp_action {
	BGP_ACT_NONE = 0,
	BGP_ACT_DISCARD,  /* drop the attribute, keep the routes (RFC 7606 §2 "attribute discard") */
	BGP_ACT_WITHDRAW, /* the UPDATE's routes count as withdrawn (RFC 7606 §2 "treat-as-withdraw") */
	BGP_ACT_RESET,    /* NOTIFICATION (code, subcode, data), then close (RFC 4271 §6) */
};

#define BGP_ERR_DATA_MAX (BGP_MAX_LEN - BGP_NOTIFY_MIN_LEN)

/* A fault and the NOTIFICATION it maps to. For DISCARD and WITHDRAW, code/subcode/data are what
 * RFC 4271 §6 would have sent, kept for the log. reason is one line for humans. */
struct bgp_err {
	enum bgp_action action;
	uint8_t code, subcode;
	uint16_t len;
	uint8_t data[BGP_ERR_DATA_MAX];
	char reason[160];
};

/* Record a fault unless e already holds one at least as strong (RFC 7606 §3 (h)): the first
 * fault of the strongest kind is the one reported. data is truncated to BGP_ERR_DATA_MAX. */
void bgp_err_set(struct bgp_err *e, enum bgp_action a, uint8_t code, uint8_t subcode,
		 const void *data, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
void bgp_err_clear(struct bgp_err *e);

const char *bgp_err_code_name(uint8_t code);
const char *bgp_err_subcode_name(uint8_t code, uint8_t subcode);
/* "Cease/Administrative Shutdown: \"text\"" (RFC 9003) or "UPDATE Message Error/Malformed AS_PATH
 * [40 02 ...]"; always NUL-terminated, truncated to len. */
void bgp_notify_fmt(char *buf, size_t len, uint8_t code, uint8_t subcode, const uint8_t *data,
		    size_t dlen);

/* ---- framing (RFC 4271 §4.1, §6.1) ---------------------------------------------------------- */

/* Look at the start of a byte stream: 0 when more bytes are needed, the length of the first
 * message when it is complete and its header is valid, or -EBADMSG with err set. */
int bgp_msg_frame(const uint8_t *buf, size_t len, struct bgp_err *err);
static inline uint8_t bgp_msg_type(const uint8_t *msg)
{
	return msg[18];
}
/* Write a header for a message of len bytes (len includes the header). */
void bgp_msg_header(uint8_t *buf, size_t len, uint8_t type);

/* ---- OPEN and capabilities (RFC 4271 §4.2, RFC 5492) ------------------------------------------ */

enum {
	BGP_CAP_MP = 1,             /* RFC 4760 */
	BGP_CAP_ROUTE_REFRESH = 2,  /* RFC 2918 */
	BGP_CAP_EXT_NEXTHOP = 5,    /* RFC 8950, ignored */
	BGP_CAP_EXT_MESSAGE = 6,    /* RFC 8654, parsed and ignored */
	BGP_CAP_GR = 64,            /* RFC 4724 */
	BGP_CAP_AS4 = 65,           /* RFC 6793 */
	BGP_CAP_ADD_PATH = 69,      /* RFC 7911, ignored */
	BGP_CAP_ENH_REFRESH = 70,   /* RFC 7313, parsed and ignored */
};
#define BGP_OPT_PARAM_CAPS 2      /* RFC 5492 §4 */
#define BGP_GR_RESTART 0x8        /* the R bit of the Restart Flags (RFC 4724 §3) */
#define BGP_GR_NOTIFICATION 0x4   /* the N bit (RFC 8538), parsed only */
#define BGP_GR_FORWARDING 0x80    /* the F bit of an address family's flags (RFC 4724 §3) */
#define BGP_GR_TIME_MAX 4095
#define BGP_CAPS_UNKNOWN_MAX 16

struct bgp_caps {
	uint8_t afs;          /* BGP_AF_BIT()s of Multiprotocol capabilities Weft speaks */
	bool mp;              /* any Multiprotocol capability, known family or not */
	bool as4;
	uint32_t as4_number;
	bool route_refresh;
	bool enhanced_refresh;
	bool ext_message;
	bool gr;              /* Graceful Restart capability present (last instance wins, §3) */
	uint8_t gr_flags;     /* BGP_GR_RESTART, BGP_GR_NOTIFICATION */
	uint16_t gr_time;     /* seconds, 0..4095 */
	uint8_t gr_afs;       /* families listed in the capability */
	uint8_t gr_fwd;       /* of those, the ones with the F bit */
	uint8_t n_unknown;    /* codes seen and ignored (first BGP_CAPS_UNKNOWN_MAX) */
	uint8_t unknown[BGP_CAPS_UNKNOWN_MAX];
};

struct bgp_open {
	uint8_t version;
	uint16_t my_as;       /* the 2-octet field as sent (AS_TRANS for 4-octet-only ASes) */
	uint32_t as;          /* the sender's AS: the 4-octet capability if present, else my_as */
	bool as_mismatch;     /* 4-octet capability and My AS disagree (RFC 6793 §4.1); logged only */
	uint16_t hold_time;
	uint32_t id;          /* BGP Identifier, host byte order */
	struct bgp_caps caps;
};

/* The families a peer speaks: its Multiprotocol capabilities, or IPv4 unicast alone when it
 * sent none (RFC 4760 §8: a speaker without the capability is an IPv4-only BGP-4 speaker). */
uint8_t bgp_caps_afs(const struct bgp_caps *c);

/* Decode an OPEN (msg is the whole message, header included): syntax only. 0, or -EBADMSG
 * with err holding the OPEN Message Error (RFC 4271 §6.2). */
int bgp_open_decode(const uint8_t *msg, size_t len, struct bgp_open *o, struct bgp_err *err);
/* The checks that need our configuration (RFC 4271 §6.2, RFC 6286 §2.2, RFC 5492 §5):
 * peer_as, our BGP Identifier (internal peers must differ), families in common. */
int bgp_open_check(const struct bgp_open *o, uint32_t peer_as, uint32_t local_as,
		   uint32_t local_id, uint8_t our_afs, struct bgp_err *err);
/* Encode an OPEN with all capabilities in one optional parameter. Returns the length or
 * -EMSGSIZE. */
int bgp_open_encode(uint8_t *buf, size_t cap, uint32_t as, uint16_t hold_time, uint32_t id,
		    const struct bgp_caps *caps);
/* The capability list alone (code, length, value...), as an Unsupported Capability
 * NOTIFICATION carries it. Returns the length or -EMSGSIZE. */
int bgp_caps_encode(uint8_t *buf, size_t cap, const struct bgp_caps *caps, bool only_mp);

/* ---- NOTIFICATION, KEEPALIVE, ROUTE-REFRESH ---------------------------------------------------- */

struct bgp_notify {
	uint8_t code, subcode;
	uint16_t len;
	const uint8_t *data; /* points into the message */
};

int bgp_notify_decode(const uint8_t *msg, size_t len, struct bgp_notify *n);
/* Data longer than fits in one message is truncated. Returns the length or -EMSGSIZE. */
int bgp_notify_encode(uint8_t *buf, size_t cap, uint8_t code, uint8_t subcode,
		      const uint8_t *data, size_t dlen);
int bgp_keepalive_encode(uint8_t *buf, size_t cap);

struct bgp_refresh {
	uint16_t afi;
	uint8_t subtype; /* RFC 7313: 0 request, 1 BoRR, 2 EoRR */
	uint8_t safi;
};
/* 0, or -EBADMSG with err: a ROUTE-REFRESH of the wrong length (RFC 7313 §5). */
int bgp_refresh_decode(const uint8_t *msg, size_t len, struct bgp_refresh *r,
		       struct bgp_err *err);
int bgp_refresh_encode(uint8_t *buf, size_t cap, enum bgp_af af);

/* ---- NLRI: <length, prefix> runs (RFC 4271 §4.3, RFC 4760 §5) -------------------------------- */

/* Decode the run p[0..len) of family (AF_INET, AF_INET6) into out (up to cap entries; out NULL
 * counts only). Host bits past the length are cleared. Returns the number of prefixes or
 * -EBADMSG when the run is malformed (RFC 7606 §5.3: a length beyond the family's bits, or a
 * prefix running past the end). */
int bgp_nlri_decode(int family, const uint8_t *p, size_t len, struct inet_prefix *out,
		    size_t cap);
static inline size_t bgp_nlri_size(const struct inet_prefix *p)
{
	return 1 + (p->len + 7u) / 8;
}
/* Append one prefix at buf; returns the bytes written or -EMSGSIZE. */
int bgp_nlri_encode(const struct inet_prefix *p, uint8_t *buf, size_t cap);

/* Big-endian helpers shared by the codec files. */
static inline uint16_t bgp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t bgp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void bgp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void bgp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
