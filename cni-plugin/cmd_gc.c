/* GC: delete every host veth whose alias says it belongs to this network but whose
 * (container ID, ifname) is not in cni.dev/valid-attachments — unregistering it from weftd first
 * when daemonSocket is set, and removing its source-based routing rules in the pod when the pod
 * still lives (sbr.h) — then let IPAM collect: its own GC when it speaks 1.1.0, else one IPAM DEL
 * per stale attachment found (host-local has no GC). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_client.h"
#include "netns.h"
#include "nl.h"
#include "nl_link.h"
#include "nl_rule.h"
#include "plugin.h"
#include "sbr.h"

struct gc_stale {
	int index;
	char name[IF_NAMESIZE];
	struct hostveth_owner owner;
	int peer;      /* the pod end's index in its namespace, 0 = unknown */
	int peer_nsid; /* that namespace's id here, -1 = none (the pod end is gone) */
};

struct gc {
	struct plugin *p;
	struct gc_stale *stale;
	size_t n, cap;
};

static bool gc_valid(const struct plugin *p, const struct hostveth_owner *o)
{
	for (size_t i = 0; i < p->conf.n_valid; i++)
		if (strcmp(p->conf.valid[i].containerid, o->containerid) == 0 &&
		    strcmp(p->conf.valid[i].ifname, o->ifname) == 0)
			return true;
	return false;
}

static int gc_link_cb(const struct nl_link *l, void *data)
{
	struct gc *g = data;
	struct hostveth_owner o;

	if (!hostveth_alias_parse(l->alias, &o) || strcmp(o.network, g->p->conf.name) != 0 || gc_valid(g->p, &o))
		return 0;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct gc_stale *ns = realloc(g->stale, cap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		g->stale = ns;
		g->cap = cap;
	}
	g->stale[g->n].index = l->index;
	snprintf(g->stale[g->n].name, sizeof(g->stale[g->n].name), "%s", l->name);
	g->stale[g->n].owner = o;
	g->stale[g->n].peer = l->link;
	g->stale[g->n].peer_nsid = l->link_nsid;
	g->n++;
	return 0;
}

/* As DEL does: weftd forgets the endpoint before its veth goes. A weftd that does not answer is
 * no reason to keep the veth (its start-up reconcile drops endpoints whose veth is gone); one
 * that refuses fails GC after the cleanup, so the runtime tries again. */
static void gc_unregister(struct plugin *p, const struct hostveth_owner *o, struct cni_error *e, int *failed)
{
	struct daemon_target t = { p->wconf.daemon_socket, (int)p->wconf.daemon_timeout_ms };
	struct cni_error sub = { 0 };

	if (!t.socket || daemon_endpoint_del(&t, o->containerid, o->ifname, &sub) == 0 ||
	    sub.code == CNI_ERR_TRY_AGAIN)
		return;
	if (!(*failed)++)
		*e = sub;
}

/* The pod end's index names the attachment's table: rules pointing at it go before the veth
 * does (the table empties with the device, the rules would stay). The pod's namespace has no
 * path here; it is found by the id the node gives it. Not found: gone, and its rules with it. */
static void gc_rules(struct nl_sock *host, const struct gc_stale *st, struct cni_error *e, int *failed)
{
	unsigned table = sbr_table(st->peer);
	struct nl_sock pod = { 0 };
	char what[96], buf[INET_PREFIXSTR];
	struct nl_rule bad = { 0 };
	int ns, rc;

	if (!table || st->peer_nsid < 0)
		return;
	ns = netns_find_nsid(host, st->peer_nsid);
	if (ns < 0)
		return;
	snprintf(what, sizeof(what), "the namespace of %s's peer (nsid %d)", st->name, st->peer_nsid);
	if (plugin_netns_socket(ns, what, &pod, e) < 0) {
		(*failed)++;
	} else {
		rc = sbr_rules_del(&pod, table, NULL, 0, &bad);
		if (rc < 0 && !(*failed)++) {
			if (bad.table)
				nl_error(e, &pod, rc, "deleting rule from %s lookup %u (priority %u) in %s",
					 inet_prefix_fmt(&bad.src, buf, sizeof(buf)), bad.table, bad.priority, what);
			else
				nl_error(e, &pod, rc, "listing the rules in %s", what);
		}
	}
	nl_close(&pod);
	close(ns);
}

int weft_cmd_gc(struct plugin *p, json_t **out, struct cni_error *e)
{
	struct gc g = { .p = p };
	struct nl_sock host = { 0 };
	bool gc110 = false;
	int rc, failed = 0;

	/* Without the list every attachment would look stale: refuse rather than wipe the node. */
	if (!p->conf.has_valid)
		return cni_error_set(e, CNI_ERR_CONFIG, "cni.dev/valid-attachments is missing: GC needs the list of "
				     "attachments to keep");
	rc = nl_open(&host);
	if (rc < 0)
		return nl_error(e, NULL, rc, "opening a netlink socket");
	/* Collect first, delete after: the socket cannot take requests in the middle of a dump. */
	rc = nl_link_dump(&host, "veth", gc_link_cb, &g);
	if (rc < 0) {
		nl_error(e, &host, rc, "listing veths");
		failed = 1;
	}
	for (size_t i = 0; i < g.n; i++) {
		gc_unregister(p, &g.stale[i].owner, e, &failed);
		gc_rules(&host, &g.stale[i], e, &failed);
		rc = nl_link_del(&host, g.stale[i].index);
		if (rc < 0 && rc != -ENODEV && !failed++)
			nl_error(e, &host, rc, "deleting stale host veth %s", g.stale[i].name);
	}
	nl_close(&host);

	if (ipam_exec_supports(&p->ipam, CNI_V110, &gc110, e) < 0) {
		failed = 1;
	} else if (gc110) {
		if (ipam_exec_call(&p->ipam, CNI_CMD_GC, NULL, NULL, e) < 0)
			failed = 1;
	} else {
		for (size_t i = 0; i < g.n; i++) {
			struct ipam_target t = {
				.containerid = g.stale[i].owner.containerid, .ifname = g.stale[i].owner.ifname, .netns = "",
			};

			if (ipam_exec_call(&p->ipam, CNI_CMD_DEL, &t, NULL, e) < 0)
				failed = 1;
		}
	}
	free(g.stale);
	return failed ? -1 : 0;
}
