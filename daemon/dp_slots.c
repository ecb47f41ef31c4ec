/* weft_ep_slot, the direct-mapped copy of weft_ep_if that from-pod reads first (bpf/lib/maps.h).
 * The hash stays the truth; a slot only ever repeats it, and is valid for a packet only when
 * its ifindex is the packet's veth.
 *
 * Readers see array values without a lock, so a value being overwritten can be read half old,
 * half new. The writes are ordered so that no such mix is a valid slot with wrong contents:
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

/* At start: every slot made to agree with the hash. A slot whose veth is no endpoint, or whose
 * copy differs from the hash's, is cleared (what a killed weftd or a downgraded one left); then
 * every endpoint is offered its slot, so one that lost a collision gets the slot once its holder
 * is gone. Returns how many slots hold an endpoint, or -errno. */
int dp_slots_sync(struct dp *dp)
{
	int fd = dp_slots_fd(dp), fd_if = bpf_map__fd(dp->skel->maps.weft_ep_if), r, held = 0;
	uint32_t key, next, *prev = NULL;
	struct weft_endpoint cur, ep;

	for (uint32_t slot = 0; slot < WEFT_EP_SLOTS; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, &cur) < 0)
			return -errno;
		if (cur.ifindex == 0)
			continue;
		key = cur.ifindex;
		if (bpf_map_lookup_elem(fd_if, &key, &ep) == 0 && memcmp(&ep, &cur, sizeof(ep)) == 0)
			continue;
		if ((r = dp_slot_clear_at(fd, slot, 0)) < 0)
			return r;
	}
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
