/* weftd's config (daemon/conf.c): every field, the defaults, every kind of bad value with the
 * message naming the field and quoting the value, and the normalised output `weftd -n` prints
 * compared with golden text (which must itself parse back to the same text). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conf.h"

static int parse(const char *text, struct conf *c, char *err, size_t errlen)
{
	err[0] = '\0';
	return conf_parse(text, strlen(text), "node1", c, err, errlen);
}

static void refused(const char *text, const char *want)
{
	struct conf c;
	char err[512];

	if (parse(text, &c, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", text);
	if (strcmp(err, want) != 0)
		fail_msg("%s\n  got  \"%s\"\n  want \"%s\"", text, err, want);
}

/* The normalised text of text, which must parse; and it must parse back to itself. */
static void normalised_is(const char *text, const char *want)
{
	struct conf c, again;
	char err[512], *s, *s2;

	if (parse(text, &c, err, sizeof(err)) < 0)
		fail_msg("refused: %s: %s", text, err);
	s = conf_dump(&c);
	assert_non_null(s);
	if (strcmp(s, want) != 0)
		fail_msg("normalised output of %s:\n%s\nwanted:\n%s", text, s, want);
	assert_int_equal(parse(s, &again, err, sizeof(err)), 0);
	s2 = conf_dump(&again);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
}

static const char *const DEFAULTS =
	"{\n"
	"  \"node\": \"node1\",\n"
	"  \"stateDir\": \"/var/lib/weft/node1\",\n"
	"  \"bpffs\": \"/sys/fs/bpf\",\n"
	"  \"apiSocket\": \"/run/weft/node1/weftd.sock\",\n"
	"  \"apiSocketMode\": \"0600\",\n"
	"  \"apiSocketGroup\": null,\n"
	"  \"apiMaxClients\": 256,\n"
	"  \"log\": {\n"
	"    \"file\": \"stderr\",\n"
	"    \"level\": \"info\"\n"
	"  },\n"
	"  \"attachMode\": \"auto\",\n"
	"  \"ipam\": {\n"
	"    \"dataDir\": \"/var/lib/cni/weft-ipam\",\n"
	"    \"network\": null\n"
	"  }\n"
	"}\n";

static void test_defaults(void **state)
{
	struct conf c;
	char err[256];

	(void)state;
	normalised_is("{}", DEFAULTS);
	/* null is the same as absent */
	normalised_is("{\"node\":null,\"log\":null,\"apiSocketGroup\":null}", DEFAULTS);
	assert_int_equal(parse("{}", &c, err, sizeof(err)), 0);
	assert_string_equal(c.node, "node1");
	assert_int_equal(c.api_socket_mode, 0600);
	assert_false(c.has_group);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_int_equal(c.attach, DP_ATTACH_AUTO);
	assert_true(c.ipam);
	/* The node name sets every default path, so nodes side by side never share one. */
	normalised_is("{\"node\":\"n2\",\"ipam\":null}",
		      "{\n"
		      "  \"node\": \"n2\",\n"
		      "  \"stateDir\": \"/var/lib/weft/n2\",\n"
		      "  \"bpffs\": \"/sys/fs/bpf\",\n"
		      "  \"apiSocket\": \"/run/weft/n2/weftd.sock\",\n"
		      "  \"apiSocketMode\": \"0600\",\n"
		      "  \"apiSocketGroup\": null,\n"
		      "  \"apiMaxClients\": 256,\n"
		      "  \"log\": {\n"
		      "    \"file\": \"stderr\",\n"
		      "    \"level\": \"info\"\n"
		      "  },\n"
		      "  \"attachMode\": \"auto\",\n"
		      "  \"ipam\": null\n"
		      "}\n");
}

static void test_every_field(void **state)
{
	struct conf c;
	char err[256];
	const char *full = "{\"node\":\"wfd-node_1.a\",\"stateDir\":\"/tmp/wfd/state\",\"bpffs\":\"/tmp/wfd/bpf\","
			   "\"apiSocket\":\"/tmp/wfd/weftd.sock\",\"apiSocketMode\":\"640\",\"apiSocketGroup\":\"root\","
			   "\"apiMaxClients\":16,\"log\":{\"file\":\"/tmp/wfd/weftd.log\",\"level\":\"debug\"},"
			   "\"attachMode\":\"tc\",\"ipam\":{\"dataDir\":\"/tmp/wfd/ipam\",\"network\":\"weft-net\"}}";

	(void)state;
	normalised_is(full, "{\n"
			    "  \"node\": \"wfd-node_1.a\",\n"
			    "  \"stateDir\": \"/tmp/wfd/state\",\n"
			    "  \"bpffs\": \"/tmp/wfd/bpf\",\n"
			    "  \"apiSocket\": \"/tmp/wfd/weftd.sock\",\n"
			    "  \"apiSocketMode\": \"0640\",\n"
			    "  \"apiSocketGroup\": \"root\",\n"
			    "  \"apiMaxClients\": 16,\n"
			    "  \"log\": {\n"
			    "    \"file\": \"/tmp/wfd/weftd.log\",\n"
			    "    \"level\": \"debug\"\n"
			    "  },\n"
			    "  \"attachMode\": \"tc\",\n"
			    "  \"ipam\": {\n"
			    "    \"dataDir\": \"/tmp/wfd/ipam\",\n"
			    "    \"network\": \"weft-net\"\n"
			    "  }\n"
			    "}\n");
	assert_int_equal(parse(full, &c, err, sizeof(err)), 0);
	assert_true(c.has_group);
	assert_int_equal(c.api_socket_gid, 0);
	assert_int_equal(c.api_socket_mode, 0640);
	assert_int_equal(c.api_max_clients, 16);
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c.attach, DP_ATTACH_TC);
	assert_string_equal(c.ipam_network, "weft-net");

	/* A group alone makes the socket group-writable; a number needs no lookup. */
	assert_int_equal(parse("{\"apiSocketGroup\":\"4242\"}", &c, err, sizeof(err)), 0);
	assert_int_equal(c.api_socket_mode, 0660);
	assert_int_equal(c.api_socket_gid, 4242);
	assert_int_equal(parse("{\"apiSocketGroup\":4243}", &c, err, sizeof(err)), 0);
	assert_int_equal(c.api_socket_gid, 4243);
	assert_string_equal(c.api_socket_group, "4243");
	assert_int_equal(parse("{\"attachMode\":\"tcx\",\"log\":{\"file\":\"stderr\",\"level\":\"error\"}}", &c, err,
			       sizeof(err)), 0);
	assert_int_equal(c.attach, DP_ATTACH_TCX);
	assert_int_equal(c.log_level, LOG_LEVEL_ERROR);
}

static void test_bad_values(void **state)
{
	(void)state;
	refused("", "not valid JSON at line 1 column 0: '[' or '{' expected near end of file");
	refused("[]", "the config must be a JSON object, not a list");
	refused("{\"node\":\"a\",\"node\":\"b\"}", "not valid JSON at line 1 column 18: duplicate object key near '\"node\"'");
	refused("{\"nodes\":\"a\"}", "unknown key \"nodes\"");
	refused("{\"node\":\"\"}", "node \"\" is not a valid node name (1-63 letters, digits, '.', '-', '_', starting with a letter or digit)");
	refused("{\"node\":\"a/b\"}", "node \"a/b\" is not a valid node name (1-63 letters, digits, '.', '-', '_', starting with a letter or digit)");
	refused("{\"node\":\"..\"}", "node \"..\" is not a valid node name (1-63 letters, digits, '.', '-', '_', starting with a letter or digit)");
	refused("{\"node\":7}", "node must be a string, not 7");
	refused("{\"stateDir\":\"var/lib\"}", "stateDir \"var/lib\" must be an absolute path");
	refused("{\"stateDir\":[\"/x\"]}", "stateDir must be a string, not a list");
	refused("{\"bpffs\":\"\"}", "bpffs \"\" must be an absolute path");
	refused("{\"bpffs\":\"/a\\u0001b\"}", "bpffs \"/a?b\" contains control characters");
	refused("{\"apiSocket\":\"/tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.sock\"}",
		"apiSocket \"/tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" is too long (at most 107 bytes)");
	refused("{\"apiSocketMode\":660}", "apiSocketMode must be an octal string such as \"0660\", not 660");
	refused("{\"apiSocketMode\":\"0x660\"}", "apiSocketMode \"0x660\" is not an octal mode such as \"0660\"");
	refused("{\"apiSocketMode\":\"0680\"}", "apiSocketMode \"0680\" is not an octal mode such as \"0660\"");
	refused("{\"apiSocketMode\":\"7777\"}", "apiSocketMode \"7777\" has bits beyond 0777");
	refused("{\"apiSocketMode\":\"0400\"}", "apiSocketMode \"0400\" must let the owner read and write (0600)");
	refused("{\"apiSocketMode\":\"0666\"}", "apiSocketMode \"0666\" gives other users access; use a group instead");
	refused("{\"apiSocketGroup\":\"no-such-group-wft\"}", "apiSocketGroup \"no-such-group-wft\": no such group");
	refused("{\"apiSocketGroup\":\"\"}", "apiSocketGroup \"\" is not a group name");
	refused("{\"apiSocketGroup\":-1}", "apiSocketGroup -1 is not a group id");
	refused("{\"apiSocketGroup\":\"99999999999\"}", "apiSocketGroup \"99999999999\" is not a group id");
	refused("{\"apiSocketGroup\":true}", "apiSocketGroup must be a group name or id, not true");
	refused("{\"apiMaxClients\":0}", "apiMaxClients 0 must be an integer from 1 to 4096");
	refused("{\"apiMaxClients\":\"8\"}", "apiMaxClients \"8\" must be an integer from 1 to 4096");
	refused("{\"apiMaxClients\":4097}", "apiMaxClients 4097 must be an integer from 1 to 4096");
	refused("{\"log\":\"debug\"}", "log must be an object {file, level}, not \"debug\"");
	refused("{\"log\":{\"lvl\":\"debug\"}}", "log: unknown key \"lvl\"");
	refused("{\"log\":{\"level\":\"verbose\"}}", "log.level \"verbose\" is not one of error, warn, info, debug");
	refused("{\"log\":{\"level\":3}}", "log.level must be a string, not 3");
	refused("{\"log\":{\"file\":\"weftd.log\"}}", "log.file \"weftd.log\" must be an absolute path");
	refused("{\"attachMode\":\"xdp\"}", "attachMode \"xdp\" is not one of auto, tcx, tc");
	refused("{\"attachMode\":true}", "attachMode must be a string, not true");
	refused("{\"ipam\":true}", "ipam must be an object {dataDir, network} or null, not true");
	refused("{\"ipam\":{\"dir\":\"/x\"}}", "ipam: unknown key \"dir\"");
	refused("{\"ipam\":{\"dataDir\":\"x\"}}", "ipam.dataDir \"x\" must be an absolute path");
	refused("{\"ipam\":{\"network\":\"-n\"}}", "ipam.network \"-n\" is not a valid network name");
}

static void test_hostname_default(void **state)
{
	struct conf c;
	char err[256];

	(void)state;
	assert_int_equal(conf_parse("{}", 2, "bad host name", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "node is not set and the host name \"bad host name\" is not a valid node name");
	/* An explicit node does not need a usable host name. */
	assert_int_equal(conf_parse("{\"node\":\"n\"}", 12, "", &c, err, sizeof(err)), 0);
}

static void test_load(void **state)
{
	char path[64], err[512];
	struct conf c;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/wft-conf-test-%d.json", (int)getpid());
	unlink(path);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open /tmp/wft-conf-test-"));
	assert_non_null(strstr(err, "No such file or directory"));

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"node\":\"n1\",\"attachMode\":\"xdp\"}\n", f);
	fclose(f);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	/* The file, then the field. */
	assert_non_null(strstr(err, ".json: attachMode \"xdp\" is not one of auto, tcx, tc"));

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"node\":\"n1\"}\n", f);
	fclose(f);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.node, "n1");

	/* Larger than CONF_FILE_MAX */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"node\":\"n1\"", f);
	for (unsigned i = 0; i < CONF_FILE_MAX / 8 + 8; i++)
		fputs("        ", f);
	fputs("}", f);
	fclose(f);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is larger than 1048576 bytes"));
	unlink(path);
}

static void test_keys_and_quotes(void **state)
{
	static const char *const allowed[] = { "a", NULL };
	json_t *o = json_pack("{s:i, s:i}", "a", 1, "b\nc", 2), *v;
	char q[16], err[128];

	(void)state;
	assert_int_equal(conf_json_keys_check(o, "x", allowed, err, sizeof(err)), -1);
	assert_string_equal(err, "x: unknown key \"b?c\"");
	json_decref(o);
	v = json_string("abcdefghijklmnopqrstuvwxyz");
	assert_string_equal(conf_json_quote(v, q, sizeof(q)), "\"abcdefghij...\"");
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_hostname_default),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_keys_and_quotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
