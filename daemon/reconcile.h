/* Bringing the records, the data path and the host into agreement when weftd starts: records
 * whose host veth is gone are removed, map entries no record explains are removed, records the
 * maps lack (or whose program is detached) are restored, and endpoints whose IPAM attachment
 * is gone are reported. Also the netlink query both reconcile and endpoint.add use. */
#ifndef WEFTD_RECONCILE_H
#define WEFTD_RECONCILE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "dp.h"
#include "ep.h"

struct reconcile_link {
	char name[IF_NAMESIZE];
	char kind[32];     /* IFLA_INFO_KIND, "" for links without one (lo, physical) */
	uint8_t mac[6];
	bool has_mac;
};

/* The link with this ifindex in weftd's network namespace (RTM_GETLINK). 0, -ENODEV when
 * there is none, or -errno. */
int reconcile_link_get(unsigned ifindex, struct reconcile_link *out);

struct reconcile_stats {
	unsigned checked;        /* records looked at */
	unsigned stale;          /* records removed: host veth gone */
	unsigned orphans;        /* map entries removed: no record */
	unsigned restored;       /* records programmed again */
	unsigned ipam_missing;   /* records whose IPAM attachment is gone (logged, kept) */
	unsigned failed;         /* actions that failed (logged) */
};

/* One pass; safe to repeat (a second pass right after finds nothing to do). Each action is
 * logged with its reason. 0, or -errno when the maps could not be read at all. */
int reconcile_run(struct ep_table *t, struct dp *dp, const struct conf *c, struct reconcile_stats *st);

#endif
