/* Store recovery after a crash at every step. For each scenario (ADD new, ADD with a request,
 * ADD past a stale cache, ADD repairing a partial attachment, ADD after a config change, DEL, GC)
 * and each crash point k, a child process runs the operation and _exit()s at the k-th point,
 * as a kill -9 would stop it. The parent then checks the invariants that hold at every instant,
 * and that a retry, a DEL or a GC each bring the store back to a consistent state. */
#include "test_ipam_util.h"

#include <sys/wait.h>

#define CRASHED 77

static int crash_at, crash_seen, crash_seen_parent;
static char crash_names[64][32];

static void crash_hook(const char *point)
{
	if (crash_seen < 64)
		snprintf(crash_names[crash_seen], sizeof(crash_names[0]), "%s", point);
	if (++crash_seen == crash_at)
		_exit(CRASHED);
}

static const char *DUAL = "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"fd00::/120\"}]]}";
static const char *CHANGED = "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"10.5.0.0/24\"}]]}";

enum op { OP_ADD, OP_ADD_REQ, OP_DEL, OP_GC };
enum recovery { RETRY, DEL, GC_DROP, GC_KEEP, RECOVERY_COUNT };
static const char *const recovery_names[] = { "retry", "DEL", "GC without it", "GC keeping it" };

struct scenario {
	const char *name;
	void (*setup)(struct ipam_store *st, const char *store);
	enum op op;
	bool changed_cfg; /* the operation runs with CHANGED instead of DUAL */
};

struct world {
	char dir[128], store[256];
	struct ipam_config cfg, cfg_op;
	struct ipam_store *st;
	char c0[IPAM_MAX_SETS][INET_ADDRSTR]; /* the bystander's addresses */
	int n_c0;
};

static void setup_plain(struct ipam_store *st, const char *store)
{
	(void)store;
	tu_add(st, "c0", "eth0", &(struct ipam_lease){ 0 });
}

/* c1 exists too (for DEL, GC and repeat ADDs). */
static void setup_with_c1(struct ipam_store *st, const char *store)
{
	setup_plain(st, store);
	tu_add(st, "c1", "eth0", &(struct ipam_lease){ 0 });
}

/* The next candidates are held by files the cache does not know: ADD meets EEXIST. */
static void setup_stale(struct ipam_store *st, const char *store)
{
	setup_plain(st, store);
	tu_write(store, "addr", "10.0.0.2", "cx\neth0\n");
	tu_write(store, "addr", "fd00::2", "cx\neth0\n");
	tu_write(store, "attach", "cx:eth0", "cx\neth0\n10.0.0.2\nfd00::2\n");
}

/* c1's record lists an address whose file a crash never created (the cache, whose bit would
 * be clear in that state, is dropped with it). */
static void setup_partial(struct ipam_store *st, const char *store)
{
	char path[PATH_MAX];

	setup_with_c1(st, store);
	snprintf(path, sizeof(path), "%s/addr/fd00::2", store);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/cache/fd00::1-fd00::ff", store);
	assert_int_equal(unlink(path), 0);
}

/* GC has work of every kind: an attachment to release, an orphan, tmp garbage. */
static void setup_gc(struct ipam_store *st, const char *store)
{
	setup_with_c1(st, store);
	tu_add(st, "c2", "eth0", &(struct ipam_lease){ 0 });
	tu_write(store, "addr", "10.0.0.77", "ghost\neth0\n");
	tu_write(store, "tmp", "999.1", "junk");
}

static const struct scenario scenarios[] = {
	{ "ADD new", setup_plain, OP_ADD, false },
	{ "ADD requested", setup_plain, OP_ADD_REQ, false },
	{ "ADD past a stale cache", setup_stale, OP_ADD, false },
	{ "ADD repairing a partial attachment", setup_partial, OP_ADD, false },
	{ "ADD after a config change", setup_with_c1, OP_ADD, true },
	{ "DEL", setup_with_c1, OP_DEL, false },
	{ "GC", setup_gc, OP_GC, false },
};

static void world_new(struct world *w, const struct scenario *sc)
{
	char rec[IPAM_MAX_SETS * 3][INET_ADDRSTR];

	memset(w, 0, sizeof(*w));
	tu_dir_new(w->dir, sizeof(w->dir));
	snprintf(w->store, sizeof(w->store), "%s/n1", w->dir);
	tu_cfg(&w->cfg, w->dir, DUAL);
	tu_cfg(&w->cfg_op, w->dir, sc->changed_cfg ? CHANGED : DUAL);
	w->st = tu_store(&w->cfg);
	sc->setup(w->st, w->store);
	w->n_c0 = tu_record(w->store, "c0", "eth0", rec, IPAM_MAX_SETS * 3);
	assert_int_equal(w->n_c0, 2);
	memcpy(w->c0, rec, sizeof(w->c0));
}

static void world_free(struct world *w)
{
	ipam_store_free(w->st);
	ipam_config_fini(&w->cfg);
	ipam_config_fini(&w->cfg_op);
	tu_dir_done(w->dir);
}

static int run_op(const struct scenario *sc, struct ipam_store *st, struct ipam_lease *lease, struct cni_error *e)
{
	struct cni_attachment keep[2] = { { "c0", "eth0" }, { "c2", "eth0" } };
	struct ipam_request req = { 0 };

	memset(e, 0, sizeof(*e));
	switch (sc->op) {
	case OP_ADD:
		return ipam_store_add(st, NULL, "c1", "eth0", lease, e);
	case OP_ADD_REQ:
		inet_addr_parse("10.0.0.50", &req.addr[0]);
		strcpy(req.source[0], "CNI_ARGS IP");
		return ipam_store_add(st, &req, "c1", "eth0", lease, e);
	case OP_DEL:
		return ipam_store_del(st, "c1", "eth0", e);
	case OP_GC:
		return ipam_store_gc(st, true, keep, 2, e);
	}
	return -1;
}

/* Fork a child that runs the operation and dies at crash point k. Returns true when it died
 * there, false when the operation completed first (k is past the last point). */
static bool crash_child(struct world *w, const struct scenario *sc, int k)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ipam_store *st = NULL;
		struct ipam_lease lease;
		struct cni_error e = { 0 };

		crash_at = k;
		crash_seen = 0;
		ipam_crash_hook = crash_hook;
		if (ipam_store_new(&st, &w->cfg_op, &e) < 0 || run_op(sc, st, &lease, &e) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 1)
		fail_msg("%s: the operation failed in the child (crash point %d)", sc->name, k);
	return WEXITSTATUS(status) == CRASHED;
}

static void bystander_intact(struct world *w)
{
	for (int i = 0; i < w->n_c0; i++)
		if (!tu_held_by(w->store, w->c0[i], "c0", "eth0"))
			fail_msg("bystander c0 lost %s", w->c0[i]);
}

/* c1 holds exactly what its record lists, one address per set of cfg, none of c0's. */
static void c1_consistent(struct world *w, const struct ipam_config *cfg, const struct ipam_lease *lease)
{
	char rec[IPAM_MAX_SETS * 3][INET_ADDRSTR];
	int n = tu_record(w->store, "c1", "eth0", rec, IPAM_MAX_SETS * 3);

	assert_int_equal(n, (int)cfg->n_sets);
	assert_int_equal(tu_held_count(w->store, "c1", "eth0"), (int)cfg->n_sets);
	for (int i = 0; i < n; i++) {
		assert_true(tu_held_by(w->store, rec[i], "c1", "eth0"));
		if (lease)
			assert_string_equal(rec[i], tu_fmt(&lease->addr[i]));
		for (int j = 0; j < w->n_c0; j++)
			assert_string_not_equal(rec[i], w->c0[j]);
	}
}

static void c1_gone(struct world *w)
{
	assert_false(tu_exists(w->store, "attach", "c1:eth0"));
	assert_int_equal(tu_held_count(w->store, "c1", "eth0"), 0);
}

static void recover(struct world *w, const struct scenario *sc, enum recovery r)
{
	struct cni_attachment keep_c0[2] = { { "c0", "eth0" }, { "c2", "eth0" } };
	struct cni_attachment keep_c1[3] = { { "c0", "eth0" }, { "c1", "eth0" }, { "c2", "eth0" } };
	bool add = sc->op == OP_ADD || sc->op == OP_ADD_REQ;
	struct ipam_store *st = tu_store(&w->cfg_op);
	struct ipam_lease lease;
	struct cni_error e;

	/* IPAM_CRASH_VERBOSE=1 names each case, to find the one a failed assertion belongs to. */
	if (getenv("IPAM_CRASH_VERBOSE"))
		print_message("%s, crash point %d, recovery: %s\n", sc->name, crash_seen_parent,
			      recovery_names[r]);
	switch (r) {
	case RETRY:
		if (run_op(sc, st, &lease, &e) < 0)
			fail_msg("%s: retry failed: %s", sc->name, e.msg);
		if (add) {
			c1_consistent(w, &w->cfg_op, &lease);
			if (sc->op == OP_ADD_REQ)
				assert_string_equal(tu_fmt(&lease.addr[0]), "10.0.0.50");
		} else {
			c1_gone(w);
		}
		tu_verify(w->store, TU_LISTED);
		break;
	case DEL:
		if (ipam_store_del(st, "c1", "eth0", &e) < 0)
			fail_msg("%s: DEL failed: %s", sc->name, e.msg);
		c1_gone(w);
		/* The GC scenario's orphan stays until a GC completes. */
		tu_verify(w->store, sc->op == OP_GC ? 0 : TU_LISTED);
		break;
	case GC_DROP:
		if (ipam_store_gc(st, true, keep_c0, 2, &e) < 0)
			fail_msg("%s: GC failed: %s", sc->name, e.msg);
		c1_gone(w);
		tu_verify(w->store, TU_ALL);
		break;
	case GC_KEEP:
		if (ipam_store_gc(st, true, keep_c1, 3, &e) < 0)
			fail_msg("%s: GC failed: %s", sc->name, e.msg);
		tu_verify(w->store, TU_ALL);
		/* Then the runtime's retried ADD completes the attachment. */
		if (add) {
			if (run_op(sc, st, &lease, &e) < 0)
				fail_msg("%s: ADD after GC failed: %s", sc->name, e.msg);
			c1_consistent(w, &w->cfg_op, &lease);
		}
		break;
	default:
		break;
	}
	bystander_intact(w);
	/* Whatever happened, a final GC leaves an exact store. */
	if (ipam_store_gc(st, true, keep_c1, 3, &e) < 0)
		fail_msg("%s: final GC failed: %s", sc->name, e.msg);
	tu_verify(w->store, TU_ALL);
	ipam_store_free(st);
}

static void test_crash_everywhere(void **state)
{
	(void)state;
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		const struct scenario *sc = &scenarios[s];
		int points = 0;

		for (int k = 1;; k++) {
			bool crashed = false;

			for (enum recovery r = 0; r < RECOVERY_COUNT; r++) {
				struct world w;

				world_new(&w, sc);
				crash_seen_parent = k;
				crashed = crash_child(&w, sc, k);
				if (crashed) {
					/* What holds at every instant: complete addr files, no cache bit
					 * without its file, the bystander untouched. */
					tu_verify(w.store, 0);
					bystander_intact(&w);
					recover(&w, sc, r);
				}
				world_free(&w);
				if (!crashed)
					break;
			}
			if (!crashed)
				break;
			points = k;
		}
		print_message("%-36s crash points tested: %d (x %d recoveries)\n", sc->name, points, RECOVERY_COUNT);
		assert_true(points >= 2);
	}
}

/* The crash points of a dual-stack ADD, in order, as docs/ipam-store.md lists them. */
static void test_crash_point_names(void **state)
{
	static const char *const want[] = { "record.written", "record.renamed", "add.link", "add.bit", "add.link",
					     "add.bit" };
	struct world w;
	struct ipam_lease lease;
	struct cni_error e;

	(void)state;
	world_new(&w, &scenarios[0]);
	crash_at = -1;
	crash_seen = 0;
	ipam_crash_hook = crash_hook;
	assert_int_equal(run_op(&scenarios[0], w.st, &lease, &e), 0);
	ipam_crash_hook = NULL;
	assert_int_equal(crash_seen, sizeof(want) / sizeof(want[0]));
	for (int i = 0; i < crash_seen; i++)
		assert_string_equal(crash_names[i], want[i]);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_point_names),
		cmocka_unit_test(test_crash_everywhere),
	};

	tu_sweep_stale();
	return cmocka_run_group_tests(tests, NULL, tu_teardown);
}
