/* Source-based routing for a pod's secondary attachments (the reference `sbr` plugin's
 * semantics, built in): the attachment's routes live in a table of its own, chosen by rules
 * "from <its address> lookup <table>", so what it sends leaves through its own veth. */
#ifndef WEFT_PLUGIN_SBR_H
#define WEFT_PLUGIN_SBR_H

#include <stdbool.h>
#include <stddef.h>

#include "inet.h"
#include "nl.h"
#include "nl_rule.h"

/* Priority of every rule Weft adds: after the local table's rule (0), before main's (32766). */
#define SBR_PRIORITY 31000
/* Table of the attachment whose pod-side interface has index i: SBR_TABLE_BASE + i. Indexes
 * are unique in a namespace and start at 1, so tables are distinct per live attachment and never
 * one of the reserved ones (0 unspec, 252 compat, 253 default, 254 main, 255 local). */
#define SBR_TABLE_BASE 1000u
/* Metric of a secondary's copy of an IPAM route in the main table: SBR_METRIC_BASE + index, so
 * several attachments may route the same destination (IPv4 refuses two routes of one metric,
 * IPv6 would merge them) and the primary's (IPv4 0, IPv6 1024) is preferred. */
#define SBR_METRIC_BASE 3000u

/* The table, or the main-table metric, of pod-side ifindex; 0 if ifindex is not a valid index
 * or the sum would not fit in 32 bits. */
unsigned sbr_table(int ifindex);
unsigned sbr_metric(int ifindex);

/* The rule "from addr/32 (/128) lookup table" at SBR_PRIORITY. */
void sbr_rule(const struct inet_addr *addr, unsigned table, struct nl_rule *out);

/* Is r one of an attachment's rules: at SBR_PRIORITY, a table lookup, and pointing at table
 * (when table is not 0) or from exactly one of the n addresses (as /32 or /128)? */
bool sbr_rule_match(const struct nl_rule *r, unsigned table, const struct inet_addr *addrs, size_t n);

/* Delete every rule sbr_rule_match() accepts in s's namespace. A rule already gone, or a kernel
 * without policy routing (no rules at all), is not an error. Returns how many were deleted, or -errno (with *failed set to the rule that failed,
 * when failed is not NULL). */
int sbr_rules_del(struct nl_sock *s, unsigned table, const struct inet_addr *addrs, size_t n,
		  struct nl_rule *failed);

#endif
