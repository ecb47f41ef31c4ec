/* Unit tests for the plugin's configuration: weft's own keys (mtu, ipam.type) with every bad
 * value, and plugin_load (environment + stdin + version gating + derived names). No root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni-plugin/plugin.h"
#include "cni-plugin/weft_conf.h"

/* The last parsed document: weft_conf borrows its strings, so it lives until the next parse. */
static struct cni_netconf nc;

/* Parse conf (lib/cni) then weft's keys; returns the error code (0 = accepted). */
static unsigned parse(const char *json, struct weft_conf *wc, char *msg, size_t msglen)
{
	struct cni_error e = { 0 };
	unsigned code = 0;

	cni_netconf_fini(&nc);
	if (cni_netconf_parse(json, strlen(json), &nc, &e) < 0 || weft_conf_parse(&nc, wc, &e) < 0)
		code = e.code;
	if (msg)
		snprintf(msg, msglen, "%s", e.msg);
	return code;
}

static int teardown(void **state)
{
	cni_netconf_fini(&nc);
	return 0;
}

#define BASE "\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"type\":\"weft\""
#define IPAM "\"ipam\":{\"type\":\"weft-ipam\"}"

static void conf_valid(void **state)
{
	struct weft_conf wc;

	assert_int_equal(parse("{" BASE "," IPAM "}", &wc, NULL, 0), 0);
	assert_int_equal(wc.mtu, 0); /* absent: detect */
	assert_string_equal(wc.ipam_type, "weft-ipam");

	assert_int_equal(parse("{" BASE ",\"mtu\":1450," IPAM "}", &wc, NULL, 0), 0);
	assert_int_equal(wc.mtu, 1450);
	assert_int_equal(parse("{" BASE ",\"mtu\":1280," IPAM "}", &wc, NULL, 0), 0);
	assert_int_equal(wc.mtu, 1280);
	assert_int_equal(parse("{" BASE ",\"mtu\":65535," IPAM "}", &wc, NULL, 0), 0);
	assert_int_equal(wc.mtu, 65535);
	/* null is "not set" */
	assert_int_equal(parse("{" BASE ",\"mtu\":null," IPAM "}", &wc, NULL, 0), 0);
	assert_int_equal(wc.mtu, 0);
	/* tolerated keys: unknown, args, capabilities, runtimeConfig */
	assert_int_equal(parse("{" BASE "," IPAM ",\"foo\":[1],\"args\":{\"cni\":{}},\"capabilities\":{\"portMappings\":true},"
			       "\"runtimeConfig\":{\"portMappings\":[]}}", &wc, NULL, 0), 0);
	/* host-local's name is just as good */
	assert_int_equal(parse("{" BASE ",\"ipam\":{\"type\":\"host-local\",\"ranges\":[]}}", &wc, NULL, 0), 0);
	assert_string_equal(wc.ipam_type, "host-local");
}

static void conf_bad_mtu(void **state)
{
	static const char *const bad[] = {
		"\"1500\"", "-1", "0", "1279", "65536", "1500.5", "true", "[1500]", "{}", "4294967297",
	};
	struct weft_conf wc;
	char json[256], msg[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{" BASE ",\"mtu\":%s," IPAM "}", bad[i]);
		assert_int_equal(parse(json, &wc, msg, sizeof(msg)), CNI_ERR_CONFIG);
		/* the message names the field and quotes the value */
		assert_non_null(strstr(msg, "mtu"));
		assert_non_null(strstr(msg, bad[i]));
	}
}

static void conf_bad_ipam(void **state)
{
	static const struct {
		const char *ipam, *needle;
	} bad[] = {
		{ "", "ipam is missing" },
		{ ",\"ipam\":null", "ipam is missing" },
		{ ",\"ipam\":{}", "ipam.type is missing" },
		{ ",\"ipam\":{\"type\":7}", "ipam.type" },
		{ ",\"ipam\":{\"type\":\"\"}", "ipam.type ''" },
		{ ",\"ipam\":{\"type\":\"../bin/evil\"}", "../bin/evil" },
		{ ",\"ipam\":{\"type\":\"/usr/bin/id\"}", "/usr/bin/id" },
		{ ",\"ipam\":{\"type\":\".\"}", "ipam.type '.'" },
		{ ",\"ipam\":{\"type\":\"..\"}", "ipam.type '..'" },
		{ ",\"ipam\":{\"type\":\"a b\"}", "ipam.type 'a b'" },
		{ ",\"ipam\":{\"type\":\"a\\nb\"}", "ipam.type" },
	};
	struct weft_conf wc;
	char json[256], msg[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{" BASE "%s}", bad[i].ipam);
		assert_int_equal(parse(json, &wc, msg, sizeof(msg)), CNI_ERR_CONFIG);
		if (!strstr(msg, bad[i].needle))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].ipam, msg, bad[i].needle);
	}
	/* not an object at all: lib/cni's check, still code 7 */
	assert_int_equal(parse("{" BASE ",\"ipam\":\"weft-ipam\"}", &wc, msg, sizeof(msg)), CNI_ERR_CONFIG);
}

static void plugin_names(void **state)
{
	assert_true(weft_conf_plugin_name_valid("weft-ipam"));
	assert_true(weft_conf_plugin_name_valid("host-local"));
	assert_true(weft_conf_plugin_name_valid("a..b"));
	assert_false(weft_conf_plugin_name_valid(NULL));
	assert_false(weft_conf_plugin_name_valid(""));
	assert_false(weft_conf_plugin_name_valid("x/y"));
	assert_false(weft_conf_plugin_name_valid("\x7f"));
}

/* ---- plugin_load: a fake environment and a pipe for stdin ---------------------------------- */

static const char *fake_env[8][2];

static void env_set(const char *cmd, const char *cid, const char *netns, const char *ifname)
{
	const char *kv[][2] = {
		{ "CNI_COMMAND", cmd }, { "CNI_CONTAINERID", cid }, { "CNI_NETNS", netns },
		{ "CNI_IFNAME", ifname }, { "CNI_PATH", "/nonexistent" },
	};

	memset(fake_env, 0, sizeof(fake_env));
	memcpy(fake_env, kv, sizeof(kv));
}

static const char *fake_getenv(const char *k)
{
	for (int i = 0; i < 8 && fake_env[i][0]; i++)
		if (strcmp(fake_env[i][0], k) == 0)
			return fake_env[i][1];
	return NULL;
}

/* plugin_load with json on stdin; returns the error code, p left loaded for inspection. */
static unsigned load(struct plugin *p, const char *json, struct cni_error *e)
{
	int fds[2];
	unsigned code = 0;

	memset(e, 0, sizeof(*e));
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], json, strlen(json)), (ssize_t)strlen(json));
	close(fds[1]);
	if (plugin_load(p, fake_getenv, fds[0], e) < 0)
		code = e->code;
	close(fds[0]);
	return code;
}

static void load_add(void **state)
{
	struct plugin p;
	struct cni_error e;
	char name[IF_NAMESIZE];

	env_set("ADD", "c0ffee", "/var/run/netns/pod", "eth0");
	assert_int_equal(load(&p, "{" BASE ",\"mtu\":1400," IPAM "}", &e), 0);
	assert_int_equal(p.env.cmd, CNI_CMD_ADD);
	assert_int_equal(p.wconf.mtu, 1400);
	hostveth_name("c0ffee", "eth0", name);
	assert_string_equal(p.hostveth, name);
	assert_string_equal(p.alias, "weft:net1:c0ffee:eth0");
	assert_string_equal(p.ipam.type, "weft-ipam");
	assert_int_equal(p.ipam.conf_len, strlen("{" BASE ",\"mtu\":1400," IPAM "}"));
	assert_string_equal(plugin_error_version(&p), "1.1.0");
	plugin_fini(&p);
}

static void load_version_gates(void **state)
{
	struct plugin p;
	struct cni_error e;

	/* CHECK needs 0.4.0, GC and STATUS 1.1.0: code 1 */
	env_set("CHECK", "c1", "/x", "eth0");
	assert_int_equal(load(&p, "{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"type\":\"weft\"," IPAM "}", &e), CNI_ERR_VERSION);
	assert_non_null(strstr(e.msg, "CHECK"));
	assert_string_equal(plugin_error_version(&p), "0.3.1");
	plugin_fini(&p);
	assert_int_equal(load(&p, "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"weft\"," IPAM "}", &e), 0);
	plugin_fini(&p);

	env_set("GC", NULL, NULL, NULL);
	assert_int_equal(load(&p, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"weft\"," IPAM "}", &e), CNI_ERR_VERSION);
	plugin_fini(&p);
	assert_int_equal(load(&p, "{" BASE "," IPAM ",\"cni.dev/valid-attachments\":[]}", &e), 0);
	assert_true(p.conf.has_valid);
	assert_string_equal(p.hostveth, ""); /* no attachment for GC */
	plugin_fini(&p);

	env_set("STATUS", NULL, NULL, NULL);
	assert_int_equal(load(&p, "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"weft\"," IPAM "}", &e), CNI_ERR_VERSION);
	plugin_fini(&p);
}

static void load_errors(void **state)
{
	struct plugin p;
	struct cni_error e;
	char cid[201], json[512];

	env_set("ADD", "c1", "/x", "eth0");
	/* an unsupported version: answered in the latest version */
	assert_int_equal(load(&p, "{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"weft\"," IPAM "}", &e), CNI_ERR_VERSION);
	assert_null(plugin_error_version(&p));
	plugin_fini(&p);
	/* not JSON */
	assert_int_equal(load(&p, "{nope", &e), CNI_ERR_DECODE);
	plugin_fini(&p);
	/* a bad weft key after a good version: answered in that version */
	assert_int_equal(load(&p, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"weft\",\"mtu\":9," IPAM "}", &e),
			 CNI_ERR_CONFIG);
	assert_string_equal(plugin_error_version(&p), "1.0.0");
	plugin_fini(&p);
	/* a missing variable names it */
	env_set("ADD", "c1", NULL, "eth0");
	assert_int_equal(load(&p, "{" BASE "," IPAM "}", &e), CNI_ERR_ENV);
	assert_non_null(strstr(e.msg, "CNI_NETNS"));
	plugin_fini(&p);
	/* a container ID and network name too long together for the alias: code 7 */
	memset(cid, 'a', 200);
	cid[200] = '\0';
	env_set("ADD", cid, "/x", "eth0");
	snprintf(json, sizeof(json), "{\"cniVersion\":\"1.1.0\",\"name\":\"%.80s\",\"type\":\"weft\"," IPAM "}", cid);
	assert_int_equal(load(&p, json, &e), CNI_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "alias"));
	plugin_fini(&p);
}

static void load_version_cmd(void **state)
{
	struct plugin p;
	struct cni_error e;

	/* podman's VERSION: other variables "dummy", nothing read from stdin */
	env_set("VERSION", "dummy", "dummy", "dummy");
	assert_int_equal(load(&p, "", &e), 0);
	assert_int_equal(p.env.cmd, CNI_CMD_VERSION);
	plugin_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conf_valid),
		cmocka_unit_test(conf_bad_mtu),
		cmocka_unit_test(conf_bad_ipam),
		cmocka_unit_test(plugin_names),
		cmocka_unit_test(load_add),
		cmocka_unit_test(load_version_gates),
		cmocka_unit_test(load_errors),
		cmocka_unit_test(load_version_cmd),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
