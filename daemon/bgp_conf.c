/* weftd's BGP configuration (bgp_conf.h): one pass over the `bgp` object that validates each
 * field as it reads it, quoting the bad value and naming the field with its path
 * (`bgp.peers[2].holdTime`), then the checks across fields (duplicate peers, passive peers with
 * nowhere to listen, eBGP-only options on internal peers). */
#include "bgp_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

#define Q_LEN 96

/* ---- field readers ----------------------------------------------------------------------- */

static const char *quote(json_t *v, char *q)
{
	return conf_json_quote(v, q, Q_LEN);
}

/* An optional integer in [min, max]: absent or null leaves *out alone and *set false. */
static int get_uint(json_t *obj, const char *key, const char *field, long long min, long long max,
		    const char *what, uint64_t *out, bool *set, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	char q[Q_LEN];

	if (set)
		*set = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return conf_err(err, errlen, "%s %s must be %s", field, quote(v, q), what);
	*out = (uint64_t)json_integer_value(v);
	if (set)
		*set = true;
	return 0;
}

static int get_bool(json_t *obj, const char *key, const char *field, bool *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	char q[Q_LEN];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return conf_err(err, errlen, "%s must be true or false, not %s", field, quote(v, q));
	*out = json_is_true(v);
	return 0;
}

/* An IP address literal; absent or null leaves out unset (family 0). */
static int get_addr(json_t *obj, const char *key, const char *field, struct inet_addr *out, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	char q[Q_LEN];

	memset(out, 0, sizeof(*out));
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !inet_addr_parse(json_string_value(v), out))
		return conf_err(err, errlen, "%s %s is not an IPv4 or IPv6 address", field, quote(v, q));
	return 0;
}

static bool addr_is_zero(const struct inet_addr *a)
{
	for (size_t i = 0; i < inet_addr_size(a); i++)
		if (a->bytes[i])
			return false;
	return true;
}

/* A neighbour must be a unicast address we can reach by routing: link-local needs an interface
 * (not supported), and an IPv4-mapped one is written in its IPv4 form. */
static const char *peer_addr_bad(const struct inet_addr *a)
{
	if (addr_is_zero(a))
		return "is the unspecified address";
	if (a->family == AF_INET) {
		if (a->bytes[0] >= 224)
			return "is not a unicast address";
		return NULL;
	}
	if (a->bytes[0] == 0xff)
		return "is not a unicast address";
	if (a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80)
		return "is link-local: give the peer's global address";
	if (!memcmp(a->bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
		return "is IPv4-mapped: write it as an IPv4 address";
	return NULL;
}

/* "a.b.c.d" into a host-order 32-bit id (RFC 6286: any non-zero value; written as IPv4). */
static int get_id(json_t *obj, const char *key, const char *field, uint32_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	struct in_addr in;
	char q[Q_LEN];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || inet_pton(AF_INET, json_string_value(v), &in) != 1)
		return conf_err(err, errlen, "%s %s is not written as an IPv4 address (\"10.0.0.1\")", field, quote(v, q));
	if (!in.s_addr)
		return conf_err(err, errlen, "%s %s must not be zero (RFC 6286)", field, quote(v, q));
	*out = ntohl(in.s_addr);
	return 0;
}

char *bgp_conf_id_fmt(uint32_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", id >> 24, (id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff);
	return buf;
}

/* AS numbers: 4 octets (RFC 6793), not 0 (RFC 7607), not AS_TRANS (RFC 6793 §9: never a real AS). */
static int get_asn(json_t *obj, const char *field, uint32_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, "asn");
	char q[Q_LEN];

	if (!v || json_is_null(v))
		return conf_err(err, errlen, "%s is missing", field);
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4294967295LL ||
	    json_integer_value(v) == BGP_AS_TRANS)
		return conf_err(err, errlen, "%s %s is not an AS number (1-4294967295, not 23456)", field, quote(v, q));
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* holdTime, keepalive, connectRetry of obj (the bgp object or a peer), prefix "bgp." or
 * "bgp.peers[N].". */
static int get_timers(json_t *obj, const char *prefix, uint16_t *hold, uint16_t *ka, uint16_t *retry, char *err,
		      size_t errlen)
{
	char f[64];
	uint64_t v;
	bool set;

	snprintf(f, sizeof(f), "%sholdTime", prefix);
	if (get_uint(obj, "holdTime", f, 0, 65535, "0 or 3-65535 seconds", &v, &set, err, errlen) < 0)
		return -1;
	if (set && (v == 1 || v == 2))
		return conf_err(err, errlen, "%s %llu must be 0 or 3-65535 seconds (RFC 4271 §4.2)", f,
				(unsigned long long)v);
	if (set)
		*hold = (uint16_t)v;
	snprintf(f, sizeof(f), "%skeepalive", prefix);
	if (get_uint(obj, "keepalive", f, 0, 65535, "0 (a third of the hold time) or 1-65535 seconds", &v, &set, err,
		     errlen) < 0)
		return -1;
	if (set)
		*ka = (uint16_t)v;
	snprintf(f, sizeof(f), "%sconnectRetry", prefix);
	if (get_uint(obj, "connectRetry", f, 1, 65535, "1-65535 seconds", &v, &set, err, errlen) < 0)
		return -1;
	if (set)
		*retry = (uint16_t)v;
	if (*hold && *ka >= *hold)
		return conf_err(err, errlen, "%skeepalive %u must be shorter than the hold time %u", prefix, *ka, *hold);
	return 0;
}

/* ---- parts ----------------------------------------------------------------------------------- */

static int listen_parse(json_t *bgp, struct bgp_conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "addresses", "port", NULL };
	json_t *l = json_object_get(bgp, "listen"), *a, *v;
	uint64_t port;
	bool set;
	size_t i;
	char q[Q_LEN], f[64];

	c->listen_port = BGP_PORT;
	c->listen_default = true;
	if (!l || json_is_null(l))
		return 0;
	if (!json_is_object(l))
		return conf_err(err, errlen, "bgp.listen must be an object {addresses, port}, not %s", quote(l, q));
	if (conf_json_keys_check(l, "bgp.listen", keys, err, errlen) < 0)
		return -1;
	if (get_uint(l, "port", "bgp.listen.port", 1, 65535, "a port number (1-65535)", &port, &set, err, errlen) < 0)
		return -1;
	if (set)
		c->listen_port = (uint16_t)port;
	a = json_object_get(l, "addresses");
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return conf_err(err, errlen, "bgp.listen.addresses must be a list of addresses, not %s", quote(a, q));
	if (json_array_size(a) > BGP_CONF_LISTEN_MAX)
		return conf_err(err, errlen, "bgp.listen.addresses has %zu addresses, at most %d", json_array_size(a),
				BGP_CONF_LISTEN_MAX);
	c->listen_default = false;
	json_array_foreach(a, i, v) {
		struct inet_addr *x = &c->listen[i];

		snprintf(f, sizeof(f), "bgp.listen.addresses[%zu]", i);
		if (!json_is_string(v) || !inet_addr_parse(json_string_value(v), x))
			return conf_err(err, errlen, "%s %s is not an IPv4 or IPv6 address", f, quote(v, q));
		for (size_t j = 0; j < i; j++) {
			const struct inet_addr *y = &c->listen[j];

			if (inet_addr_equal(x, y))
				return conf_err(err, errlen, "%s %s is listed twice", f, quote(v, q));
			/* A wildcard takes the port for its whole family: bind() of the other fails. */
			if (x->family == y->family && (addr_is_zero(x) || addr_is_zero(y)))
				return conf_err(err, errlen, "%s %s: the wildcard address of a family cannot be combined "
						"with other addresses of that family", f, quote(v, q));
		}
		c->n_listen++;
	}
	return 0;
}

static int gr_parse(json_t *bgp, struct bgp_conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "enabled", "restartTime", NULL };
	json_t *g = json_object_get(bgp, "gracefulRestart");
	uint64_t t;
	bool set;
	char q[Q_LEN];

	c->gr = true;
	c->gr_time = BGP_CONF_GR_TIME_DEFAULT;
	if (!g || json_is_null(g))
		return 0;
	if (!json_is_object(g))
		return conf_err(err, errlen, "bgp.gracefulRestart must be an object {enabled, restartTime}, not %s",
				quote(g, q));
	if (conf_json_keys_check(g, "bgp.gracefulRestart", keys, err, errlen) < 0 ||
	    get_bool(g, "enabled", "bgp.gracefulRestart.enabled", &c->gr, err, errlen) < 0)
		return -1;
	/* RFC 4724 §3: 12 bits of seconds. */
	if (get_uint(g, "restartTime", "bgp.gracefulRestart.restartTime", 1, BGP_GR_TIME_MAX, "1-4095 seconds", &t,
		     &set, err, errlen) < 0)
		return -1;
	if (set)
		c->gr_time = (uint16_t)t;
	return 0;
}

static int announce_parse(json_t *bgp, struct bgp_conf *c, char *err, size_t errlen)
{
	json_t *a = json_object_get(bgp, "announce"), *v;
	char q[Q_LEN], f[64];
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return conf_err(err, errlen, "bgp.announce must be a list of prefixes, not %s", quote(a, q));
	if (json_array_size(a) > BGP_CONF_ANNOUNCE_MAX)
		return conf_err(err, errlen, "bgp.announce has %zu prefixes, at most %d", json_array_size(a),
				BGP_CONF_ANNOUNCE_MAX);
	c->has_announce = true;
	json_array_foreach(a, i, v) {
		struct inet_prefix *p = &c->announce[i];

		snprintf(f, sizeof(f), "bgp.announce[%zu]", i);
		if (!json_is_string(v) || !inet_prefix_parse(json_string_value(v), p))
			return conf_err(err, errlen, "%s %s is not a prefix such as \"10.244.1.0/24\"", f, quote(v, q));
		if (!inet_prefix_is_canonical(p))
			return conf_err(err, errlen, "%s %s has host bits set", f, quote(v, q));
		for (size_t j = 0; j < i; j++) {
			if (p->len == c->announce[j].len && inet_addr_equal(&p->addr, &c->announce[j].addr))
				return conf_err(err, errlen, "%s %s is listed twice", f, quote(v, q));
		}
		c->n_announce++;
	}
	return 0;
}

static int families_parse(json_t *peer, const char *prefix, uint8_t *afs, char *err, size_t errlen)
{
	json_t *a = json_object_get(peer, "families"), *v;
	char q[Q_LEN];
	size_t i;

	*afs = BGP_AF_ALL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return conf_err(err, errlen, "%sfamilies must be a non-empty list of \"ipv4\", \"ipv6\", not %s", prefix,
				quote(a, q));
	*afs = 0;
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);
		uint8_t bit = s && !strcmp(s, "ipv4") ? BGP_AF_BIT(BGP_AF_IPV4)
			    : s && !strcmp(s, "ipv6") ? BGP_AF_BIT(BGP_AF_IPV6) : 0;

		if (!bit)
			return conf_err(err, errlen, "%sfamilies[%zu] %s is not \"ipv4\" or \"ipv6\"", prefix, i, quote(v, q));
		if (*afs & bit)
			return conf_err(err, errlen, "%sfamilies[%zu] %s is listed twice", prefix, i, quote(v, q));
		*afs |= bit;
	}
	return 0;
}

static int peer_parse(json_t *v, size_t idx, struct bgp_conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "address", "asn", "port", "localAddress", "passive", "md5Password",
					    "ttlSecurity", "holdTime", "keepalive", "connectRetry", "families",
					    "routeReflectorClient", "acceptAll", "exportPodCIDRs", "enforceFirstAs", NULL };
	struct bgp_peer_conf *p = &c->peers[idx];
	char pre[32], f[64], q[Q_LEN];
	const char *why;
	json_t *pw;
	uint64_t u;
	bool set;

	snprintf(pre, sizeof(pre), "bgp.peers[%zu]", idx);
	if (!json_is_object(v))
		return conf_err(err, errlen, "%s must be an object {address, asn, ...}, not %s", pre, quote(v, q));
	if (conf_json_keys_check(v, pre, keys, err, errlen) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.address", pre);
	if (get_addr(v, "address", f, &p->address, err, errlen) < 0)
		return -1;
	if (!p->address.family)
		return conf_err(err, errlen, "%s is missing", f);
	if ((why = peer_addr_bad(&p->address)))
		return conf_err(err, errlen, "%s %s %s", f, quote(json_object_get(v, "address"), q), why);
	for (size_t j = 0; j < idx; j++) {
		if (inet_addr_equal(&c->peers[j].address, &p->address))
			return conf_err(err, errlen, "%s %s is also bgp.peers[%zu]", f,
					quote(json_object_get(v, "address"), q), j);
	}
	snprintf(f, sizeof(f), "%s.asn", pre);
	if (get_asn(v, f, &p->asn, err, errlen) < 0)
		return -1;
	snprintf(f, sizeof(f), "%s.port", pre);
	p->port = BGP_PORT;
	if (get_uint(v, "port", f, 1, 65535, "a port number (1-65535)", &u, &set, err, errlen) < 0)
		return -1;
	if (set)
		p->port = (uint16_t)u;
	snprintf(f, sizeof(f), "%s.localAddress", pre);
	if (get_addr(v, "localAddress", f, &p->local, err, errlen) < 0)
		return -1;
	if (p->local.family && p->local.family != p->address.family)
		return conf_err(err, errlen, "%s %s is not of the family of the peer's address", f,
				quote(json_object_get(v, "localAddress"), q));
	snprintf(f, sizeof(f), "%s.passive", pre);
	if (get_bool(v, "passive", f, &p->passive, err, errlen) < 0)
		return -1;
	pw = json_object_get(v, "md5Password");
	if (pw && !json_is_null(pw)) {
		const char *s = json_string_value(pw);
		size_t n = s ? strlen(s) : 0;

		/* The value is a secret: never quoted back. */
		if (!s || n == 0 || n > BGP_MD5_KEY_MAX)
			return conf_err(err, errlen, "%s.md5Password must be a string of 1-%d bytes", pre, BGP_MD5_KEY_MAX);
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return conf_err(err, errlen, "%s.md5Password contains control characters", pre);
		}
		memcpy(p->md5_password, s, n + 1);
	}
	snprintf(f, sizeof(f), "%s.ttlSecurity", pre);
	if (get_uint(v, "ttlSecurity", f, 0, 254, "0 (off) or the peer's greatest distance in hops, 1-254", &u, &set,
		     err, errlen) < 0)
		return -1;
	if (set)
		p->ttl_security = (unsigned)u;
	p->hold_time = c->hold_time;
	p->keepalive = c->keepalive;
	p->connect_retry = c->connect_retry;
	snprintf(f, sizeof(f), "%s.", pre);
	if (get_timers(v, f, &p->hold_time, &p->keepalive, &p->connect_retry, err, errlen) < 0)
		return -1;
	if (families_parse(v, f, &p->afs, err, errlen) < 0)
		return -1;
	p->enforce_first_as = true;
	snprintf(f, sizeof(f), "%s.routeReflectorClient", pre);
	if (get_bool(v, "routeReflectorClient", f, &p->rr_client, err, errlen) < 0)
		return -1;
	if (p->rr_client && p->asn != c->asn)
		return conf_err(err, errlen, "%s true applies to internal peers only: asn %u is not ours (%u)", f, p->asn,
				c->asn);
	snprintf(f, sizeof(f), "%s.acceptAll", pre);
	if (get_bool(v, "acceptAll", f, &p->accept_all, err, errlen) < 0)
		return -1;
	if (p->accept_all && p->asn == c->asn)
		return conf_err(err, errlen, "%s true applies to eBGP peers only: asn %u is ours", f, p->asn);
	snprintf(f, sizeof(f), "%s.exportPodCIDRs", pre);
	if (get_bool(v, "exportPodCIDRs", f, &p->export_pod_cidrs, err, errlen) < 0)
		return -1;
	if (p->export_pod_cidrs && p->asn == c->asn)
		return conf_err(err, errlen, "%s true applies to eBGP peers only: asn %u is ours", f, p->asn);
	snprintf(f, sizeof(f), "%s.enforceFirstAs", pre);
	return get_bool(v, "enforceFirstAs", f, &p->enforce_first_as, err, errlen);
}

/* Passive peers wait for connections: something must listen for their family. */
static int listen_check(struct bgp_conf *c, char *err, size_t errlen)
{
	if (c->listen_default) {
		uint8_t fams = 0;

		for (size_t i = 0; i < c->n_peers; i++)
			fams |= c->peers[i].address.family == AF_INET ? 1 : 2;
		if (fams & 1)
			c->listen[c->n_listen++] = (struct inet_addr){ .family = AF_INET };
		if (fams & 2)
			c->listen[c->n_listen++] = (struct inet_addr){ .family = AF_INET6 };
		return 0;
	}
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct bgp_peer_conf *p = &c->peers[i];
		bool ok = false;

		for (size_t j = 0; j < c->n_listen && !ok; j++)
			ok = c->listen[j].family == p->address.family;
		if (p->passive && !ok)
			return conf_err(err, errlen, "bgp.peers[%zu].passive is true but bgp.listen.addresses has no %s "
					"address to accept its connection on", i, p->address.family == AF_INET ? "IPv4" : "IPv6");
	}
	return 0;
}

int bgp_conf_parse(json_t *v, struct bgp_conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "asn", "routerId", "listen", "holdTime", "keepalive", "connectRetry",
					    "gracefulRestart", "clusterId", "announce", "peers", NULL };
	json_t *peers, *p;
	char q[Q_LEN];
	size_t i;

	memset(c, 0, sizeof(*c));
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return conf_err(err, errlen, "bgp must be an object {asn, peers, ...} or null, not %s", quote(v, q));
	if (conf_json_keys_check(v, "bgp", keys, err, errlen) < 0)
		return -1;
	c->enabled = true;
	c->hold_time = BGP_HOLD_DEFAULT;
	c->connect_retry = BGP_CONNECT_RETRY_DEFAULT;
	if (get_asn(v, "bgp.asn", &c->asn, err, errlen) < 0 || get_id(v, "routerId", "bgp.routerId", &c->router_id, err, errlen) < 0 ||
	    get_id(v, "clusterId", "bgp.clusterId", &c->cluster_id, err, errlen) < 0 ||
	    get_timers(v, "bgp.", &c->hold_time, &c->keepalive, &c->connect_retry, err, errlen) < 0 ||
	    listen_parse(v, c, err, errlen) < 0 || gr_parse(v, c, err, errlen) < 0 ||
	    announce_parse(v, c, err, errlen) < 0)
		return -1;
	peers = json_object_get(v, "peers");
	if (peers && !json_is_null(peers)) {
		if (!json_is_array(peers))
			return conf_err(err, errlen, "bgp.peers must be a list of peers, not %s", quote(peers, q));
		if (json_array_size(peers) > BGP_CONF_PEERS_MAX)
			return conf_err(err, errlen, "bgp.peers has %zu peers, at most %d (use route reflectors)",
					json_array_size(peers), BGP_CONF_PEERS_MAX);
		json_array_foreach(peers, i, p) {
			if (peer_parse(p, i, c, err, errlen) < 0)
				return -1;
			c->n_peers++;
		}
	}
	return listen_check(c, err, errlen);
}

int bgp_conf_finish(struct bgp_conf *c, const struct inet_addr *node4, char *err, size_t errlen)
{
	bool rr = false;

	if (!c->enabled)
		return 0;
	if (!c->router_id) {
		uint32_t id;

		if (!node4 || node4->family != AF_INET)
			return conf_err(err, errlen, "bgp.routerId is not set and the node has no IPv4 address to take it from");
		memcpy(&id, node4->bytes, 4);
		c->router_id = ntohl(id);
		if (!c->router_id)
			return conf_err(err, errlen, "bgp.routerId is not set and the node's IPv4 address is 0.0.0.0");
	}
	for (size_t i = 0; i < c->n_peers; i++)
		rr |= c->peers[i].rr_client;
	/* RFC 4456 §7: the cluster id is the reflector's router id unless configured. */
	if (rr && !c->cluster_id)
		c->cluster_id = c->router_id;
	return 0;
}

bool bgp_conf_peer_ebgp(const struct bgp_conf *c, const struct bgp_peer_conf *p)
{
	return p->asn != c->asn;
}

static json_t *addr_json(const struct inet_addr *a)
{
	char buf[INET_ADDRSTR];

	return a->family ? json_string(inet_addr_fmt(a, buf, sizeof(buf))) : json_null();
}

static json_t *peer_json(const struct bgp_peer_conf *p)
{
	json_t *fam = json_array();

	if (p->afs & BGP_AF_BIT(BGP_AF_IPV4))
		json_array_append_new(fam, json_string("ipv4"));
	if (p->afs & BGP_AF_BIT(BGP_AF_IPV6))
		json_array_append_new(fam, json_string("ipv6"));
	/* json_pack steals the "o" values even when it fails. */
	return json_pack("{s:o, s:I, s:i, s:o, s:b, s:o, s:i, s:i, s:i, s:i, s:o, s:b, s:b, s:b, s:b}", "address",
			 addr_json(&p->address), "asn", (json_int_t)p->asn, "port", (int)p->port, "localAddress",
			 addr_json(&p->local), "passive", p->passive, "md5Password",
			 p->md5_password[0] ? json_string(p->md5_password) : json_null(), "ttlSecurity",
			 (int)p->ttl_security, "holdTime", (int)p->hold_time, "keepalive", (int)p->keepalive,
			 "connectRetry", (int)p->connect_retry, "families", fam, "routeReflectorClient", p->rr_client,
			 "acceptAll", p->accept_all, "exportPodCIDRs", p->export_pod_cidrs, "enforceFirstAs",
			 p->enforce_first_as);
}

static json_t *id_json(uint32_t id)
{
	char buf[16];

	return id ? json_string(bgp_conf_id_fmt(id, buf, sizeof(buf))) : json_null();
}

json_t *bgp_conf_to_json(const struct bgp_conf *c)
{
	json_t *addrs = json_array(), *peers = json_array(), *ann = c->has_announce ? json_array() : json_null();
	char buf[INET_PREFIXSTR];

	if (!c->enabled) {
		json_decref(addrs);
		json_decref(peers);
		json_decref(ann);
		return json_null();
	}
	for (size_t i = 0; i < c->n_listen; i++)
		json_array_append_new(addrs, addr_json(&c->listen[i]));
	for (size_t i = 0; i < c->n_announce; i++)
		json_array_append_new(ann, json_string(inet_prefix_fmt(&c->announce[i], buf, sizeof(buf))));
	for (size_t i = 0; i < c->n_peers; i++)
		json_array_append_new(peers, peer_json(&c->peers[i]));
	return json_pack("{s:I, s:o, s:{s:o, s:i}, s:i, s:i, s:i, s:{s:b, s:i}, s:o, s:o, s:o}", "asn",
			 (json_int_t)c->asn, "routerId", id_json(c->router_id), "listen", "addresses", addrs, "port",
			 (int)c->listen_port, "holdTime", (int)c->hold_time, "keepalive", (int)c->keepalive,
			 "connectRetry", (int)c->connect_retry, "gracefulRestart", "enabled", c->gr, "restartTime",
			 (int)c->gr_time, "clusterId", id_json(c->cluster_id), "announce", ann, "peers", peers);
}
