/* weftd's API protocol (lib/api.h): splitting a byte stream into newline-delimited JSON messages,
 * encoding one message, and the blocking client the CNI plugin and weftctl use. The client
 * bounds every wait by its timeout, so a wedged daemon cannot hang a runtime's ADD. */
#include "api.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- framing -------------------------------------------------------------------------------- */

void api_buf_fini(struct api_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

/* Length of the unterminated line at the end of the unread bytes. */
static size_t buf_tail_len(const struct api_buf *b)
{
	size_t unread = b->len - b->off;
	const char *nl = unread ? memrchr(b->data + b->off, '\n', unread) : NULL;

	return nl ? b->len - (size_t)(nl + 1 - b->data) : unread;
}

int api_buf_append(struct api_buf *b, const void *data, size_t len)
{
	const char *p = data;

	if (len == 0)
		return 0;
	/* Scanning for the longest line is needed only when the buffer could hold one too long:
	 * normally the reader drains complete lines after every append, so this stays cheap. */
	if (b->len - b->off + len > API_MSG_MAX) {
		size_t tail = buf_tail_len(b), off = 0;

		while (off < len) {
			const char *nl = memchr(p + off, '\n', len - off);
			size_t seg = nl ? (size_t)(nl - (p + off)) : len - off;

			if (tail + seg > API_MSG_MAX)
				return -EMSGSIZE;
			tail = 0;
			off += seg + (nl ? 1 : 0);
		}
	}
	if (b->off && b->len + len + 1 > b->cap) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *n;

		while (cap < b->len + len + 1)
			cap *= 2;
		n = realloc(b->data, cap);
		if (!n)
			return -ENOMEM;
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int api_buf_next(struct api_buf *b, char **msg, size_t *len)
{
	char *start = b->data + b->off, *m;
	char *nl = b->len > b->off ? memchr(start, '\n', b->len - b->off) : NULL;
	size_t n;

	if (!nl)
		return 0;
	n = (size_t)(nl - start);
	m = malloc(n + 1);
	if (!m)
		return -ENOMEM;
	memcpy(m, start, n);
	m[n] = '\0';
	/* A tolerant reader: "\r\n" from a human typing into socat is the same line. */
	if (n && m[n - 1] == '\r')
		m[--n] = '\0';
	b->off = (size_t)(nl + 1 - b->data);
	if (b->off == b->len)
		b->off = b->len = 0;
	*msg = m;
	*len = n;
	return 1;
}

char *api_encode(json_t *v, size_t *len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *n;
	size_t l;

	if (!s)
		return NULL;
	l = strlen(s);
	n = realloc(s, l + 2);
	if (!n) {
		free(s);
		return NULL;
	}
	n[l] = '\n';
	n[l + 1] = '\0';
	if (len)
		*len = l + 1;
	return n;
}

/* ---- blocking client ------------------------------------------------------------------------ */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int api_client_open(struct api_client *c, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next_id = 1;
	c->timeout_ms = timeout_ms;
	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A unix connect() waits for room in a full backlog for up to SO_SNDTIMEO. */
	if (timeout_ms > 0) {
		struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno == EAGAIN ? -ETIMEDOUT : -errno;
		close(fd);
		return err;
	}
	c->fd = fd;
	return 0;
}

void api_client_close(struct api_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	api_buf_fini(&c->in);
}

static int __attribute__((format(printf, 4, 5)))
client_fail(struct api_client *c, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	/* After a transport or protocol failure the stream's position is unknown: drop it. */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return -1;
}

/* Wait for fd to be ready for events; 1 ready, 0 timed out, -errno. */
static int client_wait(struct api_client *c, short events, long long deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = events };
		int left = -1, n;

		if (c->timeout_ms > 0) {
			long long d = deadline - now_ms();

			if (d <= 0)
				return 0;
			left = (int)d;
		}
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		return n > 0;
	}
}

static int client_send(struct api_client *c, const char *buf, size_t len, char *err, size_t errlen)
{
	long long deadline = now_ms() + c->timeout_ms;
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* The daemon hung up before reading: it refuses a client past apiMaxClients with an
		 * error line and a close. What it said is still ours to read: take it as the answer. */
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		if (errno != EAGAIN)
			return client_fail(c, err, errlen, "cannot send to weftd: %s", strerror(errno));
		r = client_wait(c, POLLOUT, deadline);
		if (r < 0)
			return client_fail(c, err, errlen, "cannot send to weftd: %s", strerror(-r));
		if (r == 0)
			return client_fail(c, err, errlen, "timed out after %d ms sending to weftd", c->timeout_ms);
	}
	return 0;
}

/* The next line from the daemon, parsed; the timeout bounds the silence before it. */
static int client_recv(struct api_client *c, json_t **out, char *err, size_t errlen)
{
	long long deadline = now_ms() + c->timeout_ms;
	char chunk[16384];

	for (;;) {
		json_error_t je;
		size_t len;
		char *msg;
		ssize_t n;
		int r = api_buf_next(&c->in, &msg, &len);

		if (r < 0)
			return client_fail(c, err, errlen, "out of memory reading from weftd");
		if (r > 0) {
			*out = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
			free(msg);
			if (!*out || !json_is_object(*out)) {
				json_decref(*out);
				*out = NULL;
				return client_fail(c, err, errlen, "weftd sent a line that is not a JSON object");
			}
			return 0;
		}
		r = client_wait(c, POLLIN, deadline);
		if (r < 0)
			return client_fail(c, err, errlen, "cannot read from weftd: %s", strerror(-r));
		if (r == 0)
			return client_fail(c, err, errlen, "timed out after %d ms waiting for weftd", c->timeout_ms);
		n = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return client_fail(c, err, errlen, "cannot read from weftd: %s", strerror(errno));
		if (n == 0)
			return client_fail(c, err, errlen, "weftd closed the connection before answering");
		r = api_buf_append(&c->in, chunk, (size_t)n);
		if (r == -EMSGSIZE)
			return client_fail(c, err, errlen, "weftd sent a line longer than %u bytes", API_MSG_MAX);
		if (r < 0)
			return client_fail(c, err, errlen, "out of memory reading from weftd");
	}
}

int api_client_call(struct api_client *c, const char *op, json_t *args, json_t **result,
		    int (*on_event)(json_t *event, void *arg), void *arg, char *err, size_t errlen)
{
	json_t *req = NULL, *msg = NULL;
	unsigned id;
	char *line = NULL;
	size_t len;
	int rc = -1;

	*result = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (c->fd < 0)
		return client_fail(c, err, errlen, "not connected to weftd");
	id = c->next_id++;
	if (args)
		req = json_pack("{s:i, s:I, s:s, s:O}", "weft", API_VERSION, "id", (json_int_t)id, "op", op,
				"args", args);
	else
		req = json_pack("{s:i, s:I, s:s, s:o}", "weft", API_VERSION, "id", (json_int_t)id, "op", op,
				"args", json_object());
	if (!req || !(line = api_encode(req, &len))) {
		rc = client_fail(c, err, errlen, "cannot encode the %s request", op);
		goto out;
	}
	if (client_send(c, line, len, err, errlen) < 0)
		goto out;
	for (;;) {
		json_t *v, *mid, *e;

		if (client_recv(c, &msg, err, errlen) < 0)
			goto out;
		v = json_object_get(msg, "weft");
		mid = json_object_get(msg, "id");
		if (!json_is_integer(v) || json_integer_value(v) != API_VERSION) {
			client_fail(c, err, errlen, "weftd answered in an unknown protocol version");
			goto out;
		}
		/* An error the daemon could not tie to a request (too many clients, a line it could
		 * not parse) ends the conversation: report it as the daemon said it. */
		if (json_is_null(mid) && json_is_object(e = json_object_get(msg, "error"))) {
			const char *code = json_string_value(json_object_get(e, "code"));
			const char *m = json_string_value(json_object_get(e, "msg"));

			client_fail(c, err, errlen, "%s: %s", code ? code : "error", m ? m : "(no message)");
			goto out;
		}
		/* One call is in flight per connection: any other id is a broken stream. */
		if (!json_is_integer(mid) || json_integer_value(mid) != (json_int_t)id) {
			client_fail(c, err, errlen, "weftd answered request %u with a line for another id", id);
			goto out;
		}
		if ((e = json_object_get(msg, "event"))) {
			if (on_event && on_event(e, arg) != 0) {
				/* The stream goes on at the daemon: this connection cannot be reused. */
				client_fail(c, err, errlen, "stopped by the caller");
				rc = 0;
				goto out;
			}
			json_decref(msg);
			msg = NULL;
			continue;
		}
		if ((v = json_object_get(msg, "result"))) {
			*result = json_incref(v);
			rc = 0;
			goto out;
		}
		if ((e = json_object_get(msg, "error")) && json_is_object(e)) {
			const char *code = json_string_value(json_object_get(e, "code"));
			const char *m = json_string_value(json_object_get(e, "msg"));

			if (err && errlen)
				snprintf(err, errlen, "%s: %s", code ? code : "error", m ? m : "(no message)");
			goto out;
		}
		client_fail(c, err, errlen, "weftd sent a line with neither event, result nor error");
		goto out;
	}
out:
	json_decref(msg);
	free(line);
	json_decref(req);
	return rc;
}
