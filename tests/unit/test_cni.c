/* Unit tests for lib/cni: environment validation, CNI_ARGS, network config, results per
 * version, and the error JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

/* ---- a fake environment ------------------------------------------------------------------- */

static const char *fake_env[16][2];

static void env_reset(void)
{
	memset(fake_env, 0, sizeof(fake_env));
}

static void env_put(const char *k, const char *v)
{
	for (int i = 0; i < 16; i++) {
		if (!fake_env[i][0] || strcmp(fake_env[i][0], k) == 0) {
			fake_env[i][0] = k;
			fake_env[i][1] = v;
			return;
		}
	}
	fail();
}

static const char *fake_getenv(const char *k)
{
	for (int i = 0; i < 16 && fake_env[i][0]; i++)
		if (strcmp(fake_env[i][0], k) == 0)
			return fake_env[i][1];
	return NULL;
}

static void env_full(const char *cmd)
{
	env_reset();
	env_put("CNI_COMMAND", cmd);
	env_put("CNI_CONTAINERID", "abc123");
	env_put("CNI_NETNS", "/var/run/netns/pod1");
	env_put("CNI_IFNAME", "eth0");
	env_put("CNI_PATH", "/opt/cni/bin");
	env_put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=web-0");
}

static void expect_env_error(unsigned code, const char *needle)
{
	struct cni_env env;
	struct cni_error e = { 0 };

	assert_int_equal(cni_env_load(&env, fake_getenv, &e), -1);
	assert_int_equal(e.code, code);
	if (!strstr(e.msg, needle))
		fail_msg("error '%s' does not mention '%s'", e.msg, needle);
}

static void env_valid_add(void **state)
{
	struct cni_env env;
	struct cni_error e = { 0 };

	env_full("ADD");
	assert_int_equal(cni_env_load(&env, fake_getenv, &e), 0);
	assert_int_equal(env.cmd, CNI_CMD_ADD);
	assert_string_equal(env.containerid, "abc123");
	assert_string_equal(env.netns, "/var/run/netns/pod1");
	assert_string_equal(env.ifname, "eth0");
	assert_string_equal(env.path, "/opt/cni/bin");
}

static void env_each_missing_variable_is_named(void **state)
{
	static const char *const required[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH" };

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		env_full("ADD");
		env_put(required[i], "");
		expect_env_error(CNI_ERR_ENV, required[i]);
	}
}

static void env_bad_values(void **state)
{
	env_full("BOGUS");
	expect_env_error(CNI_ERR_ENV, "CNI_COMMAND");
	env_full("ADD");
	env_put("CNI_CONTAINERID", "../etc");
	expect_env_error(CNI_ERR_ENV, "CNI_CONTAINERID");
	env_full("ADD");
	env_put("CNI_CONTAINERID", "-leadingdash");
	expect_env_error(CNI_ERR_ENV, "CNI_CONTAINERID");
	env_full("ADD");
	env_put("CNI_IFNAME", "a/b");
	expect_env_error(CNI_ERR_ENV, "CNI_IFNAME");
	env_full("ADD");
	env_put("CNI_IFNAME", "sixteen-chars-xx");
	expect_env_error(CNI_ERR_ENV, "CNI_IFNAME");
	env_full("ADD");
	env_put("CNI_IFNAME", "..");
	expect_env_error(CNI_ERR_ENV, "CNI_IFNAME");
	env_full("ADD");
	env_put("CNI_NETNS", "relative/path");
	expect_env_error(CNI_ERR_ENV, "CNI_NETNS");
	env_full("ADD");
	env_put("CNI_ARGS", "K8S_POD_NAME=x;garbage");
	expect_env_error(CNI_ERR_ENV, "CNI_ARGS");
	env_full("ADD");
	env_put("CNI_ARGS", "=value");
	expect_env_error(CNI_ERR_ENV, "CNI_ARGS");
}

static void env_del_without_netns(void **state)
{
	struct cni_env env;
	struct cni_error e = { 0 };

	env_full("DEL");
	env_put("CNI_NETNS", "");
	assert_int_equal(cni_env_load(&env, fake_getenv, &e), 0);
	assert_null(env.netns);
	env_full("CHECK");
	env_put("CNI_NETNS", "");
	expect_env_error(CNI_ERR_ENV, "CNI_NETNS");
}

static void env_version_ignores_dummies(void **state)
{
	struct cni_env env;
	struct cni_error e = { 0 };

	/* podman: VERSION with every other variable set to "dummy". */
	env_reset();
	env_put("CNI_COMMAND", "VERSION");
	env_put("CNI_NETNS", "dummy");
	env_put("CNI_IFNAME", "dummy");
	env_put("CNI_PATH", "dummy");
	assert_int_equal(cni_env_load(&env, fake_getenv, &e), 0);
	assert_int_equal(env.cmd, CNI_CMD_VERSION);
}

static void env_gc_status_need_only_path(void **state)
{
	struct cni_env env;
	struct cni_error e = { 0 };

	env_reset();
	env_put("CNI_COMMAND", "GC");
	env_put("CNI_PATH", "/opt/cni/bin");
	assert_int_equal(cni_env_load(&env, fake_getenv, &e), 0);
	env_put("CNI_COMMAND", "STATUS");
	assert_int_equal(cni_env_load(&env, fake_getenv, &e), 0);
	env_put("CNI_PATH", "");
	expect_env_error(CNI_ERR_ENV, "CNI_PATH");
}

static void identifiers(void **state)
{
	char longid[300];

	assert_true(cni_containerid_valid("default-0123abcd"));
	assert_true(cni_containerid_valid("a_b.c-d"));
	assert_false(cni_containerid_valid(""));
	assert_false(cni_containerid_valid("_x"));
	assert_false(cni_containerid_valid("a b"));
	assert_false(cni_containerid_valid("a:b"));
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_false(cni_containerid_valid(longid));
	assert_true(cni_ifname_valid("eth0"));
	assert_true(cni_ifname_valid("fifteen-chars-x"));
	assert_false(cni_ifname_valid("eth 0"));
	assert_false(cni_ifname_valid("eth:0"));
	assert_false(cni_ifname_valid("."));
	assert_true(cni_netname_valid("k8s-pod-network"));
	assert_false(cni_netname_valid("net/1"));
}

static void args_get(void **state)
{
	char v[32];

	assert_int_equal(cni_args_get("IgnoreUnknown=1;IP=10.0.0.5;K8S_POD_NAME=web", "IP", v, sizeof(v)), 1);
	assert_string_equal(v, "10.0.0.5");
	assert_int_equal(cni_args_get("IgnoreUnknown=1;IPX=1", "IP", v, sizeof(v)), 0);
	assert_int_equal(cni_args_get(NULL, "IP", v, sizeof(v)), 0);
	assert_int_equal(cni_args_get("IP=", "IP", v, sizeof(v)), 1);
	assert_string_equal(v, "");
	assert_int_equal(cni_args_get("IP=0123456789012345678901234567890123456789", "IP", v, sizeof(v)), -1);
	assert_int_equal(cni_args_get("junk;IP=1", "IP", v, sizeof(v)), -1);
	assert_int_equal(cni_args_validate("A=1;;B=2;", NULL), 0);
}

/* ---- network configuration ---------------------------------------------------------------- */

static void expect_conf_error(const char *json, unsigned code, const char *needle)
{
	struct cni_netconf c;
	struct cni_error e = { 0 };

	assert_int_equal(cni_netconf_parse(json, strlen(json), &c, &e), -1);
	if (e.code != code || !strstr(e.msg, needle))
		fail_msg("config %s: got code %u '%s', want %u mentioning '%s'", json, e.code, e.msg, code, needle);
	cni_netconf_fini(&c);
}

static void netconf_valid(void **state)
{
	const char *json = "{\"cniVersion\":\"0.4.0\",\"name\":\"net1\",\"type\":\"weft\",\"unknownKey\":[1],"
			   "\"ipam\":{\"type\":\"weft-ipam\"},\"prevResult\":{\"cniVersion\":\"0.4.0\"}}";
	struct cni_netconf c;
	struct cni_error e = { 0 };

	assert_int_equal(cni_netconf_parse(json, strlen(json), &c, &e), 0);
	assert_int_equal(c.version, CNI_V040);
	assert_string_equal(c.name, "net1");
	assert_string_equal(c.type, "weft");
	assert_non_null(c.ipam);
	assert_non_null(c.prev_result);
	assert_false(c.has_valid);
	cni_netconf_fini(&c);
}

static void netconf_versions_list(void **state)
{
	const char *json = "{\"cniVersions\":[\"0.2.0\",\"1.0.0\",\"9.9.9\",\"0.4.0\"],\"name\":\"n\",\"type\":\"weft\"}";
	struct cni_netconf c;
	struct cni_error e = { 0 };

	assert_int_equal(cni_netconf_parse(json, strlen(json), &c, &e), 0);
	assert_int_equal(c.version, CNI_V100);
	cni_netconf_fini(&c);
	expect_conf_error("{\"cniVersions\":[\"0.2.0\"],\"name\":\"n\",\"type\":\"t\"}", CNI_ERR_VERSION, "cniVersions");
}

static void netconf_errors(void **state)
{
	expect_conf_error("not json", CNI_ERR_DECODE, "not valid JSON");
	expect_conf_error("[1,2]", CNI_ERR_DECODE, "object");
	expect_conf_error("{\"name\":\"n\",\"type\":\"t\"}", CNI_ERR_CONFIG, "cniVersion");
	expect_conf_error("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"t\"}", CNI_ERR_VERSION, "0.2.0");
	expect_conf_error("{\"cniVersion\":1,\"name\":\"n\",\"type\":\"t\"}", CNI_ERR_CONFIG, "cniVersion");
	expect_conf_error("{\"cniVersion\":\"1.0.0\",\"type\":\"t\"}", CNI_ERR_CONFIG, "name");
	expect_conf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\",\"type\":\"t\"}", CNI_ERR_CONFIG, "name");
	expect_conf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", CNI_ERR_CONFIG, "type");
	expect_conf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"ipam\":3}", CNI_ERR_CONFIG, "ipam");
	expect_conf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"prevResult\":\"x\"}",
			  CNI_ERR_CONFIG, "prevResult");
	expect_conf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"name\":\"m\",\"type\":\"t\"}",
			  CNI_ERR_DECODE, "duplicate");
	expect_conf_error("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\","
			  "\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"a/b\"}]}",
			  CNI_ERR_CONFIG, "valid-attachments[0].ifname");
}

static void netconf_gc_attachments(void **state)
{
	const char *json = "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\",\"cni.dev/attachments\":"
			   "[{\"containerID\":\"c1\",\"ifname\":\"eth0\"},{\"containerID\":\"c2\",\"ifname\":\"net1\"}]}";
	struct cni_netconf c;
	struct cni_error e = { 0 };

	assert_int_equal(cni_netconf_parse(json, strlen(json), &c, &e), 0);
	assert_true(c.has_valid);
	assert_int_equal(c.n_valid, 2);
	assert_string_equal(c.valid[1].containerid, "c2");
	assert_string_equal(c.valid[1].ifname, "net1");
	cni_netconf_fini(&c);
}

static void json_getters(void **state)
{
	json_t *o = json_pack("{s:i, s:s, s:b, s:i}", "mtu", 70000, "s", "x", "b", 1, "neg", -1);
	struct cni_error e = { 0 };
	unsigned long u = 7;
	const char *s = NULL;
	bool b = false;

	assert_int_equal(cni_json_get_uint(o, NULL, "absent", 1, 10, &u, &e), 0);
	assert_int_equal(u, 7);
	assert_int_equal(cni_json_get_uint(o, NULL, "mtu", 68, 65535, &u, &e), -1);
	assert_non_null(strstr(e.msg, "mtu"));
	assert_non_null(strstr(e.msg, "70000"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(cni_json_get_uint(o, "x", "neg", 0, 10, &u, &e), -1);
	assert_non_null(strstr(e.msg, "x.neg"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(cni_json_get_string(o, NULL, "s", &s, &e), 0);
	assert_string_equal(s, "x");
	assert_int_equal(cni_json_get_string(o, NULL, "mtu", &s, &e), -1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(cni_json_get_bool(o, NULL, "b", &b, &e), 0);
	assert_true(b);
	assert_int_equal(cni_json_get_bool(o, NULL, "s", &b, &e), -1);
	json_decref(o);
}

/* ---- results ------------------------------------------------------------------------------ */

static const char *sample_result =
	"{\"cniVersion\":\"1.1.0\","
	"\"interfaces\":[{\"name\":\"wft0123456789ab\",\"mac\":\"aa:bb:cc:dd:ee:01\"},"
	"{\"name\":\"eth0\",\"mac\":\"aa:bb:cc:dd:ee:02\",\"sandbox\":\"/var/run/netns/p\",\"mtu\":1450}],"
	"\"ips\":[{\"interface\":1,\"address\":\"10.244.1.5/32\",\"gateway\":\"169.254.1.1\"},"
	"{\"interface\":1,\"address\":\"fd00::5/128\",\"gateway\":\"fe80::1\"}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"169.254.1.1\",\"mtu\":1400,\"scope\":0},{\"dst\":\"::/0\"}],"
	"\"dns\":{\"nameservers\":[\"10.96.0.10\"]}}";

static void result_round_trip_per_version(void **state)
{
	json_t *in = json_loads(sample_result, 0, NULL);
	struct cni_result r;
	struct cni_error e = { 0 };

	assert_int_equal(cni_result_decode(in, &r, &e), 0);
	assert_int_equal(r.n_ifaces, 2);
	assert_int_equal(r.n_ips, 2);
	assert_int_equal(r.n_routes, 2);
	assert_int_equal(r.ips[0].iface, 1);
	assert_int_equal(r.routes[0].mtu, 1400);
	assert_int_equal(r.routes[0].scope, 0);
	assert_int_equal(r.routes[1].scope, -1);

	for (int v = 0; v < CNI_V_COUNT; v++) {
		json_t *out = cni_result_encode(&r, (enum cni_version)v);
		json_t *ip0 = json_array_get(json_object_get(out, "ips"), 0);
		json_t *if1 = json_array_get(json_object_get(out, "interfaces"), 1);
		json_t *rt0 = json_array_get(json_object_get(out, "routes"), 0);

		assert_string_equal(json_string_value(json_object_get(out, "cniVersion")), cni_version_str(v));
		assert_string_equal(json_string_value(json_object_get(ip0, "address")), "10.244.1.5/32");
		assert_int_equal(json_integer_value(json_object_get(ip0, "interface")), 1);
		if (v < CNI_V100)
			assert_string_equal(json_string_value(json_object_get(ip0, "version")), "4");
		else
			assert_null(json_object_get(ip0, "version"));
		if (v == CNI_V110) {
			assert_int_equal(json_integer_value(json_object_get(if1, "mtu")), 1450);
			assert_int_equal(json_integer_value(json_object_get(rt0, "mtu")), 1400);
			assert_non_null(json_object_get(rt0, "scope"));
		} else {
			assert_null(json_object_get(if1, "mtu"));
			assert_null(json_object_get(rt0, "mtu"));
		}
		assert_non_null(json_object_get(json_object_get(out, "dns"), "nameservers"));
		json_decref(out);
	}
	cni_result_fini(&r);
	json_decref(in);
}

static void expect_result_error(const char *json, unsigned code, const char *needle)
{
	json_t *in = json_loads(json, 0, NULL);
	struct cni_result r;
	struct cni_error e = { 0 };

	assert_non_null(in);
	assert_int_equal(cni_result_decode(in, &r, &e), -1);
	if (e.code != code || !strstr(e.msg, needle))
		fail_msg("result %s: got %u '%s', want %u '%s'", json, e.code, e.msg, code, needle);
	cni_result_fini(&r);
	json_decref(in);
}

static void result_decode_errors(void **state)
{
	expect_result_error("{\"ips\":[{\"address\":\"10.0.0.1\"}]}", CNI_ERR_DECODE, "ips[0].address");
	expect_result_error("{\"ips\":[{\"address\":\"10.0.0.1/24\",\"interface\":0}]}", CNI_ERR_DECODE, "interface");
	expect_result_error("{\"ips\":[{\"address\":\"10.0.0.1/24\",\"gateway\":\"fe80::1\"}]}", CNI_ERR_DECODE, "gateway");
	expect_result_error("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"x\"}]}", CNI_ERR_DECODE, "routes[0].gw");
	expect_result_error("{\"interfaces\":[{\"mac\":\"x\"}]}", CNI_ERR_DECODE, "interfaces[0].name");
	expect_result_error("{\"interfaces\":[{\"name\":\"this-name-is-far-too-long\"}]}", CNI_ERR_DECODE, "name");
	expect_result_error("{\"ip4\":{\"ip\":\"10.0.0.1/24\"}}", CNI_ERR_VERSION, "0.2.0");
	expect_result_error("{\"ips\":{}}", CNI_ERR_DECODE, "ips");
	expect_result_error("{\"dns\":[]}", CNI_ERR_DECODE, "dns");
}

static void result_limits(void **state)
{
	struct cni_result r;
	struct cni_error e = { 0 };
	struct cni_iface f = { .name = "x" };

	cni_result_init(&r);
	for (int i = 0; i < CNI_MAX_IFACES; i++)
		assert_int_equal(cni_result_add_iface(&r, &f, &e), i);
	assert_int_equal(cni_result_add_iface(&r, &f, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INTERNAL);
	cni_result_fini(&r);
}

/* ---- error JSON and VERSION --------------------------------------------------------------- */

static json_t *print_to_json(void (*print)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *j;

	print(f, arg);
	fclose(f);
	j = json_loads(buf, 0, NULL);
	free(buf);
	return j;
}

static void print_cni_error(FILE *f, const void *arg)
{
	cni_error_print(f, arg, "0.4.0");
}

static void print_cni_version(FILE *f, const void *arg)
{
	cni_version_print(f);
}

static void error_json(void **state)
{
	struct cni_error e = { 0 };
	json_t *j;

	assert_int_equal(cni_error_set(&e, CNI_ERR_CONFIG, "mtu must be %d..%d", 68, 65535), -1);
	/* the first error wins */
	cni_error_set(&e, CNI_ERR_IO, "later");
	cni_error_detail(&e, "kernel said %s", "no");
	j = print_to_json(print_cni_error, &e);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 7);
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "mtu must be 68..65535");
	assert_string_equal(json_string_value(json_object_get(j, "details")), "kernel said no");
	assert_string_equal(json_string_value(json_object_get(j, "cniVersion")), "0.4.0");
	json_decref(j);
}

static void version_json(void **state)
{
	json_t *j = print_to_json(print_cni_version, NULL);
	json_t *list = json_object_get(j, "supportedVersions");

	assert_int_equal(json_array_size(list), CNI_V_COUNT);
	assert_string_equal(json_string_value(json_array_get(list, 4)), "1.1.0");
	assert_string_equal(json_string_value(json_object_get(j, "cniVersion")), "1.1.0");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(env_valid_add),
		cmocka_unit_test(env_each_missing_variable_is_named),
		cmocka_unit_test(env_bad_values),
		cmocka_unit_test(env_del_without_netns),
		cmocka_unit_test(env_version_ignores_dummies),
		cmocka_unit_test(env_gc_status_need_only_path),
		cmocka_unit_test(identifiers),
		cmocka_unit_test(args_get),
		cmocka_unit_test(netconf_valid),
		cmocka_unit_test(netconf_versions_list),
		cmocka_unit_test(netconf_errors),
		cmocka_unit_test(netconf_gc_attachments),
		cmocka_unit_test(json_getters),
		cmocka_unit_test(result_round_trip_per_version),
		cmocka_unit_test(result_decode_errors),
		cmocka_unit_test(result_limits),
		cmocka_unit_test(error_json),
		cmocka_unit_test(version_json),
	};
	return cmocka_run_group_tests_name("cni", tests, NULL, NULL);
}
