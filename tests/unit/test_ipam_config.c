/* weft-ipam configuration: every field of the "ipam" object, every kind of bad value (code 7 and
 * a message naming the field path and quoting the value), requested addresses from CNI_ARGS,
 * args.cni.ips and runtimeConfig.ips, and the result in each CNI version's shape. */
#include "test_ipam_util.h"

static const char *V4 = "{\"ranges\":[[{\"subnet\":\"10.244.1.0/24\",\"rangeStart\":\"10.244.1.10\","
			"\"rangeEnd\":\"10.244.1.250\",\"gateway\":\"10.244.1.1\"}]]}";

static void addr_is(const struct inet_addr *a, const char *want)
{
	assert_string_equal(tu_fmt(a), want);
}

/* ---- good configs ---------------------------------------------------------------------------- */

static void test_full_config(void **state)
{
	struct ipam_config cfg;

	(void)state;
	tu_cfg(&cfg, NULL,
	       "{\"type\":\"weft-ipam\",\"dataDir\":\"/run/x\","
	       "\"ranges\":[[{\"subnet\":\"10.244.1.0/24\",\"rangeStart\":\"10.244.1.10\",\"rangeEnd\":\"10.244.1.250\","
	       "\"gateway\":\"10.244.1.1\"}],[{\"subnet\":\"fd00:10:244:1::/64\"}]],"
	       "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\",\"gw\":\"fd00:10:244:1::1\",\"mtu\":1400,"
	       "\"advmss\":1360,\"priority\":10,\"table\":100,\"scope\":0}],"
	       "\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"domain\":\"cluster.local\",\"search\":[\"svc\"],"
	       "\"options\":[\"ndots:5\"]},\"unknownKey\":true}");
	assert_string_equal(cfg.data_dir, "/run/x");
	assert_string_equal(cfg.network, "n1");
	assert_int_equal(cfg.n_sets, 2);
	assert_int_equal(cfg.sets[0].family, AF_INET);
	assert_string_equal(cfg.sets[0].where, "ipam.ranges[0]");
	assert_string_equal(cfg.sets[0].ranges[0].where, "ipam.ranges[0][0]");
	addr_is(&cfg.sets[0].ranges[0].start, "10.244.1.10");
	addr_is(&cfg.sets[0].ranges[0].end, "10.244.1.250");
	addr_is(&cfg.sets[0].ranges[0].gateway, "10.244.1.1");
	assert_int_equal(cfg.sets[0].ranges[0].nbits, 241);
	assert_int_equal(cfg.sets[1].family, AF_INET6);
	/* IPv6 defaults: network+1 .. last address; dynamic part capped at 2^20. */
	addr_is(&cfg.sets[1].ranges[0].start, "fd00:10:244:1::1");
	addr_is(&cfg.sets[1].ranges[0].end, "fd00:10:244:1:ffff:ffff:ffff:ffff");
	assert_int_equal(cfg.sets[1].ranges[0].nbits, IPAM_RANGE_MAX_BITS);
	assert_int_equal(cfg.sets[1].ranges[0].gateway.family, 0);
	assert_int_equal(cfg.n_routes, 2);
	assert_int_equal(cfg.routes[0].scope, -1);
	addr_is(&cfg.routes[1].gw, "fd00:10:244:1::1");
	assert_int_equal(cfg.routes[1].mtu, 1400);
	assert_int_equal(cfg.routes[1].advmss, 1360);
	assert_int_equal(cfg.routes[1].priority, 10);
	assert_int_equal(cfg.routes[1].table, 100);
	assert_int_equal(cfg.routes[1].scope, 0);
	assert_non_null(cfg.dns);
	assert_string_equal(json_string_value(json_object_get(cfg.dns, "domain")), "cluster.local");
	ipam_config_fini(&cfg);
}

static void test_defaults(void **state)
{
	struct ipam_config cfg;

	(void)state;
	tu_cfg(&cfg, NULL, "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}");
	assert_string_equal(cfg.data_dir, IPAM_DEFAULT_DATA_DIR);
	addr_is(&cfg.sets[0].ranges[0].start, "10.0.0.1");
	addr_is(&cfg.sets[0].ranges[0].end, "10.0.0.254");
	assert_int_equal(cfg.sets[0].ranges[0].nbits, 254);
	assert_int_equal(cfg.sets[0].ranges[0].gateway.family, 0); /* unlike host-local: no implicit .1 */
	assert_int_equal(cfg.n_routes, 0);
	assert_null(cfg.dns);
	ipam_config_fini(&cfg);

	/* A /8 is capped at its first 2^20 addresses; the range itself still reaches .254. */
	tu_cfg(&cfg, NULL, "{\"ranges\":[[{\"subnet\":\"10.0.0.0/8\"}]]}");
	assert_int_equal(cfg.sets[0].ranges[0].nbits, IPAM_RANGE_MAX_BITS);
	addr_is(&cfg.sets[0].ranges[0].end, "10.255.255.254");
	ipam_config_fini(&cfg);

	/* Smallest usable: IPv4 /30 (two), IPv6 /127 (one: network is reserved, no broadcast). */
	tu_cfg(&cfg, NULL, "{\"ranges\":[[{\"subnet\":\"10.0.0.0/30\"}],[{\"subnet\":\"fd00::/127\"}]]}");
	assert_int_equal(cfg.sets[0].ranges[0].nbits, 2);
	assert_int_equal(cfg.sets[1].ranges[0].nbits, 1);
	addr_is(&cfg.sets[1].ranges[0].start, "fd00::1");
	ipam_config_fini(&cfg);
}

static void test_legacy_form(void **state)
{
	struct ipam_config cfg;

	(void)state;
	tu_cfg(&cfg, NULL, "{\"subnet\":\"10.1.0.0/16\",\"rangeStart\":\"10.1.0.5\",\"rangeEnd\":\"10.1.0.9\","
			   "\"gateway\":\"10.1.0.1\",\"ranges\":[[{\"subnet\":\"fd00::/120\"}]]}");
	assert_int_equal(cfg.n_sets, 2);
	/* host-local prepends the single-range form as the first set. */
	assert_string_equal(cfg.sets[0].where, "ipam.subnet");
	assert_string_equal(cfg.sets[0].ranges[0].where, "ipam");
	addr_is(&cfg.sets[0].ranges[0].start, "10.1.0.5");
	addr_is(&cfg.sets[0].ranges[0].end, "10.1.0.9");
	addr_is(&cfg.sets[0].ranges[0].gateway, "10.1.0.1");
	assert_string_equal(cfg.sets[1].where, "ipam.ranges[0]");
	ipam_config_fini(&cfg);
}

static void test_multi_range_set(void **state)
{
	struct ipam_config cfg;
	size_t s, r;
	struct inet_addr a;

	(void)state;
	tu_cfg(&cfg, NULL, "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeEnd\":\"10.0.0.100\"},"
			   "{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.101\"},{\"subnet\":\"10.0.5.0/24\"}]]}");
	assert_int_equal(cfg.sets[0].n_ranges, 3);
	inet_addr_parse("10.0.5.7", &a);
	assert_true(ipam_config_find(&cfg, &a, &s, &r));
	assert_int_equal(s, 0);
	assert_int_equal(r, 2);
	inet_addr_parse("10.0.1.7", &a);
	assert_false(ipam_config_find(&cfg, &a, &s, &r));
	ipam_config_fini(&cfg);
}

/* ---- bad configs ----------------------------------------------------------------------------- */

struct bad {
	const char *ipam;
	const char *want[2]; /* substrings the message must contain */
};

static const struct bad bad_configs[] = {
	{ "5", { "ipam must be an object" } },
	{ "{}", { "ipam.ranges is missing or empty" } },
	{ "{\"ranges\":5}", { "ipam.ranges must be a list", "5" } },
	{ "{\"ranges\":[]}", { "ipam.ranges is missing or empty" } },
	{ "{\"ranges\":[{\"subnet\":\"10.0.0.0/24\"}]}", { "ipam.ranges[0] must be a list", "subnet" } },
	{ "{\"ranges\":[[]]}", { "ipam.ranges[0] is an empty list" } },
	{ "{\"ranges\":[[\"x\"]]}", { "ipam.ranges[0][0] must be an object", "\"x\"" } },
	{ "{\"ranges\":[[{}]]}", { "ipam.ranges[0][0].subnet is missing" } },
	{ "{\"ranges\":[[{\"subnet\":5}]]}", { "ipam.ranges[0][0].subnet must be a string", "5" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0\"}]]}", { "ipam.ranges[0][0].subnet", "\"10.0.0.0\" is not an address/prefix" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/33\"}]]}", { "ipam.ranges[0][0].subnet", "\"10.0.0.0/33\"" } },
	{ "{\"ranges\":[[{\"subnet\":\"banana/24\"}]]}", { "ipam.ranges[0][0].subnet", "\"banana/24\"" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.5/24\"}]]}", { "ipam.ranges[0][0].subnet \"10.0.0.5/24\" has host bits set", "10.0.0.0/24" } },
	{ "{\"ranges\":[[{\"subnet\":\"fd00::1/64\"}]]}", { "ipam.ranges[0][0].subnet \"fd00::1/64\" has host bits set" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/32\"}]]}", { "ipam.ranges[0][0].subnet \"10.0.0.0/32\" is too small" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/31\"}]]}", { "ipam.ranges[0][0]", "subnet too small" } },
	{ "{\"ranges\":[[{\"subnet\":\"fd00::/128\"}]]}", { "ipam.ranges[0][0].subnet \"fd00::/128\" is too small" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"bad\"}]]}", { "ipam.ranges[0][0].rangeStart \"bad\" is not an IP address" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":7}]]}", { "ipam.ranges[0][0].rangeStart must be a string", "7" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.1.5\"}]]}", { "ipam.ranges[0][0].rangeStart \"10.0.1.5\" is not inside subnet 10.0.0.0/24" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"fd00::1\"}]]}", { "ipam.ranges[0][0].rangeStart \"fd00::1\" is not inside subnet" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeEnd\":\"10.0.2.1\"}]]}", { "ipam.ranges[0][0].rangeEnd \"10.0.2.1\" is not inside subnet" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeEnd\":\"x.y\"}]]}", { "ipam.ranges[0][0].rangeEnd \"x.y\" is not an IP address" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.9.1\"}]]}", { "ipam.ranges[0][0].gateway \"10.0.9.1\" is not inside subnet" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.0.300\"}]]}", { "ipam.ranges[0][0].gateway \"10.0.0.300\" is not an IP address" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"gateway\":[1]}]]}", { "ipam.ranges[0][0].gateway must be a string", "[1]" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.50\",\"rangeEnd\":\"10.0.0.20\"}]]}",
	  { "ipam.ranges[0][0]: rangeStart 10.0.0.50 is after rangeEnd 10.0.0.20" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/30\",\"rangeStart\":\"10.0.0.1\",\"rangeEnd\":\"10.0.0.1\",\"gateway\":\"10.0.0.1\"}]]}",
	  { "ipam.ranges[0][0]: range 10.0.0.1-10.0.0.1 has no address to hand out" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},{\"subnet\":\"fd00::/64\"}]]}",
	  { "ipam.ranges[0][1].subnet \"fd00::/64\" is IPv6 but ipam.ranges[0] is IPv4", "one family" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeEnd\":\"10.0.0.100\"},{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.50\"}]]}",
	  { "ipam.ranges[0][1] (10.0.0.50-10.0.0.254) overlaps ipam.ranges[0][0] (10.0.0.1-10.0.0.100)" } },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"10.0.0.0/25\"}]]}",
	  { "ipam.ranges[1][0] (10.0.0.1-10.0.0.126) overlaps ipam.ranges[0][0]" } },
	{ "{\"ranges\":[[{\"subnet\":\"fd00::/64\"}],[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"fd00::/120\"}]]}",
	  { "ipam.ranges[2][0]", "overlaps ipam.ranges[0][0]" } },
	{ "{\"subnet\":\"10.0.0.0/24\",\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.ranges[0][0]", "overlaps ipam (" } },
	{ "{\"rangeStart\":\"10.0.0.1\",\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.rangeStart is given without ipam.subnet" } },
	{ "{\"gateway\":\"10.0.0.1\"}", { "ipam.gateway is given without ipam.subnet" } },
	{ "{\"subnet\":\"nope\"}", { "ipam.subnet \"nope\" is not an address/prefix" } },
	{ "{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.1.0.0\"}", { "ipam.rangeStart \"10.1.0.0\" is not inside subnet" } },
	{ "{\"dataDir\":5,\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dataDir must be a string", "5" } },
	{ "{\"dataDir\":\"rel/dir\",\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dataDir \"rel/dir\" must be an absolute path" } },
	{ "{\"dataDir\":\"\",\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dataDir \"\" must be an absolute path" } },
	{ "{\"routes\":{},\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes must be a list", "{}" } },
	{ "{\"routes\":[\"0.0.0.0/0\"],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0] must be an object", "\"0.0.0.0/0\"" } },
	{ "{\"routes\":[{\"gw\":\"10.0.0.1\"}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].dst is missing" } },
	{ "{\"routes\":[{},{\"dst\":\"default\"}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].dst is missing" } },
	{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"default\"}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[1].dst \"default\" is not an address/prefix" } },
	{ "{\"routes\":[{\"dst\":\"10.1.2.3/8\"}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].dst \"10.1.2.3/8\" has host bits set", "10.0.0.0/8" } },
	{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"x\"}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].gw \"x\" is not an IP address" } },
	{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"fd00::1\"}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].gw \"fd00::1\" is IPv6 but dst is IPv4" } },
	{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"mtu\":-1}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].mtu must be an integer", "-1" } },
	{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"advmss\":\"x\"}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].advmss must be an integer", "\"x\"" } },
	{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"priority\":1.5}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].priority must be an integer", "1.5" } },
	{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"table\":true}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].table must be an integer", "true" } },
	{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"scope\":256}],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.routes[0].scope must be an integer from 0 to 255", "256" } },
	{ "{\"dns\":[],\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dns must be an object", "[]" } },
	{ "{\"dns\":{\"nameservers\":\"1.1.1.1\"},\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dns.nameservers must be a list", "\"1.1.1.1\"" } },
	{ "{\"dns\":{\"nameservers\":[\"dns.example\"]},\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dns.nameservers[0] \"dns.example\" is not an IP address" } },
	{ "{\"dns\":{\"nameservers\":[1]},\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dns.nameservers[0] must be a string", "1" } },
	{ "{\"dns\":{\"domain\":[\"a\"]},\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dns.domain must be a string", "[\"a\"]" } },
	{ "{\"dns\":{\"search\":[\"a\",2]},\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dns.search[1] must be a string", "2" } },
	{ "{\"dns\":{\"options\":\"ndots:5\"},\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}", { "ipam.dns.options must be a list", "\"ndots:5\"" } },
};

static void test_bad_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		const struct bad *b = &bad_configs[i];
		struct ipam_config cfg;
		struct cni_error e;

		if (tu_cfg_try(&cfg, NULL, b->ipam, &e) == 0)
			fail_msg("accepted: %s", b->ipam);
		if (e.code != CNI_ERR_CONFIG)
			fail_msg("code %u for %s: %s", e.code, b->ipam, e.msg);
		for (int k = 0; k < 2 && b->want[k]; k++)
			if (!strstr(e.msg, b->want[k]))
				fail_msg("message for %s\n  is: %s\n  lacks: %s", b->ipam, e.msg, b->want[k]);
		ipam_config_fini(&cfg);
	}
}

/* Limits: range sets, ranges per set, routes. */
static void test_limits(void **state)
{
	char buf[16384];
	size_t len;
	struct ipam_config cfg;
	struct cni_error e;

	(void)state;
	len = (size_t)snprintf(buf, sizeof(buf), "{\"ranges\":[");
	for (int i = 0; i < IPAM_MAX_SETS + 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s[{\"subnet\":\"10.%d.0.0/24\"}]", i ? "," : "", i);
	snprintf(buf + len, sizeof(buf) - len, "]}");
	assert_int_equal(tu_cfg_try(&cfg, NULL, buf, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "more than 16 range sets"));
	ipam_config_fini(&cfg);

	len = (size_t)snprintf(buf, sizeof(buf), "{\"ranges\":[[");
	for (int i = 0; i < IPAM_MAX_RANGES + 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s{\"subnet\":\"10.%d.0.0/24\"}", i ? "," : "", i);
	snprintf(buf + len, sizeof(buf) - len, "]]}");
	assert_int_equal(tu_cfg_try(&cfg, NULL, buf, &e), -1);
	assert_non_null(strstr(e.msg, "ipam.ranges[0] has 33 ranges"));
	ipam_config_fini(&cfg);

	/* dataDir leaves room for the store's own names under PATH_MAX. */
	len = (size_t)snprintf(buf, sizeof(buf), "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]],\"dataDir\":\"/");
	memset(buf + len, 'd', PATH_MAX - 512);
	snprintf(buf + len + PATH_MAX - 512, sizeof(buf) - len - (PATH_MAX - 512), "\"}");
	assert_int_equal(tu_cfg_try(&cfg, NULL, buf, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "ipam.dataDir \"/ddd"));
	assert_non_null(strstr(e.msg, "must be an absolute path of at most 3584 bytes"));
	ipam_config_fini(&cfg);

	len = (size_t)snprintf(buf, sizeof(buf), "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]],\"routes\":[");
	for (int i = 0; i < CNI_MAX_ROUTES + 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s{\"dst\":\"10.%d.0.0/16\"}", i ? "," : "", i);
	snprintf(buf + len, sizeof(buf) - len, "]}");
	assert_int_equal(tu_cfg_try(&cfg, NULL, buf, &e), -1);
	assert_non_null(strstr(e.msg, "ipam.routes has 65 routes"));
	ipam_config_fini(&cfg);
}

static void test_missing_ipam_and_bad_name(void **state)
{
	struct ipam_config cfg;
	struct cni_error e = { 0 };
	json_t *o = json_loads(V4, 0, NULL);

	(void)state;
	assert_int_equal(ipam_config_parse(NULL, "n1", &cfg, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CONFIG);
	assert_string_equal(e.msg, "ipam is missing");
	ipam_config_fini(&cfg);
	memset(&e, 0, sizeof(e));
	assert_int_equal(ipam_config_parse(o, "../etc", &cfg, &e), -1);
	assert_int_equal(e.code, CNI_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "\"../etc\""));
	ipam_config_fini(&cfg);
	json_decref(o);
}

/* ---- requested addresses -------------------------------------------------------------------- */

static const char *DUAL = "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.0\",\"rangeEnd\":\"10.0.0.255\","
			  "\"gateway\":\"10.0.0.1\"}],[{\"subnet\":\"fd00::/64\",\"rangeStart\":\"fd00::\",\"rangeEnd\":\"fd00::ff\"}]]}";

static int req_try(const char *args, const char *root_json, struct ipam_request *req, struct cni_error *e)
{
	struct ipam_config cfg;
	json_t *root = root_json ? json_loads(root_json, 0, NULL) : NULL;
	int rc;

	tu_cfg(&cfg, NULL, DUAL);
	memset(e, 0, sizeof(*e));
	rc = ipam_request_parse(&cfg, root, args, req, e);
	json_decref(root);
	ipam_config_fini(&cfg);
	return rc;
}

static void req_bad(const char *args, const char *root, unsigned code, const char *want1, const char *want2)
{
	struct ipam_request req;
	struct cni_error e;

	if (req_try(args, root, &req, &e) == 0)
		fail_msg("accepted args=%s root=%s", args ? args : "", root ? root : "");
	if (e.code != code)
		fail_msg("code %u (want %u): %s", e.code, code, e.msg);
	if (!strstr(e.msg, want1) || (want2 && !strstr(e.msg, want2)))
		fail_msg("message '%s' lacks '%s' / '%s'", e.msg, want1, want2 ? want2 : "");
}

static void test_requests(void **state)
{
	struct ipam_request req;
	struct cni_error e;

	(void)state;
	assert_int_equal(req_try(NULL, NULL, &req, &e), 0);
	assert_int_equal(req.addr[0].family, 0);
	assert_int_equal(req.addr[1].family, 0);

	assert_int_equal(req_try("IgnoreUnknown=1;IP=10.0.0.5,fd00::5;K8S_POD_NAME=p", NULL, &req, &e), 0);
	addr_is(&req.addr[0], "10.0.0.5");
	addr_is(&req.addr[1], "fd00::5");
	assert_string_equal(req.source[0], "CNI_ARGS IP");

	assert_int_equal(req_try(NULL, "{\"args\":{\"cni\":{\"ips\":[\"10.0.0.7\"]}},\"runtimeConfig\":{\"ips\":[\"fd00::7/64\"]}}",
				 &req, &e), 0);
	addr_is(&req.addr[0], "10.0.0.7");
	assert_string_equal(req.source[0], "args.cni.ips[0]");
	addr_is(&req.addr[1], "fd00::7");
	assert_string_equal(req.source[1], "runtimeConfig.ips[0]");

	/* The same address from two sources is one request. */
	assert_int_equal(req_try("IP=10.0.0.9", "{\"runtimeConfig\":{\"ips\":[\"10.0.0.9/24\"]}}", &req, &e), 0);
	addr_is(&req.addr[0], "10.0.0.9");

	req_bad("IP=garbage", NULL, CNI_ERR_ENV, "CNI_ARGS IP: \"garbage\" is not an IP address", NULL);
	req_bad("IP=", NULL, CNI_ERR_ENV, "CNI_ARGS IP is empty", NULL);
	req_bad("IP=10.9.9.9", NULL, CNI_ERR_ENV, "CNI_ARGS IP: 10.9.9.9 is not inside any range", NULL);
	req_bad("IP=fd00::1:0", NULL, CNI_ERR_ENV, "fd00::1:0 is not inside any range", NULL);
	req_bad("IP=10.0.0.1", NULL, CNI_ERR_ENV, "10.0.0.1 is the gateway of ipam.ranges[0][0]", NULL);
	req_bad("IP=10.0.0.0", NULL, CNI_ERR_ENV, "10.0.0.0 is the network address", NULL);
	req_bad("IP=10.0.0.255", NULL, CNI_ERR_ENV, "10.0.0.255 is the broadcast address", NULL);
	req_bad("IP=fd00::", NULL, CNI_ERR_ENV, "fd00:: is the network address", NULL);
	req_bad("IP=10.0.0.5,10.0.0.6", NULL, CNI_ERR_ENV, "10.0.0.6 and 10.0.0.5", "both from ipam.ranges[0]");
	req_bad("IP=10.0.0.5/16", NULL, CNI_ERR_ENV, "\"10.0.0.5/16\" has prefix length /16", "10.0.0.0/24");
	req_bad(NULL, "{\"args\":{\"cni\":{\"ips\":\"10.0.0.5\"}}}", CNI_ERR_CONFIG, "args.cni.ips must be a list", "\"10.0.0.5\"");
	req_bad(NULL, "{\"args\":{\"cni\":{\"ips\":[5]}}}", CNI_ERR_CONFIG, "args.cni.ips[0] must be a string", "5");
	req_bad(NULL, "{\"args\":{\"cni\":{\"ips\":[\"10.0.0.5\",\"x\"]}}}", CNI_ERR_CONFIG, "args.cni.ips[1]: \"x\"", NULL);
	req_bad(NULL, "{\"runtimeConfig\":{\"ips\":[\"10.0.7.5\"]}}", CNI_ERR_CONFIG, "runtimeConfig.ips[0]: 10.0.7.5", NULL);
	req_bad("IP=10.0.0.5", "{\"runtimeConfig\":{\"ips\":[\"10.0.0.6\"]}}", CNI_ERR_CONFIG, "runtimeConfig.ips[0]: 10.0.0.6",
		"CNI_ARGS IP");
}

/* ---- result ---------------------------------------------------------------------------------- */

static void test_result_versions(void **state)
{
	struct ipam_config cfg;
	struct ipam_lease lease = { .n = 2 };
	static const char *const versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

	(void)state;
	tu_cfg(&cfg, NULL,
	       "{\"ranges\":[[{\"subnet\":\"10.244.1.0/24\",\"gateway\":\"10.244.1.1\"}],[{\"subnet\":\"fd00::/64\"}]],"
	       "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\",\"mtu\":1400}],\"dns\":{\"nameservers\":[\"10.96.0.10\"]}}");
	inet_addr_parse("10.244.1.37", &lease.addr[0]);
	inet_addr_parse("fd00::25", &lease.addr[1]);
	for (int v = 0; v < CNI_V_COUNT; v++) {
		struct cni_result r;
		struct cni_error e = { 0 };
		json_t *o, *ips;

		cni_result_init(&r);
		assert_int_equal(ipam_result_fill(&cfg, &lease, &r, &e), 0);
		o = cni_result_encode(&r, (enum cni_version)v);
		assert_string_equal(json_string_value(json_object_get(o, "cniVersion")), versions[v]);
		assert_null(json_object_get(o, "interfaces"));
		ips = json_object_get(o, "ips");
		assert_int_equal(json_array_size(ips), 2);
		assert_string_equal(json_string_value(json_object_get(json_array_get(ips, 0), "address")), "10.244.1.37/24");
		assert_string_equal(json_string_value(json_object_get(json_array_get(ips, 0), "gateway")), "10.244.1.1");
		assert_null(json_object_get(json_array_get(ips, 0), "interface"));
		assert_string_equal(json_string_value(json_object_get(json_array_get(ips, 1), "address")), "fd00::25/64");
		assert_null(json_object_get(json_array_get(ips, 1), "gateway")); /* none configured */
		if (v < CNI_V100)
			assert_string_equal(json_string_value(json_object_get(json_array_get(ips, 1), "version")), "6");
		else
			assert_null(json_object_get(json_array_get(ips, 1), "version"));
		assert_int_equal(json_array_size(json_object_get(o, "routes")), 2);
		if (v == CNI_V110)
			assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(o, "routes"), 1), "mtu")), 1400);
		else
			assert_null(json_object_get(json_array_get(json_object_get(o, "routes"), 1), "mtu"));
		assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(o, "dns"), "nameservers"), 0)),
				    "10.96.0.10");
		json_decref(o);
		cni_result_fini(&r);
	}
	ipam_config_fini(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_legacy_form),
		cmocka_unit_test(test_multi_range_set),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_missing_ipam_and_bad_name),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_result_versions),
	};

	tu_sweep_stale();
	return cmocka_run_group_tests(tests, NULL, tu_teardown);
}
