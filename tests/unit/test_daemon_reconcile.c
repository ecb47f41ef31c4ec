/* Start-up reconcile (daemon/reconcile.c) against a recording fake of the data path's endpoint
 * map and the real links of the test's network namespace (lo is ifindex 1 everywhere; a large
 * ifindex is a veth that is gone): stale records, orphan and wrong map entries, missing and
 * detached programs, IPAM attachments gone, and a second run that finds nothing to do. */
// WRAP: dp_endpoint_upsert dp_endpoint_remove dp_endpoint_foreach dp_endpoint_attached dp_status dp_counters_get dp_map_dump
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/ep.h"
#include "daemon/reconcile.h"

#define GONE 999990u /* no namespace has this many links */
#define FAKE_MAX 16

static struct {
	struct weft_endpoint eps[FAKE_MAX];
	bool used[FAKE_MAX], detached[FAKE_MAX];
	int upserts, removes;
} fdp;

int __wrap_dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
int __wrap_dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
int __wrap_dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg);
bool __wrap_dp_endpoint_attached(struct dp *dp, unsigned ifindex);
json_t *__wrap_dp_status(struct dp *dp);
int __wrap_dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out);
int __wrap_dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen);

static int fake_find(unsigned ifindex)
{
	for (int i = 0; i < FAKE_MAX; i++) {
		if (fdp.used[i] && fdp.eps[i].ifindex == ifindex)
			return i;
	}
	return -1;
}

static void fake_put(const struct weft_endpoint *ep)
{
	int i = fake_find(ep->ifindex);

	for (int j = 0; i < 0 && j < FAKE_MAX; j++)
		if (!fdp.used[j])
			i = j;
	assert_true(i >= 0);
	fdp.eps[i] = *ep;
	fdp.used[i] = true;
	fdp.detached[i] = false;
}

int __wrap_dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen)
{
	fdp.upserts++;
	fake_put(ep);
	return 0;
}

int __wrap_dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen)
{
	int i = fake_find(ep->ifindex);

	fdp.removes++;
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

bool __wrap_dp_endpoint_attached(struct dp *dp, unsigned ifindex)
{
	int i = fake_find(ifindex);

	return i >= 0 && !fdp.detached[i];
}

json_t *__wrap_dp_status(struct dp *dp) { fail(); return NULL; }
int __wrap_dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out) { fail(); return -1; }
int __wrap_dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen) { fail(); return -1; }

static char dir[128];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	static int seq;

	snprintf(dir, sizeof(dir), "/tmp/wft-rec-test-%d-%d", (int)getpid(), seq++);
	assert_int_equal(mkdir(dir, 0700), 0);
	memset(&fdp, 0, sizeof(fdp));
	return 0;
}

static int teardown(void **state)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct ep record(int n, unsigned ifindex, const char *ifname)
{
	struct ep e;
	char text[1024], err[256];
	json_t *j;

	snprintf(text, sizeof(text),
		 "{\"container_id\":\"c%d\",\"ifname\":\"eth0\",\"netns\":\"/var/run/netns/p%d\",\"network\":\"weft\","
		 "\"host_ifname\":\"%s\",\"host_ifindex\":%u,\"host_mac\":\"aa:bb:cc:dd:ee:%02x\","
		 "\"pod_mac\":\"02:00:00:00:00:%02x\",\"ips\":[\"10.0.0.%d\"]}", n, n, ifname, ifindex, n, n, n);
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
		fail_msg("%s", err);
	return t;
}

static void run(struct ep_table *t, const struct conf *c, struct reconcile_stats *st)
{
	assert_int_equal(reconcile_run(t, NULL, c, st), 0);
}

static void nothing_to_do(struct ep_table *t, const struct conf *c)
{
	struct reconcile_stats st;
	int up = fdp.upserts, rm = fdp.removes;

	run(t, c, &st);
	assert_int_equal(st.stale + st.orphans + st.restored + st.failed, 0);
	assert_int_equal(fdp.upserts, up);
	assert_int_equal(fdp.removes, rm);
}

static void test_link_get(void **state)
{
	struct reconcile_link l;

	assert_int_equal(reconcile_link_get(1, &l), 0);
	assert_string_equal(l.name, "lo");
	assert_string_equal(l.kind, "");
	assert_int_equal(reconcile_link_get(GONE, &l), -ENODEV);
	assert_int_equal(reconcile_link_get(0, &l), -ENODEV);
}

static void test_stale_orphans_restore(void **state)
{
	struct ep_table *t = table_open();
	struct ep live = record(1, 1, "lo"), gone = record(2, GONE, "wftgone"), renamed = record(3, 1, "wftold");
	struct weft_endpoint w, orphan;
	struct reconcile_stats st;

	/* live: in the maps and attached; gone: its veth vanished; renamed: ifindex 1 is not its
	 * veth any more; an orphan entry nobody has a record for. */
	assert_int_equal(ep_table_put(t, &live), 0);
	assert_int_equal(ep_table_put(t, &gone), 0);
	assert_int_equal(ep_table_put(t, &renamed), 0);
	ep_to_dp(&live, &w);
	fake_put(&w);
	ep_to_dp(&gone, &w);
	fake_put(&w);
	orphan = w;
	orphan.id = 9;
	orphan.ifindex = GONE + 1;
	fake_put(&orphan);

	run(t, NULL, &st);
	assert_int_equal(st.checked, 3);
	assert_int_equal(st.stale, 2);
	assert_int_equal(st.orphans, 1);
	/* Removing "renamed" cleared the entries at ifindex 1, which live's veth now has: pass 3
	 * puts live's back. The end state, not the absence of a blip, is what counts here. */
	assert_int_equal(st.restored, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(ep_table_count(t), 1);
	assert_non_null(ep_table_get(t, 1));
	assert_int_equal(fake_find(GONE), -1);
	assert_int_equal(fake_find(GONE + 1), -1);
	assert_true(fake_find(1) >= 0);
	nothing_to_do(t, NULL);
	ep_table_free(t);

	/* The next start (records reloaded) agrees. */
	t = table_open();
	assert_int_equal(ep_table_count(t), 1);
	nothing_to_do(t, NULL);
	ep_table_free(t);
}

static void test_restore(void **state)
{
	struct ep_table *t = table_open();
	struct ep live = record(1, 1, "lo");
	struct weft_endpoint w;
	struct reconcile_stats st;
	int i;

	assert_int_equal(ep_table_put(t, &live), 0);
	/* Missing from the maps (a purge, a reboot) */
	run(t, NULL, &st);
	assert_int_equal(st.restored, 1);
	assert_true(fake_find(1) >= 0);
	ep_to_dp(&live, &w);
	assert_memory_equal(&fdp.eps[fake_find(1)], &w, sizeof(w));
	nothing_to_do(t, NULL);

	/* In the maps but detached */
	fdp.detached[fake_find(1)] = true;
	run(t, NULL, &st);
	assert_int_equal(st.restored, 1);
	assert_int_equal(st.orphans, 0);
	nothing_to_do(t, NULL);

	/* In the maps with other values (an older daemon wrote them): replaced */
	i = fake_find(1);
	fdp.eps[i].pod_mac[5] = 0x42;
	run(t, NULL, &st);
	assert_int_equal(st.orphans, 1);
	assert_int_equal(st.restored, 1);
	assert_memory_equal(&fdp.eps[fake_find(1)], &w, sizeof(w));
	nothing_to_do(t, NULL);
	ep_table_free(t);
}

static void test_ipam(void **state)
{
	struct ep_table *t = table_open();
	struct ep live = record(1, 1, "lo");
	struct reconcile_stats st;
	struct conf c;
	char path[512], err[256];
	FILE *f;

	assert_int_equal(conf_parse("{}", 2, "n1", &c, err, sizeof(err)), 0);
	snprintf(c.ipam_data_dir, sizeof(c.ipam_data_dir), "%s/ipam", dir);
	assert_int_equal(ep_table_put(t, &live), 0);

	/* No store for the network at all: a host-local network, not checked. */
	run(t, &c, &st);
	assert_int_equal(st.ipam_missing, 0);

	snprintf(path, sizeof(path), "%s/ipam", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/ipam/weft", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/ipam/weft/attach", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	run(t, &c, &st);
	assert_int_equal(st.ipam_missing, 1);
	assert_int_equal(ep_table_count(t), 1); /* reported, not removed */

	snprintf(path, sizeof(path), "%s/ipam/weft/attach/c1:eth0", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	run(t, &c, &st);
	assert_int_equal(st.ipam_missing, 0);

	/* Limited to another network, or switched off */
	unlink(path);
	snprintf(c.ipam_network, sizeof(c.ipam_network), "other");
	run(t, &c, &st);
	assert_int_equal(st.ipam_missing, 0);
	c.ipam_network[0] = '\0';
	c.ipam = false;
	run(t, &c, &st);
	assert_int_equal(st.ipam_missing, 0);
	ep_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_get),
		cmocka_unit_test_setup_teardown(test_stale_orphans_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipam, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
