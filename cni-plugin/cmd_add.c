/* ADD: IPAM first, then one veth pair (the pod end created directly in the pod's namespace as
 * CNI_IFNAME), the pod's /32 and /128 with default routes via a link-local gateway bound to
 * the host end's MAC, and a host route per pod address; last, with "daemonSocket", the endpoint
 * is registered with weftd. A family for which the pod already has a default route (another
 * attachment's: Multus' net1 after eth0) makes this attachment secondary for it: its routes go
 * into a table of its own, chosen by rules from its addresses (sbr.h). Any failure after IPAM
 * goes through add_rollback(), the only undo path: unregister if weftd may hold the endpoint,
 * delete the rules added, delete the veth (its routes and neighbours go with it) and release
 * the addresses, so a failed ADD leaves nothing. */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon_client.h"
#include "netns.h"
#include "nl.h"
#include "nl_addr.h"
#include "nl_link.h"
#include "nl_neigh.h"
#include "nl_route.h"
#include "nl_rule.h"
#include "plugin.h"
#include "sbr.h"
#include "sysctl.h"

#define ADD_MTU_DEFAULT 1500

struct add {
	struct plugin *p;
	struct nl_sock host, pod;
	int host_ns, pod_ns;
	unsigned mtu;
	struct cni_result ipam;   /* IPAM's answer */
	bool ipam_held;           /* IPAM ADD succeeded: undo with IPAM DEL */
	bool veth_made;           /* we created the pair: undo by deleting the host end */
	struct nl_link hl, pl;    /* host and pod ends */
	/* the pod's addresses as configured: IPAM's addresses as /32 and /128 */
	struct inet_prefix addrs[CNI_MAX_IPS];
	size_t n_addrs;
	bool has4, has6;
	struct daemon_endpoint ep; /* weftd's view, with "daemonSocket" */
	bool maybe_registered;     /* weftd may hold the endpoint: undo with endpoint.del */
	/* Source-based routing (sbr.h), per family: the pod had a default route before us. */
	bool secondary4, secondary6;
	unsigned table, metric;    /* ours, when secondary for a family */
	struct nl_rule rules[CNI_MAX_IPS]; /* rules added: undone by add_rollback */
	size_t n_rules;
};

static bool add_secondary(const struct add *a, int family)
{
	return family == AF_INET ? a->secondary4 : a->secondary6;
}

/* Append to e's details without losing what is there (a rollback that fails is worth knowing). */
static void add_note(struct cni_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(struct cni_error *e, const char *fmt, ...)
{
	size_t len = strlen(e->details);
	va_list ap;

	if (len + 3 >= sizeof(e->details))
		return;
	if (len)
		len += (size_t)snprintf(e->details + len, sizeof(e->details) - len, "; ");
	va_start(ap, fmt);
	vsnprintf(e->details + len, sizeof(e->details) - len, fmt, ap);
	va_end(ap);
}

/* The derived name is taken: by this same attachment (a repeated ADD) or by someone else. */
static int add_name_taken(struct add *a, const struct nl_link *l, struct cni_error *e)
{
	const struct plugin *p = a->p;

	if (strcmp(l->alias, p->alias) == 0)
		return cni_error_set(e, CNI_ERR_IFNAME_EXISTS,
				     "attachment %s/%s of network %s already exists (host veth %s)",
				     p->env.containerid, p->env.ifname, p->conf.name, p->hostveth);
	cni_error_set(e, CNI_ERR_HOSTVETH_COLLISION,
		      "host veth name %s (derived from CNI_CONTAINERID and CNI_IFNAME) is taken by another interface",
		      p->hostveth);
	cni_error_detail(e, "existing %s has alias '%s', this attachment's is '%s'", p->hostveth,
			 l->alias[0] ? l->alias : "(none)", p->alias);
	return -1;
}

/* Before anything is allocated: the namespace exists, the host name is free, the MTU is known. */
static int add_prepare(struct add *a, struct cni_error *e)
{
	struct plugin *p = a->p;
	struct nl_link l;
	int rc, oif;

	/* The pod's name for weftd is checked before anything exists that would need undoing. */
	if (p->wconf.daemon_socket && daemon_pod_args(p->env.args, &a->ep, e) < 0)
		return -1;
	a->pod_ns = netns_open(p->env.netns);
	if (a->pod_ns < 0)
		return plugin_netns_error(e, p->env.netns, a->pod_ns);
	a->host_ns = netns_current();
	if (a->host_ns < 0)
		return cni_error_set(e, CNI_ERR_INTERNAL, "opening the current network namespace: %s",
				     strerror(-a->host_ns));
	rc = nl_open(&a->host);
	if (rc < 0)
		return nl_error(e, NULL, rc, "opening a netlink socket");

	/* A live name found here means a repeated ADD or a collision: refuse before IPAM, so the
	 * other attachment's addresses are not released by our rollback. */
	rc = nl_link_get(&a->host, p->hostveth, 0, &l);
	if (rc == 0)
		return add_name_taken(a, &l, e);
	if (rc != -ENODEV)
		return nl_error(e, &a->host, rc, "looking up host veth %s", p->hostveth);

	/* MTU: the configuration's, else the node's uplink (default route device). Only this
	 * fallback costs a route dump; set "mtu" to skip it. */
	a->mtu = p->wconf.mtu;
	for (int i = 0; !a->mtu && i < 2; i++) {
		rc = nl_route_default_oif(&a->host, i == 0 ? AF_INET : AF_INET6, &oif);
		if (rc == 0 && nl_link_get(&a->host, NULL, oif, &l) == 0 && l.mtu >= WEFT_MTU_MIN)
			a->mtu = l.mtu;
		else if (rc < 0 && rc != -ENOENT)
			return nl_error(e, &a->host, rc, "finding the default route's device for the MTU");
	}
	if (!a->mtu)
		a->mtu = ADD_MTU_DEFAULT;
	return 0;
}

static int add_ipam(struct add *a, struct cni_error *e)
{
	if (ipam_exec_add(&a->p->ipam, &a->ipam, e) < 0)
		return -1;
	a->ipam_held = true;
	for (size_t i = 0; i < a->ipam.n_ips; i++) {
		struct inet_prefix *pfx = &a->addrs[a->n_addrs++];

		pfx->addr = a->ipam.ips[i].addr.addr;
		pfx->len = (uint8_t)inet_family_bits(pfx->addr.family);
		if (pfx->addr.family == AF_INET)
			a->has4 = true;
		else
			a->has6 = true;
	}
	return 0;
}

static int add_veth(struct add *a, struct cni_error *e)
{
	struct plugin *p = a->p;
	struct nl_veth v = {
		.name = p->hostveth, .peer = p->env.ifname, .peer_netns_fd = a->pod_ns, .mtu = a->mtu,
	};
	struct nl_link l;
	int rc;

	rc = nl_link_veth_add(&a->host, &v);
	if (rc == -EEXIST) {
		/* Checked free a moment ago: a concurrent ADD took the host name, or CNI_IFNAME is
		 * already in the pod. Either way the kernel created nothing. */
		if (nl_link_get(&a->host, p->hostveth, 0, &l) == 0)
			return add_name_taken(a, &l, e);
		return cni_error_set(e, CNI_ERR_IFNAME_EXISTS, "interface %s already exists in CNI_NETNS %s",
				     p->env.ifname, p->env.netns);
	}
	if (rc < 0)
		return nl_error(e, &a->host, rc, "creating veth pair %s (host) / %s (pod)", p->hostveth,
				p->env.ifname);
	a->veth_made = true;
	rc = nl_link_get(&a->host, p->hostveth, 0, &a->hl);
	if (rc < 0)
		return nl_error(e, &a->host, rc, "looking up the new host veth %s", p->hostveth);
	if (!a->hl.has_mac)
		return cni_error_set(e, CNI_ERR_INTERNAL, "host veth %s has no MAC address", p->hostveth);
	/* The kernel ignores IFLA_IFALIAS when creating a link: set it now, with IFF_UP. */
	rc = nl_link_set(&a->host, a->hl.index, true, p->alias);
	if (rc < 0)
		return nl_error(e, &a->host, rc, "setting host veth %s up with its alias", p->hostveth);
	return 0;
}

/* The one visit to the pod's namespace: open a socket there and set accept_ra before the link
 * comes up (no router advertisement may add routes or addresses), then return at once. */
static int add_enter_pod(struct add *a, struct cni_error *e)
{
	struct plugin *p = a->p;
	char path[64];
	int rc, back;

	rc = netns_enter(a->pod_ns);
	if (rc < 0)
		return cni_error_set(e, CNI_ERR_NETNS, "entering CNI_NETNS %.200s: %s", p->env.netns, strerror(-rc));
	rc = nl_open(&a->pod);
	if (rc < 0) {
		nl_error(e, NULL, rc, "opening a netlink socket in CNI_NETNS");
	} else {
		snprintf(path, sizeof(path), "net/ipv6/conf/%s/accept_ra", p->env.ifname);
		rc = sysctl_write(path, "0");
		/* No such file: IPv6 is disabled in this kernel, fine for an IPv4-only pod. */
		if (rc == -ENOENT && !a->has6)
			rc = 0;
		if (rc < 0)
			cni_error_set(e, CNI_ERR_IO, "writing %s in the pod: %s", path, strerror(-rc));
	}
	back = netns_enter(a->host_ns);
	if (back < 0)
		return cni_error_set(e, CNI_ERR_NETNS, "returning to the host network namespace: %s",
				     strerror(-back));
	return rc < 0 ? -1 : 0;
}

static int add_route(struct nl_sock *s, const struct nl_route *r, const char *where, struct cni_error *e)
{
	char dst[INET_PREFIXSTR], gw[INET_ADDRSTR], table[32] = "";
	int rc = nl_route_add(s, r);

	if (rc < 0) {
		if (r->table)
			snprintf(table, sizeof(table), " table %u", r->table);
		return nl_error(e, s, rc, "adding route %s%s%s%s %s", inet_prefix_fmt(&r->dst, dst, sizeof(dst)),
				r->gw.family ? " via " : "", r->gw.family ? inet_addr_fmt(&r->gw, gw, sizeof(gw)) : "",
				table, where);
	}
	return 0;
}

/* What the pod holds before this attachment: a default route per family in main, and the
 * addresses of its other interfaces. */
struct add_survey {
	const struct add *a;
	bool def4, def6;
	int clash_index;          /* another interface with one of our addresses */
	struct inet_addr clash;
};

static int add_survey_route_cb(const struct nl_route *r, void *data)
{
	struct add_survey *sv = data;

	if (r->dst.len == 0) {
		if (r->dst.addr.family == AF_INET)
			sv->def4 = true;
		else
			sv->def6 = true;
	}
	return 0;
}

static int add_survey_addr_cb(const struct nl_addr *na, void *data)
{
	struct add_survey *sv = data;

	if (na->index == sv->a->pl.index)
		return 0;
	for (size_t i = 0; i < sv->a->n_addrs; i++) {
		if (inet_addr_equal(&na->prefix.addr, &sv->a->addrs[i].addr)) {
			sv->clash_index = na->index;
			sv->clash = na->prefix.addr;
			return 1;
		}
	}
	return 0;
}

/* Primary or secondary, per family: the pod's first attachment of a family finds no default
 * route and gets main; any later one keeps out of main's way. An address of ours already on
 * another interface would make the rules ambiguous (and the routing wrong): refused. */
static int add_survey(struct add *a, struct cni_error *e)
{
	struct add_survey sv = { .a = a };
	char buf[INET_ADDRSTR];
	struct nl_link l;
	int rc;

	rc = nl_route_dump(&a->pod, AF_UNSPEC, RT_TABLE_MAIN, add_survey_route_cb, &sv);
	if (rc < 0)
		return nl_error(e, &a->pod, rc, "listing the routes in the pod");
	rc = nl_addr_dump(&a->pod, AF_UNSPEC, 0, add_survey_addr_cb, &sv);
	if (rc < 0)
		return nl_error(e, &a->pod, rc, "listing the addresses in the pod");
	if (sv.clash_index)
		return cni_error_set(e, CNI_ERR_ADDR_IN_USE, "address %s from IPAM is already on %s in the pod",
				     inet_addr_fmt(&sv.clash, buf, sizeof(buf)),
				     nl_link_get(&a->pod, NULL, sv.clash_index, &l) == 0 ? l.name : "another interface");
	a->secondary4 = a->has4 && sv.def4;
	a->secondary6 = a->has6 && sv.def6;
	if (a->secondary4 || a->secondary6) {
		a->table = sbr_table(a->pl.index);
		a->metric = sbr_metric(a->pl.index);
		if (!a->table || !a->metric)
			return cni_error_set(e, CNI_ERR_INTERNAL, "%s has index %d in the pod: no routing table number fits",
					     a->p->env.ifname, a->pl.index);
	}
	return 0;
}

/* A secondary's rules, once its table is filled. A rule from one of our addresses at our
 * priority can only be stale (the address is ours alone in this pod, add_survey checked): an
 * attachment whose veth went without DEL reaching the pod. It goes first. */
static int add_rules(struct add *a, struct cni_error *e)
{
	struct inet_addr mine[CNI_MAX_IPS];
	char buf[INET_PREFIXSTR];
	struct nl_rule r;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < a->n_addrs; i++)
		if (add_secondary(a, a->addrs[i].addr.family))
			mine[n++] = a->addrs[i].addr;
	if (!n)
		return 0;
	rc = sbr_rules_del(&a->pod, 0, mine, n, &r);
	if (rc < 0)
		return nl_error(e, &a->pod, rc, "removing the stale rule from %s lookup %u (priority %u) in the pod",
				inet_prefix_fmt(&r.src, buf, sizeof(buf)), r.table, r.priority);
	for (size_t i = 0; i < n; i++) {
		sbr_rule(&mine[i], a->table, &r);
		rc = nl_rule_add(&a->pod, &r);
		if (rc < 0)
			return nl_error(e, &a->pod, rc, "adding rule from %s lookup %u (priority %u) in the pod",
					inet_prefix_fmt(&r.src, buf, sizeof(buf)), r.table, r.priority);
		a->rules[a->n_rules++] = r;
	}
	return 0;
}

static int add_pod(struct add *a, struct cni_error *e)
{
	struct plugin *p = a->p;
	char buf[INET_PREFIXSTR];
	struct nl_route r;
	int rc;

	rc = nl_link_get(&a->pod, p->env.ifname, 0, &a->pl);
	if (rc < 0)
		return nl_error(e, &a->pod, rc, "looking up %s in the pod", p->env.ifname);
	if (add_survey(a, e) < 0)
		return -1;
	for (size_t i = 0; i < a->n_addrs; i++) {
		rc = nl_addr_add(&a->pod, a->pl.index, &a->addrs[i]);
		if (rc < 0)
			return nl_error(e, &a->pod, rc, "adding address %s to %s in the pod",
					inet_prefix_fmt(&a->addrs[i], buf, sizeof(buf)), p->env.ifname);
	}
	/* Up before neighbours and routes: the kernel flushes neighbour entries, permanent ones
	 * included, when a link goes down, and refuses routes through a link that is down. */
	rc = nl_link_set(&a->pod, a->pl.index, true, p->alias);
	if (rc < 0)
		return nl_error(e, &a->pod, rc, "setting %s up in the pod", p->env.ifname);

	/* The gateway's neighbour entry is per device, so every attachment has its own; the
	 * routes go to main (primary) or to our table (secondary). */
	for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
		unsigned table = add_secondary(a, fam) ? a->table : 0;
		struct inet_addr gw;

		if ((fam == AF_INET && !a->has4) || (fam == AF_INET6 && !a->has6))
			continue;
		plugin_gateway(fam, &gw);
		rc = nl_neigh_add(&a->pod, a->pl.index, &gw, a->hl.mac);
		if (rc < 0)
			return nl_error(e, &a->pod, rc, "adding neighbour %s in the pod", inet_addr_fmt(&gw, buf, sizeof(buf)));
		if (fam == AF_INET) {
			/* IPv4 wants its gateway on a connected route; IPv6 link-local gateways don't. */
			r = (struct nl_route){ .dst = { .addr = gw, .len = 32 }, .oif = a->pl.index, .scope = RT_SCOPE_LINK,
					       .table = table };
			if (add_route(&a->pod, &r, "in the pod", e) < 0)
				return -1;
		}
		r = (struct nl_route){ .dst = { .addr = { .family = (uint8_t)fam } }, .gw = gw, .oif = a->pl.index,
				       .scope = RT_SCOPE_UNIVERSE, .table = table };
		if (add_route(&a->pod, &r, "in the pod", e) < 0)
			return -1;
	}

	/* IPAM's other routes, through the same gateway (there is no other router on the veth).
	 * A secondary puts them in main too, so unbound sockets reach those destinations through
	 * it: with a metric of its own (several attachments may route one destination), and for
	 * IPv4 on-link, as main has no connected route to our gateway on our device. */
	for (size_t i = 0; i < a->ipam.n_routes; i++) {
		const struct cni_route *ir = &a->ipam.routes[i];
		int fam = ir->dst.addr.family;

		if (ir->dst.len == 0 || (fam == AF_INET && !a->has4) || (fam == AF_INET6 && !a->has6))
			continue;
		r = (struct nl_route){ .dst = ir->dst, .oif = a->pl.index, .scope = RT_SCOPE_UNIVERSE };
		inet_prefix_network(&ir->dst, &r.dst.addr);
		plugin_gateway(fam, &r.gw);
		if (add_secondary(a, fam)) {
			r.metric = a->metric;
			r.flags = fam == AF_INET ? RTNH_F_ONLINK : 0;
		}
		if (add_route(&a->pod, &r, "in the pod", e) < 0)
			return -1;
		if (add_secondary(a, fam)) {
			r.table = a->table;
			r.metric = 0;
			r.flags = 0;
			if (add_route(&a->pod, &r, "in the pod", e) < 0)
				return -1;
		}
	}
	return add_rules(a, e);
}

static int add_host(struct add *a, struct cni_error *e)
{
	struct plugin *p = a->p;
	char buf[INET_PREFIXSTR];
	struct nl_route r;
	const char *fwd;
	int rc;

	for (size_t i = 0; i < a->n_addrs; i++) {
		r = (struct nl_route){ .dst = a->addrs[i], .oif = a->hl.index, .scope = RT_SCOPE_LINK };
		if (add_route(&a->host, &r, "on the node", e) < 0)
			return -1;
		/* The pod's MAC is known: no ARP or neighbour discovery toward the pod either (IPv6
		 * discovery would wait for DAD on the host end's link-local address). */
		rc = nl_neigh_add(&a->host, a->hl.index, &a->addrs[i].addr, a->pl.mac);
		if (rc < 0)
			return nl_error(e, &a->host, rc, "adding neighbour %s on host veth %s",
					inet_addr_fmt(&a->addrs[i].addr, buf, sizeof(buf)), p->hostveth);
	}
	/* Routing through the veth needs forwarding on, nothing more. */
	for (int i = 0; i < 2; i++) {
		if (!(i == 0 ? a->has4 : a->has6))
			continue;
		fwd = i == 0 ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding";
		rc = sysctl_ensure(fwd, "1");
		if (rc < 0)
			return cni_error_set(e, CNI_ERR_IO, "setting %s to 1 on the node: %s", fwd, strerror(-rc));
	}
	return 0;
}

/* prevResult (when chained) with our interfaces, addresses and routes appended. */
static int add_result(struct add *a, json_t **out, struct cni_error *e)
{
	struct plugin *p = a->p;
	struct cni_iface hf = { 0 }, pf = { 0 };
	struct cni_result r;
	int pidx, rc = -1;

	cni_result_init(&r);
	if (p->conf.prev_result && cni_result_decode(p->conf.prev_result, &r, e) < 0)
		goto out;
	snprintf(hf.name, sizeof(hf.name), "%s", p->hostveth);
	nl_mac_fmt(a->hl.mac, hf.mac);
	hf.mtu = a->hl.mtu;
	snprintf(pf.name, sizeof(pf.name), "%s", p->env.ifname);
	nl_mac_fmt(a->pl.mac, pf.mac);
	snprintf(pf.sandbox, sizeof(pf.sandbox), "%s", p->env.netns);
	pf.mtu = a->pl.mtu;
	if (cni_result_add_iface(&r, &hf, e) < 0 || (pidx = cni_result_add_iface(&r, &pf, e)) < 0)
		goto out;
	for (size_t i = 0; i < a->n_addrs; i++) {
		struct cni_ip ip = { .addr = a->addrs[i], .iface = pidx };

		plugin_gateway(a->addrs[i].addr.family, &ip.gateway);
		if (cni_result_add_ip(&r, &ip, e) < 0)
			goto out;
	}
	for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
		struct cni_route rt = { .dst = { .addr = { .family = (uint8_t)fam } }, .scope = -1 };

		if ((fam == AF_INET && !a->has4) || (fam == AF_INET6 && !a->has6))
			continue;
		/* A secondary's default route is in its own table, which only 1.1.0 can say. */
		if (add_secondary(a, fam)) {
			if (p->conf.version < CNI_V110)
				continue;
			rt.table = a->table;
		}
		plugin_gateway(fam, &rt.gw);
		if (cni_result_add_route(&r, &rt, e) < 0)
			goto out;
	}
	for (size_t i = 0; i < a->ipam.n_routes; i++) {
		const struct cni_route *ir = &a->ipam.routes[i];
		struct cni_route rt = { .dst = ir->dst, .scope = -1 };
		int fam = ir->dst.addr.family;

		if (ir->dst.len == 0 || (fam == AF_INET && !a->has4) || (fam == AF_INET6 && !a->has6))
			continue;
		inet_prefix_network(&ir->dst, &rt.dst.addr);
		plugin_gateway(fam, &rt.gw);
		if (cni_result_add_route(&r, &rt, e) < 0)
			goto out;
	}
	if (a->ipam.dns && json_object_size(a->ipam.dns)) {
		json_decref(r.dns);
		r.dns = json_incref(a->ipam.dns);
	}
	*out = cni_result_encode(&r, p->conf.version);
	rc = *out ? 0 : cni_error_set(e, CNI_ERR_INTERNAL, "out of memory encoding the result");
out:
	cni_result_fini(&r);
	return rc;
}

/* The last step, once the pod is wired: tell weftd, whose data path takes over from here. */
static int add_register(struct add *a, struct cni_error *e)
{
	struct plugin *p = a->p;
	struct daemon_endpoint *ep = &a->ep;
	struct daemon_target t = { p->wconf.daemon_socket, (int)p->wconf.daemon_timeout_ms };

	if (!t.socket)
		return 0;
	ep->containerid = p->env.containerid;
	ep->ifname = p->env.ifname;
	ep->netns = p->env.netns;
	ep->network = p->conf.name;
	ep->host_ifname = p->hostveth;
	ep->host_ifindex = a->hl.index;
	memcpy(ep->host_mac, a->hl.mac, 6);
	memcpy(ep->pod_mac, a->pl.mac, 6);
	for (size_t i = 0; i < a->n_addrs; i++)
		ep->ips[ep->n_ips++] = a->addrs[i].addr;
	return daemon_endpoint_add(&t, ep, &a->maybe_registered, e);
}

/* The undo path for every failure after IPAM ADD. Deleting the host end deletes the pod end,
 * and with them every address, route and neighbour entry on either; rules are removed first. */
static void add_rollback(struct add *a, struct cni_error *e)
{
	struct plugin *p = a->p;
	struct cni_error sub = { 0 };
	struct nl_link l;
	int rc;

	/* An endpoint.add that timed out may still have been done: weftd must not keep pointing at
	 * the veth about to go, nor hold the addresses about to be released. */
	if (a->maybe_registered) {
		struct daemon_target t = { p->wconf.daemon_socket, (int)p->wconf.daemon_timeout_ms };

		if (daemon_endpoint_del(&t, p->env.containerid, p->env.ifname, &sub) < 0)
			add_note(e, "rollback: %s", sub.msg);
		sub = (struct cni_error){ 0 };
	}
	/* Rules outlive the veth: they go one by one. */
	for (size_t i = 0; i < a->n_rules; i++) {
		char buf[INET_PREFIXSTR];

		rc = nl_rule_del(&a->pod, &a->rules[i]);
		if (rc < 0 && rc != -ENOENT)
			add_note(e, "rollback: deleting rule from %s lookup %u in the pod failed: %s",
				 inet_prefix_fmt(&a->rules[i].src, buf, sizeof(buf)), a->rules[i].table, strerror(-rc));
	}
	if (a->veth_made) {
		int index = a->hl.index;

		if (!index && nl_link_get(&a->host, p->hostveth, 0, &l) == 0)
			index = l.index;
		rc = index ? nl_link_del(&a->host, index) : -ENODEV;
		if (rc < 0 && rc != -ENODEV)
			add_note(e, "rollback: deleting %s failed: %s", p->hostveth, strerror(-rc));
	}
	if (a->ipam_held && ipam_exec_call(&p->ipam, CNI_CMD_DEL, NULL, NULL, &sub) < 0)
		add_note(e, "rollback: IPAM DEL failed: %s", sub.msg);
}

int weft_cmd_add(struct plugin *p, json_t **out, struct cni_error *e)
{
	struct add a = { .p = p, .host_ns = -1, .pod_ns = -1 };
	int rc = -1;

	*out = NULL;
	cni_result_init(&a.ipam);
	if (add_prepare(&a, e) < 0 || add_ipam(&a, e) < 0 || add_veth(&a, e) < 0 ||
	    add_enter_pod(&a, e) < 0 || add_pod(&a, e) < 0 || add_host(&a, e) < 0 ||
	    add_result(&a, out, e) < 0 || add_register(&a, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		add_rollback(&a, e);
		json_decref(*out);
		*out = NULL;
	}
	cni_result_fini(&a.ipam);
	nl_close(&a.pod);
	nl_close(&a.host);
	if (a.pod_ns >= 0)
		close(a.pod_ns);
	if (a.host_ns >= 0)
		close(a.host_ns);
	return rc;
}
