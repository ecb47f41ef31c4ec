/* The BGP speaker's views for weftd's API (bgp.h): peer.list (each session's state, counters
 * and last errors) and route.list, answered in pages of rows in one key order so that any
 * number of routes is listed in bounded memory (docs/api.md). */
#include "bgp.h"
#include "bgp_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_conf.h"

/* ---- the API's views --------------------------------------------------------------------- */

static json_t *afs_json(uint8_t afs)
{
	json_t *a = json_array();

	for (int af = 0; af < BGP_AF_COUNT; af++) {
		if (afs & BGP_AF_BIT(af))
			json_array_append_new(a, json_string(af == BGP_AF_IPV4 ? "ipv4" : "ipv6"));
	}
	return a;
}

static json_t *addr_json(const struct inet_addr *a)
{
	char buf[INET_ADDRSTR];

	return a->family ? json_string(inet_addr_fmt(a, buf, sizeof(buf))) : json_null();
}

static json_t *peer_json(const struct bgp_peer *p, uint64_t now)
{
	const struct bgp_fsm *f = bgp_session_fsm(p->s);
	bool est = f->state == BGP_ESTABLISHED;
	char id[16];
	json_t *o, *gr;

	gr = json_pack("{s:b, s:o, s:o, s:I}", "peer", est && f->peer.caps.gr, "restart_time",
		       est && f->peer.caps.gr ? json_integer(f->peer.caps.gr_time) : json_null(), "forwarding",
		       est && f->peer.caps.gr ? afs_json(f->peer.caps.gr_fwd) : json_null(), "stale_routes",
		       (json_int_t)p->stale);
	o = json_pack("{s:o, s:I, s:s, s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:b, s:b}", "address",
		      addr_json(&p->conf.address), "asn", (json_int_t)p->conf.asn, "type", p->ebgp ? "ebgp" : "ibgp",
		      "state", bgp_state_name(f->state), "uptime_s",
		      est && now >= f->established_at ? json_integer((json_int_t)(now - f->established_at)) : json_null(),
		      "state_s", (json_int_t)(f->changed_at && now >= f->changed_at ? now - f->changed_at : 0),
		      "router_id", est ? json_string(bgp_conf_id_fmt(f->peer.id, id, sizeof(id))) : json_null(),
		      "hold_time", est ? json_integer(f->hold_time) : json_null(), "keepalive",
		      est ? json_integer(f->keepalive_time) : json_null(), "families", afs_json(est ? f->neg.afs : 0),
		      "passive", p->conf.passive, "route_reflector_client", p->conf.rr_client);
	if (!o) {
		json_decref(gr);
		return NULL;
	}
	json_object_set_new(o, "prefixes_received", json_integer((json_int_t)p->received));
	json_object_set_new(o, "prefixes_filtered", json_integer((json_int_t)p->filtered));
	json_object_set_new(o, "prefixes_sent", json_integer((json_int_t)p->sent));
	json_object_set_new(o, "end_of_rib_received", afs_json(p->eor_rcvd));
	json_object_set_new(o, "end_of_rib_sent", afs_json(p->eor_sent));
	json_object_set_new(o, "graceful_restart", gr);
	json_object_set_new(o, "established_count", json_integer(f->established_count));
	json_object_set_new(o, "messages_in", json_integer((json_int_t)f->msgs_in));
	json_object_set_new(o, "messages_out", json_integer((json_int_t)f->msgs_out));
	json_object_set_new(o, "updates_in", json_integer((json_int_t)f->updates_in));
	json_object_set_new(o, "updates_out", json_integer((json_int_t)f->updates_out));
	json_object_set_new(o, "last_error", f->last_error[0] ? json_string(f->last_error) : json_null());
	json_object_set_new(o, "last_update_error", p->update_error[0] ? json_string(p->update_error) : json_null());
	return o;
}

json_t *bgp_peers_json(struct bgp *b)
{
	uint64_t now = bgp_mono_now();
	json_t *peers, *ann, *listen, *local;
	char id[16], txt[INET_PREFIXSTR];

	if (!b)
		return json_pack("{s:n, s:[]}", "local", "peers");
	peers = json_array();
	ann = json_array();
	listen = json_array();

	for (size_t i = 0; i < b->n_peers; i++)
		json_array_append_new(peers, peer_json(&b->peers[i], now));
	for (size_t i = 0; i < b->n_own[BGP_AF_IPV4] + b->n_own[BGP_AF_IPV6]; i++)
		json_array_append_new(ann, json_string(inet_prefix_fmt(&b->own[i], txt, sizeof(txt))));
	for (size_t i = 0; i < b->n_listeners; i++)
		json_array_append_new(listen, json_pack("{s:o, s:i}", "address", addr_json(&b->listen_addr[i]), "port",
							(int)bgp_listener_port(b->listeners[i])));
	local = json_pack("{s:I, s:s, s:o, s:o, s:{s:b, s:i, s:b}, s:b}", "asn", (json_int_t)b->conf.asn, "router_id",
			  bgp_conf_id_fmt(b->conf.router_id, id, sizeof(id)), "announced", ann, "listen", listen,
			  "graceful_restart", "enabled", b->conf.gr, "restart_time", (int)b->conf.gr_time, "restarting",
			  b->conf.gr && b->local.restarting, "synced", b->synced);
	return json_pack("{s:o, s:o}", "local", local, "peers", peers);
}

/* ---- route.list: pages of rows in key order ------------------------------------------- */

/* One line of route.list. */
struct route_row {
	struct rib_path path;
	const struct bgp_route *r;  /* its Adj-RIB-In entry; NULL for the node's own and static paths */
	bool best;
};

char *bgp_route_key_fmt(const struct bgp_route_key *key, char *buf, size_t len)
{
	char pfx[INET_PREFIXSTR];

	snprintf(buf, len, "%s|%c|%u", inet_prefix_fmt(&key->prefix, pfx, sizeof(pfx)), key->best ? 'b' : 'n',
		 key->source);
	return buf;
}

bool bgp_route_key_parse(const char *s, struct bgp_route_key *out)
{
	char pfx[INET_PREFIXSTR], again[BGP_ROUTE_KEY_STR];
	const char *bar;
	unsigned long v;
	char *end;

	memset(out, 0, sizeof(*out));
	if (!s || strlen(s) >= sizeof(again) || !(bar = strchr(s, '|')) || (size_t)(bar - s) >= sizeof(pfx))
		return false;
	memcpy(pfx, s, (size_t)(bar - s));
	pfx[bar - s] = '\0';
	if (!inet_prefix_parse(pfx, &out->prefix) || !inet_prefix_is_canonical(&out->prefix))
		return false;
	if ((bar[1] != 'b' && bar[1] != 'n') || bar[2] != '|' || bar[3] < '0' || bar[3] > '9')
		return false;
	out->best = bar[1] == 'b';
	errno = 0;
	v = strtoul(bar + 3, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	out->source = (uint32_t)v;
	/* Only the text weftd writes ("/024", "007" and other spellings of the same key are not
	 * cursors it gave out). */
	return strcmp(bgp_route_key_fmt(out, again, sizeof(again)), s) == 0;
}

/* The order of the rows: IPv4 first, by address, shorter prefix first; then the best path
 * before the others; then by source id. (prefix, source) is unique in the RIB and in the
 * Adj-RIB-In, and a non-best row never shares its source with its prefix's best one, so no
 * two rows have the same key. */
static int key_cmp(const struct bgp_route_key *a, const struct bgp_route_key *b)
{
	const struct inet_prefix *p = &a->prefix, *q = &b->prefix;
	int c;

	if (p->addr.family != q->addr.family)
		return p->addr.family == AF_INET ? -1 : 1;
	if ((c = memcmp(p->addr.bytes, q->addr.bytes, 16)))
		return c;
	if (p->len != q->len)
		return p->len < q->len ? -1 : 1;
	if (a->best != b->best)
		return a->best ? -1 : 1;
	return a->source < b->source ? -1 : a->source > b->source;
}

static void row_key(const struct route_row *w, struct bgp_route_key *k)
{
	k->prefix = w->path.prefix;
	k->best = w->best;
	k->source = w->path.source;
}

static int rows_cmp(const void *x, const void *y)
{
	struct bgp_route_key a, b;

	row_key(x, &a);
	row_key(y, &b);
	return key_cmp(&a, &b);
}

/* A page being chosen in one walk of the RIB and the Adj-RIB-In: the limit smallest rows after
 * the cursor, kept as a max-heap (the largest kept row on top, the one a smaller row evicts), so
 * the walk holds limit rows however many there are. */
struct route_page {
	struct bgp *b;
	const struct bgp_routes_query *q;
	struct route_row *v;
	size_t n, limit;
	bool more;                  /* a row after the cursor did not fit */
};

static void page_swap(struct route_page *pg, size_t i, size_t j)
{
	struct route_row t = pg->v[i];

	pg->v[i] = pg->v[j];
	pg->v[j] = t;
}

static bool page_after(const struct route_page *pg, const struct bgp_route_key *k)
{
	return !pg->q->has_after || key_cmp(k, &pg->q->after) > 0;
}

/* w, a row after the cursor. */
static void page_offer(struct route_page *pg, const struct route_row *w)
{
	size_t i = 0, m;

	if (pg->n < pg->limit) {
		i = pg->n++;
		pg->v[i] = *w;
		for (; i > 0 && rows_cmp(&pg->v[(i - 1) / 2], &pg->v[i]) < 0; i = (i - 1) / 2)
			page_swap(pg, i, (i - 1) / 2);
		return;
	}
	pg->more = true;
	if (rows_cmp(w, &pg->v[0]) >= 0)
		return;
	pg->v[0] = *w;
	for (;; i = m) {
		size_t l = 2 * i + 1, r = l + 1;

		m = i;
		if (l < pg->n && rows_cmp(&pg->v[l], &pg->v[m]) > 0)
			m = l;
		if (r < pg->n && rows_cmp(&pg->v[r], &pg->v[m]) > 0)
			m = r;
		if (m == i)
			return;
		page_swap(pg, i, m);
	}
}

static int page_best(const struct rib_path *best, void *arg)
{
	struct route_page *pg = arg;
	struct route_row row = { .path = *best, .best = true };
	struct bgp_route_key k;

	row_key(&row, &k);
	if (page_after(pg, &k))
		page_offer(pg, &row);
	return 0;
}

/* The paths a peer gave us that lost the decision. */
static void page_others(struct route_page *pg)
{
	struct bgp *b = pg->b;

	for (size_t i = 0; b && i < b->adj.nbuckets; i++)
		for (const struct bgp_route *r = b->adj.buckets[i]; r; r = r->next) {
			struct bgp_route_key k = { .prefix = r->prefix, .best = false, .source = r->source };
			const struct rib_path *best;
			struct route_row row = { .r = r };

			if (!page_after(pg, &k) || ((best = rib_best(b->rib, &r->prefix)) && best->source == r->source))
				continue;
			row.path.prefix = r->prefix;
			row.path.nexthop = r->nh;
			row.path.source = r->source;
			row.path.origin = bgp_attrs_has(&r->attrs->a, BGP_ATTR_ORIGIN) ? r->attrs->a.origin : 0;
			row.path.local_pref = !b->peers[r->source - 1].ebgp && bgp_attrs_has(&r->attrs->a, BGP_ATTR_LOCAL_PREF)
						      ? r->attrs->a.local_pref : BGP_LOCAL_PREF_DEFAULT;
			page_offer(pg, &row);
		}
}

/* RFC 1997 communities as "AS:value". */
static json_t *communities_json(const struct bgp_attrs *a)
{
	json_t *l = json_array();
	char buf[16];

	for (size_t i = 0; l && i < a->n_communities; i++) {
		snprintf(buf, sizeof(buf), "%u:%u", a->communities[i] >> 16, a->communities[i] & 0xffff);
		json_array_append_new(l, json_string(buf));
	}
	return l;
}

static json_t *route_json(struct bgp *b, const struct route_row *w, uint64_t now)
{
	static const char *const origins[] = { "igp", "egp", "incomplete" };
	const struct bgp_attrs *a = w->r ? &w->r->attrs->a : NULL;
	char pfx[INET_PREFIXSTR], path[512];
	json_t *from, *installed = NULL;

	if (w->path.source == RIB_SOURCE_LOCAL)
		from = json_string("local");
	else if (w->path.source == RIB_SOURCE_STATIC)
		from = json_string("static");
	else if (b && w->path.source <= b->n_peers)
		from = addr_json(&b->peers[w->path.source - 1].conf.address);
	else
		from = json_integer(w->path.source);
	if (w->best && b && b->hooks.installed)
		installed = b->hooks.installed(b->hooks.arg, &w->path);
	if (a)
		bgp_aspath_fmt(a->aspath, a->aspath_len, path, sizeof(path));
	return json_pack("{s:s, s:o, s:o, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "prefix",
			 inet_prefix_fmt(&w->path.prefix, pfx, sizeof(pfx)), "next_hop", addr_json(&w->path.nexthop),
			 "from", from, "best", w->best, "stale", w->r ? w->r->stale : w->path.stale, "as_path",
			 a ? json_string(path) : json_null(), "origin",
			 a ? json_string(origins[w->path.origin <= 2 ? w->path.origin : 2]) : json_null(), "local_pref",
			 a ? json_integer(w->path.local_pref) : json_null(), "med",
			 a && bgp_attrs_has(a, BGP_ATTR_MED) ? json_integer(a->med) : json_null(), "communities",
			 a ? communities_json(a) : json_null(), "age_s",
			 w->r && now >= w->r->since ? json_integer((json_int_t)(now - w->r->since)) : json_null(),
			 "installed", installed ? installed : json_null());
}

json_t *bgp_routes_json(struct bgp *b, const struct rib *rib, const struct bgp_routes_query *q)
{
	struct route_page pg = { .b = b, .q = q };
	uint64_t now = bgp_mono_now();
	json_t *list = NULL, *page = NULL, *row;
	char next[BGP_ROUTE_KEY_STR];
	struct bgp_route_key k;
	size_t n = 0, bytes = 2;

	pg.limit = q->limit < 1 ? 1 : q->limit > BGP_ROUTES_LIMIT_MAX ? BGP_ROUTES_LIMIT_MAX : q->limit;
	pg.v = malloc(pg.limit * sizeof(*pg.v));
	/* Every best path the RIB holds (ours and static ones too), and every other path a peer
	 * gave us, the ones that lost the decision; the page's share of them, in order. */
	if (!pg.v || rib_foreach_best(rib, page_best, &pg) < 0)
		goto out;
	page_others(&pg);
	if (pg.n)
		qsort(pg.v, pg.n, sizeof(*pg.v), rows_cmp);
	if (!(list = json_array()))
		goto out;
	for (; n < pg.n; n++) {
		struct route_row *w = &pg.v[n];
		size_t size;

		if (w->best && b && w->path.source != RIB_SOURCE_LOCAL && w->path.source != RIB_SOURCE_STATIC)
			w->r = bgp_adj_find(&b->adj, w->path.source, &w->path.prefix);
		if (!(row = route_json(b, w, now)))
			goto out;
		/* A reply must fit in one API message, whatever a row carries (communities). */
		size = json_dumpb(row, NULL, 0, JSON_COMPACT) + 1;
		if (q->max_bytes && n > 0 && bytes + size > q->max_bytes) {
			json_decref(row);
			pg.more = true;
			break;
		}
		bytes += size;
		if (json_array_append_new(list, row) < 0)
			goto out;
	}
	page = json_pack("{s:O, s:I}", "routes", list, "prefixes", (json_int_t)rib_prefix_count(rib));
	if (page && pg.more && n) {
		row_key(&pg.v[n - 1], &k);
		if (json_object_set_new(page, "next", json_string(bgp_route_key_fmt(&k, next, sizeof(next)))) < 0) {
			json_decref(page);
			page = NULL;
		}
	}
out:
	json_decref(list);
	free(pg.v);
	return page;
}

