/* The data path described in JSON, for `weftctl status` and `weftctl bpf map dump`: the program
 * and where it runs, each pinned map and how full it is, and any map's entries decoded field by
 * field (addresses as text, MACs as aa:bb:.., drop reasons by name, per-CPU values summed). */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <jansson.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_priv.h"
#include "lxc.skel.h"
#include "fabric.skel.h"

static const char *const dp_drop_names[WEFT_DROP_MAX] = WEFT_DROP_NAMES;

static const char *const dp_map_names[] = { WEFT_MAP_EP_IP,     WEFT_MAP_EP_IF,    WEFT_MAP_EP_SLOT,
					    WEFT_MAP_EP_IPSLOT, WEFT_MAP_COUNTERS, WEFT_MAP_EVENTS,
					    WEFT_MAP_TUNNEL,    WEFT_MAP_TUN_EXACT, WEFT_MAP_TUN_LENS,
					    WEFT_MAP_CONFIG };
#define DP_N_MAPS (sizeof(dp_map_names) / sizeof(dp_map_names[0]))

static struct bpf_map *dp_map(struct dp *dp, const char *name)
{
	return bpf_object__find_map_by_name(dp->skel->obj, name);
}

static json_t *dp_mac_json(const uint8_t *m)
{
	char s[18];

	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return json_string(s);
}

static json_t *dp_addr_json(int family, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, s, sizeof(s)))
		return json_null();
	return json_string(s);
}

static json_t *dp_ep_json(const struct weft_endpoint *ep)
{
	json_t *j = json_object(), *flags = json_array();

	if (!j || !flags) {
		json_decref(j);
		json_decref(flags);
		return NULL;
	}
	if (ep->flags & WEFT_EP_HAS_IPV4)
		json_array_append_new(flags, json_string("ipv4"));
	if (ep->flags & WEFT_EP_HAS_IPV6)
		json_array_append_new(flags, json_string("ipv6"));
	if (ep->flags & WEFT_EP_SLOT_SHARED) /* weft_ep_ipslot: other addresses are in the hash */
		json_array_append_new(flags, json_string("shared"));
	json_object_set_new(j, "id", json_integer(ep->id));
	json_object_set_new(j, "ifindex", json_integer(ep->ifindex));
	json_object_set_new(j, "pod_mac", dp_mac_json(ep->pod_mac));
	json_object_set_new(j, "host_mac", dp_mac_json(ep->host_mac));
	json_object_set_new(j, "flags", flags);
	/* An address the flags do not vouch for is not shown: it is not in use. */
	json_object_set_new(j, "ipv4", ep->flags & WEFT_EP_HAS_IPV4 ? dp_addr_json(4, ep->ipv4) : json_null());
	json_object_set_new(j, "ipv6", ep->flags & WEFT_EP_HAS_IPV6 ? dp_addr_json(6, ep->ipv6) : json_null());
	return j;
}

static json_t *dp_counters_json(const struct weft_counters *c)
{
	json_t *j = json_object(), *drops = json_object();

	if (!j || !drops) {
		json_decref(j);
		json_decref(drops);
		return NULL;
	}
	json_object_set_new(j, "from_pod_packets", json_integer((json_int_t)c->from_pod_packets));
	json_object_set_new(j, "from_pod_bytes", json_integer((json_int_t)c->from_pod_bytes));
	json_object_set_new(j, "to_pod_packets", json_integer((json_int_t)c->to_pod_packets));
	json_object_set_new(j, "to_pod_bytes", json_integer((json_int_t)c->to_pod_bytes));
	for (int d = 1; d < WEFT_DROP_MAX; d++)
		json_object_set_new(drops, dp_drop_names[d], json_integer((json_int_t)c->drops[d]));
	json_object_set_new(j, "drops", drops);
	return j;
}

int dp_map_keys(int fd, size_t key_size, void **out, size_t *n)
{
	size_t cap = 0;
	char *keys = NULL, *prev = NULL;
	uint8_t next[32];

	*out = NULL;
	*n = 0;
	if (key_size > sizeof(next))
		return -EINVAL;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		if (*n == cap) {
			char *k = realloc(keys, (cap = cap ? cap * 2 : 64) * key_size);

			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
		}
		memcpy(keys + *n * key_size, next, key_size);
		prev = keys + *n * key_size;
		(*n)++;
	}
	*out = keys;
	return 0;
}

static int dp_id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether a slot of m is in use: weft_ep_slot's hold an endpoint (ifindex not 0), weft_ep_ipslot's
 * an address or the shared mark. */
static bool dp_slot_used(struct dp *dp, struct bpf_map *m, uint32_t slot, const struct weft_endpoint *ep)
{
	if (m == dp->skel->maps.weft_ep_slot)
		return ep->ifindex != 0;
	return ep->flags & ((slot < WEFT_EP_SLOTS ? WEFT_EP_HAS_IPV4 : WEFT_EP_HAS_IPV6) | WEFT_EP_SLOT_SHARED);
}

/* The slots in use of weft_ep_slot or weft_ep_ipslot, in order: those of the veths in weft_ep_if,
 * or of the addresses in weft_ep_ip (a look at each, where all 16,384 or 32,768 slots would cost
 * a status call as many system calls). dp_open clears any other slot. */
static int dp_slot_keys(struct dp *dp, struct bpf_map *m, void **out, size_t *n)
{
	bool by_ifindex = m == dp->skel->maps.weft_ep_slot;
	struct bpf_map *src = by_ifindex ? dp->skel->maps.weft_ep_if : dp->skel->maps.weft_ep_ip;
	size_t ksz = bpf_map__key_size(src), k = 0, nsrc;
	int fd = bpf_map__fd(m), r;
	struct weft_endpoint ep;
	uint32_t *slots;
	void *keys;

	*out = NULL;
	*n = 0;
	r = dp_map_keys(bpf_map__fd(src), ksz, &keys, &nsrc);
	if (r < 0)
		return r;
	slots = nsrc ? malloc(nsrc * sizeof(*slots)) : NULL;
	if (nsrc && !slots) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nsrc; i++) {
		const void *key = (const char *)keys + i * ksz;
		uint32_t slot;

		if (by_ifindex) {
			memcpy(&slot, key, sizeof(slot));
			slot &= WEFT_EP_SLOTS - 1;
		} else {
			slot = dp_ipslot_of(key);
		}
		if (bpf_map_lookup_elem(fd, &slot, &ep) == 0 && dp_slot_used(dp, m, slot, &ep))
			slots[k++] = slot;
	}
	free(keys);
	if (k > 1) /* shared slots come up once for each address in them */
		qsort(slots, k, sizeof(*slots), dp_id_cmp);
	for (size_t i = 0; i < k; i++)
		if (*n == 0 || slots[*n - 1] != slots[i])
			slots[(*n)++] = slots[i];
	*out = slots;
	return 0;
}

/* The keys a dump lists and a status counts. The arrays have a slot for every possible id, veth
 * or address: weft_counters's entries are the slots of the endpoints there are (by id), not all
 * 16,385, and the slot maps' those in use. */
static int dp_keys_of(struct dp *dp, struct bpf_map *m, void **out, size_t *n)
{
	int fd_if = bpf_map__fd(dp->skel->maps.weft_ep_if), r;
	struct weft_endpoint ep;
	uint32_t *ids;
	size_t k = 0;

	if (strcmp(bpf_map__name(m), WEFT_MAP_EP_SLOT) == 0 || strcmp(bpf_map__name(m), WEFT_MAP_EP_IPSLOT) == 0)
		return dp_slot_keys(dp, m, out, n);
	if (strcmp(bpf_map__name(m), WEFT_MAP_COUNTERS) != 0)
		return dp_map_keys(bpf_map__fd(m), bpf_map__key_size(m), out, n);
	r = dp_map_keys(fd_if, sizeof(uint32_t), out, n);
	if (r < 0)
		return r;
	ids = *out;
	for (size_t i = 0; i < *n; i++)
		if (bpf_map_lookup_elem(fd_if, &ids[i], &ep) == 0)
			ids[k++] = ep.id; /* in place: the ifindex there is read already */
	*n = k;
	if (k > 1) /* qsort may not be handed the NULL of an empty walk */
		qsort(ids, k, sizeof(*ids), dp_id_cmp);
	return 0;
}

static json_t *dp_entry(json_t *key, json_t *value)
{
	if (!key || !value) {
		json_decref(key);
		json_decref(value);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "key", key, "value", value);
}

static const char *dp_mode_name(uint32_t mode)
{
	switch (mode) {
	case WEFT_FABRIC_OFF:
		return "off";
	case WEFT_FABRIC_OVERLAY:
		return "overlay";
	case WEFT_FABRIC_NATIVE:
		return "native";
	}
	return "unknown";
}

/* A route of weft_tunnel (len: prefixlen - WEFT_TUNNEL_KEY_BITS) or weft_tun_exact (prefixlen). */
static json_t *dp_tunnel_entry(const struct weft_tunnel_key *k, unsigned len, const struct weft_tunnel *v)
{
	char cidr[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
	bool ok = (k->family == 4 || k->family == 6) && (v->family == 4 || v->family == 6);

	if (ok && inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr, a, sizeof(a)))
		snprintf(cidr, sizeof(cidr), "%s/%u", a, len);
	else
		snprintf(cidr, sizeof(cidr), "?");
	return dp_entry(json_pack("{s:s}", "cidr", cidr),
			json_pack("{s:o, s:b}", "node", ok ? dp_addr_json(v->family, v->addr) : json_null(), "direct",
				  (v->flags & WEFT_TUNNEL_NEIGH) != 0));
}

/* weft_tun_lens: whether lookups use the hash, and the lengths tried, longest first. */
static json_t *dp_tun_lens_json(const struct weft_tun_lens *l)
{
	json_t *lens = json_array();

	for (unsigned i = 0; lens && i < l->n && i < WEFT_TUN_LENS_MAX; i++)
		json_array_append_new(lens, json_integer(l->len[i]));
	return json_pack("{s:b, s:i, s:o*}", "valid", l->valid != 0, "count", l->n, "lengths", lens);
}

static json_t *dp_config_entry(const struct weft_config *c)
{
	return dp_entry(json_pack("{s:i}", "index", 0),
			json_pack("{s:s, s:I, s:o, s:I}", "mode", dp_mode_name(c->mode), "ifindex",
				  (json_int_t)c->ifindex, "vxlan_mac", dp_mac_json(c->vxlan_mac), "vni",
				  (json_int_t)c->vni));
}

/* Entries decoded; NULL on failure with *r set. Entries removed meanwhile are skipped. */
static json_t *dp_entries(struct dp *dp, const char *name, int *r)
{
	int fd = bpf_map__fd(dp_map(dp, name));
	size_t ksz = bpf_map__key_size(dp_map(dp, name));
	json_t *arr = json_array(), *e;
	void *keys = NULL;
	size_t n = 0;

	*r = arr ? dp_keys_of(dp, dp_map(dp, name), &keys, &n) : -ENOMEM;
	for (size_t i = 0; i < n && *r == 0; i++) {
		const void *k = (const char *)keys + i * ksz;
		uint32_t u32;

		if (strcmp(name, WEFT_MAP_EP_IP) == 0) {
			const struct weft_ip_key *ik = k;
			struct weft_endpoint ep;

			if (bpf_map_lookup_elem(fd, ik, &ep) < 0)
				continue;
			e = dp_entry(json_pack("{s:i, s:o}", "family", ik->family, "addr",
					       ik->family == 4 || ik->family == 6 ? dp_addr_json(ik->family, ik->addr)
										   : json_null()),
				     dp_ep_json(&ep));
		} else if (strcmp(name, WEFT_MAP_TUNNEL) == 0) {
			struct weft_tunnel v;

			if (bpf_map_lookup_elem(fd, k, &v) < 0)
				continue;
			e = dp_tunnel_entry(k, ((const struct weft_tunnel_key *)k)->prefixlen - WEFT_TUNNEL_KEY_BITS, &v);
		} else if (strcmp(name, WEFT_MAP_TUN_EXACT) == 0) {
			struct weft_tunnel v;

			if (bpf_map_lookup_elem(fd, k, &v) < 0)
				continue;
			e = dp_tunnel_entry(k, ((const struct weft_tunnel_key *)k)->prefixlen, &v);
		} else if (strcmp(name, WEFT_MAP_TUN_LENS) == 0) {
			struct weft_tun_lens l;

			memcpy(&u32, k, 4);
			if (bpf_map_lookup_elem(fd, &u32, &l) < 0)
				continue;
			e = dp_entry(json_pack("{s:s}", "family", u32 == 0 ? "ipv4" : "ipv6"), dp_tun_lens_json(&l));
		} else if (strcmp(name, WEFT_MAP_CONFIG) == 0) {
			struct weft_config c;

			if (bpf_map_lookup_elem(fd, k, &c) < 0)
				continue;
			e = dp_config_entry(&c);
		} else if (strcmp(name, WEFT_MAP_EP_IF) == 0) {
			struct weft_endpoint ep;

			memcpy(&u32, k, 4);
			if (bpf_map_lookup_elem(fd, &u32, &ep) < 0)
				continue;
			e = dp_entry(json_pack("{s:I}", "ifindex", (json_int_t)u32), dp_ep_json(&ep));
		} else if (strcmp(name, WEFT_MAP_EP_SLOT) == 0 || strcmp(name, WEFT_MAP_EP_IPSLOT) == 0) {
			struct weft_endpoint ep;

			memcpy(&u32, k, 4);
			if (bpf_map_lookup_elem(fd, &u32, &ep) < 0 || !dp_slot_used(dp, dp_map(dp, name), u32, &ep))
				continue;
			e = dp_entry(json_pack("{s:I}", "slot", (json_int_t)u32), dp_ep_json(&ep));
		} else {
			struct weft_counters c;

			memcpy(&u32, k, 4);
			if (dp_counters_get(dp, u32, &c) < 0)
				continue;
			e = dp_entry(json_pack("{s:I}", "ep_id", (json_int_t)u32), dp_counters_json(&c));
		}
		if (!e || json_array_append_new(arr, e) < 0)
			*r = -ENOMEM;
	}
	free(keys);
	if (*r < 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *dp_map_json(struct dp *dp, const char *name)
{
	struct bpf_map *m = dp_map(dp, name);
	const char *type = libbpf_bpf_map_type_str(bpf_map__type(m));
	char path[PATH_MAX];
	json_t *entries = json_null();
	void *keys = NULL;
	size_t n = 0;

	/* A ring buffer has no entries to count; weft_tun_exact's are weftd's own count. */
	if (strcmp(name, WEFT_MAP_TUN_EXACT) == 0)
		entries = json_integer((json_int_t)dp_tunexact_routes(&dp->tx));
	else if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF && dp_keys_of(dp, m, &keys, &n) == 0)
		entries = json_integer((json_int_t)n);
	free(keys);
	snprintf(path, sizeof(path), "%s/%s", dp->root, name);
	return json_pack("{s:s, s:s, s:I, s:o, s:s}", "name", name, "type", type ? type : "unknown", "max_entries",
			 (json_int_t)bpf_map__max_entries(m), "entries", entries, "pinned", path);
}

json_t *dp_status(struct dp *dp)
{
	json_t *st, *maps, *prog;
	size_t n = 0, attached = 0;
	void *keys = NULL;
	int fd_if;

	if (!dp)
		return NULL;
	fd_if = bpf_map__fd(dp->skel->maps.weft_ep_if);

	if (dp_map_keys(fd_if, sizeof(uint32_t), &keys, &n) == 0)
		for (size_t i = 0; i < n; i++)
			attached += dp_prog_attached(((uint32_t *)keys)[i], dp->prog_id);
	free(keys);
	/* attached: at how many of the endpoints' host veths this very program runs now. */
	prog = json_pack("{s:s, s:I, s:s, s:I, s:I, s:{s:I, s:I, s:s?}}", "name", DP_PROG_NAME, "id",
			 (json_int_t)dp->prog_id, "attach_mode", dp->mode == DP_ATTACH_TCX ? "tcx" : "tc", "attached",
			 (json_int_t)attached, "endpoints", (json_int_t)n, "takeover", "reattached",
			 (json_int_t)dp->reattached, "failed", (json_int_t)dp->reattach_failed, "last_error",
			 dp->reattach_err[0] ? dp->reattach_err : NULL);
	/* The fabric's programs are listed where they run (overlay mode: the VXLAN device's;
	 * native mode: the underlay device's). */
	prog = prog ? json_pack("[o]", prog) : NULL;
	for (int i = 0; prog && i < DP_FABRIC_DEVS; i++) {
		const struct dp_fabric_prog *f = &dp->fab[i];
		char dev[IF_NAMESIZE];
		json_t *fp;

		if (!f->ifindex)
			continue;
		fp = json_pack("{s:s, s:I, s:s, s:I, s:I, s:s?}", "name",
			       i == DP_FABRIC_VXLAN ? DP_OVERLAY_PROG_NAME : DP_UNDERLAY_PROG_NAME, "id", (json_int_t)f->id,
			       "attach_mode", dp->mode == DP_ATTACH_TCX ? "tcx" : "tc", "attached",
			       (json_int_t)dp_prog_attached(f->ifindex, f->id), "ifindex", (json_int_t)f->ifindex,
			       "device", if_indextoname(f->ifindex, dev));
		if (!fp || json_array_append_new(prog, fp) < 0) {
			json_decref(prog);
			prog = NULL;
		}
	}
	maps = json_array();
	for (size_t i = 0; maps && i < DP_N_MAPS; i++)
		if (json_array_append_new(maps, dp_map_json(dp, dp_map_names[i])) < 0) {
			json_decref(maps);
			maps = NULL;
		}
	if (!prog || !maps) {
		json_decref(prog);
		json_decref(maps);
		return NULL;
	}
	st = json_pack("{s:o, s:o, s:s}", "programs", prog, "maps", maps, "pin_dir", dp->root);
	return st;
}

int dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen)
{
	json_t *j, *entries;
	size_t i;
	int r;

	*out = NULL;
	if (!dp)
		return dp_err(err, errlen, -ENODEV, "the data path is not open");
	for (i = 0; i < DP_N_MAPS; i++)
		if (name && strcmp(name, dp_map_names[i]) == 0)
			break;
	if (i == DP_N_MAPS) {
		size_t off = 0;

		for (i = 0; err && i < DP_N_MAPS && off < errlen; i++)
			off += (size_t)snprintf(err + off, errlen - off, "%s%s", i == 0 ? "the maps are " :
									     i + 1 == DP_N_MAPS ? " and " : ", ",
						dp_map_names[i]);
		return -ENOENT;
	}
	if (strcmp(name, WEFT_MAP_EVENTS) == 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s is a ring buffer: its records are streamed to the monitor, not stored",
				 name);
		return -EOPNOTSUPP;
	}
	entries = dp_entries(dp, name, &r);
	if (!entries)
		return dp_err(err, errlen, r, "reading %s", name);
	j = dp_map_json(dp, name);
	if (!j || json_object_set_new(j, "entries", entries) < 0) {
		json_decref(j);
		return dp_err(err, errlen, -ENOMEM, "describing %s", name);
	}
	*out = j;
	return 0;
}
