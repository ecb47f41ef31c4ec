/* BGP UPDATE messages (RFC 4271 §4.3, RFC 4760): decoding into lists of withdrawn and announced
 * prefixes with their attributes (RFC 7606 treat-as-withdraw and routing loops already turned
 * into withdrawals, End-of-RIB recognized), and encoding our own announcements and withdrawals,
 * as many prefixes per message as fit. */
#ifndef WEFTD_BGP_UPDATE_H
#define WEFTD_BGP_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp_attr.h"
#include "bgp_msg.h"
#include "inet.h"

/* One run of prefixes of one family. */
struct bgp_nlri {
	int af;                      /* enum bgp_af */
	bool withdraw;               /* withdrawn, or announced but to be treated as withdrawn */
	struct inet_addr nh, nh_ll;  /* announced: next hop (nh may be IPv4 for IPv6 routes) */
	size_t n;
	struct inet_prefix *pfx;
};

#define BGP_UPDATE_LISTS 4

struct bgp_update {
	/* In the order to apply them: Withdrawn Routes, MP_UNREACH_NLRI, MP_REACH_NLRI, NLRI.
	 * Families not negotiated are left out. */
	size_t n_lists;
	struct bgp_nlri lists[BGP_UPDATE_LISTS];
	struct bgp_attrs attrs;      /* of the announced routes */
	int eor;                     /* End-of-RIB marker for this family (RFC 4724 §2), or -1 */
	bool treat_as_withdraw;      /* RFC 7606: announcements became withdrawals; see err */
	const char *loop;            /* why announcements became withdrawals (RFC 4271 §9.1.2,
				      * RFC 4456 §8), or NULL */
	struct inet_prefix *mem;     /* all prefixes, one allocation */
};

/* Decode the UPDATE msg[0..len) (header included). Returns 0: u is filled, and err->action
 * says whether an attribute was discarded (BGP_ACT_DISCARD) or the routes are treated as
 * withdrawn (BGP_ACT_WITHDRAW, u->treat_as_withdraw) with the reason. Returns -EBADMSG: the
 * session must be reset with err's NOTIFICATION. -ENOMEM. u must be released with
 * bgp_update_fini in every case. */
int bgp_update_decode(const struct bgp_neg *neg, const uint8_t *msg, size_t len,
		      struct bgp_update *u, struct bgp_err *err);
void bgp_update_fini(struct bgp_update *u);
/* Total prefixes announced (not withdrawn) / withdrawn in u. */
size_t bgp_update_count(const struct bgp_update *u, bool withdrawn);

/* One UPDATE announcing as many of pfx[0..n) (all of family af) as fit in 4096 bytes, with the
 * attributes a (bgp_attrs_encode). IPv4 goes in the NLRI field with NEXT_HOP a->nexthop; IPv6 in
 * MP_REACH_NLRI, the first attribute (RFC 7606 §5.1), with next hop a->mp_nexthop (an IPv4
 * address is sent IPv4-mapped) plus a->mp_nexthop_ll when set (32 bytes, RFC 2545 §3).
 * *used = the prefixes packed (at least one). Returns the message length, -EMSGSIZE when not
 * even one prefix fits, -EINVAL for a bad next hop or a prefix of another family. */
int bgp_update_encode_announce(const struct bgp_neg *neg, const struct bgp_attrs *a,
			       enum bgp_af af, const struct inet_prefix *pfx, size_t n,
			       uint8_t *buf, size_t cap, size_t *used);
/* One UPDATE withdrawing as many of pfx[0..n) as fit: IPv4 in Withdrawn Routes, IPv6 in
 * MP_UNREACH_NLRI. */
int bgp_update_encode_withdraw(enum bgp_af af, const struct inet_prefix *pfx, size_t n,
			       uint8_t *buf, size_t cap, size_t *used);
/* The End-of-RIB marker (RFC 4724 §2): an empty UPDATE for IPv4, an UPDATE holding only an
 * empty MP_UNREACH_NLRI for IPv6. */
int bgp_update_encode_eor(enum bgp_af af, uint8_t *buf, size_t cap);

#endif
