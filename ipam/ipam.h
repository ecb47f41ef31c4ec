/* weft-ipam's configuration: range sets, routes, dns and dataDir parsed from a network config's
 * "ipam" object (host-local compatible where they overlap), the addresses a runtime asks for,
 * and the CNI result built from a lease. The on-disk store is in ipam_store.h. */
#ifndef WEFT_IPAM_H
#define WEFT_IPAM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni.h"
#include "inet.h"

#define IPAM_DEFAULT_DATA_DIR "/var/lib/cni/weft-ipam"
#define IPAM_MAX_SETS CNI_MAX_IPS /* one address per set, and a result holds CNI_MAX_IPS */
#define IPAM_MAX_RANGES 32        /* per set */
/* A range hands out at most its first 2^20 addresses dynamically: the bitmap stays <= 128 KiB
 * and no node holds a million pods. Requested addresses may lie anywhere in the range. */
#define IPAM_RANGE_MAX_BITS (1u << 20)
#define IPAM_WHERE_MAX 40

struct ipam_range {
	struct inet_prefix subnet;  /* canonical */
	struct inet_addr start, end;/* inclusive, inside subnet, start <= end */
	struct inet_addr gateway;   /* family 0 = none configured */
	uint32_t nbits;             /* addresses start .. start+nbits-1 are allocated dynamically */
	char where[IPAM_WHERE_MAX]; /* "ipam.ranges[1][0]", or "ipam" for the legacy form */
};

struct ipam_set {
	int family;
	struct ipam_range *ranges;
	size_t n_ranges;
	char where[IPAM_WHERE_MAX]; /* "ipam.ranges[1]", or "ipam.subnet" for the legacy form */
};

struct ipam_config {
	char data_dir[PATH_MAX];
	char network[256];
	struct ipam_set sets[IPAM_MAX_SETS];
	size_t n_sets;
	struct cni_route routes[CNI_MAX_ROUTES];
	size_t n_routes;
	json_t *dns; /* owned reference or NULL */
};

/* Addresses the runtime asked for, at most one per set (index = set). */
struct ipam_request {
	struct inet_addr addr[IPAM_MAX_SETS];   /* family 0 = none for that set */
	char source[IPAM_MAX_SETS][48];         /* "CNI_ARGS IP", "args.cni.ips[0]", "runtimeConfig.ips[1]" */
};

/* What an attachment holds: addr[i] comes from set i. */
struct ipam_lease {
	struct inet_addr addr[IPAM_MAX_SETS];
	size_t n;
};

/* Parse and validate the "ipam" object of network `network`. Errors are code 7 naming the field
 * path (ipam.ranges[1][0].rangeStart) and quoting the bad value. cfg is always safe to _fini. */
int ipam_config_parse(json_t *ipam, const char *network, struct ipam_config *cfg, struct cni_error *e);
void ipam_config_fini(struct ipam_config *cfg);

/* Locate a in the configured ranges (start..end as configured, beyond the 2^20 cap too).
 * Returns true and fills *set / *range (either may be NULL). */
bool ipam_config_find(const struct ipam_config *cfg, const struct inet_addr *a, size_t *set, size_t *range);
/* Never handed out: the network address, the IPv4 broadcast address and the gateway. */
bool ipam_range_reserved(const struct ipam_range *r, const struct inet_addr *a);
/* Offset of a from r->start, or -1 when a is outside start .. start+nbits-1. */
int64_t ipam_range_offset(const struct ipam_range *r, const struct inet_addr *a);
/* "10.244.1.10-10.244.1.250" (the dynamic part of the range) into buf. */
char *ipam_range_fmt(const struct ipam_range *r, char *buf, size_t len);

/* Collect requested addresses from CNI_ARGS IP=a[,b], args.cni.ips and runtimeConfig.ips of the
 * config `root`. Each must lie in a configured range, not be reserved, and at most one per set.
 * Errors name the source: code 4 for CNI_ARGS, 7 for the JSON fields. */
int ipam_request_parse(const struct ipam_config *cfg, json_t *root, const char *cni_args,
		       struct ipam_request *req, struct cni_error *e);

/* The CNI result for a lease: each address with its subnet's prefix length, the range's gateway
 * when configured, the configured routes and dns. No interfaces. */
int ipam_result_fill(const struct ipam_config *cfg, const struct ipam_lease *lease, struct cni_result *r,
		     struct cni_error *e);

#endif
