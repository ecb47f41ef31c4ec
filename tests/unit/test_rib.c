/* The routing table (daemon/rib.c): every step of the best-path decision (RFC 4271 9.1.2.2 and
 * the local/static preference before it), subscribers told about best-path changes and nothing
 * else, graceful-restart stale marking and sweeping, input checks, walk order, and scale:
 * 10,000 routes from one peer, and 100,000 to tell a hash from a linear scan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/rib.h"

/* What the subscriber saw: every call, the last one in detail. */
struct seen {
	unsigned calls;
	bool last_gone;
	struct inet_prefix last_prefix;
	struct rib_path last;
};

static void on_change(void *arg, const struct inet_prefix *prefix, const struct rib_path *best)
{
	struct seen *s = arg;

	s->calls++;
	s->last_prefix = *prefix;
	s->last_gone = best == NULL;
	if (best)
		s->last = *best;
}

struct fx {
	struct rib *rib;
	struct seen seen;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(rib_new(&f->rib), 0);
	assert_int_equal(rib_subscribe(f->rib, on_change, &f->seen), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rib_free(f->rib);
	free(f);
	return 0;
}

static struct inet_prefix pfx(const char *s)
{
	struct inet_prefix p;

	if (!inet_prefix_parse(s, &p))
		fail_msg("bad prefix %s", s);
	return p;
}

static struct inet_addr addr(const char *s)
{
	struct inet_addr a;

	if (!inet_addr_parse(s, &a))
		fail_msg("bad address %s", s);
	return a;
}

/* An iBGP path with RFC defaults: local_pref 100, empty AS path, IGP, MED 0. */
static struct rib_path path(const char *prefix, const char *nexthop, uint32_t source)
{
	struct rib_path p = { .prefix = pfx(prefix), .nexthop = addr(nexthop), .source = source,
			      .local_pref = 100, .router_id = 0x0a000000u + source };
	return p;
}

static bool prefix_eq(const struct inet_prefix *a, const struct inet_prefix *b)
{
	return a->len == b->len && inet_addr_equal(&a->addr, &b->addr);
}

static uint32_t best_source(struct fx *f, const char *prefix)
{
	struct inet_prefix p = pfx(prefix);
	const struct rib_path *b = rib_best(f->rib, &p);

	assert_non_null(b);
	return b->source;
}

/* Insert the paths in both orders: the decision must not depend on arrival order. */
static void decide_both_ways(struct rib_path *paths, size_t n, uint32_t want)
{
	for (int order = 0; order < 2; order++) {
		struct rib *rib;
		const struct rib_path *b;

		assert_int_equal(rib_new(&rib), 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(rib_update(rib, &paths[order ? n - 1 - i : i]), 0);
		b = rib_best(rib, &paths[0].prefix);
		assert_non_null(b);
		if (b->source != want)
			fail_msg("order %d: best is source %u, want %u", order, b->source, want);
		rib_free(rib);
	}
}

/* ---- the decision, step by step ------------------------------------------------------------- */

static void test_local_pref(void **state)
{
	struct rib_path p[2] = { path("10.244.2.0/24", "192.168.0.2", 1), path("10.244.2.0/24", "192.168.0.3", 2) };

	(void)state;
	p[0].local_pref = 100;
	p[1].local_pref = 200;
	/* Worse on every later step, still preferred: local_pref comes first. */
	p[1].as_path_len = 5;
	p[1].origin = 2;
	p[1].router_id = 0xffffffff;
	decide_both_ways(p, 2, 2);
}

static void test_as_path_len(void **state)
{
	struct rib_path p[2] = { path("10.244.2.0/24", "192.168.0.2", 1), path("10.244.2.0/24", "192.168.0.3", 2) };

	(void)state;
	p[0].as_path_len = 3;
	p[1].as_path_len = 2;
	p[1].origin = 2;
	p[1].med = 1000;
	decide_both_ways(p, 2, 2);
}

static void test_origin(void **state)
{
	struct rib_path p[3] = { path("fd00:10:244:2::/64", "192.168.0.2", 1),
				 path("fd00:10:244:2::/64", "192.168.0.3", 2),
				 path("fd00:10:244:2::/64", "192.168.0.4", 3) };

	(void)state;
	p[0].origin = 2; /* INCOMPLETE */
	p[1].origin = 1; /* EGP */
	p[2].origin = 0; /* IGP */
	p[2].router_id = 0xffffffff;
	decide_both_ways(p, 3, 3);
}

static void test_med_same_neighbor_as(void **state)
{
	struct rib_path p[2] = { path("10.244.2.0/24", "192.168.0.2", 1), path("10.244.2.0/24", "192.168.0.3", 2) };

	(void)state;
	p[0].neighbor_as = p[1].neighbor_as = 65001;
	p[0].med = 50;
	p[1].med = 10;
	p[1].router_id = 0xffffffff; /* would lose the router id step */
	decide_both_ways(p, 2, 2);
}

static void test_med_other_neighbor_as_ignored(void **state)
{
	struct rib_path p[2] = { path("10.244.2.0/24", "192.168.0.2", 1), path("10.244.2.0/24", "192.168.0.3", 2) };

	(void)state;
	p[0].neighbor_as = 65001;
	p[1].neighbor_as = 65002;
	p[0].med = 50;
	p[1].med = 10;
	p[0].router_id = 1; /* MED is not compared across ASes: the router id decides */
	p[1].router_id = 2;
	decide_both_ways(p, 2, 1);
}

/* MED is not transitive: A (AS 1, MED 10, id 3), B (AS 1, MED 20, id 1), C (AS 2, MED 5, id 2).
 * RFC 4271 9.1.2.2 c removes B (A has a lower MED from the same AS); of A and C the lower
 * router id wins: C. A pairwise comparison in the order B, C, A would pick A instead. */
static void test_med_is_a_removal(void **state)
{
	struct rib_path p[3] = { path("10.244.2.0/24", "192.168.0.2", 1), path("10.244.2.0/24", "192.168.0.3", 2),
				 path("10.244.2.0/24", "192.168.0.4", 3) };

	(void)state;
	p[0].neighbor_as = 1, p[0].med = 10, p[0].router_id = 3;
	p[1].neighbor_as = 1, p[1].med = 20, p[1].router_id = 1;
	p[2].neighbor_as = 2, p[2].med = 5, p[2].router_id = 2;
	decide_both_ways(p, 3, 3);
	{
		struct rib_path q[3] = { p[1], p[2], p[0] };

		decide_both_ways(q, 3, 3);
	}
}

static void test_ebgp_over_ibgp(void **state)
{
	struct rib_path p[2] = { path("10.244.2.0/24", "192.168.0.2", 1), path("10.244.2.0/24", "192.168.0.3", 2) };

	(void)state;
	p[0].ebgp = false;
	p[0].router_id = 1;
	p[1].ebgp = true;
	p[1].router_id = 9;
	decide_both_ways(p, 2, 2);
}

static void test_router_id(void **state)
{
	struct rib_path p[3] = { path("10.244.2.0/24", "192.168.0.2", 1), path("10.244.2.0/24", "192.168.0.3", 2),
				 path("10.244.2.0/24", "192.168.0.4", 3) };

	(void)state;
	p[0].router_id = 0xc0a80003;
	p[1].router_id = 0xc0a80001;
	p[2].router_id = 0xc0a80002;
	decide_both_ways(p, 3, 2);
}

static void test_source_breaks_the_last_tie(void **state)
{
	struct rib_path p[2] = { path("10.244.2.0/24", "192.168.0.2", 7), path("10.244.2.0/24", "192.168.0.3", 4) };

	(void)state;
	/* Same router id (two sessions to one route reflector, say): the lower source id. */
	p[0].router_id = p[1].router_id = 5;
	decide_both_ways(p, 2, 4);
}

static void test_local_and_static_first(void **state)
{
	struct rib_path p[3] = { path("10.244.1.0/24", "192.168.0.2", 1),
				 path("10.244.1.0/24", "192.168.0.9", RIB_SOURCE_STATIC),
				 path("10.244.1.0/24", "192.168.0.1", RIB_SOURCE_LOCAL) };

	(void)state;
	p[0].local_pref = 1000;
	p[0].ebgp = true;
	p[1].local_pref = 0;
	p[1].as_path_len = 9;
	p[2].local_pref = 0;
	p[2].origin = 2;
	decide_both_ways(p, 3, RIB_SOURCE_LOCAL);
	/* Without the node's own path, the static one beats any BGP path. */
	decide_both_ways(p, 2, RIB_SOURCE_STATIC);
}

/* ---- subscribers ------------------------------------------------------------------------------ */

static void test_notified_on_best_change_only(void **state)
{
	struct fx *f = *state;
	struct rib_path a = path("10.244.2.0/24", "192.168.0.2", 1), b = path("10.244.2.0/24", "192.168.0.3", 2);
	struct inet_prefix p = pfx("10.244.2.0/24");

	assert_int_equal(rib_update(f->rib, &a), 0);
	assert_int_equal(f->seen.calls, 1);
	assert_false(f->seen.last_gone);
	assert_true(inet_addr_equal(&f->seen.last.nexthop, &a.nexthop));
	/* The same path again: nothing changed. */
	assert_int_equal(rib_update(f->rib, &a), 0);
	assert_int_equal(f->seen.calls, 1);
	/* A worse path: the best stays. */
	b.local_pref = 50;
	assert_int_equal(rib_update(f->rib, &b), 0);
	assert_int_equal(f->seen.calls, 1);
	assert_int_equal(rib_path_count(f->rib, 2), 1);
	/* The worse path changes, still worse: nothing. */
	b.med = 7;
	assert_int_equal(rib_update(f->rib, &b), 0);
	assert_int_equal(f->seen.calls, 1);
	/* It becomes better: told, with its next hop. */
	b.local_pref = 150;
	assert_int_equal(rib_update(f->rib, &b), 0);
	assert_int_equal(f->seen.calls, 2);
	assert_int_equal(f->seen.last.source, 2);
	assert_true(inet_addr_equal(&f->seen.last.nexthop, &b.nexthop));
	/* The best path's next hop moves: told. */
	b.nexthop = addr("192.168.0.33");
	assert_int_equal(rib_update(f->rib, &b), 0);
	assert_int_equal(f->seen.calls, 3);
	assert_true(inet_addr_equal(&f->seen.last.nexthop, &b.nexthop));
	/* The loser is withdrawn: nothing. Absent paths and unknown prefixes are fine. */
	assert_int_equal(rib_withdraw(f->rib, &p, 1), 0);
	assert_int_equal(f->seen.calls, 3);
	assert_int_equal(rib_withdraw(f->rib, &p, 1), 0);
	assert_int_equal(rib_withdraw(f->rib, &p, 99), 0);
	{
		struct inet_prefix other = pfx("10.99.0.0/16");

		assert_int_equal(rib_withdraw(f->rib, &other, 1), 0);
	}
	assert_int_equal(f->seen.calls, 3);
	/* The last path goes: told with NULL, and the prefix is gone. */
	assert_int_equal(rib_withdraw(f->rib, &p, 2), 0);
	assert_int_equal(f->seen.calls, 4);
	assert_true(f->seen.last_gone);
	assert_true(prefix_eq(&f->seen.last_prefix, &p));
	assert_null(rib_best(f->rib, &p));
	assert_int_equal(rib_prefix_count(f->rib), 0);
}

static void test_withdraw_best_falls_back(void **state)
{
	struct fx *f = *state;
	struct rib_path a = path("10.244.2.0/24", "192.168.0.2", 1), b = path("10.244.2.0/24", "192.168.0.3", 2);
	struct inet_prefix p = pfx("10.244.2.0/24");

	a.local_pref = 200;
	assert_int_equal(rib_update(f->rib, &a), 0);
	assert_int_equal(rib_update(f->rib, &b), 0);
	assert_int_equal(f->seen.calls, 1);
	assert_int_equal(best_source(f, "10.244.2.0/24"), 1);
	assert_int_equal(rib_withdraw(f->rib, &p, 1), 0);
	assert_int_equal(f->seen.calls, 2);
	assert_false(f->seen.last_gone);
	assert_int_equal(f->seen.last.source, 2);
	assert_int_equal(best_source(f, "10.244.2.0/24"), 2);
}

static void test_withdraw_source(void **state)
{
	struct fx *f = *state;
	struct rib_path a1 = path("10.244.2.0/24", "192.168.0.2", 1), a2 = path("fd00:10:244:2::/64", "192.168.0.2", 1),
			b1 = path("10.244.2.0/24", "192.168.0.3", 2), b3 = path("10.244.3.0/24", "192.168.0.3", 2);

	b1.local_pref = 50;
	assert_int_equal(rib_update(f->rib, &a1), 0);
	assert_int_equal(rib_update(f->rib, &a2), 0);
	assert_int_equal(rib_update(f->rib, &b1), 0);
	assert_int_equal(rib_update(f->rib, &b3), 0);
	assert_int_equal(f->seen.calls, 3);
	assert_int_equal(rib_prefix_count(f->rib), 3);
	assert_int_equal(rib_path_count(f->rib, 1), 2);
	assert_int_equal(rib_path_count(f->rib, 2), 2);
	/* Source 1 goes: 10.244.2.0/24 falls back to source 2, the IPv6 prefix goes. */
	rib_withdraw_source(f->rib, 1);
	assert_int_equal(f->seen.calls, 5);
	assert_int_equal(rib_prefix_count(f->rib), 2);
	assert_int_equal(rib_path_count(f->rib, 1), 0);
	assert_int_equal(best_source(f, "10.244.2.0/24"), 2);
	rib_withdraw_source(f->rib, 1); /* again: nothing */
	assert_int_equal(f->seen.calls, 5);
	rib_withdraw_source(f->rib, 2);
	assert_int_equal(f->seen.calls, 7);
	assert_true(f->seen.last_gone);
	assert_int_equal(rib_prefix_count(f->rib), 0);
}

/* ---- graceful restart ------------------------------------------------------------------------- */

static void test_stale_mark_refresh_sweep(void **state)
{
	struct fx *f = *state;
	struct rib_path a = path("10.244.2.0/24", "192.168.0.2", 1), b = path("10.244.3.0/24", "192.168.0.2", 1),
			c = path("10.244.4.0/24", "192.168.0.2", 1), other = path("10.244.9.0/24", "192.168.0.9", 2),
			backup = path("10.244.4.0/24", "192.168.0.9", 2);
	struct inet_prefix pa = pfx("10.244.2.0/24"), pb = pfx("10.244.3.0/24"), pc = pfx("10.244.4.0/24");
	const struct rib_path *best;

	backup.local_pref = 10;
	assert_int_equal(rib_update(f->rib, &a), 0);
	assert_int_equal(rib_update(f->rib, &b), 0);
	assert_int_equal(rib_update(f->rib, &c), 0);
	assert_int_equal(rib_update(f->rib, &other), 0);
	assert_int_equal(rib_update(f->rib, &backup), 0);
	assert_int_equal(f->seen.calls, 4);

	/* The peer restarts: its paths stay, marked, and still forward (no notification). */
	rib_mark_stale(f->rib, 1);
	assert_int_equal(f->seen.calls, 4);
	assert_true(rib_best(f->rib, &pa)->stale);
	assert_true(rib_best(f->rib, &pb)->stale);
	assert_true(rib_best(f->rib, &pc)->stale);
	assert_int_equal(rib_best(f->rib, &pc)->source, 1); /* stale, still the best */
	{
		struct inet_prefix po = pfx("10.244.9.0/24");

		assert_false(rib_best(f->rib, &po)->stale); /* another source's paths are untouched */
	}

	/* It comes back and announces a again (unchanged: no notification, mark gone) and b with a
	 * new next hop (notified, fresh). */
	assert_int_equal(rib_update(f->rib, &a), 0);
	assert_int_equal(f->seen.calls, 4);
	assert_false(rib_best(f->rib, &pa)->stale);
	b.nexthop = addr("192.168.0.22");
	assert_int_equal(rib_update(f->rib, &b), 0);
	assert_int_equal(f->seen.calls, 5);
	assert_false(rib_best(f->rib, &pb)->stale);

	/* End-of-RIB: c was not announced again, it goes; the backup path takes over. */
	rib_sweep_stale(f->rib, 1);
	assert_int_equal(f->seen.calls, 6);
	best = rib_best(f->rib, &pc);
	assert_non_null(best);
	assert_int_equal(best->source, 2);
	assert_int_equal(rib_path_count(f->rib, 1), 2);
	assert_false(rib_best(f->rib, &pa)->stale);
	/* A second sweep finds nothing. */
	rib_sweep_stale(f->rib, 1);
	assert_int_equal(f->seen.calls, 6);
	assert_int_equal(rib_prefix_count(f->rib), 4);
}

static void test_stale_sweep_removes_prefix(void **state)
{
	struct fx *f = *state;
	struct rib_path a = path("fd00:10:244:5::/64", "fd00::5", 3);
	struct inet_prefix pa = pfx("fd00:10:244:5::/64");

	assert_int_equal(rib_update(f->rib, &a), 0);
	rib_mark_stale(f->rib, 3);
	rib_mark_stale(f->rib, 4); /* a source with nothing: fine */
	rib_sweep_stale(f->rib, 4);
	assert_non_null(rib_best(f->rib, &pa));
	rib_sweep_stale(f->rib, 3);
	assert_int_equal(f->seen.calls, 2);
	assert_true(f->seen.last_gone);
	assert_true(prefix_eq(&f->seen.last_prefix, &pa));
	assert_null(rib_best(f->rib, &pa));
}

/* ---- input ------------------------------------------------------------------------------------ */

static void test_bad_input(void **state)
{
	struct fx *f = *state;
	struct rib_path p = path("10.244.2.0/24", "192.168.0.2", 1);
	struct inet_prefix q;

	p.prefix = pfx("10.244.2.5/24"); /* host bits */
	assert_int_equal(rib_update(f->rib, &p), -EINVAL);
	p.prefix = pfx("10.244.2.0/24");
	memset(&p.nexthop, 0, sizeof(p.nexthop)); /* no next hop */
	assert_int_equal(rib_update(f->rib, &p), -EINVAL);
	p.nexthop = addr("192.168.0.2");
	p.prefix.len = 33;
	assert_int_equal(rib_update(f->rib, &p), -EINVAL);
	p.prefix.len = 24;
	p.prefix.addr.family = 7;
	assert_int_equal(rib_update(f->rib, &p), -EINVAL);
	assert_int_equal(rib_update(NULL, &p), -EINVAL);
	assert_int_equal(rib_update(f->rib, NULL), -EINVAL);
	q = pfx("10.244.2.1/24");
	assert_int_equal(rib_withdraw(f->rib, &q, 1), -EINVAL);
	assert_null(rib_best(f->rib, &q));
	assert_int_equal(f->seen.calls, 0);
	assert_int_equal(rib_prefix_count(f->rib), 0);
	/* An IPv6 prefix over an IPv4 next hop is fine (an IPv4 underlay). */
	p = path("fd00:10:244:2::/64", "192.168.0.2", 1);
	assert_int_equal(rib_update(f->rib, &p), 0);
	/* Garbage past the family's bytes does not make another prefix. */
	p.prefix = pfx("10.244.2.0/24");
	p.prefix.addr.bytes[9] = 0x55;
	assert_int_equal(rib_update(f->rib, &p), 0);
	p.prefix.addr.bytes[9] = 0;
	p.prefix.addr.bytes[15] = 0x77;
	assert_int_equal(rib_update(f->rib, &p), 0);
	assert_int_equal(rib_prefix_count(f->rib), 2);
	assert_int_equal(f->seen.calls, 2);
	rib_free(NULL);
	assert_int_equal(rib_subscribe(f->rib, NULL, NULL), -EINVAL);
}

/* A consumer that goes hears nothing more; the others still do, and in their order. */
static void test_unsubscribe(void **state)
{
	struct fx *f = *state;
	struct seen other = { 0 };
	struct rib_path p = path("10.244.2.0/24", "192.168.50.2", 1);

	assert_int_equal(rib_subscribe(f->rib, on_change, &other), 0);
	assert_int_equal(rib_update(f->rib, &p), 0);
	assert_int_equal(f->seen.calls, 1);
	assert_int_equal(other.calls, 1);

	rib_unsubscribe(f->rib, on_change, &f->seen);
	p.nexthop = addr("192.168.50.3");
	assert_int_equal(rib_update(f->rib, &p), 0);
	assert_int_equal(f->seen.calls, 1);
	assert_int_equal(other.calls, 2);

	/* Unknown (fn, arg), twice the same, a NULL RIB: nothing happens. */
	rib_unsubscribe(f->rib, on_change, &f->seen);
	rib_unsubscribe(f->rib, on_change, NULL);
	rib_unsubscribe(NULL, on_change, &other);
	assert_int_equal(rib_withdraw(f->rib, &p.prefix, 1), 0);
	assert_int_equal(other.calls, 3);
	assert_true(other.last_gone);
	rib_unsubscribe(f->rib, on_change, &other);
	assert_int_equal(rib_update(f->rib, &p), 0);
	assert_int_equal(other.calls, 3);
	assert_int_equal(f->seen.calls, 1);
}

static int collect(const struct rib_path *best, void *arg)
{
	char (*out)[INET_PREFIXSTR] = arg;
	size_t i = 0;

	while (out[i][0])
		i++;
	inet_prefix_fmt(&best->prefix, out[i], INET_PREFIXSTR);
	return strcmp(out[i], "ffff::/16") == 0 ? 42 : 0;
}

static void test_foreach_order(void **state)
{
	struct fx *f = *state;
	static const char *const in[] = { "fd00:10:244:2::/64", "10.244.2.0/24", "10.244.0.0/16", "10.3.0.0/16",
					  "fd00:10:244:1::/64", "10.244.1.0/24" };
	static const char *const want[] = { "10.3.0.0/16", "10.244.0.0/16", "10.244.1.0/24", "10.244.2.0/24",
					    "fd00:10:244:1::/64", "fd00:10:244:2::/64" };
	char out[8][INET_PREFIXSTR];
	struct rib_path p;

	for (size_t i = 0; i < 6; i++) {
		p = path(in[i], "192.168.0.2", 1);
		assert_int_equal(rib_update(f->rib, &p), 0);
	}
	memset(out, 0, sizeof(out));
	assert_int_equal(rib_foreach_best(f->rib, collect, out), 0);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(out[i], want[i]);
	assert_string_equal(out[6], "");
	/* A non-zero return stops the walk and is returned. */
	p = path("ffff::/16", "192.168.0.2", 1);
	assert_int_equal(rib_update(f->rib, &p), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(rib_foreach_best(f->rib, collect, out), 42);
	assert_string_equal(out[5], "fd00:10:244:2::/64");
	assert_string_equal(out[6], "ffff::/16");
}

/* ---- scale ------------------------------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The i-th /24 in 10.0.0.0/8 (i < 65536), or a /64 in fd00::/16 when i is past that. */
static struct rib_path nth(uint32_t i, uint32_t source)
{
	struct rib_path p = path("10.0.0.0/24", "192.168.0.2", source);

	if (i < 65536) {
		p.prefix.addr.bytes[1] = (uint8_t)(i >> 8);
		p.prefix.addr.bytes[2] = (uint8_t)i;
	} else {
		p.prefix = pfx("fd00::/64");
		p.prefix.addr.bytes[4] = (uint8_t)(i >> 24);
		p.prefix.addr.bytes[5] = (uint8_t)(i >> 16);
		p.prefix.addr.bytes[6] = (uint8_t)(i >> 8);
		p.prefix.addr.bytes[7] = (uint8_t)i;
	}
	return p;
}

static int count_best(const struct rib_path *best, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

/* 10,000 routes from one peer, then the same from a worse peer (no change), the first peer
 * down (every prefix moves), its graceful restart (mark, re-announce half, sweep). Counts must
 * be exact, and the whole run must stay far below the 2 s the data path has for them. */
static void test_ten_thousand_routes(void **state)
{
	struct fx *f = *state;
	const uint32_t n = 10000;
	double t0 = now(), t;
	size_t walked = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct rib_path p = nth(i, 1);

		assert_int_equal(rib_update(f->rib, &p), 0);
	}
	t = now() - t0;
	assert_int_equal(rib_prefix_count(f->rib), n);
	assert_int_equal(f->seen.calls, n);
	for (uint32_t i = 0; i < n; i++) {
		struct rib_path p = nth(i, 2);

		p.local_pref = 90;
		assert_int_equal(rib_update(f->rib, &p), 0);
	}
	assert_int_equal(f->seen.calls, n);
	assert_int_equal(rib_path_count(f->rib, 2), n);
	assert_int_equal(rib_foreach_best(f->rib, count_best, &walked), 0);
	assert_int_equal(walked, n);

	rib_withdraw_source(f->rib, 2);
	assert_int_equal(f->seen.calls, n);
	for (uint32_t i = 0; i < n; i++) {
		struct rib_path p = nth(i, 2);

		p.local_pref = 90;
		assert_int_equal(rib_update(f->rib, &p), 0);
	}
	rib_withdraw_source(f->rib, 1);
	assert_int_equal(f->seen.calls, 2 * n);
	assert_int_equal(rib_prefix_count(f->rib), n);

	rib_mark_stale(f->rib, 2);
	for (uint32_t i = 0; i < n; i += 2) {
		struct rib_path p = nth(i, 2);

		p.local_pref = 90;
		assert_int_equal(rib_update(f->rib, &p), 0);
	}
	assert_int_equal(f->seen.calls, 2 * n);
	rib_sweep_stale(f->rib, 2);
	assert_int_equal(f->seen.calls, 2 * n + n / 2);
	assert_int_equal(rib_prefix_count(f->rib), n / 2);
	print_message("10,000 routes inserted in %.1f ms; the whole run %.1f ms\n", t * 1e3, (now() - t0) * 1e3);
	assert_true(t < 0.5);
}

/* 100,000 prefixes: a table that scanned its prefixes per update would need ~5e9 comparisons
 * (minutes); a hash needs 100,000 lookups. The bound is loose enough for sanitizer builds. */
static void test_complexity(void **state)
{
	struct fx *f = *state;
	const uint32_t n = 100000;
	double t0 = now(), t;

	for (uint32_t i = 0; i < n; i++) {
		struct rib_path p = nth(i, 1);

		assert_int_equal(rib_update(f->rib, &p), 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct rib_path p = nth(i, 1);

		assert_int_equal(rib_withdraw(f->rib, &p.prefix, 1), 0);
	}
	t = now() - t0;
	assert_int_equal(rib_prefix_count(f->rib), 0);
	assert_int_equal(f->seen.calls, 2 * n);
	print_message("100,000 prefixes in and out in %.1f ms\n", t * 1e3);
	assert_true(t < 3.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_pref),
		cmocka_unit_test(test_as_path_len),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_med_same_neighbor_as),
		cmocka_unit_test(test_med_other_neighbor_as_ignored),
		cmocka_unit_test(test_med_is_a_removal),
		cmocka_unit_test(test_ebgp_over_ibgp),
		cmocka_unit_test(test_router_id),
		cmocka_unit_test(test_source_breaks_the_last_tie),
		cmocka_unit_test(test_local_and_static_first),
		cmocka_unit_test_setup_teardown(test_notified_on_best_change_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_best_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_mark_refresh_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_sweep_removes_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ten_thousand_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complexity, setup, teardown),
	};
	return cmocka_run_group_tests_name("rib", tests, NULL, NULL);
}
