/* DEL: best effort and idempotent. With "daemonSocket", unregister the endpoint from weftd first;
 * remove the attachment's source-based routing rules in the pod (sbr.h: deleting the veth
 * flushes its routes but not rules); delete the host veth named for this attachment if its alias
 * says it is ours (that removes the pod end, routes and neighbours too); if it was not there,
 * remove a pod-side CNI_IFNAME that carries our alias; then always release through IPAM. Unknown
 * containers, repeated DELs, an empty CNI_NETNS (containerd), a namespace that is already gone
 * and a weftd that is down all succeed. */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon_client.h"
#include "netns.h"
#include "nl.h"
#include "nl_addr.h"
#include "nl_link.h"
#include "nl_rule.h"
#include "plugin.h"
#include "sbr.h"

struct del {
	struct plugin *p;
	struct nl_sock host, pod;
	bool host_open, pod_open;
	struct nl_link hl;     /* the host veth, when it is there and ours */
	bool hl_ours;
	struct cni_error *e;
	bool failed;
};

/* Is l ours? With derived_name, a veth without any alias is taken as ours too: the kernel cannot
 * set an alias at creation, so an ADD killed between the two requests leaves exactly that, and
 * only this attachment's hash gives the name. Another attachment's collision, or the runtime's
 * own interface, is left alone. */
static bool del_is_ours(const struct plugin *p, const struct nl_link *l, bool derived_name)
{
	return strcmp(l->alias, p->alias) == 0 || (derived_name && !l->alias[0] && strcmp(l->kind, "veth") == 0);
}

/* The pod's namespace: CNI_NETNS, or when the runtime sent none (containerd), the one our host
 * veth's peer is in. Gone, or never found: nothing of ours can be in it, and nothing to do. */
static void del_open_pod(struct del *d)
{
	struct plugin *p = d->p;
	char what[240];
	int ns;

	if (p->env.netns && p->env.netns[0]) {
		ns = netns_open(p->env.netns);
		snprintf(what, sizeof(what), "CNI_NETNS %.200s", p->env.netns);
	} else if (d->hl_ours && d->hl.link_nsid >= 0) {
		ns = netns_find_nsid(&d->host, d->hl.link_nsid);
		snprintf(what, sizeof(what), "the namespace of %s's peer (nsid %d)", p->hostveth, d->hl.link_nsid);
	} else {
		return;
	}
	if (ns < 0)
		return;
	if (plugin_netns_socket(ns, what, &d->pod, d->e) < 0)
		d->failed = true;
	else
		d->pod_open = true;
	close(ns);
}

struct del_addrs {
	struct inet_addr a[CNI_MAX_IPS * 2];
	size_t n;
};

static void del_addrs_push(struct del_addrs *da, const struct inet_addr *a)
{
	for (size_t i = 0; i < da->n; i++)
		if (inet_addr_equal(&da->a[i], a))
			return;
	if (da->n < sizeof(da->a) / sizeof(da->a[0]))
		da->a[da->n++] = *a;
}

static int del_addr_cb(const struct nl_addr *na, void *data)
{
	if (na->scope == RT_SCOPE_UNIVERSE)
		del_addrs_push(data, &na->prefix.addr);
	return 0;
}

/* prevResult's addresses on our interface: the rules' sources when the interface is gone. A
 * prevResult that does not decode is no reason to keep anything else. */
static void del_prev_addrs(const struct plugin *p, struct del_addrs *da)
{
	struct cni_error ignored = { 0 };
	struct cni_result r;
	int pod = CNI_NO_IFACE;

	if (!p->conf.prev_result)
		return;
	cni_result_init(&r);
	if (cni_result_decode(p->conf.prev_result, &r, &ignored) == 0) {
		for (size_t i = 0; i < r.n_ifaces; i++)
			if (strcmp(r.ifaces[i].name, p->env.ifname) == 0 && r.ifaces[i].sandbox[0])
				pod = (int)i;
		for (size_t i = 0; i < r.n_ips; i++)
			if (pod == CNI_NO_IFACE ? r.n_ifaces == 0 : r.ips[i].iface == pod)
				del_addrs_push(da, &r.ips[i].addr.addr);
	}
	cni_result_fini(&r);
}

/* The rules of this attachment: those pointing at its table (known while its pod interface is
 * there) and those from its addresses (on the interface, or in prevResult). */
static void del_rules(struct del *d)
{
	struct plugin *p = d->p;
	struct del_addrs da = { 0 };
	char buf[INET_PREFIXSTR];
	unsigned table = 0;
	struct nl_rule bad;
	struct nl_link pl;
	int rc;

	rc = nl_link_get(&d->pod, p->env.ifname, 0, &pl);
	if (rc == 0 && del_is_ours(p, &pl, false)) {
		table = sbr_table(pl.index);
		rc = nl_addr_dump(&d->pod, AF_UNSPEC, pl.index, del_addr_cb, &da);
		if (rc < 0) {
			nl_error(d->e, &d->pod, rc, "listing the addresses of %s in the pod", p->env.ifname);
			d->failed = true;
		}
	} else if (rc < 0 && rc != -ENODEV) {
		nl_error(d->e, &d->pod, rc, "looking up %s in the pod", p->env.ifname);
		d->failed = true;
	}
	del_prev_addrs(p, &da);
	bad.table = 0;
	rc = sbr_rules_del(&d->pod, table, da.a, da.n, &bad);
	if (rc >= 0)
		return;
	if (bad.table)
		nl_error(d->e, &d->pod, rc, "deleting rule from %s lookup %u (priority %u) in the pod",
			 inet_prefix_fmt(&bad.src, buf, sizeof(buf)), bad.table, bad.priority);
	else
		nl_error(d->e, &d->pod, rc, "listing the rules in the pod");
	d->failed = true;
}

/* Delete name on s if it exists and is ours: 1 deleted, 0 nothing of ours, -1 error. */
static int del_link(struct del *d, struct nl_sock *s, const char *name, bool derived_name, const char *where)
{
	struct nl_link l;
	int rc;

	rc = nl_link_get(s, name, 0, &l);
	if (rc == -ENODEV)
		return 0;
	if (rc < 0)
		return nl_error(d->e, s, rc, "looking up %s in the %s", name, where);
	if (!del_is_ours(d->p, &l, derived_name))
		return 0;
	rc = nl_link_del(s, l.index);
	if (rc < 0 && rc != -ENODEV)
		return nl_error(d->e, s, rc, "deleting %s in the %s", name, where);
	return 1;
}

/* Before the veth goes, so weftd's data path never points at a deleted interface. A weftd that
 * does not answer must not keep the pod's resources: its start-up reconcile removes endpoints
 * whose veth is gone. One that answers with an error fails DEL (after the rest of the cleanup),
 * so the runtime's retry unregisters again. */
static int del_unregister(struct plugin *p, struct cni_error *e)
{
	struct daemon_target t = { p->wconf.daemon_socket, (int)p->wconf.daemon_timeout_ms };
	struct cni_error sub = { 0 };

	if (!t.socket || daemon_endpoint_del(&t, p->env.containerid, p->env.ifname, &sub) == 0)
		return 0;
	if (sub.code == CNI_ERR_TRY_AGAIN)
		return 0;
	if (!e->code)
		*e = sub;
	return -1;
}

int weft_cmd_del(struct plugin *p, json_t **out, struct cni_error *e)
{
	struct del d = { .p = p, .e = e };
	int rc, deleted = 0;

	if (del_unregister(p, e) < 0)
		d.failed = true;
	rc = nl_open(&d.host);
	if (rc < 0) {
		nl_error(e, NULL, rc, "opening a netlink socket");
		d.failed = true;
	} else {
		d.host_open = true;
		rc = nl_link_get(&d.host, p->hostveth, 0, &d.hl);
		if (rc == 0)
			d.hl_ours = del_is_ours(p, &d.hl, true);
		else if (rc != -ENODEV)
			d.failed = nl_error(e, &d.host, rc, "looking up %s in the host", p->hostveth) < 0;
	}
	/* Rules first: the pod interface's index names the table, and goes with the veth. */
	if (d.host_open)
		del_open_pod(&d);
	if (d.pod_open)
		del_rules(&d);
	if (d.host_open) {
		deleted = del_link(&d, &d.host, p->hostveth, true, "host");
		if (deleted < 0)
			d.failed = true;
	}
	if (deleted <= 0 && d.pod_open && del_link(&d, &d.pod, p->env.ifname, false, "pod") < 0)
		d.failed = true;
	nl_close(&d.pod);
	nl_close(&d.host);
	/* Always release, whatever happened above: a DEL that keeps failing must not also keep
	 * the addresses. The first error is the one reported. */
	if (ipam_exec_call(&p->ipam, CNI_CMD_DEL, NULL, NULL, e) < 0)
		d.failed = true;
	return d.failed ? -1 : 0;
}
