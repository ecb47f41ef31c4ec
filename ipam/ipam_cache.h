/* Internal to the IPAM store: the per-range allocation cache cache/<first>-<last>, a memory
 * mapped bitmap of held addresses with a one-bit-per-word summary and a next-fit cursor. It is a
 * hint only (addr/ is the truth); its invariants are in docs/ipam-store.md. */
#ifndef WEFT_IPAM_CACHE_H
#define WEFT_IPAM_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "ipam.h"
#include "ipam_store.h"

#define IPAM_CACHE_MAGIC "WEFTIPC1"

/* On-disk header, followed by nwords bitmap words then nsum summary words (host endian: the
 * cache never leaves the node, and a foreign one fails the header check and is rebuilt). */
struct ipam_cache_hdr {
	char magic[8];
	uint32_t hdr_size;
	uint32_t nbits;   /* addresses covered: start .. start+nbits-1 */
	uint32_t nwords;  /* ceil(nbits / 64) */
	uint32_t nsum;    /* ceil(nwords / 64) */
	uint8_t family;
	uint8_t pad[7];
	uint8_t start[16];
	uint8_t boot_id[16]; /* the kernel boot the cache was built in: a reboot forces a rebuild */
	uint64_t cursor;  /* next offset to try (next-fit) */
	uint64_t stamp;   /* ordering of the last dynamic allocation among a set's ranges */
};
_Static_assert(sizeof(struct ipam_cache_hdr) == 80, "cache header layout");

/* What the cache needs from the store. */
struct ipam_cache_dirs {
	int cache_fd, addr_fd, tmp_fd;
	uint8_t boot_id[16];
	struct ipam_store_stats *stats;
	const char *tmp_name; /* the name under tmp/ a rebuild writes before renaming */
};

struct ipam_cache {
	const struct ipam_range *range;
	struct ipam_cache_hdr *hdr; /* NULL when not open */
	uint64_t *bits, *sum;
	size_t map_len;
	int64_t reserved[3];        /* offsets never handed out, -1 = none */
};

/* Map the cache of r. A missing or mismatched cache is rebuilt from addr/ when `rebuild` is
 * true; otherwise -ENOENT leaves c closed. 0 or -errno. */
int ipam_cache_open(struct ipam_cache *c, const struct ipam_cache_dirs *d, const struct ipam_range *r, bool rebuild);
/* Rebuild from addr/ now (replacing an open mapping). 0 or -errno. */
int ipam_cache_rebuild(struct ipam_cache *c, const struct ipam_cache_dirs *d, const struct ipam_range *r);
void ipam_cache_close(struct ipam_cache *c);
/* First free, non-reserved offset in [from, to), or -1. Counts probes in stats. */
int64_t ipam_cache_find(struct ipam_cache *c, struct ipam_store_stats *stats, uint32_t from, uint32_t to);
/* Keep the invariants "bit set => addr file exists" and "summary set => word full" true at every
 * instant: set after the file is linked, clear before it is unlinked. */
void ipam_cache_set(struct ipam_cache *c, uint32_t off);
void ipam_cache_clear(struct ipam_cache *c, uint32_t off);
bool ipam_cache_test(const struct ipam_cache *c, uint32_t off);

#endif
