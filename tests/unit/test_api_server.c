/* weftd's API server (daemon/api.c) on a real unix socket and libev loop in a child process,
 * the data path faked: replies in order for many requests in one write, malformed JSON and
 * unknown ops answered without dropping the client, a line over API_MSG_MAX answered "too-big"
 * then closed, a client that never reads disconnected while others are served, clients that
 * vanish mid-reply, the client limit, the socket's mode, and stale/live socket files. */
// WRAP: dp_status dp_endpoint_upsert dp_endpoint_remove dp_endpoint_foreach dp_endpoint_attached dp_counters_get dp_map_dump
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/api.h"

json_t *__wrap_dp_status(struct dp *dp);
int __wrap_dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
int __wrap_dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
int __wrap_dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg);
bool __wrap_dp_endpoint_attached(struct dp *dp, unsigned ifindex);
int __wrap_dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out);
int __wrap_dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen);

json_t *__wrap_dp_status(struct dp *dp)
{
	return json_pack("{s:[{s:s}], s:[]}", "programs", "name", "weft_lxc", "maps");
}
int __wrap_dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen) { return 0; }
int __wrap_dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen) { return 0; }
int __wrap_dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg) { return 0; }
bool __wrap_dp_endpoint_attached(struct dp *dp, unsigned ifindex) { return true; }
int __wrap_dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out) { return -ENOENT; }

/* "big": a 1 MiB dump, for filling a slow reader's queue; "huge": more than a message may be. */
int __wrap_dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen)
{
	size_t n = strcmp(name, "huge") == 0 ? API_MSG_MAX + 10 : strcmp(name, "big") == 0 ? 1u << 20 : 0;
	char *s;

	if (n == 0)
		return -ENOENT;
	s = malloc(n + 1);
	memset(s, 'z', n);
	s[n] = '\0';
	*out = json_pack("{s:s, s:[s]}", "name", name, "entries", s);
	free(s);
	return 0;
}

static char dir[64], sock[100];
static pid_t child;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* The server in a child: its own loop, a real endpoint table, the fake data path. */
static void server_start(unsigned max_clients)
{
	static int seq;
	struct stat sb;
	int i;

	snprintf(dir, sizeof(dir), "/tmp/wft-srv-test-%d-%d", (int)getpid(), seq++);
	snprintf(sock, sizeof(sock), "%s/api/weftd.sock", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct api_server *srv;
		struct api_ctx ctx = { 0 };
		struct conf c;
		char err[512];

		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		log_set_level(LOG_LEVEL_WARN);
		signal(SIGPIPE, SIG_IGN);
		if (conf_parse("{}", 2, "n1", &c, err, sizeof(err)) < 0)
			_exit(2);
		snprintf(c.api_socket, sizeof(c.api_socket), "%s", sock);
		c.api_max_clients = max_clients;
		if (ep_table_open(dir, &ctx.eps, err, sizeof(err)) < 0)
			_exit(3);
		ctx.conf = &c;
		ctx.started = time(NULL);
		if (api_server_new(EV_DEFAULT, &c, &ctx, &srv, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			_exit(4);
		}
		ev_run(EV_DEFAULT, 0);
		_exit(0);
	}
	for (i = 0; i < 200 && stat(sock, &sb) < 0; i++)
		usleep(10000);
	assert_true(i < 200);
	usleep(20000); /* chmod and listen follow bind */
}

static void server_stop(void)
{
	int st;

	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, &st, 0);
	}
	child = 0;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A failed assertion skips the test's own server_stop. */
static int teardown(void **state)
{
	if (child > 0)
		server_stop();
	return 0;
}

static int conn(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void put(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = write(fd, s + off, len - off);

		assert_true(n > 0);
		off += (size_t)n;
	}
}

/* Read one line (within 5 s); NULL at end of stream. */
static json_t *get(int fd, struct api_buf *b)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char chunk[65536], *msg;
		size_t len;
		ssize_t n;

		if (api_buf_next(b, &msg, &len) == 1) {
			json_t *j = json_loads(msg, 0, NULL);

			free(msg);
			assert_non_null(j);
			return j;
		}
		assert_int_equal(poll(&p, 1, 5000), 1);
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			return NULL;
		assert_int_equal(api_buf_append(b, chunk, (size_t)n), 0);
	}
}

static void error_is(json_t *m, json_int_t id, const char *code, const char *msg_part)
{
	json_t *e = json_object_get(m, "error");

	assert_non_null(e);
	if (id < 0)
		assert_true(json_is_null(json_object_get(m, "id")));
	else
		assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
	assert_string_equal(json_string_value(json_object_get(e, "code")), code);
	if (!strstr(json_string_value(json_object_get(e, "msg")), msg_part))
		fail_msg("\"%s\" does not contain \"%s\"", json_string_value(json_object_get(e, "msg")), msg_part);
}

static void test_requests(void **state)
{
	struct api_buf b = { 0 };
	char text[64 * 64] = "";
	struct stat sb;
	json_t *m, *r;
	int fd;

	server_start(8);
	assert_int_equal(stat(sock, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	fd = conn();

	put(fd, "{\"weft\":1,\"id\":1,\"op\":\"status\"}\n");
	m = get(fd, &b);
	assert_int_equal(json_integer_value(json_object_get(m, "weft")), 1);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 1);
	r = json_object_get(m, "result");
	assert_string_equal(json_string_value(json_object_get(r, "node")), "n1");
	assert_int_equal(json_integer_value(json_object_get(r, "pid")), child);
	assert_int_equal(json_integer_value(json_object_get(r, "endpoints")), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "programs"), 0), "name")),
			    "weft_lxc");
	json_decref(m);

	/* Bad lines get errors; the client stays connected. */
	put(fd, "this is not json\n");
	m = get(fd, &b);
	error_is(m, -1, API_ERR_BAD_REQUEST, "not valid JSON");
	json_decref(m);
	put(fd, "{\"weft\":1,\"id\":2,\"op\":\"shutdown\"}\n\n");
	m = get(fd, &b);
	error_is(m, 2, API_ERR_UNKNOWN_OP, "op \"shutdown\"");
	json_decref(m);
	put(fd, "{\"weft\":1,\"id\":3,\"op\":\"endpoint.get\",\"args\":{\"id\":4}}\n");
	m = get(fd, &b);
	error_is(m, 3, API_ERR_NOT_FOUND, "no endpoint 4");
	json_decref(m);
	put(fd, "{\"weft\":1,\"id\":4,\"op\":\"endpoint.del\",\"args\":{\"container_id\":\"c9\",\"ifname\":\"eth0\"}}\n");
	m = get(fd, &b);
	assert_true(json_is_false(json_object_get(json_object_get(m, "result"), "removed")));
	json_decref(m);
	put(fd, "{\"weft\":1,\"id\":5,\"op\":\"bpf.map.dump\",\"args\":{\"name\":\"nope\"}}\n");
	m = get(fd, &b);
	error_is(m, 5, API_ERR_NOT_FOUND, "no map named \"nope\"");
	json_decref(m);
	/* A reply larger than a message may be is an error, not a broken line. */
	put(fd, "{\"weft\":1,\"id\":6,\"op\":\"bpf.map.dump\",\"args\":{\"name\":\"huge\"}}\n");
	m = get(fd, &b);
	error_is(m, 6, API_ERR_TOO_BIG, "the result is");
	json_decref(m);

	/* 64 requests in one write, answered in order. */
	for (int i = 0; i < 64; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "{\"weft\":1,\"id\":%d,\"op\":\"endpoint.list\"}\n", 100 + i);
	put(fd, text);
	for (int i = 0; i < 64; i++) {
		m = get(fd, &b);
		assert_int_equal(json_integer_value(json_object_get(m, "id")), 100 + i);
		assert_int_equal(json_array_size(json_object_get(json_object_get(m, "result"), "endpoints")), 0);
		json_decref(m);
	}
	/* Half a line, then end of input: nothing answered, the connection closes. */
	put(fd, "{\"weft\":1,\"id\":7,");
	shutdown(fd, SHUT_WR);
	assert_null(get(fd, &b));
	close(fd);
	api_buf_fini(&b);
	server_stop();
}

static void test_too_big(void **state)
{
	struct api_buf b = { 0 };
	size_t chunk = 1 << 16, sent = 0;
	char *junk = malloc(chunk);
	json_t *m;
	int fd, fd2;

	server_start(8);
	fd = conn();
	memset(junk, ' ', chunk);
	/* The server reads, answers too-big and closes; writing may then fail: stop at the first. */
	while (sent < API_MSG_MAX + chunk) {
		ssize_t n = send(fd, junk, chunk, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	m = get(fd, &b);
	assert_non_null(m);
	error_is(m, -1, API_ERR_TOO_BIG, "longer than 4194304 bytes");
	json_decref(m);
	assert_null(get(fd, &b));
	close(fd);
	api_buf_fini(&b);
	free(junk);
	/* The daemon is fine. */
	fd2 = conn();
	put(fd2, "{\"weft\":1,\"id\":1,\"op\":\"status\"}\n");
	m = get(fd2, &b);
	assert_non_null(json_object_get(m, "result"));
	json_decref(m);
	close(fd2);
	api_buf_fini(&b);
	server_stop();
}

static void test_slow_reader_and_vanishing_clients(void **state)
{
	struct api_buf b = { 0 };
	json_t *m;
	int slow, quick, gone;
	size_t got = 0;
	ssize_t n;
	char buf[65536];

	server_start(64);
	/* A client that asks for 1 MiB replies and never reads. */
	slow = conn();
	for (int i = 0; i < 16; i++) {
		char req[128];

		snprintf(req, sizeof(req), "{\"weft\":1,\"id\":%d,\"op\":\"bpf.map.dump\",\"args\":{\"name\":\"big\"}}\n", i);
		put(slow, req);
	}
	/* Clients that send a request and vanish before the reply. */
	for (int i = 0; i < 20; i++) {
		gone = conn();
		put(gone, "{\"weft\":1,\"id\":1,\"op\":\"bpf.map.dump\",\"args\":{\"name\":\"big\"}}\n");
		close(gone);
	}
	/* Meanwhile another client is served at once. */
	quick = conn();
	put(quick, "{\"weft\":1,\"id\":1,\"op\":\"status\"}\n");
	m = get(quick, &b);
	assert_non_null(json_object_get(m, "result"));
	/* The slow one was cut off: fewer than its 16 MiB arrive before the end of the stream. */
	usleep(200000);
	while ((n = read(slow, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	assert_true(got < 16u << 20);
	assert_true(got <= API_OUT_MAX + (1u << 20));
	json_decref(m);
	close(slow);
	close(quick);
	api_buf_fini(&b);
	server_stop();
}

static void test_max_clients(void **state)
{
	struct api_buf b = { 0 };
	json_t *m;
	int a, c2, c3;

	server_start(2);
	a = conn();
	c2 = conn();
	put(a, "{\"weft\":1,\"id\":1,\"op\":\"status\"}\n");
	json_decref(get(a, &b)); /* both are accepted by now */
	c3 = conn();
	m = get(c3, &b);
	error_is(m, -1, API_ERR_INTERNAL, "too many clients");
	json_decref(m);
	assert_null(get(c3, &b));
	close(c3);
	close(c2);
	usleep(50000);
	c3 = conn(); /* room again */
	put(c3, "{\"weft\":1,\"id\":1,\"op\":\"status\"}\n");
	m = get(c3, &b);
	assert_non_null(json_object_get(m, "result"));
	json_decref(m);
	close(c3);
	close(a);
	api_buf_fini(&b);
	server_stop();
}

static void test_socket_files(void **state)
{
	struct api_server *srv;
	struct api_ctx ctx = { 0 };
	struct conf c;
	char err[512];
	int fd;

	assert_int_equal(conf_parse("{}", 2, "n1", &c, err, sizeof(err)), 0);
	server_start(8);
	/* A live daemon's socket is never taken over. */
	snprintf(c.api_socket, sizeof(c.api_socket), "%s", sock);
	assert_true(api_socket_alive(sock));
	assert_int_equal(api_server_new(EV_DEFAULT, &c, &ctx, &srv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "another daemon is listening on it"));
	/* A dead one's is replaced. */
	server_stop();
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(strcat(strcpy((char[200]){ 0 }, dir), "/api"), 0700), 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	assert_false(api_socket_alive(sock));
	c.has_group = true;
	c.api_socket_gid = getgid();
	c.api_socket_mode = 0660;
	assert_int_equal(api_server_new(EV_DEFAULT, &c, &ctx, &srv, err, sizeof(err)), 0);
	assert_true(api_socket_alive(sock));
	{
		struct stat sb;

		assert_int_equal(stat(sock, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0660);
		c.api_socket_mode = 0600;
		assert_int_equal(api_server_reconfigure(srv, &c, err, sizeof(err)), 0);
		assert_int_equal(stat(sock, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	api_server_free(srv);
	assert_int_equal(access(sock, F_OK), -1); /* removed on the way out */
	/* Something that is not a socket is never removed. */
	fd = open(sock, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(api_server_new(EV_DEFAULT, &c, &ctx, &srv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists and is not a socket"));
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_requests, teardown),
		cmocka_unit_test_teardown(test_too_big, teardown),
		cmocka_unit_test_teardown(test_slow_reader_and_vanishing_clients, teardown),
		cmocka_unit_test_teardown(test_max_clients, teardown),
		cmocka_unit_test_teardown(test_socket_files, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
