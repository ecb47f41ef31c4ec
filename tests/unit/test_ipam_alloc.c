/* weft-ipam allocation against a real store in /tmp: next-fit order and cursor wrap-around,
 * exhaustion, reserved addresses, requested addresses, dual stack, repeat ADD, DEL, CHECK, GC,
 * stale caches, concurrent processes, and the cost bound that does not grow with fullness. */
#include "test_ipam_util.h"

#include <sys/wait.h>

struct fix {
	char dir[128];
	char store[256];
	struct ipam_config cfg;
	struct ipam_store *st;
};

static struct fix *fix_new(const char *ipam_json)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tu_dir_new(f->dir, sizeof(f->dir));
	snprintf(f->store, sizeof(f->store), "%s/n1", f->dir);
	tu_cfg(&f->cfg, f->dir, ipam_json);
	f->st = tu_store(&f->cfg);
	return f;
}

static void fix_free(struct fix *f)
{
	ipam_store_free(f->st);
	ipam_config_fini(&f->cfg);
	tu_dir_done(f->dir);
	free(f);
}

/* ADD cid/eth0 and return its first address as text. */
static const char *add1(struct fix *f, const char *cid)
{
	struct ipam_lease l;

	tu_add(f->st, cid, "eth0", &l);
	assert_int_equal(l.n, f->cfg.n_sets);
	return tu_fmt(&l.addr[0]);
}

static int add_err(struct fix *f, const char *cid, const struct ipam_request *req, struct cni_error *e)
{
	struct ipam_lease l;

	memset(e, 0, sizeof(*e));
	return ipam_store_add(f->st, req, cid, "eth0", &l, e);
}

static void test_sequential_and_exhaustion(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/29\",\"gateway\":\"10.0.0.1\"}]]}");
	struct cni_error e;

	(void)state;
	/* .0 network, .1 gateway, .7 broadcast: five addresses to give. */
	assert_string_equal(add1(f, "c1"), "10.0.0.2");
	assert_string_equal(add1(f, "c2"), "10.0.0.3");
	assert_string_equal(add1(f, "c3"), "10.0.0.4");
	assert_string_equal(add1(f, "c4"), "10.0.0.5");
	assert_string_equal(add1(f, "c5"), "10.0.0.6");
	assert_int_equal(add_err(f, "c6", NULL, &e), -1);
	assert_int_equal(e.code, CNI_ERR_RANGE_EXHAUSTED);
	assert_string_equal(e.msg, "no free address in range 10.0.0.1-10.0.0.6 of ipam.ranges[0]");
	/* The failed ADD left nothing behind. */
	assert_false(tu_exists(f->store, "attach", "c6:eth0"));
	assert_int_equal(tu_held_count(f->store, "c6", "eth0"), 0);
	assert_int_equal(tu_verify(f->store, TU_ALL), 5);
	assert_true(tu_held_by(f->store, "10.0.0.4", "c3", "eth0"));
	fix_free(f);
}

static void test_reserved_never_given(void **state)
{
	/* The range spans network and broadcast explicitly; gateway in the middle. */
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/29\",\"rangeStart\":\"10.0.0.0\","
				"\"rangeEnd\":\"10.0.0.7\",\"gateway\":\"10.0.0.3\"}]]}");
	const char *want[] = { "10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6" };
	struct cni_error e;
	char cid[16];

	(void)state;
	for (int i = 0; i < 5; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		assert_string_equal(add1(f, cid), want[i]);
	}
	assert_int_equal(add_err(f, "cx", NULL, &e), -1);
	assert_int_equal(e.code, CNI_ERR_RANGE_EXHAUSTED);
	assert_false(tu_exists(f->store, "addr", "10.0.0.0"));
	assert_false(tu_exists(f->store, "addr", "10.0.0.3"));
	assert_false(tu_exists(f->store, "addr", "10.0.0.7"));
	fix_free(f);
}

static void test_ipv6_no_broadcast(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"fd00::/125\"}]]}");
	struct cni_error e;
	char cid[16], want[32];

	(void)state;
	for (int i = 1; i <= 7; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		snprintf(want, sizeof(want), "fd00::%d", i);
		assert_string_equal(add1(f, cid), want); /* ::7, the last address, is usable */
	}
	assert_int_equal(add_err(f, "c8", NULL, &e), -1);
	assert_string_equal(e.msg, "no free address in range fd00::1-fd00::7 of ipam.ranges[0]");
	fix_free(f);
}

static void test_round_robin_and_wrap(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/29\"}]]}"); /* .1 - .6 */
	char cid[16];

	(void)state;
	/* A just-freed address is not reused while others are free. */
	assert_string_equal(add1(f, "c1"), "10.0.0.1");
	tu_del(f->st, "c1", "eth0");
	assert_string_equal(add1(f, "c2"), "10.0.0.2");
	for (int i = 3; i <= 6; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		add1(f, cid);
	}
	/* Cursor is past .6: the next search wraps to the start and finds .1. */
	assert_string_equal(add1(f, "c7"), "10.0.0.1");
	tu_del(f->st, "c3", "eth0");
	tu_del(f->st, "c5", "eth0");
	/* Next fit from the cursor (after .1): .3 comes before .5. */
	assert_string_equal(add1(f, "c8"), "10.0.0.3");
	tu_del(f->st, "c2", "eth0");
	/* From after .3: .5, although .2 is lower. */
	assert_string_equal(add1(f, "c9"), "10.0.0.5");
	assert_string_equal(add1(f, "c10"), "10.0.0.2");
	assert_int_equal(tu_verify(f->store, TU_ALL), 6);
	fix_free(f);
}

static void test_multi_range_set(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.10\",\"rangeEnd\":\"10.0.0.11\"},"
				"{\"subnet\":\"10.0.1.0/24\",\"rangeStart\":\"10.0.1.20\",\"rangeEnd\":\"10.0.1.21\"}]]}");
	struct cni_error e;

	(void)state;
	assert_string_equal(add1(f, "c1"), "10.0.0.10");
	assert_string_equal(add1(f, "c2"), "10.0.0.11");
	assert_string_equal(add1(f, "c3"), "10.0.1.20");
	tu_del(f->st, "c1", "eth0");
	/* Round robin across the set: on from the range used last, not back to the freed one. */
	assert_string_equal(add1(f, "c4"), "10.0.1.21");
	assert_string_equal(add1(f, "c5"), "10.0.0.10");
	assert_int_equal(add_err(f, "c6", NULL, &e), -1);
	assert_int_equal(e.code, CNI_ERR_RANGE_EXHAUSTED);
	assert_string_equal(e.msg, "no free address in ranges 10.0.0.10-10.0.0.11, 10.0.1.20-10.0.1.21 of ipam.ranges[0]");
	fix_free(f);
}

static void test_dual_stack(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"fd00::/126\"}]]}");
	struct ipam_lease l;
	struct cni_error e;

	(void)state;
	tu_add(f->st, "c1", "eth0", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(tu_fmt(&l.addr[0]), "10.0.0.1");
	assert_string_equal(tu_fmt(&l.addr[1]), "fd00::1");
	tu_add(f->st, "c2", "eth0", &l);
	tu_add(f->st, "c3", "eth0", &l);
	assert_string_equal(tu_fmt(&l.addr[1]), "fd00::3");
	/* The IPv6 set is exhausted: the ADD fails naming it and keeps no IPv4 address either. */
	assert_int_equal(add_err(f, "c4", NULL, &e), -1);
	assert_int_equal(e.code, CNI_ERR_RANGE_EXHAUSTED);
	assert_string_equal(e.msg, "no free address in range fd00::1-fd00::3 of ipam.ranges[1]");
	assert_false(tu_exists(f->store, "addr", "10.0.0.4"));
	assert_int_equal(tu_verify(f->store, TU_ALL), 6);
	fix_free(f);
}

static void test_same_attachment_twice(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"fd00::/64\"}]]}");
	struct ipam_lease a, b;
	char rec[8][INET_ADDRSTR];

	(void)state;
	tu_add(f->st, "c1", "eth0", &a);
	ipam_store_stats_reset(f->st);
	tu_add(f->st, "c1", "eth0", &b);
	assert_int_equal(b.n, 2);
	assert_true(inet_addr_equal(&a.addr[0], &b.addr[0]));
	assert_true(inet_addr_equal(&a.addr[1], &b.addr[1]));
	/* The repeat claims nothing and writes nothing. */
	assert_int_equal(ipam_store_stats(f->st)->links, 0);
	assert_int_equal(ipam_store_stats(f->st)->probes, 0);
	/* Another ifname of the same container is another attachment. */
	tu_add(f->st, "c1", "net1", &b);
	assert_false(inet_addr_equal(&a.addr[0], &b.addr[0]));
	assert_int_equal(tu_record(f->store, "c1", "eth0", rec, 8), 2);
	assert_string_equal(rec[0], "10.0.0.1");
	assert_string_equal(rec[1], "fd00::1");
	assert_int_equal(tu_verify(f->store, TU_ALL), 4);
	fix_free(f);
}

static void test_del(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}");

	(void)state;
	tu_del(f->st, "never", "eth0"); /* unknown: success */
	add1(f, "c1");
	add1(f, "c2");
	tu_del(f->st, "c1", "eth0");
	tu_del(f->st, "c1", "eth0"); /* again: success */
	assert_false(tu_exists(f->store, "addr", "10.0.0.1"));
	assert_false(tu_exists(f->store, "attach", "c1:eth0"));
	assert_true(tu_held_by(f->store, "10.0.0.2", "c2", "eth0"));
	/* DEL of c1/net1 must not touch c1/eth0's neighbour c2, nor anything else. */
	tu_del(f->st, "c2", "net1");
	assert_int_equal(tu_verify(f->store, TU_ALL), 1);
	fix_free(f);
}

/* An address listed in a record but held by someone else is not removed by DEL. */
static void test_del_only_own(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}");

	(void)state;
	add1(f, "c1");
	add1(f, "c2");
	tu_write(f->store, "attach", "c1:eth0", "c1\neth0\n10.0.0.1\n10.0.0.2\n");
	tu_del(f->st, "c1", "eth0");
	assert_false(tu_exists(f->store, "addr", "10.0.0.1"));
	assert_true(tu_held_by(f->store, "10.0.0.2", "c2", "eth0"));
	fix_free(f);
}

static void test_requested(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"fd00::/64\"}]]}");
	struct ipam_request req = { 0 };
	struct ipam_lease l;
	struct cni_error e;

	(void)state;
	inet_addr_parse("10.0.0.50", &req.addr[0]);
	strcpy(req.source[0], "CNI_ARGS IP");
	assert_int_equal(ipam_store_add(f->st, &req, "c1", "eth0", &l, &e), 0);
	assert_string_equal(tu_fmt(&l.addr[0]), "10.0.0.50");
	assert_string_equal(tu_fmt(&l.addr[1]), "fd00::1"); /* the other set allocates dynamically */
	/* Again with the same request: the same lease. */
	assert_int_equal(ipam_store_add(f->st, &req, "c1", "eth0", &l, &e), 0);
	assert_string_equal(tu_fmt(&l.addr[0]), "10.0.0.50");
	/* Held by another attachment: 107 naming the address and its owner. */
	assert_int_equal(add_err(f, "c2", &req, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ADDR_IN_USE);
	assert_string_equal(e.msg, "10.0.0.50 (CNI_ARGS IP) is held by c1/eth0");
	assert_false(tu_exists(f->store, "attach", "c2:eth0"));
	assert_int_equal(tu_count(f->store, "addr"), 2);
	/* The attachment holds .50; asking it for .51 contradicts that. */
	inet_addr_parse("10.0.0.51", &req.addr[0]);
	assert_int_equal(add_err(f, "c1", &req, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_non_null(strstr(e.msg, "c1/eth0 already holds 10.0.0.50 from ipam.ranges[0], not 10.0.0.51"));
	assert_true(tu_held_by(f->store, "10.0.0.50", "c1", "eth0"));
	/* Dynamic allocation skips the requested address later on. */
	assert_string_equal(add1(f, "c3"), "10.0.0.1");
	assert_int_equal(tu_verify(f->store, TU_ALL), 4);
	fix_free(f);
}

/* Requested addresses may lie past the 2^20 addresses a range allocates dynamically. */
static void test_requested_beyond_cap(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"fd00::/64\"}]]}");
	struct ipam_request req = { 0 };
	struct ipam_lease l;
	struct cni_error e;

	(void)state;
	inet_addr_parse("fd00::ffff:ffff", &req.addr[0]);
	strcpy(req.source[0], "runtimeConfig.ips[0]");
	assert_int_equal(ipam_store_add(f->st, &req, "c1", "eth0", &l, &e), 0);
	assert_string_equal(tu_fmt(&l.addr[0]), "fd00::ffff:ffff");
	assert_string_equal(add1(f, "c2"), "fd00::1");
	tu_del(f->st, "c1", "eth0");
	assert_false(tu_exists(f->store, "addr", "fd00::ffff:ffff"));
	fix_free(f);
}

static void test_check(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"fd00::/64\"}]]}");
	struct ipam_config cfg3;
	struct ipam_store *st3;
	struct cni_result exp;
	struct cni_error e = { 0 };

	(void)state;
	add1(f, "c1");
	assert_int_equal(ipam_store_check(f->st, "c1", "eth0", NULL, &e), 0);
	assert_int_equal(ipam_store_check(f->st, "c9", "eth0", NULL, &e), -1);
	assert_int_equal(e.code, CNI_ERR_UNKNOWN_CONTAINER);
	assert_string_equal(e.msg, "c9/eth0 holds no address in network n1");

	/* prevResult lists an address of ours the attachment does not hold. */
	cni_result_init(&exp);
	exp.n_ips = 2;
	inet_prefix_parse("10.0.0.1/24", &exp.ips[0].addr);
	inet_prefix_parse("10.0.0.77/24", &exp.ips[1].addr);
	memset(&e, 0, sizeof(e));
	assert_int_equal(ipam_store_check(f->st, "c1", "eth0", &exp, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CHECK_FAILED);
	assert_string_equal(e.msg, "prevResult address 10.0.0.77 is not held by c1/eth0");
	/* Addresses outside our ranges (another plugin's) are not ours to judge. */
	inet_prefix_parse("192.168.0.1/24", &exp.ips[1].addr);
	assert_int_equal(ipam_store_check(f->st, "c1", "eth0", &exp, &e), 0);

	/* A config with one more set: the attachment holds nothing from it. */
	tu_cfg(&cfg3, f->dir, "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"fd00::/64\"}],[{\"subnet\":\"10.1.0.0/24\"}]]}");
	st3 = tu_store(&cfg3);
	memset(&e, 0, sizeof(e));
	assert_int_equal(ipam_store_check(st3, "c1", "eth0", NULL, &e), -1);
	assert_string_equal(e.msg, "c1/eth0 holds no address from ipam.ranges[2]");
	ipam_store_free(st3);
	ipam_config_fini(&cfg3);

	/* Tampering: the address file vanished, or names someone else. */
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/addr/fd00::1", f->store);
		assert_int_equal(unlink(path), 0);
	}
	memset(&e, 0, sizeof(e));
	assert_int_equal(ipam_store_check(f->st, "c1", "eth0", NULL, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CHECK_FAILED);
	assert_non_null(strstr(e.msg, "fd00::1 of c1/eth0 is not held"));
	assert_non_null(strstr(e.msg, "/addr/fd00::1 is missing"));
	tu_write(f->store, "addr", "fd00::1", "c7\neth0\n");
	memset(&e, 0, sizeof(e));
	assert_int_equal(ipam_store_check(f->st, "c1", "eth0", NULL, &e), -1);
	assert_string_equal(e.msg, "fd00::1 of c1/eth0 is held by c7/eth0");
	/* A repeat ADD does not steal it back: it picks a new IPv6 address. */
	{
		struct ipam_lease l;

		tu_add(f->st, "c1", "eth0", &l);
		assert_string_equal(tu_fmt(&l.addr[0]), "10.0.0.1");
		assert_string_equal(tu_fmt(&l.addr[1]), "fd00::2");
		assert_true(tu_held_by(f->store, "fd00::1", "c7", "eth0"));
		assert_int_equal(ipam_store_check(f->st, "c1", "eth0", NULL, &e), 0);
	}
	fix_free(f);
}

static void test_gc(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}");
	struct cni_attachment valid[2] = { { "c3", "eth0" }, { "c1", "eth0" } };
	struct cni_error e = { 0 };

	(void)state;
	for (int i = 1; i <= 4; i++) {
		char cid[8];

		snprintf(cid, sizeof(cid), "c%d", i);
		add1(f, cid);
	}
	/* Debris: an orphan address (no record), an address claimed by nobody's record, an
	 * unparseable name, tmp garbage, a record with an invalid name, a stale cache file. */
	tu_write(f->store, "addr", "10.0.0.99", "ghost\neth0\n");
	tu_write(f->store, "addr", "10.0.0.098", "c1\neth0\n");
	tu_write(f->store, "tmp", "123.4", "junk");
	tu_write(f->store, "attach", "no-colon", "x");
	tu_write(f->store, "cache", "10.9.9.1-10.9.9.9", "old");
	/* No list at all: nothing is released, debris is. */
	assert_int_equal(ipam_store_gc(f->st, false, NULL, 0, &e), 0);
	assert_int_equal(tu_verify(f->store, TU_ALL), 4);
	assert_false(tu_exists(f->store, "addr", "10.0.0.99"));
	assert_false(tu_exists(f->store, "addr", "10.0.0.098"));
	assert_false(tu_exists(f->store, "attach", "no-colon"));
	assert_false(tu_exists(f->store, "cache", "10.9.9.1-10.9.9.9"));
	/* Keep c1 and c3. */
	assert_int_equal(ipam_store_gc(f->st, true, valid, 2, &e), 0);
	assert_int_equal(tu_verify(f->store, TU_ALL), 2);
	assert_true(tu_held_by(f->store, "10.0.0.1", "c1", "eth0"));
	assert_true(tu_held_by(f->store, "10.0.0.3", "c3", "eth0"));
	assert_false(tu_exists(f->store, "attach", "c2:eth0"));
	assert_false(tu_exists(f->store, "attach", "c4:eth0"));
	/* Freed addresses are allocatable again (after the cursor moves on). */
	assert_string_equal(add1(f, "c5"), "10.0.0.5");
	/* An empty list releases everything. */
	assert_int_equal(ipam_store_gc(f->st, true, NULL, 0, &e), 0);
	assert_int_equal(tu_verify(f->store, TU_ALL), 0);
	assert_int_equal(tu_count(f->store, "attach"), 0);
	fix_free(f);
}

/* After a power loss an addr file may be empty; GC gives it back to the one record listing it. */
static void test_gc_repairs_empty_owner(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}");
	struct cni_error e = { 0 };

	(void)state;
	add1(f, "c1");
	add1(f, "c2");
	tu_write(f->store, "addr", "10.0.0.1", "");
	tu_write(f->store, "attach", "c2:eth0", "");  /* record lost too: c2's address is an orphan */
	assert_int_equal(ipam_store_gc(f->st, false, NULL, 0, &e), 0);
	assert_true(tu_held_by(f->store, "10.0.0.1", "c1", "eth0"));
	assert_false(tu_exists(f->store, "addr", "10.0.0.2"));
	assert_false(tu_exists(f->store, "attach", "c2:eth0"));
	assert_int_equal(tu_verify(f->store, TU_ALL), 1);
	fix_free(f);
}

/* The cache is a hint: missing, corrupt, stale in either direction, the answers stay right. */
static void test_stale_cache(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/29\"}]]}"); /* .1 - .6 */
	char path[PATH_MAX];
	FILE *fp;

	(void)state;
	assert_string_equal(add1(f, "c1"), "10.0.0.1");
	/* A file the cache does not know (as a crash between link and bit leaves): skipped. */
	tu_write(f->store, "addr", "10.0.0.2", "cx\neth0\n");
	tu_write(f->store, "attach", "cx:eth0", "cx\neth0\n10.0.0.2\n");
	ipam_store_stats_reset(f->st);
	assert_string_equal(add1(f, "c2"), "10.0.0.3");
	assert_int_equal(ipam_store_stats(f->st)->links, 2);
	assert_int_equal(tu_verify(f->store, TU_ALL), 3);

	/* Cache removed: rebuilt from addr/, nothing handed out twice. */
	snprintf(path, sizeof(path), "%s/cache/10.0.0.1-10.0.0.6", f->store);
	assert_int_equal(unlink(path), 0);
	ipam_store_stats_reset(f->st);
	assert_string_equal(add1(f, "c3"), "10.0.0.4");
	assert_int_equal(ipam_store_stats(f->st)->rebuilds, 1);

	/* Cache truncated: rebuilt. */
	assert_int_equal(truncate(path, 10), 0);
	assert_string_equal(add1(f, "c4"), "10.0.0.5");
	assert_int_equal(tu_verify(f->store, TU_ALL), 5);

	/* Every bit set although .6 is free (only a power loss can do that): exhaustion is
	 * double-checked against addr/ before it is reported. */
	fp = fopen(path, "r+");
	assert_non_null(fp);
	fseek(fp, sizeof(struct ipam_cache_hdr), SEEK_SET);
	fputc(0xff, fp);
	fclose(fp);
	assert_string_equal(add1(f, "c5"), "10.0.0.6");
	assert_int_equal(tu_verify(f->store, TU_ALL), 6);
	fix_free(f);
}

/* A config change under a live attachment: a repeat ADD returns addresses of today's sets and
 * releases the ones it no longer gets. */
static void test_config_change(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"fd00::/64\"}]]}");
	struct ipam_config cfg2;
	struct ipam_store *st2;
	struct ipam_lease l;
	char rec[8][INET_ADDRSTR];

	(void)state;
	add1(f, "c1");
	tu_cfg(&cfg2, f->dir, "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"10.5.0.0/24\"}]]}");
	st2 = tu_store(&cfg2);
	tu_add(st2, "c1", "eth0", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(tu_fmt(&l.addr[0]), "10.0.0.1");
	assert_string_equal(tu_fmt(&l.addr[1]), "10.5.0.1");
	assert_false(tu_exists(f->store, "addr", "fd00::1"));
	assert_int_equal(tu_record(f->store, "c1", "eth0", rec, 8), 2);
	assert_string_equal(rec[1], "10.5.0.1");
	ipam_store_free(st2);
	ipam_config_fini(&cfg2);
	fix_free(f);
}

static void test_store_unusable(void **state)
{
	struct ipam_config cfg;
	struct ipam_store *st = NULL;
	struct cni_error e = { 0 };
	char dir[128], file[256];

	(void)state;
	tu_dir_new(dir, sizeof(dir));
	/* dataDir is a regular file: the store cannot be created. */
	snprintf(file, sizeof(file), "%s/file", dir);
	tu_write(dir, ".", "file", "x");
	tu_cfg(&cfg, file, "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}");
	assert_int_equal(ipam_store_new(&st, &cfg, &e), -1);
	assert_null(st);
	assert_int_equal(e.code, CNI_ERR_STORE);
	assert_non_null(strstr(e.msg, file));
	assert_non_null(strstr(e.msg, "Not a directory"));
	ipam_config_fini(&cfg);
	tu_dir_done(dir);
}

static void test_status(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}");
	struct cni_error e = { 0 };

	(void)state;
	assert_int_equal(ipam_store_status(f->st, &e), 0);
	assert_int_equal(tu_count(f->store, "tmp"), 0);
	fix_free(f);
}

/* ---- cost does not grow with fullness ----------------------------------------------------------- */

/* Make offsets [from, to) of range r held, fast: hard links to an owner file, as ADD does
 * (a fresh owner file every 10,000 links: ext4 allows 65,000 links per inode). */
static void hold_range(const char *store, const struct ipam_range *r, uint32_t from, uint32_t to)
{
	char owner[PATH_MAX], path[PATH_MAX];

	snprintf(owner, sizeof(owner), "%s/tmp/owner", store);
	for (uint32_t i = from; i < to; i++) {
		struct inet_addr a = r->start;

		if ((i - from) % 10000 == 0) {
			unlink(owner);
			tu_write(store, "tmp", "owner", "bulk\neth0\n");
		}
		inet_addr_add(&a, i);
		snprintf(path, sizeof(path), "%s/addr/%s", store, tu_fmt(&a));
		assert_int_equal(link(owner, path), 0);
	}
	unlink(owner);
}

static void test_cost_independent_of_fullness(void **state)
{
	struct fix *empty = fix_new("{\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"}]]}");
	struct fix *full = fix_new("{\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"}]]}");
	struct ipam_store_stats se, sf;
	uint32_t nsum = (full->cfg.sets[0].ranges[0].nbits + 4095) / 4096;

	(void)state;
	/* Warm both up (first use builds the cache), then measure one more ADD in each. */
	add1(empty, "w");
	hold_range(full->store, &full->cfg.sets[0].ranges[0], 1, 60001);
	add1(full, "w");
	assert_int_equal(tu_count(full->store, "addr"), 60001);

	ipam_store_stats_reset(empty->st);
	add1(empty, "c1");
	se = *ipam_store_stats(empty->st);
	ipam_store_stats_reset(full->st);
	assert_string_equal(add1(full, "c1"), "10.1.234.98"); /* offset 60001, the first free */
	sf = *ipam_store_stats(full->st);
	print_message("empty: %lu syscalls %lu probes; 60,001 held: %lu syscalls %lu probes\n", se.syscalls,
		      se.probes, sf.syscalls, sf.probes);
	/* The same work, syscall for syscall, no rebuild, and a bounded search: the summary skips
	 * 4096 held addresses per word read. */
	assert_int_equal(sf.syscalls, se.syscalls);
	assert_int_equal(sf.links, 1);
	assert_int_equal(sf.rebuilds, 0);
	assert_true(se.probes <= 2);
	assert_true(sf.probes <= nsum + 4);
	fix_free(empty);
	fix_free(full);
}

/* The worst case for the search: one free address just behind the cursor, so the search runs
 * the whole circle. Still one probe per 4096 addresses plus a few. */
static void test_cost_worst_case(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"}]]}");
	const struct ipam_range *r = &f->cfg.sets[0].ranges[0];
	uint32_t nsum = (r->nbits + 4095) / 4096;
	uint64_t cursor = 102;
	char path[PATH_MAX];
	int fd;

	(void)state;
	hold_range(f->store, r, 0, 100);
	hold_range(f->store, r, 102, r->nbits);
	assert_string_equal(add1(f, "w"), "10.1.0.101"); /* offset 100; the cursor moves to 101 */
	/* Move the cursor past the last free offset (101). */
	snprintf(path, sizeof(path), "%s/cache/10.1.0.1-10.1.255.254", f->store);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &cursor, 8, offsetof(struct ipam_cache_hdr, cursor)), 8);
	close(fd);
	ipam_store_stats_reset(f->st);
	assert_string_equal(add1(f, "c1"), "10.1.0.102");
	print_message("one free of %u, behind the cursor: %lu probes (bound %u)\n", r->nbits,
		      ipam_store_stats(f->st)->probes, 2 * nsum + 4);
	assert_true(ipam_store_stats(f->st)->probes <= 2 * nsum + 4);
	assert_int_equal(ipam_store_stats(f->st)->rebuilds, 0);
	fix_free(f);
}

/* ---- concurrent processes ----------------------------------------------------------------------- */

#define PROCS 8
#define PER_PROC 50

static void test_concurrent_processes(void **state)
{
	struct fix *f = fix_new("{\"ranges\":[[{\"subnet\":\"10.2.0.0/22\"}],[{\"subnet\":\"fd02::/64\"}]]}");
	char seen[PROCS * PER_PROC][2][INET_ADDRSTR];
	int fds[2], n = 0;
	pid_t pids[PROCS];
	FILE *in;
	char line[128];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			/* Each process opens its own store, as separate plugin invocations do. */
			struct ipam_store *st = NULL;
			struct cni_error e = { 0 };
			FILE *out = fdopen(fds[1], "w");

			close(fds[0]);
			if (ipam_store_new(&st, &f->cfg, &e) < 0)
				_exit(2);
			for (int i = 0; i < PER_PROC; i++) {
				struct ipam_lease l;
				char cid[32];

				snprintf(cid, sizeof(cid), "p%d-c%d", p, i);
				if (ipam_store_add(st, NULL, cid, "eth0", &l, &e) < 0)
					_exit(3);
				fprintf(out, "%s %s\n", tu_fmt(&l.addr[0]), tu_fmt(&l.addr[1]));
				fflush(out);
			}
			ipam_store_free(st);
			_exit(0);
		}
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	while (fgets(line, sizeof(line), in) && n < PROCS * PER_PROC) {
		assert_int_equal(sscanf(line, "%45s %45s", seen[n][0], seen[n][1]), 2);
		n++;
	}
	fclose(in);
	for (int p = 0; p < PROCS; p++) {
		int status;

		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(n, PROCS * PER_PROC);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			if (!strcmp(seen[i][0], seen[j][0]) || !strcmp(seen[i][1], seen[j][1]))
				fail_msg("address handed out twice: %s %s", seen[i][0], seen[i][1]);
		}
	assert_int_equal(tu_verify(f->store, TU_ALL), 2 * PROCS * PER_PROC);
	assert_int_equal(tu_count(f->store, "attach"), PROCS * PER_PROC);

	/* Concurrent DELs leave nothing. */
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			struct ipam_store *st = NULL;
			struct cni_error e = { 0 };

			if (ipam_store_new(&st, &f->cfg, &e) < 0)
				_exit(2);
			for (int i = 0; i < PER_PROC; i++) {
				char cid[32];

				snprintf(cid, sizeof(cid), "p%d-c%d", p, i);
				if (ipam_store_del(st, cid, "eth0", &e) < 0)
					_exit(3);
			}
			ipam_store_free(st);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int status;

		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(tu_verify(f->store, TU_ALL), 0);
	assert_int_equal(tu_count(f->store, "attach"), 0);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequential_and_exhaustion),
		cmocka_unit_test(test_reserved_never_given),
		cmocka_unit_test(test_ipv6_no_broadcast),
		cmocka_unit_test(test_round_robin_and_wrap),
		cmocka_unit_test(test_multi_range_set),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_same_attachment_twice),
		cmocka_unit_test(test_del),
		cmocka_unit_test(test_del_only_own),
		cmocka_unit_test(test_requested),
		cmocka_unit_test(test_requested_beyond_cap),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_gc),
		cmocka_unit_test(test_gc_repairs_empty_owner),
		cmocka_unit_test(test_stale_cache),
		cmocka_unit_test(test_config_change),
		cmocka_unit_test(test_store_unusable),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_cost_independent_of_fullness),
		cmocka_unit_test(test_cost_worst_case),
		cmocka_unit_test(test_concurrent_processes),
	};

	tu_sweep_stale();
	return cmocka_run_group_tests(tests, NULL, tu_teardown);
}
