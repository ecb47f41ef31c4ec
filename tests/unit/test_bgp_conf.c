/* weftd's `bgp` configuration (daemon/bgp_conf.c, through conf_parse): defaults, every field,
 * the normalised output `weftd -n` prints (golden, and parsing back to itself), and every kind of
 * bad value with a message naming the field (`bgp.peers[1].asn`) and quoting the value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/bgp_conf.h"
#include "daemon/conf.h"

static int parse(const char *bgp, struct conf *c, char *err, size_t errlen)
{
	char text[8192];

	snprintf(text, sizeof(text), "{\"bgp\": %s}", bgp);
	err[0] = '\0';
	return conf_parse(text, strlen(text), "node1", c, err, errlen);
}

static void refused(const char *bgp, const char *want)
{
	static struct conf c;
	char err[512];

	if (parse(bgp, &c, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", bgp);
	if (strcmp(err, want) != 0)
		fail_msg("%s\n  got  \"%s\"\n  want \"%s\"", bgp, err, want);
}

static struct conf *parsed(const char *bgp)
{
	static struct conf c;
	char err[512];

	if (parse(bgp, &c, err, sizeof(err)) < 0)
		fail_msg("refused: %s: %s", bgp, err);
	return &c;
}

/* The normalised `bgp` object of bgp as compact JSON; it must parse back to the same text. */
static void normalised_is(const char *bgp, const char *want)
{
	static struct conf c, again;
	char err[512], *s, *s2;
	json_t *j;

	if (parse(bgp, &c, err, sizeof(err)) < 0)
		fail_msg("refused: %s: %s", bgp, err);
	j = bgp_conf_to_json(&c.bgp);
	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(j);
	if (strcmp(s, want) != 0)
		fail_msg("normalised output of %s:\n%s\nwanted:\n%s", bgp, s, want);
	assert_int_equal(parse(s, &again, err, sizeof(err)), 0);
	j = bgp_conf_to_json(&again.bgp);
	s2 = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(j);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
}

static void test_off(void **state)
{
	struct conf c;
	char err[256], *s;

	(void)state;
	assert_int_equal(conf_parse("{}", 2, "node1", &c, err, sizeof(err)), 0);
	assert_false(c.bgp.enabled);
	assert_false(parsed("null")->bgp.enabled);
	/* Without bgp, `weftd -n` prints no bgp key at all (configs without it read as before). */
	s = conf_dump(&c);
	assert_null(strstr(s, "bgp"));
	free(s);
}

static void test_defaults(void **state)
{
	const struct conf *c;
	const struct bgp_peer_conf *p;

	(void)state;
	c = parsed("{\"asn\": 64512, \"routerId\": \"10.0.0.1\", \"peers\": [{\"address\": \"10.0.0.2\", \"asn\": 64512}]}");
	assert_true(c->bgp.enabled);
	assert_int_equal(c->bgp.asn, 64512);
	assert_int_equal(c->bgp.router_id, 0x0a000001);
	assert_int_equal(c->bgp.hold_time, 90);
	assert_int_equal(c->bgp.keepalive, 0);
	assert_int_equal(c->bgp.connect_retry, 120);
	assert_true(c->bgp.gr);
	assert_int_equal(c->bgp.gr_time, 120);
	assert_int_equal(c->bgp.listen_port, 179);
	assert_int_equal(c->bgp.n_listen, 1); /* the IPv4 wildcard: the only peer is IPv4 */
	assert_int_equal(c->bgp.listen[0].family, AF_INET);
	assert_int_equal(c->bgp.cluster_id, 0);
	assert_int_equal(c->bgp.n_peers, 1);
	p = &c->bgp.peers[0];
	assert_int_equal(p->port, 179);
	assert_int_equal(p->hold_time, 90);
	assert_int_equal(p->connect_retry, 120);
	assert_int_equal(p->afs, BGP_AF_ALL);
	assert_false(p->passive);
	assert_false(p->accept_all);
	assert_false(p->export_pod_cidrs);
	assert_true(p->enforce_first_as);
	assert_false(bgp_conf_peer_ebgp(&c->bgp, p));

	normalised_is("{\"asn\": 64512, \"routerId\": \"10.0.0.1\"}",
		      "{\"asn\":64512,\"routerId\":\"10.0.0.1\",\"listen\":{\"addresses\":[],\"port\":179},"
		      "\"holdTime\":90,\"keepalive\":0,\"connectRetry\":120,"
		      "\"gracefulRestart\":{\"enabled\":true,\"restartTime\":120},\"clusterId\":null,"
		      "\"announce\":null,\"peers\":[]}");
	/* Peers of both families: a wildcard listener for each. */
	c = parsed("{\"asn\": 64512, \"routerId\": \"10.0.0.1\", \"peers\": [{\"address\": \"2001:db8::2\", \"asn\": 65000},"
		   " {\"address\": \"10.0.0.3\", \"asn\": 64512}]}");
	assert_int_equal(c->bgp.n_listen, 2);
	assert_true(bgp_conf_peer_ebgp(&c->bgp, &c->bgp.peers[0]));
}

static void test_every_field(void **state)
{
	const char *full =
		"{\"asn\": 4200000001, \"routerId\": \"192.0.2.1\", \"listen\": {\"addresses\": [\"192.0.2.1\", \"::\"], \"port\": 1179},"
		" \"holdTime\": 9, \"keepalive\": 2, \"connectRetry\": 5,"
		" \"gracefulRestart\": {\"enabled\": false, \"restartTime\": 30}, \"clusterId\": \"1.1.1.1\","
		" \"announce\": [\"10.244.1.0/24\", \"fd00:10:244:1::/64\"],"
		" \"peers\": ["
		"  {\"address\": \"192.0.2.2\", \"asn\": 4200000001, \"port\": 1180, \"localAddress\": \"192.0.2.1\","
		"   \"passive\": true, \"md5Password\": \"s3cret\", \"ttlSecurity\": 1, \"holdTime\": 30, \"keepalive\": 10,"
		"   \"connectRetry\": 7, \"families\": [\"ipv6\"], \"routeReflectorClient\": true},"
		"  {\"address\": \"2001:db8::9\", \"asn\": 65000, \"acceptAll\": true, \"exportPodCIDRs\": true,"
		"   \"enforceFirstAs\": false, \"holdTime\": 0}]}";
	const struct conf *c;

	(void)state;
	normalised_is(full,
		      "{\"asn\":4200000001,\"routerId\":\"192.0.2.1\",\"listen\":{\"addresses\":[\"192.0.2.1\",\"::\"],\"port\":1179},"
		      "\"holdTime\":9,\"keepalive\":2,\"connectRetry\":5,"
		      "\"gracefulRestart\":{\"enabled\":false,\"restartTime\":30},\"clusterId\":\"1.1.1.1\","
		      "\"announce\":[\"10.244.1.0/24\",\"fd00:10:244:1::/64\"],\"peers\":["
		      "{\"address\":\"192.0.2.2\",\"asn\":4200000001,\"port\":1180,\"localAddress\":\"192.0.2.1\","
		      "\"passive\":true,\"md5Password\":\"s3cret\",\"ttlSecurity\":1,\"holdTime\":30,\"keepalive\":10,"
		      "\"connectRetry\":7,\"families\":[\"ipv6\"],\"routeReflectorClient\":true,\"acceptAll\":false,"
		      "\"exportPodCIDRs\":false,\"enforceFirstAs\":true},"
		      "{\"address\":\"2001:db8::9\",\"asn\":65000,\"port\":179,\"localAddress\":null,\"passive\":false,"
		      "\"md5Password\":null,\"ttlSecurity\":0,\"holdTime\":0,\"keepalive\":2,\"connectRetry\":5,"
		      "\"families\":[\"ipv4\",\"ipv6\"],\"routeReflectorClient\":false,\"acceptAll\":true,"
		      "\"exportPodCIDRs\":true,\"enforceFirstAs\":false}]}");
	c = parsed(full);
	assert_int_equal(c->bgp.peers[0].afs, BGP_AF_BIT(BGP_AF_IPV6));
	assert_string_equal(c->bgp.peers[0].md5_password, "s3cret");
	assert_int_equal(c->bgp.peers[0].ttl_security, 1);
	assert_int_equal(c->bgp.cluster_id, 0x01010101);
	/* The peers' timers default to the global ones. */
	assert_int_equal(c->bgp.peers[1].keepalive, 2);
	assert_int_equal(c->bgp.peers[1].connect_retry, 5);
	assert_int_equal(c->bgp.n_announce, 2);
	/* A route reflector without clusterId uses its router id (RFC 4456 §7). */
	c = parsed("{\"asn\": 64512, \"routerId\": \"10.0.0.1\", \"peers\": [{\"address\": \"10.0.0.2\", \"asn\": 64512,"
		   " \"routeReflectorClient\": true}]}");
	assert_int_equal(c->bgp.cluster_id, 0x0a000001);
}

static void test_router_id(void **state)
{
	struct bgp_conf b;
	struct inet_addr a;
	char err[256];

	(void)state;
	refused("{\"asn\": 64512}", "bgp.routerId is not set and the node has no IPv4 address to take it from");
	memset(&b, 0, sizeof(b));
	b.enabled = true;
	assert_true(inet_addr_parse("192.0.2.7", &a));
	assert_int_equal(bgp_conf_finish(&b, &a, err, sizeof(err)), 0);
	assert_int_equal(b.router_id, 0xc0000207);
	/* A configured one is kept. */
	b.router_id = 5;
	assert_int_equal(bgp_conf_finish(&b, &a, err, sizeof(err)), 0);
	assert_int_equal(b.router_id, 5);
	memset(&b, 0, sizeof(b));
	b.enabled = true;
	assert_true(inet_addr_parse("2001:db8::1", &a));
	assert_int_equal(bgp_conf_finish(&b, &a, err, sizeof(err)), -1);
	/* Off: nothing to check. */
	b.enabled = false;
	assert_int_equal(bgp_conf_finish(&b, NULL, err, sizeof(err)), 0);
}

#define ID "\"routerId\": \"10.0.0.1\", "

static void test_refused_global(void **state)
{
	(void)state;
	refused("5", "bgp must be an object {asn, peers, ...} or null, not 5");
	refused("{\"asn\": 1, " ID "\"peer\": []}", "bgp: unknown key \"peer\"");
	refused("{" ID "\"peers\": []}", "bgp.asn is missing");
	refused("{\"asn\": 0, " ID "\"peers\": []}", "bgp.asn 0 is not an AS number (1-4294967295, not 23456)");
	refused("{\"asn\": 23456, " ID "\"peers\": []}", "bgp.asn 23456 is not an AS number (1-4294967295, not 23456)");
	refused("{\"asn\": 4294967296, " ID "\"peers\": []}",
		"bgp.asn 4294967296 is not an AS number (1-4294967295, not 23456)");
	refused("{\"asn\": \"64512\", " ID "\"peers\": []}", "bgp.asn \"64512\" is not an AS number (1-4294967295, not 23456)");
	refused("{\"asn\": 1, \"routerId\": \"10.0.0\"}", "bgp.routerId \"10.0.0\" is not written as an IPv4 address (\"10.0.0.1\")");
	refused("{\"asn\": 1, \"routerId\": \"0.0.0.0\"}", "bgp.routerId \"0.0.0.0\" must not be zero (RFC 6286)");
	refused("{\"asn\": 1, " ID "\"clusterId\": 7}", "bgp.clusterId 7 is not written as an IPv4 address (\"10.0.0.1\")");
	refused("{\"asn\": 1, " ID "\"holdTime\": 2}", "bgp.holdTime 2 must be 0 or 3-65535 seconds (RFC 4271 §4.2)");
	refused("{\"asn\": 1, " ID "\"holdTime\": 70000}", "bgp.holdTime 70000 must be 0 or 3-65535 seconds");
	refused("{\"asn\": 1, " ID "\"holdTime\": 9, \"keepalive\": 9}", "bgp.keepalive 9 must be shorter than the hold time 9");
	refused("{\"asn\": 1, " ID "\"keepalive\": -1}",
		"bgp.keepalive -1 must be 0 (a third of the hold time) or 1-65535 seconds");
	refused("{\"asn\": 1, " ID "\"connectRetry\": 0}", "bgp.connectRetry 0 must be 1-65535 seconds");
	refused("{\"asn\": 1, " ID "\"listen\": 179}", "bgp.listen must be an object {addresses, port}, not 179");
	refused("{\"asn\": 1, " ID "\"listen\": {\"ports\": 1}}", "bgp.listen: unknown key \"ports\"");
	refused("{\"asn\": 1, " ID "\"listen\": {\"port\": 0}}", "bgp.listen.port 0 must be a port number (1-65535)");
	refused("{\"asn\": 1, " ID "\"listen\": {\"addresses\": \"::\"}}",
		"bgp.listen.addresses must be a list of addresses, not \"::\"");
	refused("{\"asn\": 1, " ID "\"listen\": {\"addresses\": [\"10.0.0.1\", \"10.0.0.1/32\"]}}",
		"bgp.listen.addresses[1] \"10.0.0.1/32\" is not an IPv4 or IPv6 address");
	refused("{\"asn\": 1, " ID "\"listen\": {\"addresses\": [\"10.0.0.1\", \"10.0.0.1\"]}}",
		"bgp.listen.addresses[1] \"10.0.0.1\" is listed twice");
	refused("{\"asn\": 1, " ID "\"listen\": {\"addresses\": [\"10.0.0.1\", \"0.0.0.0\"]}}",
		"bgp.listen.addresses[1] \"0.0.0.0\": the wildcard address of a family cannot be combined with other "
		"addresses of that family");
	refused("{\"asn\": 1, " ID "\"gracefulRestart\": true}",
		"bgp.gracefulRestart must be an object {enabled, restartTime}, not true");
	refused("{\"asn\": 1, " ID "\"gracefulRestart\": {\"enabled\": 1}}",
		"bgp.gracefulRestart.enabled must be true or false, not 1");
	refused("{\"asn\": 1, " ID "\"gracefulRestart\": {\"restartTime\": 4096}}",
		"bgp.gracefulRestart.restartTime 4096 must be 1-4095 seconds");
	refused("{\"asn\": 1, " ID "\"gracefulRestart\": {\"time\": 1}}", "bgp.gracefulRestart: unknown key \"time\"");
	refused("{\"asn\": 1, " ID "\"announce\": \"10.0.0.0/8\"}", "bgp.announce must be a list of prefixes, not \"10.0.0.0/8\"");
	refused("{\"asn\": 1, " ID "\"announce\": [\"10.0.0.0/8\", \"10.1.0.0/33\"]}",
		"bgp.announce[1] \"10.1.0.0/33\" is not a prefix such as \"10.244.1.0/24\"");
	refused("{\"asn\": 1, " ID "\"announce\": [\"10.1.0.1/24\"]}", "bgp.announce[0] \"10.1.0.1/24\" has host bits set");
	refused("{\"asn\": 1, " ID "\"announce\": [\"10.1.0.0/24\", \"10.1.0.0/24\"]}",
		"bgp.announce[1] \"10.1.0.0/24\" is listed twice");
	refused("{\"asn\": 1, " ID "\"peers\": {}}", "bgp.peers must be a list of peers, not an object");
}

#define P(x) "{\"asn\": 64512, \"routerId\": \"10.0.0.1\", \"peers\": [{\"address\": \"10.0.0.9\", \"asn\": 1}, " x "]}"

static void test_refused_peer(void **state)
{
	(void)state;
	refused(P("7"), "bgp.peers[1] must be an object {address, asn, ...}, not 7");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"md5\": \"x\"}"), "bgp.peers[1]: unknown key \"md5\"");
	refused(P("{\"asn\": 1}"), "bgp.peers[1].address is missing");
	refused(P("{\"address\": \"10.0.0.300\", \"asn\": 1}"), "bgp.peers[1].address \"10.0.0.300\" is not an IPv4 or IPv6 address");
	refused(P("{\"address\": \"0.0.0.0\", \"asn\": 1}"), "bgp.peers[1].address \"0.0.0.0\" is the unspecified address");
	refused(P("{\"address\": \"224.0.0.5\", \"asn\": 1}"), "bgp.peers[1].address \"224.0.0.5\" is not a unicast address");
	refused(P("{\"address\": \"ff02::5\", \"asn\": 1}"), "bgp.peers[1].address \"ff02::5\" is not a unicast address");
	refused(P("{\"address\": \"fe80::1\", \"asn\": 1}"),
		"bgp.peers[1].address \"fe80::1\" is link-local: give the peer's global address");
	refused(P("{\"address\": \"::ffff:10.0.0.2\", \"asn\": 1}"),
		"bgp.peers[1].address \"::ffff:10.0.0.2\" is IPv4-mapped: write it as an IPv4 address");
	refused(P("{\"address\": \"10.0.0.9\", \"asn\": 1}"), "bgp.peers[1].address \"10.0.0.9\" is also bgp.peers[0]");
	refused(P("{\"address\": \"10.0.0.2\"}"), "bgp.peers[1].asn is missing");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": -5}"),
		"bgp.peers[1].asn -5 is not an AS number (1-4294967295, not 23456)");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"port\": 65536}"),
		"bgp.peers[1].port 65536 must be a port number (1-65535)");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"localAddress\": \"::1\"}"),
		"bgp.peers[1].localAddress \"::1\" is not of the family of the peer's address");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"passive\": \"yes\"}"),
		"bgp.peers[1].passive must be true or false, not \"yes\"");
	/* The password is a secret: never quoted back. */
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"md5Password\": \"\"}"),
		"bgp.peers[1].md5Password must be a string of 1-80 bytes");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"md5Password\": \"a\\tb\"}"),
		"bgp.peers[1].md5Password contains control characters");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"md5Password\": "
		  "\"123456789012345678901234567890123456789012345678901234567890123456789012345678901\"}"),
		"bgp.peers[1].md5Password must be a string of 1-80 bytes");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"ttlSecurity\": 255}"),
		"bgp.peers[1].ttlSecurity 255 must be 0 (off) or the peer's greatest distance in hops, 1-254");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"holdTime\": 1}"),
		"bgp.peers[1].holdTime 1 must be 0 or 3-65535 seconds (RFC 4271 §4.2)");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"holdTime\": 30, \"keepalive\": 31}"),
		"bgp.peers[1].keepalive 31 must be shorter than the hold time 30");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"connectRetry\": 1.5}"),
		"bgp.peers[1].connectRetry 1.5 must be 1-65535 seconds");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"families\": []}"),
		"bgp.peers[1].families must be a non-empty list of \"ipv4\", \"ipv6\", not a list");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"families\": [\"ipv4\", \"evpn\"]}"),
		"bgp.peers[1].families[1] \"evpn\" is not \"ipv4\" or \"ipv6\"");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"families\": [\"ipv4\", \"ipv4\"]}"),
		"bgp.peers[1].families[1] \"ipv4\" is listed twice");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"routeReflectorClient\": true}"),
		"bgp.peers[1].routeReflectorClient true applies to internal peers only: asn 1 is not ours (64512)");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 64512, \"acceptAll\": true}"),
		"bgp.peers[1].acceptAll true applies to eBGP peers only: asn 64512 is ours");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 64512, \"exportPodCIDRs\": true}"),
		"bgp.peers[1].exportPodCIDRs true applies to eBGP peers only: asn 64512 is ours");
	refused(P("{\"address\": \"10.0.0.2\", \"asn\": 1, \"enforceFirstAs\": null, \"acceptAll\": 0}"),
		"bgp.peers[1].acceptAll must be true or false, not 0");
	/* Passive peers need somewhere to be accepted. */
	refused("{\"asn\": 64512, " ID "\"listen\": {\"addresses\": [\"10.0.0.1\"]}, \"peers\": [{\"address\": \"2001:db8::2\", "
		"\"asn\": 1, \"passive\": true}]}",
		"bgp.peers[0].passive is true but bgp.listen.addresses has no IPv6 address to accept its connection on");
	refused("{\"asn\": 64512, " ID "\"listen\": {\"addresses\": []}, \"peers\": [{\"address\": \"10.0.0.2\", "
		"\"asn\": 1, \"passive\": true}]}",
		"bgp.peers[0].passive is true but bgp.listen.addresses has no IPv4 address to accept its connection on");
}

static void test_limits(void **state)
{
	char *text = malloc(64 * 1024), err[256];
	static struct conf c;
	size_t off;

	(void)state;
	/* The most peers there is room for, then one more. */
	for (int n = BGP_CONF_PEERS_MAX; n <= BGP_CONF_PEERS_MAX + 1; n++) {
		off = (size_t)snprintf(text, 64 * 1024, "{\"bgp\": {\"asn\": 64512, " ID "\"peers\": [");
		for (int i = 0; i < n; i++)
			off += (size_t)snprintf(text + off, 64 * 1024 - off, "%s{\"address\": \"10.1.%d.%d\", \"asn\": 64512}",
						i ? ", " : "", i / 250, i % 250 + 1);
		snprintf(text + off, 64 * 1024 - off, "]}}");
		if (n == BGP_CONF_PEERS_MAX) {
			assert_int_equal(conf_parse(text, strlen(text), "node1", &c, err, sizeof(err)), 0);
			assert_int_equal(c.bgp.n_peers, BGP_CONF_PEERS_MAX);
		} else {
			assert_int_equal(conf_parse(text, strlen(text), "node1", &c, err, sizeof(err)), -1);
			assert_string_equal(err, "bgp.peers has 257 peers, at most 256 (use route reflectors)");
		}
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_router_id),
		cmocka_unit_test(test_refused_global),
		cmocka_unit_test(test_refused_peer),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
