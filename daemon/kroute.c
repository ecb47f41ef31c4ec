/* rtnetlink for the fabric (kroute.h): one NETLINK_ROUTE socket, request/ACK exchanges that
 * keep the kernel's extended-ACK text, dumps, and the messages for links, addresses and
 * weftd's routes. weftd is single threaded and asks one thing at a time. */
#include "kroute.h"

#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* TUNNEL_CSUM of the tunnel flags (a __be16 in the uapi, value 0x01). */
#define KR_TUNNEL_CSUM htons(0x01)
#define KR_REQ_SIZE NL_REQ_SIZE

struct kroute {
	struct nl_sock nl; /* lib/netlink: request/ACK with the kernel's extack text, dumps */
};

int kroute_open(struct kroute **out)
{
	struct kroute *kr;
	int r;

	*out = NULL;
	kr = calloc(1, sizeof(*kr));
	if (!kr)
		return -ENOMEM;
	r = nl_open(&kr->nl);
	if (r < 0) {
		free(kr);
		return r;
	}
	*out = kr;
	return 0;
}

void kroute_close(struct kroute *kr)
{
	if (!kr)
		return;
	nl_close(&kr->nl);
	free(kr);
}

const char *kroute_ext_msg(const struct kroute *kr)
{
	return kr ? kr->nl.ext_msg : "";
}

/* ---- plumbing ------------------------------------------------------------------------------- */

static struct nlmsghdr *kr_msg(struct kroute *kr, void *buf, uint16_t type, uint16_t flags, size_t hdrlen, void **hdr)
{
	return nl_msg_start(&kr->nl, buf, type, flags, hdrlen, hdr);
}

static int kr_talk(struct kroute *kr, struct nlmsghdr *nlh)
{
	return nl_talk(&kr->nl, nlh, NULL, NULL);
}

static int kr_dump(struct kroute *kr, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	return nl_dump(&kr->nl, nlh, cb, data);
}

static void kr_put_addr(struct nlmsghdr *nlh, uint16_t type, const struct inet_addr *a)
{
	mnl_attr_put(nlh, type, inet_addr_size(a), a->bytes);
}

static bool kr_get_addr(const struct nlattr *attr, int family, struct inet_addr *out)
{
	size_t n = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	if (!attr || mnl_attr_get_payload_len(attr) != n)
		return false;
	out->family = (uint8_t)family;
	memcpy(out->bytes, mnl_attr_get_payload(attr), n);
	return true;
}

/* ---- links ------------------------------------------------------------------------------------- */

static int kr_vxlan_attr(const struct nlattr *attr, void *data)
{
	struct kroute_link *l = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_VXLAN_COLLECT_METADATA:
		if (mnl_attr_get_payload_len(attr) >= 1)
			l->vxlan_external = mnl_attr_get_u8(attr) != 0;
		break;
	case IFLA_VXLAN_LEARNING:
		if (mnl_attr_get_payload_len(attr) >= 1)
			l->vxlan_learning = mnl_attr_get_u8(attr) != 0;
		break;
	case IFLA_VXLAN_PORT:
		if (mnl_attr_get_payload_len(attr) >= 2)
			l->vxlan_port = ntohs(mnl_attr_get_u16(attr));
		break;
	}
	return MNL_CB_OK;
}

static int kr_linkinfo_attr(const struct nlattr *attr, void *data)
{
	struct kroute_link *l = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND && mnl_attr_validate(attr, MNL_TYPE_STRING) == 0)
		snprintf(l->kind, sizeof(l->kind), "%.*s", (int)mnl_attr_get_payload_len(attr),
			 (const char *)mnl_attr_get_payload(attr));
	else if (mnl_attr_get_type(attr) == IFLA_INFO_DATA)
		mnl_attr_parse_nested(attr, kr_vxlan_attr, l);
	return MNL_CB_OK;
}

static int kr_link_attr(const struct nlattr *attr, void *data)
{
	struct kroute_link *l = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(attr));
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(attr) == 6)
			memcpy(l->mac, mnl_attr_get_payload(attr), 6);
		break;
	case IFLA_IFALIAS:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(l->alias, sizeof(l->alias), "%s", mnl_attr_get_str(attr));
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(attr, kr_linkinfo_attr, l);
		break;
	}
	return MNL_CB_OK;
}

static int kr_link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct kroute_link *l = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	memset(l, 0, sizeof(*l));
	l->ifindex = (unsigned)ifi->ifi_index;
	l->up = ifi->ifi_flags & IFF_UP;
	l->noarp = ifi->ifi_flags & IFF_NOARP;
	mnl_attr_parse(nlh, sizeof(*ifi), kr_link_attr, l);
	return MNL_CB_OK;
}

int kroute_link_get(struct kroute *kr, const char *name, unsigned ifindex, struct kroute_link *out)
{
	char req[KR_REQ_SIZE];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int r;

	memset(out, 0, sizeof(*out));
	nlh = kr_msg(kr, req, RTM_GETLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	if (name) {
		if (!*name || strlen(name) >= IF_NAMESIZE)
			return -EINVAL;
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	} else {
		ifi->ifi_index = (int)ifindex;
	}
	r = nl_talk(&kr->nl, nlh, kr_link_cb, out);
	if (r == -ENODEV || (r == 0 && out->ifindex == 0))
		return -ENODEV;
	return r;
}

int kroute_vxlan_add(struct kroute *kr, const char *name, uint16_t port, unsigned mtu, const char *alias)
{
	struct nlattr *info, *data, *af, *af6;
	char req[KR_REQ_SIZE];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int r;

	if (!name || !*name || strlen(name) >= IF_NAMESIZE)
		return -EINVAL;
	nlh = kr_msg(kr, req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_NOARP;
	ifi->ifi_change = IFF_NOARP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, IFLA_VXLAN_COLLECT_METADATA, 1);
	mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
	mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(port));
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	r = kr_talk(kr, nlh);
	if (r < 0)
		return r;
	/* No IPv6 link-local address: nothing speaks IPv6 link-local over the fabric, and router
	 * solicitations sent into a device without tunnel keys would only count as errors. A
	 * second request: the kernel takes neither IPv6 settings nor an alias for a device it is
	 * only creating. */
	nlh = kr_msg(kr, req, RTM_NEWLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	af6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, af6);
	mnl_attr_nest_end(nlh, af);
	r = kr_talk(kr, nlh);
	if (r < 0) {
		struct kroute_link l;
		char msg[sizeof(kr->nl.ext_msg)];

		/* Leave nothing half made; keep the reason. */
		memcpy(msg, kr->nl.ext_msg, sizeof(msg));
		if (kroute_link_get(kr, name, 0, &l) == 0)
			kroute_link_del(kr, l.ifindex);
		memcpy(kr->nl.ext_msg, msg, sizeof(msg));
	}
	return r;
}

int kroute_link_up(struct kroute *kr, unsigned ifindex, unsigned mtu)
{
	char req[KR_REQ_SIZE];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	nlh = kr_msg(kr, req, RTM_NEWLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return kr_talk(kr, nlh);
}

int kroute_link_del(struct kroute *kr, unsigned ifindex)
{
	char req[KR_REQ_SIZE];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int r;

	nlh = kr_msg(kr, req, RTM_DELLINK, 0, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	r = kr_talk(kr, nlh);
	return r == -ENODEV ? 0 : r;
}

/* ---- addresses --------------------------------------------------------------------------------- */

struct kr_addr_walk {
	unsigned ifindex;                 /* 0: any */
	int (*fn)(const struct inet_addr *a, unsigned ifindex, void *arg);
	void *arg;
};

static int kr_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct kr_addr_walk *w = data;
	const struct nlattr *attr, *local = NULL, *address = NULL;
	struct inet_addr a;

	if (nlh->nlmsg_type != RTM_NEWADDR || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	if (w->ifindex && ifa->ifa_index != w->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			local = attr;
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			address = attr;
	}
	/* IFA_LOCAL is the address itself; IFA_ADDRESS the peer's on point-to-point links. */
	if (!kr_get_addr(local ? local : address, ifa->ifa_family, &a))
		return MNL_CB_OK;
	if (w->fn(&a, ifa->ifa_index, w->arg) != 0) {
		errno = EEXIST; /* "found": ends the walk early (the rest is drained) */
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int kr_addr_walk(struct kroute *kr, struct kr_addr_walk *w, int family)
{
	char req[KR_REQ_SIZE];
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;

	nlh = kr_msg(kr, req, RTM_GETADDR, 0, sizeof(*ifa), (void **)&ifa);
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_index = w->ifindex; /* a filter under strict checking */
	return kr_dump(kr, nlh, kr_addr_cb, w);
}

struct kr_find {
	const struct inet_addr *want;
	unsigned ifindex;
};

static int kr_find_fn(const struct inet_addr *a, unsigned ifindex, void *arg)
{
	struct kr_find *f = arg;

	if (!inet_addr_equal(a, f->want))
		return 0;
	f->ifindex = ifindex;
	return 1;
}

int kroute_addr_find(struct kroute *kr, const struct inet_addr *a, unsigned *ifindex)
{
	struct kr_find f = { .want = a };
	struct kr_addr_walk w = { .fn = kr_find_fn, .arg = &f };
	int r = kr_addr_walk(kr, &w, a->family);

	if (r < 0 && r != -EEXIST)
		return r;
	if (!f.ifindex)
		return -ENOENT;
	*ifindex = f.ifindex;
	return 0;
}

static int kr_addr_msg(struct kroute *kr, uint16_t type, uint16_t flags, unsigned ifindex, const struct inet_addr *a)
{
	char req[KR_REQ_SIZE];
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;

	nlh = kr_msg(kr, req, type, flags, sizeof(*ifa), (void **)&ifa);
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = (uint8_t)inet_family_bits(a->family);
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	kr_put_addr(nlh, IFA_LOCAL, a);
	kr_put_addr(nlh, IFA_ADDRESS, a);
	/* No duplicate address detection: the address is the node's by construction (the network
	 * address of its own pod CIDR), and a tentative address could not be a route's source. */
	if (type == RTM_NEWADDR)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return kr_talk(kr, nlh);
}

int kroute_addr_add(struct kroute *kr, unsigned ifindex, const struct inet_addr *a)
{
	int r = kr_addr_msg(kr, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a);

	return r == -EEXIST ? 0 : r;
}

int kroute_addr_del(struct kroute *kr, unsigned ifindex, const struct inet_addr *a)
{
	int r = kr_addr_msg(kr, RTM_DELADDR, 0, ifindex, a);

	return r == -EADDRNOTAVAIL || r == -ENOENT ? 0 : r;
}

struct kr_each {
	int (*fn)(const struct inet_addr *a, void *arg);
	void *arg;
	struct inet_addr *all;
	size_t n, cap;
};

static int kr_each_collect(const struct inet_addr *a, unsigned ifindex, void *arg)
{
	struct kr_each *e = arg;

	if (e->n == e->cap) {
		struct inet_addr *m = realloc(e->all, (e->cap = e->cap ? e->cap * 2 : 8) * sizeof(*m));

		if (!m)
			return 0; /* the walk goes on; this address is missed, as if removed meanwhile */
		e->all = m;
	}
	e->all[e->n++] = *a;
	return 0;
}

int kroute_addr_foreach(struct kroute *kr, unsigned ifindex, int (*fn)(const struct inet_addr *a, void *arg),
			void *arg)
{
	struct kr_each e = { .fn = fn, .arg = arg };
	struct kr_addr_walk w = { .ifindex = ifindex, .fn = kr_each_collect, .arg = &e };
	int r;

	/* Collected first: fn may add or remove addresses, which needs the socket. */
	r = kr_addr_walk(kr, &w, AF_UNSPEC);
	for (size_t i = 0; r == 0 && i < e.n; i++) {
		/* Link-local addresses are the kernel's own business. */
		if (e.all[i].family == AF_INET6 && e.all[i].bytes[0] == 0xfe && (e.all[i].bytes[1] & 0xc0) == 0x80)
			continue;
		r = fn(&e.all[i], arg);
	}
	free(e.all);
	return r;
}

/* ---- routes ------------------------------------------------------------------------------------ */

static struct nlmsghdr *kr_route_msg(struct kroute *kr, void *req, uint16_t type, uint16_t flags,
				     const struct inet_prefix *dst, struct rtmsg **rtm)
{
	struct nlmsghdr *nlh = kr_msg(kr, req, type, flags, sizeof(**rtm), (void **)rtm);

	(*rtm)->rtm_family = dst->addr.family;
	(*rtm)->rtm_dst_len = dst->len;
	(*rtm)->rtm_table = RT_TABLE_MAIN;
	(*rtm)->rtm_protocol = KROUTE_PROTO;
	(*rtm)->rtm_type = RTN_UNICAST;
	kr_put_addr(nlh, RTA_DST, &dst->addr);
	return nlh;
}

int kroute_route_replace(struct kroute *kr, const struct kroute_route *r)
{
	char req[KR_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (r->dst.addr.family != AF_INET && r->dst.addr.family != AF_INET6)
		return -EINVAL;
	if (r->gw.family && r->gw.family != r->dst.addr.family && r->dst.addr.family == AF_INET6)
		return -EAFNOSUPPORT;
	nlh = kr_route_msg(kr, req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &r->dst, &rtm);
	/* A route with a gateway reaches beyond the link; one out of a device (the VXLAN device,
	 * whose encap names the node) is on the link. */
	rtm->rtm_scope = r->gw.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->gw.family == r->dst.addr.family) {
		kr_put_addr(nlh, RTA_GATEWAY, &r->gw);
	} else if (r->gw.family) {
		/* An IPv4 route through an IPv6 neighbour (RFC 5549, Linux 5.2+). */
		struct rtvia via = { .rtvia_family = AF_INET6 };
		char b[sizeof(via) + 16];

		memcpy(b, &via, sizeof(via));
		memcpy(b + sizeof(via), r->gw.bytes, 16);
		mnl_attr_put(nlh, RTA_VIA, sizeof(b), b);
	}
	if (r->src.family == r->dst.addr.family)
		kr_put_addr(nlh, RTA_PREFSRC, &r->src);
	if (r->encap.family) {
		struct nlattr *e;
		uint64_t id = htobe64(r->encap_id);

		mnl_attr_put_u16(nlh, RTA_ENCAP_TYPE, r->encap.family == AF_INET ? LWTUNNEL_ENCAP_IP : LWTUNNEL_ENCAP_IP6);
		e = mnl_attr_nest_start(nlh, RTA_ENCAP);
		if (r->encap.family == AF_INET) {
			mnl_attr_put(nlh, LWTUNNEL_IP_ID, sizeof(id), &id);
			kr_put_addr(nlh, LWTUNNEL_IP_DST, &r->encap);
			mnl_attr_put_u8(nlh, LWTUNNEL_IP_TTL, 64);
		} else {
			/* The UDP checksum is mandatory over IPv6 (RFC 8200 8.1): without it the
			 * receiving VXLAN device drops the packet. */
			mnl_attr_put(nlh, LWTUNNEL_IP6_ID, sizeof(id), &id);
			kr_put_addr(nlh, LWTUNNEL_IP6_DST, &r->encap);
			mnl_attr_put_u8(nlh, LWTUNNEL_IP6_HOPLIMIT, 64);
			mnl_attr_put_u16(nlh, LWTUNNEL_IP6_FLAGS, KR_TUNNEL_CSUM);
		}
		mnl_attr_nest_end(nlh, e);
	}
	return kr_talk(kr, nlh);
}

int kroute_route_del(struct kroute *kr, const struct inet_prefix *dst)
{
	char req[KR_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int r;

	if (dst->addr.family != AF_INET && dst->addr.family != AF_INET6)
		return -EINVAL;
	/* rtm_protocol set: the kernel deletes only a route of that protocol. */
	nlh = kr_route_msg(kr, req, RTM_DELROUTE, 0, dst, &rtm);
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	r = kr_talk(kr, nlh);
	return r == -ESRCH || r == -ENOENT ? 0 : r;
}

static int kr_encap_attr(const struct nlattr *attr, void *data)
{
	struct kroute_route *r = data;
	uint16_t t = mnl_attr_get_type(attr);

	/* LWTUNNEL_IP_DST and LWTUNNEL_IP6_DST are both 2; the payload length tells. */
	if (t == LWTUNNEL_IP_DST && !kr_get_addr(attr, AF_INET, &r->encap))
		kr_get_addr(attr, AF_INET6, &r->encap);
	if (t == LWTUNNEL_IP_ID && mnl_attr_get_payload_len(attr) == 8) {
		uint64_t id;

		memcpy(&id, mnl_attr_get_payload(attr), 8);
		r->encap_id = (uint32_t)be64toh(id);
	}
	return MNL_CB_OK;
}

struct kr_route_walk {
	int (*fn)(const struct kroute_route *r, void *arg);
	void *arg;
	int r;
};

static int kr_route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct kr_route_walk *w = data;
	const struct nlattr *attr;
	struct kroute_route r;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || w->r)
		return MNL_CB_OK;
	if (rtm->rtm_protocol != KROUTE_PROTO || (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return MNL_CB_OK;
	memset(&r, 0, sizeof(r));
	table = rtm->rtm_table;
	r.dst.addr.family = rtm->rtm_family;
	r.dst.len = rtm->rtm_dst_len;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(attr)) {
		case RTA_TABLE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				table = mnl_attr_get_u32(attr);
			break;
		case RTA_DST:
			kr_get_addr(attr, rtm->rtm_family, &r.dst.addr);
			r.dst.len = rtm->rtm_dst_len;
			break;
		case RTA_GATEWAY:
			kr_get_addr(attr, rtm->rtm_family, &r.gw);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				r.oif = mnl_attr_get_u32(attr);
			break;
		case RTA_PREFSRC:
			kr_get_addr(attr, rtm->rtm_family, &r.src);
			break;
		case RTA_ENCAP:
			mnl_attr_parse_nested(attr, kr_encap_attr, &r);
			break;
		}
	}
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	r.dst.addr.family = rtm->rtm_family; /* a default route has no RTA_DST */
	w->r = w->fn(&r, w->arg);
	return MNL_CB_OK;
}

struct kr_route_got {
	unsigned oif;
	struct inet_addr gw;
	int family;
};

static int kr_route_got_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kr_route_got *g = data;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct rtmsg)) {
		if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			g->oif = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == RTA_GATEWAY)
			kr_get_addr(attr, g->family, &g->gw);
	}
	return MNL_CB_OK;
}

int kroute_route_get(struct kroute *kr, const struct inet_addr *dst, unsigned *oif, struct inet_addr *gw)
{
	struct kr_route_got g = { .family = dst->family };
	char req[KR_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int r;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EINVAL;
	nlh = kr_msg(kr, req, RTM_GETROUTE, 0, sizeof(*rtm), (void **)&rtm);
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = (unsigned char)inet_family_bits(dst->family);
	kr_put_addr(nlh, RTA_DST, dst);
	r = nl_talk(&kr->nl, nlh, kr_route_got_cb, &g);
	if (r < 0)
		return r;
	*oif = g.oif;
	*gw = g.gw; /* an RTA_VIA (an IPv6 gateway of an IPv4 route) leaves family 0 */
	return 0;
}

int kroute_route_foreach(struct kroute *kr, int family, int (*fn)(const struct kroute_route *r, void *arg),
			 void *arg)
{
	struct kr_route_walk w = { .fn = fn, .arg = arg };
	char req[KR_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int r;

	nlh = kr_msg(kr, req, RTM_GETROUTE, 0, sizeof(*rtm), (void **)&rtm);
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = KROUTE_PROTO; /* filters in the kernel under strict checking */
	r = kr_dump(kr, nlh, kr_route_cb, &w);
	return r < 0 ? r : w.r;
}
