/* Neighbour entries over route netlink: the permanent entries that bind the pod's link-local
 * gateway to the host veth's MAC (and the pod's addresses to its MAC on the host), so neither
 * side ever needs ARP or neighbour discovery on the veth. */
#ifndef WEFT_PLUGIN_NL_NEIGH_H
#define WEFT_PLUGIN_NL_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "inet.h"
#include "nl.h"

struct nl_neigh {
	int index;
	struct inet_addr dst;
	uint8_t mac[6];
	bool has_mac;
	unsigned state; /* NUD_* */
};

struct nlmsghdr *nl_neigh_msg(struct nl_sock *s, void *buf, int index, const struct inet_addr *dst,
			      const uint8_t mac[6]);
/* A NUD_PERMANENT entry dst -> mac on index (replacing one that is there). */
int nl_neigh_add(struct nl_sock *s, int index, const struct inet_addr *dst, const uint8_t mac[6]);
/* The entry for dst on index: 0, -ENOENT, or -errno. */
int nl_neigh_get(struct nl_sock *s, int index, const struct inet_addr *dst, struct nl_neigh *out);

#endif
