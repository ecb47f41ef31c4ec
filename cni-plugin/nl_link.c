/* Links over route netlink: veth pair creation in one request (host side here, peer in the
 * pod's namespace), lookup by name or index, up + alias, delete, and kind-filtered dumps. */
#include "nl_link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>

void nl_mac_fmt(const uint8_t mac[6], char *out)
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

struct nlmsghdr *nl_link_veth_msg(struct nl_sock *s, void *buf, const struct nl_veth *v)
{
	struct nlattr *linkinfo, *data, *peer;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;

	nlh = nl_msg_start(s, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifm), (void **)&ifm);
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->name);
	if (v->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER holds a whole ifinfomsg followed by the peer's own attributes. */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->peer);
	if (v->peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)v->peer_netns_fd);
	if (v->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nlh;
}

int nl_link_veth_add(struct nl_sock *s, const struct nl_veth *v)
{
	char buf[NL_REQ_SIZE];

	return nl_talk(s, nl_link_veth_msg(s, buf, v), NULL, NULL);
}

static int nl_link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= IFLA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int nl_linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= IFLA_INFO_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *out)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct ifinfomsg *ifm;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifm)))
		return -EBADMSG;
	ifm = mnl_nlmsg_get_payload(nlh);
	out->index = ifm->ifi_index;
	out->flags = ifm->ifi_flags;
	out->link_nsid = -1;
	if (mnl_attr_parse(nlh, sizeof(*ifm), nl_link_attr_cb, tb) < 0)
		return -EBADMSG;
	if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		snprintf(out->name, sizeof(out->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_IFALIAS] && mnl_attr_validate(tb[IFLA_IFALIAS], MNL_TYPE_NUL_STRING) == 0)
		snprintf(out->alias, sizeof(out->alias), "%s", mnl_attr_get_str(tb[IFLA_IFALIAS]));
	if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		out->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		memcpy(out->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
		out->has_mac = true;
	}
	if (tb[IFLA_LINK] && mnl_attr_validate(tb[IFLA_LINK], MNL_TYPE_U32) == 0)
		out->link = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINK_NETNSID] && mnl_attr_validate(tb[IFLA_LINK_NETNSID], MNL_TYPE_U32) == 0)
		out->link_nsid = (int)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
	if (tb[IFLA_LINKINFO] && mnl_attr_parse_nested(tb[IFLA_LINKINFO], nl_linkinfo_attr_cb, info) >= 0 &&
	    info[IFLA_INFO_KIND] && mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) == 0)
		snprintf(out->kind, sizeof(out->kind), "%s", mnl_attr_get_str(info[IFLA_INFO_KIND]));
	return 0;
}

struct nl_link_get_ctx {
	struct nl_link *out;
	int rc;
};

static int nl_link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link_get_ctx *ctx = data;

	ctx->rc = nl_link_parse(nlh, ctx->out);
	return MNL_CB_STOP;
}

int nl_link_get(struct nl_sock *s, const char *name, int index, struct nl_link *out)
{
	struct nl_link_get_ctx ctx = { .out = out, .rc = -ENODEV };
	char buf[NL_REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	int rc;

	nlh = nl_msg_start(s, buf, RTM_GETLINK, 0, sizeof(*ifm), (void **)&ifm);
	ifm->ifi_family = AF_UNSPEC;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	else
		ifm->ifi_index = index;
	/* Statistics are most of a link message and nobody here reads them. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	rc = nl_talk(s, nlh, nl_link_get_cb, &ctx);
	return rc < 0 ? rc : ctx.rc;
}

int nl_link_set(struct nl_sock *s, int index, bool up, const char *alias)
{
	char buf[NL_REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;

	nlh = nl_msg_start(s, buf, RTM_NEWLINK, 0, sizeof(*ifm), (void **)&ifm);
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	if (up) {
		ifm->ifi_flags = IFF_UP;
		ifm->ifi_change = IFF_UP;
	}
	if (alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return nl_talk(s, nlh, NULL, NULL);
}

int nl_link_del(struct nl_sock *s, int index)
{
	char buf[NL_REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;

	nlh = nl_msg_start(s, buf, RTM_DELLINK, 0, sizeof(*ifm), (void **)&ifm);
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	return nl_talk(s, nlh, NULL, NULL);
}

struct nl_link_dump_ctx {
	int (*fn)(const struct nl_link *l, void *data);
	void *data;
	const char *kind;
	int rc;
};

static int nl_link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link_dump_ctx *ctx = data;
	struct nl_link l;

	if (nl_link_parse(nlh, &l) < 0)
		return MNL_CB_OK;
	/* The kernel filters by kind under strict checking; check again for older kernels. */
	if (ctx->kind && strcmp(l.kind, ctx->kind) != 0)
		return MNL_CB_OK;
	ctx->rc = ctx->fn(&l, ctx->data);
	return ctx->rc ? MNL_CB_STOP : MNL_CB_OK;
}

int nl_link_dump(struct nl_sock *s, const char *kind, int (*fn)(const struct nl_link *l, void *data),
		 void *data)
{
	struct nl_link_dump_ctx ctx = { .fn = fn, .data = data, .kind = kind };
	char buf[NL_REQ_SIZE];
	struct ifinfomsg *ifm;
	struct nlattr *linkinfo;
	struct nlmsghdr *nlh;
	int rc;

	nlh = nl_msg_start(s, buf, RTM_GETLINK, 0, sizeof(*ifm), (void **)&ifm);
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (kind) {
		linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
		mnl_attr_nest_end(nlh, linkinfo);
	}
	rc = nl_dump(s, nlh, nl_link_dump_cb, &ctx);
	return rc < 0 ? rc : ctx.rc < 0 ? ctx.rc : 0;
}
