/* dp_tunexact.h: weft_tunnel's exact-prefix copy and its lists of lengths.
 *
 * The rule kept: a program that reads a valid list finds in the hash every route of that family
 * the trie would match, and a length for each. Hence the order: a route's length joins the list
 * before the route enters the hash, and leaves it after the last route of that length left; a
 * failed write turns the family's list invalid, which sends its lookups to the trie. */
#include "dp_tunexact.h"
#include "dp_priv.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void dp_tunexact_init(struct dp_tunexact *t, int fd_exact, int fd_lens)
{
	memset(t, 0, sizeof(*t));
	t->fd_exact = fd_exact;
	t->fd_lens = fd_lens;
	t->min_routes = DP_TUNEXACT_MIN_ROUTES;
}

/* The family index (0 IPv4, 1 IPv6) and the prefix length of a weft_tunnel key, or -EINVAL. */
static int key_family(const struct weft_tunnel_key *k, unsigned *len)
{
	unsigned bits = k->family == 4 ? 32 : 128;

	if ((k->family != 4 && k->family != 6) || k->prefixlen < WEFT_TUNNEL_KEY_BITS ||
	    k->prefixlen - WEFT_TUNNEL_KEY_BITS > bits)
		return -EINVAL;
	*len = k->prefixlen - WEFT_TUNNEL_KEY_BITS;
	return k->family == 4 ? 0 : 1;
}

/* The trie's key as the hash has it: the same bytes, prefixlen the CIDR's own length (weftd's
 * trie keys are canonical: host bits zero, the IPv4 tail zero). */
static struct weft_tunnel_key exact_key(const struct weft_tunnel_key *k, unsigned len)
{
	struct weft_tunnel_key e = *k;

	e.prefixlen = len;
	return e;
}

static unsigned family_routes(const struct dp_tunexact *t, unsigned fam)
{
	unsigned n = 0;

	for (unsigned len = 0; len <= 128; len++)
		n += t->count[fam][len];
	return n;
}

/* The family's list from the counts, longest first, in one 8-byte write. */
static int lens_write(struct dp_tunexact *t, unsigned fam, int valid)
{
	struct weft_tun_lens l;
	unsigned n = 0, routes = 0;

	memset(&l, 0, sizeof(l));
	for (int len = 128; len >= 0; len--) {
		if (!t->count[fam][len])
			continue;
		if (n < WEFT_TUN_LENS_MAX)
			l.len[n] = (uint8_t)len;
		n++;
		routes += t->count[fam][len];
	}
	l.n = (uint8_t)n;
	l.valid = valid && !t->broken[fam] && n <= WEFT_TUN_LENS_MAX && routes >= t->min_routes;
	if (bpf_map_update_elem(t->fd_lens, &fam, &l, BPF_ANY) < 0)
		return -errno;
	return 0;
}

/* A write failed: the family's lookups go to the trie until the next rebuild. If even that
 * write fails, the list still names every length in the hash (a route's length goes in before
 * the route), so the hash answers as the trie did before the failed change. */
static int broken(struct dp_tunexact *t, unsigned fam, int err)
{
	t->broken[fam] = true;
	lens_write(t, fam, 0);
	return err;
}

int dp_tunexact_put(struct dp_tunexact *t, const struct weft_tunnel_key *k, const struct weft_tunnel *v)
{
	struct weft_tunnel_key e;
	unsigned len;
	int fam = key_family(k, &len), r;
	bool first;

	if (fam < 0)
		return fam;
	e = exact_key(k, len);
	/* A length new to the hash joins the list before its first route does. */
	first = t->count[fam][len] == 0;
	if (first) {
		t->count[fam][len]++;
		if ((r = lens_write(t, (unsigned)fam, 1)) < 0)
			return broken(t, (unsigned)fam, r);
	}
	/* Most routes are new: one write. Only a route already there needs a second. */
	if (bpf_map_update_elem(t->fd_exact, &e, v, BPF_NOEXIST) == 0) {
		if (!first)
			t->count[fam][len]++;
		/* Enough routes now for the hash to pay: the list turns valid, after the route is in. */
		if (family_routes(t, (unsigned)fam) == t->min_routes && (r = lens_write(t, (unsigned)fam, 1)) < 0)
			return broken(t, (unsigned)fam, r);
		return 0;
	}
	if (errno != EEXIST) {
		r = -errno;
		if (first)
			t->count[fam][len]--;
		return broken(t, (unsigned)fam, r);
	}
	/* A hash update swaps the element whole: a reader sees the old route or the new one. */
	if (bpf_map_update_elem(t->fd_exact, &e, v, BPF_EXIST) < 0)
		return broken(t, (unsigned)fam, -errno);
	return 0;
}

int dp_tunexact_del(struct dp_tunexact *t, const struct weft_tunnel_key *k)
{
	struct weft_tunnel_key e;
	unsigned len;
	int fam = key_family(k, &len), r;

	if (fam < 0)
		return fam;
	e = exact_key(k, len);
	if (bpf_map_delete_elem(t->fd_exact, &e) < 0)
		return errno == ENOENT ? 0 : broken(t, (unsigned)fam, -errno);
	if (t->count[fam][len])
		t->count[fam][len]--;
	/* A length gone, or too few routes left for the hash: the list again, after the route left. */
	if ((!t->count[fam][len] || family_routes(t, (unsigned)fam) + 1 == t->min_routes) &&
	    (r = lens_write(t, (unsigned)fam, 1)) < 0)
		return broken(t, (unsigned)fam, r);
	return 0;
}

size_t dp_tunexact_routes(const struct dp_tunexact *t)
{
	return (size_t)family_routes(t, 0) + family_routes(t, 1);
}

int dp_tunexact_sync(struct dp_tunexact *t, int fd_trie)
{
	struct weft_tunnel_key *keys = NULL;
	struct weft_tunnel v;
	size_t n = 0;
	int r, copied = 0;

	/* Lookups to the trie first, which is whole; then the hash emptied and filled from it. */
	memset(t->count, 0, sizeof(t->count));
	t->broken[0] = t->broken[1] = true;
	if ((r = lens_write(t, 0, 0)) < 0 || (r = lens_write(t, 1, 0)) < 0)
		return r;
	if ((r = dp_map_keys(t->fd_exact, sizeof(*keys), (void **)&keys, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(t->fd_exact, &keys[i]) < 0 && errno != ENOENT) {
			r = -errno;
			free(keys);
			return r;
		}
	free(keys);
	if ((r = dp_map_keys(fd_trie, sizeof(*keys), (void **)&keys, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct weft_tunnel_key e;
		unsigned len;
		int fam = key_family(&keys[i], &len);

		if (fam < 0 || bpf_map_lookup_elem(fd_trie, &keys[i], &v) < 0)
			continue; /* not one of weftd's keys, or gone meanwhile */
		e = exact_key(&keys[i], len);
		if (bpf_map_update_elem(t->fd_exact, &e, &v, BPF_ANY) < 0) {
			r = -errno;
			free(keys);
			return r;
		}
		t->count[fam][len]++;
		copied++;
	}
	free(keys);
	t->broken[0] = t->broken[1] = false;
	if ((r = lens_write(t, 0, 1)) < 0 || (r = lens_write(t, 1, 1)) < 0)
		return r;
	return copied;
}
