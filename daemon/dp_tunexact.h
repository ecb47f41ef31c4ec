/* weft_tun_exact and weft_tun_lens (bpf/weft_shared.h): weft_tunnel's routes by exact prefix,
 * and per family the prefix lengths there are, so the programs find a route with one hash
 * lookup per length instead of a trie walk that grows with the routes. weft_tunnel stays the
 * truth; this keeps the copy in step, from dp_tunnel_upsert / _delete, and rebuilds it at
 * dp_open. It works on map fds, so the BPF unit tests drive it as weftd does. */
#ifndef WEFT_DP_TUNEXACT_H
#define WEFT_DP_TUNEXACT_H

#include <stdbool.h>
#include <stddef.h>

#include "weft_shared.h"

/* Below this many routes in a family, the trie's walk is short and cheaper than the hash's
 * lookup: the list stays invalid and the trie answers. Measured here (docs/benchmarks.md): with 16
 * routes the trie took ~30 ns less a packet, with 32 ~30 ns more, with 10,000 ~300-500 more. */
#define DP_TUNEXACT_MIN_ROUTES 32

struct dp_tunexact {
	int fd_exact, fd_lens;
	unsigned min_routes;    /* DP_TUNEXACT_MIN_ROUTES; tests lower it */
	unsigned count[2][129]; /* per family (0: IPv4, 1: IPv6): routes in the hash per length */
	bool broken[2];         /* a hash write failed: the family's lookups go to the trie */
};

void dp_tunexact_init(struct dp_tunexact *t, int fd_exact, int fd_lens);
/* After k/v went into the trie (k as weft_tunnel has it): the same route into the hash, its
 * length into the family's list first. 0 or -errno; on failure the family's lookups are sent to
 * the trie until the next rebuild, so they stay right. */
int dp_tunexact_put(struct dp_tunexact *t, const struct weft_tunnel_key *k, const struct weft_tunnel *v);
/* Before k leaves the trie: out of the hash, and its length out of the list after it. */
int dp_tunexact_del(struct dp_tunexact *t, const struct weft_tunnel_key *k);
/* Routes in the hash, by this writer's count (a status need not walk 65,536 buckets). */
size_t dp_tunexact_routes(const struct dp_tunexact *t);
/* The hash made equal to the trie fd_trie, the lookups on the trie meanwhile. Routes copied, or
 * -errno (the lookups then stay on the trie). */
int dp_tunexact_sync(struct dp_tunexact *t, int fd_trie);

#endif
