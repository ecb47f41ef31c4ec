/* Unit tests for IPAM delegation, against small fake IPAM plugins (shell scripts in a temp
 * directory): CNI_PATH lookup, the environment and stdin the plugin gets, result decoding, error
 * propagation (code, msg, details), non-CNI answers, signals, a plugin that does not read its
 * stdin, and the retry with cniVersion 1.0.0 that host-local needs. No root needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni-plugin/ipam_exec.h"

static char dir[64];
static char cni_path[256];

static void script(const char *name, mode_t mode, const char *body)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, mode);
}

/* Read dir/name into buf ("" if absent). */
static void slurp(const char *name, char *buf, size_t len)
{
	char path[128];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

#define RESULT "{\"cniVersion\":\"1.1.0\",\"ips\":[{\"address\":\"10.0.0.5/24\",\"gateway\":\"10.0.0.1\"}," \
	       "{\"address\":\"fd00::5/64\"}],\"routes\":[{\"dst\":\"10.9.0.0/16\"}],\"dns\":{\"nameservers\":[\"10.0.0.53\"]}}"

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/wfpu.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* an empty directory first: lookup must go on to the next CNI_PATH entry */
	snprintf(cni_path, sizeof(cni_path), "/nonexistent::%s", dir);
	script("ok", 0755,
	       "cat > \"$0.in\"\n"
	       "env | grep '^CNI_' | sort > \"$0.env\"\n"
	       "case \"$CNI_COMMAND\" in\n"
	       "ADD) echo '" RESULT "' ;;\n"
	       "VERSION) echo '{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\",\"1.1.0\"]}' ;;\n"
	       "esac");
	script("fail", 0755,
	       "cat >/dev/null\n"
	       "echo '{\"cniVersion\":\"1.1.0\",\"code\":107,\"msg\":\"address 10.0.0.5 in use\",\"details\":\"by c9/eth0\"}'\n"
	       "exit 1");
	script("garbage", 0755, "cat >/dev/null; echo 'panic: runtime error'; exit 2");
	script("killed", 0755, "cat >/dev/null; kill -9 $$");
	script("noip", 0755, "cat >/dev/null; echo '{\"cniVersion\":\"1.1.0\",\"ips\":[]}'");
	script("silent", 0755, "cat >/dev/null; exit 0");
	script("badresult", 0755, "cat >/dev/null; echo '{\"cniVersion\":\"1.1.0\",\"ips\":[{\"address\":\"nope\"}]}'");
	script("notexec", 0644, "echo '" RESULT "'");
	/* exits at once, without reading stdin: the writer must survive EPIPE */
	script("noread", 0755, "echo '" RESULT "'");
	/* like the reference plugins 1.1.x: 1.1.0 is answered with code 1, 1.0.0 works */
	script("v100", 0755,
	       "in=$(cat)\n"
	       "if [ \"$CNI_COMMAND\" = VERSION ]; then\n"
	       "  echo '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\"]}'; exit 0\n"
	       "fi\n"
	       "echo x >> \"$0.calls\"\n"
	       "case \"$in\" in *'\"cniVersion\":\"1.1.0\"'*)\n"
	       "  echo '{\"code\":1,\"msg\":\"incompatible CNI versions\",\"details\":\"config is 1.1.0\"}'; exit 1 ;;\n"
	       "esac\n"
	       "echo \"$in\" > \"$0.in\"\n"
	       "[ \"$CNI_COMMAND\" = ADD ] && echo '" RESULT "'\n"
	       "exit 0");
	setenv("CNI_COMMAND", "ADD", 1);
	setenv("CNI_CONTAINERID", "c1", 1);
	setenv("CNI_NETNS", "/run/netns/p1", 1);
	setenv("CNI_IFNAME", "eth0", 1);
	setenv("CNI_PATH", cni_path, 1);
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[320];

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

static const char conf110[] = "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"weft\",\"ipam\":{\"type\":\"x\"}}";

static json_t *root;

static void x_init(struct ipam_exec *x, const char *type, const char *conf)
{
	json_decref(root);
	root = json_loads(conf, 0, NULL);
	assert_non_null(root);
	ipam_exec_init(x, type, cni_path, conf, strlen(conf), root, CNI_V110);
}

static void add_ok(void **state)
{
	struct ipam_exec x;
	struct cni_result r;
	struct cni_error e = { 0 };
	char buf[4096], want[320];

	x_init(&x, "ok", conf110);
	assert_int_equal(ipam_exec_add(&x, &r, &e), 0);
	assert_int_equal(r.n_ips, 2);
	assert_int_equal(r.ips[0].addr.len, 24);
	assert_int_equal(r.n_routes, 1);
	assert_non_null(r.dns);
	cni_result_fini(&r);
	/* found in the second CNI_PATH directory */
	snprintf(want, sizeof(want), "%s/ok", dir);
	assert_string_equal(x.path, want);
	/* stdin: the configuration exactly as given */
	slurp("ok.in", buf, sizeof(buf));
	assert_string_equal(buf, conf110);
	/* environment: ours, with the command */
	slurp("ok.env", buf, sizeof(buf));
	assert_non_null(strstr(buf, "CNI_COMMAND=ADD\n"));
	assert_non_null(strstr(buf, "CNI_CONTAINERID=c1\n"));
	assert_non_null(strstr(buf, "CNI_IFNAME=eth0\n"));
	assert_non_null(strstr(buf, "CNI_NETNS=/run/netns/p1\n"));
	ipam_exec_fini(&x);
}

/* DEL on behalf of another attachment (GC): its ID and ifname replace ours, CNI_NETNS goes. */
static void target_env(void **state)
{
	struct ipam_target t = { .containerid = "stale1", .ifname = "net3", .netns = "" };
	struct ipam_exec x;
	struct cni_error e = { 0 };
	char buf[4096];

	x_init(&x, "ok", conf110);
	assert_int_equal(ipam_exec_call(&x, CNI_CMD_DEL, &t, NULL, &e), 0);
	slurp("ok.env", buf, sizeof(buf));
	assert_non_null(strstr(buf, "CNI_COMMAND=DEL\n"));
	assert_non_null(strstr(buf, "CNI_CONTAINERID=stale1\n"));
	assert_non_null(strstr(buf, "CNI_IFNAME=net3\n"));
	assert_null(strstr(buf, "CNI_NETNS="));
	assert_null(strstr(buf, "c1"));
	ipam_exec_fini(&x);
}

static void errors_propagate(void **state)
{
	struct ipam_exec x;
	struct cni_result r;
	struct cni_error e = { 0 };

	x_init(&x, "fail", conf110);
	assert_int_equal(ipam_exec_add(&x, &r, &e), -1);
	assert_int_equal(e.code, 107);
	assert_string_equal(e.msg, "fail: address 10.0.0.5 in use");
	assert_string_equal(e.details, "by c9/eth0");
	ipam_exec_fini(&x);

	/* the first error wins: a later IPAM failure does not overwrite it */
	memset(&e, 0, sizeof(e));
	cni_error_set(&e, 101, "first");
	x_init(&x, "fail", conf110);
	assert_int_equal(ipam_exec_call(&x, CNI_CMD_DEL, NULL, NULL, &e), -1);
	assert_int_equal(e.code, 101);
	assert_string_equal(e.msg, "first");
	ipam_exec_fini(&x);
}

static void bad_plugins(void **state)
{
	static const struct {
		const char *type, *needle;
	} cases[] = {
		{ "garbage", "exit status 2" },
		{ "killed", "signal 9" },
		{ "noip", "without an address" },
		{ "silent", "with nothing" },
		{ "badresult", "bad result" },
		{ "notexec", "not found in CNI_PATH" },
		{ "missing", "not found in CNI_PATH" },
	};
	struct ipam_exec x;
	struct cni_result r;
	struct cni_error e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		x_init(&x, cases[i].type, conf110);
		assert_int_equal(ipam_exec_add(&x, &r, &e), -1);
		assert_int_equal(e.code, CNI_ERR_IPAM_EXEC);
		if (!strstr(e.msg, cases[i].needle))
			fail_msg("%s: '%s' lacks '%s'", cases[i].type, e.msg, cases[i].needle);
		ipam_exec_fini(&x);
	}
	/* non-JSON output is quoted in details */
	memset(&e, 0, sizeof(e));
	x_init(&x, "garbage", conf110);
	assert_int_equal(ipam_exec_add(&x, &r, &e), -1);
	assert_non_null(strstr(e.details, "panic: runtime error"));
	ipam_exec_fini(&x);
}

/* A configuration larger than a pipe's buffer, to a plugin that reads it all and to one that
 * reads none of it: both complete, neither deadlocks nor kills us with SIGPIPE. */
static void big_config(void **state)
{
	enum { BIG = 300000 };
	char *conf = malloc(BIG + 128), *buf = malloc(BIG + 128);
	struct ipam_exec x;
	struct cni_result r;
	struct cni_error e = { 0 };
	int n;

	assert_non_null(conf);
	assert_non_null(buf);
	n = snprintf(conf, BIG + 128, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"weft\",\"pad\":\"");
	memset(conf + n, 'p', BIG);
	strcpy(conf + n + BIG, "\"}");
	x_init(&x, "ok", conf);
	assert_int_equal(ipam_exec_add(&x, &r, &e), 0);
	cni_result_fini(&r);
	slurp("ok.in", buf, BIG + 128);
	assert_string_equal(buf, conf);
	ipam_exec_fini(&x);

	x_init(&x, "noread", conf);
	assert_int_equal(ipam_exec_add(&x, &r, &e), 0);
	assert_int_equal(r.n_ips, 2);
	cni_result_fini(&r);
	ipam_exec_fini(&x);
	free(conf);
	free(buf);
}

static void version_retry(void **state)
{
	struct ipam_exec x;
	struct cni_result r;
	struct cni_error e = { 0 };
	char buf[4096];

	x_init(&x, "v100", conf110);
	assert_int_equal(ipam_exec_add(&x, &r, &e), 0);
	cni_result_fini(&r);
	slurp("v100.in", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"cniVersion\":\"1.0.0\""));
	assert_non_null(strstr(buf, "\"ipam\":{\"type\":\"x\"}")); /* the rest kept */
	slurp("v100.calls", buf, sizeof(buf));
	assert_string_equal(buf, "x\nx\n");
	/* remembered: DEL goes straight to 1.0.0 */
	assert_int_equal(ipam_exec_call(&x, CNI_CMD_DEL, NULL, NULL, &e), 0);
	slurp("v100.calls", buf, sizeof(buf));
	assert_string_equal(buf, "x\nx\nx\n");
	ipam_exec_fini(&x);

	/* only a 1.1.0 configuration is retried: under any other, code 1 is a real
	 * incompatibility and is reported after one call */
	json_decref(root);
	root = json_loads(conf110, 0, NULL);
	ipam_exec_init(&x, "v100", cni_path, conf110, strlen(conf110), root, CNI_V100);
	assert_int_equal(ipam_exec_add(&x, &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_VERSION);
	slurp("v100.calls", buf, sizeof(buf));
	assert_string_equal(buf, "x\nx\nx\nx\n");
	ipam_exec_fini(&x);
}

static void supports(void **state)
{
	struct ipam_exec x;
	struct cni_error e = { 0 };
	bool yes;

	x_init(&x, "ok", conf110);
	assert_int_equal(ipam_exec_supports(&x, CNI_V110, &yes, &e), 0);
	assert_true(yes);
	ipam_exec_fini(&x);
	/* host-local: no 1.1.0, so GC falls back to DEL and STATUS skips it */
	x_init(&x, "v100", conf110);
	assert_int_equal(ipam_exec_supports(&x, CNI_V110, &yes, &e), 0);
	assert_false(yes);
	assert_int_equal(ipam_exec_supports(&x, CNI_V100, &yes, &e), 0);
	assert_true(yes);
	ipam_exec_fini(&x);
	/* a plugin that cannot answer VERSION */
	x_init(&x, "garbage", conf110);
	assert_int_equal(ipam_exec_supports(&x, CNI_V110, &yes, &e), -1);
	assert_int_equal(e.code, CNI_ERR_IPAM_EXEC);
	ipam_exec_fini(&x);
}

static int teardown_all(void **state)
{
	json_decref(root);
	root = NULL;
	return teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_ok),
		cmocka_unit_test(target_env),
		cmocka_unit_test(errors_propagate),
		cmocka_unit_test(bad_plugins),
		cmocka_unit_test(big_config),
		cmocka_unit_test(version_retry),
		cmocka_unit_test(supports),
	};

	/* as main() does: a plugin that exits without reading must not kill us */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown_all);
}
