/* The per-range allocation cache of the IPAM store: a memory-mapped bitmap of held addresses
 * plus a summary bitmap (one bit per full word), so finding the next free address reads a bounded
 * number of words however full the range is. Rebuilt from addr/ whenever it cannot be trusted. */
#include "ipam_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

#define FULL UINT64_MAX

struct cache_geom {
	uint32_t nbits, nwords, nsum;
	size_t len;
};

static struct cache_geom geom(const struct ipam_range *r)
{
	struct cache_geom g;

	g.nbits = r->nbits;
	g.nwords = (g.nbits + 63) / 64;
	g.nsum = (g.nwords + 63) / 64;
	g.len = sizeof(struct ipam_cache_hdr) + 8 * ((size_t)g.nwords + g.nsum);
	return g;
}

static void cache_name(const struct ipam_range *r, char *buf, size_t len)
{
	ipam_range_fmt(r, buf, len);
}

static void reserved_compute(struct ipam_cache *c, const struct ipam_range *r)
{
	struct inet_addr net, last;
	size_t n = 0;

	inet_prefix_network(&r->subnet, &net);
	inet_prefix_last(&r->subnet, &last);
	c->reserved[0] = c->reserved[1] = c->reserved[2] = -1;
	c->reserved[n++] = ipam_range_offset(r, &net);
	if (r->subnet.addr.family == AF_INET)
		c->reserved[n++] = ipam_range_offset(r, &last);
	if (r->gateway.family)
		c->reserved[n++] = ipam_range_offset(r, &r->gateway);
}

static bool is_reserved(const struct ipam_cache *c, uint64_t off)
{
	return (int64_t)off == c->reserved[0] || (int64_t)off == c->reserved[1] || (int64_t)off == c->reserved[2];
}

/* The header describes exactly this range (the boot id is checked separately). */
static bool hdr_same_range(const struct ipam_cache_hdr *h, const struct ipam_range *r)
{
	struct cache_geom g = geom(r);

	return memcmp(h->magic, IPAM_CACHE_MAGIC, 8) == 0 && h->hdr_size == sizeof(*h) && h->nbits == g.nbits &&
	       h->nwords == g.nwords && h->nsum == g.nsum && h->family == r->start.family &&
	       memcmp(h->start, r->start.bytes, 16) == 0;
}

void ipam_cache_close(struct ipam_cache *c)
{
	if (c->hdr)
		munmap(c->hdr, c->map_len);
	c->hdr = NULL;
	c->bits = c->sum = NULL;
	c->map_len = 0;
}

static int cache_map(struct ipam_cache *c, const struct ipam_cache_dirs *d, int fd, const struct cache_geom *g)
{
	void *p;

	d->stats->syscalls++;
	p = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->hdr = p;
	c->map_len = g->len;
	c->bits = (uint64_t *)((char *)p + sizeof(struct ipam_cache_hdr));
	c->sum = c->bits + g->nwords;
	return 0;
}

/* Cursor and stamp of an existing cache file for the same range, so a rebuild keeps the
 * round-robin position (a just-freed address is not handed out again at once). */
static void salvage(const struct ipam_cache_dirs *d, const struct ipam_range *r, const char *name,
		    uint64_t *cursor, uint64_t *stamp)
{
	struct ipam_cache_hdr h;
	int fd;

	*cursor = *stamp = 0;
	d->stats->syscalls += 3;
	fd = openat(d->cache_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && hdr_same_range(&h, r)) {
		*cursor = h.cursor;
		*stamp = h.stamp;
	}
	close(fd);
}

/* Mark in `bits` every address of r that has a file under addr/. */
static int fill_from_addr_dir(const struct ipam_cache_dirs *d, const struct ipam_range *r, uint64_t *bits)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	d->stats->syscalls += 3;
	fd = openat(d->addr_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		int err = -errno;

		close(fd);
		return err;
	}
	errno = 0;
	while ((de = readdir(dir))) {
		char canon[INET_ADDRSTR];
		struct inet_addr a;
		int64_t off;

		/* Only canonical names count: they are the only ones ADD ever links. */
		if (!inet_addr_parse(de->d_name, &a) || strcmp(inet_addr_fmt(&a, canon, sizeof(canon)), de->d_name))
			continue;
		off = ipam_range_offset(r, &a);
		if (off >= 0)
			bits[off / 64] |= 1ULL << (off % 64);
	}
	closedir(dir);
	return 0;
}

static int cache_build(struct ipam_cache *c, const struct ipam_cache_dirs *d, const struct ipam_range *r,
		       uint64_t cursor, uint64_t stamp)
{
	struct cache_geom g = geom(r);
	struct ipam_cache_hdr *h;
	uint64_t *bits, *sum;
	char name[2 * INET_ADDRSTR + 2];
	int fd = -1, err;
	char *buf;

	cache_name(r, name, sizeof(name));
	buf = calloc(1, g.len);
	if (!buf)
		return -ENOMEM;
	h = (struct ipam_cache_hdr *)buf;
	memcpy(h->magic, IPAM_CACHE_MAGIC, 8);
	h->hdr_size = sizeof(*h);
	h->nbits = g.nbits;
	h->nwords = g.nwords;
	h->nsum = g.nsum;
	h->family = r->start.family;
	memcpy(h->start, r->start.bytes, 16);
	memcpy(h->boot_id, d->boot_id, 16);
	h->cursor = cursor < g.nbits ? cursor : 0;
	h->stamp = stamp;
	bits = (uint64_t *)(buf + sizeof(*h));
	sum = bits + g.nwords;
	/* Padding bits past the end read as held, so the last word can be "full". */
	if (g.nbits % 64)
		bits[g.nwords - 1] = FULL << (g.nbits % 64);
	if (g.nwords % 64)
		sum[g.nsum - 1] = FULL << (g.nwords % 64);
	err = fill_from_addr_dir(d, r, bits);
	if (err < 0)
		goto out;
	for (uint32_t w = 0; w < g.nwords; w++)
		if (bits[w] == FULL)
			sum[w / 64] |= 1ULL << (w % 64);

	/* Written aside and renamed into place: a reader never maps a half-built cache. */
	d->stats->syscalls += 4;
	if (unlinkat(d->tmp_fd, d->tmp_name, 0) < 0 && errno != ENOENT) {
		err = -errno;
		goto out;
	}
	fd = openat(d->tmp_fd, d->tmp_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = io_write_all(fd, buf, g.len);
	if (err < 0)
		goto out;
	if (renameat(d->tmp_fd, d->tmp_name, d->cache_fd, name) < 0) {
		err = -errno;
		goto out;
	}
	err = cache_map(c, d, fd, &g);
	d->stats->rebuilds++;
out:
	if (fd >= 0) {
		if (err < 0)
			unlinkat(d->tmp_fd, d->tmp_name, 0);
		close(fd);
	}
	free(buf);
	return err;
}

int ipam_cache_rebuild(struct ipam_cache *c, const struct ipam_cache_dirs *d, const struct ipam_range *r)
{
	char name[2 * INET_ADDRSTR + 2];
	uint64_t cursor = 0, stamp = 0;

	if (c->hdr && hdr_same_range(c->hdr, r)) {
		cursor = c->hdr->cursor;
		stamp = c->hdr->stamp;
	} else {
		cache_name(r, name, sizeof(name));
		salvage(d, r, name, &cursor, &stamp);
	}
	ipam_cache_close(c);
	c->range = r;
	reserved_compute(c, r);
	return cache_build(c, d, r, cursor, stamp);
}

int ipam_cache_open(struct ipam_cache *c, const struct ipam_cache_dirs *d, const struct ipam_range *r, bool rebuild)
{
	char name[2 * INET_ADDRSTR + 2];
	struct cache_geom g = geom(r);
	struct stat sb;
	int fd, err;

	memset(c, 0, sizeof(*c));
	c->range = r;
	reserved_compute(c, r);
	cache_name(r, name, sizeof(name));
	d->stats->syscalls++;
	fd = openat(d->cache_fd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT && rebuild)
			return cache_build(c, d, r, 0, 0);
		return err;
	}
	d->stats->syscalls += 2;
	if (fstat(fd, &sb) == 0 && (size_t)sb.st_size == g.len && cache_map(c, d, fd, &g) == 0 &&
	    hdr_same_range(c->hdr, r) && memcmp(c->hdr->boot_id, d->boot_id, 16) == 0) {
		if (c->hdr->cursor >= g.nbits)
			c->hdr->cursor = 0;
		close(fd);
		return 0;
	}
	close(fd);
	if (!rebuild) {
		ipam_cache_close(c);
		return -ENOENT;
	}
	return ipam_cache_rebuild(c, d, r);
}

bool ipam_cache_test(const struct ipam_cache *c, uint32_t off)
{
	return off < c->hdr->nbits && (c->bits[off / 64] >> (off % 64)) & 1;
}

void ipam_cache_set(struct ipam_cache *c, uint32_t off)
{
	uint32_t w = off / 64;

	if (off >= c->hdr->nbits)
		return;
	c->bits[w] |= 1ULL << (off % 64);
	/* The summary follows the word, never leads it: a crash in between leaves "word full,
	 * summary clear", which the search corrects. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (c->bits[w] == FULL)
		c->sum[w / 64] |= 1ULL << (w % 64);
}

void ipam_cache_clear(struct ipam_cache *c, uint32_t off)
{
	uint32_t w = off / 64;

	if (off >= c->hdr->nbits)
		return;
	c->sum[w / 64] &= ~(1ULL << (w % 64));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	c->bits[w] &= ~(1ULL << (off % 64));
}

int64_t ipam_cache_find(struct ipam_cache *c, struct ipam_store_stats *stats, uint32_t from, uint32_t to)
{
	uint64_t w, s, word, sword;

	if (to > c->hdr->nbits)
		to = c->hdr->nbits;
	if (from >= to)
		return -1;
	w = from / 64;
	word = c->bits[w] | ((1ULL << (from % 64)) - 1);
	for (;;) {
		stats->probes++;
		while (word != FULL) {
			unsigned b = (unsigned)__builtin_ctzll(~word);
			uint64_t off = w * 64 + b;

			if (off >= to)
				return -1;
			if (!is_reserved(c, off))
				return (int64_t)off;
			word |= 1ULL << b;
		}
		/* A full word whose summary bit is clear (a crash between the two stores of
		 * ipam_cache_set): repair the summary so the next search skips it. */
		if (c->bits[w] == FULL)
			c->sum[w / 64] |= 1ULL << (w % 64);
		if (++w * 64 >= to)
			return -1;
		/* Skip full words 64 at a time through the summary. */
		s = w / 64;
		sword = c->sum[s] | ((1ULL << (w % 64)) - 1);
		stats->probes++;
		while (sword == FULL) {
			if (++s * 64 * 64 >= to)
				return -1;
			sword = c->sum[s];
			stats->probes++;
		}
		w = s * 64 + (unsigned)__builtin_ctzll(~sword);
		if (w * 64 >= to)
			return -1;
		word = c->bits[w];
	}
}
