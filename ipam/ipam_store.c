/* The IPAM store: ADD, DEL, CHECK, GC and STATUS on <dataDir>/<network>/ under one flock.
 * addr/<ip> files are the single truth of who holds what; attach/ records are written before the
 * addresses they list are claimed, so every crash leaves state that a retry, DEL or GC completes.
 * docs/ipam-store.md explains each step and why a kill -9 between any two of them is safe. */
#include "ipam_store.h"
#include "ipam_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

void (*ipam_crash_hook)(const char *point);

/* A record lists the attachment's addresses plus, transiently, ones it is about to release. */
#define RECORD_MAX (2 * IPAM_MAX_SETS)
#define OWNER_MAX 512
#define KEY_MAX 256

struct ipam_store {
	const struct ipam_config *cfg;
	char path[PATH_MAX];
	int dir_fd, lock_fd, addr_fd, attach_fd, cache_fd, tmp_fd;
	struct ipam_cache_dirs dirs;
	struct ipam_store_stats stats;
	struct ipam_cache caches[IPAM_MAX_SETS][IPAM_MAX_RANGES]; /* open during one operation */
	char tmp_cache[32];
	unsigned tmp_seq;
	bool foreign_dropped; /* this operation already removed other configs' caches */
};

struct record {
	struct inet_addr addr[RECORD_MAX];
	size_t n;
};

struct owner {
	char cid[KEY_MAX];
	char ifname[16];
};

enum owner_state { OWNER_NONE, OWNER_KNOWN, OWNER_GARBAGE };

static void crash_point(const char *point)
{
	if (ipam_crash_hook)
		ipam_crash_hook(point);
}

static int store_error(struct ipam_store *st, struct cni_error *e, int err, const char *what, const char *sub,
		       const char *name)
{
	return cni_error_set(e, CNI_ERR_STORE, "%s %s%s%s%s%s: %s", what, st->path, sub ? "/" : "", sub ? sub : "",
			     name ? "/" : "", name ? name : "", strerror(err < 0 ? -err : err));
}

/* ---- opening, locking ------------------------------------------------------------------------- */

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int err = -errno;

			*p = '/';
			return err;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int subdir_open(struct ipam_store *st, const char *name, int *fd, struct cni_error *e)
{
	st->stats.syscalls++;
	*fd = openat(st->dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	if (errno != ENOENT)
		return store_error(st, e, errno, "cannot open", name, NULL);
	st->stats.syscalls += 2;
	if (mkdirat(st->dir_fd, name, 0755) < 0 && errno != EEXIST)
		return store_error(st, e, errno, "cannot create", name, NULL);
	*fd = openat(st->dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return store_error(st, e, errno, "cannot open", name, NULL);
	return 0;
}

/* The kernel's boot id, so caches built before a reboot (or a power loss) are not trusted. */
static void boot_id_read(struct ipam_store *st)
{
	char buf[64];
	ssize_t n;
	int fd;

	memset(st->dirs.boot_id, 0, sizeof(st->dirs.boot_id));
	st->stats.syscalls += 3;
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (size_t i = 0, j = 0; buf[i] && j < 32; i++) {
		char c = buf[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			continue;
		st->dirs.boot_id[j / 2] |= (uint8_t)(j % 2 ? v : v << 4);
		j++;
	}
}

int ipam_store_new(struct ipam_store **out, const struct ipam_config *cfg, struct cni_error *e)
{
	struct ipam_store *st = calloc(1, sizeof(*st));
	int rc = -1;

	*out = NULL;
	if (!st)
		return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory");
	st->cfg = cfg;
	st->dir_fd = st->lock_fd = st->addr_fd = st->attach_fd = st->cache_fd = st->tmp_fd = -1;
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/%s", cfg->data_dir, cfg->network) >= sizeof(st->path)) {
		cni_error_set(e, CNI_ERR_STORE, "store path %s/%s is too long", cfg->data_dir, cfg->network);
		goto out;
	}
	st->stats.syscalls++;
	st->dir_fd = open(st->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dir_fd < 0 && errno == ENOENT) {
		char tmp[PATH_MAX];
		int err;

		memcpy(tmp, st->path, sizeof(tmp));
		err = mkdir_p(tmp);
		if (err < 0) {
			store_error(st, e, err, "cannot create", NULL, NULL);
			goto out;
		}
		st->dir_fd = open(st->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (st->dir_fd < 0) {
		store_error(st, e, errno, "cannot open", NULL, NULL);
		goto out;
	}
	st->stats.syscalls++;
	st->lock_fd = openat(st->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lock_fd < 0) {
		store_error(st, e, errno, "cannot open", NULL, "lock");
		goto out;
	}
	if (subdir_open(st, "addr", &st->addr_fd, e) < 0 || subdir_open(st, "attach", &st->attach_fd, e) < 0 ||
	    subdir_open(st, "cache", &st->cache_fd, e) < 0 || subdir_open(st, "tmp", &st->tmp_fd, e) < 0)
		goto out;
	boot_id_read(st);
	st->dirs.cache_fd = st->cache_fd;
	st->dirs.addr_fd = st->addr_fd;
	st->dirs.tmp_fd = st->tmp_fd;
	st->dirs.stats = &st->stats;
	st->dirs.tmp_name = st->tmp_cache;
	*out = st;
	st = NULL;
	rc = 0;
out:
	ipam_store_free(st);
	return rc;
}

static void caches_close(struct ipam_store *st)
{
	for (size_t s = 0; s < IPAM_MAX_SETS; s++)
		for (size_t i = 0; i < IPAM_MAX_RANGES; i++)
			ipam_cache_close(&st->caches[s][i]);
}

void ipam_store_free(struct ipam_store *st)
{
	if (!st)
		return;
	caches_close(st);
	int fds[] = { st->tmp_fd, st->cache_fd, st->attach_fd, st->addr_fd, st->lock_fd, st->dir_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(st);
}

const struct ipam_store_stats *ipam_store_stats(const struct ipam_store *st)
{
	return &st->stats;
}

void ipam_store_stats_reset(struct ipam_store *st)
{
	memset(&st->stats, 0, sizeof(st->stats));
}

const char *ipam_store_path(const struct ipam_store *st)
{
	return st->path;
}

/* Every operation runs under an exclusive flock on <store>/lock; the kernel drops it when the
 * process dies, so a killed plugin never wedges the store. */
static int store_lock(struct ipam_store *st, struct cni_error *e)
{
	st->stats.syscalls++;
	while (flock(st->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return store_error(st, e, errno, "cannot lock", NULL, "lock");
	}
	snprintf(st->tmp_cache, sizeof(st->tmp_cache), "%d.cache", (int)getpid());
	st->foreign_dropped = false;
	return 0;
}

static void store_unlock(struct ipam_store *st)
{
	caches_close(st);
	st->stats.syscalls++;
	flock(st->lock_fd, LOCK_UN);
}

/* ---- small file helpers ---------------------------------------------------------------------- */

/* Read a small file under dir into buf (NUL-terminated). Bytes read, or -errno. */
static ssize_t read_small(struct ipam_store *st, int dir, const char *name, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd;

	st->stats.syscalls++;
	fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		st->stats.syscalls++;
		n = read(fd, buf + total, len - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
		if ((size_t)total == len - 1)
			break;
	}
	st->stats.syscalls++;
	close(fd);
	if (n < 0)
		return -errno;
	buf[total] = '\0';
	return total;
}

/* Create tmp/<pid>.<seq> holding content. The name is unlinked first rather than truncated: a
 * crashed process with the same PID may have left it hard-linked to live addr/ files. */
static int tmp_create(struct ipam_store *st, const char *content, char *name, size_t namelen)
{
	int fd, err;

	snprintf(name, namelen, "%d.%u", (int)getpid(), st->tmp_seq++);
	st->stats.syscalls += 4;
	if (unlinkat(st->tmp_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(st->tmp_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = io_write_all(fd, content, strlen(content));
	close(fd);
	if (err < 0)
		unlinkat(st->tmp_fd, name, 0);
	return err;
}

static void tmp_remove(struct ipam_store *st, const char *name)
{
	st->stats.syscalls++;
	unlinkat(st->tmp_fd, name, 0);
}

static void addr_name(const struct inet_addr *a, char *buf, size_t len)
{
	inet_addr_fmt(a, buf, len);
}

/* "<containerid>:<ifname>": ':' appears in neither (spec identifier rules). */
static int attach_key(const char *cid, const char *ifname, char *key, struct cni_error *e)
{
	if (!cni_containerid_valid(cid))
		return cni_error_set(e, CNI_ERR_ENV, "CNI_CONTAINERID '%.64s' is invalid", cid ? cid : "");
	if (!cni_ifname_valid(ifname))
		return cni_error_set(e, CNI_ERR_ENV, "CNI_IFNAME '%.32s' is invalid", ifname ? ifname : "");
	snprintf(key, KEY_MAX + 16, "%s:%s", cid, ifname);
	return 0;
}

/* ---- addr/ and attach/ ------------------------------------------------------------------------- */

/* Who holds a: OWNER_NONE (no file), OWNER_KNOWN (o filled), OWNER_GARBAGE (unreadable content,
 * possible only after a power loss), or -errno. */
static int owner_get(struct ipam_store *st, const struct inet_addr *a, struct owner *o)
{
	char name[INET_ADDRSTR], buf[OWNER_MAX], *nl, *nl2;
	ssize_t n;

	addr_name(a, name, sizeof(name));
	n = read_small(st, st->addr_fd, name, buf, sizeof(buf));
	if (n == -ENOENT)
		return OWNER_NONE;
	if (n < 0)
		return (int)n;
	/* "<cid>\n<ifname>\n", then (for files linked to a record) the record's address list,
	 * which says nothing about ownership and is ignored. */
	nl = strchr(buf, '\n');
	if (!nl)
		return OWNER_GARBAGE;
	*nl = '\0';
	nl2 = strchr(nl + 1, '\n');
	if (!nl2)
		return OWNER_GARBAGE;
	*nl2 = '\0';
	if (!cni_containerid_valid(buf) || !cni_ifname_valid(nl + 1))
		return OWNER_GARBAGE;
	/* Both fit: validity implies at most 200 and 15 bytes. */
	memcpy(o->cid, buf, strlen(buf) + 1);
	memcpy(o->ifname, nl + 1, strlen(nl + 1) + 1);
	return OWNER_KNOWN;
}

static bool owner_is(const struct owner *o, const char *cid, const char *ifname)
{
	return strcmp(o->cid, cid) == 0 && strcmp(o->ifname, ifname) == 0;
}

/* Parse "cid\nifname\naddr\n..." checking it belongs to (cid, ifname). 0, -ENOENT, -EBADMSG
 * (content not ours or not parseable: only a power loss produces that), or -errno. */
static int record_read(struct ipam_store *st, const char *key, const char *cid, const char *ifname,
		       struct record *rec)
{
	char buf[KEY_MAX + 32 + RECORD_MAX * (INET_ADDRSTR + 1)], *line, *save = NULL;
	ssize_t n;
	int i = 0;

	rec->n = 0;
	n = read_small(st, st->attach_fd, key, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (n == 0 || buf[n - 1] != '\n')
		return -EBADMSG;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		char canon[INET_ADDRSTR];

		if (i == 0 && strcmp(line, cid))
			return -EBADMSG;
		if (i == 1 && strcmp(line, ifname))
			return -EBADMSG;
		if (i < 2)
			continue;
		if (rec->n == RECORD_MAX || !inet_addr_parse(line, &rec->addr[rec->n]) ||
		    strcmp(inet_addr_fmt(&rec->addr[rec->n], canon, sizeof(canon)), line))
			return -EBADMSG;
		rec->n++;
	}
	return i >= 2 ? 0 : -EBADMSG;
}

/* Replace attach/<key> atomically: written under tmp/, then renamed over the old record. */
static int record_write(struct ipam_store *st, const char *key, const char *cid, const char *ifname,
			const struct record *rec)
{
	char buf[KEY_MAX + 32 + RECORD_MAX * (INET_ADDRSTR + 1)], tmp[32];
	size_t len;
	int err;

	len = (size_t)snprintf(buf, sizeof(buf), "%s\n%s\n", cid, ifname);
	for (size_t i = 0; i < rec->n; i++) {
		char a[INET_ADDRSTR];

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", inet_addr_fmt(&rec->addr[i], a, sizeof(a)));
	}
	err = tmp_create(st, buf, tmp, sizeof(tmp));
	if (err < 0)
		return err;
	crash_point("record.written");
	st->stats.syscalls++;
	if (renameat(st->tmp_fd, tmp, st->attach_fd, key) < 0) {
		err = -errno;
		tmp_remove(st, tmp);
		return err;
	}
	crash_point("record.renamed");
	return 0;
}

static int record_remove(struct ipam_store *st, const char *key)
{
	st->stats.syscalls++;
	if (unlinkat(st->attach_fd, key, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- range caches --------------------------------------------------------------------------- */

static int dir_list(struct ipam_store *st, int dir, char ***names, size_t *n);
static void names_free(char **names, size_t n);

static bool cache_is_configured(const struct ipam_store *st, const char *name)
{
	char buf[2 * INET_ADDRSTR + 2];

	for (size_t s = 0; s < st->cfg->n_sets; s++)
		for (size_t k = 0; k < st->cfg->sets[s].n_ranges; k++)
			if (!strcmp(name, ipam_range_fmt(&st->cfg->sets[s].ranges[k], buf, sizeof(buf))))
				return true;
	return false;
}

/* Remove the caches of ranges this config does not have. A release clears bits only in today's
 * caches; a cache left from an earlier config would keep a bit set for the released address and
 * hide it if that config came back. Once per releasing operation: a listing of cache/. */
static int foreign_caches_drop(struct ipam_store *st)
{
	char **names;
	size_t n;
	int err;

	if (st->foreign_dropped)
		return 0;
	err = dir_list(st, st->cache_fd, &names, &n);
	if (err < 0)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (cache_is_configured(st, names[i]))
			continue;
		st->stats.syscalls++;
		if (unlinkat(st->cache_fd, names[i], 0) < 0 && errno != ENOENT)
			err = -errno;
	}
	names_free(names, n);
	st->foreign_dropped = err == 0;
	return err;
}

/* The open cache of the range holding a, or NULL when a is in no configured range's bitmap or the
 * cache is absent / stale and `rebuild` is false (a later open rebuilds it from addr/). */
static struct ipam_cache *cache_for(struct ipam_store *st, const struct inet_addr *a, uint32_t *off)
{
	struct ipam_cache *c;
	size_t s, i;
	int64_t o;

	if (!ipam_config_find(st->cfg, a, &s, &i))
		return NULL;
	o = ipam_range_offset(&st->cfg->sets[s].ranges[i], a);
	if (o < 0)
		return NULL;
	c = &st->caches[s][i];
	if (!c->hdr && ipam_cache_open(c, &st->dirs, &st->cfg->sets[s].ranges[i], false) < 0)
		return NULL;
	*off = (uint32_t)o;
	return c;
}

/* After a's file is linked. */
static void bit_set(struct ipam_store *st, const struct inet_addr *a)
{
	struct ipam_cache *c;
	uint32_t off;

	c = cache_for(st, a, &off);
	if (c)
		ipam_cache_set(c, off);
}

/* Before a's file is unlinked. If the cache exists but cannot be opened, remove it: a set bit
 * with no file would hide a free address until the next rebuild. */
static int bit_clear(struct ipam_store *st, const struct inet_addr *a)
{
	char name[2 * INET_ADDRSTR + 2];
	struct ipam_cache *c;
	uint32_t off;
	size_t s, i;

	c = cache_for(st, a, &off);
	if (c) {
		ipam_cache_clear(c, off);
		return 0;
	}
	if (!ipam_config_find(st->cfg, a, &s, &i) || ipam_range_offset(&st->cfg->sets[s].ranges[i], a) < 0)
		return 0;
	ipam_range_fmt(&st->cfg->sets[s].ranges[i], name, sizeof(name));
	st->stats.syscalls++;
	if (unlinkat(st->cache_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Release a held address: clear its bit, then remove its file. */
static int addr_release(struct ipam_store *st, const struct inet_addr *a)
{
	char name[INET_ADDRSTR];
	int err = foreign_caches_drop(st);

	if (err == 0)
		err = bit_clear(st, a);
	if (err < 0)
		return err;
	addr_name(a, name, sizeof(name));
	st->stats.syscalls++;
	if (unlinkat(st->addr_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int set_caches_open(struct ipam_store *st, size_t s, bool force, struct cni_error *e)
{
	const struct ipam_set *set = &st->cfg->sets[s];

	for (size_t i = 0; i < set->n_ranges; i++) {
		struct ipam_cache *c = &st->caches[s][i];
		int err = 0;

		if (force)
			err = ipam_cache_rebuild(c, &st->dirs, &set->ranges[i]);
		else if (!c->hdr)
			err = ipam_cache_open(c, &st->dirs, &set->ranges[i], true);
		if (err < 0) {
			char name[2 * INET_ADDRSTR + 2];

			return store_error(st, e, err, "cannot build cache", "cache",
					   ipam_range_fmt(&set->ranges[i], name, sizeof(name)));
		}
	}
	return 0;
}

static int exhausted_error(struct ipam_store *st, size_t s, struct cni_error *e)
{
	const struct ipam_set *set = &st->cfg->sets[s];
	char list[200] = "", r[2 * INET_ADDRSTR + 2];
	size_t len = 0;

	for (size_t i = 0; i < set->n_ranges && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					ipam_range_fmt(&set->ranges[i], r, sizeof(r)));
	return cni_error_set(e, CNI_ERR_RANGE_EXHAUSTED, "no free address in range%s %s of %s",
			     set->n_ranges > 1 ? "s" : "", list, set->where);
}

/* Next fit over the set's ranges, like host-local: from the cursor of the range used last, on
 * through the following ranges, wrapping round to just before the cursor. An exhausted answer is
 * confirmed against a cache rebuilt from addr/ before it is given. */
static int pick(struct ipam_store *st, size_t s, struct inet_addr *out, struct cni_error *e)
{
	const struct ipam_set *set = &st->cfg->sets[s];

	for (int pass = 0; pass < 2; pass++) {
		size_t first = 0, n = set->n_ranges;
		uint64_t cursor;

		if (set_caches_open(st, s, pass == 1, e) < 0)
			return -1;
		for (size_t i = 1; i < n; i++)
			if (st->caches[s][i].hdr->stamp > st->caches[s][first].hdr->stamp)
				first = i;
		cursor = st->caches[s][first].hdr->cursor;
		for (size_t j = 0; j <= n; j++) {
			size_t i = (first + j) % n;
			struct ipam_cache *c = &st->caches[s][i];
			uint32_t from = j == 0 ? (uint32_t)cursor : 0;
			uint32_t to = j == n ? (uint32_t)cursor : c->hdr->nbits;
			int64_t off = ipam_cache_find(c, &st->stats, from, to);

			if (off >= 0) {
				*out = set->ranges[i].start;
				inet_addr_add(out, off);
				return 0;
			}
		}
	}
	return exhausted_error(st, s, e);
}

/* After a dynamic pick is linked: move the set's cursor past it. */
static void cursor_advance(struct ipam_store *st, size_t s, const struct inet_addr *a)
{
	const struct ipam_set *set = &st->cfg->sets[s];
	uint64_t stamp = 0;
	size_t k;

	if (!ipam_config_find(st->cfg, a, NULL, &k) || !st->caches[s][k].hdr)
		return;
	for (size_t i = 0; i < set->n_ranges; i++)
		if (st->caches[s][i].hdr && st->caches[s][i].hdr->stamp > stamp)
			stamp = st->caches[s][i].hdr->stamp;
	st->caches[s][k].hdr->cursor = ((uint64_t)ipam_range_offset(&set->ranges[k], a) + 1) % set->ranges[k].nbits;
	st->caches[s][k].hdr->stamp = stamp + 1;
}

/* ---- ADD ------------------------------------------------------------------------------------- */

enum slot_how {
	SLOT_NONE,
	SLOT_HELD,   /* the attachment already holds it */
	SLOT_LISTED, /* listed by a crashed ADD but never linked: claim it now */
	SLOT_REQ,    /* requested by the runtime, free: claim it */
	SLOT_DYN,    /* chosen from the cache: claim it (link may say it was taken) */
	SLOT_NEW,    /* claimed by this call */
};

struct slot {
	struct inet_addr addr;
	enum slot_how how;
	bool dynamic;
};

struct add_ctx {
	const char *cid, *ifname, *key;
	struct record old;     /* the record as found */
	bool old_exists;       /* a record file exists */
	bool old_ok;           /* ... and parsed: old is what is on disk */
	struct slot slots[IPAM_MAX_SETS];
	struct record drop;    /* held addresses the attachment no longer gets (config changed) */
	bool record_written;
	unsigned eexist;
};

static bool record_equal(const struct record *a, const struct record *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!inet_addr_equal(&a->addr[i], &b->addr[i]))
			return false;
	return true;
}

static int owner_error(struct ipam_store *st, const struct inet_addr *a, const char *source, struct cni_error *e)
{
	char abuf[INET_ADDRSTR];
	struct owner o;
	int r = owner_get(st, a, &o);

	inet_addr_fmt(a, abuf, sizeof(abuf));
	if (r == OWNER_KNOWN)
		return cni_error_set(e, CNI_ERR_ADDR_IN_USE, "%s (%s) is held by %s/%s", abuf, source, o.cid, o.ifname);
	return cni_error_set(e, CNI_ERR_ADDR_IN_USE, "%s (%s) is held by an unreadable addr file (run GC)", abuf,
			     source);
}

/* Sort the attachment's current record into slots: what it holds, what a crashed ADD listed. */
static int add_classify(struct ipam_store *st, struct add_ctx *x, struct cni_error *e)
{
	for (size_t i = 0; i < x->old.n; i++) {
		const struct inet_addr *a = &x->old.addr[i];
		struct owner o;
		size_t s, k;
		int r = owner_get(st, a, &o);
		bool mine = r == OWNER_KNOWN && owner_is(&o, x->cid, x->ifname);
		bool usable;

		if (r < 0) {
			char name[INET_ADDRSTR];

			return store_error(st, e, r, "cannot read", "addr", inet_addr_fmt(a, name, sizeof(name)));
		}
		usable = ipam_config_find(st->cfg, a, &s, &k) && !ipam_range_reserved(&st->cfg->sets[s].ranges[k], a);
		if (!usable || (mine && x->slots[s].how == SLOT_HELD)) {
			/* Out of today's ranges, now reserved, or a second one from a set. */
			if (mine)
				x->drop.addr[x->drop.n++] = *a;
			continue;
		}
		if (mine) {
			x->slots[s] = (struct slot){ .addr = *a, .how = SLOT_HELD };
		} else if (r == OWNER_NONE && x->slots[s].how == SLOT_NONE) {
			x->slots[s] = (struct slot){ .addr = *a, .how = SLOT_LISTED };
		}
	}
	return 0;
}

static int add_requests(struct ipam_store *st, struct add_ctx *x, const struct ipam_request *req,
			struct cni_error *e)
{
	for (size_t s = 0; req && s < st->cfg->n_sets; s++) {
		const struct inet_addr *a = &req->addr[s];
		char abuf[INET_ADDRSTR], hbuf[INET_ADDRSTR];
		struct owner o;
		int r;

		if (!a->family)
			continue;
		if (x->slots[s].how == SLOT_HELD) {
			if (inet_addr_equal(&x->slots[s].addr, a))
				continue;
			return cni_error_set(e, strncmp(req->source[s], "CNI_ARGS", 8) ? CNI_ERR_CONFIG : CNI_ERR_ENV,
					     "%s: %s/%s already holds %s from %s, not %s; DEL it first to change its address",
					     req->source[s], x->cid, x->ifname, inet_addr_fmt(&x->slots[s].addr, hbuf, sizeof(hbuf)),
					     st->cfg->sets[s].where, inet_addr_fmt(a, abuf, sizeof(abuf)));
		}
		r = owner_get(st, a, &o);
		if (r < 0)
			return store_error(st, e, r, "cannot read", "addr", inet_addr_fmt(a, abuf, sizeof(abuf)));
		if (r == OWNER_KNOWN && owner_is(&o, x->cid, x->ifname))
			x->slots[s] = (struct slot){ .addr = *a, .how = SLOT_HELD };
		else if (r != OWNER_NONE)
			return owner_error(st, a, req->source[s], e);
		else
			x->slots[s] = (struct slot){ .addr = *a, .how = SLOT_REQ };
	}
	return 0;
}

static void add_intent(const struct ipam_store *st, const struct add_ctx *x, struct record *rec)
{
	rec->n = 0;
	for (size_t s = 0; s < st->cfg->n_sets; s++)
		rec->addr[rec->n++] = x->slots[s].addr;
	for (size_t i = 0; i < x->drop.n; i++)
		rec->addr[rec->n++] = x->drop.addr[i];
}

/* Undo a failed ADD: release what this call claimed, put the record back as it was. */
static void add_rollback(struct ipam_store *st, struct add_ctx *x)
{
	for (size_t s = 0; s < st->cfg->n_sets; s++)
		if (x->slots[s].how == SLOT_NEW)
			addr_release(st, &x->slots[s].addr);
	if (x->record_written) {
		if (x->old_exists && x->old.n)
			record_write(st, x->key, x->cid, x->ifname, &x->old);
		else
			record_remove(st, x->key);
	}
}

/* Claim every slot still to be claimed. The record listing them is in place first, so a crash
 * after any link leaves each claimed address listed by its owner. Each address file is a hard
 * link to that record: it starts with the owner's two lines, complete before it has a name. */
static int add_claim(struct ipam_store *st, struct add_ctx *x, struct cni_error *e)
{
	struct record cur = x->old, intent;
	int err;

again:
	add_intent(st, x, &intent);
	/* The common repeat ADD finds its record already right and writes nothing. */
	if (!((x->old_ok || x->record_written) && record_equal(&intent, &cur))) {
		err = record_write(st, x->key, x->cid, x->ifname, &intent);
		if (err < 0)
			return store_error(st, e, err, "cannot write", "attach", x->key);
		x->record_written = true;
		cur = intent;
	}
	for (size_t s = 0; s < st->cfg->n_sets; s++) {
		struct slot *sl = &x->slots[s];
		char name[INET_ADDRSTR];

		if (sl->how == SLOT_HELD || sl->how == SLOT_NEW)
			continue;
		addr_name(&sl->addr, name, sizeof(name));
		st->stats.links++;
		st->stats.syscalls++;
		if (linkat(st->attach_fd, x->key, st->addr_fd, name, 0) == 0) {
			bool dyn = sl->how == SLOT_DYN;

			sl->how = SLOT_NEW;
			crash_point("add.link");
			bit_set(st, &sl->addr);
			if (dyn)
				cursor_advance(st, s, &sl->addr);
			crash_point("add.bit");
			continue;
		}
		if (errno != EEXIST)
			return store_error(st, e, errno, "cannot link", "addr", name);
		/* Taken although the cache said free (a crash between link and bit, or a hand-made
		 * file): record the truth and choose again. A few misses mean the cache is stale:
		 * rebuild it, after which the cache is exact and no miss can recur. */
		bit_set(st, &sl->addr);
		if (sl->how == SLOT_REQ)
			return owner_error(st, &sl->addr, "requested", e);
		if (++x->eexist > 2 * IPAM_MAX_SETS + 8)
			return cni_error_set(e, CNI_ERR_STORE, "%s: the cache keeps offering held addresses", st->path);
		if (x->eexist % 4 == 0 && set_caches_open(st, s, true, e) < 0)
			return -1;
		if (pick(st, s, &sl->addr, e) < 0)
			return -1;
		sl->how = SLOT_DYN;
		goto again;
	}
	return 0;
}

int ipam_store_add(struct ipam_store *st, const struct ipam_request *req, const char *cid, const char *ifname,
		   struct ipam_lease *lease, struct cni_error *e)
{
	char key[KEY_MAX + 16];
	struct add_ctx x = { .cid = cid, .ifname = ifname, .key = key };
	int rc = -1, err;

	memset(lease, 0, sizeof(*lease));
	if (attach_key(cid, ifname, key, e) < 0 || store_lock(st, e) < 0)
		return -1;
	err = record_read(st, key, cid, ifname, &x.old);
	x.old_exists = err == 0 || err == -EBADMSG;
	x.old_ok = err == 0;
	if (err < 0 && err != -ENOENT && err != -EBADMSG) {
		store_error(st, e, err, "cannot read", "attach", key);
		goto out;
	}
	if (add_classify(st, &x, e) < 0 || add_requests(st, &x, req, e) < 0)
		goto out;
	for (size_t s = 0; s < st->cfg->n_sets; s++) {
		if (x.slots[s].how != SLOT_NONE)
			continue;
		if (pick(st, s, &x.slots[s].addr, e) < 0)
			goto out;
		x.slots[s].how = SLOT_DYN;
	}
	/* The intent record lists slots and drops; if that would not fit (only after repeated
	 * crashes across config changes), release the drops first: the old record still lists them. */
	if (st->cfg->n_sets + x.drop.n > RECORD_MAX) {
		for (size_t i = 0; i < x.drop.n; i++) {
			err = addr_release(st, &x.drop.addr[i]);
			if (err < 0) {
				store_error(st, e, err, "cannot release an address in", "addr", NULL);
				goto out;
			}
		}
		x.drop.n = 0;
	}
	if (add_claim(st, &x, e) < 0)
		goto out;
	/* Config changed under a live attachment: release what it no longer gets, then drop those
	 * addresses from the record. */
	if (x.drop.n) {
		struct record final;

		for (size_t i = 0; i < x.drop.n; i++) {
			err = addr_release(st, &x.drop.addr[i]);
			if (err < 0) {
				store_error(st, e, err, "cannot release an address in", "addr", NULL);
				goto out;
			}
			crash_point("add.drop");
		}
		x.drop.n = 0;
		add_intent(st, &x, &final);
		err = record_write(st, key, cid, ifname, &final);
		if (err < 0) {
			store_error(st, e, err, "cannot write", "attach", key);
			goto out;
		}
	}
	for (size_t s = 0; s < st->cfg->n_sets; s++)
		lease->addr[lease->n++] = x.slots[s].addr;
	rc = 0;
out:
	if (rc < 0)
		add_rollback(st, &x);
	store_unlock(st);
	return rc;
}

/* ---- DEL, CHECK ------------------------------------------------------------------------------ */

/* Release everything attach/<key> lists that (cid, ifname) holds, then the record itself. */
static int release_attachment(struct ipam_store *st, const char *key, const char *cid, const char *ifname,
			      struct cni_error *e)
{
	struct record rec;
	int err = record_read(st, key, cid, ifname, &rec);

	if (err == -ENOENT)
		return 0;
	if (err < 0 && err != -EBADMSG)
		return store_error(st, e, err, "cannot read", "attach", key);
	for (size_t i = 0; err == 0 && i < rec.n; i++) {
		char name[INET_ADDRSTR];
		struct owner o;
		int r = owner_get(st, &rec.addr[i], &o);

		addr_name(&rec.addr[i], name, sizeof(name));
		if (r < 0)
			return store_error(st, e, r, "cannot read", "addr", name);
		if (r != OWNER_KNOWN || !owner_is(&o, cid, ifname))
			continue;
		r = addr_release(st, &rec.addr[i]);
		if (r < 0)
			return store_error(st, e, r, "cannot release", "addr", name);
		crash_point("del.addr");
	}
	err = record_remove(st, key);
	if (err < 0)
		return store_error(st, e, err, "cannot remove", "attach", key);
	crash_point("del.record");
	return 0;
}

int ipam_store_del(struct ipam_store *st, const char *cid, const char *ifname, struct cni_error *e)
{
	char key[KEY_MAX + 16];
	int rc;

	if (attach_key(cid, ifname, key, e) < 0 || store_lock(st, e) < 0)
		return -1;
	rc = release_attachment(st, key, cid, ifname, e);
	store_unlock(st);
	return rc;
}

int ipam_store_check(struct ipam_store *st, const char *cid, const char *ifname, const struct cni_result *expect,
		     struct cni_error *e)
{
	char key[KEY_MAX + 16], abuf[INET_ADDRSTR];
	bool covered[IPAM_MAX_SETS] = { false };
	struct record rec;
	int rc = -1, err;

	if (attach_key(cid, ifname, key, e) < 0 || store_lock(st, e) < 0)
		return -1;
	err = record_read(st, key, cid, ifname, &rec);
	if (err == -ENOENT) {
		cni_error_set(e, CNI_ERR_UNKNOWN_CONTAINER, "%s/%s holds no address in network %s", cid, ifname,
			      st->cfg->network);
		goto out;
	}
	if (err < 0) {
		store_error(st, e, err, "cannot read", "attach", key);
		goto out;
	}
	for (size_t i = 0; i < rec.n; i++) {
		struct owner o;
		size_t s;
		int r = owner_get(st, &rec.addr[i], &o);

		inet_addr_fmt(&rec.addr[i], abuf, sizeof(abuf));
		if (r < 0) {
			store_error(st, e, r, "cannot read", "addr", abuf);
			goto out;
		}
		if (r == OWNER_NONE) {
			cni_error_set(e, CNI_ERR_CHECK_FAILED, "%s of %s/%s is not held: %s/addr/%s is missing", abuf,
				      cid, ifname, st->path, abuf);
			goto out;
		}
		if (r != OWNER_KNOWN || !owner_is(&o, cid, ifname)) {
			cni_error_set(e, CNI_ERR_CHECK_FAILED, "%s of %s/%s is held by %s%s%s", abuf, cid, ifname,
				      r == OWNER_KNOWN ? o.cid : "an unreadable addr file", r == OWNER_KNOWN ? "/" : "",
				      r == OWNER_KNOWN ? o.ifname : "");
			goto out;
		}
		if (ipam_config_find(st->cfg, &rec.addr[i], &s, NULL))
			covered[s] = true;
	}
	for (size_t s = 0; s < st->cfg->n_sets; s++) {
		if (!covered[s]) {
			cni_error_set(e, CNI_ERR_CHECK_FAILED, "%s/%s holds no address from %s", cid, ifname,
				      st->cfg->sets[s].where);
			goto out;
		}
	}
	for (size_t i = 0; expect && i < expect->n_ips; i++) {
		const struct inet_addr *a = &expect->ips[i].addr.addr;
		bool found = false;

		if (!ipam_config_find(st->cfg, a, NULL, NULL))
			continue;
		for (size_t k = 0; k < rec.n && !found; k++)
			found = inet_addr_equal(a, &rec.addr[k]);
		if (!found) {
			cni_error_set(e, CNI_ERR_CHECK_FAILED, "prevResult address %s is not held by %s/%s",
				      inet_addr_fmt(a, abuf, sizeof(abuf)), cid, ifname);
			goto out;
		}
	}
	rc = 0;
out:
	store_unlock(st);
	return rc;
}

/* ---- GC, STATUS ------------------------------------------------------------------------------ */

/* Names in a directory (without . and ..), malloc'd; -errno. Listed before anything is removed,
 * because readdir over a changing directory may skip entries. */
static int dir_list(struct ipam_store *st, int dir, char ***names, size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int fd, err = 0;

	*names = NULL;
	*n = 0;
	st->stats.syscalls += 3;
	fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (*n == cap) {
			char **nn = realloc(*names, (cap = cap ? cap * 2 : 64) * sizeof(char *));

			if (!nn) {
				err = -ENOMEM;
				break;
			}
			*names = nn;
		}
		if (!((*names)[*n] = strdup(de->d_name))) {
			err = -ENOMEM;
			break;
		}
		(*n)++;
	}
	closedir(d);
	return err;
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

struct claim {
	struct inet_addr addr;
	char *id; /* "cid\0ifname" */
};

static int claim_cmp(const void *a, const void *b)
{
	return inet_addr_cmp(&((const struct claim *)a)->addr, &((const struct claim *)b)->addr);
}

static int attachment_cmp(const void *a, const void *b)
{
	const struct cni_attachment *x = a, *y = b;
	int c = strcmp(x->containerid, y->containerid);

	return c ? c : strcmp(x->ifname, y->ifname);
}

struct gc_ctx {
	struct claim *claims;
	size_t n_claims, cap;
	struct cni_attachment *valid; /* sorted copy */
	size_t n_valid;
	bool has_valid;
};

static int claims_add(struct gc_ctx *g, const struct record *rec, const char *cid, const char *ifname)
{
	for (size_t i = 0; i < rec->n; i++) {
		size_t lc = strlen(cid), li = strlen(ifname);
		struct claim *c;

		if (g->n_claims == g->cap) {
			struct claim *nc = realloc(g->claims, (g->cap = g->cap ? g->cap * 2 : 256) * sizeof(*nc));

			if (!nc)
				return -ENOMEM;
			g->claims = nc;
		}
		c = &g->claims[g->n_claims];
		c->addr = rec->addr[i];
		c->id = malloc(lc + li + 2);
		if (!c->id)
			return -ENOMEM;
		memcpy(c->id, cid, lc + 1);
		memcpy(c->id + lc + 1, ifname, li + 1);
		g->n_claims++;
	}
	return 0;
}

/* Step 1: release attachments the runtime no longer has; collect what the rest claim. */
static int gc_attachments(struct ipam_store *st, struct gc_ctx *g, struct cni_error *e)
{
	char **names;
	size_t n;
	int err = dir_list(st, st->attach_fd, &names, &n), rc = -1;

	if (err < 0)
		return store_error(st, e, err, "cannot list", "attach", NULL);
	for (size_t i = 0; i < n; i++) {
		struct cni_attachment key;
		char *colon = strchr(names[i], ':');
		struct record rec;

		memset(&key, 0, sizeof(key));
		if (colon && (size_t)(colon - names[i]) < sizeof(key.containerid)) {
			memcpy(key.containerid, names[i], (size_t)(colon - names[i]));
			snprintf(key.ifname, sizeof(key.ifname), "%s", colon + 1);
		}
		if (!colon || !cni_containerid_valid(key.containerid) || !cni_ifname_valid(colon + 1) ||
		    strlen(colon + 1) >= sizeof(key.ifname)) {
			/* Not a name ADD writes: nothing can use it. */
			err = record_remove(st, names[i]);
			if (err < 0) {
				store_error(st, e, err, "cannot remove", "attach", names[i]);
				goto out;
			}
			crash_point("gc.junk");
			continue;
		}
		if (g->has_valid &&
		    (!g->n_valid || !bsearch(&key, g->valid, g->n_valid, sizeof(key), attachment_cmp))) {
			if (release_attachment(st, names[i], key.containerid, key.ifname, e) < 0)
				goto out;
			continue;
		}
		err = record_read(st, names[i], key.containerid, key.ifname, &rec);
		if (err == -EBADMSG) {
			/* Unparseable (power loss): its addresses become orphans, removed below. */
			err = record_remove(st, names[i]);
			crash_point("gc.junk");
		} else if (err == 0) {
			err = claims_add(g, &rec, key.containerid, key.ifname);
		}
		if (err < 0 && err != -ENOENT) {
			store_error(st, e, err, "cannot read", "attach", names[i]);
			goto out;
		}
	}
	rc = 0;
out:
	names_free(names, n);
	return rc;
}

/* Step 2: an address file stays only when its owner's record lists it. */
static int gc_addresses(struct ipam_store *st, struct gc_ctx *g, struct cni_error *e)
{
	char **names;
	size_t n;
	int err = dir_list(st, st->addr_fd, &names, &n), rc = -1;

	if (err < 0)
		return store_error(st, e, err, "cannot list", "addr", NULL);
	if (g->n_claims)
		qsort(g->claims, g->n_claims, sizeof(*g->claims), claim_cmp);
	for (size_t i = 0; i < n; i++) {
		char canon[INET_ADDRSTR];
		struct claim probe, *lo;
		struct owner o;
		size_t first, count = 0;
		bool keep = false;
		int r;

		if (!inet_addr_parse(names[i], &probe.addr) ||
		    strcmp(inet_addr_fmt(&probe.addr, canon, sizeof(canon)), names[i])) {
			st->stats.syscalls++;
			if (unlinkat(st->addr_fd, names[i], 0) < 0 && errno != ENOENT) {
				store_error(st, e, errno, "cannot remove", "addr", names[i]);
				goto out;
			}
			continue;
		}
		/* Lower bound of the claims on this address. */
		first = 0;
		for (size_t hi = g->n_claims; first < hi;) {
			size_t mid = (first + hi) / 2;

			if (claim_cmp(&g->claims[mid], &probe) < 0)
				first = mid + 1;
			else
				hi = mid;
		}
		lo = &g->claims[first];
		while (first + count < g->n_claims && inet_addr_equal(&lo[count].addr, &probe.addr))
			count++;
		r = owner_get(st, &probe.addr, &o);
		if (r < 0) {
			store_error(st, e, r, "cannot read", "addr", names[i]);
			goto out;
		}
		if (r == OWNER_NONE)
			continue;
		for (size_t k = 0; r == OWNER_KNOWN && k < count && !keep; k++)
			keep = owner_is(&o, lo[k].id, lo[k].id + strlen(lo[k].id) + 1);
		if (keep)
			continue;
		if (r == OWNER_GARBAGE && count == 1) {
			/* Content lost to a power loss, one record claims it: give it back. */
			char content[KEY_MAX + 32], tmp[32];

			snprintf(content, sizeof(content), "%s\n%s\n", lo[0].id, lo[0].id + strlen(lo[0].id) + 1);
			err = tmp_create(st, content, tmp, sizeof(tmp));
			st->stats.syscalls++;
			if (err == 0 && renameat(st->tmp_fd, tmp, st->addr_fd, names[i]) < 0)
				err = -errno;
			if (err < 0) {
				store_error(st, e, err, "cannot repair", "addr", names[i]);
				goto out;
			}
			crash_point("gc.repair");
			continue;
		}
		err = addr_release(st, &probe.addr);
		if (err < 0) {
			store_error(st, e, err, "cannot remove", "addr", names[i]);
			goto out;
		}
		crash_point("gc.orphan");
	}
	rc = 0;
out:
	names_free(names, n);
	return rc;
}

/* Step 3 and 4: empty tmp/, drop caches of ranges no longer configured, rebuild the others. */
static int gc_tmp_and_caches(struct ipam_store *st, struct cni_error *e)
{
	char **names;
	size_t n;
	int err = dir_list(st, st->tmp_fd, &names, &n);

	if (err < 0)
		return store_error(st, e, err, "cannot list", "tmp", NULL);
	for (size_t i = 0; i < n; i++) {
		st->stats.syscalls++;
		if (unlinkat(st->tmp_fd, names[i], 0) < 0 && errno != ENOENT)
			err = -errno;
		crash_point("gc.tmp");
	}
	names_free(names, n);
	if (err < 0)
		return store_error(st, e, err, "cannot clean", "tmp", NULL);

	st->foreign_dropped = false;
	err = foreign_caches_drop(st);
	if (err < 0)
		return store_error(st, e, err, "cannot clean", "cache", NULL);
	for (size_t s = 0; s < st->cfg->n_sets; s++) {
		if (set_caches_open(st, s, true, e) < 0)
			return -1;
		crash_point("gc.cache");
	}
	return 0;
}

int ipam_store_gc(struct ipam_store *st, bool has_valid, const struct cni_attachment *valid, size_t n,
		  struct cni_error *e)
{
	struct gc_ctx g = { .has_valid = has_valid, .n_valid = n };
	int rc = -1;

	if (n) {
		g.valid = malloc(n * sizeof(*valid));
		if (!g.valid)
			return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory");
		memcpy(g.valid, valid, n * sizeof(*valid));
		qsort(g.valid, n, sizeof(*valid), attachment_cmp);
	}
	if (store_lock(st, e) < 0)
		goto out_free;
	if (gc_attachments(st, &g, e) < 0 || gc_addresses(st, &g, e) < 0 || gc_tmp_and_caches(st, e) < 0)
		goto out;
	rc = 0;
out:
	store_unlock(st);
out_free:
	for (size_t i = 0; i < g.n_claims; i++)
		free(g.claims[i].id);
	free(g.claims);
	free(g.valid);
	return rc;
}

int ipam_store_status(struct ipam_store *st, struct cni_error *e)
{
	char tmp[32];
	int err;

	if (store_lock(st, e) < 0)
		return -1;
	err = tmp_create(st, "status\n", tmp, sizeof(tmp));
	if (err == 0)
		tmp_remove(st, tmp);
	store_unlock(st);
	if (err < 0)
		return store_error(st, e, err, "cannot write in", "tmp", NULL);
	return 0;
}
