/* Unit tests for weftctl's printer (cli/print.c): one document built once, rendered as the
 * human table and as JSON, both compared with golden strings; alignment, JSON-only and
 * human-only fields, empty tables, generic JSON, sanitised text, allocation-free helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/print.h"

/* weftctl is a program, not a library: its sources are compiled into the test. */

/* Render p in fmt into a malloc'd string. */
static char *render(struct pr *p, enum pr_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(pr_render(p, fmt, f), 0);
	fclose(f);
	return buf;
}

static void assert_render(struct pr *p, enum pr_format fmt, const char *want)
{
	char *got = render(p, fmt);

	if (strcmp(got, want) != 0)
		print_error("--- want\n%s--- got\n%s---\n", want, got);
	assert_string_equal(got, want);
	free(got);
}

/* A status-like document: fields, a JSON-only and a human-only field, a list, a nested
 * table with a numeric column, and a nested object. */
static struct pr *sample(void)
{
	struct pr *p = pr_new();
	struct pr_node *root = pr_root(p), *t, *row, *o;

	pr_str(root, "version", "Version", "0.1.0");
	pr_uint(root, "pid", "PID", 4242);
	pr_value(root, "uptime_s", "Uptime", json_integer(3725), "1h2m5s");
	pr_str(root, "secret", NULL, "json-only");
	pr_str(root, NULL, "Note", "human-only");
	o = pr_list(root, "addresses", "Addresses");
	pr_str(o, NULL, NULL, "10.1.0.5");
	pr_str(o, NULL, NULL, "fd00::5");
	t = pr_table(root, "maps", "Maps");
	row = pr_row(t);
	pr_str(row, "name", "NAME", "weft_ep_ip");
	pr_uint(row, "entries", "ENTRIES", 6);
	pr_bool(row, "pinned", "PINNED", true);
	row = pr_row(t);
	pr_str(row, "name", "NAME", "weft_counters");
	pr_uint(row, "entries", "ENTRIES", 12345);
	pr_bool(row, "pinned", "PINNED", false);
	o = pr_obj(root, "counters", "Counters");
	pr_uint(o, "from_pod_packets", "From pod packets", 10);
	pr_str(o, "mode", "Mode", NULL);
	return p;
}

static void print_sample_table(void **state)
{
	struct pr *p = sample();

	assert_render(p, PR_TABLE,
		      "Version:    0.1.0\n"
		      "PID:        4242\n"
		      "Uptime:     1h2m5s\n"
		      "Note:       human-only\n"
		      "Addresses:  10.1.0.5, fd00::5\n"
		      "\n"
		      "Maps:\n"
		      "  NAME           ENTRIES  PINNED\n"
		      "  weft_ep_ip           6  yes\n"
		      "  weft_counters    12345  no\n"
		      "\n"
		      "Counters:\n"
		      "  From pod packets:  10\n"
		      "  Mode:              -\n");
	pr_free(p);
}

static void print_sample_json(void **state)
{
	struct pr *p = sample();

	/* The same document: keys in the order built, human-only "Note" absent, raw numbers. */
	assert_render(p, PR_JSON,
		      "{\n"
		      "  \"version\": \"0.1.0\",\n"
		      "  \"pid\": 4242,\n"
		      "  \"uptime_s\": 3725,\n"
		      "  \"secret\": \"json-only\",\n"
		      "  \"addresses\": [\n"
		      "    \"10.1.0.5\",\n"
		      "    \"fd00::5\"\n"
		      "  ],\n"
		      "  \"maps\": [\n"
		      "    {\n"
		      "      \"name\": \"weft_ep_ip\",\n"
		      "      \"entries\": 6,\n"
		      "      \"pinned\": true\n"
		      "    },\n"
		      "    {\n"
		      "      \"name\": \"weft_counters\",\n"
		      "      \"entries\": 12345,\n"
		      "      \"pinned\": false\n"
		      "    }\n"
		      "  ],\n"
		      "  \"counters\": {\n"
		      "    \"from_pod_packets\": 10,\n"
		      "    \"mode\": null\n"
		      "  }\n"
		      "}\n");
	pr_free(p);
}

/* A top-level table with a "" label prints bare; a row missing a column shows "-"; numbers are
 * right-aligned even with a missing one ("-"), text left; a nested object in a row becomes
 * LABEL.SUB columns. */
static void print_bare_table(void **state)
{
	struct pr *p = pr_new();
	struct pr_node *t = pr_table(pr_root(p), "endpoints", ""), *row, *o;

	row = pr_row(t);
	pr_uint(row, "id", "ID", 1);
	pr_str(row, "pod", "POD", "default/web-0");
	o = pr_obj(row, "host", "HOST");
	pr_str(o, "ifname", "IFNAME", "weft1a2b");
	pr_uint(o, "ifindex", "IFINDEX", 12);
	row = pr_row(t);
	pr_uint(row, "id", "ID", 100);
	o = pr_obj(row, "host", "HOST");
	pr_str(o, "ifname", "IFNAME", "weft9");
	pr_str(o, "ifindex", "IFINDEX", NULL);
	assert_render(p, PR_TABLE,
		      " ID  POD            HOST.IFNAME  HOST.IFINDEX\n"
		      "  1  default/web-0  weft1a2b               12\n"
		      "100  -              weft9                   -\n");
	assert_render(p, PR_JSON,
		      "{\n"
		      "  \"endpoints\": [\n"
		      "    {\n"
		      "      \"id\": 1,\n"
		      "      \"pod\": \"default/web-0\",\n"
		      "      \"host\": {\n"
		      "        \"ifname\": \"weft1a2b\",\n"
		      "        \"ifindex\": 12\n"
		      "      }\n"
		      "    },\n"
		      "    {\n"
		      "      \"id\": 100,\n"
		      "      \"host\": {\n"
		      "        \"ifname\": \"weft9\",\n"
		      "        \"ifindex\": null\n"
		      "      }\n"
		      "    }\n"
		      "  ]\n"
		      "}\n");
	pr_free(p);
}

static void print_empty_table(void **state)
{
	struct pr *p = pr_new();
	struct pr_node *t = pr_table(pr_root(p), "endpoints", "");

	pr_table_empty(t, "no endpoints");
	assert_render(p, PR_TABLE, "no endpoints\n");
	assert_render(p, PR_JSON, "{\n  \"endpoints\": []\n}\n");
	pr_free(p);

	/* Without an empty text: nothing at all, not a stray header. */
	p = pr_new();
	pr_table(pr_root(p), "x", "");
	assert_render(p, PR_TABLE, "");
	pr_free(p);
}

/* Names come from pods and from the daemon: escape sequences must not reach a terminal. JSON
 * keeps the exact value (jansson escapes it). */
static void print_sanitised(void **state)
{
	struct pr *p = pr_new();

	pr_str(pr_root(p), "pod", "Pod", "evil\x1b[2Jname\n");
	assert_render(p, PR_TABLE, "Pod:  evil?[2Jname?\n");
	assert_render(p, PR_JSON, "{\n  \"pod\": \"evil\\u001B[2Jname\\n\"\n}\n");
	pr_free(p);
}

/* Generic JSON (map entries): objects, arrays of objects, lists, every scalar type. */
static void print_generic_json(void **state)
{
	json_t *v = json_loads("{\"key\":{\"family\":4,\"addr\":\"10.1.0.5\"},"
			       "\"value\":{\"id\":7,\"up\":true,\"ratio\":0.5,\"none\":null,"
			       "\"drops\":[0,1,2]}}", 0, NULL);
	struct pr *p = pr_new();
	struct pr_node *t = pr_table(pr_root(p), "entries", "");
	json_t *a = json_loads("[{\"a\":1},{\"a\":2,\"b\":\"x\"}]", 0, NULL);

	assert_non_null(v);
	assert_non_null(a);
	pr_json(pr_row(t), "key", "", json_object_get(v, "key"));
	pr_json(pr_row(t), "value", "VALUE", json_object_get(v, "value"));
	pr_json(pr_root(p), "rows", "Rows", a);
	assert_render(p, PR_TABLE,
		      "FAMILY  ADDR      VALUE.ID  VALUE.UP  VALUE.RATIO  VALUE.NONE  VALUE.DROPS\n"
		      "     4  10.1.0.5         -  -                   -  -           -\n"
		      "     -  -                7  yes               0.5  -           0, 1, 2\n"
		      "\n"
		      "Rows:\n"
		      "  A  B\n"
		      "  1  -\n"
		      "  2  x\n");
	assert_render(p, PR_JSON,
		      "{\n"
		      "  \"entries\": [\n"
		      "    {\n"
		      "      \"key\": {\n"
		      "        \"family\": 4,\n"
		      "        \"addr\": \"10.1.0.5\"\n"
		      "      }\n"
		      "    },\n"
		      "    {\n"
		      "      \"value\": {\n"
		      "        \"id\": 7,\n"
		      "        \"up\": true,\n"
		      "        \"ratio\": 0.5,\n"
		      "        \"none\": null,\n"
		      "        \"drops\": [\n"
		      "          0,\n"
		      "          1,\n"
		      "          2\n"
		      "        ]\n"
		      "      }\n"
		      "    }\n"
		      "  ],\n"
		      "  \"rows\": [\n"
		      "    {\n"
		      "      \"a\": 1\n"
		      "    },\n"
		      "    {\n"
		      "      \"a\": 2,\n"
		      "      \"b\": \"x\"\n"
		      "    }\n"
		      "  ]\n"
		      "}\n");
	pr_free(p);
	json_decref(v);
	json_decref(a);
}

/* Builders given NULL do nothing; a row only goes into a table. */
static void print_null_safe(void **state)
{
	struct pr *p = pr_new();

	assert_null(pr_obj(NULL, "a", "A"));
	assert_null(pr_row(NULL));
	assert_null(pr_row(pr_root(p)));   /* not a table */
	pr_str(NULL, "a", "A", "x");
	pr_uint(NULL, "a", "A", 1);
	pr_value(NULL, "a", "A", json_integer(1), "1");   /* the reference is still released */
	pr_table_empty(NULL, "x");
	assert_render(p, PR_JSON, "{}\n");
	pr_free(p);
	pr_free(NULL);
}

static void print_helpers(void **state)
{
	enum pr_format f = PR_JSON;
	char buf[32];

	assert_true(pr_format_parse("table", &f));
	assert_int_equal(f, PR_TABLE);
	assert_true(pr_format_parse("json", &f));
	assert_int_equal(f, PR_JSON);
	assert_false(pr_format_parse("JSON", &f));
	assert_false(pr_format_parse("", &f));
	assert_false(pr_format_parse("yaml", &f));

	pr_duration_fmt(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	pr_duration_fmt(59, buf, sizeof(buf));
	assert_string_equal(buf, "59s");
	pr_duration_fmt(60, buf, sizeof(buf));
	assert_string_equal(buf, "1m0s");
	pr_duration_fmt(3600, buf, sizeof(buf));
	assert_string_equal(buf, "1h0m0s");
	pr_duration_fmt(90061, buf, sizeof(buf));
	assert_string_equal(buf, "1d1h1m1s");

	pr_percent_fmt(0, 16384, buf, sizeof(buf));
	assert_string_equal(buf, "0.0%");
	pr_percent_fmt(6, 16384, buf, sizeof(buf));
	assert_string_equal(buf, "0.0%");
	pr_percent_fmt(8192, 16384, buf, sizeof(buf));
	assert_string_equal(buf, "50.0%");
	pr_percent_fmt(1, 3, buf, sizeof(buf));
	assert_string_equal(buf, "33.3%");
	pr_percent_fmt(5, 0, buf, sizeof(buf));
	assert_string_equal(buf, "-");
}

/* A write error is reported, not swallowed. */
static void print_write_error(void **state)
{
	struct pr *p = sample();
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	assert_int_not_equal(pr_render(p, PR_TABLE, f), 0);
	clearerr(f);
	assert_int_not_equal(pr_render(p, PR_JSON, f), 0);
	fclose(f);
	pr_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(print_sample_table),
		cmocka_unit_test(print_sample_json),
		cmocka_unit_test(print_bare_table),
		cmocka_unit_test(print_empty_table),
		cmocka_unit_test(print_sanitised),
		cmocka_unit_test(print_generic_json),
		cmocka_unit_test(print_null_safe),
		cmocka_unit_test(print_helpers),
		cmocka_unit_test(print_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
