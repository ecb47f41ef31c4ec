/* The node's routing table (rib.h): a hash of prefixes, each holding every path to it (one per
 * source) and the index of the best one. An update costs one hash lookup and a decision over
 * that prefix's few paths, so 10,000 routes from one peer cost 10,000 constant-time steps;
 * walks that touch every prefix (a session going down, stale sweeps, rib_foreach_best) are the
 * only linear operations, and they happen per session event, not per route. */
#include "rib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RIB_MAX_SUBSCRIBERS 8
#define RIB_MIN_BUCKETS 64

/* A path and the decision's scratch flag. */
struct rib_slot {
	struct rib_path p;
	bool alive, med_worse;
};

struct rib_entry {
	struct rib_entry *next;     /* hash chain */
	struct inet_prefix prefix;  /* canonical, bytes past the family's size zero */
	struct rib_slot *slots;
	uint32_t n, cap;
	uint32_t best;              /* index into slots; valid while n > 0 */
};

struct rib_sub {
	rib_change_fn fn;
	void *arg;
};

struct rib {
	struct rib_entry **buckets;
	size_t nbuckets;            /* a power of two */
	size_t count;               /* entries, i.e. prefixes with at least one path */
	struct rib_sub subs[RIB_MAX_SUBSCRIBERS];
	size_t nsubs;
};

/* ---- keys ----------------------------------------------------------------------------------- */

static bool rib_family_ok(uint8_t family)
{
	return family == AF_INET || family == AF_INET6;
}

/* FNV-1a over family, length and the 16 address bytes; then a final mix, since the low bits
 * choose the bucket and pod CIDRs differ mostly in a few middle bytes. */
static size_t rib_hash(const struct inet_prefix *p)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ p->addr.family) * 0x100000001b3ull;
	h = (h ^ p->len) * 0x100000001b3ull;
	for (size_t i = 0; i < sizeof(p->addr.bytes); i++)
		h = (h ^ p->addr.bytes[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)h;
}

/* The order of rib_foreach_best: IPv4 before IPv6, then by address, then shorter first. */
static int rib_prefix_cmp(const struct inet_prefix *a, const struct inet_prefix *b)
{
	int c;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	c = memcmp(a->addr.bytes, b->addr.bytes, sizeof(a->addr.bytes));
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* ---- the table -------------------------------------------------------------------------------- */

int rib_new(struct rib **out)
{
	struct rib *rib = calloc(1, sizeof(*rib));

	*out = NULL;
	if (!rib)
		return -ENOMEM;
	rib->nbuckets = RIB_MIN_BUCKETS;
	rib->buckets = calloc(rib->nbuckets, sizeof(*rib->buckets));
	if (!rib->buckets) {
		free(rib);
		return -ENOMEM;
	}
	*out = rib;
	return 0;
}

static void rib_entry_free(struct rib_entry *e)
{
	if (e) {
		free(e->slots);
		free(e);
	}
}

void rib_free(struct rib *rib)
{
	if (!rib)
		return;
	for (size_t i = 0; i < rib->nbuckets; i++) {
		struct rib_entry *e = rib->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			rib_entry_free(e);
		}
	}
	free(rib->buckets);
	free(rib);
}

int rib_subscribe(struct rib *rib, rib_change_fn fn, void *arg)
{
	if (!rib || !fn)
		return -EINVAL;
	if (rib->nsubs == RIB_MAX_SUBSCRIBERS)
		return -ENOSPC;
	rib->subs[rib->nsubs++] = (struct rib_sub){ fn, arg };
	return 0;
}

void rib_unsubscribe(struct rib *rib, rib_change_fn fn, void *arg)
{
	for (size_t i = 0; rib && i < rib->nsubs; i++) {
		if (rib->subs[i].fn != fn || rib->subs[i].arg != arg)
			continue;
		/* Order kept: subscribers hear of a change in the order they subscribed. */
		memmove(&rib->subs[i], &rib->subs[i + 1], (rib->nsubs - i - 1) * sizeof(rib->subs[0]));
		rib->nsubs--;
		return;
	}
}

static struct rib_entry *rib_lookup(const struct rib *rib, const struct inet_prefix *clean)
{
	struct rib_entry *e = rib->buckets[rib_hash(clean) & (rib->nbuckets - 1)];

	while (e && !inet_prefix_equal(&e->prefix, clean))
		e = e->next;
	return e;
}

/* Double the buckets when there are more entries than buckets. A failed allocation is not an
 * error: chains just grow longer. */
static void rib_grow(struct rib *rib)
{
	size_t n = rib->nbuckets * 2;
	struct rib_entry **b;

	if (rib->count <= rib->nbuckets || n < rib->nbuckets)
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < rib->nbuckets; i++) {
		struct rib_entry *e = rib->buckets[i], *next;

		for (; e; e = next) {
			size_t h = rib_hash(&e->prefix) & (n - 1);

			next = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(rib->buckets);
	rib->buckets = b;
	rib->nbuckets = n;
}

/* Unlink e (which must be in the table) and free it. */
static void rib_entry_remove(struct rib *rib, struct rib_entry *e)
{
	struct rib_entry **pp = &rib->buckets[rib_hash(&e->prefix) & (rib->nbuckets - 1)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	rib->count--;
	rib_entry_free(e);
}

/* ---- the decision (RFC 4271 9.1.2.2) -------------------------------------------------------- */

/* Locally configured paths come before any BGP attribute is looked at, as a route's
 * preference does in BIRD (static 200 over BGP 100): the node's own prefix must never be
 * taken away by a peer that announces it too, and an operator's static route is deliberate. */
static int rib_class(const struct rib_path *p)
{
	return p->source == RIB_SOURCE_LOCAL ? 2 : p->source == RIB_SOURCE_STATIC ? 1 : 0;
}

/* Keep the alive slots whose key(p) is the best (lowest when low, else highest). */
#define RIB_KEEP_BEST(e, expr, low)                                                                   \
	do {                                                                                          \
		uint64_t best_ = (low) ? UINT64_MAX : 0;                                              \
		for (uint32_t i_ = 0; i_ < (e)->n; i_++) {                                            \
			const struct rib_path *p = &(e)->slots[i_].p;                                 \
			uint64_t v_ = (uint64_t)(expr);                                               \
			if ((e)->slots[i_].alive && ((low) ? v_ < best_ : v_ > best_))                \
				best_ = v_;                                                           \
		}                                                                                     \
		for (uint32_t i_ = 0; i_ < (e)->n; i_++) {                                            \
			const struct rib_path *p = &(e)->slots[i_].p;                                 \
			if ((e)->slots[i_].alive && (uint64_t)(expr) != best_)                        \
				(e)->slots[i_].alive = false;                                         \
		}                                                                                     \
	} while (0)

static void rib_decide(struct rib_entry *e)
{
	bool any_ebgp = false;

	for (uint32_t i = 0; i < e->n; i++)
		e->slots[i].alive = true;
	RIB_KEEP_BEST(e, rib_class(p), false);
	RIB_KEEP_BEST(e, p->local_pref, false);  /* 9.1.1: the degree of preference */
	RIB_KEEP_BEST(e, p->as_path_len, true);  /* 9.1.2.2 a */
	RIB_KEEP_BEST(e, p->origin, true);       /* 9.1.2.2 b */
	/* 9.1.2.2 c: a path goes if another one from the same neighbor AS has a lower MED. This is
	 * a removal over the whole set, not a pairwise order (MED is not transitive across ASes).
	 * Marks are collected first, then applied, so the outcome does not depend on slot order. */
	for (uint32_t i = 0; i < e->n; i++) {
		struct rib_slot *s = &e->slots[i];

		s->med_worse = false;
		for (uint32_t j = 0; s->alive && j < e->n; j++) {
			const struct rib_slot *t = &e->slots[j];

			if (t->alive && t->p.neighbor_as == s->p.neighbor_as && t->p.med < s->p.med)
				s->med_worse = true;
		}
	}
	for (uint32_t i = 0; i < e->n; i++)
		if (e->slots[i].med_worse)
			e->slots[i].alive = false;
	/* 9.1.2.2 d: eBGP over iBGP. */
	for (uint32_t i = 0; i < e->n; i++)
		any_ebgp |= e->slots[i].alive && e->slots[i].p.ebgp;
	if (any_ebgp)
		for (uint32_t i = 0; i < e->n; i++)
			if (!e->slots[i].p.ebgp)
				e->slots[i].alive = false;
	/* 9.1.2.2 e (interior cost to the next hop) does not apply: next hops are underlay nodes. */
	RIB_KEEP_BEST(e, p->router_id, true);    /* 9.1.2.2 f */
	RIB_KEEP_BEST(e, p->source, true);       /* 9.1.2.2 g, by source id: one path per source */
	for (uint32_t i = 0; i < e->n; i++)
		if (e->slots[i].alive) {
			e->best = i;
			return;
		}
	e->best = 0; /* not reached: the source step always leaves exactly one */
}

/* ---- changes and their subscribers ---------------------------------------------------------- */

/* Whether two paths are the same for the data path and for BGP; the stale mark alone is no
 * change (a stale path forwards as before, RFC 4724 4.2). */
static bool rib_path_same(const struct rib_path *a, const struct rib_path *b)
{
	return inet_prefix_equal(&a->prefix, &b->prefix) && a->nexthop.family == b->nexthop.family &&
	       memcmp(a->nexthop.bytes, b->nexthop.bytes, sizeof(a->nexthop.bytes)) == 0 &&
	       a->source == b->source && a->local_pref == b->local_pref && a->as_path_len == b->as_path_len &&
	       a->origin == b->origin && a->med == b->med && a->neighbor_as == b->neighbor_as &&
	       a->ebgp == b->ebgp && a->router_id == b->router_id;
}

static void rib_notify(const struct rib *rib, const struct inet_prefix *prefix, const struct rib_path *best)
{
	for (size_t i = 0; i < rib->nsubs; i++)
		rib->subs[i].fn(rib->subs[i].arg, prefix, best);
}

/* After e's paths changed: decide again and tell the subscribers if the best path is another
 * one now. had_old says whether old holds the previous best. */
static void rib_entry_changed(struct rib *rib, struct rib_entry *e, bool had_old, const struct rib_path *old)
{
	const struct rib_path *best;

	rib_decide(e);
	best = &e->slots[e->best].p;
	if (!had_old || !rib_path_same(old, best))
		rib_notify(rib, &e->prefix, best);
}

/* Remove slot i of e; e itself goes with its last path. */
static void rib_slot_remove(struct rib *rib, struct rib_entry *e, uint32_t i)
{
	struct rib_path old = e->slots[e->best].p;

	e->slots[i] = e->slots[--e->n];
	if (e->n == 0) {
		struct inet_prefix prefix = e->prefix;

		rib_entry_remove(rib, e);
		rib_notify(rib, &prefix, NULL);
		return;
	}
	rib_entry_changed(rib, e, true, &old);
}

static int rib_slot_find(const struct rib_entry *e, uint32_t source)
{
	for (uint32_t i = 0; i < e->n; i++)
		if (e->slots[i].p.source == source)
			return (int)i;
	return -1;
}

static int rib_prefix_check(const struct inet_prefix *p)
{
	if (!p || !rib_family_ok(p->addr.family) || p->len > inet_family_bits(p->addr.family) ||
	    !inet_prefix_is_canonical(p))
		return -EINVAL;
	return 0;
}

int rib_update(struct rib *rib, const struct rib_path *path)
{
	struct rib_path p, old;
	struct rib_entry *e;
	int i;

	if (!rib || !path || rib_prefix_check(&path->prefix) < 0 || !rib_family_ok(path->nexthop.family))
		return -EINVAL;
	p = *path;
	inet_prefix_clean(&path->prefix, &p.prefix);
	memset(&p.nexthop, 0, sizeof(p.nexthop));
	p.nexthop.family = path->nexthop.family;
	memcpy(p.nexthop.bytes, path->nexthop.bytes, inet_addr_size(&path->nexthop));
	p.stale = false; /* RFC 4724 4.2: a path announced again is fresh */

	e = rib_lookup(rib, &p.prefix);
	if (!e) {
		size_t h;

		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->slots = calloc(1, sizeof(*e->slots));
		if (!e->slots) {
			free(e);
			return -ENOMEM;
		}
		e->prefix = p.prefix;
		e->cap = e->n = 1;
		e->slots[0].p = p;
		e->best = 0;
		h = rib_hash(&e->prefix) & (rib->nbuckets - 1);
		e->next = rib->buckets[h];
		rib->buckets[h] = e;
		rib->count++;
		rib_grow(rib);
		rib_notify(rib, &e->prefix, &e->slots[0].p);
		return 0;
	}

	old = e->slots[e->best].p;
	i = rib_slot_find(e, p.source);
	if (i >= 0) {
		if (rib_path_same(&e->slots[i].p, &p)) {
			e->slots[i].p.stale = false; /* refreshed: nothing else changes */
			return 0;
		}
		e->slots[i].p = p;
	} else {
		if (e->n == e->cap) {
			uint32_t cap = e->cap * 2;
			struct rib_slot *s = realloc(e->slots, cap * sizeof(*s));

			if (!s)
				return -ENOMEM;
			e->slots = s;
			e->cap = cap;
		}
		e->slots[e->n++].p = p;
	}
	rib_entry_changed(rib, e, true, &old);
	return 0;
}

int rib_withdraw(struct rib *rib, const struct inet_prefix *prefix, uint32_t source)
{
	struct inet_prefix clean;
	struct rib_entry *e;
	int i;

	if (!rib || rib_prefix_check(prefix) < 0)
		return -EINVAL;
	inet_prefix_clean(prefix, &clean);
	e = rib_lookup(rib, &clean);
	if (!e || (i = rib_slot_find(e, source)) < 0)
		return 0;
	rib_slot_remove(rib, e, (uint32_t)i);
	return 0;
}

/* Remove the paths of source (only its stale ones when stale_only) from every prefix. */
static void rib_remove_where(struct rib *rib, uint32_t source, bool stale_only)
{
	for (size_t b = 0; b < rib->nbuckets; b++) {
		struct rib_entry *e = rib->buckets[b], *next;

		/* Removing e (its last path went) unlinks only e; next was read before. The
		 * subscribers may not change the RIB, so nothing else moves under the walk. */
		for (; e; e = next) {
			int i;

			next = e->next;
			i = rib_slot_find(e, source);
			if (i >= 0 && (!stale_only || e->slots[i].p.stale))
				rib_slot_remove(rib, e, (uint32_t)i);
		}
	}
}

void rib_withdraw_source(struct rib *rib, uint32_t source)
{
	if (rib)
		rib_remove_where(rib, source, false);
}

void rib_mark_stale(struct rib *rib, uint32_t source)
{
	if (!rib)
		return;
	for (size_t b = 0; b < rib->nbuckets; b++)
		for (struct rib_entry *e = rib->buckets[b]; e; e = e->next) {
			int i = rib_slot_find(e, source);

			if (i >= 0)
				e->slots[i].p.stale = true;
		}
}

void rib_sweep_stale(struct rib *rib, uint32_t source)
{
	if (rib)
		rib_remove_where(rib, source, true);
}

/* ---- reading ---------------------------------------------------------------------------------- */

const struct rib_path *rib_best(const struct rib *rib, const struct inet_prefix *prefix)
{
	struct inet_prefix clean;
	struct rib_entry *e;

	if (!rib || rib_prefix_check(prefix) < 0)
		return NULL;
	inet_prefix_clean(prefix, &clean);
	e = rib_lookup(rib, &clean);
	return e ? &e->slots[e->best].p : NULL;
}

static int rib_entry_order(const void *a, const void *b)
{
	const struct rib_entry *x = *(const struct rib_entry *const *)a, *y = *(const struct rib_entry *const *)b;

	return rib_prefix_cmp(&x->prefix, &y->prefix);
}

int rib_foreach_best(const struct rib *rib, int (*fn)(const struct rib_path *best, void *arg), void *arg)
{
	struct rib_entry **all;
	size_t n = 0;
	int r = 0;

	if (!rib || !fn)
		return -EINVAL;
	if (rib->count == 0)
		return 0;
	all = malloc(rib->count * sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (size_t b = 0; b < rib->nbuckets; b++)
		for (struct rib_entry *e = rib->buckets[b]; e; e = e->next)
			all[n++] = e;
	qsort(all, n, sizeof(*all), rib_entry_order);
	for (size_t i = 0; i < n && r == 0; i++)
		r = fn(&all[i]->slots[all[i]->best].p, arg);
	free(all);
	return r;
}

size_t rib_prefix_count(const struct rib *rib)
{
	return rib ? rib->count : 0;
}

size_t rib_path_count(const struct rib *rib, uint32_t source)
{
	size_t n = 0;

	if (!rib)
		return 0;
	for (size_t b = 0; b < rib->nbuckets; b++)
		for (const struct rib_entry *e = rib->buckets[b]; e; e = e->next)
			n += rib_slot_find(e, source) >= 0;
	return n;
}
