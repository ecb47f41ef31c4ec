/* Unit tests for weftctl's command line (cli/cli.c, cli/commands.c): global options in every
 * spelling and position, each bad argument named in its message, dispatch and help with their
 * exit codes, endpoint ids and map names, the socket path, and the "weftd is not running"
 * errors against sockets the test makes. No daemon needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/print.h"
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* weftctl is a program, not a library: its sources (all but main.c) are compiled in. */

struct run {
	int rc;
	struct cli cli;
	char *out, *err;
	size_t out_len, err_len;
	char *argv[16];
};

/* Run weftctl with the NULL-terminated arguments after argv[0], as main() would. */
static void run_v(struct run *r, va_list ap)
{
	FILE *out, *err;
	const char *a;
	int argc = 0;

	memset(r, 0, sizeof(*r));
	r->argv[argc++] = (char *)"weftctl";
	while ((a = va_arg(ap, const char *)) && argc < 15)
		r->argv[argc++] = (char *)a;
	r->argv[argc] = NULL;
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	cli_init(&r->cli, out, err);
	r->rc = cli_run(&r->cli, argc, r->argv);
	fclose(out);
	fclose(err);
}

static void run(struct run *r, ...)
{
	va_list ap;

	va_start(ap, r);
	run_v(r, ap);
	va_end(ap);
}

static void run_fini(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Run and expect exit code rc with exactly this on stderr (and nothing on stdout). */
static void run_expect_err(int rc, const char *want_err, ...)
{
	struct run r;
	va_list ap;

	va_start(ap, want_err);
	run_v(&r, ap);
	va_end(ap);
	if (strcmp(r.err, want_err) != 0)
		print_error("--- want\n%s--- got\n%s---\n", want_err, r.err);
	assert_string_equal(r.err, want_err);
	assert_string_equal(r.out, "");
	assert_int_equal(r.rc, rc);
	run_fini(&r);
}

/* Parse only the global options. */
static int opts(struct cli *cli, char **argv, int *argc)
{
	static char *errbuf;
	static size_t errlen;
	FILE *err = open_memstream(&errbuf, &errlen);
	int n = 0, rc;

	while (argv[n])
		n++;
	cli_init(cli, stdout, err);
	rc = cli_opts_parse(cli, &n, argv);
	fclose(err);
	free(errbuf);
	errbuf = NULL;
	*argc = n;
	return rc;
}

/* ---- global options --------------------------------------------------------------------- */

static void args_output_spellings(void **state)
{
	struct cli cli;
	int argc;
	char *a1[] = { "weftctl", "-o", "json", "status", NULL };
	char *a2[] = { "weftctl", "status", "-ojson", NULL };
	char *a3[] = { "weftctl", "endpoint", "--output=json", "list", NULL };
	char *a4[] = { "weftctl", "endpoint", "get", "7", "--output", "json", NULL };
	char *a5[] = { "weftctl", "-o", "json", "-o", "table", "status", NULL };

	assert_int_equal(opts(&cli, a1, &argc), CLI_OK);
	assert_int_equal(cli.format, PR_JSON);
	assert_int_equal(argc, 2);
	assert_string_equal(a1[1], "status");
	assert_null(a1[2]);

	assert_int_equal(opts(&cli, a2, &argc), CLI_OK);
	assert_int_equal(cli.format, PR_JSON);
	assert_int_equal(argc, 2);

	assert_int_equal(opts(&cli, a3, &argc), CLI_OK);
	assert_int_equal(cli.format, PR_JSON);
	assert_int_equal(argc, 3);
	assert_string_equal(a3[1], "endpoint");
	assert_string_equal(a3[2], "list");

	assert_int_equal(opts(&cli, a4, &argc), CLI_OK);
	assert_int_equal(cli.format, PR_JSON);
	assert_int_equal(argc, 4);
	assert_string_equal(a4[3], "7");

	/* The last one wins, as with most tools. */
	assert_int_equal(opts(&cli, a5, &argc), CLI_OK);
	assert_int_equal(cli.format, PR_TABLE);
}

static void args_defaults_and_others(void **state)
{
	struct cli cli;
	int argc;
	char *a1[] = { "weftctl", "status", NULL };
	char *a2[] = { "weftctl", "--socket", "/run/x.sock", "--timeout", "250", "status", "-h", NULL };
	char *a3[] = { "weftctl", "--socket=/a b", "--timeout=1", "--help", NULL };
	char *a4[] = { "weftctl", "endpoint", "get", "--", "-x", "--socket", NULL };

	assert_int_equal(opts(&cli, a1, &argc), CLI_OK);
	assert_int_equal(cli.format, PR_TABLE);
	assert_int_equal(cli.timeout_ms, CLI_TIMEOUT_DEFAULT_MS);
	assert_null(cli.socket);
	assert_false(cli.help);

	assert_int_equal(opts(&cli, a2, &argc), CLI_OK);
	assert_string_equal(cli.socket, "/run/x.sock");
	assert_int_equal(cli.timeout_ms, 250);
	assert_true(cli.help);
	assert_int_equal(argc, 2);

	assert_int_equal(opts(&cli, a3, &argc), CLI_OK);
	assert_string_equal(cli.socket, "/a b");
	assert_int_equal(cli.timeout_ms, 1);
	assert_true(cli.help);
	assert_int_equal(argc, 1);

	/* After "--" nothing is an option. */
	assert_int_equal(opts(&cli, a4, &argc), CLI_OK);
	assert_int_equal(argc, 5);
	assert_string_equal(a4[3], "-x");
	assert_string_equal(a4[4], "--socket");
	assert_null(cli.socket);
}

#define HINT "Run 'weftctl help' for usage.\n"

static void args_bad_options(void **state)
{
	run_expect_err(CLI_USAGE, "weftctl: option '-o' needs a value: table or json\n" HINT,
		       "status", "-o", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad output format 'yaml' for -o: expected table or json\n" HINT,
		       "-o", "yaml", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad output format 'xml' for -o: expected table or json\n" HINT,
		       "-oxml", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad output format '' for --output: expected table or json\n" HINT,
		       "--output=", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: option '--socket' needs a value: the path of weftd's socket\n" HINT,
		       "status", "--socket", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad socket path '' for --socket: empty\n" HINT,
		       "--socket=", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: option '--timeout' needs a value in milliseconds\n" HINT,
		       "status", "--timeout", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad timeout 'abc' for --timeout: expected milliseconds, 1 to 3600000\n"
		       HINT, "--timeout", "abc", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad timeout '0' for --timeout: expected milliseconds, 1 to 3600000\n"
		       HINT, "--timeout", "0", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad timeout '-5' for --timeout: expected milliseconds, 1 to 3600000\n"
		       HINT, "--timeout", "-5", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad timeout '3600001' for --timeout: expected milliseconds, 1 to 3600000\n"
		       HINT, "--timeout=3600001", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: bad timeout '10ms' for --timeout: expected milliseconds, 1 to 3600000\n"
		       HINT, "--timeout=10ms", "status", NULL);
	run_expect_err(CLI_USAGE, "weftctl: unknown option '--bogus'\n" HINT, "status", "--bogus", NULL);
	run_expect_err(CLI_USAGE, "weftctl: unknown option '-x'\n" HINT, "-x", NULL);
	run_expect_err(CLI_USAGE, "weftctl: unknown option '--outputs=json'\n" HINT, "--outputs=json", NULL);
}

/* ---- dispatch and help ------------------------------------------------------------------- */

static void args_dispatch_errors(void **state)
{
	struct run r;

	run_expect_err(CLI_USAGE, "weftctl: unknown command 'stauts'\n" HINT, "stauts", NULL);
	run_expect_err(CLI_USAGE, "weftctl endpoint: unknown command 'show'\n"
		       "Run 'weftctl endpoint --help' for usage.\n", "endpoint", "show", NULL);
	run_expect_err(CLI_USAGE, "weftctl status: unexpected argument 'now'\n"
		       "Run 'weftctl status --help' for usage.\n", "status", "now", NULL);
	run_expect_err(CLI_USAGE, "weftctl endpoint get: missing argument: expected 'weftctl endpoint get ID'\n"
		       "Run 'weftctl endpoint get --help' for usage.\n", "endpoint", "get", NULL);
	run_expect_err(CLI_USAGE, "weftctl endpoint get: unexpected argument 'b'\n"
		       "Run 'weftctl endpoint get --help' for usage.\n", "endpoint", "get", "a", "b", NULL);
	run_expect_err(CLI_USAGE, "weftctl bpf map dump: missing argument: expected 'weftctl bpf map dump NAME'\n"
		       "Run 'weftctl bpf map dump --help' for usage.\n", "bpf", "map", "dump", NULL);

	/* A group without its command: the group's usage on stderr, exit 2. */
	run(&r, "endpoint", NULL);
	assert_int_equal(r.rc, CLI_USAGE);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "weftctl endpoint: missing command\nusage: weftctl endpoint COMMAND"));
	assert_non_null(strstr(r.err, "\n  get ID  one endpoint"));
	run_fini(&r);

	run(&r, NULL);
	assert_int_equal(r.rc, CLI_USAGE);
	assert_non_null(strstr(r.err, "weftctl: missing command\nusage: weftctl [OPTIONS] COMMAND"));
	run_fini(&r);
}

static void args_help(void **state)
{
	struct run a, b;

	/* Every way of asking prints the same text on stdout and exits 0. */
	run(&a, "help", NULL);
	run(&b, "--help", NULL);
	assert_int_equal(a.rc, CLI_OK);
	assert_int_equal(b.rc, CLI_OK);
	assert_string_equal(a.err, "");
	assert_string_equal(a.out, b.out);
	assert_non_null(strstr(a.out, "usage: weftctl [OPTIONS] COMMAND [ARGS]\n"));
	assert_non_null(strstr(a.out, "\n  status                the daemon"));
	assert_non_null(strstr(a.out, "\n  bpf map dump NAME     raw BPF state"));
	assert_non_null(strstr(a.out, "Exit status: 0 success, 1 error"));
	run_fini(&a);
	run_fini(&b);

	run(&a, "help", "endpoint", "get", NULL);
	run(&b, "endpoint", "get", "--help", NULL);
	assert_int_equal(a.rc, CLI_OK);
	assert_int_equal(b.rc, CLI_OK);
	assert_string_equal(a.out, b.out);
	assert_true(strncmp(a.out, "usage: weftctl endpoint get ID [-o table|json] [--socket PATH] [--timeout MS]\n",
			    strlen("usage: weftctl endpoint get ID [-o")) == 0);
	assert_non_null(strstr(a.out, "CONTAINERID[/IFNAME]"));
	run_fini(&a);
	run_fini(&b);

	/* --help wins over a bad or missing argument. */
	run(&a, "-h", "bpf", "map", "dump", NULL);
	assert_int_equal(a.rc, CLI_OK);
	assert_true(strncmp(a.out, "usage: weftctl bpf map dump NAME", 32) == 0);
	run_fini(&a);

	run(&a, "help", "bpf", NULL);
	assert_int_equal(a.rc, CLI_OK);
	assert_string_equal(a.out,
			    "usage: weftctl bpf COMMAND [ARGS] [OPTIONS]\n\nCommands:\n"
			    "  map dump NAME  the node's pinned BPF maps\n\n"
			    "Run 'weftctl bpf COMMAND --help' for one command; 'weftctl help' for the options.\n");
	run_fini(&a);

	run(&a, "status", "--help", NULL);
	assert_int_equal(a.rc, CLI_OK);
	assert_true(strncmp(a.out, "usage: weftctl status [-o table|json]", 37) == 0);
	run_fini(&a);

	run_expect_err(CLI_USAGE, "weftctl: unknown command 'nope'\n" HINT, "help", "nope", NULL);
}

/* Every command in the table has a function and a help line (a new group is one line). */
static void args_table(void **state)
{
	const struct cli_cmd *c;
	int n = 0;

	for (c = cli_commands; c->name; c++, n++) {
		assert_non_null(c->fn);
		assert_non_null(c->help);
		assert_non_null(c->args);
	}
	assert_int_equal(n, 6); /* status, endpoint, peer, route, bpf, help */
}

/* ---- command arguments ------------------------------------------------------------------- */

static void ref_ok(const char *s, const char *want_json)
{
	char err[256] = "", *got;
	json_t *args;

	assert_true(endpoint_ref_parse(s, &args, err, sizeof(err)));
	got = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(got, want_json);
	free(got);
	json_decref(args);
}

static void ref_bad(const char *s, const char *want_err)
{
	char err[256] = "";
	json_t *args = (json_t *)1;

	assert_false(endpoint_ref_parse(s, &args, err, sizeof(err)));
	assert_null(args);
	assert_string_equal(err, want_err);
}

static void args_endpoint_ref(void **state)
{
	ref_ok("7", "{\"id\":7}");
	ref_ok("007", "{\"id\":7}");
	ref_ok("4294967295", "{\"id\":4294967295}");
	ref_ok("3f2a9c0e1b7d", "{\"container_id\":\"3f2a9c0e1b7d\"}");
	ref_ok("pod_1.a-b", "{\"container_id\":\"pod_1.a-b\"}");
	ref_ok("3f2a9c/eth0", "{\"container_id\":\"3f2a9c\",\"ifname\":\"eth0\"}");
	ref_ok("7/net1", "{\"container_id\":\"7\",\"ifname\":\"net1\"}");   /* a slash: a container */
	ref_ok("c/123456789012345", "{\"container_id\":\"c\",\"ifname\":\"123456789012345\"}");

	ref_bad("", "bad endpoint '': empty; expected an id or CONTAINERID[/IFNAME]");
	ref_bad("4294967296", "bad endpoint id '4294967296': too large");
	ref_bad("0", "bad endpoint id '0': ids start at 1");
	ref_bad("99999999999999999999999", "bad endpoint id '99999999999999999999999': too large");
	ref_bad("/eth0", "bad container id '': empty");
	ref_bad("a b", "bad container id 'a b': character 2 is not a letter, digit, '_', '.' or '-'");
	ref_bad("ab;rm", "bad container id 'ab;rm': character 3 is not a letter, digit, '_', '.' or '-'");
	ref_bad("abc/", "bad interface name '' in 'abc/': expected 1 to 15 characters without '/', ':' or blanks");
	ref_bad("abc/eth0/x", "bad interface name 'eth0/x' in 'abc/eth0/x': expected 1 to 15 characters "
		"without '/', ':' or blanks");
	ref_bad("abc/1234567890123456", "bad interface name '1234567890123456' in 'abc/1234567890123456': "
		"expected 1 to 15 characters without '/', ':' or blanks");
	ref_bad("abc/..", "bad interface name '..' in 'abc/..': expected 1 to 15 characters without '/', "
		"':' or blanks");
}

static void args_map_name(void **state)
{
	assert_true(bpf_map_name_valid("weft_ep_ip"));
	assert_true(bpf_map_name_valid("weft_counters"));
	assert_true(bpf_map_name_valid(".rodata"));
	assert_true(bpf_map_name_valid("a23456789012345"));
	assert_false(bpf_map_name_valid(""));
	assert_false(bpf_map_name_valid("a234567890123456"));
	assert_false(bpf_map_name_valid("../weft"));
	assert_false(bpf_map_name_valid("weft ep"));

	run_expect_err(CLI_USAGE, "weftctl bpf map dump: bad map name '../etc': expected 1 to 15 letters, "
		       "digits, '_' or '.'\nRun 'weftctl bpf map dump --help' for usage.\n",
		       "bpf", "map", "dump", "../etc", NULL);
	run_expect_err(CLI_USAGE, "weftctl endpoint get: bad container id 'a:b': character 2 is not a letter, "
		       "digit, '_', '.' or '-'\nRun 'weftctl endpoint get --help' for usage.\n",
		       "endpoint", "get", "a:b", NULL);
}

/* ---- the socket --------------------------------------------------------------------------- */

static void args_socket_default(void **state)
{
	char host[256], want[PATH_MAX + 300];
	struct cli cli;

	unsetenv(CLI_SOCKET_ENV);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	snprintf(want, sizeof(want), "/run/weft/%s/weftd.sock", host);
	cli_init(&cli, stdout, stderr);
	assert_int_equal(cli_socket_resolve(&cli), CLI_OK);
	assert_string_equal(cli.socket, want);

	/* An empty variable is no variable. */
	setenv(CLI_SOCKET_ENV, "", 1);
	cli_init(&cli, stdout, stderr);
	assert_int_equal(cli_socket_resolve(&cli), CLI_OK);
	assert_string_equal(cli.socket, want);

	setenv(CLI_SOCKET_ENV, "/run/weft/node2/weftd.sock", 1);
	cli_init(&cli, stdout, stderr);
	assert_int_equal(cli_socket_resolve(&cli), CLI_OK);
	assert_string_equal(cli.socket, "/run/weft/node2/weftd.sock");

	/* --socket wins over the environment. */
	cli_init(&cli, stdout, stderr);
	cli.socket = "/tmp/x.sock";
	assert_int_equal(cli_socket_resolve(&cli), CLI_OK);
	assert_string_equal(cli.socket, "/tmp/x.sock");
	unsetenv(CLI_SOCKET_ENV);
}

/* The errors a user sees when weftd is not there, against real sockets in a temp dir. */
static void args_daemon_absent(void **state)
{
	char dir[] = "/tmp/wfctestXXXXXX", path[64], want[512], longp[200];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	assert_non_null(mkdtemp(dir));

	snprintf(path, sizeof(path), "%s/none.sock", dir);
	snprintf(want, sizeof(want), "weftctl: weftd is not running: no socket at %s\n", path);
	run_expect_err(CLI_ERR, want, "--socket", path, "status", NULL);
	run_expect_err(CLI_ERR, want, "endpoint", "list", "--socket", path, NULL);
	setenv(CLI_SOCKET_ENV, path, 1);
	run_expect_err(CLI_ERR, want, "endpoint", "get", "7", NULL);
	unsetenv(CLI_SOCKET_ENV);

	/* A socket file nobody listens on: what a killed daemon leaves. */
	snprintf(path, sizeof(path), "%s/dead.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	snprintf(want, sizeof(want), "weftctl: weftd is not running: connection refused at %s\n", path);
	run_expect_err(CLI_ERR, want, "--socket", path, "bpf", "map", "dump", "weft_ep_ip", NULL);
	unlink(path);

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	snprintf(want, sizeof(want), "weftctl: cannot connect to weftd: socket path too long for a unix "
		 "socket: %s\n", longp);
	run_expect_err(CLI_ERR, want, "--socket", longp, "status", NULL);

	/* Bad arguments are found before any connection is tried. */
	run_expect_err(CLI_USAGE, "weftctl endpoint get: bad endpoint id '4294967296': too large\n"
		       "Run 'weftctl endpoint get --help' for usage.\n",
		       "--socket", "/nonexistent", "endpoint", "get", "4294967296", NULL);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(args_output_spellings),
		cmocka_unit_test(args_defaults_and_others),
		cmocka_unit_test(args_bad_options),
		cmocka_unit_test(args_dispatch_errors),
		cmocka_unit_test(args_help),
		cmocka_unit_test(args_table),
		cmocka_unit_test(args_endpoint_ref),
		cmocka_unit_test(args_map_name),
		cmocka_unit_test(args_socket_default),
		cmocka_unit_test(args_daemon_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
