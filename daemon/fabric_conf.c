/* The fabric's configuration keys (fabric_conf.h): one pass over the JSON, each value checked
 * as it is read, then the checks between fields (pod CIDRs inside the cluster's, static routes
 * neither overlapping the node's own CIDRs nor pointing at the node itself). */
#include "fabric_conf.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"

const char *fabric_mode_name(enum fabric_mode m)
{
	return m == FABRIC_MODE_NATIVE ? "native" : "overlay";
}

/* A unicast address another node can reach: not unspecified, loopback, multicast, link-local
 * (it would need a device to go with it) or IPv4's reserved 240/4. */
static bool addr_unicast(const struct inet_addr *a)
{
	const uint8_t *b = a->bytes;
	static const uint8_t zero[16], one[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return b[0] != 0 && b[0] != 127 && b[0] < 224 && !(b[0] == 169 && b[1] == 254);
	return memcmp(b, zero, 16) != 0 && memcmp(b, one, 16) != 0 && b[0] != 0xff &&
	       !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

static int addr_parse(json_t *v, const char *name, struct inet_addr *out, char *err, size_t errlen)
{
	char q[96];

	conf_json_quote(v, q, sizeof(q));
	if (!json_is_string(v) || !inet_addr_parse(json_string_value(v), out))
		return conf_err(err, errlen, "%s %s is not an IPv4 or IPv6 address", name, q);
	if (!addr_unicast(out))
		return conf_err(err, errlen, "%s %s is not a unicast address another node can reach", name, q);
	return 0;
}

static int prefix_parse(json_t *v, const char *name, struct inet_prefix *out, char *err, size_t errlen)
{
	char q[96], net[INET_PREFIXSTR];

	conf_json_quote(v, q, sizeof(q));
	if (!json_is_string(v) || !inet_prefix_parse(json_string_value(v), out))
		return conf_err(err, errlen, "%s %s is not a CIDR such as \"10.244.1.0/24\" or \"fd00:10:244:1::/64\"",
				name, q);
	if (!inet_prefix_is_canonical(out)) {
		struct inet_prefix n = *out;

		inet_prefix_network(out, &n.addr);
		return conf_err(err, errlen, "%s %s has host bits set (the network is %s)", name, q,
				inet_prefix_fmt(&n, net, sizeof(net)));
	}
	return 0;
}

static bool prefix_overlap(const struct inet_prefix *a, const struct inet_prefix *b)
{
	if (a->addr.family != b->addr.family)
		return false;
	return a->len <= b->len ? inet_prefix_contains(a, &b->addr) : inet_prefix_contains(b, &a->addr);
}

/* A list of at most max CIDRs at key; each checked, none overlapping another. */
static int cidrs_parse(json_t *root, const char *key, struct inet_prefix *out, size_t max, size_t *n, char *err,
		       size_t errlen)
{
	json_t *v = json_object_get(root, key), *e;
	char q[96], name[64];
	size_t i;

	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return conf_err(err, errlen, "%s must be a list of CIDRs, not %s", key, conf_json_quote(v, q, sizeof(q)));
	if (json_array_size(v) > max)
		return conf_err(err, errlen, "%s has %zu entries; at most %zu", key, json_array_size(v), max);
	json_array_foreach(v, i, e) {
		snprintf(name, sizeof(name), "%s[%zu]", key, i);
		if (prefix_parse(e, name, &out[i], err, errlen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (prefix_overlap(&out[i], &out[j]))
				return conf_err(err, errlen, "%s %s overlaps %s[%zu]", name, conf_json_quote(e, q, sizeof(q)),
						key, j);
	}
	*n = json_array_size(v);
	return 0;
}

/* An interface name the kernel would take: 1-15 bytes, no '/', ':' or whitespace. */
static bool ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IF_NAMESIZE || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '/' || s[i] == ':' || s[i] == 0x7f)
			return false;
	return true;
}

static int ifname_parse(json_t *obj, const char *key, const char *name, char *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	char q[96];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !ifname_valid(json_string_value(v)))
		return conf_err(err, errlen, "%s %s is not an interface name (1-15 characters, no '/', ':' or spaces)",
				name, conf_json_quote(v, q, sizeof(q)));
	snprintf(out, IF_NAMESIZE, "%s", json_string_value(v));
	return 0;
}

static int fabric_obj_parse(json_t *root, struct fabric_conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "mode", "vxlanPort", "vxlanDevice", "underlayDevice", NULL };
	json_t *f = json_object_get(root, "fabric"), *v;
	char q[96];

	if (!f || json_is_null(f))
		return 0;
	if (!json_is_object(f))
		return conf_err(err, errlen, "fabric must be an object {mode, vxlanPort, vxlanDevice, underlayDevice}, not %s",
				conf_json_quote(f, q, sizeof(q)));
	if (conf_json_keys_check(f, "fabric", keys, err, errlen) < 0)
		return -1;
	if ((v = json_object_get(f, "mode")) && !json_is_null(v)) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(s, "overlay") == 0)
			c->mode = FABRIC_MODE_OVERLAY;
		else if (strcmp(s, "native") == 0)
			c->mode = FABRIC_MODE_NATIVE;
		else
			return conf_err(err, errlen, "fabric.mode %s is not one of overlay, native",
					conf_json_quote(v, q, sizeof(q)));
	}
	if ((v = json_object_get(f, "vxlanPort")) && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
			return conf_err(err, errlen, "fabric.vxlanPort %s must be an integer from 1 to 65535",
					conf_json_quote(v, q, sizeof(q)));
		c->vxlan_port = (uint16_t)json_integer_value(v);
	}
	if (ifname_parse(f, "vxlanDevice", "fabric.vxlanDevice", c->vxlan_device, err, errlen) < 0 ||
	    ifname_parse(f, "underlayDevice", "fabric.underlayDevice", c->underlay_device, err, errlen) < 0)
		return -1;
	return 0;
}

static int static_parse(json_t *root, struct fabric_conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "prefix", "nexthop", NULL };
	json_t *v = json_object_get(root, "staticRoutes"), *e;
	char q[96], name[64];
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return conf_err(err, errlen, "staticRoutes must be a list of {prefix, nexthop}, not %s",
				conf_json_quote(v, q, sizeof(q)));
	if (json_array_size(v) > FABRIC_CONF_STATIC_MAX)
		return conf_err(err, errlen, "staticRoutes has %zu entries; at most %d (use BGP for more)",
				json_array_size(v), FABRIC_CONF_STATIC_MAX);
	json_array_foreach(v, i, e) {
		struct fabric_route_conf *r = &c->static_routes[i];
		json_t *p, *nh;

		snprintf(name, sizeof(name), "staticRoutes[%zu]", i);
		if (!json_is_object(e))
			return conf_err(err, errlen, "%s must be an object {prefix, nexthop}, not %s", name,
					conf_json_quote(e, q, sizeof(q)));
		if (conf_json_keys_check(e, name, keys, err, errlen) < 0)
			return -1;
		p = json_object_get(e, "prefix");
		nh = json_object_get(e, "nexthop");
		if (!p || json_is_null(p))
			return conf_err(err, errlen, "%s.prefix is missing", name);
		if (!nh || json_is_null(nh))
			return conf_err(err, errlen, "%s.nexthop is missing", name);
		snprintf(name, sizeof(name), "staticRoutes[%zu].prefix", i);
		if (prefix_parse(p, name, &r->prefix, err, errlen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (c->static_routes[j].prefix.len == r->prefix.len &&
			    inet_addr_equal(&c->static_routes[j].prefix.addr, &r->prefix.addr))
				return conf_err(err, errlen, "%s %s is also staticRoutes[%zu].prefix", name,
						conf_json_quote(p, q, sizeof(q)), j);
		for (size_t j = 0; j < c->n_pod_cidrs; j++)
			if (prefix_overlap(&r->prefix, &c->pod_cidrs[j]))
				return conf_err(err, errlen, "%s %s overlaps podCIDRs[%zu], this node's own", name,
						conf_json_quote(p, q, sizeof(q)), j);
		snprintf(name, sizeof(name), "staticRoutes[%zu].nexthop", i);
		if (addr_parse(nh, name, &r->nexthop, err, errlen) < 0)
			return -1;
		if (fabric_conf_is_node(c, &r->nexthop))
			return conf_err(err, errlen, "%s %s is this node's own address", name,
					conf_json_quote(nh, q, sizeof(q)));
		/* Linux routes IPv4 through an IPv6 neighbour (RFC 5549) but not the reverse. */
		if (c->mode == FABRIC_MODE_NATIVE && r->prefix.addr.family == AF_INET6 && r->nexthop.family == AF_INET)
			return conf_err(err, errlen, "%s %s: native mode needs an IPv6 next hop for an IPv6 prefix", name,
					conf_json_quote(nh, q, sizeof(q)));
	}
	c->n_static = json_array_size(v);
	return 0;
}

int fabric_conf_parse(json_t *root, struct fabric_conf *c, char *err, size_t errlen)
{
	json_t *v;
	char q[96];

	memset(c, 0, sizeof(*c));
	c->mode = FABRIC_MODE_OVERLAY;
	c->vxlan_port = FABRIC_CONF_VXLAN_PORT;
	snprintf(c->vxlan_device, sizeof(c->vxlan_device), "%s", FABRIC_CONF_VXLAN_DEVICE);

	if ((v = json_object_get(root, "nodeAddress")) && !json_is_null(v) &&
	    addr_parse(v, "nodeAddress", &c->node_address, err, errlen) < 0)
		return -1;
	if ((v = json_object_get(root, "nodeAddress6")) && !json_is_null(v)) {
		if (addr_parse(v, "nodeAddress6", &c->node_address6, err, errlen) < 0)
			return -1;
		if (c->node_address6.family != AF_INET6)
			return conf_err(err, errlen, "nodeAddress6 %s is not an IPv6 address", conf_json_quote(v, q, sizeof(q)));
		if (c->node_address.family != AF_INET)
			return conf_err(err, errlen, "nodeAddress6 %s goes with an IPv4 nodeAddress (the IPv6 address beside it)",
					conf_json_quote(v, q, sizeof(q)));
	}
	if (cidrs_parse(root, "podCIDRs", c->pod_cidrs, FABRIC_CONF_POD_CIDRS_MAX, &c->n_pod_cidrs, err, errlen) < 0 ||
	    cidrs_parse(root, "clusterCIDRs", c->cluster_cidrs, FABRIC_CONF_CLUSTER_CIDRS_MAX, &c->n_cluster_cidrs, err,
			errlen) < 0)
		return -1;
	for (size_t i = 0; i < c->n_pod_cidrs; i++) {
		bool inside = c->n_cluster_cidrs == 0;
		char p[INET_PREFIXSTR];

		/* The network address is the node's own on the VXLAN device (docs/fabric.md): a
		 * CIDR must have room for it and for pods. */
		if (c->pod_cidrs[i].len >= inet_family_bits(c->pod_cidrs[i].addr.family) - 1)
			return conf_err(err, errlen, "podCIDRs[%zu] \"%s\" leaves no room for pods", i,
					inet_prefix_fmt(&c->pod_cidrs[i], p, sizeof(p)));
		for (size_t j = 0; j < c->n_cluster_cidrs && !inside; j++)
			inside = c->cluster_cidrs[j].addr.family == c->pod_cidrs[i].addr.family &&
				 c->cluster_cidrs[j].len <= c->pod_cidrs[i].len &&
				 inet_prefix_contains(&c->cluster_cidrs[j], &c->pod_cidrs[i].addr);
		if (!inside)
			return conf_err(err, errlen, "podCIDRs[%zu] \"%s\" is inside none of clusterCIDRs", i,
					inet_prefix_fmt(&c->pod_cidrs[i], p, sizeof(p)));
	}
	/* Masquerade by default when the cluster's address space is known and there are pods. */
	c->masquerade = c->n_cluster_cidrs > 0 && c->n_pod_cidrs > 0;
	if ((v = json_object_get(root, "masquerade")) && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return conf_err(err, errlen, "masquerade must be true or false, not %s", conf_json_quote(v, q, sizeof(q)));
		if (json_is_true(v) && (c->n_cluster_cidrs == 0 || c->n_pod_cidrs == 0))
			return conf_err(err, errlen, "masquerade true needs podCIDRs and clusterCIDRs (what stays unmasqueraded)");
		c->masquerade = json_is_true(v);
	}
	if (fabric_obj_parse(root, c, err, errlen) < 0 || static_parse(root, c, err, errlen) < 0)
		return -1;
	if (!c->node_address.family && (c->n_pod_cidrs || c->n_static))
		return conf_err(err, errlen, "nodeAddress is required with %s (the next hop other nodes use)",
				c->n_pod_cidrs ? "podCIDRs" : "staticRoutes");
	return 0;
}

static json_t *cidrs_json(const struct inet_prefix *p, size_t n)
{
	json_t *a = json_array();
	char s[INET_PREFIXSTR];

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(inet_prefix_fmt(&p[i], s, sizeof(s)))) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int fabric_conf_to_json(const struct fabric_conf *c, json_t *obj)
{
	char a[INET_ADDRSTR], p[INET_PREFIXSTR];
	json_t *routes = json_array();
	int r = 0;

	for (size_t i = 0; routes && i < c->n_static; i++)
		if (json_array_append_new(routes,
					  json_pack("{s:s, s:s}", "prefix",
						    inet_prefix_fmt(&c->static_routes[i].prefix, p, sizeof(p)), "nexthop",
						    inet_addr_fmt(&c->static_routes[i].nexthop, a, sizeof(a)))) < 0) {
			json_decref(routes);
			routes = NULL;
		}
	r |= json_object_set_new(obj, "nodeAddress",
				 c->node_address.family ? json_string(inet_addr_fmt(&c->node_address, a, sizeof(a)))
							: json_null());
	r |= json_object_set_new(obj, "nodeAddress6",
				 c->node_address6.family ? json_string(inet_addr_fmt(&c->node_address6, a, sizeof(a)))
							 : json_null());
	r |= json_object_set_new(obj, "podCIDRs", cidrs_json(c->pod_cidrs, c->n_pod_cidrs));
	r |= json_object_set_new(obj, "clusterCIDRs", cidrs_json(c->cluster_cidrs, c->n_cluster_cidrs));
	r |= json_object_set_new(obj, "masquerade", json_boolean(c->masquerade));
	r |= json_object_set_new(obj, "fabric",
				 json_pack("{s:s, s:i, s:s, s:o}", "mode", fabric_mode_name(c->mode), "vxlanPort",
					   (int)c->vxlan_port, "vxlanDevice", c->vxlan_device, "underlayDevice",
					   c->underlay_device[0] ? json_string(c->underlay_device) : json_null()));
	r |= json_object_set_new(obj, "staticRoutes", routes);
	return r ? -1 : 0;
}

const struct inet_addr *fabric_conf_nexthop(const struct fabric_conf *c, int family)
{
	return family == AF_INET6 && c->node_address6.family ? &c->node_address6 : &c->node_address;
}

bool fabric_conf_is_node(const struct fabric_conf *c, const struct inet_addr *a)
{
	return (c->node_address.family && inet_addr_equal(a, &c->node_address)) ||
	       (c->node_address6.family && inet_addr_equal(a, &c->node_address6));
}

bool fabric_conf_static_equal(const struct fabric_conf *a, const struct fabric_conf *b)
{
	if (a->n_static != b->n_static)
		return false;
	for (size_t i = 0; i < a->n_static; i++)
		if (a->static_routes[i].prefix.len != b->static_routes[i].prefix.len ||
		    !inet_addr_equal(&a->static_routes[i].prefix.addr, &b->static_routes[i].prefix.addr) ||
		    !inet_addr_equal(&a->static_routes[i].nexthop, &b->static_routes[i].nexthop))
			return false;
	return true;
}
