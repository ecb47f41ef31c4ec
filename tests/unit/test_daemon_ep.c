/* weftd's endpoint table (daemon/ep.c): records written, reloaded and given stable ids; a
 * crash (a child _exit()ing) between every two steps of a write or a removal leaves the old
 * or the new record and nothing a restart cannot clean; unreadable records are set aside;
 * one daemon per state directory; endpoint add/del against a recording fake of the data path
 * and the host's links, including the rollback when the data path refuses. */
// WRAP: dp_endpoint_upsert dp_endpoint_remove dp_endpoint_foreach dp_endpoint_attached dp_status dp_counters_get dp_map_dump reconcile_link_get
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/ep.h"
#include "daemon/reconcile.h"

/* ---- fakes: the data path's endpoint map and the host's links -------------------------------- */

#define FAKE_MAX 64

static struct {
	struct weft_endpoint eps[FAKE_MAX];
	bool used[FAKE_MAX];
	int upserts, removes;
	int fail_upsert; /* the next upsert fails with this */
	int fail_remove;
} fdp;

static struct {
	unsigned ifindex;
	struct reconcile_link link;
} links[8];

int __wrap_dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
int __wrap_dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
int __wrap_dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg);
bool __wrap_dp_endpoint_attached(struct dp *dp, unsigned ifindex);
json_t *__wrap_dp_status(struct dp *dp);
int __wrap_dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out);
int __wrap_dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen);
int __wrap_reconcile_link_get(unsigned ifindex, struct reconcile_link *out);

static int fake_find(unsigned ifindex)
{
	for (int i = 0; i < FAKE_MAX; i++) {
		if (fdp.used[i] && fdp.eps[i].ifindex == ifindex)
			return i;
	}
	return -1;
}

int __wrap_dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen)
{
	int i = fake_find(ep->ifindex);

	fdp.upserts++;
	if (fdp.fail_upsert) {
		int r = fdp.fail_upsert;

		fdp.fail_upsert = 0;
		snprintf(err, errlen, "fake upsert failure");
		return r;
	}
	for (int j = 0; i < 0 && j < FAKE_MAX; j++)
		if (!fdp.used[j])
			i = j;
	fdp.eps[i] = *ep;
	fdp.used[i] = true;
	return 0;
}

int __wrap_dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen)
{
	int i = fake_find(ep->ifindex);

	fdp.removes++;
	if (fdp.fail_remove) {
		int r = fdp.fail_remove;

		fdp.fail_remove = 0;
		snprintf(err, errlen, "fake remove failure");
		return r;
	}
	if (i >= 0)
		fdp.used[i] = false;
	return 0;
}

int __wrap_dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg)
{
	for (int i = 0; i < FAKE_MAX; i++) {
		if (fdp.used[i] && fn(&fdp.eps[i], arg) != 0)
			break;
	}
	return 0;
}

bool __wrap_dp_endpoint_attached(struct dp *dp, unsigned ifindex) { return fake_find(ifindex) >= 0; }
json_t *__wrap_dp_status(struct dp *dp) { fail(); return NULL; }
int __wrap_dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out) { fail(); return -1; }
int __wrap_dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen) { fail(); return -1; }

int __wrap_reconcile_link_get(unsigned ifindex, struct reconcile_link *out)
{
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (links[i].ifindex == ifindex) {
			*out = links[i].link;
			return 0;
		}
	}
	return -ENODEV;
}

static void link_add(unsigned ifindex, const char *name, const char *kind, uint8_t last)
{
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (links[i].ifindex == 0 || links[i].ifindex == ifindex) {
			links[i].ifindex = ifindex;
			memset(&links[i].link, 0, sizeof(links[i].link));
			snprintf(links[i].link.name, sizeof(links[i].link.name), "%s", name);
			snprintf(links[i].link.kind, sizeof(links[i].link.kind), "%s", kind);
			memcpy(links[i].link.mac, (uint8_t[6]){ 0xaa, 0xbb, 0xcc, 0xdd, 0xee, last }, 6);
			links[i].link.has_mac = true;
			return;
		}
	}
	fail();
}

static void link_del(unsigned ifindex)
{
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (links[i].ifindex == ifindex)
			links[i].ifindex = 0;
}

/* ---- helpers ---------------------------------------------------------------------------------- */

static char dir[128];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	static int seq;

	snprintf(dir, sizeof(dir), "/tmp/wft-ep-test-%d-%d", (int)getpid(), seq++);
	assert_int_equal(mkdir(dir, 0700), 0);
	memset(&fdp, 0, sizeof(fdp));
	memset(links, 0, sizeof(links));
	ep_crash_hook = NULL;
	return 0;
}

static int teardown(void **state)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* An endpoint for container cN on veth ifindex 100+N, addresses 10.0.0.N and fd00::N. */
static struct ep spec(int n)
{
	char text[1024], err[256];
	json_t *j;
	struct ep e;

	snprintf(text, sizeof(text),
		 "{\"container_id\":\"c%d\",\"ifname\":\"eth0\",\"netns\":\"/var/run/netns/p%d\",\"network\":\"weft\","
		 "\"host_ifname\":\"wft%d\",\"host_ifindex\":%d,\"host_mac\":\"aa:bb:cc:dd:ee:%02x\","
		 "\"pod_mac\":\"02:00:00:00:00:%02x\",\"ips\":[\"10.0.0.%d\",\"fd00::%d\"],\"pod_name\":\"p%d\","
		 "\"pod_namespace\":\"default\"}", n, n, n, 100 + n, n, n, n, n, n);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	if (ep_parse(j, false, &e, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	json_decref(j);
	return e;
}

static struct ep_table *table_open(void)
{
	struct ep_table *t;
	char err[512];

	if (ep_table_open(dir, &t, err, sizeof(err)) < 0)
		fail_msg("ep_table_open: %s", err);
	return t;
}

static bool file_exists(const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/endpoints/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void file_write(const char *name, const char *text)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/endpoints/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static size_t count_files(void)
{
	char path[300];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/endpoints", dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static bool ep_same(const struct ep *a, const struct ep *b)
{
	json_t *x = ep_to_json(a), *y = ep_to_json(b);
	bool same = json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return same;
}

/* ---- persistence ------------------------------------------------------------------------------ */

static void test_write_reload(void **state)
{
	struct ep_table *t = table_open();
	struct ep a = spec(1), b = spec(2), c = spec(3), d = spec(4);
	const struct ep *got;

	assert_int_equal(ep_table_put(t, &a), 0);
	assert_int_equal(ep_table_put(t, &b), 0);
	assert_int_equal(ep_table_put(t, &c), 0);
	assert_int_equal(a.id, 1);
	assert_int_equal(b.id, 2);
	assert_int_equal(c.id, 3);
	assert_true(a.created > 0);
	assert_int_equal(ep_table_remove(t, 2), 0);
	assert_false(file_exists("2.json"));
	assert_int_equal(ep_table_remove(t, 2), 0); /* again: fine */
	/* The lowest free id is reused. */
	assert_int_equal(ep_table_put(t, &d), 0);
	assert_int_equal(d.id, 2);
	/* A replace keeps the id (the caller passes it). */
	snprintf(c.netns, sizeof(c.netns), "/proc/42/ns/net");
	assert_int_equal(ep_table_put(t, &c), 0);
	assert_int_equal(c.id, 3);
	assert_int_equal(ep_table_count(t), 3);
	ep_table_free(t);

	t = table_open();
	assert_int_equal(ep_table_count(t), 3);
	got = ep_table_get(t, 1);
	assert_non_null(got);
	assert_true(ep_same(got, &a));
	assert_true(ep_same(ep_table_get(t, 2), &d));
	assert_true(ep_same(ep_table_get(t, 3), &c));
	assert_string_equal(ep_table_get(t, 3)->netns, "/proc/42/ns/net");
	assert_ptr_equal(ep_table_find(t, "c4", "eth0"), ep_table_get(t, 2));
	assert_null(ep_table_find(t, "c4", "eth1"));
	assert_int_equal(ep_table_at(t, 0)->id, 1);
	assert_int_equal(ep_table_at(t, 2)->id, 3);
	assert_null(ep_table_at(t, 3));
	ep_table_free(t);
	ep_table_free(NULL);
}

static void test_lock(void **state)
{
	struct ep_table *t = table_open(), *t2;
	char err[512];

	assert_int_equal(ep_table_open(dir, &t2, err, sizeof(err)), -1);
	assert_null(t2);
	assert_non_null(strstr(err, "another weftd uses stateDir"));
	ep_table_free(t);
	t2 = table_open(); /* free released it */
	ep_table_free(t2);
}

static void test_leftovers_and_bad_records(void **state)
{
	struct ep_table *t = table_open();
	struct ep a = spec(1), b = spec(2);
	char text[2048];
	json_t *j;
	char *s;

	assert_int_equal(ep_table_put(t, &a), 0);
	assert_int_equal(ep_table_put(t, &b), 0);
	ep_table_free(t);

	file_write(".5.json.tmp", "{\"half\":");  /* an interrupted write */
	file_write("7.json", "not json at all");   /* corrupt */
	file_write("8.json", "{\"id\":8}");       /* incomplete */
	b.id = 9;                                  /* a record whose content names another id */
	j = ep_to_json(&b);
	s = json_dumps(j, 0);
	snprintf(text, sizeof(text), "%s", s);
	free(s);
	json_decref(j);
	file_write("10.json", text);
	file_write("README", "not ours");          /* ignored, kept */
	file_write("0.json", "{}");                /* not a name weftd writes: ignored */

	t = table_open();
	assert_int_equal(ep_table_count(t), 2);
	assert_false(file_exists(".5.json.tmp"));
	assert_false(file_exists("7.json"));
	assert_true(file_exists("7.json.bad"));
	assert_true(file_exists("8.json.bad"));
	assert_true(file_exists("10.json.bad"));
	assert_true(file_exists("README"));
	ep_table_free(t);
	/* Set-aside records stay set aside. */
	t = table_open();
	assert_int_equal(ep_table_count(t), 2);
	ep_table_free(t);
}

/* ---- crashes between steps -------------------------------------------------------------------- */

#define CRASHED 77
static int crash_at, crash_seen;

static void crash_hook(const char *point)
{
	if (++crash_seen == crash_at)
		_exit(CRASHED);
}

enum crash_op { CRASH_NEW, CRASH_REPLACE, CRASH_REMOVE };

/* Run op in a child that dies at crash point k; 1 if it died there, 0 if it finished. */
static int crash_run(enum crash_op op, int k)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct ep_table *t;
		struct ep e = spec(op == CRASH_NEW ? 2 : 1);
		char err[256];

		if (ep_table_open(dir, &t, err, sizeof(err)) < 0)
			_exit(2);
		crash_at = k;
		crash_seen = 0;
		ep_crash_hook = crash_hook;
		if (op == CRASH_REPLACE) {
			e.id = 1;
			snprintf(e.netns, sizeof(e.netns), "/proc/99/ns/net");
		}
		if (op == CRASH_REMOVE ? ep_table_remove(t, 1) < 0 : ep_table_put(t, &e) < 0)
			_exit(3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != CRASHED)
		fail_msg("child exited %d", WEXITSTATUS(st));
	return WEXITSTATUS(st) == CRASHED;
}

static void test_crash_points(void **state)
{
	static const char *const names[] = { "new record", "replaced record", "removal" };

	for (int op = CRASH_NEW; op <= CRASH_REMOVE; op++) {
		int k;

		for (k = 1; k < 10; k++) {
			struct ep_table *t;
			struct ep one = spec(1);
			const struct ep *got;
			int died;

			teardown(state);
			setup(state);
			t = table_open();
			assert_int_equal(ep_table_put(t, &one), 0);
			ep_table_free(t);

			died = crash_run((enum crash_op)op, k);
			/* Whatever the instant: the next start loads a consistent table. */
			t = table_open();
			assert_false(file_exists(".1.json.tmp"));
			assert_false(file_exists(".2.json.tmp"));
			got = ep_table_get(t, 1);
			switch (op) {
			case CRASH_NEW:
				assert_non_null(got);
				assert_int_equal(ep_table_count(t), died ? ep_table_count(t) : 2);
				if (ep_table_get(t, 2))
					assert_string_equal(ep_table_get(t, 2)->containerid, "c2");
				break;
			case CRASH_REPLACE:
				/* The old record or the new one, never neither, never a mix. */
				assert_non_null(got);
				assert_int_equal(ep_table_count(t), 1);
				if (strcmp(got->netns, "/var/run/netns/p1") != 0)
					assert_string_equal(got->netns, "/proc/99/ns/net");
				if (!died)
					assert_string_equal(got->netns, "/proc/99/ns/net");
				break;
			case CRASH_REMOVE:
				assert_int_equal(ep_table_count(t), got ? 1 : 0);
				if (!died)
					assert_null(got);
				break;
			}
			ep_table_free(t);
			if (!died)
				break;
		}
		/* Every point was reached once, so the loop ended by finishing. */
		if (k == 10)
			fail_msg("%s: never finished", names[op]);
		if (k == 1)
			fail_msg("%s: no crash point was reached", names[op]);
	}
}

/* ---- endpoint add / del ----------------------------------------------------------------------- */

static void test_add_del(void **state)
{
	struct ep_table *t = table_open();
	struct ep a = spec(1), b = spec(2);
	const struct ep *got;
	char err[512];
	bool removed;

	link_add(101, "wft1", "veth", 1);
	link_add(102, "wft2", "veth", 2);
	assert_int_equal(ep_add(t, NULL, &a, &got, err, sizeof(err)), 0);
	assert_int_equal(got->id, 1);
	assert_int_equal(fdp.upserts, 1);
	assert_int_equal(fake_find(101) >= 0, 1);
	assert_int_equal(fdp.eps[fake_find(101)].id, 1);
	assert_true(file_exists("1.json"));
	assert_int_equal(ep_add(t, NULL, &b, &got, err, sizeof(err)), 0);
	assert_int_equal(got->id, 2);

	/* The same ADD again: same id, replaced in place (no remove, so no gap in traffic). */
	assert_int_equal(ep_add(t, NULL, &a, &got, err, sizeof(err)), 0);
	assert_int_equal(got->id, 1);
	assert_int_equal(fdp.removes, 0);
	assert_int_equal(fdp.upserts, 3);
	assert_int_equal(ep_table_count(t), 2);

	/* Moved to other addresses: the old entries go first. */
	a.ips[0].bytes[3] = 50;
	assert_int_equal(ep_add(t, NULL, &a, &got, err, sizeof(err)), 0);
	assert_int_equal(got->id, 1);
	assert_int_equal(fdp.removes, 1);
	assert_int_equal(fdp.eps[fake_find(101)].ipv4[3], 50);

	assert_int_equal(ep_del(t, NULL, "c1", "eth0", &removed, err, sizeof(err)), 0);
	assert_true(removed);
	assert_false(file_exists("1.json"));
	assert_int_equal(fake_find(101), -1);
	assert_int_equal(ep_del(t, NULL, "c1", "eth0", &removed, err, sizeof(err)), 0);
	assert_false(removed);

	/* The data path refuses the removal: the record stays for a retry. */
	fdp.fail_remove = -EIO;
	assert_int_equal(ep_del(t, NULL, "c2", "eth0", &removed, err, sizeof(err)), -EIO);
	assert_false(removed);
	assert_non_null(strstr(err, "fake remove failure"));
	assert_true(file_exists("2.json"));
	assert_non_null(ep_table_find(t, "c2", "eth0"));
	ep_table_free(t);
}

static void add_fails(struct ep_table *t, const struct ep *e, int code, const char *want)
{
	const struct ep *got = (const struct ep *)1;
	char err[512] = "";
	int r = ep_add(t, NULL, e, &got, err, sizeof(err));

	if (r != code || !strstr(err, want))
		fail_msg("ep_add gave %d \"%s\"; wanted %d and \"%s\"", r, err, code, want);
	assert_null(got);
}

static void test_add_refused(void **state)
{
	struct ep_table *t = table_open();
	struct ep a = spec(1), b = spec(2);
	const struct ep *got;
	char err[512];

	link_add(101, "wft1", "veth", 1);
	assert_int_equal(ep_add(t, NULL, &a, &got, err, sizeof(err)), 0);

	add_fails(t, &b, -ENODEV, "host_ifindex 102: no such interface");
	link_add(102, "eth9", "veth", 2);
	add_fails(t, &b, -EINVAL, "host_ifindex 102 is \"eth9\", not host_ifname \"wft2\"");
	link_add(102, "wft2", "bridge", 2);
	add_fails(t, &b, -EINVAL, "host_ifname \"wft2\" is a bridge link, not a veth");
	link_add(102, "wft2", "", 2);
	add_fails(t, &b, -EINVAL, "is an unspecified link, not a veth");
	link_add(102, "wft2", "veth", 9);
	add_fails(t, &b, -EINVAL, "host_mac aa:bb:cc:dd:ee:02 is not the address of \"wft2\" (aa:bb:cc:dd:ee:09)");

	/* Another endpoint's veth or address. */
	link_add(102, "wft2", "veth", 2);
	b.host_ifindex = 101;
	snprintf(b.host_ifname, sizeof(b.host_ifname), "wft1");
	b.host_mac[5] = 1;
	add_fails(t, &b, -EEXIST, "host_ifindex 101 belongs to endpoint 1 (c1/eth0)");
	b = spec(2);
	b.ips[1] = a.ips[1];
	add_fails(t, &b, -EEXIST, "fd00::1 belongs to endpoint 1 (c1/eth0)");
	assert_int_equal(ep_table_count(t), 1);
	assert_int_equal(count_files(), 1);
	assert_int_equal(fdp.upserts, 1);
	ep_table_free(t);
}

/* An endpoint whose veth is gone (its DEL never reached weftd) gives way to the pod that now has
 * its address or its (reused) ifindex; an endpoint whose veth lives still wins. */
static void test_add_evicts_stale(void **state)
{
	struct ep_table *t = table_open();
	struct ep a = spec(1), b = spec(2), c = spec(3), d = spec(4), e = spec(5);
	const struct ep *got;
	char err[512];

	link_add(101, "wft1", "veth", 1);
	link_add(103, "wft3", "veth", 3);
	assert_int_equal(ep_add(t, NULL, &a, &got, err, sizeof(err)), 0);
	assert_int_equal(ep_add(t, NULL, &c, &got, err, sizeof(err)), 0);

	link_del(101);
	link_add(102, "wft2", "veth", 2);
	b.ips[1] = a.ips[1];
	if (ep_add(t, NULL, &b, &got, err, sizeof(err)) < 0)
		fail_msg("ep_add over a stale address owner: %s", err);
	assert_null(ep_table_find(t, "c1", "eth0"));

	link_add(103, "wft4", "veth", 4); /* c3's veth gone, its ifindex reused */
	d.host_ifindex = 103;
	if (ep_add(t, NULL, &d, &got, err, sizeof(err)) < 0)
		fail_msg("ep_add over a stale ifindex owner: %s", err);
	assert_null(ep_table_find(t, "c3", "eth0"));
	assert_int_equal(ep_table_count(t), 2);
	assert_int_equal(count_files(), 2);

	link_add(105, "wft5", "veth", 5);
	e.ips[0] = b.ips[0];
	add_fails(t, &e, -EEXIST, "10.0.0.2 belongs to endpoint");
	assert_int_equal(ep_table_count(t), 2);
	ep_table_free(t);
}

static void test_add_rollback(void **state)
{
	struct ep_table *t = table_open();
	struct ep a = spec(1), b = spec(2), a2;
	const struct ep *got;
	char err[512];

	link_add(101, "wft1", "veth", 1);
	link_add(102, "wft2", "veth", 2);
	assert_int_equal(ep_add(t, NULL, &a, &got, err, sizeof(err)), 0);

	/* A new endpoint the data path refuses leaves no record and no map entry. */
	fdp.fail_upsert = -ENOSPC;
	add_fails(t, &b, -ENOSPC, "cannot program the data path for c2/eth0: fake upsert failure");
	assert_int_equal(ep_table_count(t), 1);
	assert_false(file_exists("2.json"));
	assert_int_equal(fake_find(102), -1);

	/* A changed endpoint the data path refuses gets its old record and entries back. */
	a2 = a;
	a2.ips[0].bytes[3] = 77;
	fdp.fail_upsert = -EIO;
	add_fails(t, &a2, -EIO, "fake upsert failure");
	ep_table_free(t);
	t = table_open();
	got = ep_table_find(t, "c1", "eth0");
	assert_non_null(got);
	assert_int_equal(got->ips[0].bytes[3], 1);
	assert_int_equal(fake_find(101) >= 0, 1);
	assert_int_equal(fdp.eps[fake_find(101)].ipv4[3], 1);
	ep_table_free(t);
}

static void test_mac_and_dp_view(void **state)
{
	uint8_t m[6];
	char buf[18];
	struct ep e = spec(3);
	struct weft_endpoint w;

	assert_true(ep_mac_parse("0A:1b:2C:3d:4E:5f", m));
	assert_string_equal(ep_mac_fmt(m, buf, sizeof(buf)), "0a:1b:2c:3d:4e:5f");
	assert_false(ep_mac_parse("0a:1b:2c:3d:4e:5f:", m));
	assert_false(ep_mac_parse("0a:1b:2c:3d:4e", m));
	assert_false(ep_mac_parse("ff:ff:ff:ff:ff:ff", m));
	assert_false(ep_mac_parse(NULL, m));

	e.id = 3;
	ep_to_dp(&e, &w);
	assert_int_equal(w.id, 3);
	assert_int_equal(w.ifindex, 103);
	assert_int_equal(w.flags, WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6);
	assert_memory_equal(w.ipv4, ((uint8_t[]){ 10, 0, 0, 3 }), 4);
	assert_int_equal(w.ipv6[15], 3);
	assert_int_equal(w.pod_mac[5], 3);
	assert_int_equal(w.host_mac[0], 0xaa);
	e.n_ips = 1;
	ep_to_dp(&e, &w);
	assert_int_equal(w.flags, WEFT_EP_HAS_IPV4);
	assert_memory_equal(w.ipv6, ((uint8_t[16]){ 0 }), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_and_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_evicts_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_and_dp_view, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
