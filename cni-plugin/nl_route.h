/* Routes over route netlink: add the pod's and the host's routes, list a table for CHECK, and
 * find the device of the default route (the node's uplink, for the MTU). */
#ifndef WEFT_PLUGIN_NL_ROUTE_H
#define WEFT_PLUGIN_NL_ROUTE_H

#include "inet.h"
#include "nl.h"

struct nl_route {
	struct inet_prefix dst; /* family and length; the address is the network */
	struct inet_addr gw;    /* family 0 = directly connected */
	int oif;                /* output interface index, 0 = none */
	int scope;              /* RT_SCOPE_*: LINK without a gateway, UNIVERSE with one */
	unsigned table;         /* 0 = main */
	unsigned metric;        /* RTA_PRIORITY; 0 = the kernel's default (IPv4 0, IPv6 1024) */
	unsigned flags;         /* RTNH_F_*: RTNH_F_ONLINK takes gw as on the link, unchecked */
	unsigned type;          /* RTN_*, filled by dumps */
};

struct nlmsghdr *nl_route_msg(struct nl_sock *s, void *buf, const struct nl_route *r);
/* NLM_F_EXCL: an existing route to the same destination is an error, not replaced. */
int nl_route_add(struct nl_sock *s, const struct nl_route *r);
/* Every route of table (0 = main) in family; fn as nl_link_dump. Multipath routes report their
 * first hop. */
int nl_route_dump(struct nl_sock *s, int family, unsigned table,
		  int (*fn)(const struct nl_route *r, void *data), void *data);
/* Output interface of the first default route of the main table in family: 0 with *oif set,
 * -ENOENT if there is none, or -errno. */
int nl_route_default_oif(struct nl_sock *s, int family, int *oif);

#endif
