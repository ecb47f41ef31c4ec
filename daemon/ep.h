/* weftd's endpoints: one per pod attachment, validated from the plugin's request, persisted as
 * one file per endpoint under <stateDir>/endpoints/ (written to a temporary file and renamed,
 * so a kill at any instant leaves the old or the new record), and mirrored into the data path.
 * The endpoint id is the record's file name, so it survives restarts. */
#ifndef WEFTD_EP_H
#define WEFTD_EP_H

#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dp.h"
#include "inet.h"

#define EP_ID_MAX 65535u   /* ids are 1 .. EP_ID_MAX, the lowest free one is handed out */
#define EP_NETNS_MAX 512
#define EP_POD_NAME_MAX 254 /* a Kubernetes object name: a DNS subdomain, 253 bytes */
#define EP_POD_NS_MAX 64    /* a namespace: a DNS label, 63 bytes */
#define EP_MAX_IPS 2        /* one IPv4 and one IPv6: what struct weft_endpoint holds */

struct ep {
	unsigned id;
	char containerid[256];
	char ifname[IF_NAMESIZE];
	char netns[EP_NETNS_MAX];
	char network[256];
	char host_ifname[IF_NAMESIZE];
	unsigned host_ifindex;
	uint8_t host_mac[6], pod_mac[6];
	struct inet_addr ips[EP_MAX_IPS];
	size_t n_ips;
	char pod_name[EP_POD_NAME_MAX];     /* "" when the runtime gave none */
	char pod_namespace[EP_POD_NS_MAX];
	time_t created;
};

/* Validate the arguments of endpoint.add (docs/api.md) into e, without touching the system:
 * -1 with a sentence naming the field and quoting the bad value. stored=true also reads "id"
 * and "created", as written in a record file. */
int ep_parse(json_t *args, bool stored, struct ep *e, char *err, size_t errlen);
/* The endpoint as the API and the record files show it. New reference. */
json_t *ep_to_json(const struct ep *e);
/* The data path's view of it. */
void ep_to_dp(const struct ep *e, struct weft_endpoint *out);
/* "aa:bb:cc:dd:ee:ff" <-> bytes; parse accepts either case and rejects multicast and zero. */
bool ep_mac_parse(const char *s, uint8_t mac[6]);
char *ep_mac_fmt(const uint8_t mac[6], char *buf, size_t len);

/* ---- the table and its records ------------------------------------------------------------- */

struct ep_table;

/* Tests only: called between the steps of writing or removing a record. NULL in production. */
extern void (*ep_crash_hook)(const char *point);

/* Open <state_dir>/endpoints (creating it), take the state directory's lock (one weftd per
 * state directory), drop temporary files a crash left, and load every record. Records that
 * cannot be read are renamed to <id>.json.bad and logged, never silently dropped. */
int ep_table_open(const char *state_dir, struct ep_table **out, char *err, size_t errlen);
void ep_table_free(struct ep_table *t);
size_t ep_table_count(const struct ep_table *t);
/* The i-th endpoint in id order (0 <= i < count). */
const struct ep *ep_table_at(const struct ep_table *t, size_t i);
const struct ep *ep_table_get(const struct ep_table *t, unsigned id);
const struct ep *ep_table_find(const struct ep_table *t, const char *containerid, const char *ifname);
/* Persist e (tmp + fsync + rename + fsync of the directory), then insert or replace it in
 * memory. e->id 0 takes the lowest free id. 0 or -errno (-ENOSPC: no free id). */
int ep_table_put(struct ep_table *t, struct ep *e);
/* Remove the record of id (a missing one is fine). 0 or -errno. */
int ep_table_remove(struct ep_table *t, unsigned id);

/* ---- endpoint operations: record and data path together ------------------------------------- */

/* endpoint.add: check the host veth (exists, named host_ifname, a veth, with host_mac), refuse
 * a veth or address held by another endpoint (-EEXIST), persist, then program the data path;
 * a failure there restores the previous record. A repeated add of the same (containerid,
 * ifname) keeps its id. On success *out points at the table's copy. 0 or -errno with err:
 * -EINVAL/-ENODEV (bad request), -EEXIST, -ENOSPC, others internal. */
int ep_add(struct ep_table *t, struct dp *dp, const struct ep *spec, const struct ep **out, char *err,
	   size_t errlen);
/* endpoint.del: remove from the data path, then the record. Unknown is fine (*removed=false). */
int ep_del(struct ep_table *t, struct dp *dp, const char *containerid, const char *ifname, bool *removed,
	   char *err, size_t errlen);

#endif
