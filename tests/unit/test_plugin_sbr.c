/* Unit tests for source-based routing of secondary attachments: table and metric numbers, the
 * rule messages (add, delete) read back attribute by attribute, rule parsing, which rules count
 * as an attachment's, and sbr_rules_del against a mocked dump (batches, rules already gone,
 * errors naming the rule). No root needed. */
// WRAP: nl_rule_dump nl_rule_del
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "cni-plugin/nl_rule.h"
#include "cni-plugin/sbr.h"

#define MAXATTR 64

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) < MAXATTR)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static struct inet_addr addr(const char *s)
{
	struct inet_addr a;

	assert_true(inet_addr_parse(s, &a));
	return a;
}

/* Tables: 1000 + ifindex, never a reserved one, 0 for what is not an index or does not fit. */
static void table_numbers(void **state)
{
	assert_int_equal(sbr_table(1), 1001);
	assert_int_equal(sbr_table(3), 1003);
	assert_int_equal(sbr_table(0), 0);
	assert_int_equal(sbr_table(-4), 0);
	assert_int_equal(sbr_table(INT_MAX), 1000u + (unsigned)INT_MAX);
	for (int i = 1; i < 5000; i++) {
		unsigned t = sbr_table(i);

		assert_true(t != RT_TABLE_UNSPEC && t != RT_TABLE_COMPAT && t != RT_TABLE_DEFAULT &&
			    t != RT_TABLE_MAIN && t != RT_TABLE_LOCAL);
		assert_true(t > 255); /* and so never one of the 8-bit ones a distribution names */
	}
	/* Main-table metrics: above IPv6's default 1024, distinct per interface. */
	assert_int_equal(sbr_metric(7), 3007);
	assert_true(sbr_metric(1) > 1024);
	assert_int_equal(sbr_metric(0), 0);
}

static void rule_shape(void **state)
{
	struct inet_addr a4 = addr("10.245.1.5"), a6 = addr("fd00:10:245:1::5");
	struct nl_rule r;

	sbr_rule(&a4, 1003, &r);
	assert_int_equal(r.src.addr.family, AF_INET);
	assert_int_equal(r.src.len, 32);
	assert_true(inet_addr_equal(&r.src.addr, &a4));
	assert_int_equal(r.table, 1003);
	assert_int_equal(r.priority, SBR_PRIORITY);
	assert_int_equal(r.action, FR_ACT_TO_TBL);
	sbr_rule(&a6, 1004, &r);
	assert_int_equal(r.src.len, 128);
	assert_int_equal(r.table, 1004);
}

/* RTM_NEWRULE: create-exclusive, family and source length in the header, FRA_SRC, FRA_TABLE
 * (the 8-bit field unspec past 255), FRA_PRIORITY. */
static void rule_messages(void **state)
{
	struct inet_addr a4 = addr("10.245.1.5"), a6 = addr("fd00:10:245:1::5");
	const struct nlattr *tb[MAXATTR] = { 0 };
	const struct fib_rule_hdr *frh;
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nl_rule r, back;

	sbr_rule(&a4, 1003, &r);
	nlh = nl_rule_msg(NULL, buf, true, &r);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWRULE);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	frh = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(frh->family, AF_INET);
	assert_int_equal(frh->src_len, 32);
	assert_int_equal(frh->dst_len, 0);
	assert_int_equal(frh->action, FR_ACT_TO_TBL);
	assert_int_equal(frh->table, RT_TABLE_UNSPEC);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*frh), attr_cb, tb), MNL_CB_OK);
	assert_int_equal(mnl_attr_get_payload_len(tb[FRA_SRC]), 4);
	assert_memory_equal(mnl_attr_get_payload(tb[FRA_SRC]), a4.bytes, 4);
	assert_int_equal(mnl_attr_get_u32(tb[FRA_TABLE]), 1003);
	assert_int_equal(mnl_attr_get_u32(tb[FRA_PRIORITY]), SBR_PRIORITY);
	assert_null(tb[FRA_DST]);

	/* RTM_DELRULE: the same selectors, no create flags. */
	memset(tb, 0, sizeof(tb));
	sbr_rule(&a6, 1004, &r);
	nlh = nl_rule_msg(NULL, buf, false, &r);
	assert_int_equal(nlh->nlmsg_type, RTM_DELRULE);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	frh = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(frh->family, AF_INET6);
	assert_int_equal(frh->src_len, 128);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*frh), attr_cb, tb), MNL_CB_OK);
	assert_memory_equal(mnl_attr_get_payload(tb[FRA_SRC]), a6.bytes, 16);
	assert_int_equal(mnl_attr_get_u32(tb[FRA_TABLE]), 1004);

	/* What the kernel sends back in a dump parses to the same rule. */
	nlh->nlmsg_type = RTM_NEWRULE;
	assert_int_equal(nl_rule_parse(nlh, &back), 0);
	assert_int_equal(back.src.len, 128);
	assert_true(inet_addr_equal(&back.src.addr, &a6));
	assert_int_equal(back.table, 1004);
	assert_int_equal(back.priority, SBR_PRIORITY);
	assert_int_equal(back.action, FR_ACT_TO_TBL);

	/* A small table fits the header too, and a "from all" rule has no FRA_SRC. */
	memset(tb, 0, sizeof(tb));
	r = (struct nl_rule){ .src = { .addr = { .family = AF_INET } }, .table = 100, .priority = 5 };
	nlh = nl_rule_msg(NULL, buf, true, &r);
	frh = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(frh->table, 100);
	assert_int_equal(frh->src_len, 0);
	assert_int_equal(mnl_attr_parse(nlh, sizeof(*frh), attr_cb, tb), MNL_CB_OK);
	assert_null(tb[FRA_SRC]);
}

/* A rule message as the kernel sends one: table only in the header, no priority (rule 0). */
static void rule_parse_edges(void **state)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	struct nl_rule r;

	nlh->nlmsg_type = RTM_NEWRULE;
	frh->family = AF_INET;
	frh->table = RT_TABLE_LOCAL;
	frh->action = FR_ACT_TO_TBL;
	assert_int_equal(nl_rule_parse(nlh, &r), 0);
	assert_int_equal(r.table, RT_TABLE_LOCAL);
	assert_int_equal(r.priority, 0);
	assert_int_equal(r.src.len, 0);

	/* a source length without FRA_SRC, or longer than the family allows */
	frh->src_len = 32;
	assert_int_equal(nl_rule_parse(nlh, &r), -EBADMSG);
	frh->src_len = 33;
	mnl_attr_put(nlh, FRA_SRC, 4, "\x0a\x00\x00\x01");
	assert_int_equal(nl_rule_parse(nlh, &r), -EBADMSG);
	/* another family (a DECnet or MPLS rule) is not ours to read */
	frh->src_len = 32;
	frh->family = AF_UNSPEC;
	assert_int_equal(nl_rule_parse(nlh, &r), -EBADMSG);
}

static void rule_match(void **state)
{
	struct inet_addr mine[2] = { addr("10.245.1.5"), addr("fd00::5") };
	struct inet_addr other = addr("10.245.1.6");
	struct nl_rule r;

	sbr_rule(&mine[0], 1003, &r);
	assert_true(sbr_rule_match(&r, 1003, NULL, 0));      /* by table */
	assert_true(sbr_rule_match(&r, 0, mine, 2));         /* by address */
	assert_true(sbr_rule_match(&r, 1009, mine, 2));      /* stale: our address, another table */
	assert_false(sbr_rule_match(&r, 1009, &other, 1));
	assert_false(sbr_rule_match(&r, 0, NULL, 0));
	r.priority = 32766;                                  /* not ours: main's rule priority */
	assert_false(sbr_rule_match(&r, 1003, mine, 2));
	sbr_rule(&mine[0], 1003, &r);
	r.src.len = 24;                                      /* a prefix, not our address */
	assert_false(sbr_rule_match(&r, 0, mine, 2));
	sbr_rule(&mine[0], 1003, &r);
	r.action = FR_ACT_BLACKHOLE;
	assert_false(sbr_rule_match(&r, 1003, mine, 2));
	sbr_rule(&mine[1], 1004, &r);
	assert_true(sbr_rule_match(&r, 0, mine, 2));
}

/* ---- sbr_rules_del against a mocked kernel ---------------------------------------------------- */
#define FAKE_MAX 128
static struct nl_rule fake[FAKE_MAX];
static size_t n_fake;
static int del_errno;   /* what nl_rule_del answers for the rule at fail_table */
static unsigned fail_table;
static int dump_errno;
static unsigned dumps;

int __wrap_nl_rule_dump(struct nl_sock *s, int family, int (*fn)(const struct nl_rule *r, void *data), void *data);
int __wrap_nl_rule_dump(struct nl_sock *s, int family, int (*fn)(const struct nl_rule *r, void *data), void *data)
{
	(void)s;
	assert_int_equal(family, AF_UNSPEC);
	dumps++;
	if (dump_errno)
		return -dump_errno;
	for (size_t i = 0; i < n_fake; i++) {
		int rc = fn(&fake[i], data);

		if (rc)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

int __wrap_nl_rule_del(struct nl_sock *s, const struct nl_rule *r);
int __wrap_nl_rule_del(struct nl_sock *s, const struct nl_rule *r)
{
	(void)s;
	if (fail_table && r->table == fail_table)
		return -del_errno;
	for (size_t i = 0; i < n_fake; i++) {
		if (fake[i].table == r->table && fake[i].priority == r->priority && fake[i].src.len == r->src.len &&
		    inet_addr_equal(&fake[i].src.addr, &r->src.addr)) {
			fake[i] = fake[--n_fake];
			return 0;
		}
	}
	return -ENOENT;
}

static int reset(void **state)
{
	n_fake = 0;
	del_errno = 0;
	fail_table = 0;
	dump_errno = 0;
	dumps = 0;
	return 0;
}

static void fake_add(const char *a, unsigned table, unsigned prio)
{
	struct inet_addr ad = addr(a);

	assert_true(n_fake < FAKE_MAX);
	sbr_rule(&ad, table, &fake[n_fake]);
	fake[n_fake++].priority = prio;
}

static void del_only_ours(void **state)
{
	struct inet_addr mine = addr("10.245.1.5");
	struct nl_sock s = { 0 };

	fake_add("10.245.1.5", 1003, SBR_PRIORITY);     /* ours by address and table */
	fake_add("fd00::5", 1003, SBR_PRIORITY);        /* ours by table */
	fake_add("10.245.1.5", 1999, SBR_PRIORITY);     /* ours by address: a stale one */
	fake_add("10.245.1.7", 1004, SBR_PRIORITY);     /* another attachment's */
	fake_add("10.245.1.5", 1003, 100);              /* somebody else's priority */
	assert_int_equal(sbr_rules_del(&s, 1003, &mine, 1, NULL), 3);
	assert_int_equal(n_fake, 2);
	for (size_t i = 0; i < n_fake; i++)
		assert_true(fake[i].table == 1004 || fake[i].priority == 100);
	/* again: nothing left of ours, nothing deleted, no error (DEL is idempotent) */
	assert_int_equal(sbr_rules_del(&s, 1003, &mine, 1, NULL), 0);
	assert_int_equal(n_fake, 2);
	/* neither a table nor an address: nothing to look for, not even a dump */
	dumps = 0;
	assert_int_equal(sbr_rules_del(&s, 0, NULL, 0, NULL), 0);
	assert_int_equal(dumps, 0);
}

/* More matches than one batch (e.g. copies left by many failed attempts): further rounds. */
static void del_batches(void **state)
{
	struct nl_sock s = { 0 };

	for (int i = 0; i < 70; i++)
		fake_add("10.245.1.5", 1003, SBR_PRIORITY);
	fake_add("10.245.1.8", 1010, SBR_PRIORITY);
	assert_int_equal(sbr_rules_del(&s, 1003, NULL, 0, NULL), 70);
	assert_int_equal(n_fake, 1);
	assert_int_equal(dumps, 3);
}

/* A rule that vanished meanwhile is fine; a refused delete stops with the rule named. */
static void del_errors(void **state)
{
	struct nl_sock s = { 0 };
	struct nl_rule bad = { 0 };

	fake_add("10.245.1.5", 1003, SBR_PRIORITY);
	fail_table = 1003;
	del_errno = ENOENT;
	assert_int_equal(sbr_rules_del(&s, 1003, NULL, 0, &bad), 0);
	del_errno = EPERM;
	assert_int_equal(sbr_rules_del(&s, 1003, NULL, 0, &bad), -EPERM);
	assert_int_equal(bad.table, 1003);
	assert_int_equal(bad.src.len, 32);
	dump_errno = EIO;
	assert_int_equal(sbr_rules_del(&s, 1003, NULL, 0, NULL), -EIO);
	/* a kernel without policy routing answers a rule dump so: nothing to remove */
	dump_errno = EOPNOTSUPP;
	assert_int_equal(sbr_rules_del(&s, 1003, NULL, 0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_numbers),
		cmocka_unit_test(rule_shape),
		cmocka_unit_test(rule_messages),
		cmocka_unit_test(rule_parse_edges),
		cmocka_unit_test(rule_match),
		cmocka_unit_test_setup(del_only_ours, reset),
		cmocka_unit_test_setup(del_batches, reset),
		cmocka_unit_test_setup(del_errors, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
