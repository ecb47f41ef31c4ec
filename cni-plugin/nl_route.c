/* Routes over route netlink: the pod's default and link routes, the host's route to each pod
 * address, table dumps for CHECK, and the default route's device for the MTU. */
#include "nl_route.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>

struct nlmsghdr *nl_route_msg(struct nl_sock *s, void *buf, const struct nl_route *r)
{
	size_t alen = inet_addr_size(&r->dst.addr);
	unsigned table = r->table ? r->table : RT_TABLE_MAIN;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = nl_msg_start(s, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rtm), (void **)&rtm);
	rtm->rtm_family = r->dst.addr.family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = (unsigned char)r->scope;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_flags = r->flags;
	if (table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (r->dst.len)
		mnl_attr_put(nlh, RTA_DST, alen, r->dst.addr.bytes);
	if (r->gw.family)
		mnl_attr_put(nlh, RTA_GATEWAY, inet_addr_size(&r->gw), r->gw.bytes);
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	return nlh;
}

int nl_route_add(struct nl_sock *s, const struct nl_route *r)
{
	char buf[NL_REQ_SIZE];

	return nl_talk(s, nl_route_msg(s, buf, r), NULL, NULL);
}

struct nl_route_dump_ctx {
	int (*fn)(const struct nl_route *r, void *data);
	void *data;
	unsigned table;
	int rc;
};

static int nl_route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= RTA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int nl_route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct nl_route_dump_ctx *ctx = data;
	struct nl_route r = { 0 };
	const struct rtmsg *rtm;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) ||
	    mnl_attr_parse(nlh, sizeof(*rtm), nl_route_attr_cb, tb) < 0)
		return MNL_CB_OK;
	r.table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (r.table != ctx->table)
		return MNL_CB_OK; /* kernels without strict dump filtering send every table */
	alen = rtm->rtm_family == AF_INET ? 4 : 16;
	r.dst.addr.family = rtm->rtm_family;
	r.dst.len = rtm->rtm_dst_len;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == alen)
		memcpy(r.dst.addr.bytes, mnl_attr_get_payload(tb[RTA_DST]), alen);
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == alen) {
		r.gw.family = rtm->rtm_family;
		memcpy(r.gw.bytes, mnl_attr_get_payload(tb[RTA_GATEWAY]), alen);
	}
	if (tb[RTA_OIF])
		r.oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	else if (tb[RTA_MULTIPATH] && mnl_attr_get_payload_len(tb[RTA_MULTIPATH]) >= sizeof(struct rtnexthop))
		r.oif = ((const struct rtnexthop *)mnl_attr_get_payload(tb[RTA_MULTIPATH]))->rtnh_ifindex;
	if (tb[RTA_PRIORITY] && mnl_attr_get_payload_len(tb[RTA_PRIORITY]) == 4)
		r.metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	r.flags = rtm->rtm_flags;
	r.scope = rtm->rtm_scope;
	r.type = rtm->rtm_type;
	ctx->rc = ctx->fn(&r, ctx->data);
	return ctx->rc ? MNL_CB_STOP : MNL_CB_OK;
}

int nl_route_dump(struct nl_sock *s, int family, unsigned table,
		  int (*fn)(const struct nl_route *r, void *data), void *data)
{
	struct nl_route_dump_ctx ctx = { .fn = fn, .data = data, .table = table ? table : RT_TABLE_MAIN };
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int rc;

	nlh = nl_msg_start(s, buf, RTM_GETROUTE, 0, sizeof(*rtm), (void **)&rtm);
	rtm->rtm_family = (unsigned char)family;
	/* With strict checking the kernel walks only this table. */
	if (ctx.table < 256)
		rtm->rtm_table = (unsigned char)ctx.table;
	else
		mnl_attr_put_u32(nlh, RTA_TABLE, ctx.table);
	rc = nl_dump(s, nlh, nl_route_dump_cb, &ctx);
	return rc < 0 ? rc : ctx.rc < 0 ? ctx.rc : 0;
}

static int nl_route_default_cb(const struct nl_route *r, void *data)
{
	int *oif = data;

	if (r->dst.len == 0 && r->type == RTN_UNICAST && r->oif) {
		*oif = r->oif;
		return 1; /* found: stop the walk */
	}
	return 0;
}

int nl_route_default_oif(struct nl_sock *s, int family, int *oif)
{
	int rc;

	*oif = 0;
	rc = nl_route_dump(s, family, RT_TABLE_MAIN, nl_route_default_cb, oif);
	if (*oif)
		return 0;
	return rc < 0 ? rc : -ENOENT;
}
