/* weftd's BGP speaker (bgp.h): the glue between the sessions (bgp_session.h) and the RIB. It
 * keeps an Adj-RIB-In (every path each peer announced and we took, with its attributes, shared
 * per UPDATE), applies the import policy (RFC 8212 for eBGP, our own next hops and prefixes
 * refused), feeds the decision inputs to the RIB, keeps a restarting peer's paths as stale (RFC
 * 4724 §4.2), sends our pod CIDRs and End-of-RIB to every peer, and answers route refresh.
 * Its state (bgp_priv.h) is also read by the API's views, in bgp_view.c. */
#include "bgp.h"
#include "bgp_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bgp_session.h"
#include "bgp_update.h"
#include "conf.h"
#include "log.h"

/* ---- the Adj-RIB-In ----------------------------------------------------------------------- */

#define BGP_ADJ_MIN_BUCKETS 256

static struct bgp_pattrs *pattrs_new(const struct bgp_attrs *a)
{
	struct bgp_pattrs *pa = calloc(1, sizeof(*pa));

	if (!pa)
		return NULL;
	if (bgp_attrs_dup(&pa->a, a) < 0) {
		free(pa);
		return NULL;
	}
	pa->refs = 1;
	return pa;
}

static void pattrs_unref(struct bgp_pattrs *pa)
{
	if (!pa || --pa->refs)
		return;
	bgp_attrs_fini(&pa->a);
	free(pa);
}

static size_t adj_hash(uint32_t source, const struct inet_prefix *p)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	uint8_t k[4 + 2 + 16];

	memcpy(k, &source, 4);
	k[4] = p->addr.family;
	k[5] = p->len;
	memcpy(k + 6, p->addr.bytes, 16);
	for (size_t i = 0; i < sizeof(k); i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

static int adj_init(struct bgp_adj *t)
{
	t->buckets = calloc(BGP_ADJ_MIN_BUCKETS, sizeof(*t->buckets));
	t->nbuckets = BGP_ADJ_MIN_BUCKETS;
	t->count = 0;
	return t->buckets ? 0 : -ENOMEM;
}

static void adj_route_free(struct bgp_route *r)
{
	pattrs_unref(r->attrs);
	free(r);
}

static void adj_fini(struct bgp_adj *t)
{
	for (size_t i = 0; t->buckets && i < t->nbuckets; i++) {
		struct bgp_route *r = t->buckets[i], *next;

		for (; r; r = next) {
			next = r->next;
			adj_route_free(r);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

/* pfx must be clean. */
static struct bgp_route **adj_slot(const struct bgp_adj *t, uint32_t source, const struct inet_prefix *pfx)
{
	struct bgp_route **pp = &t->buckets[adj_hash(source, pfx) & (t->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->source == source && inet_prefix_equal(&(*pp)->prefix, pfx))
			break;
	}
	return pp;
}

struct bgp_route *bgp_adj_find(const struct bgp_adj *t, uint32_t source, const struct inet_prefix *pfx)
{
	struct inet_prefix c;

	inet_prefix_clean(pfx, &c);
	return *adj_slot(t, source, &c);
}

/* Twice the buckets when the chains average more than one entry; a failed allocation only
 * leaves the chains longer. */
static void adj_grow(struct bgp_adj *t)
{
	size_t n = t->nbuckets * 2;
	struct bgp_route **nb;

	if (t->count <= t->nbuckets || !(nb = calloc(n, sizeof(*nb))))
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct bgp_route *r = t->buckets[i], *next;

		for (; r; r = next) {
			size_t h = adj_hash(r->source, &r->prefix) & (n - 1);

			next = r->next;
			r->next = nb[h];
			nb[h] = r;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = n;
}

/* Add or replace; *added says whether it is new, *was_stale whether the old one was stale. pa
 * may be NULL (the Adj-RIB-Out of reflected routes keeps only prefixes). */
static int adj_put(struct bgp_adj *t, uint32_t source, const struct inet_prefix *pfx, const struct inet_addr *nh,
		   struct bgp_pattrs *pa, uint64_t now, bool *added, bool *was_stale)
{
	struct inet_prefix c;
	struct bgp_route **pp, *r;

	inet_prefix_clean(pfx, &c);
	pp = adj_slot(t, source, &c);
	*added = !*pp;
	*was_stale = *pp && (*pp)->stale;
	if (*pp) {
		r = *pp;
		/* The path's age counts from its last change, not its last refresh. */
		if (!inet_addr_equal(&r->nh, nh) || r->attrs != pa)
			r->since = now;
		pattrs_unref(r->attrs);
	} else {
		r = calloc(1, sizeof(*r));
		if (!r)
			return -ENOMEM;
		r->prefix = c;
		r->source = source;
		r->since = now;
		r->next = NULL;
		*pp = r;
		t->count++;
	}
	r->nh = *nh;
	r->attrs = pa;
	if (pa)
		pa->refs++;
	r->stale = false;
	if (*added)
		adj_grow(t);
	return 0;
}

/* Unlink and free the route at *pp. */
static void adj_unlink(struct bgp_adj *t, struct bgp_route **pp)
{
	struct bgp_route *r = *pp;

	*pp = r->next;
	adj_route_free(r);
	t->count--;
}

/* ---- the speaker ------------------------------------------------------------------------- */

uint64_t bgp_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static const struct inet_prefix *own_of(const struct bgp *b, enum bgp_af af)
{
	return af == BGP_AF_IPV4 ? b->own : b->own + b->n_own[BGP_AF_IPV4];
}

static bool is_own_prefix(const struct bgp *b, const struct inet_prefix *p)
{
	for (size_t i = 0; i < b->n_own[BGP_AF_IPV4] + b->n_own[BGP_AF_IPV6]; i++) {
		if (b->own[i].len == p->len && inet_addr_equal(&b->own[i].addr, &p->addr))
			return true;
	}
	return false;
}

static bool is_own_addr(const struct bgp_peer *p, const struct inet_addr *a)
{
	const struct bgp *b = p->b;

	return inet_addr_equal(a, &b->local.addr4) || inet_addr_equal(a, &b->local.addr6) ||
	       inet_addr_equal(a, &p->nh4) || inet_addr_equal(a, &p->nh6);
}

/* The address the kernel would send from towards peer (a UDP connect sends nothing). */
static void route_source(const struct inet_addr *peer, struct inet_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	memset(out, 0, sizeof(*out));
	memset(&ss, 0, sizeof(ss));
	if (peer->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(BGP_PORT);
		memcpy(&sin->sin_addr, peer->bytes, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(BGP_PORT);
		memcpy(&sin6->sin6_addr, peer->bytes, 16);
		sl = sizeof(*sin6);
	}
	fd = socket(peer->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0) {
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			out->family = (uint8_t)ss.ss_family;
			if (ss.ss_family == AF_INET)
				memcpy(out->bytes, &((struct sockaddr_in *)&ss)->sin_addr, 4);
			else
				memcpy(out->bytes, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		}
	}
	close(fd);
}

/* Our next hops towards p: the node's addresses; without them, the address our connection to
 * the peer leaves from. IPv6 routes over an IPv4-only node get the IPv4 address, which the
 * encoder sends IPv4-mapped (docs/bgp.md, policies). */
static void peer_nexthops(struct bgp_peer *p)
{
	const struct bgp_local *l = &p->b->local;
	struct inet_addr src = p->conf.local;

	if (!src.family)
		route_source(&p->conf.address, &src);
	memset(&p->nh4, 0, sizeof(p->nh4));
	memset(&p->nh6, 0, sizeof(p->nh6));
	if (l->addr4.family)
		p->nh4 = l->addr4;
	else if (src.family == AF_INET)
		p->nh4 = src;
	if (l->addr6.family)
		p->nh6 = l->addr6;
	else if (l->addr4.family)
		p->nh6 = l->addr4;
	else
		p->nh6 = src;
}

/* ---- stale paths and the initial exchange ---------------------------------------------------- */

static void stale_timer_start(struct bgp_peer *p, unsigned secs)
{
	ev_timer_stop(p->b->loop, &p->stale_timer);
	ev_timer_set(&p->stale_timer, secs, 0);
	ev_timer_start(p->b->loop, &p->stale_timer);
}

/* Remove p's paths from the Adj-RIB-In and the RIB: all of them, or only the stale ones of the
 * families in afs (BGP_AF_BIT()s). */
static void peer_remove(struct bgp_peer *p, bool stale_only, uint8_t afs)
{
	struct bgp *b = p->b;
	size_t n = 0;

	for (size_t i = 0; i < b->adj.nbuckets; i++) {
		struct bgp_route **pp = &b->adj.buckets[i];

		while (*pp) {
			struct bgp_route *r = *pp;
			uint8_t bit = BGP_AF_BIT(r->prefix.addr.family == AF_INET ? BGP_AF_IPV4 : BGP_AF_IPV6);

			if (r->source != p->source || (stale_only && (!r->stale || !(afs & bit)))) {
				pp = &r->next;
				continue;
			}
			if (stale_only)
				rib_withdraw(b->rib, &r->prefix, p->source);
			p->received--;
			p->stale -= r->stale;
			n++;
			adj_unlink(&b->adj, pp);
		}
	}
	if (!stale_only)
		rib_withdraw_source(b->rib, p->source);
	if (!p->stale)
		ev_timer_stop(b->loop, &p->stale_timer);
	if (n)
		log_info("bgp %s: %zu %sroutes removed", p->name, n, stale_only ? "stale " : "");
}

static void stale_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct bgp_peer *p = w->data;

	log_info("bgp %s: graceful restart timer expired with %zu routes still stale", p->name, p->stale);
	peer_remove(p, true, BGP_AF_ALL);
}

static void set_synced(struct bgp *b, const char *why)
{
	if (b->synced)
		return;
	b->synced = true;
	ev_timer_stop(b->loop, &b->sync_timer);
	/* RFC 4724 §4.1: the R bit only until the restart is over. Weft: from now on the F bits
	 * are set, since the pinned data path keeps forwarding across our restarts. */
	for (size_t i = 0; i < b->n_peers; i++) {
		struct bgp_fsm *f = bgp_session_fsm(b->peers[i].s);

		f->conf.gr_restarting = false;
		f->conf.gr_fwd = b->conf.gr ? f->conf.afs : 0;
	}
	log_info("bgp: initial routing exchange complete (%s): %zu routes from %zu peers", why, b->adj.count,
		 b->n_peers);
	if (b->hooks.synced)
		b->hooks.synced(b->hooks.arg);
}

static void check_synced(struct bgp *b)
{
	if (b->synced)
		return;
	for (size_t i = 0; i < b->n_peers; i++) {
		const struct bgp_peer *p = &b->peers[i];
		const struct bgp_fsm *f = bgp_session_fsm(p->s);

		if (f->state != BGP_ESTABLISHED || (p->eor_rcvd & f->neg.afs) != f->neg.afs)
			return;
	}
	set_synced(b, "End-of-RIB from every peer");
}

static void sync_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	set_synced(w->data, "restart time passed");
}

/* ---- sending ---------------------------------------------------------------------------- */

static int peer_send(struct bgp_peer *p, const uint8_t *msg, int len)
{
	if (len < 0)
		return len;
	return bgp_session_send(p->s, msg, (size_t)len);
}

/* Our prefixes of af to p, as few UPDATEs as they fit in. RFC 8212: nothing to an eBGP peer
 * unless exportPodCIDRs. */
static void peer_announce(struct bgp_peer *p, const struct bgp_fsm *f, enum bgp_af af)
{
	const struct bgp *b = p->b;
	const struct inet_prefix *pfx = own_of(b, af);
	size_t n = b->n_own[af], off = 0, used;
	struct bgp_attrs a;
	uint8_t buf[BGP_MAX_LEN];
	char nh[INET_ADDRSTR];

	if (!n || (p->ebgp && !p->conf.export_pod_cidrs))
		return;
	memset(&a, 0, sizeof(a));
	a.present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	a.origin = BGP_ORIGIN_IGP;
	if (af == BGP_AF_IPV4) {
		if (p->nh4.family != AF_INET) {
			log_warnx("bgp %s: no IPv4 address to announce %zu IPv4 prefixes with: set the node's IPv4 address",
				  p->name, n);
			return;
		}
		a.nexthop = p->nh4;
		a.present |= BGP_ATTR_BIT(BGP_ATTR_NEXT_HOP);
	} else {
		if (!p->nh6.family) {
			log_warnx("bgp %s: no address to announce %zu IPv6 prefixes with", p->name, n);
			return;
		}
		a.mp_nexthop = p->nh6;
	}
	/* RFC 4271 §5.1.2: our AS first towards an external peer; empty towards an internal one. */
	if (p->ebgp && bgp_aspath_prepend(&a, f->neg.local_as) < 0) {
		log_warnx("bgp %s: out of memory building an UPDATE", p->name);
		return;
	}
	while (off < n) {
		int len = bgp_update_encode_announce(&f->neg, &a, af, pfx + off, n - off, buf, sizeof(buf), &used);

		if (len < 0 || peer_send(p, buf, len) < 0) {
			log_warnx("bgp %s: cannot send our %s routes: %s", p->name, bgp_af_name(af),
				  strerror(len < 0 ? -len : ENOTCONN));
			break;
		}
		off += used;
	}
	p->sent += off;
	bgp_attrs_fini(&a);
	log_debug("bgp %s: announced %zu %s prefixes, next hop %s", p->name, off, bgp_af_name(af),
		  inet_addr_fmt(af == BGP_AF_IPV4 ? &p->nh4 : &p->nh6, nh, sizeof(nh)));
}

/* ---- route reflection (RFC 4456) --------------------------------------------------------------- */

/* The Adj-RIB-In entry of best if it is to be reflected to q, else NULL. RFC 4456 §6: a client's
 * route goes to every other internal peer, a non-client's to the clients only. Weft: routes from
 * external peers are not passed on (weftd is no transit router), and the node's own and static
 * ones are announced as our own, not reflected. */
static const struct bgp_route *rr_route(const struct bgp *b, const struct bgp_peer *q, const struct rib_path *best)
{
	const struct bgp_fsm *fq = bgp_session_fsm(q->s);
	const struct bgp_peer *s;
	const struct bgp_route *r;
	uint32_t originator;

	if (!best || q->ebgp || best->source == RIB_SOURCE_LOCAL || best->source == RIB_SOURCE_STATIC ||
	    best->source > b->n_peers)
		return NULL;
	s = &b->peers[best->source - 1];
	if (s == q || s->ebgp || (!s->conf.rr_client && !q->conf.rr_client))
		return NULL;
	r = bgp_adj_find(&b->adj, best->source, &best->prefix);
	if (!r)
		return NULL;
	/* RFC 4456 §8: q drops a route it originated; do not send it. */
	originator = bgp_attrs_has(&r->attrs->a, BGP_ATTR_ORIGINATOR_ID) ? r->attrs->a.originator_id
									  : bgp_session_fsm(s->s)->peer.id;
	return originator == fq->peer.id ? NULL : r;
}

/* Reflect r to q: its attributes as received, ORIGINATOR_ID set if absent and our cluster id
 * first in the CLUSTER_LIST (RFC 4456 §8), the next hop unchanged. */
static int rr_send(struct bgp_peer *q, const struct bgp_route *r)
{
	const struct bgp *b = q->b;
	const struct bgp_fsm *fq = bgp_session_fsm(q->s);
	enum bgp_af af = r->prefix.addr.family == AF_INET ? BGP_AF_IPV4 : BGP_AF_IPV6;
	uint8_t buf[BGP_MAX_LEN];
	struct bgp_attrs a;
	uint32_t *cl;
	size_t used;
	int len;

	if (!(fq->neg.afs & BGP_AF_BIT(af)) || (af == BGP_AF_IPV4 && r->nh.family != AF_INET))
		return -EAFNOSUPPORT;
	if (bgp_attrs_dup(&a, &r->attrs->a) < 0)
		return -ENOMEM;
	cl = malloc((a.n_cluster_list + 1) * sizeof(*cl));
	if (!cl) {
		bgp_attrs_fini(&a);
		return -ENOMEM;
	}
	cl[0] = b->conf.cluster_id;
	if (a.n_cluster_list)
		memcpy(cl + 1, a.cluster_list, a.n_cluster_list * sizeof(*cl));
	free(a.cluster_list);
	a.cluster_list = cl;
	a.n_cluster_list++;
	a.present |= BGP_ATTR_BIT(BGP_ATTR_CLUSTER_LIST);
	if (!bgp_attrs_has(&a, BGP_ATTR_ORIGINATOR_ID)) {
		a.originator_id = bgp_session_fsm(b->peers[r->source - 1].s)->peer.id;
		a.present |= BGP_ATTR_BIT(BGP_ATTR_ORIGINATOR_ID);
	}
	memset(&a.mp_nexthop_ll, 0, sizeof(a.mp_nexthop_ll)); /* link-local: only on the link it came from */
	if (af == BGP_AF_IPV4)
		a.nexthop = r->nh;
	else
		a.mp_nexthop = r->nh;
	len = bgp_update_encode_announce(&fq->neg, &a, af, &r->prefix, 1, buf, sizeof(buf), &used);
	bgp_attrs_fini(&a);
	if (len < 0)
		return len;
	return bgp_session_send(q->s, buf, (size_t)len);
}

/* Bring what q was sent for prefix in line with best: announce, replace, or withdraw. */
static void rr_sync(struct bgp_peer *q, const struct inet_prefix *prefix, const struct rib_path *best)
{
	struct bgp *b = q->b;
	const struct bgp_route *r = rr_route(b, q, best);
	struct inet_prefix c;
	struct bgp_route **pp;
	uint8_t buf[BGP_MAX_LEN];
	bool added, was_stale;
	size_t used;
	int len;

	inet_prefix_clean(prefix, &c);
	pp = adj_slot(&b->out, q->source, &c);
	if (r && rr_send(q, r) == 0) {
		if (!*pp && adj_put(&b->out, q->source, &c, &r->nh, NULL, 0, &added, &was_stale) == 0)
			q->sent++;
		return;
	}
	if (!*pp)
		return;
	len = bgp_update_encode_withdraw(c.addr.family == AF_INET ? BGP_AF_IPV4 : BGP_AF_IPV6, &c, 1, buf, sizeof(buf),
					 &used);
	if (len > 0)
		bgp_session_send(q->s, buf, (size_t)len);
	adj_unlink(&b->out, pp);
	q->sent--;
}

/* A best path changed (rib_subscribe): tell the internal peers it is reflected to. */
static void rr_best_changed(void *arg, const struct inet_prefix *prefix, const struct rib_path *best)
{
	struct bgp *b = arg;

	if (b->closing)
		return;
	for (size_t i = 0; i < b->n_peers; i++) {
		struct bgp_peer *q = &b->peers[i];

		if (!q->ebgp && bgp_session_fsm(q->s)->state == BGP_ESTABLISHED)
			rr_sync(q, prefix, best);
	}
}

struct rr_walk {
	struct bgp_peer *q;
	uint8_t afs;
};

static int rr_walk_one(const struct rib_path *best, void *arg)
{
	struct rr_walk *w = arg;
	uint8_t bit = BGP_AF_BIT(best->prefix.addr.family == AF_INET ? BGP_AF_IPV4 : BGP_AF_IPV6);

	if (w->afs & bit)
		rr_sync(w->q, &best->prefix, best);
	return 0;
}

/* Everything reflected to q of the families afs (a new session, a route refresh). */
static void rr_full(struct bgp_peer *q, uint8_t afs)
{
	struct rr_walk w = { .q = q, .afs = afs };

	if (q->b->rr && !q->ebgp)
		rib_foreach_best(q->b->rib, rr_walk_one, &w);
}

/* q's session went: it remembers nothing we sent. */
static void rr_forget(struct bgp_peer *q)
{
	struct bgp_adj *t = &q->b->out;

	for (size_t i = 0; q->b->rr && i < t->nbuckets; i++) {
		struct bgp_route **pp = &t->buckets[i];

		while (*pp) {
			if ((*pp)->source == q->source)
				adj_unlink(t, pp);
			else
				pp = &(*pp)->next;
		}
	}
}

/* ---- what the sessions report ------------------------------------------------------------ */

static void on_established(void *ctx, struct bgp_session *s)
{
	struct bgp_peer *p = ctx;
	const struct bgp_fsm *f = bgp_session_fsm(s);
	uint8_t buf[BGP_MAX_LEN];

	p->eor_rcvd = p->eor_sent = 0;
	p->sent = p->filtered = 0;
	p->update_error[0] = '\0';
	peer_nexthops(p);
	if (p->stale) {
		/* RFC 4724 §4.2: stale paths of a family the new OPEN does not list with the F bit
		 * go now; the others wait for End-of-RIB, at most BGP_STALE_TIME. */
		uint8_t kept = f->peer.caps.gr ? (uint8_t)(f->peer.caps.gr_fwd & f->neg.afs) : 0;

		peer_remove(p, true, (uint8_t)(BGP_AF_ALL & ~kept));
		if (p->stale)
			stale_timer_start(p, BGP_STALE_TIME);
	}
	for (int af = 0; af < BGP_AF_COUNT; af++) {
		if (!(f->neg.afs & BGP_AF_BIT(af)))
			continue;
		peer_announce(p, f, (enum bgp_af)af);
		rr_full(p, BGP_AF_BIT(af));
		/* RFC 4724 §2: End-of-RIB after the initial update, whether or not the peer does
		 * graceful restart (BIRD, FRR and ExaBGP do the same). */
		if (peer_send(p, buf, bgp_update_encode_eor((enum bgp_af)af, buf, sizeof(buf))) == 0)
			p->eor_sent |= BGP_AF_BIT(af);
	}
}

static void on_down(void *ctx, struct bgp_session *s, bool keep_stale)
{
	struct bgp_peer *p = ctx;
	struct bgp *b = p->b;
	const struct bgp_fsm *f = bgp_session_fsm(s);

	p->eor_rcvd = p->eor_sent = 0;
	p->sent = 0;
	rr_forget(p);
	/* weftd is stopping: the data path keeps what it has for the next weftd. */
	if (b->closing)
		return;
	/* Weft: gracefulRestart.enabled false turns off the helper role too. */
	if (keep_stale && b->conf.gr && p->received) {
		for (size_t i = 0; i < b->adj.nbuckets; i++)
			for (struct bgp_route *r = b->adj.buckets[i]; r; r = r->next)
				if (r->source == p->source && !r->stale) {
					r->stale = true;
					p->stale++;
				}
		rib_mark_stale(b->rib, p->source);
		log_info("bgp %s: keeping its %zu routes for its restart time of %us (RFC 4724)", p->name, p->stale,
			 f->peer.caps.gr_time);
		if (f->peer.caps.gr_time)
			stale_timer_start(p, f->peer.caps.gr_time);
		else
			peer_remove(p, true, BGP_AF_ALL);
		return;
	}
	peer_remove(p, false, 0);
}

static void on_refresh(void *ctx, struct bgp_session *s, enum bgp_af af)
{
	struct bgp_peer *p = ctx;

	log_debug("bgp %s: route refresh for %s", p->name, bgp_af_name(af));
	peer_announce(p, bgp_session_fsm(s), af);
	rr_full(p, BGP_AF_BIT(af));
}

static void peer_withdraw(struct bgp_peer *p, const struct inet_prefix *pfx)
{
	struct bgp *b = p->b;
	struct inet_prefix c;
	struct bgp_route **pp;

	inet_prefix_clean(pfx, &c);
	pp = adj_slot(&b->adj, p->source, &c);
	if (!*pp)
		return;
	p->received--;
	p->stale -= (*pp)->stale;
	adj_unlink(&b->adj, pp);
	rib_withdraw(b->rib, &c, p->source);
}

/* Why a route the peer announced is not taken, or NULL. */
static const char *peer_refuses(const struct bgp_peer *p, const struct bgp_nlri *l, const struct inet_prefix *pfx)
{
	if (p->ebgp && !p->conf.accept_all)
		return "import policy (RFC 8212: eBGP routes are refused unless acceptAll)";
	if (!l->nh.family)
		return "only a link-local next hop";
	if (is_own_addr(p, &l->nh))
		return "the next hop is this node";
	if (is_own_prefix(p->b, pfx))
		return "this node announces the prefix itself";
	return NULL;
}

static int peer_learn(struct bgp_peer *p, const struct bgp_fsm *f, const struct inet_prefix *pfx,
		      const struct inet_addr *nh, struct bgp_pattrs *pa, uint64_t now)
{
	struct bgp *b = p->b;
	const struct bgp_attrs *a = &pa->a;
	struct rib_path rp;
	bool added, was_stale;
	int r;

	memset(&rp, 0, sizeof(rp));
	inet_prefix_clean(pfx, &rp.prefix);
	rp.nexthop = *nh;
	rp.source = p->source;
	/* RFC 4271 §9.1.1: LOCAL_PREF from internal peers (external ones have it discarded). */
	rp.local_pref = !p->ebgp && bgp_attrs_has(a, BGP_ATTR_LOCAL_PREF) ? a->local_pref : BGP_LOCAL_PREF_DEFAULT;
	rp.as_path_len = bgp_aspath_length(a->aspath, a->aspath_len);
	rp.origin = bgp_attrs_has(a, BGP_ATTR_ORIGIN) ? a->origin : BGP_ORIGIN_IGP;
	/* RFC 4271 §9.1.2.2 (c): a missing MED is the lowest. */
	rp.med = bgp_attrs_has(a, BGP_ATTR_MED) ? a->med : 0;
	/* A path originated inside our AS has no first AS: its neighbour AS is ours. */
	if (!bgp_aspath_first(a->aspath, a->aspath_len, &rp.neighbor_as))
		rp.neighbor_as = p->ebgp ? p->conf.asn : b->conf.asn;
	rp.ebgp = p->ebgp;
	/* RFC 4456 §9: ORIGINATOR_ID stands in for the BGP Identifier in the tie-break. */
	rp.router_id = bgp_attrs_has(a, BGP_ATTR_ORIGINATOR_ID) ? a->originator_id : f->peer.id;

	r = adj_put(&b->adj, p->source, &rp.prefix, nh, pa, now, &added, &was_stale);
	if (r < 0)
		return r;
	p->received += added;
	p->stale -= was_stale;
	r = rib_update(b->rib, &rp);
	if (r < 0) {
		peer_withdraw(p, &rp.prefix);
		return r;
	}
	return 0;
}

static void on_update(void *ctx, struct bgp_session *s, const struct bgp_update *u, const struct bgp_err *err)
{
	struct bgp_peer *p = ctx;
	struct bgp *b = p->b;
	struct bgp_fsm *f = bgp_session_fsm(s);
	struct bgp_pattrs *pa = NULL;
	uint64_t now = bgp_mono_now();
	char txt[INET_PREFIXSTR];

	if (err->action != BGP_ACT_NONE)
		snprintf(p->update_error, sizeof(p->update_error), "%s", err->reason);
	if (u->loop)
		log_debug("bgp %s: %zu routes withdrawn as a loop: %s", p->name, bgp_update_count(u, true), u->loop);
	if (u->eor >= 0) {
		uint8_t bit = BGP_AF_BIT(u->eor);

		p->eor_rcvd |= bit;
		log_info("bgp %s: End-of-RIB for %s, %zu routes from it", p->name, bgp_af_name((enum bgp_af)u->eor),
			 p->received);
		/* RFC 4724 §4.2: what is still stale in that family was not announced again. */
		if (p->stale)
			peer_remove(p, true, bit);
		check_synced(b);
		return;
	}
	for (size_t i = 0; i < u->n_lists; i++) {
		const struct bgp_nlri *l = &u->lists[i];

		for (size_t j = 0; j < l->n; j++) {
			const struct inet_prefix *pfx = &l->pfx[j];
			const char *why = l->withdraw ? NULL : peer_refuses(p, l, pfx);
			int r;

			if (l->withdraw || why) {
				if (why) {
					p->filtered++;
					log_debug("bgp %s: %s refused: %s", p->name, inet_prefix_fmt(pfx, txt, sizeof(txt)), why);
				}
				peer_withdraw(p, pfx); /* a copy taken earlier goes too */
				continue;
			}
			if (!pa && !(pa = pattrs_new(&u->attrs))) {
				r = -ENOMEM;
			} else {
				r = peer_learn(p, f, pfx, &l->nh, pa, now);
			}
			if (r < 0) {
				log_warnx("bgp %s: cannot keep %s: %s; resetting the session", p->name,
					  inet_prefix_fmt(pfx, txt, sizeof(txt)), strerror(-r));
				pattrs_unref(pa);
				bgp_fsm_reset(f, BGP_CEASE_RESOURCES);
				return;
			}
		}
	}
	pattrs_unref(pa);
	if (!p->stale)
		ev_timer_stop(b->loop, &p->stale_timer);
	if (p->received > BGP_PEER_PREFIX_MAX) {
		log_warnx("bgp %s: more than %d prefixes: resetting the session (RFC 4486 Maximum Number of Prefixes)",
			  p->name, BGP_PEER_PREFIX_MAX);
		bgp_fsm_reset(f, BGP_CEASE_MAX_PREFIX);
	}
}

static const struct bgp_session_ops session_ops = {
	.established = on_established, .down = on_down, .update = on_update, .refresh = on_refresh,
};

static struct bgp_session *listener_lookup(void *ctx, const struct inet_addr *addr)
{
	struct bgp *b = ctx;

	for (size_t i = 0; i < b->n_peers; i++) {
		if (inet_addr_equal(&b->peers[i].conf.address, addr))
			return b->peers[i].s;
	}
	return NULL;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static int listeners_open(struct bgp *b, char *err, size_t errlen)
{
	for (size_t i = 0; i < b->conf.n_listen; i++) {
		const struct inet_addr *a = &b->conf.listen[i];
		struct bgp_listener **l = &b->listeners[b->n_listeners];
		char txt[INET_ADDRSTR];
		int r = bgp_listener_new(b->loop, a, b->conf.listen_port, listener_lookup, b, l);

		/* Weft: a default wildcard of a family the node does not have (IPv6 disabled) is
		 * skipped; anything else that cannot be bound stops the start. */
		if (r < 0 && b->conf.listen_default && (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL)) {
			log_warnx("bgp: not listening on %s port %u: %s", inet_addr_fmt(a, txt, sizeof(txt)),
				  b->conf.listen_port, strerror(-r));
			continue;
		}
		if (r < 0)
			return conf_err(err, errlen, "bgp: cannot listen on %s port %u: %s", inet_addr_fmt(a, txt, sizeof(txt)),
					b->conf.listen_port, strerror(-r));
		b->listen_addr[b->n_listeners++] = *a;
		for (size_t j = 0; j < b->n_peers; j++) {
			const struct bgp_peer *p = &b->peers[j];

			/* RFC 2385: the kernel drops the peer's unsigned SYNs on the listening socket. */
			if (p->conf.md5_password[0] && p->conf.address.family == a->family &&
			    (r = bgp_listener_md5(*l, &p->conf.address, p->conf.md5_password)) < 0)
				return conf_err(err, errlen, "bgp: TCP MD5 key for %s: %s", p->name, strerror(-r));
		}
	}
	return 0;
}

static int peer_init(struct bgp *b, struct bgp_peer *p, const struct bgp_peer_conf *pc, size_t idx)
{
	struct bgp_session_conf sc;

	p->b = b;
	p->source = (uint32_t)idx + 1;
	p->conf = *pc;
	p->ebgp = bgp_conf_peer_ebgp(&b->conf, pc);
	inet_addr_fmt(&pc->address, p->name, sizeof(p->name));
	ev_timer_init(&p->stale_timer, stale_timer_cb, 0, 0);
	p->stale_timer.data = p;
	memset(&sc, 0, sizeof(sc));
	sc.fsm = (struct bgp_fsm_conf){
		.local_as = b->conf.asn,
		.peer_as = pc->asn,
		.local_id = b->conf.router_id,
		.hold_time = pc->hold_time,
		.keepalive_time = pc->keepalive,
		.connect_retry_time = pc->connect_retry,
		.passive = pc->passive,
		.afs = pc->afs,
		.enforce_first_as = p->ebgp && pc->enforce_first_as,
		.cluster_id = b->conf.cluster_id,
		.gr = b->conf.gr,
		.gr_time = b->conf.gr_time,
		/* RFC 4724 §4.1: R and F while we come back with the data path still forwarding. */
		.gr_restarting = b->conf.gr && b->local.restarting,
		.gr_fwd = b->conf.gr && b->local.restarting ? pc->afs : 0,
	};
	sc.peer = pc->address;
	sc.local = pc->local;
	sc.port = pc->port;
	memcpy(sc.md5_key, pc->md5_password, sizeof(sc.md5_key));
	sc.ttl_hops = pc->ttl_security;
	return bgp_session_new(b->loop, &sc, &session_ops, p, &p->s);
}

int bgp_new(struct ev_loop *loop, const struct bgp_conf *c, const struct bgp_local *local, struct rib *rib,
	    const struct bgp_hooks *hooks, struct bgp **out, char *err, size_t errlen)
{
	struct bgp *b;
	const struct inet_prefix *src;
	size_t n;
	int r;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return conf_err(err, errlen, "bgp: out of memory");
	b->loop = loop;
	b->conf = *c;
	b->local = *local;
	b->rib = rib;
	if (hooks)
		b->hooks = *hooks;
	ev_timer_init(&b->sync_timer, sync_timer_cb, b->conf.gr_time ? b->conf.gr_time : BGP_CONF_GR_TIME_DEFAULT, 0);
	b->sync_timer.data = b;
	/* What we announce: bgp.announce when set, else the node's pod CIDRs; IPv4 first. */
	src = c->has_announce ? c->announce : local->prefixes;
	n = c->has_announce ? c->n_announce : local->n_prefixes;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if ((src[i].addr.family == AF_INET) != (pass == 0))
				continue;
			inet_prefix_clean(&src[i], &b->own[b->n_own[BGP_AF_IPV4] + b->n_own[BGP_AF_IPV6]]);
			b->n_own[pass ? BGP_AF_IPV6 : BGP_AF_IPV4]++;
		}
	for (size_t i = 0; i < c->n_peers; i++)
		b->rr |= c->peers[i].rr_client;
	if (adj_init(&b->adj) < 0 || adj_init(&b->out) < 0 || (b->rr && rib_subscribe(rib, rr_best_changed, b) < 0)) {
		conf_err(err, errlen, "bgp: out of memory");
		goto fail;
	}
	b->peers = calloc(c->n_peers ? c->n_peers : 1, sizeof(*b->peers));
	if (!b->peers) {
		conf_err(err, errlen, "bgp: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < c->n_peers; i++) {
		r = peer_init(b, &b->peers[i], &c->peers[i], i);
		if (r < 0) {
			conf_err(err, errlen, "bgp.peers[%zu]: cannot set up the session: %s", i, strerror(-r));
			goto fail;
		}
		b->n_peers++;
	}
	if (listeners_open(b, err, errlen) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	bgp_free(b);
	return -1;
}

void bgp_start(struct bgp *b)
{
	char id[16];

	log_info("bgp: AS %u, router id %s, %zu peers, announcing %zu IPv4 and %zu IPv6 prefixes%s", b->conf.asn,
		 bgp_conf_id_fmt(b->conf.router_id, id, sizeof(id)), b->n_peers, b->n_own[BGP_AF_IPV4],
		 b->n_own[BGP_AF_IPV6], b->conf.gr && b->local.restarting ? "; restarting gracefully (RFC 4724)" : "");
	if (!b->n_peers) {
		set_synced(b, "no peers");
		return;
	}
	ev_timer_start(b->loop, &b->sync_timer);
	for (size_t i = 0; i < b->n_peers; i++)
		bgp_session_start(b->peers[i].s);
}

void bgp_shutdown(struct bgp *b, bool graceful, const char *msg)
{
	if (!b)
		return;
	b->closing = true;
	graceful = graceful && b->conf.gr;
	for (size_t i = 0; i < b->n_peers; i++)
		bgp_session_stop(b->peers[i].s, !graceful, BGP_CEASE_SHUTDOWN, graceful ? NULL : msg);
	log_info("bgp: %zu sessions closed %s", b->n_peers,
		 graceful ? "without NOTIFICATION: the peers keep our routes while we restart (RFC 4724)"
			  : "with Cease/Administrative Shutdown");
}

void bgp_free(struct bgp *b)
{
	if (!b)
		return;
	b->closing = true;
	rib_unsubscribe(b->rib, rr_best_changed, b);
	for (size_t i = 0; i < b->n_listeners; i++)
		bgp_listener_free(b->listeners[i]);
	for (size_t i = 0; b->peers && i < b->n_peers; i++) {
		bgp_session_free(b->peers[i].s);
		ev_timer_stop(b->loop, &b->peers[i].stale_timer);
	}
	ev_timer_stop(b->loop, &b->sync_timer);
	free(b->peers);
	adj_fini(&b->adj);
	adj_fini(&b->out);
	free(b);
}

bool bgp_synced(const struct bgp *b)
{
	return b && b->synced;
}

uint16_t bgp_listen_port(const struct bgp *b, int family)
{
	for (size_t i = 0; b && i < b->n_listeners; i++) {
		if (b->listen_addr[i].family == family)
			return bgp_listener_port(b->listeners[i]);
	}
	return 0;
}

/* ---- weftd's wiring --------------------------------------------------------------------- */

bool bgp_data_path_kept(const struct conf *c)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/weft/%s", c->bpffs, c->node) >= sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

int bgp_new_from_conf(struct ev_loop *loop, const struct conf *c, bool restarting, struct rib *rib,
		      const struct bgp_hooks *hooks, struct bgp **out, char *err, size_t errlen)
{
	struct bgp_local l;

	*out = NULL;
	if (!c->bgp.enabled)
		return 0;
	memset(&l, 0, sizeof(l));
	l.restarting = restarting;
	/* The fabric's keys: nodeAddress (IPv4 or IPv6), nodeAddress6 beside an IPv4 one, podCIDRs.
	 * Without nodeAddress the next hop is the address our connection to each peer leaves from. */
	if (c->fabric.node_address.family == AF_INET) {
		l.addr4 = c->fabric.node_address;
		l.addr6 = c->fabric.node_address6;
	} else {
		l.addr6 = c->fabric.node_address;
	}
	for (size_t i = 0; i < c->fabric.n_pod_cidrs && i < BGP_CONF_ANNOUNCE_MAX; i++)
		l.prefixes[l.n_prefixes++] = c->fabric.pod_cidrs[i];
	return bgp_new(loop, &c->bgp, &l, rib, hooks, out, err, errlen);
}
