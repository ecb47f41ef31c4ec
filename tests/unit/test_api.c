/* lib/api.c: the line framing (split lines, many lines in one read, a line over API_MSG_MAX,
 * CRLF), the encoder, and the blocking client against a scripted server in a child process:
 * events then a result, errors, a daemon that never answers, one that hangs up, one that
 * answers another id, and a caller that stops a stream. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"

/* ---- framing ---------------------------------------------------------------------------------- */

static void next_is(struct api_buf *b, const char *want)
{
	char *msg = NULL;
	size_t len = 0;

	assert_int_equal(api_buf_next(b, &msg, &len), 1);
	assert_string_equal(msg, want);
	assert_int_equal(len, strlen(want));
	free(msg);
}

static void next_none(struct api_buf *b)
{
	char *msg = NULL;
	size_t len = 0;

	assert_int_equal(api_buf_next(b, &msg, &len), 0);
	assert_null(msg);
}

static void test_split_line(void **state)
{
	struct api_buf b = { 0 };
	const char *line = "{\"weft\":1,\"id\":1,\"op\":\"status\"}\n";

	(void)state;
	/* One byte at a time: no message until the newline arrives. */
	for (size_t i = 0; line[i]; i++) {
		next_none(&b);
		assert_int_equal(api_buf_append(&b, line + i, 1), 0);
	}
	next_is(&b, "{\"weft\":1,\"id\":1,\"op\":\"status\"}");
	next_none(&b);
	assert_int_equal(b.len, 0);
	api_buf_fini(&b);
	api_buf_fini(&b); /* twice is harmless */
}

static void test_many_in_one_read(void **state)
{
	struct api_buf b = { 0 };
	char text[64 * 16] = "", want[32];

	(void)state;
	for (int i = 0; i < 64; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "{\"id\":%d}\n", i);
	strcat(text, "{\"id\":64"); /* and the start of the next one */
	assert_int_equal(api_buf_append(&b, text, strlen(text)), 0);
	for (int i = 0; i < 64; i++) {
		snprintf(want, sizeof(want), "{\"id\":%d}", i);
		next_is(&b, want);
	}
	next_none(&b);
	assert_int_equal(api_buf_append(&b, "}\r\n\n", 4), 0);
	next_is(&b, "{\"id\":64}"); /* CR stripped */
	next_is(&b, "");           /* an empty line is a (blank) message: the server skips it */
	next_none(&b);
	api_buf_fini(&b);
}

/* Reads that end mid-message while earlier messages were taken: the unread tail must survive
 * the buffer compacting itself to make room, in order, for many rounds. */
static void test_compaction_keeps_order(void **state)
{
	struct api_buf b = { 0 };
	char msg[3001], want[3001];

	(void)state;
	memset(msg, 'a', sizeof(msg) - 2);
	msg[sizeof(msg) - 2] = '\n';
	msg[sizeof(msg) - 1] = '\0';
	for (int round = 0; round < 50; round++) {
		/* a whole message plus the first half of the next, then the second half */
		msg[0] = (char)('A' + round % 26);
		assert_int_equal(api_buf_append(&b, msg, 3000), 0);
		assert_int_equal(api_buf_append(&b, msg, 1500), 0);
		memcpy(want, msg, 2999);
		want[2999] = '\0';
		next_is(&b, want);
		next_none(&b);
		assert_int_equal(api_buf_append(&b, msg + 1500, 1500), 0);
		next_is(&b, want);
		next_none(&b);
	}
	assert_true(b.cap <= 16384); /* compaction, not growth, made the room */
	api_buf_fini(&b);
}

static void test_huge_line(void **state)
{
	struct api_buf b = { 0 };
	size_t chunk = 1 << 16, sent = 0;
	char *junk = malloc(chunk);
	int r = 0;

	(void)state;
	assert_non_null(junk);
	memset(junk, 'x', chunk);
	/* Exactly API_MSG_MAX bytes are fine... */
	while (sent < API_MSG_MAX) {
		r = api_buf_append(&b, junk, chunk);
		assert_int_equal(r, 0);
		sent += chunk;
	}
	/* ...one more without a newline is not. */
	assert_int_equal(api_buf_append(&b, "x", 1), -EMSGSIZE);
	/* The newline itself does not count. */
	assert_int_equal(api_buf_append(&b, "\n", 1), 0);
	{
		char *msg;
		size_t len;

		assert_int_equal(api_buf_next(&b, &msg, &len), 1);
		assert_int_equal(len, API_MSG_MAX);
		free(msg);
	}
	/* A full line followed by an over-long one in the same append is caught too. */
	api_buf_fini(&b);
	{
		size_t n = API_MSG_MAX + 16;
		char *big = malloc(n);

		assert_non_null(big);
		memset(big, 'y', n);
		big[5] = '\n';
		assert_int_equal(api_buf_append(&b, big, n), -EMSGSIZE);
		big[API_MSG_MAX] = '\n'; /* now the second line is API_MSG_MAX - 6 bytes */
		assert_int_equal(api_buf_append(&b, big, n), 0);
		free(big);
	}
	api_buf_fini(&b);
	free(junk);
}

static void test_encode(void **state)
{
	json_t *v = json_pack("{s:i, s:s}", "weft", 1, "op", "status\nx");
	size_t len = 0;
	char *s;

	(void)state;
	s = api_encode(v, &len);
	assert_non_null(s);
	/* Newlines inside strings are escaped: one message is always one line. */
	assert_string_equal(s, "{\"weft\":1,\"op\":\"status\\nx\"}\n");
	assert_int_equal(len, strlen(s));
	free(s);
	json_decref(v);
}

/* ---- the client against a scripted server -------------------------------------------------- */

enum script { S_EVENTS_RESULT, S_ERROR, S_SILENT, S_HANGUP, S_WRONG_ID, S_SLOW_PIECES, S_STREAM, S_GARBAGE, S_BUSY };

struct server {
	char path[108];
	int fd;
	pid_t pid;
};

static void say(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(fd, buf, (size_t)n) != n)
		_exit(3);
}

static void serve(int lfd, enum script s)
{
	struct api_buf in = { 0 };
	char chunk[4096], *msg;
	size_t len;
	int fd = accept(lfd, NULL, NULL);
	json_t *req, *args;
	long long id;

	if (fd < 0)
		_exit(2);
	for (;;) {
		ssize_t n;

		if (api_buf_next(&in, &msg, &len) == 1)
			break;
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			_exit(4);
		api_buf_append(&in, chunk, (size_t)n);
	}
	req = json_loads(msg, 0, NULL);
	free(msg);
	if (!req)
		_exit(5);
	id = json_integer_value(json_object_get(req, "id"));
	args = json_object_get(req, "args");
	/* The request must be what the protocol says. */
	if (json_integer_value(json_object_get(req, "weft")) != 1 || !json_is_object(args) ||
	    strcmp(json_string_value(json_object_get(req, "op")), "test.op") != 0)
		_exit(6);
	switch (s) {
	case S_EVENTS_RESULT:
		say(fd, "{\"weft\":1,\"id\":%lld,\"event\":{\"n\":1}}\n{\"weft\":1,\"id\":%lld,\"event\":{\"n\":2}}\n", id, id);
		say(fd, "{\"weft\":1,\"id\":%lld,\"result\":{\"echo\":%s}}\n", id,
		    json_is_integer(json_object_get(args, "x")) ? "true" : "false");
		break;
	case S_ERROR:
		say(fd, "{\"weft\":1,\"id\":%lld,\"error\":{\"code\":\"not-found\",\"msg\":\"no endpoint 7\"}}\n", id);
		break;
	case S_SILENT:
		sleep(3);
		break;
	case S_HANGUP:
		break;
	case S_WRONG_ID:
		say(fd, "{\"weft\":1,\"id\":%lld,\"result\":{}}\n", id + 1);
		break;
	case S_SLOW_PIECES:
		say(fd, "{\"weft\":1,");
		usleep(50000);
		say(fd, "\"id\":%lld,\"res", id);
		usleep(50000);
		say(fd, "ult\":{\"ok\":1}}\n");
		break;
	case S_STREAM:
		for (int i = 0; i < 100; i++)
			say(fd, "{\"weft\":1,\"id\":%lld,\"event\":{\"n\":%d}}\n", id, i);
		sleep(1);
		break;
	case S_GARBAGE:
		say(fd, "this is not json\n");
		break;
	case S_BUSY:
		say(fd, "{\"weft\":1,\"id\":null,\"error\":{\"code\":\"internal\",\"msg\":\"too many clients\"}}\n");
		break;
	}
	json_decref(req);
	close(fd);
	_exit(0);
}

static void server_start(struct server *srv, enum script s)
{
	static int seq;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(srv->path, sizeof(srv->path), "/tmp/wft-api-test-%d-%d.sock", (int)getpid(), seq++);
	unlink(srv->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", srv->path);
	srv->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(srv->fd >= 0);
	assert_int_equal(bind(srv->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(srv->fd, 4), 0);
	srv->pid = fork();
	assert_true(srv->pid >= 0);
	if (srv->pid == 0)
		serve(srv->fd, s);
}

static void server_stop(struct server *srv)
{
	int st;

	kill(srv->pid, SIGKILL);
	waitpid(srv->pid, &st, 0);
	close(srv->fd);
	unlink(srv->path);
}

static int count_events(json_t *ev, void *arg)
{
	int *n = arg;

	assert_true(json_is_object(ev));
	assert_int_equal(json_integer_value(json_object_get(ev, "n")), *n + 1);
	(*n)++;
	return 0;
}

static void test_client_events_result(void **state)
{
	struct server srv;
	struct api_client c;
	json_t *res = NULL, *args = json_pack("{s:i}", "x", 5);
	char err[256];
	int n = 0;

	(void)state;
	server_start(&srv, S_EVENTS_RESULT);
	assert_int_equal(api_client_open(&c, srv.path, 2000), 0);
	assert_int_equal(api_client_call(&c, "test.op", args, &res, count_events, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_non_null(res);
	assert_true(json_is_true(json_object_get(res, "echo"))); /* args arrived */
	assert_int_equal(args->refcount, 1);                      /* and were not stolen */
	json_decref(res);
	json_decref(args);
	api_client_close(&c);
	api_client_close(&c);
	server_stop(&srv);
}

static void test_client_error(void **state)
{
	struct server srv;
	struct api_client c;
	json_t *res = (json_t *)1;
	char err[256];

	(void)state;
	server_start(&srv, S_ERROR);
	assert_int_equal(api_client_open(&c, srv.path, 2000), 0);
	assert_int_equal(api_client_call(&c, "test.op", NULL, &res, NULL, NULL, err, sizeof(err)), -1);
	assert_null(res);
	assert_string_equal(err, "not-found: no endpoint 7");
	/* A daemon's error leaves the connection usable. */
	assert_true(c.fd >= 0);
	api_client_close(&c);
	server_stop(&srv);
}

static void test_client_timeout(void **state)
{
	struct server srv;
	struct api_client c;
	json_t *res;
	char err[256];

	(void)state;
	server_start(&srv, S_SILENT);
	assert_int_equal(api_client_open(&c, srv.path, 200), 0);
	assert_int_equal(api_client_call(&c, "test.op", NULL, &res, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "timed out after 200 ms"));
	assert_int_equal(c.fd, -1);
	assert_int_equal(api_client_call(&c, "test.op", NULL, &res, NULL, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "not connected to weftd");
	api_client_close(&c);
	server_stop(&srv);
}

static void test_client_hangup_wrong_id_garbage(void **state)
{
	static const struct {
		enum script s;
		const char *want;
	} cases[] = {
		{ S_HANGUP, "weftd closed the connection before answering" },
		{ S_WRONG_ID, "weftd answered request 1 with a line for another id" },
		{ S_GARBAGE, "weftd sent a line that is not a JSON object" },
		{ S_BUSY, "internal: too many clients" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct server srv;
		struct api_client c;
		json_t *res;
		char err[256];

		server_start(&srv, cases[i].s);
		assert_int_equal(api_client_open(&c, srv.path, 2000), 0);
		assert_int_equal(api_client_call(&c, "test.op", NULL, &res, NULL, NULL, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].want);
		api_client_close(&c);
		server_stop(&srv);
	}
}

static void test_client_pieces(void **state)
{
	struct server srv;
	struct api_client c;
	json_t *res;
	char err[256];

	(void)state;
	server_start(&srv, S_SLOW_PIECES);
	assert_int_equal(api_client_open(&c, srv.path, 2000), 0);
	assert_int_equal(api_client_call(&c, "test.op", NULL, &res, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "ok")), 1);
	json_decref(res);
	api_client_close(&c);
	server_stop(&srv);
}

static int stop_at_ten(json_t *ev, void *arg)
{
	int *n = arg;

	return ++*n == 10;
}

static void test_client_stop_stream(void **state)
{
	struct server srv;
	struct api_client c;
	json_t *res = (json_t *)1;
	char err[256];
	int n = 0;

	(void)state;
	server_start(&srv, S_STREAM);
	assert_int_equal(api_client_open(&c, srv.path, 2000), 0);
	assert_int_equal(api_client_call(&c, "test.op", NULL, &res, stop_at_ten, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 10);
	assert_null(res);
	assert_int_equal(c.fd, -1); /* the rest of the stream cannot be skipped: the connection is gone */
	api_client_close(&c);
	server_stop(&srv);
}

static void test_client_not_there(void **state)
{
	struct api_client c;
	char path[108];
	struct server srv;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/wft-api-test-%d-none.sock", (int)getpid());
	assert_int_equal(api_client_open(&c, path, 500), -ENOENT);
	assert_int_equal(c.fd, -1);
	/* A socket file nobody listens on (a dead daemon's). */
	server_start(&srv, S_HANGUP);
	server_stop(&srv);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	assert_int_equal(api_client_open(&c, path, 500), -ECONNREFUSED);
	unlink(path);
	assert_int_equal(api_client_open(&c, "", 500), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_line),
		cmocka_unit_test(test_many_in_one_read),
		cmocka_unit_test(test_compaction_keeps_order),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_client_events_result),
		cmocka_unit_test(test_client_error),
		cmocka_unit_test(test_client_timeout),
		cmocka_unit_test(test_client_hangup_wrong_id_garbage),
		cmocka_unit_test(test_client_pieces),
		cmocka_unit_test(test_client_stop_stream),
		cmocka_unit_test(test_client_not_there),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
