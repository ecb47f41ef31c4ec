/* Interface addresses over route netlink: add a pod address (IPv6 without DAD so it is usable
 * at once) and list the addresses of one interface. */
#ifndef WEFT_PLUGIN_NL_ADDR_H
#define WEFT_PLUGIN_NL_ADDR_H

#include "inet.h"
#include "nl.h"

struct nl_addr {
	int index;
	struct inet_prefix prefix;
	unsigned flags; /* IFA_F_* */
	int scope;
};

/* p keeps its own length (/32, /128). IPv6 addresses get IFA_F_NODAD (the pod owns them, no
 * one else is on the link) and IFA_F_NOPREFIXROUTE (routes are ours to add). */
struct nlmsghdr *nl_addr_msg(struct nl_sock *s, void *buf, int index, const struct inet_prefix *p);
int nl_addr_add(struct nl_sock *s, int index, const struct inet_prefix *p);
/* Every address of interface index (0 = all) in family (AF_UNSPEC = both). fn as nl_link_dump. */
int nl_addr_dump(struct nl_sock *s, int family, int index,
		 int (*fn)(const struct nl_addr *a, void *data), void *data);

#endif
