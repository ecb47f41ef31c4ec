/* Neighbour entries over route netlink: permanent gateway and pod entries, and single-entry
 * lookups (RTM_GETNEIGH without a dump) for CHECK. */
#include "nl_neigh.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>

struct nlmsghdr *nl_neigh_msg(struct nl_sock *s, void *buf, int index, const struct inet_addr *dst,
			      const uint8_t mac[6])
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	nlh = nl_msg_start(s, buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*ndm), (void **)&ndm);
	ndm->ndm_family = dst->family;
	ndm->ndm_ifindex = index;
	ndm->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, inet_addr_size(dst), dst->bytes);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	return nlh;
}

int nl_neigh_add(struct nl_sock *s, int index, const struct inet_addr *dst, const uint8_t mac[6])
{
	char buf[NL_REQ_SIZE];

	return nl_talk(s, nl_neigh_msg(s, buf, index, dst, mac), NULL, NULL);
}

static int nl_neigh_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= NDA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int nl_neigh_get_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };
	struct nl_neigh *out = data;
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)))
		return MNL_CB_STOP;
	ndm = mnl_nlmsg_get_payload(nlh);
	out->index = ndm->ndm_ifindex;
	out->state = ndm->ndm_state;
	if (mnl_attr_parse(nlh, sizeof(*ndm), nl_neigh_attr_cb, tb) >= 0 && tb[NDA_LLADDR] &&
	    mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		memcpy(out->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
		out->has_mac = true;
	}
	return MNL_CB_STOP;
}

int nl_neigh_get(struct nl_sock *s, int index, const struct inet_addr *dst, struct nl_neigh *out)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	memset(out, 0, sizeof(*out));
	out->dst = *dst;
	nlh = nl_msg_start(s, buf, RTM_GETNEIGH, 0, sizeof(*ndm), (void **)&ndm);
	ndm->ndm_family = dst->family;
	ndm->ndm_ifindex = index;
	mnl_attr_put(nlh, NDA_DST, inet_addr_size(dst), dst->bytes);
	return nl_talk(s, nlh, nl_neigh_get_cb, out);
}
