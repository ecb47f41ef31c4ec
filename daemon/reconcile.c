/* Start-up reconciliation (reconcile.h): the records on disk, the pinned maps and the host's
 * veths are compared, and every difference is resolved one way, logged with its reason.
 * The records are the intent; the veths are the facts that can overrule it (a pod whose veth
 * is gone is gone); the maps are derived from both and rebuilt where they disagree. */
#include "reconcile.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

/* ---- the link behind an ifindex --------------------------------------------------------------- */

static int linkinfo_cb(const struct nlattr *a, void *data)
{
	struct reconcile_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct reconcile_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) == 6) {
			memcpy(l->mac, mnl_attr_get_payload(a), 6);
			l->has_mac = true;
		}
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
			mnl_attr_parse_nested(a, linkinfo_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, data);
	return MNL_CB_STOP;
}

int reconcile_link_get(unsigned ifindex, struct reconcile_link *out)
{
	/* A full RTM_NEWLINK is a few KiB; stats are skipped below, so this is ample. */
	static char buf[32768];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned seq = (unsigned)time(NULL), portid;
	int rc = 0;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (ifindex == 0 || ifindex > 0x7fffffff)
		return -ENODEV;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	if (mnl_cb_run(buf, (size_t)n, seq, portid, link_msg_cb, out) < 0) {
		rc = -errno;
		goto out;
	}
	if (!out->name[0])
		rc = -ENODEV;
out:
	mnl_socket_close(nl);
	return rc;
}

/* ---- the passes ------------------------------------------------------------------------------- */

struct map_entries {
	struct weft_endpoint *v;
	size_t n, cap;
	int err;
};

static int collect_cb(const struct weft_endpoint *ep, void *arg)
{
	struct map_entries *m = arg;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct weft_endpoint *v = realloc(m->v, cap * sizeof(*v));

		if (!v) {
			m->err = -ENOMEM;
			return -ENOMEM;
		}
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = *ep;
	return 0;
}

static const struct weft_endpoint *entry_find(const struct map_entries *m, unsigned id)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].id == id)
			return &m->v[i];
	}
	return NULL;
}

/* Pass 1: a record whose host veth is gone (or whose ifindex now names another link) is a pod
 * that died without a DEL reaching us: remove it and its map entries. */
static void pass_stale(struct ep_table *t, struct dp *dp, struct reconcile_stats *st)
{
	size_t i = 0;

	while (i < ep_table_count(t)) {
		const struct ep *e = ep_table_at(t, i);
		struct reconcile_link l;
		struct weft_endpoint w;
		char why[128], err[256];
		unsigned id = e->id;
		int r = reconcile_link_get(e->host_ifindex, &l);

		st->checked++;
		if (r == -ENODEV) {
			snprintf(why, sizeof(why), "host veth %s (ifindex %u) is gone", e->host_ifname, e->host_ifindex);
		} else if (r < 0) {
			log_warnx("reconcile: endpoint %u: cannot look up ifindex %u: %s; keeping it", id,
				  e->host_ifindex, strerror(-r));
			st->failed++;
			i++;
			continue;
		} else if (strcmp(l.name, e->host_ifname) != 0) {
			snprintf(why, sizeof(why), "ifindex %u is now \"%s\", not its host veth %s", e->host_ifindex,
				 l.name, e->host_ifname);
		} else {
			i++;
			continue;
		}
		ep_to_dp(e, &w);
		if (dp_endpoint_remove(dp, &w, err, sizeof(err)) < 0) {
			log_warnx("reconcile: endpoint %u (%s/%s): %s, but removing it from the data path failed: %s",
				  id, e->containerid, e->ifname, why, err);
			st->failed++;
			i++;
			continue;
		}
		log_info("reconcile: endpoint %u (%s/%s) removed: %s", id, e->containerid, e->ifname, why);
		r = ep_table_remove(t, id);
		if (r < 0) {
			log_warnx("reconcile: endpoint %u: cannot remove its record: %s", id, strerror(-r));
			st->failed++;
			i++;
			continue;
		}
		st->stale++;
	}
}

/* Pass 2: a map entry must be exactly what its record says; anything else is removed (and, if
 * a record exists, restored by pass 3). */
static void pass_orphans(struct ep_table *t, struct dp *dp, struct map_entries *m, struct reconcile_stats *st)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ep *e = ep_table_get(t, m->v[i].id);
		struct weft_endpoint want;
		char err[256];

		if (e) {
			ep_to_dp(e, &want);
			if (memcmp(&want, &m->v[i], sizeof(want)) == 0)
				continue;
		}
		if (dp_endpoint_remove(dp, &m->v[i], err, sizeof(err)) < 0) {
			log_warnx("reconcile: map entry of endpoint %u at ifindex %u: cannot remove it: %s", m->v[i].id,
				  m->v[i].ifindex, err);
			st->failed++;
			continue;
		}
		log_info("reconcile: map entry of endpoint %u at ifindex %u removed: %s", m->v[i].id, m->v[i].ifindex,
			 e ? "it differs from the endpoint's record" : "no endpoint record");
		/* It is gone from the maps now: pass 3 must see it as missing. */
		m->v[i].id = 0;
		st->orphans++;
	}
}

/* Pass 3: every record is in the maps and its program attached. */
static void pass_restore(struct ep_table *t, struct dp *dp, const struct map_entries *m, struct reconcile_stats *st)
{
	for (size_t i = 0; i < ep_table_count(t); i++) {
		const struct ep *e = ep_table_at(t, i);
		const struct weft_endpoint *have = entry_find(m, e->id);
		struct weft_endpoint want;
		const char *why;
		char err[256];

		ep_to_dp(e, &want);
		if (!have || memcmp(have, &want, sizeof(want)) != 0)
			why = "missing from the maps";
		else if (!dp_endpoint_attached(dp, e->host_ifindex))
			why = "its program is not attached";
		else
			continue;
		if (dp_endpoint_upsert(dp, &want, err, sizeof(err)) < 0) {
			log_warnx("reconcile: endpoint %u (%s/%s) is %s and restoring it failed: %s", e->id,
				  e->containerid, e->ifname, why, err);
			st->failed++;
			continue;
		}
		log_info("reconcile: endpoint %u (%s/%s) restored: %s", e->id, e->containerid, e->ifname, why);
		st->restored++;
	}
}

/* Pass 4: weft-ipam's store (docs/ipam-store.md) keeps attach/<containerid>:<ifname> while an
 * attachment holds addresses. Without it the pod's addresses can go to another pod: say so
 * loudly, but leave the pod wired (the runtime's DEL or GC owns its removal). */
static void pass_ipam(struct ep_table *t, const struct conf *c, struct reconcile_stats *st)
{
	if (!c || !c->ipam)
		return;
	for (size_t i = 0; i < ep_table_count(t); i++) {
		const struct ep *e = ep_table_at(t, i);
		char store[PATH_MAX], path[PATH_MAX + 300];
		struct stat sb;

		if (c->ipam_network[0] && strcmp(c->ipam_network, e->network) != 0)
			continue;
		snprintf(store, sizeof(store), "%s/%s", c->ipam_data_dir, e->network);
		if (stat(store, &sb) < 0) {
			log_debug("reconcile: endpoint %u: network %s has no weft-ipam store at %s; not checked", e->id,
				  e->network, store);
			continue;
		}
		snprintf(path, sizeof(path), "%s/attach/%s:%s", store, e->containerid, e->ifname);
		if (stat(path, &sb) == 0)
			continue;
		if (errno == ENOENT) {
			log_warnx("reconcile: endpoint %u (%s/%s): its IPAM attachment %s is gone: its addresses may be "
				  "given to another pod", e->id, e->containerid, e->ifname, path);
			st->ipam_missing++;
		} else {
			log_warn("reconcile: endpoint %u: cannot check %s", e->id, path);
			st->failed++;
		}
	}
}

int reconcile_run(struct ep_table *t, struct dp *dp, const struct conf *c, struct reconcile_stats *st)
{
	struct map_entries m = { 0 };
	int r;

	memset(st, 0, sizeof(*st));
	pass_stale(t, dp, st);
	r = dp_endpoint_foreach(dp, collect_cb, &m);
	if (r < 0 || m.err < 0) {
		r = m.err < 0 ? m.err : r;
		log_warnx("reconcile: cannot read the endpoint map: %s", strerror(-r));
		free(m.v);
		return r;
	}
	pass_orphans(t, dp, &m, st);
	pass_restore(t, dp, &m, st);
	pass_ipam(t, c, st);
	free(m.v);
	log_info("reconcile: %u records, %u map entries: %u stale removed, %u orphans removed, %u restored, "
		 "%u without IPAM attachment, %u failed", st->checked, (unsigned)m.n, st->stale, st->orphans,
		 st->restored, st->ipam_missing, st->failed);
	return 0;
}
