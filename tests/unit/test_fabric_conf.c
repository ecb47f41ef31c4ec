/* weftd's fabric keys (daemon/fabric_conf.c, through conf_parse): defaults, every field, the
 * normalised output `weftd -n` prints (golden, and parsing back to itself), and every kind of bad
 * value with a message naming the field and quoting the value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf.h"

static int parse(const char *text, struct conf *c, char *err, size_t errlen)
{
	err[0] = '\0';
	return conf_parse(text, strlen(text), "node1", c, err, errlen);
}

static void refused(const char *text, const char *want)
{
	static struct conf c;
	char err[512];

	if (parse(text, &c, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", text);
	if (strcmp(err, want) != 0)
		fail_msg("%s\n  got  \"%s\"\n  want \"%s\"", text, err, want);
}

static struct conf *parsed(const char *text)
{
	static struct conf c;
	char err[512];

	if (parse(text, &c, err, sizeof(err)) < 0)
		fail_msg("refused: %s: %s", text, err);
	return &c;
}

/* The fabric's part of the normalised output (from "nodeAddress" on), compact; the whole
 * output must parse back to the same text. */
static void normalised_is(const char *text, const char *want)
{
	static struct conf c, again;
	char err[512], *s, *s2;
	json_t *j, *part;
	const char *key;
	json_t *v;
	bool in = false;

	if (parse(text, &c, err, sizeof(err)) < 0)
		fail_msg("refused: %s: %s", text, err);
	s = conf_dump(&c);
	assert_non_null(s);
	assert_int_equal(parse(s, &again, err, sizeof(err)), 0);
	s2 = conf_dump(&again);
	assert_string_equal(s, s2);
	j = conf_to_json(&c);
	part = json_object();
	json_object_foreach(j, key, v) {
		in |= strcmp(key, "nodeAddress") == 0 || strcmp(key, "clusterCIDRs") == 0;
		if (in && strcmp(key, "bgp") != 0)
			json_object_set(part, key, v);
	}
	free(s2);
	s2 = json_dumps(part, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (strcmp(s2, want) != 0)
		fail_msg("normalised fabric keys of %s:\n%s\nwanted:\n%s", text, s2, want);
	free(s);
	free(s2);
	json_decref(part);
	json_decref(j);
}

static void test_off_by_default(void **state)
{
	struct conf *c;
	char *s;

	(void)state;
	c = parsed("{}");
	assert_int_equal(c->fabric.node_address.family, 0);
	assert_false(c->fabric.masquerade);
	assert_int_equal(c->fabric.mode, FABRIC_MODE_OVERLAY);
	assert_int_equal(c->fabric.vxlan_port, 8472);
	assert_string_equal(c->fabric.vxlan_device, "weft.vxlan");
	/* Without a fabric, the output is what it was before the fabric existed. */
	s = conf_dump(c);
	assert_null(strstr(s, "nodeAddress"));
	assert_null(strstr(s, "fabric"));
	free(s);
	/* null is the same as absent */
	c = parsed("{\"nodeAddress\":null,\"podCIDRs\":null,\"clusterCIDRs\":null,\"masquerade\":null,"
		   "\"fabric\":null,\"staticRoutes\":null}");
	assert_int_equal(c->fabric.node_address.family, 0);
}

static void test_every_field(void **state)
{
	const char *full = "{\"nodeAddress\":\"192.168.50.1\",\"podCIDRs\":[\"10.244.1.0/24\",\"fd00:10:244:1::/64\"],"
			   "\"clusterCIDRs\":[\"10.244.0.0/16\",\"fd00:10:244::/48\",\"10.96.0.0/12\"],"
			   "\"masquerade\":true,\"fabric\":{\"mode\":\"native\",\"vxlanPort\":4789,"
			   "\"vxlanDevice\":\"vx0\",\"underlayDevice\":\"eth1\"},"
			   "\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\",\"nexthop\":\"192.168.50.2\"},"
			   "{\"nexthop\":\"fd50::2\",\"prefix\":\"fd00:10:244:2::/64\"}]}";
	struct conf *c;

	(void)state;
	normalised_is(full, "{\"nodeAddress\":\"192.168.50.1\",\"nodeAddress6\":null,\"podCIDRs\":[\"10.244.1.0/24\",\"fd00:10:244:1::/64\"],"
			    "\"clusterCIDRs\":[\"10.244.0.0/16\",\"fd00:10:244::/48\",\"10.96.0.0/12\"],"
			    "\"masquerade\":true,\"fabric\":{\"mode\":\"native\",\"vxlanPort\":4789,"
			    "\"vxlanDevice\":\"vx0\",\"underlayDevice\":\"eth1\"},"
			    "\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\",\"nexthop\":\"192.168.50.2\"},"
			    "{\"prefix\":\"fd00:10:244:2::/64\",\"nexthop\":\"fd50::2\"}]}");
	c = parsed(full);
	assert_int_equal(c->fabric.mode, FABRIC_MODE_NATIVE);
	assert_int_equal(c->fabric.n_pod_cidrs, 2);
	assert_int_equal(c->fabric.n_cluster_cidrs, 3);
	assert_int_equal(c->fabric.n_static, 2);
	assert_int_equal(c->fabric.vxlan_port, 4789);
	/* The defaults, and the masquerade that follows from pod and cluster CIDRs. */
	normalised_is("{\"nodeAddress\":\"fd50::1\",\"podCIDRs\":[\"10.244.1.0/24\"],\"clusterCIDRs\":[\"10.244.0.0/16\"]}",
		      "{\"nodeAddress\":\"fd50::1\",\"nodeAddress6\":null,\"podCIDRs\":[\"10.244.1.0/24\"],\"clusterCIDRs\":[\"10.244.0.0/16\"],"
		      "\"masquerade\":true,\"fabric\":{\"mode\":\"overlay\",\"vxlanPort\":8472,"
		      "\"vxlanDevice\":\"weft.vxlan\",\"underlayDevice\":null},\"staticRoutes\":[]}");
	normalised_is("{\"nodeAddress\":\"192.168.50.1\",\"masquerade\":false}",
		      "{\"nodeAddress\":\"192.168.50.1\",\"nodeAddress6\":null,\"podCIDRs\":[],\"clusterCIDRs\":[],\"masquerade\":false,"
		      "\"fabric\":{\"mode\":\"overlay\",\"vxlanPort\":8472,\"vxlanDevice\":\"weft.vxlan\","
		      "\"underlayDevice\":null},\"staticRoutes\":[]}");
	/* An IPv6 prefix over an IPv4 next hop: fine in overlay mode. */
	c = parsed("{\"nodeAddress\":\"192.168.50.1\",\"staticRoutes\":[{\"prefix\":\"fd00:10:244:2::/64\","
		   "\"nexthop\":\"192.168.50.2\"}]}");
	assert_int_equal(c->fabric.n_static, 1);
	/* A dual-stack underlay: IPv6 pod CIDRs get the IPv6 address as their next hop. */
	c = parsed("{\"nodeAddress\":\"192.168.50.1\",\"nodeAddress6\":\"fd50::1\",\"podCIDRs\":[\"fd00:10:244:1::/64\"]}");
	assert_int_equal(c->fabric.node_address.family, AF_INET);
	assert_int_equal(c->fabric.node_address6.family, AF_INET6);
	assert_true(fabric_conf_nexthop(&c->fabric, AF_INET6) == &c->fabric.node_address6);
	assert_true(fabric_conf_nexthop(&c->fabric, AF_INET) == &c->fabric.node_address);
	assert_true(fabric_conf_is_node(&c->fabric, &c->fabric.node_address6));
	normalised_is("{\"nodeAddress\":\"192.168.50.1\",\"nodeAddress6\":\"fd50::1\"}",
		      "{\"nodeAddress\":\"192.168.50.1\",\"nodeAddress6\":\"fd50::1\",\"podCIDRs\":[],\"clusterCIDRs\":[],"
		      "\"masquerade\":false,\"fabric\":{\"mode\":\"overlay\",\"vxlanPort\":8472,"
		      "\"vxlanDevice\":\"weft.vxlan\",\"underlayDevice\":null},\"staticRoutes\":[]}");
}

static void test_bad_addresses(void **state)
{
	(void)state;
	refused("{\"nodeAddress\":\"192.168.50\"}", "nodeAddress \"192.168.50\" is not an IPv4 or IPv6 address");
	refused("{\"nodeAddress\":5}", "nodeAddress 5 is not an IPv4 or IPv6 address");
	refused("{\"nodeAddress\":\"127.0.0.1\"}", "nodeAddress \"127.0.0.1\" is not a unicast address another node can reach");
	refused("{\"nodeAddress\":\"fe80::1\"}", "nodeAddress \"fe80::1\" is not a unicast address another node can reach");
	refused("{\"nodeAddress\":\"ff02::1\"}", "nodeAddress \"ff02::1\" is not a unicast address another node can reach");
	refused("{\"nodeAddress\":\"0.0.0.0\"}", "nodeAddress \"0.0.0.0\" is not a unicast address another node can reach");
	refused("{\"nodeAddress\":\"192.168.50.1\",\"nodeAddress6\":\"192.168.50.2\"}",
		"nodeAddress6 \"192.168.50.2\" is not an IPv6 address");
	refused("{\"nodeAddress\":\"fd50::1\",\"nodeAddress6\":\"fd50::2\"}",
		"nodeAddress6 \"fd50::2\" goes with an IPv4 nodeAddress (the IPv6 address beside it)");
	refused("{\"nodeAddress6\":\"fd50::2\"}",
		"nodeAddress6 \"fd50::2\" goes with an IPv4 nodeAddress (the IPv6 address beside it)");
	refused("{\"nodeAddress\":\"192.168.50.1\",\"nodeAddress6\":\"fd50::1\",\"staticRoutes\":[{\"prefix\":"
		"\"fd00:10:244:2::/64\",\"nexthop\":\"fd50::1\"}]}",
		"staticRoutes[0].nexthop \"fd50::1\" is this node's own address");
	refused("{\"podCIDRs\":[\"10.244.1.0/24\"]}", "nodeAddress is required with podCIDRs (the next hop other nodes use)");
	refused("{\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\",\"nexthop\":\"192.168.50.2\"}]}",
		"nodeAddress is required with staticRoutes (the next hop other nodes use)");
}

static void test_bad_cidrs(void **state)
{
	(void)state;
	refused("{\"nodeAddress\":\"192.168.50.1\",\"podCIDRs\":\"10.244.1.0/24\"}",
		"podCIDRs must be a list of CIDRs, not \"10.244.1.0/24\"");
	refused("{\"nodeAddress\":\"192.168.50.1\",\"podCIDRs\":[\"10.244.1.5/24\"]}",
		"podCIDRs[0] \"10.244.1.5/24\" has host bits set (the network is 10.244.1.0/24)");
	refused("{\"nodeAddress\":\"192.168.50.1\",\"podCIDRs\":[\"10.244.1.0/33\"]}",
		"podCIDRs[0] \"10.244.1.0/33\" is not a CIDR such as \"10.244.1.0/24\" or \"fd00:10:244:1::/64\"");
	refused("{\"nodeAddress\":\"192.168.50.1\",\"podCIDRs\":[\"10.244.0.0/16\",\"10.244.1.0/24\"]}",
		"podCIDRs[1] \"10.244.1.0/24\" overlaps podCIDRs[0]");
	refused("{\"nodeAddress\":\"192.168.50.1\",\"podCIDRs\":[\"10.244.1.0/31\"]}",
		"podCIDRs[0] \"10.244.1.0/31\" leaves no room for pods");
	refused("{\"nodeAddress\":\"192.168.50.1\",\"podCIDRs\":[\"10.244.1.0/24\"],\"clusterCIDRs\":[\"10.245.0.0/16\"]}",
		"podCIDRs[0] \"10.244.1.0/24\" is inside none of clusterCIDRs");
	refused("{\"clusterCIDRs\":[\"10.0.0.0/8\",\"10.244.0.0/16\"]}", "clusterCIDRs[1] \"10.244.0.0/16\" overlaps clusterCIDRs[0]");
	refused("{\"clusterCIDRs\":[1]}",
		"clusterCIDRs[0] 1 is not a CIDR such as \"10.244.1.0/24\" or \"fd00:10:244:1::/64\"");
	refused("{\"masquerade\":\"yes\"}", "masquerade must be true or false, not \"yes\"");
	refused("{\"masquerade\":true}", "masquerade true needs podCIDRs and clusterCIDRs (what stays unmasqueraded)");
}

static void test_bad_fabric(void **state)
{
	(void)state;
	refused("{\"fabric\":[]}", "fabric must be an object {mode, vxlanPort, vxlanDevice, underlayDevice}, not a list");
	refused("{\"fabric\":{\"mtu\":1}}", "fabric: unknown key \"mtu\"");
	refused("{\"fabric\":{\"mode\":\"ipip\"}}", "fabric.mode \"ipip\" is not one of overlay, native");
	refused("{\"fabric\":{\"vxlanPort\":0}}", "fabric.vxlanPort 0 must be an integer from 1 to 65535");
	refused("{\"fabric\":{\"vxlanPort\":\"8472\"}}", "fabric.vxlanPort \"8472\" must be an integer from 1 to 65535");
	refused("{\"fabric\":{\"vxlanDevice\":\"a-name-much-too-long\"}}",
		"fabric.vxlanDevice \"a-name-much-too-long\" is not an interface name (1-15 characters, no '/', ':' or spaces)");
	refused("{\"fabric\":{\"underlayDevice\":\"eth/0\"}}",
		"fabric.underlayDevice \"eth/0\" is not an interface name (1-15 characters, no '/', ':' or spaces)");
}

static void test_bad_static_routes(void **state)
{
	(void)state;
#define N "{\"nodeAddress\":\"192.168.50.1\",\"podCIDRs\":[\"10.244.1.0/24\"],"
	refused(N "\"staticRoutes\":{}}", "staticRoutes must be a list of {prefix, nexthop}, not an object");
	refused(N "\"staticRoutes\":[\"10.244.2.0/24\"]}",
		"staticRoutes[0] must be an object {prefix, nexthop}, not \"10.244.2.0/24\"");
	refused(N "\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\"}]}", "staticRoutes[0].nexthop is missing");
	refused(N "\"staticRoutes\":[{\"nexthop\":\"192.168.50.2\"}]}", "staticRoutes[0].prefix is missing");
	refused(N "\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\",\"nexthop\":\"192.168.50.2\",\"via\":1}]}",
		"staticRoutes[0]: unknown key \"via\"");
	refused(N "\"staticRoutes\":[{\"prefix\":\"10.244.2.1/24\",\"nexthop\":\"192.168.50.2\"}]}",
		"staticRoutes[0].prefix \"10.244.2.1/24\" has host bits set (the network is 10.244.2.0/24)");
	refused(N "\"staticRoutes\":[{\"prefix\":\"10.244.0.0/16\",\"nexthop\":\"192.168.50.2\"}]}",
		"staticRoutes[0].prefix \"10.244.0.0/16\" overlaps podCIDRs[0], this node's own");
	refused(N "\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\",\"nexthop\":\"192.168.50.1\"}]}",
		"staticRoutes[0].nexthop \"192.168.50.1\" is this node's own address");
	refused(N "\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\",\"nexthop\":\"224.0.0.1\"}]}",
		"staticRoutes[0].nexthop \"224.0.0.1\" is not a unicast address another node can reach");
	refused(N "\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\",\"nexthop\":\"192.168.50.2\"},"
		  "{\"prefix\":\"10.244.2.0/24\",\"nexthop\":\"192.168.50.3\"}]}",
		"staticRoutes[1].prefix \"10.244.2.0/24\" is also staticRoutes[0].prefix");
	refused(N "\"fabric\":{\"mode\":\"native\"},\"staticRoutes\":[{\"prefix\":\"fd00:10:244:2::/64\","
		  "\"nexthop\":\"192.168.50.2\"}]}",
		"staticRoutes[0].nexthop \"192.168.50.2\": native mode needs an IPv6 next hop for an IPv6 prefix");
#undef N
}

static void test_static_equal(void **state)
{
	static struct conf a, b;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"nodeAddress\":\"192.168.50.1\",\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\","
			       "\"nexthop\":\"192.168.50.2\"}]}", &a, err, sizeof(err)), 0);
	assert_int_equal(parse("{\"nodeAddress\":\"192.168.50.1\",\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\","
			       "\"nexthop\":\"192.168.50.2\"}]}", &b, err, sizeof(err)), 0);
	assert_true(fabric_conf_static_equal(&a.fabric, &b.fabric));
	assert_int_equal(parse("{\"nodeAddress\":\"192.168.50.1\",\"staticRoutes\":[{\"prefix\":\"10.244.2.0/24\","
			       "\"nexthop\":\"192.168.50.3\"}]}", &b, err, sizeof(err)), 0);
	assert_false(fabric_conf_static_equal(&a.fabric, &b.fabric));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_bad_cidrs),
		cmocka_unit_test(test_bad_fabric),
		cmocka_unit_test(test_bad_static_routes),
		cmocka_unit_test(test_static_equal),
	};
	return cmocka_run_group_tests_name("fabric_conf", tests, NULL, NULL);
}
