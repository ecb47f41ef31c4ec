/* `weftctl route list` over route.list's pages (cli/route.c) against a fake weftd (the API client
 * --wrap'ed) that answers from a script of pages and checks each request's cursor: the table is
 * printed page by page with one header (one page as before), -o json is the one document a single page would give,
 * and a daemon that would page forever (a cursor twice, an empty page with more to follow, a
 * next that is no cursor) or fails midway is an error. */
// WRAP: api_client_open api_client_call
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli/cli.h"
#include "cli/print.h"
#include "test_cli_util.h"

/* ---- the fake daemon: page i answers the request with args want_args[i] -------------------- */

#define PAGES_MAX 8

static struct {
	const char *want_args[PAGES_MAX];  /* compact JSON; NULL: no args */
	const char *result[PAGES_MAX];     /* NULL: answer an error */
	int n, calls;
} fake;

int __wrap_api_client_open(struct api_client *c, const char *path, int timeout_ms);
int __wrap_api_client_call(struct api_client *c, const char *op, json_t *args, json_t **result,
			   int (*on_event)(json_t *event, void *arg), void *arg, char *err, size_t errlen);

int __wrap_api_client_open(struct api_client *c, const char *path, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	return 0;
}

int __wrap_api_client_call(struct api_client *c, const char *op, json_t *args, json_t **result,
			   int (*on_event)(json_t *event, void *arg), void *arg, char *err, size_t errlen)
{
	char *got = args ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int i = fake.calls++;

	assert_true(i < fake.n);
	assert_string_equal(op, "route.list");
	assert_string_equal(got ? got : "null", fake.want_args[i] ? fake.want_args[i] : "null");
	free(got);
	*result = NULL;
	if (!fake.result[i]) {
		snprintf(err, errlen, "internal: out of memory building the result");
		return -1;
	}
	*result = json_loads(fake.result[i], 0, NULL);
	assert_non_null(*result);
	return 0;
}

static void page(const char *want_args, const char *result)
{
	assert_true(fake.n < PAGES_MAX);
	fake.want_args[fake.n] = want_args;
	fake.result[fake.n++] = result;
}

static int fake_reset(void **state)
{
	memset(&fake, 0, sizeof(fake));
	return 0;
}

/* weftctl [-o json] route list */
static void run(struct run *r, bool json)
{
	char *argv[] = { "weftctl", "--socket", "/tmp/x.sock", "route", "list", "-o", "json", NULL };

	run_argv(r, json ? 7 : 5, argv);
}

/* ---- pages ------------------------------------------------------------------------------------ */

#define ROW(pfx, nh, from, best, as_path, age, inst)                                                   \
	"{\"prefix\":\"" pfx "\",\"next_hop\":\"" nh "\",\"from\":\"" from "\",\"best\":" best         \
	",\"stale\":false,\"as_path\":" as_path ",\"origin\":null,\"local_pref\":null,\"med\":null,"     \
	"\"communities\":null,\"age_s\":" age ",\"installed\":" inst "}"
#define R1 ROW("10.244.1.0/24", "10.99.0.1", "local", "true", "null", "null", "\"local\"")
#define R2 ROW("10.244.2.0/24", "10.99.0.2", "10.99.0.2", "true", "\"\"", "192", "\"tunnel\"")
#define R3 ROW("10.250.0.0/24", "10.99.0.100", "10.99.0.100", "true", "\"65000\"", "192", "\"tunnel\"")
#define R4 ROW("10.250.0.0/24", "10.99.0.5", "10.99.0.2", "false", "\"65001 65000\"", "62", "null")
#define R5 ROW("fd00:10:244:1::/64", "fd00:99::1", "local", "true", "null", "null", "\"local\"")
#define C2 "10.244.2.0/24|b|1"
#define C4 "10.250.0.0/24|n|1"

/* The same five rows in three pages, and in one. */
static void script_three_pages(void)
{
	page(NULL, "{\"routes\":[" R1 "," R2 "],\"prefixes\":4,\"next\":\"" C2 "\"}");
	page("{\"after\":\"" C2 "\"}", "{\"routes\":[" R3 "," R4 "],\"prefixes\":4,\"next\":\"" C4 "\"}");
	page("{\"after\":\"" C4 "\"}", "{\"routes\":[" R5 "],\"prefixes\":4,\"next\":null}");
}

static const char *const one_page = "{\"routes\":[" R1 "," R2 "," R3 "," R4 "," R5 "],\"prefixes\":4}";

static void table_in_pages(void **state)
{
	struct run r;

	script_three_pages();
	run(&r, false);
	assert_text(r.err, "");
	assert_int_equal(r.rc, CLI_OK);
	assert_int_equal(fake.calls, 3);
	/* One header; each page as wide as its widest cells and those of the pages before. */
	assert_text(r.out, "PREFIX         NEXT HOP   FROM       BEST  AS PATH    AGE  INSTALLED\n"
			   "10.244.1.0/24  10.99.0.1  local      yes   -            -  local\n"
			   "10.244.2.0/24  10.99.0.2  10.99.0.2  yes   (empty)  3m12s  tunnel\n"
			   "10.250.0.0/24  10.99.0.100  10.99.0.100  yes   65000        3m12s  tunnel\n"
			   "10.250.0.0/24  10.99.0.5    10.99.0.2    no    65001 65000   1m2s  -\n"
			   "fd00:10:244:1::/64  fd00:99::1   local        yes   -                -  local\n");
	run_fini(&r);
	/* One page (up to 1,000 rows from weftd): aligned as a whole, as before pages. */
	fake_reset(NULL);
	page(NULL, one_page);
	run(&r, false);
	assert_int_equal(r.rc, CLI_OK);
	assert_int_equal(fake.calls, 1);
	assert_text(r.out, "PREFIX              NEXT HOP     FROM         BEST  AS PATH        AGE  INSTALLED\n"
			   "10.244.1.0/24       10.99.0.1    local        yes   -                -  local\n"
			   "10.244.2.0/24       10.99.0.2    10.99.0.2    yes   (empty)      3m12s  tunnel\n"
			   "10.250.0.0/24       10.99.0.100  10.99.0.100  yes   65000        3m12s  tunnel\n"
			   "10.250.0.0/24       10.99.0.5    10.99.0.2    no    65001 65000   1m2s  -\n"
			   "fd00:10:244:1::/64  fd00:99::1   local        yes   -                -  local\n");
	run_fini(&r);
}

static void json_in_pages(void **state)
{
	struct run paged, whole;
	json_t *j;

	script_three_pages();
	run(&paged, true);
	assert_text(paged.err, "");
	assert_int_equal(paged.rc, CLI_OK);
	assert_int_equal(fake.calls, 3);
	/* One document, as one page gives it: no cursor in it. */
	j = json_loads(paged.out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "routes")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "prefixes")), 4);
	assert_null(json_object_get(j, "next"));
	json_decref(j);
	fake_reset(NULL);
	page(NULL, one_page);
	run(&whole, true);
	assert_int_equal(whole.rc, CLI_OK);
	assert_text(paged.out, whole.out);
	run_fini(&paged);
	run_fini(&whole);
}

/* A later page with a wider cell: one header still; the columns right of it shift from there on. */
static void table_wider_later(void **state)
{
	struct run r;

	page(NULL, "{\"routes\":[" R1 "],\"prefixes\":2,\"next\":\"10.244.1.0/24|b|0\"}");
	page("{\"after\":\"10.244.1.0/24|b|0\"}", "{\"routes\":[" R5 "," R5 "],\"prefixes\":2}");
	run(&r, false);
	assert_int_equal(r.rc, CLI_OK);
	assert_text(r.out, "PREFIX         NEXT HOP   FROM   BEST  AS PATH  AGE  INSTALLED\n"
			   "10.244.1.0/24  10.99.0.1  local  yes   -        -    local\n"
			   "fd00:10:244:1::/64  fd00:99::1  local  yes   -        -    local\n"
			   "fd00:10:244:1::/64  fd00:99::1  local  yes   -        -    local\n");
	run_fini(&r);
}

static void no_routes(void **state)
{
	struct run r;

	page(NULL, "{\"routes\":[],\"prefixes\":0}");
	run(&r, false);
	assert_int_equal(r.rc, CLI_OK);
	assert_text(r.out, "no routes\n");
	run_fini(&r);
	fake_reset(NULL);
	page(NULL, "{\"routes\":[],\"prefixes\":0}");
	run(&r, true);
	assert_int_equal(r.rc, CLI_OK);
	assert_text(r.out, "{\n  \"routes\": [],\n  \"prefixes\": 0\n}\n");
	run_fini(&r);
}

/* The daemon's pages must end: each case stops with an error after the rows it had. */
static void refuse(bool json, const char *want_err, const char *want_out)
{
	struct run r;

	run(&r, json);
	assert_int_equal(r.rc, CLI_ERR);
	if (!strstr(r.err, want_err))
		fail_msg("stderr \"%s\" lacks \"%s\"", r.err, want_err);
	assert_text(r.out, want_out);
	run_fini(&r);
	fake_reset(NULL);
}

#define HEAD1 "PREFIX         NEXT HOP   FROM   BEST  AS PATH  AGE  INSTALLED\n"
#define LINE1 "10.244.1.0/24  10.99.0.1  local  yes   -        -    local\n"

static void endless_pages(void **state)
{
	page(NULL, "{\"routes\":[" R1 "],\"prefixes\":2,\"next\":\"x|b|0\"}");
	page("{\"after\":\"x|b|0\"}", "{\"routes\":[" R1 "],\"prefixes\":2,\"next\":\"x|b|0\"}");
	refuse(false, "weftctl: route list: weftd gave cursor \"x|b|0\" twice: stopped", HEAD1 LINE1 LINE1);

	page(NULL, "{\"routes\":[],\"prefixes\":2,\"next\":\"x|b|0\"}");
	refuse(false, "route list: weftd gave a page of no routes that says more follow", "");

	page(NULL, "{\"routes\":[" R1 "],\"prefixes\":2,\"next\":7}");
	refuse(true, "route list: weftd's answer has a \"next\" that is not a cursor string", "");

	/* A failure on a later page: the table so far is out, JSON is not (no half document). */
	page(NULL, "{\"routes\":[" R1 "],\"prefixes\":2,\"next\":\"x|b|0\"}");
	page("{\"after\":\"x|b|0\"}", NULL);
	refuse(false, "route list: internal: out of memory building the result", HEAD1 LINE1);
	page(NULL, "{\"routes\":[" R1 "],\"prefixes\":2,\"next\":\"x|b|0\"}");
	page("{\"after\":\"x|b|0\"}", NULL);
	refuse(true, "route list: internal: out of memory", "");
}

#define T(fn) cmocka_unit_test_setup(fn, fake_reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(table_in_pages), T(json_in_pages), T(table_wider_later), T(no_routes), T(endless_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
