/* Source-based routing for secondary attachments: table numbers, the rules' shape, and removing
 * an attachment's rules (deleting its veth flushes its routes, but rules outlive the device). */
#include "sbr.h"

#include <errno.h>
#include <limits.h>
#include <linux/fib_rules.h>
#include <stdint.h>

/* Matches collected per dump: the socket cannot take requests in the middle of a dump. An
 * attachment has at most CNI_MAX_IPS rules; more rounds take whatever stale copies remain. */
#define SBR_DEL_BATCH 32
#define SBR_DEL_ROUNDS 8

static unsigned sbr_offset(unsigned base, int ifindex)
{
	if (ifindex <= 0 || (uint64_t)base + (uint64_t)ifindex > UINT32_MAX)
		return 0;
	return base + (unsigned)ifindex;
}

unsigned sbr_table(int ifindex)
{
	return sbr_offset(SBR_TABLE_BASE, ifindex);
}

unsigned sbr_metric(int ifindex)
{
	return sbr_offset(SBR_METRIC_BASE, ifindex);
}

void sbr_rule(const struct inet_addr *addr, unsigned table, struct nl_rule *out)
{
	*out = (struct nl_rule){
		.src = { .addr = *addr, .len = (uint8_t)inet_family_bits(addr->family) },
		.table = table,
		.priority = SBR_PRIORITY,
		.action = FR_ACT_TO_TBL,
	};
}

bool sbr_rule_match(const struct nl_rule *r, unsigned table, const struct inet_addr *addrs, size_t n)
{
	if (r->priority != SBR_PRIORITY || r->action != FR_ACT_TO_TBL)
		return false;
	if (table && r->table == table)
		return true;
	if (r->src.len != inet_family_bits(r->src.addr.family))
		return false;
	for (size_t i = 0; i < n; i++)
		if (inet_addr_equal(&r->src.addr, &addrs[i]))
			return true;
	return false;
}

struct sbr_del_ctx {
	unsigned table;
	const struct inet_addr *addrs;
	size_t n_addrs;
	struct nl_rule found[SBR_DEL_BATCH];
	size_t n;
};

static int sbr_del_cb(const struct nl_rule *r, void *data)
{
	struct sbr_del_ctx *ctx = data;

	if (!sbr_rule_match(r, ctx->table, ctx->addrs, ctx->n_addrs))
		return 0;
	ctx->found[ctx->n++] = *r;
	return ctx->n == SBR_DEL_BATCH ? 1 : 0;
}

int sbr_rules_del(struct nl_sock *s, unsigned table, const struct inet_addr *addrs, size_t n,
		  struct nl_rule *failed)
{
	struct sbr_del_ctx ctx = { .table = table, .addrs = addrs, .n_addrs = n };
	int rc, deleted = 0;

	if (!table && !n)
		return 0;
	for (int round = 0; round < SBR_DEL_ROUNDS; round++) {
		ctx.n = 0;
		rc = nl_rule_dump(s, AF_UNSPEC, sbr_del_cb, &ctx);
		/* A kernel without policy routing has no rules to remove (and no secondaries). */
		if (rc == -EOPNOTSUPP)
			return 0;
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < ctx.n; i++) {
			rc = nl_rule_del(s, &ctx.found[i]);
			if (rc == -ENOENT)
				continue;
			if (rc < 0) {
				if (failed)
					*failed = ctx.found[i];
				return rc;
			}
			deleted++;
		}
		if (ctx.n < SBR_DEL_BATCH)
			break;
	}
	return deleted;
}
