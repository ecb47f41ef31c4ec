/* route.list in pages (daemon/bgp.c bgp_routes_json, daemon/api.c): the cursor's text both ways,
 * the request's arguments, and the pages of a RIB of 2,552 rows (IPv4 and IPv6, the node's own,
 * static, and two BGP peers over loopback TCP whose paths overlap, so 850 rows lost the
 * decision): walked with limit 7, 1000 and a byte budget they give exactly the rows of one
 * unpaged answer, in order; walked while routes change, no row that stayed is missed or repeated. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ev.h>
#include <stdio.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/bgp.h"
#include "daemon/bgp_session.h"
#include "daemon/bgp_update.h"
#include "daemon/log.h"
#include "daemon/rib.h"
#include "test_bgp_util.h"

/* ---- the cursor ------------------------------------------------------------------------------ */

static void key_text(void **state)
{
	struct bgp_route_key k = { .prefix = pfx("10.244.1.0/24"), .best = true, .source = 0 }, g;
	char buf[BGP_ROUTE_KEY_STR];
	static const char *const bad[] = {
		"", "|", "x", "10.244.1.0/24", "10.244.1.0/24|b", "10.244.1.0/24|b|", "10.244.1.0/24||0",
		"10.244.1.0/24|x|0", "10.244.1.0/24|B|0", "10.244.1.0/24|b|-1", "10.244.1.0/24|b|+1",
		"10.244.1.0/24|b| 1", "10.244.1.0/24|b|1 ", "10.244.1.0/24|b|007", "10.244.1.0/24|b|4294967296",
		"10.244.1.0/24|b|99999999999999999999", "10.244.1.0/24|b|0|", "10.244.1.0/024|b|0",
		"10.244.1.5/24|b|0", "10.244.1.0/33|b|0", "10.244.1.0|b|0", "fd00::1/64|n|1",
		"FD00::/64|n|1", "fd00:0::/64|n|1", "10.244.1.0/24|n|1\n", "10.244.1.0/24|b|0x10",
		"10.244.1.0/24|b|1e3",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128|b|0",
	};

	(void)state;
	assert_string_equal(bgp_route_key_fmt(&k, buf, sizeof(buf)), "10.244.1.0/24|b|0");
	assert_true(bgp_route_key_parse(buf, &g));
	assert_memory_equal(&g.prefix, &k.prefix, sizeof(k.prefix));
	assert_true(g.best);
	assert_int_equal(g.source, 0);
	k = (struct bgp_route_key){ .prefix = pfx("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), .source = UINT32_MAX };
	assert_string_equal(bgp_route_key_fmt(&k, buf, sizeof(buf)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128|n|4294967295");
	assert_true(strlen(buf) < BGP_ROUTE_KEY_STR);
	assert_true(bgp_route_key_parse(buf, &g));
	assert_false(g.best);
	assert_int_equal(g.source, UINT32_MAX);
	assert_int_equal(g.prefix.len, 128);
	assert_true(bgp_route_key_parse("fd00:10:244:1::/64|n|17", &g));
	assert_int_equal(g.prefix.addr.family, AF_INET6);
	assert_int_equal(g.source, 17);
	assert_true(bgp_route_key_parse("0.0.0.0/0|b|4294967295", &g));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bgp_route_key_parse(bad[i], &g))
			fail_msg("cursor \"%s\" was taken", bad[i]);
	assert_false(bgp_route_key_parse(NULL, &g));
}

/* ---- the request ----------------------------------------------------------------------------- */

#define REQ(args) "{\"weft\":1,\"id\":1,\"op\":\"route.list\",\"args\":" args "}"

static void refused(const char *line, const char *want)
{
	struct api_request req;
	char err[1024] = "";
	const char *got = api_request_parse(line, strlen(line), &req, err, sizeof(err));

	if (!got || strcmp(got, API_ERR_BAD_REQUEST) != 0 || !strstr(err, want))
		fail_msg("%s\n  got code %s, message \"%s\"\n  want bad-request, message containing \"%s\"", line,
			 got ? got : "(none)", err, want);
	api_request_fini(&req);
}

static void request_args(void **state)
{
	struct api_request req;
	char err[512];
	const char *l;

	(void)state;
	/* No args: the first page, the default size. */
	l = "{\"weft\":1,\"id\":1,\"op\":\"route.list\"}";
	assert_null(api_request_parse(l, strlen(l), &req, err, sizeof(err)));
	assert_false(req.a.routes.has_after);
	assert_int_equal(req.a.routes.limit, BGP_ROUTES_LIMIT_DEFAULT);
	api_request_fini(&req);
	l = REQ("{\"after\":\"fd00:10:244:1::/64|n|3\",\"limit\":7}");
	assert_null(api_request_parse(l, strlen(l), &req, err, sizeof(err)));
	assert_true(req.a.routes.has_after);
	assert_int_equal(req.a.routes.after.source, 3);
	assert_false(req.a.routes.after.best);
	assert_int_equal(req.a.routes.after.prefix.len, 64);
	assert_int_equal(req.a.routes.limit, 7);
	api_request_fini(&req);
	l = REQ("{\"after\":null,\"limit\":5000}");
	assert_null(api_request_parse(l, strlen(l), &req, err, sizeof(err)));
	assert_false(req.a.routes.has_after);
	assert_int_equal(req.a.routes.limit, 5000);
	api_request_fini(&req);

	refused(REQ("{\"limit\":0}"), "route.list: limit 0 is not a number of routes (1-5000)");
	refused(REQ("{\"limit\":5001}"), "route.list: limit 5001 is not a number of routes (1-5000)");
	refused(REQ("{\"limit\":-1}"), "limit -1 is not");
	refused(REQ("{\"limit\":\"7\"}"), "limit \"7\" is not");
	refused(REQ("{\"limit\":7.5}"), "limit 7.5 is not");
	refused(REQ("{\"after\":\"x\"}"), "route.list: after \"x\" is not a cursor weftd gave");
	refused(REQ("{\"after\":\"10.244.1.5/24|b|0\"}"), "after \"10.244.1.5/24|b|0\" is not a cursor");
	refused(REQ("{\"after\":7}"), "after 7 is not a cursor");
	refused(REQ("{\"after\":[]}"), "is not a cursor");
	refused(REQ("{\"offset\":7}"), "route.list: args: unknown key \"offset\"");
}

/* ---- a RIB to page through ------------------------------------------------------------------- */

struct tpeer {
	struct bgp_session *s;
	int eors;
};

static struct ev_loop *loop;
static struct rib *rib;
static struct bgp *B;
static struct tpeer T1, T2;

static void t_established(void *ctx, struct bgp_session *s)
{
}

static void t_down(void *ctx, struct bgp_session *s, bool keep_stale)
{
}

static void t_update(void *ctx, struct bgp_session *s, const struct bgp_update *u, const struct bgp_err *e)
{
	if (u->eor >= 0)
		((struct tpeer *)ctx)->eors++;
}

static const struct bgp_session_ops tops = { .established = t_established, .down = t_down, .update = t_update };

static struct tpeer *waiting;
static bool t_has_eors(void)
{
	return waiting->eors >= 2;
}

/* Test peer t from src (AS as) dialling weftd, up once weftd sent it both End-of-RIBs. */
static void tpeer_up(struct tpeer *t, const char *src, uint32_t as, uint32_t id)
{
	struct bgp_session_conf c = test_peer_conf(B, src, as, id);

	assert_int_equal(bgp_session_new(loop, &c, &tops, t, &t->s), 0);
	bgp_session_start(t->s);
	waiting = t;
	if (!test_ev_run_until(loop, t_has_eors, 5))
		fail_msg("test peer %s: no End-of-RIB from weftd", src);
}

/* Announce v[0..n) (one family) from t in as few UPDATEs as fit. */
static void tannounce(struct tpeer *t, const struct bgp_attrs *a, enum bgp_af af, const struct inet_prefix *v,
		      size_t n)
{
	uint8_t m[BGP_MAX_LEN];
	size_t off = 0, used;

	while (off < n) {
		int len = bgp_update_encode_announce(&bgp_session_fsm(t->s)->neg, a, af, v + off, n - off, m,
						     sizeof(m), &used);

		assert_true(len > 0);
		assert_int_equal(bgp_session_send(t->s, m, (size_t)len), 0);
		off += used;
	}
}

static struct inet_prefix v4(unsigned first, unsigned i)
{
	struct inet_prefix p = { .addr = { .family = AF_INET, .bytes = { 10, (uint8_t)(first + i / 256),
									 (uint8_t)(i % 256) } },
				 .len = 24 };
	return p;
}

static struct inet_prefix v6(unsigned i)
{
	struct inet_prefix p = { .addr = { .family = AF_INET6, .bytes = { 0xfd, 0, 0x01, 0, 0, 0, (uint8_t)(i >> 8),
									  (uint8_t)i } },
				 .len = 64 };
	return p;
}

static bool all_in(void)
{
	return rib_path_count(rib, 1) == 1400 && rib_path_count(rib, 2) == 1100;
}

#define ROWS 2552
#define BEST_ROWS 1702

static void rib_path_add(const char *prefix, const char *nh, uint32_t source)
{
	struct rib_path p = { .prefix = pfx(prefix), .nexthop = addr(nh), .source = source };

	assert_int_equal(rib_update(rib, &p), 0);
}

/* weftd: AS 64512, peer 1 internal (127.0.0.2), peer 2 external (127.0.0.3, AS 65000, routes
 * taken). Peer 1 announces 1,000 IPv4 /24s (10.100.0.0 on) and 400 IPv6 /64s (fd00:100:0:N::);
 * peer 2 the first 600 and 200 of those again with a longer AS path and communities (they lose
 * the decision), and 300 IPv4 /24s of its own (10.200.0.0 on); static routes for the first 50
 * IPv4 ones win over both peers; and the node's own two. 1,702 prefixes, 850 paths that lost. */
static int setup(void **state)
{
	static struct inet_prefix p4[1000], p6[400], o4[300];
	static uint32_t comms[3] = { 65000u << 16 | 100, 65000u << 16 | 200, 65000u << 16 | 300 };
	static uint8_t aspath[] = { BGP_SEG_SEQUENCE, 1, 0, 0, 0xfd, 0xe8 };
	struct bgp_attrs a = { 0 };
	struct bgp_conf conf = { 0 };
	struct bgp_local local = { 0 };
	char err[256], buf[INET_PREFIXSTR];

	memset(&T1, 0, sizeof(T1));
	memset(&T2, 0, sizeof(T2));
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(loop);
	log_set_level(LOG_LEVEL_ERROR);
	assert_int_equal(rib_new(&rib), 0);
	conf.enabled = true;
	conf.asn = 64512;
	conf.router_id = 0x0a000001;
	conf.n_listen = 1;
	conf.listen[0] = addr("127.0.0.1");
	conf.hold_time = 9;
	conf.connect_retry = 5;
	conf.n_peers = 2;
	for (int i = 0; i < 2; i++) {
		struct bgp_peer_conf *p = &conf.peers[i];

		p->address = addr(i ? "127.0.0.3" : "127.0.0.2");
		p->asn = i ? 65000 : 64512;
		p->port = BGP_PORT;
		p->passive = true;
		p->hold_time = 9;
		p->connect_retry = 5;
		p->afs = BGP_AF_ALL;
		p->enforce_first_as = true;
		p->accept_all = i == 1;
	}
	local.addr4 = addr("192.0.2.1");
	local.addr6 = addr("2001:db8::1");
	local.n_prefixes = 2;
	local.prefixes[0] = pfx("10.244.1.0/24");
	local.prefixes[1] = pfx("fd00:10:244:1::/64");
	if (bgp_new(loop, &conf, &local, rib, NULL, &B, err, sizeof(err)) < 0)
		fail_msg("bgp_new: %s", err);
	bgp_start(B);
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002);
	tpeer_up(&T2, "127.0.0.3", 65000, 0x0a000003);

	for (unsigned i = 0; i < 1000; i++)
		p4[i] = v4(100, i);
	for (unsigned i = 0; i < 400; i++)
		p6[i] = v6(i);
	for (unsigned i = 0; i < 300; i++)
		o4[i] = v4(200, i);
	a.present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	a.nexthop = addr("192.0.2.2");
	a.mp_nexthop = addr("2001:db8::2");
	tannounce(&T1, &a, BGP_AF_IPV4, p4, 1000);
	tannounce(&T1, &a, BGP_AF_IPV6, p6, 400);
	a.present |= BGP_ATTR_BIT(BGP_ATTR_COMMUNITIES);
	a.aspath = aspath;
	a.aspath_len = sizeof(aspath);
	a.communities = comms;
	a.n_communities = 3;
	a.nexthop = addr("192.0.2.3");
	a.mp_nexthop = addr("2001:db8::3");
	tannounce(&T2, &a, BGP_AF_IPV4, p4, 600);
	tannounce(&T2, &a, BGP_AF_IPV6, p6, 200);
	tannounce(&T2, &a, BGP_AF_IPV4, o4, 300);
	if (!test_ev_run_until(loop, all_in, 5))
		fail_msg("the peers' routes did not all arrive: %zu and %zu paths", rib_path_count(rib, 1),
			 rib_path_count(rib, 2));
	for (unsigned i = 0; i < 50; i++)
		rib_path_add(inet_prefix_fmt(&p4[i], buf, sizeof(buf)), "192.0.2.9", RIB_SOURCE_STATIC);
	rib_path_add("10.244.1.0/24", "192.0.2.1", RIB_SOURCE_LOCAL);
	rib_path_add("fd00:10:244:1::/64", "2001:db8::1", RIB_SOURCE_LOCAL);
	assert_int_equal(rib_prefix_count(rib), BEST_ROWS);
	return 0;
}

static int teardown(void **state)
{
	bgp_session_free(T1.s);
	bgp_session_free(T2.s);
	bgp_free(B);
	B = NULL;
	rib_free(rib);
	ev_loop_destroy(loop);
	return 0;
}

/* ---- pages ----------------------------------------------------------------------------------- */

/* Who a row is from, as text (a peer's source id when there is no bgp to name it). */
static const char *row_from(json_t *r, char *buf, size_t len)
{
	json_t *from = json_object_get(r, "from");

	if (json_is_string(from))
		return json_string_value(from);
	snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(from));
	return buf;
}

/* A row as "prefix|b|from"; age_s left out (it may tick between pages). */
static void row_id(json_t *r, char *buf, size_t len)
{
	char f[32];

	snprintf(buf, len, "%s|%s|%s", json_string_value(json_object_get(r, "prefix")),
		 json_is_true(json_object_get(r, "best")) ? "b" : "n", row_from(r, f, sizeof(f)));
}

/* route.list's order, from what a row shows: IPv4 first, by address, shorter first; the best
 * path first; then by peer (127.0.0.2 is source 1, 127.0.0.3 source 2). */
static int row_cmp(json_t *a, json_t *b)
{
	struct inet_prefix p, q;
	bool ab = json_is_true(json_object_get(a, "best")), bb = json_is_true(json_object_get(b, "best"));
	char fa[32], fb[32];
	int c;

	assert_true(inet_prefix_parse(json_string_value(json_object_get(a, "prefix")), &p));
	assert_true(inet_prefix_parse(json_string_value(json_object_get(b, "prefix")), &q));
	if (p.addr.family != q.addr.family)
		return p.addr.family == AF_INET ? -1 : 1;
	if ((c = memcmp(p.addr.bytes, q.addr.bytes, 16)))
		return c;
	if (p.len != q.len)
		return p.len < q.len ? -1 : 1;
	if (ab != bb)
		return ab ? -1 : 1;
	return strcmp(row_from(a, fa, sizeof(fa)), row_from(b, fb, sizeof(fb)));
}

/* Each row after the one before it: in order, none twice. */
static void rows_ordered(json_t *routes)
{
	for (size_t i = 1; i < json_array_size(routes); i++) {
		if (row_cmp(json_array_get(routes, i - 1), json_array_get(routes, i)) >= 0) {
			char a[256], b[256];

			row_id(json_array_get(routes, i - 1), a, sizeof(a));
			row_id(json_array_get(routes, i), b, sizeof(b));
			fail_msg("row %zu %s is not before row %zu %s", i - 1, a, i, b);
		}
	}
}

static json_t *page_get(struct bgp *b, const char *after, size_t limit, size_t max_bytes)
{
	struct bgp_routes_query q = { .limit = limit, .max_bytes = max_bytes };
	json_t *j;

	if (after) {
		assert_true(bgp_route_key_parse(after, &q.after));
		q.has_after = true;
	}
	j = bgp_routes_json(b, rib, &q);
	assert_non_null(j);
	assert_true(json_is_array(json_object_get(j, "routes")));
	assert_int_equal(json_integer_value(json_object_get(j, "prefixes")), rib_prefix_count(rib));
	return j;
}

/* Every row in one page, in order, each prefix's best path its first row. */
static json_t *unpaged(struct bgp *b)
{
	json_t *j = page_get(b, NULL, BGP_ROUTES_LIMIT_MAX, 0), *routes = json_object_get(j, "routes"), *r;
	size_t i;

	assert_null(json_object_get(j, "next"));
	rows_ordered(routes);
	json_array_foreach(routes, i, r) {
		bool first = !i || strcmp(json_string_value(json_object_get(r, "prefix")),
					  json_string_value(json_object_get(json_array_get(routes, i - 1), "prefix")));

		assert_int_equal(json_is_true(json_object_get(r, "best")), first);
	}
	return j;
}

/* Walk the pages of limit rows (and max_bytes) into one array; every page but the last is
 * followed by the next, whose cursor is its last row's key. */
static json_t *walk(struct bgp *b, size_t limit, size_t max_bytes, size_t *pages,
		    void (*between)(size_t page))
{
	json_t *all = json_array(), *j, *routes, *next;
	char cursor[BGP_ROUTE_KEY_STR] = "", id[256], want[256];
	struct bgp_route_key k;

	for (*pages = 0; *pages < 100000; (*pages)++) {
		j = page_get(b, cursor[0] ? cursor : NULL, limit, max_bytes);
		routes = json_object_get(j, "routes");
		assert_true(json_array_size(routes) <= limit);
		if (max_bytes && json_array_size(routes) > 1) {
			char *s = json_dumps(routes, JSON_COMPACT);

			assert_true(strlen(s) <= max_bytes);
			free(s);
		}
		json_array_extend(all, routes);
		next = json_object_get(j, "next");
		if (!next) {
			json_decref(j);
			(*pages)++;
			return all;
		}
		assert_true(json_array_size(routes) > 0);
		assert_true(bgp_route_key_parse(json_string_value(next), &k));
		/* The cursor names the page's last row. */
		row_id(json_array_get(routes, json_array_size(routes) - 1), id, sizeof(id));
		inet_prefix_fmt(&k.prefix, want, sizeof(want));
		assert_memory_equal(id, want, strlen(want));
		assert_int_equal(id[strlen(want) + 1], k.best ? 'b' : 'n');
		snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		json_decref(j);
		if (between)
			between(*pages);
	}
	fail_msg("more than 100,000 pages");
	return NULL;
}

/* got holds exactly the rows of want, in its order (age_s aside). */
static void rows_equal(json_t *want, json_t *got)
{
	json_t *w, *g;
	size_t i;

	assert_int_equal(json_array_size(got), json_array_size(want));
	json_array_foreach(want, i, w) {
		g = json_array_get(got, i);
		json_object_del(w, "age_s");
		json_object_del(g, "age_s");
		if (!json_equal(w, g)) {
			char *ws = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS), *gs = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS);

			fail_msg("row %zu:\n  want %s\n  got  %s", i, ws, gs);
		}
	}
}

static void pages_equal_unpaged(void **state)
{
	json_t *one = unpaged(B), *want = json_object_get(one, "routes"), *got, *r;
	size_t pages, i, best = 0, non_best_v6 = 0, bytes = 0;
	char id[256];

	assert_int_equal(json_array_size(want), ROWS);
	json_array_foreach(want, i, r) {
		best += json_is_true(json_object_get(r, "best"));
		non_best_v6 += !json_is_true(json_object_get(r, "best")) &&
			       strchr(json_string_value(json_object_get(r, "prefix")), ':');
	}
	assert_int_equal(best, BEST_ROWS);
	assert_int_equal(non_best_v6, 200);
	/* The first rows: IPv4 first; a static route, then the peers' paths it beat. */
	row_id(json_array_get(want, 0), id, sizeof(id));
	assert_string_equal(id, "10.100.0.0/24|b|static");
	row_id(json_array_get(want, 1), id, sizeof(id));
	assert_string_equal(id, "10.100.0.0/24|n|127.0.0.2");
	row_id(json_array_get(want, 2), id, sizeof(id));
	assert_string_equal(id, "10.100.0.0/24|n|127.0.0.3");
	row_id(json_array_get(want, ROWS - 1), id, sizeof(id));
	assert_string_equal(id, "fd00:100:0:18f::/64|b|127.0.0.2");

	got = walk(B, 7, 0, &pages, NULL);
	assert_int_equal(pages, (ROWS + 6) / 7);
	rows_equal(want, got);
	json_decref(got);
	got = walk(B, 1000, 0, &pages, NULL);
	assert_int_equal(pages, 3);
	rows_equal(want, got);
	json_decref(got);
	/* Exactly one page's worth: no next. */
	got = walk(B, ROWS, 0, &pages, NULL);
	assert_int_equal(pages, 1);
	json_decref(got);
	/* Pages cut by size (a reply must fit in a message): 3,000 bytes hold a few rows, and each
	 * page but the last is as full as the next row allows (no row is 500 bytes). */
	json_array_foreach(want, i, r)
		bytes += json_dumpb(r, NULL, 0, JSON_COMPACT) + 1;
	got = walk(B, BGP_ROUTES_LIMIT_MAX, 3000, &pages, NULL);
	assert_true(pages >= bytes / 3000 && pages <= bytes / (3000 - 500) + 1);
	rows_equal(want, got);
	json_decref(got);
	/* A row bigger than the budget still comes, alone. */
	got = walk(B, 5, 1, &pages, NULL);
	assert_int_equal(pages, ROWS);
	json_decref(got);
	/* After the last row: nothing. */
	r = page_get(B, "fd00:100:0:18f::/64|b|1", 10, 0);
	assert_int_equal(json_array_size(json_object_get(r, "routes")), 0);
	assert_null(json_object_get(r, "next"));
	json_decref(r);
	/* A cursor between rows (no such row): the rows after it. */
	r = page_get(B, "10.100.0.0/24|n|1", 2, 0);
	row_id(json_array_get(json_object_get(r, "routes"), 0), id, sizeof(id));
	assert_string_equal(id, "10.100.0.0/24|n|127.0.0.3");
	row_id(json_array_get(json_object_get(r, "routes"), 1), id, sizeof(id));
	assert_string_equal(id, "10.100.1.0/24|b|static");
	json_decref(r);
	json_decref(one);
}

/* Without BGP: the RIB's best paths alone, in the same pages. */
static void pages_without_bgp(void **state)
{
	json_t *one = unpaged(NULL), *got;
	size_t pages;

	assert_int_equal(json_array_size(json_object_get(one, "routes")), BEST_ROWS);
	got = walk(NULL, 7, 0, &pages, NULL);
	assert_int_equal(pages, (BEST_ROWS + 6) / 7);
	rows_equal(json_object_get(one, "routes"), got);
	json_decref(got);
	json_decref(one);
}

/* Between pages, static routes come and go (10.150.N.0/24, before and after any cursor) and a
 * best path changes hands (a static route over one of peer 2's 10.200.0.0/24 on): those rows changed; all
 * the others stayed, and each must come exactly once. */
static void churn(size_t page)
{
	char buf[INET_PREFIXSTR];
	struct inet_prefix p;

	p = v4(150, (unsigned)(page % 256));
	inet_prefix_fmt(&p, buf, sizeof(buf));
	if (page % 3)
		rib_path_add(buf, "192.0.2.9", RIB_SOURCE_STATIC);
	else
		assert_int_equal(rib_withdraw(rib, &p, RIB_SOURCE_STATIC), 0);
	p = v4(200, (unsigned)(page % 300));
	rib_path_add(inet_prefix_fmt(&p, buf, sizeof(buf)), "192.0.2.9", RIB_SOURCE_STATIC);
}

static bool changed(const char *id)
{
	return strncmp(id, "10.150.", 7) == 0 || strncmp(id, "10.200.", 7) == 0 || strncmp(id, "10.201.", 7) == 0;
}

static void pages_while_routes_change(void **state)
{
	json_t *one = unpaged(B), *want = json_object_get(one, "routes"), *got, *r;
	size_t pages, i, j = 0, stayed = 0;
	char id[256], wid[256];

	got = walk(B, 7, 0, &pages, churn);
	rows_ordered(got);
	/* Every row that stayed, in the walk. */
	json_array_foreach(want, i, r) {
		row_id(r, wid, sizeof(wid));
		if (changed(wid))
			continue;
		stayed++;
		for (; j < json_array_size(got); j++) {
			row_id(json_array_get(got, j), id, sizeof(id));
			if (strcmp(id, wid) == 0)
				break;
		}
		if (j == json_array_size(got))
			fail_msg("row %s missed", wid);
	}
	assert_int_equal(stayed, ROWS - 300);
	json_decref(got);
	json_decref(one);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_text),
		cmocka_unit_test(request_args),
		T(pages_equal_unpaged),
		T(pages_without_bgp),
		T(pages_while_routes_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
