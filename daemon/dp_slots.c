/* weft_ep_slot, the direct-mapped copy of weft_ep_if that from-pod reads first (bpf/lib/maps.h).
 * The hash stays the truth; a slot only ever repeats it, and is valid for a packet only when
 * its ifindex is the packet's veth.
 *
 * Readers see array values without a lock, so a value being overwritten can be read half old,
 * half new (the kernel copies it with a memcpy, which writes an aligned 4-byte field such as
 * ifindex whole). The writes are ordered so that no such mix is a valid slot with wrong contents:
 * - a slot is cleared by writing its current value with ifindex 0 (a mix differs from the
 *   current value at most in the ifindex, so it is either the current value or invalid);
 * - a new value goes in with ifindex 0 first, over a cleared slot (every mix is invalid), then
 *   whole (a mix is invalid or the new value).
 * And a slot is cleared before the hash entry it copies changes or goes, and filled after the
 * hash has the new entry, so a valid slot never says other than the hash: a weftd killed between
 * two steps leaves a cleared slot at worst, and the next dp_open fills it again (dp_slots_sync). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_priv.h"
#include "lxc.skel.h"

static int dp_slots_fd(struct dp *dp)
{
	return bpf_map__fd(dp->skel->maps.weft_ep_slot);
}

static uint32_t dp_slot_of(unsigned ifindex)
{
	return ifindex & (WEFT_EP_SLOTS - 1);
}

static int dp_slot_write(int fd, uint32_t slot, const struct weft_endpoint *v)
{
	return bpf_map_update_elem(fd, &slot, v, BPF_ANY) < 0 ? -errno : 0;
}

/* fn(slot, value, arg) for slots lo..hi-1 of a slot map, read 1,024 at a time: one system call
 * per batch where one per slot would cost ~75 ms for 32,768 here. Kernels without batch
 * lookups (before 5.6) are read slot by slot. Stops at fn's first non-zero return. */
#define DP_SLOTS_BATCH 1024
static int dp_slots_each(int fd, uint32_t lo, uint32_t hi,
			 int (*fn)(uint32_t slot, const struct weft_endpoint *v, void *arg), void *arg)
{
	struct weft_endpoint *vals = malloc(DP_SLOTS_BATCH * sizeof(*vals));
	uint32_t keys[DP_SLOTS_BATCH], token, count;
	bool batch = true;
	int r = 0;

	if (!vals)
		return -ENOMEM;
	for (uint32_t slot = lo; slot < hi && r == 0;) {
		/* A batch goes on after the key it is given, as get-next-key does: slot - 1, or from
		 * the start. It ends with ENOENT at the map's end, count then saying how many came. */
		uint32_t prev = slot - 1;

		count = hi - slot < DP_SLOTS_BATCH ? hi - slot : DP_SLOTS_BATCH;
		if (batch && bpf_map_lookup_batch(fd, slot ? &prev : NULL, &token, keys, vals, &count, NULL) < 0 &&
		    errno != ENOENT)
			batch = false;
		if (!batch) {
			count = 1;
			keys[0] = slot;
			if (bpf_map_lookup_elem(fd, &slot, vals) < 0) {
				r = -errno;
				break;
			}
		}
		for (uint32_t i = 0; i < count && r == 0; i++)
			if (keys[i] >= lo && keys[i] < hi)
				r = fn(keys[i], &vals[i], arg);
		if (count == 0)
			break;
		slot = keys[count - 1] + 1;
	}
	free(vals);
	return r;
}

/* Clear slot if it holds ifindex (any ifindex when ifindex is 0). */
static int dp_slot_clear_at(int fd, uint32_t slot, unsigned ifindex)
{
	struct weft_endpoint cur;

	if (bpf_map_lookup_elem(fd, &slot, &cur) < 0)
		return -errno;
	if (cur.ifindex == 0 || (ifindex && cur.ifindex != ifindex))
		return 0;
	cur.ifindex = 0;
	return dp_slot_write(fd, slot, &cur);
}

int dp_slot_clear(struct dp *dp, unsigned ifindex)
{
	return ifindex ? dp_slot_clear_at(dp_slots_fd(dp), dp_slot_of(ifindex), ifindex) : 0;
}

/* Copy ep into its slot, unless another veth holds the slot (that endpoint stays in the hash
 * only). Returns 1 when the slot holds ep, 0 when another veth has it, -errno when the map
 * cannot be written. */
int dp_slot_put(struct dp *dp, const struct weft_endpoint *ep)
{
	int fd = dp_slots_fd(dp), r;
	uint32_t slot = dp_slot_of(ep->ifindex);
	struct weft_endpoint cur, cleared;

	if (bpf_map_lookup_elem(fd, &slot, &cur) < 0)
		return -errno;
	if (cur.ifindex && cur.ifindex != ep->ifindex)
		return 0; /* a collision: the other veth keeps it */
	if (memcmp(&cur, ep, sizeof(cur)) == 0)
		return 1;
	if (cur.ifindex && (r = dp_slot_clear_at(fd, slot, ep->ifindex)) < 0)
		return r;
	cleared = *ep;
	cleared.ifindex = 0;
	if ((r = dp_slot_write(fd, slot, &cleared)) < 0 || (r = dp_slot_write(fd, slot, ep)) < 0)
		return r;
	return 1;
}

/* dp_slots_sync's first pass: a slot whose copy the hash does not have goes. */
static int dp_slot_check(uint32_t slot, const struct weft_endpoint *cur, void *arg)
{
	struct dp *dp = arg;
	struct weft_endpoint ep;
	uint32_t key = cur->ifindex;

	if (key == 0)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.weft_ep_if), &key, &ep) == 0 &&
	    memcmp(&ep, cur, sizeof(ep)) == 0)
		return 0;
	return dp_slot_clear_at(dp_slots_fd(dp), slot, 0);
}

/* At start: every slot made to agree with the hash. A slot whose veth is no endpoint, or whose
 * copy differs from the hash's, is cleared (what a killed weftd or a downgraded one left); then
 * every endpoint is offered its slot, so one that lost a collision gets the slot once its holder
 * is gone. Returns how many slots hold an endpoint, or -errno. */
int dp_slots_sync(struct dp *dp)
{
	int fd_if = bpf_map__fd(dp->skel->maps.weft_ep_if), r, held = 0;
	uint32_t key, next, *prev = NULL;
	struct weft_endpoint ep;

	if ((r = dp_slots_each(dp_slots_fd(dp), 0, WEFT_EP_SLOTS, dp_slot_check, dp)) < 0)
		return r;
	while (bpf_map_get_next_key(fd_if, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd_if, &key, &ep) < 0)
			continue; /* removed meanwhile */
		if (ep.ifindex != key)
			continue; /* not written by weftd: the hash alone judges it */
		if ((r = dp_slot_put(dp, &ep)) < 0)
			return r;
		held += r;
	}
	return held;
}

/* ---- address slots (weft_ep_ipslot) -----------------------------------------------------------
 * Here a miss is an answer ("no local pod"), so besides never being valid with wrong contents, a
 * slot must never miss an address the hash has: every address in weft_ep_ip is either valid in
 * its slot or its slot is marked shared. Every change of a slot goes through the same steps,
 * each of which differs from the one before in one flag only, or in everything but the two
 * flags that make it invalid and shared (which asks the hash), so that every mix is safe even
 * if the flags word itself were written byte by byte:
 *   current -> + shared -> - valid -> wanted, invalid + shared -> + valid -> wanted's own mark.
 * Steps equal to the one before are skipped. Around a change of the hash, a slot is first made
 * conservative (invalid or shared, dp_ipslot_hold / _release), the hash written, then the slot
 * made what it should be (dp_ipslot_commit, or dp_ipslots_fix after a scan of the hash). */

static int dp_ipslot_fd(struct dp *dp)
{
	return bpf_map__fd(dp->skel->maps.weft_ep_ipslot);
}

static uint32_t dp_ipslot_has(uint32_t slot)
{
	return slot < WEFT_EP_SLOTS ? WEFT_EP_HAS_IPV4 : WEFT_EP_HAS_IPV6;
}

uint32_t dp_ipslot_of(const struct weft_ip_key *k)
{
	return WEFT_IPSLOT(k->family, k->addr);
}

/* Whether v, the value of slot, is valid for address key k. */
static bool dp_ipslot_valid_for(const struct weft_endpoint *v, const struct weft_ip_key *k)
{
	if (k->family == 4)
		return (v->flags & WEFT_EP_HAS_IPV4) && memcmp(v->ipv4, k->addr, 4) == 0;
	return (v->flags & WEFT_EP_HAS_IPV6) && memcmp(v->ipv6, k->addr, 16) == 0;
}

/* Slot from cur to want by the safe steps above. */
static int dp_ipslot_move(int fd, uint32_t slot, const struct weft_endpoint *cur, const struct weft_endpoint *want)
{
	uint32_t has = dp_ipslot_has(slot);
	struct weft_endpoint steps[5], last = *cur;
	int r;

	steps[0] = *cur;
	steps[0].flags = cur->flags | WEFT_EP_SLOT_SHARED;
	steps[1] = steps[0];
	steps[1].flags &= ~has;
	steps[2] = *want;
	steps[2].flags = (want->flags & ~has) | WEFT_EP_SLOT_SHARED;
	steps[3] = *want;
	steps[3].flags = want->flags | WEFT_EP_SLOT_SHARED;
	steps[4] = *want;
	if (memcmp(cur, want, sizeof(*cur)) == 0)
		return 0;
	for (int i = 0; i < 5; i++) {
		if (memcmp(&steps[i], &last, sizeof(last)) == 0)
			continue;
		if ((r = dp_slot_write(fd, slot, &steps[i])) < 0)
			return r;
		last = steps[i];
	}
	return 0;
}

static int dp_ipslot_read(int fd, uint32_t slot, struct weft_endpoint *v)
{
	return bpf_map_lookup_elem(fd, &slot, v) < 0 ? -errno : 0;
}

/* Before weft_ep_ip[k] becomes ep: the slot conservative, and in t what commit is to make it. */
int dp_ipslot_hold(struct dp *dp, const struct weft_ip_key *k, const struct weft_endpoint *ep,
		   struct dp_ipslot_txn *t)
{
	int fd = dp_ipslot_fd(dp), r;
	struct weft_endpoint cur, hold;
	bool mine, free;

	t->slot = dp_ipslot_of(k);
	if ((r = dp_ipslot_read(fd, t->slot, &cur)) < 0)
		return r;
	mine = dp_ipslot_valid_for(&cur, k);
	free = !(cur.flags & dp_ipslot_has(t->slot));
	hold = cur;
	t->want = *ep;
	t->want.flags = ep->flags | (cur.flags & WEFT_EP_SLOT_SHARED);
	if (mine && memcmp(&cur, &t->want, sizeof(cur)) == 0) {
		/* This very copy (weftd's reconcile after a restart): nothing to change. */
		t->take = false;
		t->held = cur;
		return 0;
	}
	if (mine || free) {
		/* The slot is k's to take: it holds k (an older copy) or nobody. */
		hold.flags = (cur.flags & ~dp_ipslot_has(t->slot)) | WEFT_EP_SLOT_SHARED;
		t->take = true;
	} else {
		/* Another address holds it: k lives in the hash, and the slot says so. */
		hold.flags = cur.flags | WEFT_EP_SLOT_SHARED;
		t->take = false;
	}
	t->held = hold;
	return dp_ipslot_move(fd, t->slot, &cur, &hold);
}

/* After weft_ep_ip[k] became ep. */
int dp_ipslot_commit(struct dp *dp, const struct dp_ipslot_txn *t)
{
	return t->take ? dp_ipslot_move(dp_ipslot_fd(dp), t->slot, &t->held, &t->want) : 0;
}

/* Before weft_ep_ip[k] goes: if the slot holds k, it stops (shared meanwhile). t remembers
 * whether it was shared before: then, after the delete, another address may take it, or the
 * mark may go, which only a look at the hash tells (dp_ipslot_released). */
int dp_ipslot_release(struct dp *dp, const struct weft_ip_key *k, struct dp_ipslot_txn *t)
{
	int fd = dp_ipslot_fd(dp), r;
	struct weft_endpoint cur;

	t->slot = dp_ipslot_of(k);
	t->take = false;
	if ((r = dp_ipslot_read(fd, t->slot, &cur)) < 0)
		return r;
	t->held = cur;
	t->shared = (cur.flags & WEFT_EP_SLOT_SHARED) != 0;
	if (!dp_ipslot_valid_for(&cur, k))
		return 0; /* k lived in the hash only (the slot is shared) */
	t->held.flags = (cur.flags & ~dp_ipslot_has(t->slot)) | WEFT_EP_SLOT_SHARED;
	return dp_ipslot_move(fd, t->slot, &cur, &t->held);
}

/* After the delete: an unshared slot simply ends free (no other address falls in it); a shared
 * one is worked out from the hash. */
int dp_ipslot_released(struct dp *dp, const struct dp_ipslot_txn *t)
{
	struct weft_endpoint free_slot = t->held;

	if (t->shared)
		return dp_ipslots_fix(dp, (int)t->slot);
	free_slot.flags &= ~WEFT_EP_SLOT_SHARED;
	return dp_ipslot_move(dp_ipslot_fd(dp), t->slot, &t->held, &free_slot);
}

/* Every address of weft_ep_ip with its value, read in one walk. */
struct dp_ipslot_scan {
	struct weft_ip_key *keys;
	struct weft_endpoint *vals;
	size_t n, cap;
};

static int dp_ipslot_scan(struct dp *dp, struct dp_ipslot_scan *s)
{
	int fd = bpf_map__fd(dp->skel->maps.weft_ep_ip);
	struct weft_ip_key key, next, *prev = NULL;

	memset(s, 0, sizeof(*s));
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key.family != 4 && key.family != 6)
			continue; /* not weftd's: never looked up by the programs */
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			struct weft_ip_key *k = realloc(s->keys, cap * sizeof(*k));
			struct weft_endpoint *v = k ? realloc(s->vals, cap * sizeof(*v)) : NULL;

			if (k)
				s->keys = k;
			if (!v)
				return -ENOMEM;
			s->vals = v;
			s->cap = cap;
		}
		if (bpf_map_lookup_elem(fd, &key, &s->vals[s->n]) < 0)
			continue; /* removed meanwhile */
		s->keys[s->n++] = key;
	}
	return 0;
}

/* What dp_ipslots_fix knows of the hash while it walks the slots. */
struct dp_ipslot_fix {
	int fd;
	const struct dp_ipslot_scan *s;
	const uint32_t *count, *first;
};

static int dp_ipslot_fix_one(uint32_t slot, const struct weft_endpoint *cur, void *arg)
{
	const struct dp_ipslot_fix *x = arg;
	struct weft_endpoint want;
	size_t holder = x->first[slot];

	if (x->count[slot] == 0) {
		want = *cur;
		want.flags &= ~(dp_ipslot_has(slot) | WEFT_EP_SLOT_SHARED);
		return dp_ipslot_move(x->fd, slot, cur, &want);
	}
	/* Among several, the one the slot holds now keeps it: no needless turnover. */
	for (size_t i = 0; x->count[slot] > 1 && i < x->s->n; i++)
		if (dp_ipslot_of(&x->s->keys[i]) == slot && dp_ipslot_valid_for(cur, &x->s->keys[i])) {
			holder = i;
			break;
		}
	want = x->s->vals[holder];
	if (x->count[slot] > 1)
		want.flags |= WEFT_EP_SLOT_SHARED;
	return dp_ipslot_move(x->fd, slot, cur, &want);
}

/* Slot `only` (or every slot, -1) worked out from the hash: held by the address it holds now if
 * the hash still has it, else by the first address that falls in it; shared when more than one
 * does; free otherwise. */
int dp_ipslots_fix(struct dp *dp, int only)
{
	struct dp_ipslot_scan s;
	uint32_t *count = NULL, *first = NULL;
	uint32_t lo = only < 0 ? 0 : (uint32_t)only, hi = only < 0 ? 2 * WEFT_EP_SLOTS : (uint32_t)only + 1;
	int r;

	if ((r = dp_ipslot_scan(dp, &s)) < 0)
		goto out;
	count = calloc(2 * WEFT_EP_SLOTS, sizeof(*count));
	first = calloc(2 * WEFT_EP_SLOTS, sizeof(*first));
	if (!count || !first) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		uint32_t slot = dp_ipslot_of(&s.keys[i]);

		if (count[slot]++ == 0)
			first[slot] = (uint32_t)i;
	}
	r = dp_slots_each(dp_ipslot_fd(dp), lo, hi, dp_ipslot_fix_one,
			  &(struct dp_ipslot_fix){ .fd = dp_ipslot_fd(dp), .s = &s, .count = count, .first = first });
out:
	free(count);
	free(first);
	free(s.keys);
	free(s.vals);
	return r;
}
