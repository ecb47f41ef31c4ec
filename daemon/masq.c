/* nf_tables through netlink (masq.h): a batch (NFNL_MSG_BATCH_BEGIN ... END) that creates the
 * table if missing, deletes it, and builds it again with its chains and rules; the kernel applies
 * a batch as one transaction. Each rule is a short expression list, the same `nft` would build:
 *   meta nfproto ipv4 ip saddr 10.244.1.0/24 ip daddr 10.244.0.0/16 return
 *   meta nfproto ipv4 ip saddr 10.244.1.0/24 masquerade
 *   meta l4proto udp udp dport 8472 notrack
 * A separate short-lived NETLINK_NETFILTER socket per call: the table changes at start and on
 * configuration changes only. */
#include "masq.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define MASQ_CHAIN "postrouting"
#define MASQ_PRIO 100 /* NF_IP_PRI_NAT_SRC, "srcnat" */
#define MASQ_RAW_PRIO (-300) /* NF_IP_PRI_RAW, "raw": before conntrack (-200) looks at a packet */
#define MASQ_BUF (64 * 1024)

struct masq_batch {
	char *mem;             /* the batch's buffer, 2 * its limit (masq_batch_open) */
	struct mnl_nlmsg_batch *b;
	uint32_t seq, first;   /* sequence numbers: the next, and the first message asking an ACK */
	unsigned acks;         /* messages that will be answered */
};

static int masq_err(char *err, size_t errlen, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int masq_err(char *err, size_t errlen, int r, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		snprintf(err, errlen, "%s: %s", what, strerror(-r));
	}
	return r;
}

void masq_table_name(const char *node, char *buf, size_t len)
{
	size_t j;

	j = (size_t)snprintf(buf, len, "weft_");
	for (size_t i = 0; node[i] && j + 1 < len; i++)
		buf[j++] = isalnum((unsigned char)node[i]) ? node[i] : '_';
	if (j < len)
		buf[j] = '\0';
}

/* ---- messages ---------------------------------------------------------------------------------- */

static struct nlmsghdr *masq_msg(struct masq_batch *mb, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(mb->b));
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = mb->seq++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mb->acks++;
	return nlh;
}

static void masq_next(struct masq_batch *mb)
{
	mnl_nlmsg_batch_next(mb->b);
}

/* BATCH_BEGIN / BATCH_END: no ACK of their own. */
static void masq_batch_mark(struct masq_batch *mb, uint16_t type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(mb->b));
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = mb->seq++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	masq_next(mb);
}

static void masq_table_msg(struct masq_batch *mb, uint16_t type, uint16_t flags, const char *table)
{
	struct nlmsghdr *nlh = masq_msg(mb, type, flags);

	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
	if (type == NFT_MSG_NEWTABLE)
		mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, 0);
	masq_next(mb);
}

static void masq_chain_msg(struct masq_batch *mb, const char *table, const char *name, uint32_t hooknum,
			   int32_t prio, const char *type)
{
	struct nlmsghdr *nlh = masq_msg(mb, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	struct nlattr *hook;

	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, name);
	hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
	mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(hooknum));
	mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl((uint32_t)prio));
	mnl_attr_nest_end(nlh, hook);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, type);
	mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(NF_ACCEPT));
	masq_next(mb);
}

/* An expression: NFTA_LIST_ELEM { NAME, DATA { ... } }; returns the two nests to close. */
static struct nlattr *masq_expr_start(struct nlmsghdr *nlh, const char *name, struct nlattr **data)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);

	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
	*data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	return elem;
}

static void masq_expr_end(struct nlmsghdr *nlh, struct nlattr *elem, struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, elem);
}

static void masq_data(struct nlmsghdr *nlh, uint16_t type, const void *v, size_t len)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(nlh, n);
}

/* The three steps every match here is made of: load a field into register 1, (mask it,) and
 * compare it with a value. */
static void masq_load_meta(struct nlmsghdr *nlh, uint32_t key)
{
	struct nlattr *e, *d;

	e = masq_expr_start(nlh, "meta", &d);
	mnl_attr_put_u32(nlh, NFTA_META_KEY, htonl(key));
	mnl_attr_put_u32(nlh, NFTA_META_DREG, htonl(NFT_REG_1));
	masq_expr_end(nlh, e, d);
}

static void masq_load_payload(struct nlmsghdr *nlh, uint32_t base, uint32_t off, uint32_t len)
{
	struct nlattr *e, *d;

	e = masq_expr_start(nlh, "payload", &d);
	mnl_attr_put_u32(nlh, NFTA_PAYLOAD_DREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(nlh, NFTA_PAYLOAD_BASE, htonl(base));
	mnl_attr_put_u32(nlh, NFTA_PAYLOAD_OFFSET, htonl(off));
	mnl_attr_put_u32(nlh, NFTA_PAYLOAD_LEN, htonl(len));
	masq_expr_end(nlh, e, d);
}

static void masq_cmp_eq(struct nlmsghdr *nlh, const void *v, size_t len)
{
	struct nlattr *e, *d;

	e = masq_expr_start(nlh, "cmp", &d);
	mnl_attr_put_u32(nlh, NFTA_CMP_SREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(nlh, NFTA_CMP_OP, htonl(NFT_CMP_EQ));
	masq_data(nlh, NFTA_CMP_DATA, v, len);
	masq_expr_end(nlh, e, d);
}

/* meta nfproto == family */
static void masq_match_nfproto(struct nlmsghdr *nlh, int family)
{
	uint8_t proto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	masq_load_meta(nlh, NFT_META_NFPROTO);
	masq_cmp_eq(nlh, &proto, 1);
}

/* ip(6) saddr/daddr in prefix: load the address, mask it (unless the prefix is a host), compare
 * with the network. */
static void masq_match_prefix(struct nlmsghdr *nlh, const struct inet_prefix *p, bool src)
{
	bool v4 = p->addr.family == AF_INET;
	uint32_t len = v4 ? 4 : 16, off = v4 ? (src ? 12 : 16) : (src ? 8 : 24);
	uint8_t mask[16] = { 0 }, zero[16] = { 0 };
	struct nlattr *e, *d;

	masq_load_payload(nlh, NFT_PAYLOAD_NETWORK_HEADER, off, len);
	if (p->len < len * 8) {
		for (unsigned i = 0; i < p->len; i++)
			mask[i / 8] |= (uint8_t)(0x80u >> (i % 8));
		e = masq_expr_start(nlh, "bitwise", &d);
		mnl_attr_put_u32(nlh, NFTA_BITWISE_SREG, htonl(NFT_REG_1));
		mnl_attr_put_u32(nlh, NFTA_BITWISE_DREG, htonl(NFT_REG_1));
		mnl_attr_put_u32(nlh, NFTA_BITWISE_LEN, htonl(len));
		masq_data(nlh, NFTA_BITWISE_MASK, mask, len);
		masq_data(nlh, NFTA_BITWISE_XOR, zero, len);
		masq_expr_end(nlh, e, d);
	}
	masq_cmp_eq(nlh, p->addr.bytes, len);
}

/* One rule: from pod, [to dst: return | masquerade]. */
static void masq_rule_msg(struct masq_batch *mb, const char *table, const struct inet_prefix *pod,
			  const struct inet_prefix *dst)
{
	struct nlmsghdr *nlh = masq_msg(mb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	struct nlattr *list, *e, *d;

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, MASQ_CHAIN);
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	masq_match_nfproto(nlh, pod->addr.family);
	masq_match_prefix(nlh, pod, true);
	if (dst) {
		struct nlattr *v, *vc;

		masq_match_prefix(nlh, dst, false);
		e = masq_expr_start(nlh, "immediate", &d);
		mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_VERDICT));
		v = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
		vc = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
		mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl((uint32_t)NFT_RETURN));
		mnl_attr_nest_end(nlh, vc);
		mnl_attr_nest_end(nlh, v);
		masq_expr_end(nlh, e, d);
	} else {
		e = masq_expr_start(nlh, "masq", &d);
		masq_expr_end(nlh, e, d);
	}
	mnl_attr_nest_end(nlh, list);
	masq_next(mb);
}

/* meta l4proto udp udp dport port notrack: the overlay's own tunnel packets. */
static void masq_notrack_msg(struct masq_batch *mb, const char *table, const char *chain, uint16_t port)
{
	struct nlmsghdr *nlh = masq_msg(mb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	uint8_t udp = IPPROTO_UDP;
	uint16_t dport = htons(port);
	struct nlattr *list, *e, *d;

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	masq_load_meta(nlh, NFT_META_L4PROTO);
	masq_cmp_eq(nlh, &udp, 1);
	masq_load_payload(nlh, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2); /* the UDP destination port */
	masq_cmp_eq(nlh, &dport, 2);
	e = masq_expr_start(nlh, "notrack", &d);
	masq_expr_end(nlh, e, d);
	mnl_attr_nest_end(nlh, list);
	masq_next(mb);
}

/* ---- the exchange ------------------------------------------------------------------------------- */

struct masq_reply {
	unsigned acked;
	int error;            /* the first error the kernel reported */
	char ext[160];        /* and its extended-ACK text */
};

static int masq_cb_error(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct masq_reply *rep = arg;
	const struct nlattr *attr;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_OK;
	rep->acked++;
	if (e->error == 0 || rep->error)
		return MNL_CB_OK;
	rep->error = e->error;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_for_each(attr, nlh, off)
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(rep->ext, sizeof(rep->ext), "%s", mnl_attr_get_str(attr));
	}
	return MNL_CB_OK;
}

/* Send the batch; the kernel answers every message that asked for an ACK (also after a failed
 * one: it reports every error of the batch, then aborts the whole transaction). */
static int masq_send(struct masq_batch *mb, const char *what, char *err, size_t errlen)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = masq_cb_error };
	struct timeval tv = { .tv_sec = 5 };
	struct masq_reply rep = { 0 };
	struct mnl_socket *nl;
	int one = 1, r = 0;
	char *buf = NULL;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return masq_err(err, errlen, -errno, "%s: opening a netfilter netlink socket", what);
	if (mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = masq_err(err, errlen, -errno, "%s: setting up the netfilter netlink socket", what);
		goto out;
	}
	buf = malloc(MASQ_BUF);
	if (!buf) {
		r = masq_err(err, errlen, -ENOMEM, "%s", what);
		goto out;
	}
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(mb->b), mnl_nlmsg_batch_size(mb->b)) < 0) {
		r = masq_err(err, errlen, -errno, "%s: sending to nf_tables", what);
		goto out;
	}
	while (rep.acked < mb->acks) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, MASQ_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = masq_err(err, errlen, errno == EAGAIN ? -ETIMEDOUT : -errno, "%s: reading nf_tables' answer",
				     what);
			goto out;
		}
		/* Fails only on a message that is not ours or is malformed: the kernel's errors are
		 * collected by masq_cb_error. */
		if (mnl_cb_run2(buf, (size_t)n, 0, mnl_socket_get_portid(nl), NULL, &rep, ctl, NLMSG_MIN_TYPE) < 0) {
			r = masq_err(err, errlen, errno ? -errno : -EPROTO, "%s: nf_tables' answer", what);
			goto out;
		}
	}
	if (rep.error) {
		r = rep.error < 0 ? rep.error : -rep.error;
		if (err && errlen)
			snprintf(err, errlen, "%s: nf_tables: %s%s%s", what, strerror(-r), rep.ext[0] ? ": " : "", rep.ext);
	}
out:
	free(buf);
	mnl_socket_close(nl);
	return r;
}

/* A batch that first removes table (creating it if missing, so that the delete cannot fail):
 * what the caller adds builds it anew, and with nothing added it is simply gone. The buffer
 * holds 2 * len bytes: libmnl lets the last message run past the limit before it notices. */
static int masq_batch_open(struct masq_batch *mb, size_t len, const char *table)
{
	memset(mb, 0, sizeof(*mb));
	mb->mem = calloc(2, len);
	if (!mb->mem)
		return -ENOMEM;
	mb->b = mnl_nlmsg_batch_start(mb->mem, len);
	if (!mb->b) {
		free(mb->mem);
		return -ENOMEM;
	}
	mb->seq = 1;
	masq_batch_mark(mb, NFNL_MSG_BATCH_BEGIN);
	masq_table_msg(mb, NFT_MSG_NEWTABLE, NLM_F_CREATE, table);
	masq_table_msg(mb, NFT_MSG_DELTABLE, 0, table);
	return 0;
}

/* Send the batch as one transaction and release it. */
static int masq_batch_commit(struct masq_batch *mb, const char *what, char *err, size_t errlen)
{
	int r;

	masq_batch_mark(mb, NFNL_MSG_BATCH_END);
	r = masq_send(mb, what, err, errlen);
	mnl_nlmsg_batch_stop(mb->b);
	free(mb->mem);
	return r;
}

int masq_apply(const char *table, const struct masq_spec *spec, char *err, size_t errlen)
{
	struct masq_batch mb;
	size_t need;
	int r;

	/* Each rule is well under 512 bytes; a page of slack for libmnl's batch. */
	need = (spec->n_pods * (spec->n_cluster + 1) + 16) * 512 + 8192;
	r = masq_batch_open(&mb, need < MASQ_BUF ? MASQ_BUF : need, table);
	if (r < 0)
		return masq_err(err, errlen, r, "nftables table %s", table);
	masq_table_msg(&mb, NFT_MSG_NEWTABLE, NLM_F_CREATE, table);
	if (spec->masquerade) {
		masq_chain_msg(&mb, table, MASQ_CHAIN, NF_INET_POST_ROUTING, MASQ_PRIO, "nat");
		for (size_t i = 0; i < spec->n_pods; i++) {
			for (size_t j = 0; j < spec->n_cluster; j++)
				if (spec->cluster[j].addr.family == spec->pods[i].addr.family)
					masq_rule_msg(&mb, table, &spec->pods[i], &spec->cluster[j]);
			masq_rule_msg(&mb, table, &spec->pods[i], NULL);
		}
	}
	if (spec->notrack_udp_port) {
		masq_chain_msg(&mb, table, "notrack_in", NF_INET_PRE_ROUTING, MASQ_RAW_PRIO, "filter");
		masq_notrack_msg(&mb, table, "notrack_in", spec->notrack_udp_port);
		masq_chain_msg(&mb, table, "notrack_out", NF_INET_LOCAL_OUT, MASQ_RAW_PRIO, "filter");
		masq_notrack_msg(&mb, table, "notrack_out", spec->notrack_udp_port);
	}
	return masq_batch_commit(&mb, "nftables table", err, errlen);
}

int masq_remove(const char *table, char *err, size_t errlen)
{
	struct masq_batch mb;
	int r;

	r = masq_batch_open(&mb, MASQ_BUF, table);
	if (r < 0)
		return masq_err(err, errlen, r, "removing nftables table %s", table);
	return masq_batch_commit(&mb, "removing the nftables table", err, errlen);
}
