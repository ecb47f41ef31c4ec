/* The endpoints' counters (weft_counters): a per-CPU array indexed by endpoint id. Reading sums
 * the CPUs; a slot is zeroed when its id goes to a new endpoint and when the endpoint goes; and
 * the per-CPU hash that weftd 0.3 pinned under the same name is carried over into the array on
 * the first start of a newer weftd, so an upgrade keeps the pods' counts. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_priv.h"
#include "lxc.skel.h"

/* Per-CPU map values come back one per possible CPU, each padded to 8 bytes: none needed. */
_Static_assert(sizeof(struct weft_counters) % 8 == 0, "weft_counters is 8-byte padded");

static int dp_ncpu(void)
{
	int n = libbpf_num_possible_cpus();

	return n == 0 ? -EINVAL : n;
}

static int dp_counters_fd(struct dp *dp)
{
	return bpf_map__fd(dp->skel->maps.weft_counters);
}

int dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out)
{
	int ncpu = dp_ncpu(), r = 0;
	struct weft_counters *v;
	uint32_t key = ep_id;

	if (!dp)
		return -ENODEV;
	if (ncpu < 0)
		return ncpu;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(dp_counters_fd(dp), &key, v) < 0) {
		r = -errno; /* -ENOENT: an id beyond the array, which no endpoint gets */
		goto out;
	}
	for (int c = 0; c < ncpu; c++) {
		out->from_pod_packets += v[c].from_pod_packets;
		out->from_pod_bytes += v[c].from_pod_bytes;
		out->to_pod_packets += v[c].to_pod_packets;
		out->to_pod_bytes += v[c].to_pod_bytes;
		for (int d = 0; d < WEFT_DROP_MAX; d++)
			out->drops[d] += v[c].drops[d];
	}
out:
	free(v);
	return r;
}

int dp_counters_zero(struct dp *dp, unsigned ep_id)
{
	int ncpu = dp_ncpu(), r = 0;
	uint32_t key = ep_id;
	void *zero;

	if (ep_id >= WEFT_COUNTERS_SLOTS)
		return 0; /* no slot, nothing counted */
	if (ncpu < 0)
		return ncpu;
	zero = calloc((size_t)ncpu, sizeof(struct weft_counters));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(dp_counters_fd(dp), &key, zero, BPF_ANY) < 0)
		r = -errno;
	free(zero);
	return r;
}

/* ---- carrying weftd 0.3's counters over ------------------------------------------------------
 * libbpf refuses to reuse a pinned map of another type, and the object would not load. So the
 * old hash is read and unpinned before the load (which then creates and pins the array), and
 * its values written into the array after it. Running programs keep counting into the old map
 * until the takeover replaces them a moment later: those few packets go uncounted. A load that
 * fails pins the old map again, so the node is left as it was. */

void dp_counters_carry_take(const char *root, struct dp_counters_carry *carry)
{
	struct bpf_map_info info;
	uint32_t ilen = sizeof(info), key, next, *prev = NULL;
	char *path = carry->path;
	int fd, ncpu = dp_ncpu();
	size_t cap = 0;

	memset(carry, 0, sizeof(*carry));
	carry->old_fd = -1;
	snprintf(path, sizeof(carry->path), "%s/%s", root, WEFT_MAP_COUNTERS);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return; /* a first start: nothing pinned */
	memset(&info, 0, sizeof(info));
	if (ncpu < 0 || bpf_obj_get_info_by_fd(fd, &info, &ilen) < 0 || info.type != BPF_MAP_TYPE_PERCPU_HASH ||
	    info.key_size != sizeof(uint32_t) || info.value_size != sizeof(struct weft_counters)) {
		close(fd); /* the array already, or something the load will name */
		return;
	}
	carry->ncpu = ncpu;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (carry->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			uint32_t *ids = realloc(carry->ids, ncap * sizeof(*ids));
			struct weft_counters *v = ids ? realloc(carry->values, ncap * ncpu * sizeof(*v)) : NULL;

			if (ids)
				carry->ids = ids;
			if (!v)
				break; /* out of memory: carry what was read */
			carry->values = v;
			cap = ncap;
		}
		key = next;
		prev = &key;
		if (key < WEFT_COUNTERS_SLOTS &&
		    bpf_map_lookup_elem(fd, &key, carry->values + carry->n * (size_t)ncpu) == 0)
			carry->ids[carry->n++] = key;
	}
	/* Unpinned, the old map lives on while the running programs hold it, and goes with them. */
	if (unlink(path) < 0) {
		close(fd);
		carry->n = 0; /* still pinned: the load fails and names it */
		return;
	}
	carry->old_fd = fd; /* to pin it again if the load fails */
}

/* dp NULL (the load failed): the old map is pinned again where it was. */
size_t dp_counters_carry_put(struct dp *dp, struct dp_counters_carry *carry)
{
	size_t put = 0;

	for (size_t i = 0; dp && i < carry->n; i++)
		if (bpf_map_update_elem(dp_counters_fd(dp), &carry->ids[i], carry->values + i * (size_t)carry->ncpu,
					BPF_ANY) == 0)
			put++;
	if (carry->old_fd >= 0) {
		if (!dp)
			bpf_obj_pin(carry->old_fd, carry->path);
		close(carry->old_fd);
		carry->old_fd = -1;
	}
	free(carry->ids);
	free(carry->values);
	carry->ids = NULL;
	carry->values = NULL;
	carry->n = 0;
	return put;
}
