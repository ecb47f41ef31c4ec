/* Parsing and validation of weft-ipam's "ipam" config object, of the addresses a runtime
 * requests (CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips), and the CNI result for a lease.
 * Every error names the field path and quotes the value, so an operator can fix the file. */
#include "ipam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Short quoted rendering of any JSON value for messages. */
static void quote_json(json_t *v, char *out, size_t len)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	snprintf(out, len, "%.80s%s", s ? s : "?", s && strlen(s) > 80 ? "..." : "");
	free(s);
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Read a string field; `required` makes absence an error. */
static int get_str(json_t *obj, const char *where, const char *key, bool required, const char **out,
		   struct cni_error *e)
{
	*out = NULL;
	if (cni_json_get_string(obj, where, key, out, e) < 0)
		return -1;
	if (required && !*out)
		return cni_error_set(e, CNI_ERR_CONFIG, "%s.%s is missing", where, key);
	return 0;
}

/* An address field that must lie inside `subnet`. */
static int get_addr_in(json_t *obj, const char *where, const char *key, const struct inet_prefix *subnet,
		       struct inet_addr *out, struct cni_error *e)
{
	char sbuf[INET_PREFIXSTR];
	const char *s;

	if (get_str(obj, where, key, false, &s, e) < 0)
		return -1;
	if (!s)
		return 0;
	if (!inet_addr_parse(s, out))
		return cni_error_set(e, CNI_ERR_CONFIG, "%s.%s \"%.64s\" is not an IP address", where, key, s);
	if (!inet_prefix_contains(subnet, out))
		return cni_error_set(e, CNI_ERR_CONFIG, "%s.%s \"%.64s\" is not inside subnet %s", where, key, s,
				     inet_prefix_fmt(subnet, sbuf, sizeof(sbuf)));
	return 0;
}

bool ipam_range_reserved(const struct ipam_range *r, const struct inet_addr *a)
{
	struct inet_addr x;

	inet_prefix_network(&r->subnet, &x);
	if (inet_addr_equal(&x, a))
		return true;
	inet_prefix_last(&r->subnet, &x);
	if (a->family == AF_INET && inet_addr_equal(&x, a))
		return true;
	return r->gateway.family && inet_addr_equal(&r->gateway, a);
}

/* Why a reserved address is reserved, for messages. */
static const char *reserved_why(const struct ipam_range *r, const struct inet_addr *a)
{
	struct inet_addr net;

	if (r->gateway.family && inet_addr_equal(&r->gateway, a))
		return "the gateway";
	inet_prefix_network(&r->subnet, &net);
	return inet_addr_equal(&net, a) ? "the network address" : "the broadcast address";
}

int64_t ipam_range_offset(const struct ipam_range *r, const struct inet_addr *a)
{
	int64_t d;

	if (a->family != r->start.family)
		return -1;
	d = inet_addr_distance(&r->start, a);
	return d >= 0 && d < (int64_t)r->nbits ? d : -1;
}

char *ipam_range_fmt(const struct ipam_range *r, char *buf, size_t len)
{
	char a[INET_ADDRSTR], b[INET_ADDRSTR];
	struct inet_addr last = r->start;

	inet_addr_add(&last, (int64_t)r->nbits - 1);
	snprintf(buf, len, "%s-%s", inet_addr_fmt(&r->start, a, sizeof(a)), inet_addr_fmt(&last, b, sizeof(b)));
	return buf;
}

static int range_parse(json_t *obj, struct ipam_range *r, struct cni_error *e)
{
	const char *where = r->where, *s;
	char q[96], pbuf[INET_PREFIXSTR], abuf[INET_ADDRSTR], bbuf[INET_ADDRSTR];
	struct inet_addr net, last;
	int64_t span;
	uint32_t usable = 0;

	if (!json_is_object(obj)) {
		quote_json(obj, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "%s must be an object {subnet, rangeStart, rangeEnd, gateway}, not %s",
				     where, q);
	}
	if (get_str(obj, where, "subnet", true, &s, e) < 0)
		return -1;
	if (!inet_prefix_parse(s, &r->subnet))
		return cni_error_set(e, CNI_ERR_CONFIG, "%s.subnet \"%.64s\" is not an address/prefix", where, s);
	if (!inet_prefix_is_canonical(&r->subnet)) {
		inet_prefix_network(&r->subnet, &net);
		return cni_error_set(e, CNI_ERR_CONFIG, "%s.subnet \"%.64s\" has host bits set (the network is %s/%u)",
				     where, s, inet_addr_fmt(&net, abuf, sizeof(abuf)), r->subnet.len);
	}
	if (get_addr_in(obj, where, "rangeStart", &r->subnet, &r->start, e) < 0 ||
	    get_addr_in(obj, where, "rangeEnd", &r->subnet, &r->end, e) < 0 ||
	    get_addr_in(obj, where, "gateway", &r->subnet, &r->gateway, e) < 0)
		return -1;

	inet_prefix_network(&r->subnet, &net);
	inet_prefix_last(&r->subnet, &last);
	inet_prefix_fmt(&r->subnet, pbuf, sizeof(pbuf));
	if (!r->start.family) {
		r->start = net;
		if (!inet_addr_add(&r->start, 1) || !inet_prefix_contains(&r->subnet, &r->start))
			return cni_error_set(e, CNI_ERR_CONFIG, "%s.subnet \"%s\" is too small: it has no address to hand out",
					     where, pbuf);
	}
	if (!r->end.family) {
		r->end = last;
		if (r->end.family == AF_INET && !inet_addr_add(&r->end, -1))
			return cni_error_set(e, CNI_ERR_CONFIG, "%s.subnet \"%s\" is too small", where, pbuf);
	}
	if (inet_addr_cmp(&r->start, &r->end) > 0)
		return cni_error_set(e, CNI_ERR_CONFIG, "%s: rangeStart %s is after rangeEnd %s%s", where,
				     inet_addr_fmt(&r->start, abuf, sizeof(abuf)), inet_addr_fmt(&r->end, bbuf, sizeof(bbuf)),
				     json_object_get(obj, "rangeStart") || json_object_get(obj, "rangeEnd")
					     ? "" : " (subnet too small)");
	span = inet_addr_distance(&r->start, &r->end);
	r->nbits = span >= (int64_t)IPAM_RANGE_MAX_BITS - 1 ? IPAM_RANGE_MAX_BITS : (uint32_t)span + 1;
	/* At most three reserved addresses: only a tiny range can end up with nothing to give. */
	for (uint32_t i = 0; i < r->nbits && usable == 0; i++) {
		struct inet_addr a = r->start;

		inet_addr_add(&a, i);
		usable += !ipam_range_reserved(r, &a);
	}
	if (!usable)
		return cni_error_set(e, CNI_ERR_CONFIG,
				     "%s: range %s-%s has no address to hand out (network, broadcast and gateway are reserved)",
				     where, inet_addr_fmt(&r->start, abuf, sizeof(abuf)), inet_addr_fmt(&r->end, bbuf, sizeof(bbuf)));
	return 0;
}

/* Configured (not capped) bounds overlap: addresses are keyed by value in the store, so two
 * ranges sharing one would hand it out twice. */
static bool ranges_overlap(const struct ipam_range *a, const struct ipam_range *b)
{
	return a->start.family == b->start.family && inet_addr_cmp(&a->end, &b->start) >= 0 &&
	       inet_addr_cmp(&b->end, &a->start) >= 0;
}

static int overlap_error(const struct ipam_range *a, const struct ipam_range *b, struct cni_error *e)
{
	char a1[INET_ADDRSTR], a2[INET_ADDRSTR], b1[INET_ADDRSTR], b2[INET_ADDRSTR];

	return cni_error_set(e, CNI_ERR_CONFIG, "%s (%s-%s) overlaps %s (%s-%s)", a->where,
			     inet_addr_fmt(&a->start, a1, sizeof(a1)), inet_addr_fmt(&a->end, a2, sizeof(a2)), b->where,
			     inet_addr_fmt(&b->start, b1, sizeof(b1)), inet_addr_fmt(&b->end, b2, sizeof(b2)));
}

/* Append a set built from `items` (a list of range objects, or the legacy ipam object itself). */
static int set_parse(struct ipam_config *cfg, json_t *items, bool legacy, size_t idx, struct cni_error *e)
{
	struct ipam_set *set;
	size_t n = legacy ? 1 : json_array_size(items);
	char q[96];

	if (cfg->n_sets == IPAM_MAX_SETS)
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam.ranges has more than %d range sets", IPAM_MAX_SETS);
	set = &cfg->sets[cfg->n_sets];
	if (legacy)
		snprintf(set->where, sizeof(set->where), "ipam.subnet");
	else
		snprintf(set->where, sizeof(set->where), "ipam.ranges[%zu]", idx);
	if (!legacy && !json_is_array(items)) {
		quote_json(items, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "%s must be a list of ranges, not %s", set->where, q);
	}
	if (n == 0)
		return cni_error_set(e, CNI_ERR_CONFIG, "%s is an empty list: a range set needs at least one range",
				     set->where);
	if (n > IPAM_MAX_RANGES)
		return cni_error_set(e, CNI_ERR_CONFIG, "%s has %zu ranges; at most %d are supported", set->where, n,
				     IPAM_MAX_RANGES);
	set->ranges = calloc(n, sizeof(*set->ranges));
	if (!set->ranges)
		return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory");
	cfg->n_sets++;
	for (size_t i = 0; i < n; i++) {
		struct ipam_range *r = &set->ranges[i];
		char pbuf[INET_PREFIXSTR];

		if (legacy)
			snprintf(r->where, sizeof(r->where), "ipam");
		else
			snprintf(r->where, sizeof(r->where), "ipam.ranges[%zu][%zu]", idx, i);
		if (range_parse(legacy ? items : json_array_get(items, i), r, e) < 0)
			return -1;
		set->n_ranges++;
		if (i == 0)
			set->family = r->subnet.addr.family;
		else if (r->subnet.addr.family != set->family)
			return cni_error_set(e, CNI_ERR_CONFIG,
					     "%s.subnet \"%s\" is %s but %s is %s: a range set holds one family",
					     r->where, inet_prefix_fmt(&r->subnet, pbuf, sizeof(pbuf)),
					     family_name(r->subnet.addr.family), set->where, family_name(set->family));
		for (size_t j = 0; j < i; j++)
			if (ranges_overlap(r, &set->ranges[j]))
				return overlap_error(r, &set->ranges[j], e);
	}
	return 0;
}

static int sets_check_overlap(const struct ipam_config *cfg, struct cni_error *e)
{
	for (size_t s = 1; s < cfg->n_sets; s++)
		for (size_t t = 0; t < s; t++)
			for (size_t i = 0; i < cfg->sets[s].n_ranges; i++)
				for (size_t j = 0; j < cfg->sets[t].n_ranges; j++)
					if (ranges_overlap(&cfg->sets[s].ranges[i], &cfg->sets[t].ranges[j]))
						return overlap_error(&cfg->sets[s].ranges[i], &cfg->sets[t].ranges[j], e);
	return 0;
}

static int ranges_parse(json_t *ipam, struct ipam_config *cfg, struct cni_error *e)
{
	json_t *ranges = json_object_get(ipam, "ranges"), *item;
	static const char *const legacy_only[] = { "rangeStart", "rangeEnd", "gateway" };
	char q[96];
	size_t i;

	/* host-local's single-range form: subnet/rangeStart/rangeEnd/gateway directly in ipam,
	 * prepended to ranges as the first set (as host-local does). */
	if (json_object_get(ipam, "subnet")) {
		if (set_parse(cfg, ipam, true, 0, e) < 0)
			return -1;
	} else {
		for (i = 0; i < 3; i++)
			if (json_object_get(ipam, legacy_only[i]))
				return cni_error_set(e, CNI_ERR_CONFIG, "ipam.%s is given without ipam.subnet",
						     legacy_only[i]);
	}
	if (ranges && !json_is_null(ranges)) {
		if (!json_is_array(ranges)) {
			quote_json(ranges, q, sizeof(q));
			return cni_error_set(e, CNI_ERR_CONFIG, "ipam.ranges must be a list of range sets, not %s", q);
		}
		json_array_foreach(ranges, i, item)
			if (set_parse(cfg, item, false, i, e) < 0)
				return -1;
	}
	if (cfg->n_sets == 0)
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam.ranges is missing or empty: give at least one range set");
	return sets_check_overlap(cfg, e);
}

static int routes_parse(json_t *ipam, struct ipam_config *cfg, struct cni_error *e)
{
	json_t *routes = json_object_get(ipam, "routes"), *item;
	char q[96], where[40], abuf[INET_ADDRSTR];
	size_t i;

	if (!routes || json_is_null(routes))
		return 0;
	if (!json_is_array(routes)) {
		quote_json(routes, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam.routes must be a list of {dst, gw}, not %s", q);
	}
	if (json_array_size(routes) > CNI_MAX_ROUTES)
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam.routes has %zu routes; at most %d are supported",
				     json_array_size(routes), CNI_MAX_ROUTES);
	json_array_foreach(routes, i, item) {
		struct cni_route *rt = &cfg->routes[i];
		unsigned long v;
		const char *s;

		snprintf(where, sizeof(where), "ipam.routes[%zu]", i);
		memset(rt, 0, sizeof(*rt));
		rt->scope = -1;
		if (!json_is_object(item)) {
			quote_json(item, q, sizeof(q));
			return cni_error_set(e, CNI_ERR_CONFIG, "%s must be an object {dst, gw}, not %s", where, q);
		}
		if (get_str(item, where, "dst", true, &s, e) < 0)
			return -1;
		if (!inet_prefix_parse(s, &rt->dst))
			return cni_error_set(e, CNI_ERR_CONFIG, "%s.dst \"%.64s\" is not an address/prefix", where, s);
		if (!inet_prefix_is_canonical(&rt->dst)) {
			struct inet_addr net;

			inet_prefix_network(&rt->dst, &net);
			return cni_error_set(e, CNI_ERR_CONFIG, "%s.dst \"%.64s\" has host bits set (the network is %s/%u)",
					     where, s, inet_addr_fmt(&net, abuf, sizeof(abuf)), rt->dst.len);
		}
		if (get_str(item, where, "gw", false, &s, e) < 0)
			return -1;
		if (s && !inet_addr_parse(s, &rt->gw))
			return cni_error_set(e, CNI_ERR_CONFIG, "%s.gw \"%.64s\" is not an IP address", where, s);
		if (s && rt->gw.family != rt->dst.addr.family)
			return cni_error_set(e, CNI_ERR_CONFIG, "%s.gw \"%.64s\" is %s but dst is %s", where, s,
					     family_name(rt->gw.family), family_name(rt->dst.addr.family));
		v = 0;
		if (cni_json_get_uint(item, where, "mtu", 0, 65535, &v, e) < 0)
			return -1;
		rt->mtu = (unsigned)v;
		v = 0;
		if (cni_json_get_uint(item, where, "advmss", 0, 65535, &v, e) < 0)
			return -1;
		rt->advmss = (unsigned)v;
		v = 0;
		if (cni_json_get_uint(item, where, "priority", 0, 0xffffffffUL, &v, e) < 0)
			return -1;
		rt->priority = (unsigned)v;
		v = 0;
		if (cni_json_get_uint(item, where, "table", 0, 0xffffffffUL, &v, e) < 0)
			return -1;
		rt->table = (unsigned)v;
		if (json_object_get(item, "scope")) {
			if (cni_json_get_uint(item, where, "scope", 0, 255, &v, e) < 0)
				return -1;
			rt->scope = (int)v;
		}
		cfg->n_routes++;
	}
	return 0;
}

/* A list of strings; `addrs` also requires each to be an IP address. */
static int dns_list(json_t *dns, const char *key, bool addrs, struct cni_error *e)
{
	json_t *list = json_object_get(dns, key), *item;
	struct inet_addr a;
	char q[96];
	size_t i;

	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list)) {
		quote_json(list, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam.dns.%s must be a list of strings, not %s", key, q);
	}
	json_array_foreach(list, i, item) {
		quote_json(item, q, sizeof(q));
		if (!json_is_string(item))
			return cni_error_set(e, CNI_ERR_CONFIG, "ipam.dns.%s[%zu] must be a string, not %s", key, i, q);
		if (addrs && !inet_addr_parse(json_string_value(item), &a))
			return cni_error_set(e, CNI_ERR_CONFIG, "ipam.dns.%s[%zu] %s is not an IP address", key, i, q);
	}
	return 0;
}

static int dns_parse(json_t *ipam, struct ipam_config *cfg, struct cni_error *e)
{
	json_t *dns = json_object_get(ipam, "dns");
	const char *s;
	char q[96];

	if (!dns || json_is_null(dns))
		return 0;
	if (!json_is_object(dns)) {
		quote_json(dns, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam.dns must be an object {nameservers, domain, search, options}, not %s", q);
	}
	if (dns_list(dns, "nameservers", true, e) < 0 || dns_list(dns, "search", false, e) < 0 ||
	    dns_list(dns, "options", false, e) < 0 || cni_json_get_string(dns, "ipam.dns", "domain", &s, e) < 0)
		return -1;
	cfg->dns = json_incref(dns);
	return 0;
}

static int data_dir_parse(json_t *ipam, struct ipam_config *cfg, struct cni_error *e)
{
	const char *s = IPAM_DEFAULT_DATA_DIR;

	if (cni_json_get_string(ipam, "ipam", "dataDir", &s, e) < 0)
		return -1;
	/* Room for "/<network>/attach/<id>:<ifname>" under it. */
	if (s[0] != '/' || strlen(s) > PATH_MAX - 512)
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam.dataDir \"%.64s\" must be an absolute path of at most %d bytes",
				     s, PATH_MAX - 512);
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", s);
	return 0;
}

int ipam_config_parse(json_t *ipam, const char *network, struct ipam_config *cfg, struct cni_error *e)
{
	memset(cfg, 0, sizeof(*cfg));
	if (!network || !cni_netname_valid(network))
		return cni_error_set(e, CNI_ERR_CONFIG, "name \"%.64s\" is not a valid network name", network ? network : "");
	snprintf(cfg->network, sizeof(cfg->network), "%s", network);
	if (!ipam || json_is_null(ipam))
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam is missing");
	if (!json_is_object(ipam))
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam must be an object");
	if (data_dir_parse(ipam, cfg, e) < 0 || ranges_parse(ipam, cfg, e) < 0 || routes_parse(ipam, cfg, e) < 0 ||
	    dns_parse(ipam, cfg, e) < 0)
		return -1;
	return 0;
}

void ipam_config_fini(struct ipam_config *cfg)
{
	for (size_t s = 0; s < cfg->n_sets; s++)
		free(cfg->sets[s].ranges);
	json_decref(cfg->dns);
	memset(cfg, 0, sizeof(*cfg));
}

bool ipam_config_find(const struct ipam_config *cfg, const struct inet_addr *a, size_t *set, size_t *range)
{
	for (size_t s = 0; s < cfg->n_sets; s++) {
		if (cfg->sets[s].family != a->family)
			continue;
		for (size_t i = 0; i < cfg->sets[s].n_ranges; i++) {
			const struct ipam_range *r = &cfg->sets[s].ranges[i];

			if (inet_addr_cmp(a, &r->start) >= 0 && inet_addr_cmp(a, &r->end) <= 0) {
				if (set)
					*set = s;
				if (range)
					*range = i;
				return true;
			}
		}
	}
	return false;
}

/* ---- requested addresses -------------------------------------------------------------------- */

static int request_add(const struct ipam_config *cfg, struct ipam_request *req, const char *text,
		       const char *source, unsigned code, struct cni_error *e)
{
	struct inet_prefix p = { 0 };
	const struct ipam_range *r;
	char abuf[INET_ADDRSTR], pbuf[INET_PREFIXSTR];
	bool has_len = strchr(text, '/') != NULL;
	size_t s, i;

	if (has_len ? !inet_prefix_parse(text, &p) : !inet_addr_parse(text, &p.addr))
		return cni_error_set(e, code, "%s: \"%.64s\" is not an IP address", source, text);
	inet_addr_fmt(&p.addr, abuf, sizeof(abuf));
	if (!ipam_config_find(cfg, &p.addr, &s, &i))
		return cni_error_set(e, code, "%s: %s is not inside any range of ipam.ranges", source, abuf);
	r = &cfg->sets[s].ranges[i];
	if (has_len && p.len != r->subnet.len)
		return cni_error_set(e, code, "%s: \"%.64s\" has prefix length /%u but its subnet %s (%s) is /%u",
				     source, text, p.len, inet_prefix_fmt(&r->subnet, pbuf, sizeof(pbuf)), r->where,
				     r->subnet.len);
	if (ipam_range_reserved(r, &p.addr))
		return cni_error_set(e, code, "%s: %s is %s of %s and is never handed out", source, abuf,
				     reserved_why(r, &p.addr), r->where);
	if (req->addr[s].family) {
		char other[INET_ADDRSTR];

		if (inet_addr_equal(&req->addr[s], &p.addr))
			return 0;
		return cni_error_set(e, code, "%s: %s and %s (%s) are both from %s, which gives one address per attachment",
				     source, abuf, inet_addr_fmt(&req->addr[s], other, sizeof(other)), req->source[s],
				     cfg->sets[s].where);
	}
	req->addr[s] = p.addr;
	snprintf(req->source[s], sizeof(req->source[s]), "%s", source);
	return 0;
}

/* root.<outer>.<inner>.ips (inner may be NULL): a list of address strings. */
static int request_json(const struct ipam_config *cfg, struct ipam_request *req, json_t *root, const char *outer,
			const char *inner, struct cni_error *e)
{
	json_t *o = json_object_get(root, outer), *list, *item;
	char where[48], q[96];
	size_t i;

	if (inner && json_is_object(o))
		o = json_object_get(o, inner);
	if (!json_is_object(o))
		return 0;
	list = json_object_get(o, "ips");
	snprintf(where, sizeof(where), "%s%s%s.ips", outer, inner ? "." : "", inner ? inner : "");
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list)) {
		quote_json(list, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "%s must be a list of IP addresses, not %s", where, q);
	}
	json_array_foreach(list, i, item) {
		char src[sizeof(where) + 24];

		snprintf(src, sizeof(src), "%s[%zu]", where, i);
		if (!json_is_string(item)) {
			quote_json(item, q, sizeof(q));
			return cni_error_set(e, CNI_ERR_CONFIG, "%s must be a string, not %s", src, q);
		}
		if (request_add(cfg, req, json_string_value(item), src, CNI_ERR_CONFIG, e) < 0)
			return -1;
	}
	return 0;
}

int ipam_request_parse(const struct ipam_config *cfg, json_t *root, const char *cni_args,
		       struct ipam_request *req, struct cni_error *e)
{
	char buf[IPAM_MAX_SETS * INET_ADDRSTR + 64];
	int rc;

	memset(req, 0, sizeof(*req));
	rc = cni_args ? cni_args_get(cni_args, "IP", buf, sizeof(buf)) : 0;
	if (rc < 0)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_ARGS IP is malformed or longer than %zu bytes", sizeof(buf) - 1);
	if (rc == 1) {
		char *save = NULL, *tok;

		if (!buf[0])
			return cni_error_set(e, CNI_ERR_ENV, "CNI_ARGS IP is empty");
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (request_add(cfg, req, tok, "CNI_ARGS IP", CNI_ERR_ENV, e) < 0)
				return -1;
	}
	if (request_json(cfg, req, root, "args", "cni", e) < 0 ||
	    request_json(cfg, req, root, "runtimeConfig", NULL, e) < 0)
		return -1;
	return 0;
}

/* ---- result ----------------------------------------------------------------------------------- */

int ipam_result_fill(const struct ipam_config *cfg, const struct ipam_lease *lease, struct cni_result *r,
		     struct cni_error *e)
{
	for (size_t i = 0; i < lease->n; i++) {
		struct cni_ip ip = { .iface = CNI_NO_IFACE };
		const struct ipam_range *rg;
		char abuf[INET_ADDRSTR];
		size_t s, k;

		if (!ipam_config_find(cfg, &lease->addr[i], &s, &k))
			return cni_error_set(e, CNI_ERR_INTERNAL, "leased address %s is in no configured range",
					     inet_addr_fmt(&lease->addr[i], abuf, sizeof(abuf)));
		rg = &cfg->sets[s].ranges[k];
		ip.addr.addr = lease->addr[i];
		ip.addr.len = rg->subnet.len;
		ip.gateway = rg->gateway;
		if (cni_result_add_ip(r, &ip, e) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (cni_result_add_route(r, &cfg->routes[i], e) < 0)
			return -1;
	if (cfg->dns)
		r->dns = json_incref(cfg->dns);
	return 0;
}
