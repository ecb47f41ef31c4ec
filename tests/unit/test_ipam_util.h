/* Helpers shared by the test_ipam_*.c unit tests: temporary store directories, configs from
 * JSON text, and an independent reader of the on-disk store that checks its invariants
 * (docs/ipam-store.md) without going through the code under test. */
#ifndef WEFT_TEST_IPAM_UTIL_H
#define WEFT_TEST_IPAM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipam/ipam.h"
#include "ipam/ipam_cache.h"
#include "ipam/ipam_store.h"

/* ---- temporary directories ------------------------------------------------------------------ */

#define TU_PREFIX "/tmp/weft-ipam-test-"
#define TU_MAX_DIRS 256

/* Every directory a test makes, so the group teardown removes them even when an assertion
 * jumped out of the test before its own cleanup. */
static char tu_dirs[TU_MAX_DIRS][128];
static int tu_ndirs;

static inline int tu_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void tu_rm_rf(const char *path)
{
	nftw(path, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void tu_dir_new(char *buf, size_t len)
{
	static int seq;

	snprintf(buf, len, TU_PREFIX "%d-%d", (int)getpid(), seq++);
	assert_int_equal(mkdir(buf, 0700), 0);
	if (tu_ndirs < TU_MAX_DIRS)
		snprintf(tu_dirs[tu_ndirs++], sizeof(tu_dirs[0]), "%s", buf);
}

/* Remove a directory tu_dir_new made, and forget it. */
static inline void tu_dir_done(const char *dir)
{
	tu_rm_rf(dir);
	for (int i = 0; i < tu_ndirs; i++) {
		if (strcmp(tu_dirs[i], dir) == 0) {
			memcpy(tu_dirs[i], tu_dirs[--tu_ndirs], sizeof(tu_dirs[0]));
			break;
		}
	}
}

/* cmocka group teardown: remove what the tests made. */
static inline int tu_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < tu_ndirs; i++)
		tu_rm_rf(tu_dirs[i]);
	tu_ndirs = 0;
	return 0;
}

/* Remove directories left by test processes that no longer exist (killed by a timeout, say). */
static inline void tu_sweep_stale(void)
{
	struct dirent *de;
	DIR *d = opendir("/tmp");

	while (d && (de = readdir(d))) {
		char path[300];
		int pid, n;

		if (sscanf(de->d_name, "weft-ipam-test-%d-%d", &pid, &n) != 2 || pid == getpid())
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "/tmp/%s", de->d_name);
		tu_rm_rf(path);
	}
	if (d)
		closedir(d);
}

/* ---- configs -------------------------------------------------------------------------------- */

/* Parse an "ipam" object given as JSON text, with dataDir forced to dir (when dir != NULL).
 * Returns the parser's result; e receives the error. */
static inline int tu_cfg_try(struct ipam_config *cfg, const char *dir, const char *ipam_json, struct cni_error *e)
{
	json_error_t jerr;
	json_t *obj = json_loads(ipam_json, JSON_DECODE_ANY, &jerr);
	int rc;

	if (!obj)
		fail_msg("bad test JSON: %s: %s", jerr.text, ipam_json);
	if (dir && json_is_object(obj))
		json_object_set_new(obj, "dataDir", json_string(dir));
	memset(e, 0, sizeof(*e));
	rc = ipam_config_parse(obj, "n1", cfg, e);
	json_decref(obj);
	return rc;
}

static inline void tu_cfg(struct ipam_config *cfg, const char *dir, const char *ipam_json)
{
	struct cni_error e;

	if (tu_cfg_try(cfg, dir, ipam_json, &e) < 0)
		fail_msg("config rejected: %s (%s)", e.msg, ipam_json);
}

static inline struct ipam_store *tu_store(const struct ipam_config *cfg)
{
	struct cni_error e = { 0 };
	struct ipam_store *st = NULL;

	if (ipam_store_new(&st, cfg, &e) < 0)
		fail_msg("store: %s", e.msg);
	return st;
}

/* ADD that must succeed; returns the lease's first address as text in out (may be NULL). */
static inline void tu_add(struct ipam_store *st, const char *cid, const char *ifname, struct ipam_lease *lease)
{
	struct cni_error e = { 0 };

	if (ipam_store_add(st, NULL, cid, ifname, lease, &e) < 0)
		fail_msg("ADD %s/%s: %d %s", cid, ifname, e.code, e.msg);
}

static inline const char *tu_fmt(const struct inet_addr *a)
{
	static char buf[4][INET_ADDRSTR];
	static int i;

	i = (i + 1) % 4;
	return inet_addr_fmt(a, buf[i], sizeof(buf[i]));
}

static inline void tu_del(struct ipam_store *st, const char *cid, const char *ifname)
{
	struct cni_error e = { 0 };

	if (ipam_store_del(st, cid, ifname, &e) < 0)
		fail_msg("DEL %s/%s: %s", cid, ifname, e.msg);
}

/* ---- reading the store directly ------------------------------------------------------------ */

static inline int tu_count(const char *store, const char *sub)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", store, sub);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Content of <store>/<sub>/<name> into buf; -1 when absent. */
static inline int tu_read(const char *store, const char *sub, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", store, sub, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return (int)n;
}

static inline void tu_write(const char *store, const char *sub, const char *name, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	/* Replace, never truncate: an address file may share its inode with a record. */
	snprintf(path, sizeof(path), "%s/%s/%s", store, sub, name);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static inline bool tu_exists(const char *store, const char *sub, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", store, sub, name);
	return access(path, F_OK) == 0;
}

/* Is addr held by cid/ifname (addr/<addr> begins with "<cid>\n<ifname>\n")? */
static inline bool tu_held_by(const char *store, const char *addr, const char *cid, const char *ifname)
{
	char buf[4096], want[300];

	snprintf(want, sizeof(want), "%s\n%s\n", cid, ifname);
	return tu_read(store, "addr", addr, buf, sizeof(buf)) >= 0 && strncmp(buf, want, strlen(want)) == 0;
}

/* Addresses attach/<cid>:<ifname> lists (after its two header lines), one per row of out. */
static inline int tu_record(const char *store, const char *cid, const char *ifname, char out[][INET_ADDRSTR], int max)
{
	char name[800], buf[4096], *save = NULL, *line;
	int n = 0, i = 0;

	snprintf(name, sizeof(name), "%s:%s", cid, ifname);
	if (tu_read(store, "attach", name, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		if (i == 0)
			assert_string_equal(line, cid);
		else if (i == 1)
			assert_string_equal(line, ifname);
		else if (n < max)
			snprintf(out[n++], INET_ADDRSTR, "%s", line);
	}
	return n;
}

/* Number of addr/ files held by cid/ifname. */
static inline int tu_held_count(const char *store, const char *cid, const char *ifname)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/addr", store);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && tu_held_by(store, de->d_name, cid, ifname))
			n++;
	closedir(d);
	return n;
}

#define TU_LISTED 1    /* every addr/ file is listed by its owner's attach/ record */
#define TU_EXACT 2     /* every addr/ file in a cache's span has its bit set */
#define TU_TMP_EMPTY 4 /* tmp/ is empty */
#define TU_ALL (TU_LISTED | TU_EXACT | TU_TMP_EMPTY)

/* Invariants that hold at every instant, even right after a kill -9:
 *  - every addr/ file is complete ("<cid>\n<ifname>\n" with valid identifiers);
 *  - every bit set in a cache bitmap has its addr/ file;
 *  - every summary bit set has its bitmap word full.
 * plus the TU_* flags' checks, which hold once an operation has completed (or after GC).
 * Returns the number of addr/ files. */
static inline int tu_verify(const char *store, unsigned flags)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/addr", store);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		char buf[4096], *nl, *nl2, rec[IPAM_MAX_SETS * 3][INET_ADDRSTR];
		bool listed = false;
		int k;

		if (de->d_name[0] == '.')
			continue;
		n++;
		/* "<cid>\n<ifname>\n", possibly followed by the address list of the record it is a
		 * hard link to; the whole content ends with a newline. */
		assert_true(tu_read(store, "addr", de->d_name, buf, sizeof(buf)) > 0);
		if (buf[strlen(buf) - 1] != '\n')
			fail_msg("addr/%s is half written: '%s'", de->d_name, buf);
		nl = strchr(buf, '\n');
		*nl = '\0';
		nl2 = strchr(nl + 1, '\n');
		if (!nl2 || !cni_containerid_valid(buf))
			fail_msg("addr/%s has bad content", de->d_name);
		*nl2 = '\0';
		if (!cni_ifname_valid(nl + 1))
			fail_msg("addr/%s has a bad ifname '%s'", de->d_name, nl + 1);
		if (!(flags & TU_LISTED))
			continue;
		k = tu_record(store, buf, nl + 1, rec, IPAM_MAX_SETS * 3);
		for (int i = 0; i < k; i++)
			listed |= strcmp(rec[i], de->d_name) == 0;
		if (!listed)
			fail_msg("addr/%s is held by %s/%s whose record does not list it", de->d_name, buf, nl + 1);
	}
	closedir(d);

	snprintf(path, sizeof(path), "%s/cache", store);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct ipam_cache_hdr h;
		uint64_t *words;
		struct inet_addr start = { 0 };
		char cpath[PATH_MAX + 256];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "%s/%s", path, de->d_name);
		f = fopen(cpath, "r");
		assert_non_null(f);
		assert_int_equal(fread(&h, sizeof(h), 1, f), 1);
		assert_memory_equal(h.magic, IPAM_CACHE_MAGIC, 8);
		words = calloc((size_t)h.nwords + h.nsum, 8);
		assert_non_null(words);
		assert_int_equal(fread(words, 8, (size_t)h.nwords + h.nsum, f), (size_t)h.nwords + h.nsum);
		fclose(f);
		start.family = h.family;
		memcpy(start.bytes, h.start, 16);
		for (uint32_t w = 0; w < h.nwords; w++)
			if ((words[h.nwords + w / 64] >> (w % 64)) & 1)
				assert_true(words[w] == UINT64_MAX);
		/* Set bits: each must have its file. Words that are zero cost nothing. */
		for (uint32_t w = 0; w < h.nwords; w++) {
			for (uint32_t b = 0; words[w] && b < 64 && w * 64 + b < h.nbits; b++) {
				struct inet_addr a = start;

				if (!((words[w] >> b) & 1))
					continue;
				inet_addr_add(&a, w * 64 + b);
				if (!tu_exists(store, "addr", tu_fmt(&a)))
					fail_msg("cache %s: bit for %s is set but addr/%s does not exist", de->d_name,
						 tu_fmt(&a), tu_fmt(&a));
			}
		}
		/* Files in the span: each must have its bit. */
		if (flags & TU_EXACT) {
			char apath[PATH_MAX];
			struct dirent *ae;
			DIR *ad;

			snprintf(apath, sizeof(apath), "%s/addr", store);
			ad = opendir(apath);
			assert_non_null(ad);
			while ((ae = readdir(ad))) {
				struct inet_addr a;
				int64_t off;

				if (!inet_addr_parse(ae->d_name, &a) || a.family != start.family)
					continue;
				off = inet_addr_distance(&start, &a);
				if (off < 0 || off >= (int64_t)h.nbits)
					continue;
				if (!((words[off / 64] >> (off % 64)) & 1))
					fail_msg("cache %s: addr/%s exists but its bit is clear", de->d_name, ae->d_name);
			}
			closedir(ad);
		}
		free(words);
	}
	closedir(d);
	if (flags & TU_TMP_EMPTY)
		assert_int_equal(tu_count(store, "tmp"), 0);
	return n;
}

#endif
