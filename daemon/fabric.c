/* The fabric (fabric.h): start-up (the VXLAN device adopted or made, its MTU, its addresses,
 * the overlay program, the mode in weft_config, the masquerade table), the RIB subscriber that
 * puts each best path into the data path and takes it out again, the sweep of what an earlier
 * weftd left, and the removal of it all. The daemon logs here, where it decides. */
#include "fabric.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kroute.h"
#include "log.h"
#include "masq.h"

/* VXLAN's own headers: outer IPv4 (20) or IPv6 (40), UDP (8), VXLAN (8), inner Ethernet (14). */
#define FABRIC_OVERHEAD4 50
#define FABRIC_OVERHEAD6 70
#define FABRIC_ALIAS_MAX 96
#define FABRIC_MTU_MIN 576 /* IPv4's minimum datagram size: below it nothing sensible fits */

struct fabric {
	const struct fabric_conf *c;   /* weftd's configuration, which outlives the fabric */
	char node[CONF_NODE_MAX];
	struct dp *dp;
	struct rib *rib;
	struct kroute *kr;
	unsigned ul_ifindex;           /* the underlay device */
	unsigned vx_ifindex;           /* overlay: the VXLAN device */
	unsigned mtu;                  /* overlay: its MTU */
	struct inet_addr router4, router6; /* overlay: the node's addresses on it (family 0: none) */
	unsigned long installed, removed, failed;
};

/* The VXLAN device of this node's weftd carries this alias: what weftd made, it may remove. */
static void fabric_alias(const char *node, char *buf, size_t len)
{
	snprintf(buf, len, "weft:%s:fabric", node);
}

static int fabric_err(char *err, size_t errlen, int r, const struct kroute *kr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fabric_err(char *err, size_t errlen, int r, const struct kroute *kr, const char *fmt, ...)
{
	char what[512];
	const char *ext = kr ? kroute_ext_msg(kr) : "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s%s%s", what, strerror(r < 0 ? -r : r), ext[0] ? " (kernel: " : "",
		 ext[0] ? ext : "");
	if (ext[0])
		strncat(err, ")", errlen - strlen(err) - 1);
	return -1;
}

/* ---- the RIB subscriber ------------------------------------------------------------------------ */

/* Whether best goes to another node, and can be installed in this mode. */
static bool fabric_remote(const struct fabric *f, const struct rib_path *best)
{
	if (!best || best->source == RIB_SOURCE_LOCAL || fabric_conf_is_node(f->c, &best->nexthop))
		return false;
	/* Linux has no IPv6 route through an IPv4 neighbour (the overlay has no such limit). */
	return !(f->c->mode == FABRIC_MODE_NATIVE && best->prefix.addr.family == AF_INET6 &&
		 best->nexthop.family == AF_INET);
}

static void fabric_route_of(const struct fabric *f, const struct rib_path *best, struct kroute_route *r)
{
	memset(r, 0, sizeof(*r));
	r->dst = best->prefix;
	if (f->c->mode == FABRIC_MODE_NATIVE) {
		r->gw = best->nexthop;
		return;
	}
	r->oif = f->vx_ifindex;
	r->encap = best->nexthop;
	r->encap_id = WEFT_VXLAN_VNI;
	/* The node speaks to remote pods from its address on the VXLAN device (inside its own pod
	 * CIDR), so the answers come back through the tunnel, whatever the underlay's family. */
	r->src = best->prefix.addr.family == AF_INET ? f->router4 : f->router6;
}

/* Native mode: WEFT_TUNNEL_NEIGH when the kernel sends the prefix (its route just installed)
 * straight to best's next hop on the underlay device, so the data path may redirect there itself
 * rather than ask the FIB for every packet. Another device, another gateway (a route of the
 * operator's more specific than ours, an IPv6 next hop for IPv4 pods), or no answer: 0, and the
 * data path asks the FIB. */
static unsigned fabric_tunnel_flags(struct fabric *f, const struct rib_path *best)
{
	struct inet_addr gw;
	unsigned oif = 0;

	if (f->c->mode != FABRIC_MODE_NATIVE || best->nexthop.family != best->prefix.addr.family)
		return 0;
	if (kroute_route_get(f->kr, &best->prefix.addr, &oif, &gw) < 0)
		return 0;
	return oif && oif == f->ul_ifindex && inet_addr_equal(&gw, &best->nexthop) ? WEFT_TUNNEL_NEIGH : 0;
}

static int fabric_install(struct fabric *f, const struct rib_path *best)
{
	char p[INET_PREFIXSTR], a[INET_ADDRSTR];
	struct kroute_route r;
	int e;

	inet_prefix_fmt(&best->prefix, p, sizeof(p));
	inet_addr_fmt(&best->nexthop, a, sizeof(a));
	fabric_route_of(f, best, &r);
	/* Native: the kernel route first, since the BPF program looks it up; overlay: the tunnel
	 * entry first, the pods' path, then the node's. */
	if (f->c->mode == FABRIC_MODE_NATIVE && (e = kroute_route_replace(f->kr, &r)) < 0)
		goto fail_route;
	if ((e = dp_tunnel_upsert(f->dp, &best->prefix, &best->nexthop, fabric_tunnel_flags(f, best))) < 0) {
		log_warnx("fabric: %s via %s: writing %s: %s", p, a, WEFT_MAP_TUNNEL, strerror(-e));
		f->failed++;
		return e;
	}
	if (f->c->mode == FABRIC_MODE_OVERLAY && (e = kroute_route_replace(f->kr, &r)) < 0)
		goto fail_route;
	f->installed++;
	log_debug("fabric: %s via %s (%s)", p, a, f->c->mode == FABRIC_MODE_NATIVE ? "kernel" : "tunnel");
	return 0;
fail_route:
	log_warnx("fabric: %s via %s: kernel route: %s%s%s", p, a, strerror(-e), kroute_ext_msg(f->kr)[0] ? ": " : "",
		  kroute_ext_msg(f->kr));
	f->failed++;
	return e;
}

static int fabric_uninstall(struct fabric *f, const struct inet_prefix *prefix)
{
	char p[INET_PREFIXSTR];
	int e1, e2;

	/* The tunnel entry first: pods stop sending there at once. */
	e1 = dp_tunnel_delete(f->dp, prefix);
	e2 = kroute_route_del(f->kr, prefix);
	inet_prefix_fmt(prefix, p, sizeof(p));
	if (e1 < 0 || e2 < 0) {
		log_warnx("fabric: removing %s: %s", p, strerror(-(e1 < 0 ? e1 : e2)));
		f->failed++;
		return e1 < 0 ? e1 : e2;
	}
	f->removed++;
	log_debug("fabric: %s removed", p);
	return 0;
}

static void fabric_on_change(void *arg, const struct inet_prefix *prefix, const struct rib_path *best)
{
	struct fabric *f = arg;
	struct inet_addr node;

	if (fabric_remote(f, best)) {
		fabric_install(f, best);
		return;
	}
	/* The node's own prefix, arriving: nothing of it can be in the data path unless an
	 * earlier configuration routed it elsewhere. */
	if (best && best->source == RIB_SOURCE_LOCAL && dp_tunnel_lookup(f->dp, prefix, &node) < 0)
		return;
	if (best && best->source != RIB_SOURCE_LOCAL && !fabric_conf_is_node(f->c, &best->nexthop)) {
		char p[INET_PREFIXSTR], a[INET_ADDRSTR];

		log_warnx("fabric: %s via %s: native mode cannot route an IPv6 prefix through an IPv4 next hop",
			  inet_prefix_fmt(prefix, p, sizeof(p)), inet_addr_fmt(&best->nexthop, a, sizeof(a)));
	}
	fabric_uninstall(f, prefix);
}

/* ---- the sweep -------------------------------------------------------------------------------- */

struct fabric_stale {
	struct inet_prefix *v;
	size_t n, cap;
};

static int fabric_stale_push(struct fabric_stale *s, const struct inet_prefix *p)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct inet_prefix *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *p;
	return 0;
}

struct fabric_walk {
	struct fabric *f;
	struct fabric_stale stale;
};

static int fabric_tunnel_check(const struct inet_prefix *prefix, const struct inet_addr *node, void *arg)
{
	struct fabric_walk *w = arg;
	const struct rib_path *best = rib_best(w->f->rib, prefix);

	if (!fabric_remote(w->f, best))
		return fabric_stale_push(&w->stale, prefix);
	return 0;
}

static int fabric_route_check(const struct kroute_route *r, void *arg)
{
	struct fabric_walk *w = arg;
	const struct rib_path *best = rib_best(w->f->rib, &r->dst);

	if (!fabric_remote(w->f, best))
		return fabric_stale_push(&w->stale, &r->dst);
	return 0;
}

static int fabric_prefix_cmp(const void *x, const void *y)
{
	const struct inet_prefix *a = x, *b = y;
	int c = inet_addr_cmp(&a->addr, &b->addr);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int fabric_reinstall(const struct rib_path *best, void *arg)
{
	struct fabric *f = arg;

	if (fabric_remote(f, best))
		fabric_install(f, best);
	return 0;
}

struct fabric_refresh {
	struct fabric *f;
	size_t direct;
};

/* An entry in the data path: only its flag is rewritten, and only while the RIB still sends
 * its prefix to the same node (anything else is the RIB subscriber's or the sweep's). */
static int fabric_refresh_one(const struct inet_prefix *prefix, const struct inet_addr *node, void *arg)
{
	struct fabric_refresh *w = arg;
	const struct rib_path *best = rib_best(w->f->rib, prefix);
	unsigned flags;

	if (!fabric_remote(w->f, best) || !inet_addr_equal(&best->nexthop, node))
		return 0;
	flags = fabric_tunnel_flags(w->f, best);
	if (dp_tunnel_upsert(w->f->dp, prefix, node, flags) == 0 && flags)
		w->direct++;
	return 0;
}

size_t fabric_refresh_direct(struct fabric *f)
{
	struct fabric_refresh w = { .f = f };

	if (!f || f->c->mode != FABRIC_MODE_NATIVE)
		return 0;
	dp_tunnel_foreach(f->dp, fabric_refresh_one, &w);
	return w.direct;
}

int fabric_sweep(struct fabric *f)
{
	struct fabric_walk w = { .f = f };
	unsigned long failed;
	int r, first = 0;

	if (!f)
		return 0;
	failed = f->failed;
	/* Collect first (the walks read maps and dumps that the removal would change). */
	r = dp_tunnel_foreach(f->dp, fabric_tunnel_check, &w);
	if (r == 0)
		r = kroute_route_foreach(f->kr, AF_INET, fabric_route_check, &w);
	if (r == 0)
		r = kroute_route_foreach(f->kr, AF_INET6, fabric_route_check, &w);
	if (r < 0) {
		log_warnx("fabric: sweep: reading the data path: %s", strerror(-r));
		first = r;
	}
	/* A prefix is often both a tunnel entry and a kernel route: once is enough. */
	if (w.stale.n > 1)
		qsort(w.stale.v, w.stale.n, sizeof(*w.stale.v), fabric_prefix_cmp);
	for (size_t i = 0; i < w.stale.n; i++) {
		char p[INET_PREFIXSTR];

		if (i > 0 && fabric_prefix_cmp(&w.stale.v[i - 1], &w.stale.v[i]) == 0)
			continue;

		log_info("fabric: %s: no route in the RIB any more, removed", inet_prefix_fmt(&w.stale.v[i], p, sizeof(p)));
		r = fabric_uninstall(f, &w.stale.v[i]);
		if (r < 0 && !first)
			first = r;
	}
	free(w.stale.v);
	/* And what is missing (a failure earlier, a route removed by hand): replacing is harmless. */
	rib_foreach_best(f->rib, fabric_reinstall, f);
	if (f->failed != failed && !first)
		first = -EIO;
	log_info("fabric: sweep done: %zu prefixes in the RIB, %lu installs, %lu removals, %lu failures so far",
		 rib_prefix_count(f->rib), f->installed, f->removed, f->failed);
	return first;
}

/* ---- the RIB's local content ------------------------------------------------------------------- */

static struct rib_path fabric_path(const struct inet_prefix *p, const struct inet_addr *nh, uint32_t source)
{
	struct rib_path r = { .prefix = *p, .nexthop = *nh, .source = source, .local_pref = 100 };

	return r;
}

void fabric_rib_load(struct rib *rib, const struct fabric_conf *c)
{
	if (!c->node_address.family)
		return;
	for (size_t i = 0; i < c->n_pod_cidrs; i++) {
		struct rib_path p = fabric_path(&c->pod_cidrs[i], fabric_conf_nexthop(c, c->pod_cidrs[i].addr.family),
						RIB_SOURCE_LOCAL);

		rib_update(rib, &p);
	}
	for (size_t i = 0; i < c->n_static; i++) {
		struct rib_path p = fabric_path(&c->static_routes[i].prefix, &c->static_routes[i].nexthop, RIB_SOURCE_STATIC);

		rib_update(rib, &p);
	}
}

void fabric_rib_reload(struct rib *rib, const struct fabric_conf *old, const struct fabric_conf *now)
{
	for (size_t i = 0; i < old->n_static; i++) {
		bool kept = false;

		for (size_t j = 0; j < now->n_static && !kept; j++)
			kept = old->static_routes[i].prefix.len == now->static_routes[j].prefix.len &&
			       inet_addr_equal(&old->static_routes[i].prefix.addr, &now->static_routes[j].prefix.addr);
		if (!kept)
			rib_withdraw(rib, &old->static_routes[i].prefix, RIB_SOURCE_STATIC);
	}
	/* An unchanged path is no change for the RIB: its subscribers hear nothing. */
	for (size_t i = 0; now->node_address.family && i < now->n_static; i++) {
		struct rib_path p = fabric_path(&now->static_routes[i].prefix, &now->static_routes[i].nexthop,
						RIB_SOURCE_STATIC);

		rib_update(rib, &p);
	}
}

json_t *fabric_installed_json(struct fabric *f, const struct rib_path *best)
{
	struct inet_addr node;

	if (!f || !best)
		return NULL;
	if (best->source == RIB_SOURCE_LOCAL || fabric_conf_is_node(f->c, &best->nexthop))
		return json_string("local");
	if (!fabric_remote(f, best) || dp_tunnel_lookup(f->dp, &best->prefix, &node) < 0 ||
	    !inet_addr_equal(&node, &best->nexthop))
		return json_string("failed");
	return json_string(f->c->mode == FABRIC_MODE_NATIVE ? "kernel" : "tunnel");
}

/* ---- start-up and teardown ---------------------------------------------------------------------- */

/* The device of nodeAddress (or fabric.underlayDevice) and its MTU. */
static int fabric_underlay(struct fabric *f, struct kroute_link *l, char *err, size_t errlen)
{
	char a[INET_ADDRSTR];
	unsigned ifindex;
	int r;

	if (f->c->underlay_device[0]) {
		r = kroute_link_get(f->kr, f->c->underlay_device, 0, l);
		if (r < 0)
			return fabric_err(err, errlen, r, f->kr, "fabric.underlayDevice \"%s\"", f->c->underlay_device);
		return 0;
	}
	inet_addr_fmt(&f->c->node_address, a, sizeof(a));
	r = kroute_addr_find(f->kr, &f->c->node_address, &ifindex);
	if (r == -ENOENT)
		return fabric_err(err, errlen, -EADDRNOTAVAIL, NULL,
				  "nodeAddress \"%s\" is on no device of this node (or set fabric.underlayDevice)", a);
	if (r == 0)
		r = kroute_link_get(f->kr, NULL, ifindex, l);
	if (r < 0)
		return fabric_err(err, errlen, r, f->kr, "finding the device of nodeAddress \"%s\"", a);
	return 0;
}

/* Our VXLAN device, if there is one by that name: its link; -ENODEV if none; -EEXIST if the
 * name belongs to a device that is not ours. */
static int fabric_vxlan_find(struct kroute *kr, const char *node, const char *name, struct kroute_link *l)
{
	char alias[FABRIC_ALIAS_MAX];
	int r = kroute_link_get(kr, name, 0, l);

	if (r < 0)
		return r;
	fabric_alias(node, alias, sizeof(alias));
	return strcmp(l->alias, alias) == 0 ? 0 : -EEXIST;
}

static int fabric_vxlan_setup(struct fabric *f, char *err, size_t errlen)
{
	const struct fabric_conf *c = f->c;
	struct kroute_link u, l;
	char alias[FABRIC_ALIAS_MAX];
	unsigned overhead;
	int r;

	r = fabric_underlay(f, &u, err, errlen);
	if (r < 0)
		return r;
	f->ul_ifindex = u.ifindex;
	/* With nodeAddress6 too, IPv6 pods may travel over the IPv6 underlay: the larger overhead. */
	overhead = c->node_address.family == AF_INET && !c->node_address6.family ? FABRIC_OVERHEAD4 : FABRIC_OVERHEAD6;
	if (u.mtu < FABRIC_MTU_MIN + overhead)
		return fabric_err(err, errlen, -EINVAL, NULL, "the underlay device %s has MTU %u: no room for VXLAN's %u bytes",
				  u.name, u.mtu, overhead);
	f->mtu = u.mtu - overhead;
	if (f->mtu < 1280)
		log_warnx("fabric: the underlay %s has MTU %u: the VXLAN device gets %u, too small for IPv6 pods", u.name,
			  u.mtu, f->mtu);
	fabric_alias(f->node, alias, sizeof(alias));

	r = fabric_vxlan_find(f->kr, f->node, c->vxlan_device, &l);
	if (r == -EEXIST)
		return fabric_err(err, errlen, r, NULL,
				  "fabric.vxlanDevice \"%s\": a device of that name exists and is not this weftd's "
				  "(alias \"%s\", wanted \"%s\"); remove it or choose another name",
				  c->vxlan_device, l.alias, alias);
	if (r == 0 && (strcmp(l.kind, "vxlan") != 0 || !l.vxlan_external || l.vxlan_learning ||
		       l.vxlan_port != c->vxlan_port)) {
		/* Ours, made with other settings (fabric.vxlanPort changed): the kernel cannot change
		 * a VXLAN device's port, so it is made again. */
		log_info("fabric: %s has port %u, want %u: replacing it", c->vxlan_device, l.vxlan_port, c->vxlan_port);
		if ((r = kroute_link_del(f->kr, l.ifindex)) < 0)
			return fabric_err(err, errlen, r, f->kr, "removing %s", c->vxlan_device);
		r = -ENODEV;
	}
	if (r == -ENODEV) {
		r = kroute_vxlan_add(f->kr, c->vxlan_device, c->vxlan_port, f->mtu, alias);
		if (r < 0)
			return fabric_err(err, errlen, r, f->kr, "creating the VXLAN device %s (port %u)", c->vxlan_device,
					  c->vxlan_port);
		log_info("fabric: created %s (collect metadata, UDP port %u, MTU %u)", c->vxlan_device, c->vxlan_port,
			 f->mtu);
		r = kroute_link_get(f->kr, c->vxlan_device, 0, &l);
	}
	if (r < 0)
		return fabric_err(err, errlen, r, f->kr, "reading the VXLAN device %s", c->vxlan_device);
	if ((r = kroute_link_up(f->kr, l.ifindex, f->mtu)) < 0)
		return fabric_err(err, errlen, r, f->kr, "bringing %s up with MTU %u", c->vxlan_device, f->mtu);
	f->vx_ifindex = l.ifindex;
	/* Re-read: the MAC is what BPF writes as the inner source. */
	if ((r = kroute_link_get(f->kr, NULL, l.ifindex, &l)) < 0)
		return fabric_err(err, errlen, r, f->kr, "reading %s", c->vxlan_device);
	{
		struct weft_config wc = { .mode = WEFT_FABRIC_OVERLAY, .ifindex = l.ifindex, .vni = WEFT_VXLAN_VNI,
					  .vxlan_port = htons(c->vxlan_port) };

		memcpy(wc.vxlan_mac, l.mac, 6);
		if (dp_fabric_config_set(f->dp, &wc, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The network address of each pod CIDR is the node's own, on the VXLAN device. Others an
 * earlier configuration put there go. */
struct fabric_addrs {
	struct fabric *f;
	struct inet_addr want[FABRIC_CONF_POD_CIDRS_MAX];
	size_t n;
};

static int fabric_addr_prune(const struct inet_addr *a, void *arg)
{
	struct fabric_addrs *x = arg;
	char s[INET_ADDRSTR];

	for (size_t i = 0; i < x->n; i++)
		if (inet_addr_equal(a, &x->want[i]))
			return 0;
	log_info("fabric: removing %s from %s (no pod CIDR of this node's)", inet_addr_fmt(a, s, sizeof(s)),
		 x->f->c->vxlan_device);
	kroute_addr_del(x->f->kr, x->f->vx_ifindex, a);
	return 0;
}

static int fabric_router_addrs(struct fabric *f, char *err, size_t errlen)
{
	struct fabric_addrs x = { .f = f };
	char s[INET_ADDRSTR];
	int r;

	for (size_t i = 0; i < f->c->n_pod_cidrs; i++) {
		struct inet_addr a;

		inet_prefix_network(&f->c->pod_cidrs[i], &a);
		x.want[x.n++] = a;
		r = kroute_addr_add(f->kr, f->vx_ifindex, &a);
		if (r < 0)
			return fabric_err(err, errlen, r, f->kr, "adding %s to %s", inet_addr_fmt(&a, s, sizeof(s)),
					  f->c->vxlan_device);
		if (a.family == AF_INET && !f->router4.family)
			f->router4 = a;
		if (a.family == AF_INET6 && !f->router6.family)
			f->router6 = a;
	}
	/* Pruning is tidiness: a failure to list is no reason to stop. */
	kroute_addr_foreach(f->kr, f->vx_ifindex, fabric_addr_prune, &x);
	return 0;
}

static int fabric_masq(const char *node, const struct fabric_conf *c, char *err, size_t errlen)
{
	char table[MASQ_TABLE_MAX];
	struct masq_spec spec = { 0 };

	masq_table_name(node, table, sizeof(table));
	if (c && c->masquerade) {
		spec.masquerade = true;
		spec.pods = c->pod_cidrs;
		spec.n_pods = c->n_pod_cidrs;
		spec.cluster = c->cluster_cidrs;
		spec.n_cluster = c->n_cluster_cidrs;
	}
	if (c && c->mode == FABRIC_MODE_OVERLAY)
		spec.notrack_udp_port = c->vxlan_port;
	if (spec.masquerade || spec.notrack_udp_port) {
		if (masq_apply(table, &spec, err, errlen) < 0)
			return -1;
		if (spec.masquerade)
			log_info("fabric: masquerading pods' traffic that leaves the cluster (nftables table inet %s)", table);
		return 0;
	}
	return masq_remove(table, err, errlen) < 0 ? -1 : 0;
}

static int fabric_collect_route(const struct kroute_route *r, void *arg)
{
	return fabric_stale_push(arg, &r->dst);
}

/* Remove our routes, our VXLAN device and the masquerade table (the fabric is off, or
 * --purge). Tunnel entries and the overlay link are the data path's: the caller's. */
static int fabric_teardown(struct kroute *kr, const char *node, const char *vxlan_device, char *err, size_t errlen)
{
	struct fabric_stale s = { 0 };
	struct kroute_link l;
	int r;

	r = kroute_route_foreach(kr, AF_INET, fabric_collect_route, &s);
	if (r == 0)
		r = kroute_route_foreach(kr, AF_INET6, fabric_collect_route, &s);
	for (size_t i = 0; r == 0 && i < s.n; i++)
		r = kroute_route_del(kr, &s.v[i]);
	free(s.v);
	if (r < 0)
		return fabric_err(err, errlen, r, kr, "removing weftd's routes (proto %d)", KROUTE_PROTO);
	if (s.n)
		log_info("fabric: removed %zu routes of weftd's (proto %d)", s.n, KROUTE_PROTO);
	r = fabric_vxlan_find(kr, node, vxlan_device, &l);
	if (r == 0) {
		r = kroute_link_del(kr, l.ifindex);
		if (r < 0)
			return fabric_err(err, errlen, r, kr, "removing the VXLAN device %s", vxlan_device);
		log_info("fabric: removed the VXLAN device %s", vxlan_device);
	}
	return fabric_masq(node, NULL, err, errlen);
}

static int fabric_dp_clear(const struct inet_prefix *prefix, const struct inet_addr *node, void *arg)
{
	dp_tunnel_delete(arg, prefix);
	return 0;
}

/* Fabric off: nothing of an earlier weftd's fabric may stay in the data path. */
static int fabric_off(const struct conf *c, struct dp *dp, char *err, size_t errlen)
{
	struct weft_config wc = { .mode = WEFT_FABRIC_OFF };
	struct kroute *kr;
	char e2[256];
	int r;

	if (dp_fabric_config_set(dp, &wc, err, errlen) < 0)
		return -1;
	dp_tunnel_foreach(dp, fabric_dp_clear, dp);
	dp_fabric_detach(dp, DP_FABRIC_VXLAN, 0, e2, sizeof(e2));
	dp_fabric_detach(dp, DP_FABRIC_UNDERLAY, 0, e2, sizeof(e2));
	r = kroute_open(&kr);
	if (r < 0)
		return fabric_err(err, errlen, r, NULL, "opening a netlink socket");
	r = fabric_teardown(kr, c->node, c->fabric.vxlan_device, err, errlen);
	kroute_close(kr);
	return r;
}

int fabric_open(const struct conf *c, struct dp *dp, struct rib *rib, struct fabric **out, char *err,
		size_t errlen)
{
	const struct fabric_conf *fc = &c->fabric;
	struct fabric *f;
	struct kroute_link l;
	char e2[256];
	int r;

	*out = NULL;
	if (!fc->node_address.family)
		return fabric_off(c, dp, err, errlen);
	f = calloc(1, sizeof(*f));
	if (!f)
		return fabric_err(err, errlen, -ENOMEM, NULL, "fabric");
	f->c = fc;
	f->dp = dp;
	f->rib = rib;
	snprintf(f->node, sizeof(f->node), "%s", c->node);
	r = kroute_open(&f->kr);
	if (r < 0) {
		fabric_err(err, errlen, r, NULL, "opening a netlink socket");
		goto fail;
	}
	if (fc->mode == FABRIC_MODE_OVERLAY) {
		if (fabric_vxlan_setup(f, err, errlen) < 0 || fabric_router_addrs(f, err, errlen) < 0)
			goto fail;
		if (dp_fabric_attach(dp, DP_FABRIC_VXLAN, f->vx_ifindex, err, errlen) < 0)
			goto fail;
	} else {
		struct weft_config wc = { .mode = WEFT_FABRIC_NATIVE };

		/* From an earlier run in overlay mode: the device and its program go. */
		if (fabric_vxlan_find(f->kr, f->node, fc->vxlan_device, &l) == 0) {
			dp_fabric_detach(dp, DP_FABRIC_VXLAN, l.ifindex, e2, sizeof(e2));
			kroute_link_del(f->kr, l.ifindex);
			log_info("fabric: native mode: removed the VXLAN device %s", fc->vxlan_device);
		}
		if (fabric_underlay(f, &l, err, errlen) < 0)
			goto fail;
		f->ul_ifindex = l.ifindex;
		/* Where WEFT_TUNNEL_NEIGH entries leave. */
		wc.ifindex = f->ul_ifindex;
		if (dp_fabric_config_set(dp, &wc, err, errlen) < 0)
			goto fail;
	}
	/* Packets from other nodes arrive on the underlay device: its program delivers those for
	 * local pods (native mode), or decapsulates them first (overlay mode). */
	if (dp_fabric_attach(dp, DP_FABRIC_UNDERLAY, f->ul_ifindex, err, errlen) < 0)
		goto fail;
	if (fabric_masq(f->node, fc, err, errlen) < 0)
		goto fail;
	if ((r = rib_subscribe(rib, fabric_on_change, f)) < 0) {
		fabric_err(err, errlen, r, NULL, "subscribing to the RIB");
		goto fail;
	}
	log_info("fabric: %s mode, node address %s%s%s", fabric_mode_name(fc->mode),
		 inet_addr_fmt(&fc->node_address, e2, sizeof(e2)), fc->mode == FABRIC_MODE_OVERLAY ? ", VXLAN device " : "",
		 fc->mode == FABRIC_MODE_OVERLAY ? fc->vxlan_device : "");
	*out = f;
	return 0;
fail:
	fabric_close(f);
	return -1;
}

void fabric_close(struct fabric *f)
{
	if (!f)
		return;
	rib_unsubscribe(f->rib, fabric_on_change, f);
	kroute_close(f->kr);
	free(f);
}

int fabric_purge(const struct conf *c, char *err, size_t errlen)
{
	struct kroute *kr;
	int r;

	r = kroute_open(&kr);
	if (r < 0)
		return fabric_err(err, errlen, r, NULL, "opening a netlink socket");
	r = fabric_teardown(kr, c->node, c->fabric.vxlan_device, err, errlen);
	kroute_close(kr);
	return r;
}
