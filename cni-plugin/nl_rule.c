/* Policy routing rules over route netlink: one message builder for add and delete (the kernel
 * matches a delete on exactly the attributes sent), a parser and a dump. */
#include "nl_rule.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>

struct nlmsghdr *nl_rule_msg(struct nl_sock *s, void *buf, bool add, const struct nl_rule *r)
{
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;

	nlh = nl_msg_start(s, buf, add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0,
			   sizeof(*frh), (void **)&frh);
	frh->family = r->src.addr.family;
	frh->src_len = r->src.len;
	frh->action = FR_ACT_TO_TBL;
	/* The 8-bit field holds small tables; FRA_TABLE always carries the full 32 bits. */
	frh->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, r->priority);
	if (r->src.len)
		mnl_attr_put(nlh, FRA_SRC, inet_addr_size(&r->src.addr), r->src.addr.bytes);
	return nlh;
}

int nl_rule_add(struct nl_sock *s, const struct nl_rule *r)
{
	char buf[NL_REQ_SIZE];

	return nl_talk(s, nl_rule_msg(s, buf, true, r), NULL, NULL);
}

int nl_rule_del(struct nl_sock *s, const struct nl_rule *r)
{
	char buf[NL_REQ_SIZE];

	return nl_talk(s, nl_rule_msg(s, buf, false, r), NULL, NULL);
}

static int nl_rule_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= FRA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

int nl_rule_parse(const struct nlmsghdr *nlh, struct nl_rule *out)
{
	const struct nlattr *tb[FRA_MAX + 1] = { 0 };
	const struct fib_rule_hdr *frh;
	size_t alen;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWRULE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*frh)))
		return -EBADMSG;
	frh = mnl_nlmsg_get_payload(nlh);
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*frh), nl_rule_attr_cb, tb) < 0)
		return -EBADMSG;
	alen = frh->family == AF_INET ? 4 : 16;
	if (frh->src_len > alen * 8)
		return -EBADMSG;
	out->src.addr.family = frh->family;
	out->src.len = frh->src_len;
	if (frh->src_len) {
		if (!tb[FRA_SRC] || mnl_attr_get_payload_len(tb[FRA_SRC]) != alen)
			return -EBADMSG;
		memcpy(out->src.addr.bytes, mnl_attr_get_payload(tb[FRA_SRC]), alen);
	}
	out->table = tb[FRA_TABLE] && mnl_attr_validate(tb[FRA_TABLE], MNL_TYPE_U32) == 0 ?
		mnl_attr_get_u32(tb[FRA_TABLE]) : frh->table;
	out->priority = tb[FRA_PRIORITY] && mnl_attr_validate(tb[FRA_PRIORITY], MNL_TYPE_U32) == 0 ?
		mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	out->action = frh->action;
	return 0;
}

struct nl_rule_dump_ctx {
	int (*fn)(const struct nl_rule *r, void *data);
	void *data;
	int rc;
};

static int nl_rule_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_rule_dump_ctx *ctx = data;
	struct nl_rule r;

	if (nl_rule_parse(nlh, &r) < 0)
		return MNL_CB_OK;
	ctx->rc = ctx->fn(&r, ctx->data);
	return ctx->rc ? MNL_CB_STOP : MNL_CB_OK;
}

int nl_rule_dump(struct nl_sock *s, int family, int (*fn)(const struct nl_rule *r, void *data), void *data)
{
	struct nl_rule_dump_ctx ctx = { .fn = fn, .data = data };
	char buf[NL_REQ_SIZE];
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;
	int rc;

	/* Under strict checking a rule dump takes no filter but the family. */
	nlh = nl_msg_start(s, buf, RTM_GETRULE, 0, sizeof(*frh), (void **)&frh);
	frh->family = (uint8_t)family;
	rc = nl_dump(s, nlh, nl_rule_dump_cb, &ctx);
	return rc < 0 ? rc : ctx.rc < 0 ? ctx.rc : 0;
}
