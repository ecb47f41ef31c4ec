/* Policy routing rules over route netlink (RTM_NEWRULE/RTM_DELRULE, struct fib_rule_hdr): the
 * "from <pod address> lookup <table>" rules of a secondary attachment (sbr.h), and dumps. */
#ifndef WEFT_PLUGIN_NL_RULE_H
#define WEFT_PLUGIN_NL_RULE_H

#include <stdbool.h>
#include <stdint.h>

#include "inet.h"
#include "nl.h"

struct nl_rule {
	struct inet_prefix src; /* family always set; len 0 = from all; address = the network */
	unsigned table;         /* FR_ACT_TO_TBL target, 1 to 2^32-1 */
	unsigned priority;      /* FRA_PRIORITY */
	unsigned action;        /* FR_ACT_*, filled by dumps (requests always use FR_ACT_TO_TBL) */
};

/* Build RTM_NEWRULE (add = true: NLM_F_CREATE | NLM_F_EXCL, an identical rule is -EEXIST) or
 * RTM_DELRULE (the kernel deletes the first rule matching every attribute given) into buf
 * (NL_REQ_SIZE bytes). s may be NULL (tests). */
struct nlmsghdr *nl_rule_msg(struct nl_sock *s, void *buf, bool add, const struct nl_rule *r);
int nl_rule_add(struct nl_sock *s, const struct nl_rule *r);
/* 0, -ENOENT when no rule matches, or -errno. */
int nl_rule_del(struct nl_sock *s, const struct nl_rule *r);
/* Every rule of family (AF_INET, AF_INET6; AF_UNSPEC = both). fn returns 0 to go on, > 0 to
 * stop (the walk returns 0), or a negative value that stops it and is returned. */
int nl_rule_dump(struct nl_sock *s, int family, int (*fn)(const struct nl_rule *r, void *data), void *data);
/* Parse an RTM_NEWRULE message into out: 0, or -EBADMSG (also for families other than IPv4/6). */
int nl_rule_parse(const struct nlmsghdr *nlh, struct nl_rule *out);

#endif
