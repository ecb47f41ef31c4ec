/* Unit tests for the plugin's side of weftd's API (cni-plugin/daemon_client.c and the "daemonSocket"
 * keys), against a fake weftd: a forked child on a temporary unix socket that records each
 * request line and answers as scripted. The request has every field right (weftd's own
 * validator accepts it); weftd down, refusing, silent, hanging up or slow to accept; the
 * timeout bounds the whole exchange; DEL through weft_cmd_del with a fake IPAM plugin. No root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cni-plugin/daemon_client.h"
#include "cni-plugin/plugin.h"
#include "cni-plugin/weft_conf.h"
#include "daemon/ep.h"

static char dir[32], sock[64], reqfile[64];
static pid_t server_pid = -1;
static int server_fd = -1;

/* ---- the fake weftd ---------------------------------------------------------------------------- */

enum reply {
	R_RESULT,   /* {"result": <result_json>} */
	R_ERROR,    /* {"error": {"code": err_code, "msg": ...}} */
	R_SILENT,   /* read the request, never answer */
	R_HANGUP,   /* read the request, close */
};

struct script {
	enum reply reply;
	const char *result_json; /* R_RESULT; NULL = {} */
	const char *err_code;    /* R_ERROR */
	int backlog;             /* listen() backlog (0 lets exactly one connection wait) */
	int accept_delay_ms;     /* before the first accept() */
};

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(fd, buf, (size_t)n) != n)
		_exit(3);
}

/* The child: answer every connection as scripted, recording each request line in reqfile. */
static void serve(int lfd, const struct script *s)
{
	if (s->accept_delay_ms)
		usleep((useconds_t)s->accept_delay_ms * 1000);
	for (;;) {
		struct api_buf in = { 0 };
		char chunk[4096], *msg = NULL;
		size_t len;
		long long id;
		json_t *req;
		FILE *f;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(2);
		while (api_buf_next(&in, &msg, &len) != 1) {
			ssize_t n = read(fd, chunk, sizeof(chunk));

			if (n <= 0)
				break;
			api_buf_append(&in, chunk, (size_t)n);
		}
		api_buf_fini(&in);
		if (!msg) { /* a connection that only filled the backlog */
			close(fd);
			continue;
		}
		f = fopen(reqfile, "a");
		if (!f)
			_exit(4);
		fprintf(f, "%s\n", msg);
		fclose(f);
		req = json_loads(msg, 0, NULL);
		free(msg);
		id = json_integer_value(json_object_get(req, "id"));
		json_decref(req);
		switch (s->reply) {
		case R_RESULT:
			say(fd, "{\"weft\":1,\"id\":%lld,\"result\":%s}\n", id, s->result_json ? s->result_json : "{}");
			break;
		case R_ERROR:
			say(fd, "{\"weft\":1,\"id\":%lld,\"error\":{\"code\":\"%s\",\"msg\":\"scripted refusal\"}}\n", id,
			    s->err_code);
			break;
		case R_SILENT:
			pause();
			break;
		case R_HANGUP:
			break;
		}
		close(fd);
	}
}

static void server_start(const struct script *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	server_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(server_fd >= 0);
	assert_int_equal(bind(server_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(server_fd, s->backlog), 0);
	server_pid = fork();
	assert_true(server_pid >= 0);
	if (server_pid == 0)
		serve(server_fd, s);
}

static void server_stop(void)
{
	int st;

	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, &st, 0);
	}
	server_pid = -1;
	if (server_fd >= 0)
		close(server_fd);
	server_fd = -1;
	unlink(sock);
}

/* The n-th request the fake weftd received (0-based), parsed; NULL if there is none. */
static json_t *request(int n)
{
	char line[8192];
	json_t *j = NULL;
	FILE *f = fopen(reqfile, "r");

	for (int i = 0; f && fgets(line, sizeof(line), f); i++) {
		if (i == n) {
			j = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
			assert_non_null(j);
			break;
		}
	}
	if (f)
		fclose(f);
	return j;
}

static int requests(void)
{
	char line[8192];
	int n = 0;
	FILE *f = fopen(reqfile, "r");

	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/wfpd.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/weftd.sock", dir);
	snprintf(reqfile, sizeof(reqfile), "%s/requests", dir);
	return 0;
}

static int teardown(void **state)
{
	DIR *d;
	struct dirent *de;
	char path[320];

	server_stop();
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

/* ---- configuration ---------------------------------------------------------------------------- */

static struct cni_netconf nc;

static unsigned parse(const char *extra, struct weft_conf *wc, char *msg, size_t msglen)
{
	char json[1024];
	struct cni_error e = { 0 };
	unsigned code = 0;

	snprintf(json, sizeof(json), "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"weft\","
		 "\"ipam\":{\"type\":\"weft-ipam\"}%s%s}", extra[0] ? "," : "", extra);
	cni_netconf_fini(&nc);
	if (cni_netconf_parse(json, strlen(json), &nc, &e) < 0 || weft_conf_parse(&nc, wc, &e) < 0)
		code = e.code;
	snprintf(msg, msglen, "%s", e.msg);
	return code;
}

static void conf_keys(void **state)
{
	static const struct {
		const char *extra, *field, *quoted;
	} bad[] = {
		{ "\"daemonSocket\":\"run/weftd.sock\"", "daemonSocket", "run/weftd.sock" },
		{ "\"daemonSocket\":\"\"", "daemonSocket", "''" },
		{ "\"daemonSocket\":7", "daemonSocket", "7" },
		{ "\"daemonSocket\":[\"/a\"]", "daemonSocket", "/a" },
		{ "\"daemonSocket\":\"/run/we\\nftd\"", "daemonSocket", "control" },
		{ "\"daemonSocket\":\"/tmp/\\u0001\"", "daemonSocket", "control" },
		{ "\"daemonTimeoutMs\":0", "daemonTimeoutMs", "0" },
		{ "\"daemonTimeoutMs\":9", "daemonTimeoutMs", "9" },
		{ "\"daemonTimeoutMs\":60001", "daemonTimeoutMs", "60001" },
		{ "\"daemonTimeoutMs\":\"2000\"", "daemonTimeoutMs", "2000" },
		{ "\"daemonTimeoutMs\":-5", "daemonTimeoutMs", "-5" },
		{ "\"daemonTimeoutMs\":1.5", "daemonTimeoutMs", "1.5" },
	};
	struct weft_conf wc;
	char msg[256], extra[300], path[128];

	assert_int_equal(parse("", &wc, msg, sizeof(msg)), 0);
	assert_null(wc.daemon_socket); /* absent: no daemon, the plugin works alone */
	assert_int_equal(wc.daemon_timeout_ms, 2000);
	assert_int_equal(parse("\"daemonSocket\":null", &wc, msg, sizeof(msg)), 0);
	assert_null(wc.daemon_socket);

	assert_int_equal(parse("\"daemonSocket\":\"/run/weft/weftd.sock\",\"daemonTimeoutMs\":500", &wc, msg, sizeof(msg)), 0);
	assert_string_equal(wc.daemon_socket, "/run/weft/weftd.sock");
	assert_int_equal(wc.daemon_timeout_ms, 500);
	assert_int_equal(parse("\"daemonTimeoutMs\":10", &wc, msg, sizeof(msg)), 0);
	assert_int_equal(parse("\"daemonTimeoutMs\":60000", &wc, msg, sizeof(msg)), 0);

	/* sun_path holds 107 bytes and a NUL: 107 is fine, 108 is not */
	memset(path, 'x', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	snprintf(extra, sizeof(extra), "\"daemonSocket\":\"%s\"", path);
	assert_int_equal(parse(extra, &wc, msg, sizeof(msg)), 0);
	assert_int_equal(strlen(wc.daemon_socket), 107);
	path[107] = 'x';
	path[108] = '\0';
	snprintf(extra, sizeof(extra), "\"daemonSocket\":\"%s\"", path);
	assert_int_equal(parse(extra, &wc, msg, sizeof(msg)), CNI_ERR_CONFIG);
	assert_non_null(strstr(msg, "daemonSocket"));
	assert_non_null(strstr(msg, "107"));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].extra, &wc, msg, sizeof(msg)), CNI_ERR_CONFIG);
		if (!strstr(msg, bad[i].field) || !strstr(msg, bad[i].quoted))
			fail_msg("%s: message '%s' does not name %s and quote %s", bad[i].extra, msg, bad[i].field,
				 bad[i].quoted);
	}
	cni_netconf_fini(&nc);
}

/* ---- CNI_ARGS ---------------------------------------------------------------------------------- */

static void pod_args(void **state)
{
	static const struct {
		const char *args, *key;
	} bad[] = {
		{ "K8S_POD_NAME=Nginx", "K8S_POD_NAME" },
		{ "K8S_POD_NAME=-nginx", "K8S_POD_NAME" },
		{ "K8S_POD_NAME=nginx.", "K8S_POD_NAME" },
		{ "K8S_POD_NAME=ngi nx", "K8S_POD_NAME" },
		{ "K8S_POD_NAME=ngi_nx", "K8S_POD_NAME" },
		{ "K8S_POD_NAMESPACE=kube.system", "K8S_POD_NAMESPACE" }, /* a label: no dots */
		{ "K8S_POD_NAMESPACE=Default", "K8S_POD_NAMESPACE" },
	};
	struct daemon_endpoint ep;
	struct cni_error e = { 0 };
	char args[512], name[300];

	/* As containerd's CRI plugin sends them */
	assert_int_equal(daemon_pod_args("IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-5d78c9869d-"
					 "x7k2p;K8S_POD_INFRA_CONTAINER_ID=0123abcd;K8S_POD_UID=3f1e-77", &ep, &e), 0);
	assert_string_equal(ep.pod_name, "coredns-5d78c9869d-x7k2p");
	assert_string_equal(ep.pod_namespace, "kube-system");
	assert_int_equal(daemon_pod_args(NULL, &ep, &e), 0);
	assert_string_equal(ep.pod_name, "");
	assert_string_equal(ep.pod_namespace, "");
	assert_int_equal(daemon_pod_args("IP=10.0.0.5", &ep, &e), 0);
	assert_string_equal(ep.pod_name, "");
	assert_int_equal(daemon_pod_args("K8S_POD_NAME=web.v2-0;K8S_POD_NAMESPACE=", &ep, &e), 0);
	assert_string_equal(ep.pod_name, "web.v2-0");
	assert_string_equal(ep.pod_namespace, ""); /* empty is absent */

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(daemon_pod_args(bad[i].args, &ep, &e), -1);
		assert_int_equal(e.code, CNI_ERR_ENV);
		assert_non_null(strstr(e.msg, bad[i].key));
		assert_non_null(strstr(e.msg, strchr(bad[i].args, '=') + 1)); /* the value quoted */
	}
	/* 253 bytes is the longest name, 63 the longest namespace */
	memset(name, 'a', sizeof(name));
	name[253] = '\0';
	snprintf(args, sizeof(args), "K8S_POD_NAME=%s", name);
	assert_int_equal(daemon_pod_args(args, &ep, &e), 0);
	assert_int_equal(strlen(ep.pod_name), 253);
	name[253] = 'a';
	name[254] = '\0';
	snprintf(args, sizeof(args), "K8S_POD_NAME=%s", name);
	memset(&e, 0, sizeof(e));
	assert_int_equal(daemon_pod_args(args, &ep, &e), -1);
	assert_int_equal(e.code, CNI_ERR_ENV);
	assert_non_null(strstr(e.msg, "K8S_POD_NAME"));
	name[64] = '\0';
	snprintf(args, sizeof(args), "K8S_POD_NAMESPACE=%s", name);
	memset(&e, 0, sizeof(e));
	assert_int_equal(daemon_pod_args(args, &ep, &e), -1);
	assert_non_null(strstr(e.msg, "K8S_POD_NAMESPACE"));
}

/* ---- endpoint.add ------------------------------------------------------------------------------ */

#define CID "2f8e1c7a9b3d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef1"

static void sample(struct daemon_endpoint *ep, bool pod)
{
	static const uint8_t hmac[6] = { 0x0e, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t pmac[6] = { 0xae, 0xbb, 0xcc, 0xdd, 0xee, 0xf0 };

	memset(ep, 0, sizeof(*ep));
	ep->containerid = CID;
	ep->ifname = "eth0";
	ep->netns = "/var/run/netns/cni-1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901";
	ep->network = "weft";
	ep->host_ifname = "wft3a9c0e12bd47";
	ep->host_ifindex = 1234;
	memcpy(ep->host_mac, hmac, 6);
	memcpy(ep->pod_mac, pmac, 6);
	inet_addr_parse("10.244.1.5", &ep->ips[0]);
	inet_addr_parse("fd00:10:244:1::5", &ep->ips[1]);
	ep->n_ips = 2;
	if (pod) {
		snprintf(ep->pod_name, sizeof(ep->pod_name), "nginx-7d4f9c-abcde");
		snprintf(ep->pod_namespace, sizeof(ep->pod_namespace), "default");
	}
}

static struct daemon_target target(int timeout_ms)
{
	return (struct daemon_target){ sock, timeout_ms };
}

static void check_envelope(json_t *req, const char *op)
{
	assert_non_null(req);
	assert_int_equal(json_integer_value(json_object_get(req, "weft")), API_VERSION);
	assert_true(json_is_integer(json_object_get(req, "id")));
	assert_string_equal(json_string_value(json_object_get(req, "op")), op);
	assert_true(json_is_object(json_object_get(req, "args")));
}

static void add_request(void **state)
{
	struct script s = { .reply = R_RESULT, .backlog = 4, .result_json = "{\"id\":1}" };
	struct daemon_target t = target(2000);
	struct daemon_endpoint ep;
	struct cni_error e = { 0 };
	struct ep parsed;
	char err[512];
	bool maybe = true;
	json_t *req, *args, *ips;

	server_start(&s);
	sample(&ep, true);
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), 0);
	assert_false(maybe);
	assert_int_equal(e.code, 0);
	assert_int_equal(requests(), 1); /* one connection, one request */

	req = request(0);
	check_envelope(req, "endpoint.add");
	args = json_object_get(req, "args");
	assert_int_equal(json_object_size(args), 11);
	assert_string_equal(json_string_value(json_object_get(args, "container_id")), CID);
	assert_string_equal(json_string_value(json_object_get(args, "ifname")), "eth0");
	assert_string_equal(json_string_value(json_object_get(args, "netns")), ep.netns);
	assert_string_equal(json_string_value(json_object_get(args, "network")), "weft");
	assert_string_equal(json_string_value(json_object_get(args, "host_ifname")), "wft3a9c0e12bd47");
	assert_int_equal(json_integer_value(json_object_get(args, "host_ifindex")), 1234);
	assert_true(json_is_integer(json_object_get(args, "host_ifindex")));
	assert_string_equal(json_string_value(json_object_get(args, "host_mac")), "0e:11:22:33:44:55");
	assert_string_equal(json_string_value(json_object_get(args, "pod_mac")), "ae:bb:cc:dd:ee:f0");
	ips = json_object_get(args, "ips");
	assert_int_equal(json_array_size(ips), 2);
	assert_string_equal(json_string_value(json_array_get(ips, 0)), "10.244.1.5");
	assert_string_equal(json_string_value(json_array_get(ips, 1)), "fd00:10:244:1::5");
	assert_string_equal(json_string_value(json_object_get(args, "pod_name")), "nginx-7d4f9c-abcde");
	assert_string_equal(json_string_value(json_object_get(args, "pod_namespace")), "default");
	/* weftd's own validator takes it as is */
	if (ep_parse(args, false, &parsed, err, sizeof(err)) < 0)
		fail_msg("weftd would refuse the request: %s", err);
	assert_int_equal(parsed.host_ifindex, 1234);
	assert_int_equal(parsed.n_ips, 2);
	assert_string_equal(parsed.pod_name, "nginx-7d4f9c-abcde");
	json_decref(req);

	/* Without pod name and namespace (not a Kubernetes runtime): the keys are absent. */
	sample(&ep, false);
	ep.n_ips = 1;
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), 0);
	req = request(1);
	args = json_object_get(req, "args");
	assert_int_equal(json_object_size(args), 9);
	assert_null(json_object_get(args, "pod_name"));
	assert_null(json_object_get(args, "pod_namespace"));
	assert_int_equal(json_array_size(json_object_get(args, "ips")), 1);
	if (ep_parse(args, false, &parsed, err, sizeof(err)) < 0)
		fail_msg("weftd would refuse the request: %s", err);
	json_decref(req);
}

static void add_refused(void **state)
{
	struct script s = { .reply = R_ERROR, .err_code = "exists", .backlog = 4 };
	struct daemon_target t = target(2000);
	struct daemon_endpoint ep;
	struct cni_error e = { 0 };
	bool maybe = true;

	server_start(&s);
	sample(&ep, true);
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DAEMON);
	assert_false(maybe); /* weftd said no: it holds nothing of this ADD */
	assert_non_null(strstr(e.msg, sock));
	assert_non_null(strstr(e.msg, "exists: scripted refusal"));
	assert_non_null(strstr(e.msg, CID "/eth0"));
	assert_non_null(strstr(e.details, "scripted refusal"));
}

/* STATUS and GC ask weftd too: "status" answered is ready; no socket is 11; a refusal is 110. */
static void status_request(void **state)
{
	struct script s = { .reply = R_RESULT, .result_json = "{\"node\":\"n1\"}", .backlog = 4 };
	struct daemon_target t = target(2000);
	struct cni_error e = { 0 };
	json_t *req;

	assert_int_equal(daemon_status(&t, &e), -1);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	assert_non_null(strstr(e.msg, "report its status"));
	server_start(&s);
	memset(&e, 0, sizeof(e));
	assert_int_equal(daemon_status(&t, &e), 0);
	assert_int_equal(requests(), 1);
	req = request(0);
	check_envelope(req, "status");
	json_decref(req);
}

static void add_daemon_down(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct daemon_target t = target(2000);
	struct daemon_endpoint ep;
	struct cni_error e = { 0 };
	bool maybe = true;
	long long t0 = now_ms();
	int fd;

	sample(&ep, true);
	/* no socket at all */
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), -1);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	assert_false(maybe);
	assert_non_null(strstr(e.msg, sock));
	assert_non_null(strstr(e.msg, "no socket"));

	/* a socket left behind by a daemon that died: refused */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	memset(&e, 0, sizeof(e));
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), -1);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	assert_false(maybe);
	assert_non_null(strstr(e.msg, sock));
	assert_non_null(strstr(e.msg, "refused"));
	/* neither waits for the timeout */
	assert_true(now_ms() - t0 < 500);
	unlink(sock);

	/* a path that is not a socket */
	fd = open(sock, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	memset(&e, 0, sizeof(e));
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), -1);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	assert_non_null(strstr(e.msg, sock));
	unlink(sock);
}

/* elapsed within [want - 5, want + slack] */
static void assert_took(long long t0, int want, int slack)
{
	long long took = now_ms() - t0;

	if (took < want - 5 || took > want + slack)
		fail_msg("took %lld ms, expected %d ms (+%d)", took, want, slack);
}

static void add_timeout(void **state)
{
	struct script s = { .reply = R_SILENT, .backlog = 4 };
	struct daemon_target t = target(300);
	struct daemon_endpoint ep;
	struct cni_error e = { 0 };
	bool maybe = false;
	long long t0;

	server_start(&s);
	sample(&ep, true);
	t0 = now_ms();
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), -1);
	assert_took(t0, 300, 150);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	assert_true(maybe); /* the request went out: weftd may have done it */
	assert_non_null(strstr(e.msg, sock));
	assert_non_null(strstr(e.msg, "timed out"));
	server_stop();

	/* a daemon that hangs up after reading */
	s.reply = R_HANGUP;
	server_start(&s);
	memset(&e, 0, sizeof(e));
	maybe = false;
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), -1);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	assert_true(maybe);
	assert_non_null(strstr(e.msg, "closed the connection"));
}

/* A daemon whose accept queue is full: connect itself waits, and the wait counts against the
 * same budget as the answer. */
static void timeout_is_total(void **state)
{
	struct script s = { .reply = R_SILENT, .backlog = 0, .accept_delay_ms = 200 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct daemon_target t = target(400);
	struct daemon_endpoint ep;
	struct cni_error e = { 0 };
	bool maybe = false;
	long long t0;
	int filler;

	server_start(&s);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	/* backlog 0 lets exactly one connection wait: take that place */
	filler = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(filler); /* the server accepts it after 200 ms, reads EOF, and goes on to ours */
	sample(&ep, true);
	t0 = now_ms();
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), -1);
	/* 400 ms in all, not 200 of connecting plus 400 of waiting */
	assert_took(t0, 400, 150);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	server_stop();

	/* never accepted at all: connect times out, nothing was sent */
	s.accept_delay_ms = 5000;
	server_start(&s);
	filler = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&sa, sizeof(sa)), 0);
	memset(&e, 0, sizeof(e));
	maybe = true;
	t0 = now_ms();
	assert_int_equal(daemon_endpoint_add(&t, &ep, &maybe, &e), -1);
	assert_took(t0, 400, 150);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	assert_false(maybe);
	assert_non_null(strstr(e.msg, "no connection accepted"));
	close(filler);
}

/* ---- endpoint.del and endpoint.get ------------------------------------------------------------- */

static void del_request(void **state)
{
	struct script s = { .reply = R_RESULT, .backlog = 4, .result_json = "{\"removed\":true}" };
	struct daemon_target t = target(2000);
	struct cni_error e = { 0 };
	json_t *req, *args;

	server_start(&s);
	assert_int_equal(daemon_endpoint_del(&t, CID, "net1", &e), 0);
	req = request(0);
	check_envelope(req, "endpoint.del");
	args = json_object_get(req, "args");
	assert_int_equal(json_object_size(args), 2);
	assert_string_equal(json_string_value(json_object_get(args, "container_id")), CID);
	assert_string_equal(json_string_value(json_object_get(args, "ifname")), "net1");
	json_decref(req);
	server_stop();

	s = (struct script){ .reply = R_ERROR, .err_code = "internal", .backlog = 4 };
	server_start(&s);
	assert_int_equal(daemon_endpoint_del(&t, CID, "net1", &e), -1);
	assert_int_equal(e.code, CNI_ERR_DAEMON);
	assert_non_null(strstr(e.msg, "internal: scripted refusal"));
	server_stop();

	memset(&e, 0, sizeof(e));
	assert_int_equal(daemon_endpoint_del(&t, CID, "net1", &e), -1);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
	assert_non_null(strstr(e.msg, sock));
}

static void get_request(void **state)
{
	struct script s = { .reply = R_RESULT, .backlog = 4,
			    .result_json = "{\"id\":3,\"container_id\":\"" CID "\",\"ifname\":\"eth0\"}" };
	struct daemon_target t = target(2000);
	struct cni_error e = { 0 };
	json_t *got = NULL, *req, *args;

	server_start(&s);
	assert_int_equal(daemon_endpoint_get(&t, CID, "eth0", &got, &e), 1);
	assert_int_equal(json_integer_value(json_object_get(got, "id")), 3);
	json_decref(got);
	req = request(0);
	check_envelope(req, "endpoint.get");
	args = json_object_get(req, "args");
	assert_int_equal(json_object_size(args), 2);
	assert_string_equal(json_string_value(json_object_get(args, "container_id")), CID);
	assert_string_equal(json_string_value(json_object_get(args, "ifname")), "eth0");
	json_decref(req);
	/* weftd matches prefixes too: an endpoint of a longer container ID is not ours */
	assert_int_equal(daemon_endpoint_get(&t, "2f8e1c7a", "eth0", &got, &e), 0);
	assert_null(got);
	server_stop();

	s = (struct script){ .reply = R_ERROR, .err_code = "not-found", .backlog = 4 };
	server_start(&s);
	assert_int_equal(daemon_endpoint_get(&t, CID, "eth0", &got, &e), 0);
	assert_null(got);
	assert_int_equal(e.code, 0);
	server_stop();

	s.err_code = "internal";
	server_start(&s);
	assert_int_equal(daemon_endpoint_get(&t, CID, "eth0", &got, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DAEMON);
	server_stop();

	memset(&e, 0, sizeof(e));
	assert_int_equal(daemon_endpoint_get(&t, CID, "eth0", &got, &e), -1);
	assert_int_equal(e.code, CNI_ERR_TRY_AGAIN);
}

struct fails {
	char all[2048];
	unsigned n;
};

static void collect(void *arg, const char *what)
{
	struct fails *f = arg;

	snprintf(f->all + strlen(f->all), sizeof(f->all) - strlen(f->all), "%s|", what);
	f->n++;
}

static void compare(void **state)
{
	struct daemon_endpoint want;
	struct fails f = { 0 };
	json_t *got;

	sample(&want, true);
	/* what weftd answers for the same endpoint: its own encoding, addresses in another order */
	got = daemon_endpoint_json(&want);
	assert_non_null(got);
	json_object_set_new(got, "ips", json_pack("[s,s]", "fd00:10:244:1::5", "10.244.1.5"));
	json_object_set_new(got, "host_mac", json_string("0E:11:22:33:44:55"));
	assert_int_equal(daemon_endpoint_compare(got, &want, collect, &f), 0);
	assert_int_equal(f.n, 0);

	/* each difference named */
	json_object_set_new(got, "host_ifindex", json_integer(99));
	json_object_set_new(got, "pod_mac", json_string("ae:bb:cc:dd:ee:01"));
	json_object_set_new(got, "ips", json_pack("[s]", "10.244.1.5"));
	json_object_set_new(got, "netns", json_string("/var/run/netns/other"));
	json_object_del(got, "host_ifname");
	assert_int_equal(daemon_endpoint_compare(got, &want, collect, &f), 5);
	assert_int_equal(f.n, 5);
	assert_non_null(strstr(f.all, "host_ifindex 99, expected 1234"));
	assert_non_null(strstr(f.all, "pod_mac ae:bb:cc:dd:ee:01, expected ae:bb:cc:dd:ee:f0"));
	assert_non_null(strstr(f.all, "ips [\"10.244.1.5\"], expected 10.244.1.5,fd00:10:244:1::5"));
	assert_non_null(strstr(f.all, "netns /var/run/netns/other"));
	assert_non_null(strstr(f.all, "host_ifname (none), expected wft3a9c0e12bd47"));

	/* what the caller could not see (a missing link) is not compared */
	memset(&f, 0, sizeof(f));
	want.host_ifindex = 0;
	memset(want.pod_mac, 0, 6);
	want.n_ips = 0;
	want.netns = NULL;
	want.host_ifname = NULL;
	assert_int_equal(daemon_endpoint_compare(got, &want, collect, &f), 0);
	json_decref(got);
}

/* ---- DEL through the plugin: weftd first, then the rest whatever weftd said -------------------- */

static const char *fake_env[8][2];

static const char *fake_getenv(const char *k)
{
	for (int i = 0; i < 8 && fake_env[i][0]; i++)
		if (strcmp(fake_env[i][0], k) == 0)
			return fake_env[i][1];
	return NULL;
}

/* Load a DEL of CID/eth0 with daemonSocket set and a fake IPAM plugin that records, for each
 * call, whether weftd had been asked already. */
static void load_del(struct plugin *p, int timeout_ms)
{
	char json[512], ipam[128];
	struct cni_error e = { 0 };
	FILE *f;
	int fds[2];
	const char *kv[][2] = {
		{ "CNI_COMMAND", "DEL" }, { "CNI_CONTAINERID", CID }, { "CNI_NETNS", "/nonexistent/netns" },
		{ "CNI_IFNAME", "eth0" }, { "CNI_PATH", dir },
	};

	memset(fake_env, 0, sizeof(fake_env));
	memcpy(fake_env, kv, sizeof(kv));
	snprintf(ipam, sizeof(ipam), "%s/fakeipam", dir);
	f = fopen(ipam, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncat >/dev/null\nd=$(dirname \"$0\")\n"
		"if [ -s \"$d/requests\" ]; then echo \"$CNI_COMMAND after weftd\"; else echo \"$CNI_COMMAND\"; fi >> \"$d/ipam.log\"\n");
	fclose(f);
	chmod(ipam, 0755);
	snprintf(json, sizeof(json), "{\"cniVersion\":\"1.1.0\",\"name\":\"weft\",\"type\":\"weft\",\"daemonSocket\":\"%s\","
		 "\"daemonTimeoutMs\":%d,\"ipam\":{\"type\":\"fakeipam\"}}", sock, timeout_ms);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], json, strlen(json)), (ssize_t)strlen(json));
	close(fds[1]);
	if (plugin_load(p, fake_getenv, fds[0], &e) < 0)
		fail_msg("plugin_load: %s", e.msg);
	close(fds[0]);
}

static void ipam_log(char *buf, size_t len)
{
	char path[160];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/ipam.log", dir);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
		unlink(path);
	}
	buf[n] = '\0';
}

static void cmd_del(void **state)
{
	static struct plugin p;
	struct script s = { .reply = R_RESULT, .backlog = 4, .result_json = "{\"removed\":true}" };
	struct cni_error e = { 0 };
	json_t *out = NULL, *req;
	char log[256];
	long long t0;

	/* weftd answers: unregistered, then IPAM released */
	server_start(&s);
	load_del(&p, 2000);
	assert_int_equal(weft_cmd_del(&p, &out, &e), 0);
	assert_int_equal(e.code, 0);
	req = request(0);
	check_envelope(req, "endpoint.del");
	assert_string_equal(json_string_value(json_object_get(json_object_get(req, "args"), "container_id")), CID);
	json_decref(req);
	ipam_log(log, sizeof(log));
	assert_string_equal(log, "DEL after weftd\n");
	plugin_fini(&p);
	server_stop();
	unlink(reqfile);

	/* weftd down: DEL still succeeds and releases */
	load_del(&p, 2000);
	t0 = now_ms();
	assert_int_equal(weft_cmd_del(&p, &out, &e), 0);
	assert_int_equal(e.code, 0);
	assert_true(now_ms() - t0 < 1000);
	ipam_log(log, sizeof(log));
	assert_string_equal(log, "DEL\n");
	plugin_fini(&p);

	/* weftd wedged: DEL waits no longer than the timeout, then succeeds */
	s.reply = R_SILENT;
	server_start(&s);
	load_del(&p, 200);
	t0 = now_ms();
	assert_int_equal(weft_cmd_del(&p, &out, &e), 0);
	assert_took(t0, 200, 300);
	ipam_log(log, sizeof(log));
	assert_string_equal(log, "DEL after weftd\n");
	plugin_fini(&p);
	server_stop();
	unlink(reqfile);

	/* weftd refuses: DEL fails (the runtime retries), but IPAM was released all the same */
	s = (struct script){ .reply = R_ERROR, .err_code = "internal", .backlog = 4 };
	server_start(&s);
	load_del(&p, 2000);
	assert_int_equal(weft_cmd_del(&p, &out, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DAEMON);
	assert_non_null(strstr(e.msg, "unregister"));
	ipam_log(log, sizeof(log));
	assert_string_equal(log, "DEL after weftd\n");
	plugin_fini(&p);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conf_keys),
		cmocka_unit_test(pod_args),
		cmocka_unit_test_setup_teardown(add_request, setup, teardown),
		cmocka_unit_test_setup_teardown(add_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(add_daemon_down, setup, teardown),
		cmocka_unit_test_setup_teardown(status_request, setup, teardown),
		cmocka_unit_test_setup_teardown(add_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_is_total, setup, teardown),
		cmocka_unit_test_setup_teardown(del_request, setup, teardown),
		cmocka_unit_test_setup_teardown(get_request, setup, teardown),
		cmocka_unit_test(compare),
		cmocka_unit_test_setup_teardown(cmd_del, setup, teardown),
	};

	/* the fake weftd's peer may vanish mid-write */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
