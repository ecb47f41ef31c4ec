/* weft-ipam's on-disk store under <dataDir>/<network>/: one file per held address (the truth),
 * one record per attachment, a bitmap cache per range (a hint), all under one flock.
 * Layout, write ordering and crash recovery are documented in docs/ipam-store.md. */
#ifndef WEFT_IPAM_STORE_H
#define WEFT_IPAM_STORE_H

#include "ipam.h"

struct ipam_store;

/* Counters that make the allocator's cost observable without timing it. */
struct ipam_store_stats {
	unsigned long syscalls; /* file system calls made by the store */
	unsigned long probes;   /* bitmap words read while searching for a free address */
	unsigned long links;    /* link() attempts to claim an address */
	unsigned long rebuilds; /* range caches rebuilt from addr/ */
};

/* Tests only: called with a point's name between every two steps that change the store
 * (docs/ipam-store.md lists them). NULL in production. */
extern void (*ipam_crash_hook)(const char *point);

/* Open (creating it when missing) the store of cfg->network under cfg->data_dir; cfg must
 * outlive the store. Nothing is locked yet: every operation below takes the lock for its
 * duration. A handle must not be used on both sides of a fork() (the flock belongs to the open
 * file, which the fork shares): each process opens its own. Code 108 naming the path and the
 * errno text when the store is unusable. */
int ipam_store_new(struct ipam_store **out, const struct ipam_config *cfg, struct cni_error *e);
void ipam_store_free(struct ipam_store *st);

/* Give (containerid, ifname) one address from every range set. An attachment that already holds
 * addresses gets the same ones back (re-claiming any that a crash left unclaimed). req may be
 * NULL. Codes 106 (a set is exhausted), 107 (a requested address is held by another attachment),
 * 108 (store), 4/7 (a request contradicts the attachment's addresses). */
int ipam_store_add(struct ipam_store *st, const struct ipam_request *req, const char *containerid,
		   const char *ifname, struct ipam_lease *lease, struct cni_error *e);
/* Release everything the attachment holds. Unknown attachments succeed. */
int ipam_store_del(struct ipam_store *st, const char *containerid, const char *ifname, struct cni_error *e);
/* The attachment exists and holds an address of every set (and every address of `expect`
 * that lies in a configured range, when expect is not NULL). Code 3 when unknown, 109 naming
 * what is missing otherwise. */
int ipam_store_check(struct ipam_store *st, const char *containerid, const char *ifname,
		     const struct cni_result *expect, struct cni_error *e);
/* Release every attachment not in valid[0..n) (when has_valid), then recover: drop address files
 * no attachment claims, clear tmp/, rebuild every range cache. */
int ipam_store_gc(struct ipam_store *st, bool has_valid, const struct cni_attachment *valid, size_t n,
		  struct cni_error *e);
/* The store can be created, locked and written. */
int ipam_store_status(struct ipam_store *st, struct cni_error *e);

const struct ipam_store_stats *ipam_store_stats(const struct ipam_store *st);
void ipam_store_stats_reset(struct ipam_store *st);
/* The directory <dataDir>/<network>. */
const char *ipam_store_path(const struct ipam_store *st);

#endif
