/* CHECK: compare what ADD made with what is there, on both ends: the pod interface (MAC,
 * alias, up), its addresses, gateway neighbours and routes (for a family where the attachment is
 * secondary, its rules and its own table, sbr.h); the host veth (alias, up), its routes and
 * neighbours toward the pod. Every difference is named (code 109, the first in msg,
 * all of them in details); with "daemonSocket", weftd's endpoint for the attachment (code 11
 * when weftd does not answer); then IPAM's own CHECK. Without prevResult, the pod's addresses
 * found on the interface stand in for the expected ones. */
#include <errno.h>
#include <linux/neighbour.h>
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

#define CHECK_ROUTES_MAX 256
#define CHECK_RULES_MAX 64

struct check {
	struct plugin *p;
	struct nl_sock host, pod;
	struct cni_result prev;
	bool has_prev;
	int prev_pod;              /* index of the pod interface in prev, or CNI_NO_IFACE */
	struct nl_link hl, pl;
	bool host_ok, pod_ok;      /* the link exists (deeper checks make sense) */
	struct inet_prefix addrs[CNI_MAX_IPS]; /* the pod addresses expected */
	size_t n_addrs;
	bool has4, has6;
	unsigned problems;
	struct cni_error *e;
};

static void check_fail(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check_fail(struct check *c, const char *fmt, ...)
{
	char what[256];
	size_t len = strlen(c->e->details);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!c->problems++)
		cni_error_set(c->e, CNI_ERR_CHECK_FAILED, "%s", what);
	if (len + strlen(what) + 3 < sizeof(c->e->details))
		snprintf(c->e->details + len, sizeof(c->e->details) - len, "%s%s", len ? "; " : "", what);
}

static void check_add_expected(struct check *c, const struct inet_prefix *pfx)
{
	for (size_t i = 0; i < c->n_addrs; i++)
		if (inet_addr_equal(&c->addrs[i].addr, &pfx->addr))
			return;
	if (c->n_addrs == CNI_MAX_IPS)
		return;
	c->addrs[c->n_addrs++] = *pfx;
	if (pfx->addr.family == AF_INET)
		c->has4 = true;
	else
		c->has6 = true;
}

static void check_links(struct check *c)
{
	struct plugin *p = c->p;
	char mac[18];
	int rc;

	rc = nl_link_get(&c->host, p->hostveth, 0, &c->hl);
	if (rc == -ENODEV) {
		check_fail(c, "host veth %s is missing", p->hostveth);
	} else if (rc < 0) {
		nl_error(c->e, &c->host, rc, "looking up host veth %s", p->hostveth);
	} else if (strcmp(c->hl.alias, p->alias) != 0) {
		check_fail(c, "host veth %s belongs to another attachment (alias '%s')", p->hostveth, c->hl.alias);
	} else {
		c->host_ok = true;
		if (!(c->hl.flags & IFF_UP))
			check_fail(c, "host veth %s is down", p->hostveth);
	}

	rc = nl_link_get(&c->pod, p->env.ifname, 0, &c->pl);
	if (rc == -ENODEV) {
		check_fail(c, "%s is missing in the pod", p->env.ifname);
		return;
	}
	if (rc < 0) {
		nl_error(c->e, &c->pod, rc, "looking up %s in the pod", p->env.ifname);
		return;
	}
	c->pod_ok = true;
	if (strcmp(c->pl.alias, p->alias) != 0)
		check_fail(c, "%s in the pod was not made by this attachment (alias '%s')", p->env.ifname, c->pl.alias);
	if (!(c->pl.flags & IFF_UP))
		check_fail(c, "%s in the pod is down", p->env.ifname);
	nl_mac_fmt(c->pl.mac, mac);
	if (c->prev_pod != CNI_NO_IFACE && c->prev.ifaces[c->prev_pod].mac[0] &&
	    strcasecmp(c->prev.ifaces[c->prev_pod].mac, mac) != 0)
		check_fail(c, "%s in the pod has MAC %s, prevResult says %s", p->env.ifname, mac,
			   c->prev.ifaces[c->prev_pod].mac);
}

struct addr_seen {
	struct check *c;
	bool found[CNI_MAX_IPS];
	bool collect; /* no prevResult: what is there is what we expect */
};

static int check_addr_cb(const struct nl_addr *a, void *data)
{
	struct addr_seen *s = data;
	struct check *c = s->c;

	if (a->scope != RT_SCOPE_UNIVERSE)
		return 0;
	if (s->collect)
		check_add_expected(c, &a->prefix);
	for (size_t i = 0; i < c->n_addrs; i++)
		if (inet_addr_equal(&c->addrs[i].addr, &a->prefix.addr) && c->addrs[i].len == a->prefix.len)
			s->found[i] = true;
	return 0;
}

static void check_pod_addrs(struct check *c)
{
	struct addr_seen seen = { .c = c, .collect = !c->has_prev };
	char buf[INET_PREFIXSTR];
	int rc;

	rc = nl_addr_dump(&c->pod, AF_UNSPEC, c->pl.index, check_addr_cb, &seen);
	if (rc < 0) {
		nl_error(c->e, &c->pod, rc, "listing addresses in the pod");
		return;
	}
	for (size_t i = 0; i < c->n_addrs; i++)
		if (!seen.found[i])
			check_fail(c, "address %s is missing on %s in the pod",
				   inet_prefix_fmt(&c->addrs[i], buf, sizeof(buf)), c->p->env.ifname);
	if (!c->has_prev && c->n_addrs == 0)
		check_fail(c, "%s in the pod has no address", c->p->env.ifname);
}

/* A permanent entry ip -> mac on index. */
static void check_neigh(struct check *c, struct nl_sock *s, int index, const struct inet_addr *ip,
			const uint8_t mac[6], const char *where)
{
	char abuf[INET_ADDRSTR], want[18], got[18];
	struct nl_neigh n;
	int rc;

	inet_addr_fmt(ip, abuf, sizeof(abuf));
	rc = nl_neigh_get(s, index, ip, &n);
	if (rc == -ENOENT) {
		check_fail(c, "neighbour entry %s is missing in the %s", abuf, where);
		return;
	}
	if (rc < 0) {
		nl_error(c->e, s, rc, "looking up neighbour %s in the %s", abuf, where);
		return;
	}
	nl_mac_fmt(mac, want);
	nl_mac_fmt(n.mac, got);
	if (!n.has_mac || memcmp(n.mac, mac, 6) != 0)
		check_fail(c, "neighbour entry %s in the %s points to %s, not %s", abuf, where,
			   n.has_mac ? got : "nothing", want);
	else if (!(n.state & NUD_PERMANENT))
		check_fail(c, "neighbour entry %s in the %s is not permanent", abuf, where);
}

struct route_list {
	struct nl_route r[CHECK_ROUTES_MAX];
	size_t n;
};

static int check_route_cb(const struct nl_route *r, void *data)
{
	struct route_list *l = data;

	if (l->n < CHECK_ROUTES_MAX)
		l->r[l->n++] = *r;
	return 0;
}

/* Is dst (via gw, if set) through oif in the list? */
static bool route_present(const struct route_list *l, const struct inet_prefix *dst, const struct inet_addr *gw,
			  int oif)
{
	struct inet_addr net;

	inet_prefix_network(dst, &net);
	for (size_t i = 0; i < l->n; i++) {
		const struct nl_route *r = &l->r[i];

		if (r->dst.addr.family == dst->addr.family && r->dst.len == dst->len &&
		    inet_addr_equal(&r->dst.addr, &net) && r->oif == oif &&
		    (gw->family ? inet_addr_equal(&r->gw, gw) : !r->gw.family))
			return true;
	}
	return false;
}

static void check_route(struct check *c, const struct route_list *l, const struct inet_prefix *dst,
			const struct inet_addr *gw, int oif, const char *where)
{
	char dbuf[INET_PREFIXSTR], gbuf[INET_ADDRSTR];

	if (!route_present(l, dst, gw, oif))
		check_fail(c, "route %s%s%s is missing in the %s", inet_prefix_fmt(dst, dbuf, sizeof(dbuf)),
			   gw->family ? " via " : "", gw->family ? inet_addr_fmt(gw, gbuf, sizeof(gbuf)) : "", where);
}

/* Is there a default route of family in the list, through any interface? */
static bool default_present(const struct route_list *l, int family)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->r[i].dst.addr.family == family && l->r[i].dst.len == 0)
			return true;
	return false;
}

struct rule_list {
	struct check *c;
	unsigned table;
	struct nl_rule r[CHECK_RULES_MAX];
	size_t n;
};

/* Rules that belong to this attachment: at our priority, pointing at our table or from one of
 * our addresses (a rule pointing elsewhere is worth reporting as missing). */
static int check_rule_cb(const struct nl_rule *r, void *data)
{
	struct rule_list *rl = data;
	struct inet_addr addrs[CNI_MAX_IPS];

	for (size_t i = 0; i < rl->c->n_addrs; i++)
		addrs[i] = rl->c->addrs[i].addr;
	if (sbr_rule_match(r, rl->table, addrs, rl->c->n_addrs) && rl->n < CHECK_RULES_MAX)
		rl->r[rl->n++] = *r;
	return 0;
}

static bool rule_of_family(const struct rule_list *rl, int family)
{
	for (size_t i = 0; i < rl->n; i++)
		if (rl->r[i].src.addr.family == family)
			return true;
	return false;
}

static void check_rule(struct check *c, const struct rule_list *rl, const struct inet_addr *addr)
{
	char buf[INET_PREFIXSTR];
	struct nl_rule want;

	sbr_rule(addr, rl->table, &want);
	for (size_t i = 0; i < rl->n; i++) {
		const struct nl_rule *r = &rl->r[i];

		if (r->table == want.table && r->src.len == want.src.len && inet_addr_equal(&r->src.addr, addr))
			return;
	}
	check_fail(c, "rule from %s lookup %u (priority %u) is missing in the pod",
		   inet_prefix_fmt(&want.src, buf, sizeof(buf)), want.table, want.priority);
}

/* The routes ADD puts in main (primary) or in the table of a secondary. */
static void check_gateway_routes(struct check *c, const struct route_list *l, int family, const char *where)
{
	struct inet_addr gw, none = { 0 };
	struct inet_prefix def = { .addr = { .family = (uint8_t)family } };

	plugin_gateway(family, &gw);
	if (family == AF_INET) {
		struct inet_prefix link = { .addr = gw, .len = 32 };

		check_route(c, l, &link, &none, c->pl.index, where);
	}
	check_route(c, l, &def, &gw, c->pl.index, where);
}

/* A family is secondary when ADD found another attachment's default route: now our rules say
 * so, or (rules lost) a default route in main that is not ours. Otherwise ADD made it primary,
 * and a missing default route is reported as such. */
static void check_pod_routes(struct check *c, struct route_list *l, struct route_list *tl)
{
	struct rule_list rules = { .c = c, .table = sbr_table(c->pl.index) }, *rl = &rules;
	bool secondary[2] = { false, false }, tl_read = false;
	char where[48];
	struct inet_addr gw;
	int rc;

	l->n = 0;
	rc = nl_route_dump(&c->pod, AF_UNSPEC, 0, check_route_cb, l);
	if (rc < 0) {
		nl_error(c->e, &c->pod, rc, "listing routes in the pod");
		return;
	}
	rc = nl_rule_dump(&c->pod, AF_UNSPEC, check_rule_cb, rl);
	if (rc < 0 && rc != -EOPNOTSUPP) { /* no policy routing in the kernel: no rules, no secondary */
		nl_error(c->e, &c->pod, rc, "listing rules in the pod");
		return;
	}
	snprintf(where, sizeof(where), "pod's table %u", rl->table);
	for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
		struct inet_prefix def = { .addr = { .family = (uint8_t)fam } };
		bool *sec = &secondary[fam == AF_INET6];

		if ((fam == AF_INET && !c->has4) || (fam == AF_INET6 && !c->has6))
			continue;
		plugin_gateway(fam, &gw);
		if (c->host_ok)
			check_neigh(c, &c->pod, c->pl.index, &gw, c->hl.mac, "pod");
		*sec = !route_present(l, &def, &gw, c->pl.index) && (rule_of_family(rl, fam) || default_present(l, fam));
		if (!*sec) {
			check_gateway_routes(c, l, fam, "pod");
			continue;
		}
		for (size_t i = 0; i < c->n_addrs; i++)
			if (c->addrs[i].addr.family == fam)
				check_rule(c, rl, &c->addrs[i].addr);
		if (!tl_read) {
			tl_read = true;
			tl->n = 0;
			rc = nl_route_dump(&c->pod, AF_UNSPEC, rl->table, check_route_cb, tl);
			if (rc < 0) {
				nl_error(c->e, &c->pod, rc, "listing routes of table %u in the pod", rl->table);
				return;
			}
		}
		check_gateway_routes(c, tl, fam, where);
	}
	/* prevResult's routes through our gateway are ours (IPAM's extra routes): in main, and for
	 * a secondary in its table too. */
	for (size_t i = 0; c->has_prev && i < c->prev.n_routes; i++) {
		const struct cni_route *r = &c->prev.routes[i];

		if (!r->gw.family || r->dst.len == 0)
			continue;
		plugin_gateway(r->gw.family, &gw);
		if (!inet_addr_equal(&gw, &r->gw))
			continue;
		check_route(c, l, &r->dst, &gw, c->pl.index, "pod");
		if (secondary[r->dst.addr.family == AF_INET6])
			check_route(c, tl, &r->dst, &gw, c->pl.index, where);
	}
}

static void check_host(struct check *c, struct route_list *l)
{
	struct inet_addr none = { 0 };
	int rc;

	l->n = 0;
	rc = nl_route_dump(&c->host, AF_UNSPEC, 0, check_route_cb, l);
	if (rc < 0) {
		nl_error(c->e, &c->host, rc, "listing routes on the node");
		return;
	}
	for (size_t i = 0; i < c->n_addrs; i++) {
		struct inet_prefix host = c->addrs[i];

		host.len = (uint8_t)inet_family_bits(host.addr.family);
		check_route(c, l, &host, &none, c->hl.index, "node");
		if (c->pod_ok)
			check_neigh(c, &c->host, c->hl.index, &host.addr, c->pl.mac, "node");
	}
}

static void check_daemon_fail(void *arg, const char *what)
{
	check_fail(arg, "%s", what);
}

/* weftd knows the attachment, with the veth, MACs and addresses that are there. */
static void check_daemon(struct check *c)
{
	struct plugin *p = c->p;
	struct daemon_target t = { p->wconf.daemon_socket, (int)p->wconf.daemon_timeout_ms };
	struct daemon_endpoint want = {
		.netns = p->env.netns, .network = p->conf.name, .host_ifname = p->hostveth,
	};
	struct cni_error sub = { 0 };
	json_t *got = NULL;
	int rc;

	rc = daemon_endpoint_get(&t, p->env.containerid, p->env.ifname, &got, &sub);
	if (rc < 0) {
		if (!c->e->code)
			*c->e = sub;
		else
			check_fail(c, "%s", sub.msg);
		return;
	}
	if (rc == 0) {
		check_fail(c, "weftd at %s has no endpoint for %s/%s", t.socket, p->env.containerid, p->env.ifname);
		return;
	}
	if (c->host_ok) {
		want.host_ifindex = c->hl.index;
		memcpy(want.host_mac, c->hl.mac, 6);
	}
	if (c->pod_ok)
		memcpy(want.pod_mac, c->pl.mac, 6);
	for (size_t i = 0; i < c->n_addrs; i++)
		want.ips[want.n_ips++] = c->addrs[i].addr;
	daemon_endpoint_compare(got, &want, check_daemon_fail, c);
	json_decref(got);
}

/* Expected addresses from prevResult: those on our pod interface (or every IP when
 * prevResult names no interfaces). */
static int check_prev(struct check *c, struct cni_error *e)
{
	struct plugin *p = c->p;

	c->prev_pod = CNI_NO_IFACE;
	if (!p->conf.prev_result)
		return 0;
	if (cni_result_decode(p->conf.prev_result, &c->prev, e) < 0)
		return -1;
	c->has_prev = true;
	for (size_t i = 0; i < c->prev.n_ifaces; i++)
		if (strcmp(c->prev.ifaces[i].name, p->env.ifname) == 0 &&
		    (!c->prev.ifaces[i].sandbox[0] || strcmp(c->prev.ifaces[i].sandbox, p->env.netns) == 0))
			c->prev_pod = (int)i;
	for (size_t i = 0; i < c->prev.n_ips; i++)
		if (c->prev_pod == CNI_NO_IFACE ? c->prev.n_ifaces == 0 : c->prev.ips[i].iface == c->prev_pod)
			check_add_expected(c, &c->prev.ips[i].addr);
	if (c->n_addrs == 0)
		return cni_error_set(e, CNI_ERR_CHECK_FAILED, "prevResult has no address on %s", p->env.ifname);
	return 0;
}

/* Open a socket in the pod's namespace: the only setns of CHECK. */
static int check_open_pod(struct check *c, struct cni_error *e)
{
	struct plugin *p = c->p;
	int pod_ns, host_ns, rc, back;

	pod_ns = netns_open(p->env.netns);
	if (pod_ns < 0)
		return plugin_netns_error(e, p->env.netns, pod_ns);
	host_ns = netns_current();
	if (host_ns < 0) {
		close(pod_ns);
		return cni_error_set(e, CNI_ERR_INTERNAL, "opening the current network namespace: %s", strerror(-host_ns));
	}
	rc = netns_enter(pod_ns);
	if (rc == 0) {
		rc = nl_open(&c->pod);
		back = netns_enter(host_ns);
		if (back < 0)
			rc = cni_error_set(e, CNI_ERR_NETNS, "returning to the host network namespace: %s", strerror(-back));
		else if (rc < 0)
			rc = nl_error(e, NULL, rc, "opening a netlink socket in CNI_NETNS");
	} else {
		rc = cni_error_set(e, CNI_ERR_NETNS, "entering CNI_NETNS %.200s: %s", p->env.netns, strerror(-rc));
	}
	close(host_ns);
	close(pod_ns);
	return rc;
}

int weft_cmd_check(struct plugin *p, json_t **out, struct cni_error *e)
{
	static struct route_list routes, table; /* 256 routes each: keep them off the stack */
	struct check c = { .p = p, .e = e };
	int rc = -1;

	cni_result_init(&c.prev);
	if (check_prev(&c, e) < 0 || check_open_pod(&c, e) < 0)
		goto out;
	rc = nl_open(&c.host);
	if (rc < 0) {
		rc = nl_error(e, NULL, rc, "opening a netlink socket");
		goto out;
	}
	check_links(&c);
	if (c.pod_ok) {
		check_pod_addrs(&c);
		check_pod_routes(&c, &routes, &table);
	}
	if (c.host_ok)
		check_host(&c, &routes);
	if (p->wconf.daemon_socket)
		check_daemon(&c);
	if (e->code) {
		rc = -1;
		goto out;
	}
	rc = ipam_exec_call(&p->ipam, CNI_CMD_CHECK, NULL, NULL, e);
out:
	cni_result_fini(&c.prev);
	nl_close(&c.pod);
	nl_close(&c.host);
	return rc;
}
