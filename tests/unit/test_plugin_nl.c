/* Unit tests for the plugin's netlink messages, built without a socket and read back attribute
 * by attribute: the veth pair request (peer in another namespace, both MTUs, create-exclusive),
 * addresses, routes, neighbours, and parsing of a link message. No root needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>

#include "cni-plugin/nl.h"
#include "cni-plugin/nl_addr.h"
#include "cni-plugin/nl_link.h"
#include "cni-plugin/nl_neigh.h"
#include "cni-plugin/nl_route.h"

#define MAXATTR 64

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) < MAXATTR)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static void check_header(const struct nlmsghdr *nlh, uint16_t type, uint16_t flags)
{
	assert_int_equal(nlh->nlmsg_type, type);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | flags);
	/* the length covers exactly what was written and nothing overflowed the request buffer */
	assert_true(nlh->nlmsg_len <= NL_REQ_SIZE);
}

static void veth_request(void **state)
{
	char buf[NL_REQ_SIZE];
	const struct nlattr *tb[MAXATTR] = { 0 }, *info[MAXATTR] = { 0 }, *data[MAXATTR] = { 0 }, *ptb[MAXATTR] = { 0 };
	struct nl_veth v = { .name = "wft0123456789ab", .peer = "eth0", .peer_netns_fd = 7, .mtu = 1450 };
	const struct ifinfomsg *ifm, *pifm;
	const struct nlattr *peer;
	struct nlmsghdr *nlh;

	nlh = nl_link_veth_msg(NULL, buf, &v);
	/* NLM_F_EXCL: a name taken on either side fails the whole request, nothing is created */
	check_header(nlh, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifm->ifi_index, 0);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*ifm), attr_cb, tb), MNL_CB_OK);
	assert_string_equal(mnl_attr_get_str(tb[IFLA_IFNAME]), "wft0123456789ab");
	assert_int_equal(mnl_attr_get_u32(tb[IFLA_MTU]), 1450);
	assert_null(tb[IFLA_NET_NS_FD]); /* the host side stays in the socket's namespace */

	assert_non_null(tb[IFLA_LINKINFO]);
	assert_int_equal(mnl_attr_parse_nested(tb[IFLA_LINKINFO], attr_cb, info), MNL_CB_OK);
	assert_string_equal(mnl_attr_get_str(info[IFLA_INFO_KIND]), "veth");
	assert_int_equal(mnl_attr_parse_nested(info[IFLA_INFO_DATA], attr_cb, data), MNL_CB_OK);
	peer = data[VETH_INFO_PEER];
	assert_non_null(peer);
	/* VETH_INFO_PEER: an ifinfomsg, then the peer's attributes */
	assert_true(mnl_attr_get_payload_len(peer) > sizeof(struct ifinfomsg));
	pifm = mnl_attr_get_payload(peer);
	assert_int_equal(pifm->ifi_index, 0);
	{
		const char *p = (const char *)mnl_attr_get_payload(peer) + sizeof(struct ifinfomsg);
		const char *end = (const char *)mnl_attr_get_payload(peer) + mnl_attr_get_payload_len(peer);
		const struct nlattr *a;

		for (a = (const struct nlattr *)p; mnl_attr_ok(a, (int)(end - (const char *)a)); a = mnl_attr_next(a))
			attr_cb(a, ptb);
	}
	assert_string_equal(mnl_attr_get_str(ptb[IFLA_IFNAME]), "eth0");
	assert_int_equal(mnl_attr_get_u32(ptb[IFLA_NET_NS_FD]), 7);
	assert_int_equal(mnl_attr_get_u32(ptb[IFLA_MTU]), 1450);
}

static void veth_request_defaults(void **state)
{
	char buf[NL_REQ_SIZE];
	const struct nlattr *tb[MAXATTR] = { 0 };
	struct nl_veth v = { .name = "a", .peer = "b", .peer_netns_fd = -1, .mtu = 0 };
	struct nlmsghdr *nlh = nl_link_veth_msg(NULL, buf, &v);

	assert_int_equal(mnl_attr_parse(nlh, sizeof(struct ifinfomsg), attr_cb, tb), MNL_CB_OK);
	assert_null(tb[IFLA_MTU]); /* 0: the kernel's default */
	/* no IFLA_NET_NS_FD for the peer either: search the raw bytes for the attribute type */
	for (size_t off = 0; off + 4 <= nlh->nlmsg_len; off += 4) {
		const struct nlattr *a = (const struct nlattr *)(buf + off);

		assert_false(a->nla_type == IFLA_NET_NS_FD && a->nla_len == 8);
	}
}

static void addr_requests(void **state)
{
	char buf[NL_REQ_SIZE];
	const struct nlattr *tb[MAXATTR] = { 0 };
	const struct ifaddrmsg *ifa;
	struct inet_prefix p4, p6;
	struct nlmsghdr *nlh;

	assert_true(inet_prefix_parse("10.1.2.3/32", &p4));
	nlh = nl_addr_msg(NULL, buf, 5, &p4);
	check_header(nlh, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifa->ifa_family, AF_INET);
	assert_int_equal(ifa->ifa_prefixlen, 32);
	assert_int_equal(ifa->ifa_index, 5);
	assert_int_equal(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb), MNL_CB_OK);
	assert_int_equal(mnl_attr_get_payload_len(tb[IFA_LOCAL]), 4);
	assert_memory_equal(mnl_attr_get_payload(tb[IFA_LOCAL]), p4.addr.bytes, 4);
	assert_memory_equal(mnl_attr_get_payload(tb[IFA_ADDRESS]), p4.addr.bytes, 4);
	assert_null(tb[IFA_FLAGS]);

	memset(tb, 0, sizeof(tb));
	assert_true(inet_prefix_parse("fd00::5/128", &p6));
	nlh = nl_addr_msg(NULL, buf, 5, &p6);
	ifa = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifa->ifa_family, AF_INET6);
	assert_int_equal(ifa->ifa_prefixlen, 128);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb), MNL_CB_OK);
	assert_memory_equal(mnl_attr_get_payload(tb[IFA_ADDRESS]), p6.addr.bytes, 16);
	/* usable at once (no DAD), and no prefix route of its own */
	assert_int_equal(mnl_attr_get_u32(tb[IFA_FLAGS]), IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
}

static void route_requests(void **state)
{
	char buf[NL_REQ_SIZE];
	const struct nlattr *tb[MAXATTR] = { 0 };
	struct nl_route r = { .oif = 9, .scope = RT_SCOPE_UNIVERSE };
	const struct rtmsg *rtm;
	struct nlmsghdr *nlh;

	/* default via 169.254.1.1 dev 9 */
	r.dst.addr.family = AF_INET;
	assert_true(inet_addr_parse("169.254.1.1", &r.gw));
	nlh = nl_route_msg(NULL, buf, &r);
	check_header(nlh, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_family, AF_INET);
	assert_int_equal(rtm->rtm_dst_len, 0);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb), MNL_CB_OK);
	assert_null(tb[RTA_DST]);
	assert_memory_equal(mnl_attr_get_payload(tb[RTA_GATEWAY]), r.gw.bytes, 4);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_OIF]), 9);

	/* fd00::5/128 dev 3 scope link, no gateway */
	memset(tb, 0, sizeof(tb));
	r = (struct nl_route){ .oif = 3, .scope = RT_SCOPE_LINK };
	assert_true(inet_prefix_parse("fd00::5/128", &r.dst));
	nlh = nl_route_msg(NULL, buf, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_family, AF_INET6);
	assert_int_equal(rtm->rtm_dst_len, 128);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_LINK);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb), MNL_CB_OK);
	assert_memory_equal(mnl_attr_get_payload(tb[RTA_DST]), r.dst.addr.bytes, 16);
	assert_null(tb[RTA_GATEWAY]);

	/* a table past 255 goes in RTA_TABLE */
	memset(tb, 0, sizeof(tb));
	r.table = 1000;
	nlh = nl_route_msg(NULL, buf, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_table, RT_TABLE_UNSPEC);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb), MNL_CB_OK);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_TABLE]), 1000);
	assert_null(tb[RTA_PRIORITY]); /* metric 0: the kernel's default */
	assert_int_equal(rtm->rtm_flags, 0);

	/* a secondary's copy in main: 198.51.100.0/24 via 169.254.1.1 dev 7 onlink metric 3007 */
	memset(tb, 0, sizeof(tb));
	r = (struct nl_route){ .oif = 7, .scope = RT_SCOPE_UNIVERSE, .metric = 3007, .flags = RTNH_F_ONLINK };
	assert_true(inet_prefix_parse("198.51.100.0/24", &r.dst));
	assert_true(inet_addr_parse("169.254.1.1", &r.gw));
	nlh = nl_route_msg(NULL, buf, &r);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_flags, RTNH_F_ONLINK);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb), MNL_CB_OK);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_PRIORITY]), 3007);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_OIF]), 7);
	assert_null(tb[RTA_TABLE]);
}

static void neigh_request(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	char buf[NL_REQ_SIZE];
	const struct nlattr *tb[MAXATTR] = { 0 };
	const struct ndmsg *ndm;
	struct inet_addr gw;
	struct nlmsghdr *nlh;

	assert_true(inet_addr_parse("fe80::1", &gw));
	nlh = nl_neigh_msg(NULL, buf, 4, &gw, mac);
	check_header(nlh, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
	ndm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ndm->ndm_family, AF_INET6);
	assert_int_equal(ndm->ndm_ifindex, 4);
	assert_int_equal(ndm->ndm_state, NUD_PERMANENT);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, tb), MNL_CB_OK);
	assert_memory_equal(mnl_attr_get_payload(tb[NDA_DST]), gw.bytes, 16);
	assert_memory_equal(mnl_attr_get_payload(tb[NDA_LLADDR]), mac, 6);
}

/* A link message as the kernel sends it: parse name, alias, MTU, MAC, kind, flags. */
static void link_parse(void **state)
{
	static const uint8_t mac[6] = { 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct nlattr *li;
	struct nl_link l;
	char macs[18];

	nlh->nlmsg_type = RTM_NEWLINK;
	ifm->ifi_index = 42;
	ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "wft0123456789ab");
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, "weft:n:c:eth0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1450);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, li);

	assert_int_equal(nl_link_parse(nlh, &l), 0);
	assert_int_equal(l.index, 42);
	assert_true(l.flags & IFF_UP);
	assert_string_equal(l.name, "wft0123456789ab");
	assert_string_equal(l.alias, "weft:n:c:eth0");
	assert_int_equal(l.mtu, 1450);
	assert_true(l.has_mac);
	nl_mac_fmt(l.mac, macs);
	assert_string_equal(macs, "0a:0b:0c:0d:0e:0f");
	assert_string_equal(l.kind, "veth");
	assert_int_equal(l.link, 0);
	assert_int_equal(l.link_nsid, -1); /* no IFLA_LINK_NETNSID: no peer elsewhere */

	/* a host veth whose peer (index 3) is in the namespace this one calls 5 */
	mnl_attr_put_u32(nlh, IFLA_LINK, 3);
	mnl_attr_put_u32(nlh, IFLA_LINK_NETNSID, 5);
	assert_int_equal(nl_link_parse(nlh, &l), 0);
	assert_int_equal(l.link, 3);
	assert_int_equal(l.link_nsid, 5);

	/* not a link message */
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(nl_link_parse(nlh, &l), -EBADMSG);
}

/* Sequence numbers advance per request on a socket, so replies can be matched. */
static void sequence_numbers(void **state)
{
	struct nl_sock s = { .seq = 10 };
	char buf[NL_REQ_SIZE];
	struct ifinfomsg *ifm;

	assert_int_equal(nl_msg_start(&s, buf, RTM_GETLINK, 0, sizeof(*ifm), (void **)&ifm)->nlmsg_seq, 10);
	assert_int_equal(nl_msg_start(&s, buf, RTM_GETLINK, 0, sizeof(*ifm), (void **)&ifm)->nlmsg_seq, 11);
}

/* nl_error: code 101, the operation and errno in msg, the kernel's extack text in details. */
static void error_shape(void **state)
{
	struct nl_sock s = { 0 };
	struct cni_error e = { 0 };

	snprintf(s.ext_msg, sizeof(s.ext_msg), "Nexthop device is not up");
	assert_int_equal(nl_error(&e, &s, -ENETDOWN, "adding route %s", "10.0.0.1/32"), -1);
	assert_int_equal(e.code, CNI_ERR_NETLINK);
	assert_string_equal(e.msg, "adding route 10.0.0.1/32: Network is down");
	assert_string_equal(e.details, "kernel: Nexthop device is not up");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(veth_request),
		cmocka_unit_test(veth_request_defaults),
		cmocka_unit_test(addr_requests),
		cmocka_unit_test(route_requests),
		cmocka_unit_test(neigh_request),
		cmocka_unit_test(link_parse),
		cmocka_unit_test(sequence_numbers),
		cmocka_unit_test(error_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
