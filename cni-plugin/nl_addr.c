/* Interface addresses over route netlink: adding a pod's /32 or /128 and listing an
 * interface's addresses for CHECK. */
#include "nl_addr.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>

struct nlmsghdr *nl_addr_msg(struct nl_sock *s, void *buf, int index, const struct inet_prefix *p)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t alen = inet_addr_size(&p->addr);

	nlh = nl_msg_start(s, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa), (void **)&ifa);
	ifa->ifa_family = p->addr.family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put(nlh, IFA_LOCAL, alen, p->addr.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, p->addr.bytes);
	if (p->addr.family == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
	}
	return nlh;
}

int nl_addr_add(struct nl_sock *s, int index, const struct inet_prefix *p)
{
	char buf[NL_REQ_SIZE];

	return nl_talk(s, nl_addr_msg(s, buf, index, p), NULL, NULL);
}

struct nl_addr_dump_ctx {
	int (*fn)(const struct nl_addr *a, void *data);
	void *data;
	int index;
	int rc;
};

static int nl_addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= IFA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int nl_addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 }, *a;
	struct nl_addr_dump_ctx *ctx = data;
	const struct ifaddrmsg *ifa;
	struct nl_addr addr = { 0 };
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ctx->index && (int)ifa->ifa_index != ctx->index)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), nl_addr_attr_cb, tb) < 0)
		return MNL_CB_OK;
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!a || mnl_attr_get_payload_len(a) != alen)
		return MNL_CB_OK;
	addr.index = (int)ifa->ifa_index;
	addr.prefix.addr.family = ifa->ifa_family;
	memcpy(addr.prefix.addr.bytes, mnl_attr_get_payload(a), alen);
	addr.prefix.len = ifa->ifa_prefixlen;
	addr.flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	addr.scope = ifa->ifa_scope;
	ctx->rc = ctx->fn(&addr, ctx->data);
	return ctx->rc ? MNL_CB_STOP : MNL_CB_OK;
}

int nl_addr_dump(struct nl_sock *s, int family, int index,
		 int (*fn)(const struct nl_addr *a, void *data), void *data)
{
	struct nl_addr_dump_ctx ctx = { .fn = fn, .data = data, .index = index };
	char buf[NL_REQ_SIZE];
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	int rc;

	nlh = nl_msg_start(s, buf, RTM_GETADDR, 0, sizeof(*ifa), (void **)&ifa);
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_index = (unsigned)index; /* filtered by the kernel under strict checking */
	rc = nl_dump(s, nlh, nl_addr_dump_cb, &ctx);
	return rc < 0 ? rc : ctx.rc < 0 ? ctx.rc : 0;
}
