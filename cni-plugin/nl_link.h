/* Links over route netlink: the veth pair the plugin creates (both ends in one request, the
 * peer directly in the pod's namespace), lookups, up/alias, delete, and filtered dumps. */
#ifndef WEFT_PLUGIN_NL_LINK_H
#define WEFT_PLUGIN_NL_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "nl.h"

#define NL_ALIAS_MAX 256 /* IFALIASZ, including the NUL */

struct nl_link {
	int index;
	unsigned flags; /* IFF_* */
	unsigned mtu;
	uint8_t mac[6];
	bool has_mac;
	char name[IF_NAMESIZE];
	char alias[NL_ALIAS_MAX];
	char kind[16]; /* "veth", ... or "" */
	int link;      /* IFLA_LINK: a veth's peer index (in link_nsid's namespace), 0 = none */
	int link_nsid; /* IFLA_LINK_NETNSID: the peer's namespace as this one numbers it, -1 = same */
};

struct nl_veth {
	const char *name;  /* host side, created in the socket's namespace */
	const char *peer;  /* pod side name */
	int peer_netns_fd; /* namespace the peer is created in (IFLA_NET_NS_FD), -1 = same */
	unsigned mtu;      /* both ends; 0 = kernel default */
};

/* Build the RTM_NEWLINK request for v into buf (NL_REQ_SIZE bytes). s may be NULL (tests). */
struct nlmsghdr *nl_link_veth_msg(struct nl_sock *s, void *buf, const struct nl_veth *v);
/* Create the pair atomically: NLM_F_EXCL, so an existing name on either side fails with
 * -EEXIST and nothing is created. */
int nl_link_veth_add(struct nl_sock *s, const struct nl_veth *v);

/* Look a link up by name (when name is set) or index: 0, -ENODEV, or -errno. */
int nl_link_get(struct nl_sock *s, const char *name, int index, struct nl_link *out);
/* Bring the link up (if up) and set its alias (if alias is non-NULL), in one request. */
int nl_link_set(struct nl_sock *s, int index, bool up, const char *alias);
int nl_link_del(struct nl_sock *s, int index);

/* Call fn for every link of the given kind ("veth"); the kernel filters. fn returns 0 to go on, > 0 to
 * stop (the walk returns 0), or a negative value that stops it and is returned. */
int nl_link_dump(struct nl_sock *s, const char *kind, int (*fn)(const struct nl_link *l, void *data),
		 void *data);

/* Parse an RTM_NEWLINK message (a GET reply or a dump entry) into out: 0 or -EBADMSG. */
int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *out);

/* "aa:bb:cc:dd:ee:ff" into out (18 bytes). */
void nl_mac_fmt(const uint8_t mac[6], char *out);

#endif
