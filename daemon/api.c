/* weftd's API server (daemon/api.h). A non-blocking unix socket on the libev loop: each client
 * has an input buffer capped at API_MSG_MAX and an output queue capped at API_OUT_MAX, so no
 * client, however slow or hostile, can block the loop or grow the daemon without bound.
 * Requests are parsed by one function that touches nothing but the message (fuzzed), then run. */
#include "daemon/api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bgp.h"
#include "cni.h"
#include "log.h"

/* ---- ops: argument parsers -------------------------------------------------------------------- */

typedef int (*op_parse_fn)(json_t *args, struct api_request *req, char *err, size_t errlen);
struct api_conn;
typedef void (*op_run_fn)(struct api_conn *c, struct api_request *req);

struct api_op {
	const char *name;
	op_parse_fn parse;
	op_run_fn run;
};

static int parse_none(json_t *args, struct api_request *req, char *err, size_t errlen)
{
	static const char *const keys[] = { NULL };

	return conf_json_keys_check(args, "args", keys, err, errlen);
}

static int parse_add(json_t *args, struct api_request *req, char *err, size_t errlen)
{
	return ep_parse(args, false, &req->a.ep, err, errlen);
}

/* container_id (required) and ifname (required unless optional_ifname). */
static int parse_key(json_t *args, struct api_request *req, bool optional_ifname, char *err, size_t errlen)
{
	json_t *cid = json_object_get(args, "container_id"), *ifn = json_object_get(args, "ifname");
	char q[96];

	if (!cid || json_is_null(cid))
		return conf_err(err, errlen, "container_id is missing");
	if (!json_is_string(cid) || !cni_containerid_valid(json_string_value(cid)) ||
	    strlen(json_string_value(cid)) >= sizeof(req->a.key.containerid))
		return conf_err(err, errlen, "container_id %s is not a valid container ID", conf_json_quote(cid, q, sizeof(q)));
	if ((!ifn || json_is_null(ifn)) && !optional_ifname)
		return conf_err(err, errlen, "ifname is missing");
	if (ifn && !json_is_null(ifn) &&
	    (!json_is_string(ifn) || !cni_ifname_valid(json_string_value(ifn)) ||
	     strlen(json_string_value(ifn)) >= sizeof(req->a.key.ifname)))
		return conf_err(err, errlen, "ifname %s is not a valid interface name", conf_json_quote(ifn, q, sizeof(q)));
	snprintf(req->a.key.containerid, sizeof(req->a.key.containerid), "%s", json_string_value(cid));
	snprintf(req->a.key.ifname, sizeof(req->a.key.ifname), "%s", ifn && json_is_string(ifn) ? json_string_value(ifn) : "");
	return 0;
}

static int parse_del(json_t *args, struct api_request *req, char *err, size_t errlen)
{
	static const char *const keys[] = { "container_id", "ifname", NULL };

	if (conf_json_keys_check(args, "args", keys, err, errlen) < 0)
		return -1;
	return parse_key(args, req, false, err, errlen);
}

static int parse_get(json_t *args, struct api_request *req, char *err, size_t errlen)
{
	static const char *const keys[] = { "id", "container_id", "ifname", NULL };
	json_t *id = json_object_get(args, "id");
	char q[96];

	if (conf_json_keys_check(args, "args", keys, err, errlen) < 0)
		return -1;
	if (id && !json_is_null(id)) {
		if (json_object_get(args, "container_id") || json_object_get(args, "ifname"))
			return conf_err(err, errlen, "give either id or container_id (and ifname), not both");
		if (!json_is_integer(id) || json_integer_value(id) < 1 || json_integer_value(id) > EP_ID_MAX)
			return conf_err(err, errlen, "id %s is not an endpoint id (1-%u)", conf_json_quote(id, q, sizeof(q)),
					EP_ID_MAX);
		req->a.id = (unsigned)json_integer_value(id);
		req->by_id = true;
		return 0;
	}
	if (!json_object_get(args, "container_id"))
		return conf_err(err, errlen, "give id, or container_id and optionally ifname");
	return parse_key(args, req, true, err, errlen);
}

static int parse_dump(json_t *args, struct api_request *req, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", NULL };
	json_t *name = json_object_get(args, "name");
	const char *s;
	char q[96];

	if (conf_json_keys_check(args, "args", keys, err, errlen) < 0)
		return -1;
	if (!name || json_is_null(name))
		return conf_err(err, errlen, "name is missing");
	s = json_string_value(name);
	if (!s || !*s || strlen(s) >= sizeof(req->a.map) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") != strlen(s))
		return conf_err(err, errlen, "name %s is not a BPF map name", conf_json_quote(name, q, sizeof(q)));
	snprintf(req->a.map, sizeof(req->a.map), "%s", s);
	return 0;
}

/* route.list: {"after": cursor, "limit": N}, both optional (bgp.h). */
static int parse_routes(json_t *args, struct api_request *req, char *err, size_t errlen)
{
	static const char *const keys[] = { "after", "limit", NULL };
	json_t *after = json_object_get(args, "after"), *limit = json_object_get(args, "limit");
	struct bgp_routes_query *q = &req->a.routes;
	char qv[96];

	if (conf_json_keys_check(args, "args", keys, err, errlen) < 0)
		return -1;
	q->limit = BGP_ROUTES_LIMIT_DEFAULT;
	if (limit && !json_is_null(limit)) {
		if (!json_is_integer(limit) || json_integer_value(limit) < 1 ||
		    json_integer_value(limit) > BGP_ROUTES_LIMIT_MAX)
			return conf_err(err, errlen, "limit %s is not a number of routes (1-%d)",
					conf_json_quote(limit, qv, sizeof(qv)), BGP_ROUTES_LIMIT_MAX);
		q->limit = (size_t)json_integer_value(limit);
	}
	if (after && !json_is_null(after)) {
		if (!bgp_route_key_parse(json_string_value(after), &q->after))
			return conf_err(err, errlen, "after %s is not a cursor weftd gave (the \"next\" of a page, "
					"like \"10.244.1.0/24|b|0\")", conf_json_quote(after, qv, sizeof(qv)));
		q->has_after = true;
	}
	return 0;
}

static void run_status(struct api_conn *c, struct api_request *req);
static void run_add(struct api_conn *c, struct api_request *req);
static void run_del(struct api_conn *c, struct api_request *req);
static void run_list(struct api_conn *c, struct api_request *req);
static void run_get(struct api_conn *c, struct api_request *req);
static void run_dump(struct api_conn *c, struct api_request *req);
static void run_peer_list(struct api_conn *c, struct api_request *req);
static void run_route_list(struct api_conn *c, struct api_request *req);

static const struct api_op api_ops[] = {
	{ "status", parse_none, run_status },
	{ "endpoint.add", parse_add, run_add },
	{ "endpoint.del", parse_del, run_del },
	{ "endpoint.list", parse_none, run_list },
	{ "endpoint.get", parse_get, run_get },
	{ "bpf.map.dump", parse_dump, run_dump },
	{ "peer.list", parse_none, run_peer_list },
	{ "route.list", parse_routes, run_route_list },
};

const char *api_op_name(const struct api_op *op)
{
	return op ? op->name : NULL;
}

/* ---- request parsing -------------------------------------------------------------------------- */

void api_request_fini(struct api_request *req)
{
	json_decref(req->root);
	req->root = req->id = req->args = NULL;
}

const char *api_request_parse(const char *line, size_t len, struct api_request *req, char *err, size_t errlen)
{
	static const char *const keys[] = { "weft", "id", "op", "args", NULL };
	json_error_t je;
	json_t *v, *id;
	const char *op;
	char q[96];

	memset(req, 0, sizeof(*req));
	if (len > API_MSG_MAX) {
		conf_err(err, errlen, "the message is %zu bytes, more than %u", len, API_MSG_MAX);
		return API_ERR_TOO_BIG;
	}
	req->root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!req->root) {
		conf_err(err, errlen, "not valid JSON at column %d: %s", je.column, je.text);
		return API_ERR_BAD_REQUEST;
	}
	if (!json_is_object(req->root)) {
		conf_err(err, errlen, "a request must be a JSON object, not %s", conf_json_quote(req->root, q, sizeof(q)));
		return API_ERR_BAD_REQUEST;
	}
	/* The id first, so that every later error can be matched to its request. */
	id = json_object_get(req->root, "id");
	if (!id) {
		conf_err(err, errlen, "id is missing");
		return API_ERR_BAD_REQUEST;
	}
	if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) > (1LL << 53)) {
		conf_err(err, errlen, "id %s must be a non-negative integer", conf_json_quote(id, q, sizeof(q)));
		return API_ERR_BAD_REQUEST;
	}
	req->id = id;
	v = json_object_get(req->root, "weft");
	if (!v) {
		conf_err(err, errlen, "weft (the protocol version, %d) is missing", API_VERSION);
		return API_ERR_BAD_REQUEST;
	}
	if (!json_is_integer(v) || json_integer_value(v) != API_VERSION) {
		conf_err(err, errlen, "weft %s: this daemon speaks version %d", conf_json_quote(v, q, sizeof(q)), API_VERSION);
		return API_ERR_VERSION;
	}
	if (conf_json_keys_check(req->root, NULL, keys, err, errlen) < 0)
		return API_ERR_BAD_REQUEST;
	v = json_object_get(req->root, "op");
	if (!v) {
		conf_err(err, errlen, "op is missing");
		return API_ERR_BAD_REQUEST;
	}
	if (!json_is_string(v)) {
		conf_err(err, errlen, "op must be a string, not %s", conf_json_quote(v, q, sizeof(q)));
		return API_ERR_BAD_REQUEST;
	}
	op = json_string_value(v);
	for (size_t i = 0; i < sizeof(api_ops) / sizeof(api_ops[0]); i++) {
		if (strcmp(op, api_ops[i].name) == 0)
			req->op = &api_ops[i];
	}
	if (!req->op) {
		conf_err(err, errlen, "op %s is not one of status, endpoint.add, endpoint.del, endpoint.list, "
			 "endpoint.get, bpf.map.dump, peer.list, route.list", conf_json_quote(v, q, sizeof(q)));
		return API_ERR_UNKNOWN_OP;
	}
	v = json_object_get(req->root, "args");
	if (!v || json_is_null(v)) {
		v = json_object();
		if (!v || json_object_set_new(req->root, "args", v) < 0) {
			conf_err(err, errlen, "out of memory");
			return API_ERR_INTERNAL;
		}
	}
	if (!json_is_object(v)) {
		conf_err(err, errlen, "args must be an object, not %s", conf_json_quote(v, q, sizeof(q)));
		return API_ERR_BAD_REQUEST;
	}
	req->args = v;
	if (req->op->parse(v, req, err, errlen) < 0) {
		/* Say which op rejected what: "endpoint.add: host_mac ..." */
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s", err);
		conf_err(err, errlen, "%s: %s", req->op->name, tmp);
		return API_ERR_BAD_REQUEST;
	}
	return NULL;
}

/* ---- the server ------------------------------------------------------------------------------- */

struct api_conn {
	struct api_server *srv;
	struct api_conn *prev, *next;
	unsigned long serial;      /* for the log: "client 7" */
	int fd;
	ev_io rio, wio;
	ev_idle backlog;           /* buffered requests left for a later turn of the loop */
	struct api_buf in;
	char *out;                 /* out[out_off .. out_len) is waiting to be sent */
	size_t out_off, out_len, out_cap;
	bool closing;              /* no more requests: close once the output is flushed */
	bool dead;                 /* closed; freed by whoever is on the stack */
};

struct api_server {
	struct ev_loop *loop;
	struct api_ctx *ctx;
	char path[CONF_SOCK_MAX];
	int fd;
	dev_t dev;
	ino_t ino;
	ev_io lio;
	ev_timer retry;            /* accept() ran out of descriptors: pause listening briefly */
	struct api_conn *conns;
	unsigned n_conns, max_conns;
	unsigned long next_serial;
};

unsigned api_server_clients(const struct api_server *s)
{
	return s ? s->n_conns : 0;
}

static void conn_free(struct api_conn *c)
{
	struct api_server *s = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	api_buf_fini(&c->in);
	free(c->out);
	free(c);
}

/* Stop watching and close; the struct is freed by conn_release once nothing uses it. */
static void conn_kill(struct api_conn *c, const char *why)
{
	if (c->dead)
		return;
	ev_io_stop(c->srv->loop, &c->rio);
	ev_io_stop(c->srv->loop, &c->wio);
	ev_idle_stop(c->srv->loop, &c->backlog);
	close(c->fd);
	c->fd = -1;
	c->dead = true;
	if (why)
		log_debug("api: client %lu closed: %s", c->serial, why);
}

static void conn_flush(struct api_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			ev_io_start(c->srv->loop, &c->wio);
			return;
		}
		if (n < 0) {
			conn_kill(c, errno == EPIPE || errno == ECONNRESET ? "went away" : strerror(errno));
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	ev_io_stop(c->srv->loop, &c->wio);
	if (c->closing && !ev_is_active(&c->backlog))
		conn_kill(c, "done");
}

/* Queue one message line; the queue is bounded, a client that does not read is dropped. */
static int conn_queue(struct api_conn *c, const char *line, size_t len)
{
	size_t pending = c->out_len - c->out_off;

	if (c->dead)
		return -1;
	if (pending + len > API_OUT_MAX) {
		log_warnx("api: client %lu has %zu bytes of replies unread: disconnecting it", c->serial, pending + len);
		conn_kill(c, NULL);
		return -1;
	}
	if (c->out_off && c->out_len + len > c->out_cap) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_off = 0;
		c->out_len = pending;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;

		while (cap < c->out_len + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n) {
			conn_kill(c, "out of memory");
			return -1;
		}
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	if (pending == 0)
		conn_flush(c);
	return 0;
}

static void __attribute__((format(printf, 4, 5)))
conn_error(struct api_conn *c, json_t *id, const char *code, const char *fmt, ...);

/* Send {"weft":1,"id":..,<kind>:v}; steals v. A NULL v is a builder that ran out of memory. */
static void conn_send(struct api_conn *c, json_t *id, const char *kind, json_t *v)
{
	json_t *m;
	char *line;
	size_t len;

	if (!v) {
		if (strcmp(kind, "error") != 0)
			conn_error(c, id, API_ERR_INTERNAL, "out of memory building the %s", kind);
		else
			conn_kill(c, "out of memory");
		return;
	}
	m = json_pack("{s:i, s:O?, s:o}", "weft", API_VERSION, "id", id, kind, v);
	line = m ? api_encode(m, &len) : NULL;
	json_decref(m);
	if (!line) {
		conn_kill(c, "cannot encode a reply");
		return;
	}
	if (len > API_MSG_MAX + 1) {
		free(line);
		conn_error(c, id, API_ERR_TOO_BIG, "the %s is %zu bytes, more than a message may be (%u)", kind, len,
			   API_MSG_MAX);
		return;
	}
	conn_queue(c, line, len);
	free(line);
}

static void conn_error(struct api_conn *c, json_t *id, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conn_send(c, id, "error", json_pack("{s:s, s:s}", "code", code, "msg", msg));
}

/* The current request's id, for the run_* functions. */
#define REQ_ID(req) ((req)->id)

static void conn_handle(struct api_conn *c, const char *line, size_t len)
{
	struct api_request req;
	char err[1024];
	const char *code;

	if (len == 0)
		return; /* a blank line (a human pressing enter in socat) is not a request */
	code = api_request_parse(line, len, &req, err, sizeof(err));
	if (code) {
		log_debug("api: client %lu: %s: %s", c->serial, code, err);
		conn_error(c, req.id, code, "%s", err);
	} else {
		log_debug("api: client %lu: %s", c->serial, req.op->name);
		req.op->run(c, &req);
	}
	api_request_fini(&req);
}

/* Answer at most API_REQS_PER_TURN buffered requests; the rest wait for a later turn of the loop
 * (an idle watcher runs only when nothing else is pending), with reading paused meanwhile, so a
 * client pipelining thousands of requests cannot keep the others waiting. */
static void conn_drain(struct api_conn *c)
{
	struct ev_loop *loop = c->srv->loop;
	int r = 0;

	for (int i = 0; i < API_REQS_PER_TURN && !c->dead; i++) {
		char *line;
		size_t len;

		r = api_buf_next(&c->in, &line, &len);
		if (r <= 0)
			break;
		conn_handle(c, line, len);
		free(line);
	}
	if (c->dead)
		return;
	if (r < 0) {
		conn_kill(c, "out of memory");
		return;
	}
	if (r > 0) {
		ev_io_stop(loop, &c->rio);
		ev_idle_start(loop, &c->backlog);
		return;
	}
	ev_idle_stop(loop, &c->backlog);
	if (!c->closing)
		ev_io_start(loop, &c->rio);
	else if (c->out_off == c->out_len)
		conn_kill(c, "end of input");
}

static void conn_backlog_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct api_conn *c = w->data;

	conn_drain(c);
	if (c->dead)
		conn_free(c);
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct api_conn *c = w->data;
	char chunk[API_READ_CHUNK];
	ssize_t n;
	int r;

	n = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		conn_kill(c, strerror(errno));
		conn_free(c);
		return;
	}
	if (n == 0) {
		/* The client sent all it will: answer what is buffered, then close. An incomplete
		 * last line is not a request (its sender did not finish it). */
		ev_io_stop(loop, &c->rio);
		c->closing = true;
		if (c->out_off == c->out_len && !ev_is_active(&c->backlog))
			conn_kill(c, "end of input");
		if (c->dead)
			conn_free(c);
		return;
	}
	r = api_buf_append(&c->in, chunk, (size_t)n);
	if (r == -EMSGSIZE) {
		log_warnx("api: client %lu sent a message longer than %u bytes: closing", c->serial, API_MSG_MAX);
		ev_io_stop(loop, &c->rio);
		c->closing = true;
		api_buf_fini(&c->in);
		conn_error(c, NULL, API_ERR_TOO_BIG, "a message is longer than %u bytes", API_MSG_MAX);
		if (!c->dead && c->out_off == c->out_len)
			conn_kill(c, "too big");
		if (c->dead)
			conn_free(c);
		return;
	}
	if (r < 0) {
		conn_kill(c, "out of memory");
		conn_free(c);
		return;
	}
	conn_drain(c);
	if (c->dead)
		conn_free(c);
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct api_conn *c = w->data;

	conn_flush(c);
	if (c->dead)
		conn_free(c);
}

static void listen_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct api_server *s = w->data;

	for (int i = 0; i < 64; i++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct api_conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: without a pause the loop would spin on this error. */
				log_warn("api: cannot accept a client; pausing for a second");
				ev_io_stop(loop, &s->lio);
				ev_timer_start(loop, &s->retry);
			} else if (errno != EAGAIN) {
				log_warn("api: accept");
			}
			return;
		}
		if (s->n_conns >= s->max_conns) {
			static const char busy[] = "{\"weft\":1,\"id\":null,\"error\":{\"code\":\"" API_ERR_INTERNAL
						   "\",\"msg\":\"too many clients\"}}\n";

			log_warnx("api: refusing a client: %u are connected (apiMaxClients)", s->n_conns);
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* It learns from the closed socket instead. */
			}
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		c->serial = ++s->next_serial;
		ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
		ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
		ev_idle_init(&c->backlog, conn_backlog_cb);
		c->backlog.data = c;
		c->rio.data = c->wio.data = c;
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->n_conns++;
		ev_io_start(loop, &c->rio);
		log_debug("api: client %lu connected", c->serial);
	}
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct api_server *s = w->data;

	ev_io_start(loop, &s->lio);
}

bool api_socket_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool alive;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	/* A full backlog answers EAGAIN: somebody is listening all the same. */
	alive = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN;
	close(fd);
	return alive;
}

static int mkdir_parents(const char *path)
{
	char buf[CONF_SOCK_MAX];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int socket_access(const struct api_server *s, const struct conf *c, char *err, size_t errlen)
{
	if (c->has_group && chown(s->path, (uid_t)-1, c->api_socket_gid) < 0)
		return conf_err(err, errlen, "cannot give %s to group %s: %s", s->path, c->api_socket_group, strerror(errno));
	if (chmod(s->path, c->api_socket_mode) < 0)
		return conf_err(err, errlen, "cannot set mode %04o on %s: %s", c->api_socket_mode, s->path, strerror(errno));
	return 0;
}

int api_server_new(struct ev_loop *loop, const struct conf *c, struct api_ctx *ctx, struct api_server **out,
		   char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct api_server *s;
	struct stat sb;
	mode_t old_mask;
	int r;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return conf_err(err, errlen, "out of memory");
	s->loop = loop;
	s->ctx = ctx;
	s->fd = -1;
	s->max_conns = c->api_max_clients;
	snprintf(s->path, sizeof(s->path), "%s", c->api_socket);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->api_socket);
	if ((r = mkdir_parents(s->path)) < 0) {
		conf_err(err, errlen, "cannot create the directory of apiSocket %s: %s", s->path, strerror(-r));
		goto fail;
	}
	if (lstat(s->path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			conf_err(err, errlen, "apiSocket %s exists and is not a socket", s->path);
			goto fail;
		}
		if (api_socket_alive(s->path)) {
			conf_err(err, errlen, "apiSocket %s: another daemon is listening on it", s->path);
			goto fail;
		}
		log_info("api: removing stale socket %s (nothing listens on it)", s->path);
		if (unlink(s->path) < 0 && errno != ENOENT) {
			conf_err(err, errlen, "cannot remove stale socket %s: %s", s->path, strerror(errno));
			goto fail;
		}
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		conf_err(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* Born with owner-only access: nobody can connect between bind() and chmod(). */
	old_mask = umask(0177);
	r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r < 0) {
		conf_err(err, errlen, "cannot bind apiSocket %s: %s", s->path, strerror(errno));
		goto fail;
	}
	if (stat(s->path, &sb) == 0) {
		s->dev = sb.st_dev;
		s->ino = sb.st_ino;
	}
	if (socket_access(s, c, err, errlen) < 0)
		goto fail_unlink;
	if (listen(s->fd, 128) < 0) {
		conf_err(err, errlen, "cannot listen on %s: %s", s->path, strerror(errno));
		goto fail_unlink;
	}
	ev_io_init(&s->lio, listen_cb, s->fd, EV_READ);
	s->lio.data = s;
	ev_timer_init(&s->retry, retry_cb, 1.0, 0.0);
	s->retry.data = s;
	ev_io_start(loop, &s->lio);
	log_info("api: listening on %s (mode %04o%s%s)", s->path, c->api_socket_mode, c->has_group ? ", group " : "",
		 c->has_group ? c->api_socket_group : "");
	*out = s;
	return 0;
fail_unlink:
	unlink(s->path);
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return -1;
}

void api_server_free(struct api_server *s)
{
	struct stat sb;

	if (!s)
		return;
	while (s->conns) {
		struct api_conn *c = s->conns;

		conn_kill(c, "shutting down");
		conn_free(c);
	}
	ev_io_stop(s->loop, &s->lio);
	ev_timer_stop(s->loop, &s->retry);
	close(s->fd);
	/* Only our own socket: a newer daemon may already have replaced the file. */
	if (stat(s->path, &sb) == 0 && sb.st_dev == s->dev && sb.st_ino == s->ino)
		unlink(s->path);
	free(s);
}

int api_server_reconfigure(struct api_server *s, const struct conf *c, char *err, size_t errlen)
{
	s->max_conns = c->api_max_clients;
	return socket_access(s, c, err, errlen);
}

/* ---- ops: running them ------------------------------------------------------------------------ */

static void run_status(struct api_conn *c, struct api_request *req)
{
	struct api_ctx *x = c->srv->ctx;
	time_t now = time(NULL);
	json_t *r = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s}", "version", WEFTD_VERSION, "node", x->conf->node,
			      "pid", (json_int_t)getpid(), "started", (json_int_t)x->started, "uptime_s",
			      (json_int_t)(now > x->started ? now - x->started : 0), "endpoints",
			      (json_int_t)ep_table_count(x->eps), "api_clients", (json_int_t)c->srv->n_conns,
			      "attach_mode", conf_attach_name(x->conf->attach));
	json_t *dps = dp_status(x->dp);

	if (!r) {
		json_decref(dps);
		conn_error(c, REQ_ID(req), API_ERR_INTERNAL, "out of memory");
		return;
	}
	/* Programs and maps come straight from the data path. */
	if (json_is_object(dps))
		json_object_update(r, dps);
	json_decref(dps);
	conn_send(c, REQ_ID(req), "result", r);
}

static const char *errno_code(int r)
{
	switch (r) {
	case -EINVAL:
	case -ENODEV:
	case -EOPNOTSUPP: /* e.g. dumping the ring buffer: a caller's mistake, not ours */
		return API_ERR_BAD_REQUEST;
	case -EEXIST:
		return API_ERR_EXISTS;
	case -ENOENT:
		return API_ERR_NOT_FOUND;
	default:
		return API_ERR_INTERNAL;
	}
}

static void run_add(struct api_conn *c, struct api_request *req)
{
	struct api_ctx *x = c->srv->ctx;
	const struct ep *e;
	char err[1024];
	int r = ep_add(x->eps, x->dp, &req->a.ep, &e, err, sizeof(err));

	if (r < 0) {
		conn_error(c, REQ_ID(req), errno_code(r), "%s", err);
		return;
	}
	conn_send(c, REQ_ID(req), "result", ep_to_json(e));
}

static void run_del(struct api_conn *c, struct api_request *req)
{
	struct api_ctx *x = c->srv->ctx;
	char err[1024];
	bool removed;
	int r = ep_del(x->eps, x->dp, req->a.key.containerid, req->a.key.ifname, &removed, err, sizeof(err));

	if (r < 0) {
		conn_error(c, REQ_ID(req), errno_code(r), "%s", err);
		return;
	}
	if (!removed)
		log_debug("endpoint.del %s/%s: no such endpoint (already removed)", req->a.key.containerid,
			  req->a.key.ifname);
	conn_send(c, REQ_ID(req), "result", json_pack("{s:b}", "removed", removed));
}

static void run_list(struct api_conn *c, struct api_request *req)
{
	struct api_ctx *x = c->srv->ctx;
	json_t *list = json_array();

	for (size_t i = 0; list && i < ep_table_count(x->eps); i++)
		json_array_append_new(list, ep_to_json(ep_table_at(x->eps, i)));
	conn_send(c, REQ_ID(req), "result", json_pack("{s:o}", "endpoints", list));
}

static json_t *counters_json(const struct weft_counters *k)
{
	static const char *const names[] = WEFT_DROP_NAMES;
	json_t *drops = json_object();

	for (int i = 1; drops && i < WEFT_DROP_MAX; i++)
		json_object_set_new(drops, names[i], json_integer((json_int_t)k->drops[i]));
	return json_pack("{s:I, s:I, s:I, s:I, s:o}", "from_pod_packets", (json_int_t)k->from_pod_packets,
			 "from_pod_bytes", (json_int_t)k->from_pod_bytes, "to_pod_packets", (json_int_t)k->to_pod_packets,
			 "to_pod_bytes", (json_int_t)k->to_pod_bytes, "drops", drops);
}

/* endpoint.get by container: an exact match, else the one endpoint whose container ID starts
 * with what was given (weftctl shows 12-character prefixes, as docker does). */
static const struct ep *get_by_key(struct api_conn *c, struct api_request *req)
{
	struct ep_table *t = c->srv->ctx->eps;
	const char *cid = req->a.key.containerid, *ifn = req->a.key.ifname;
	const struct ep *hit = NULL;
	size_t n = 0, len = strlen(cid);

	for (int pass = 0; pass < 2 && n == 0; pass++) {
		for (size_t i = 0; i < ep_table_count(t); i++) {
			const struct ep *e = ep_table_at(t, i);
			bool match = pass == 0 ? strcmp(e->containerid, cid) == 0 : strncmp(e->containerid, cid, len) == 0;

			if (match && (!ifn[0] || strcmp(e->ifname, ifn) == 0)) {
				hit = e;
				n++;
			}
		}
	}
	if (n == 0) {
		conn_error(c, REQ_ID(req), API_ERR_NOT_FOUND, "no endpoint of container %s%s%s", cid, ifn[0] ? "/" : "", ifn);
		return NULL;
	}
	if (n > 1) {
		conn_error(c, REQ_ID(req), API_ERR_BAD_REQUEST, "%zu endpoints match container %s%s%s: give %s", n, cid,
			   ifn[0] ? "/" : "", ifn, ifn[0] ? "the full container ID" : "ifname or the full container ID");
		return NULL;
	}
	return hit;
}

static void run_get(struct api_conn *c, struct api_request *req)
{
	struct api_ctx *x = c->srv->ctx;
	const struct ep *e;
	struct weft_counters k;
	json_t *j;
	int r;

	if (req->by_id) {
		e = ep_table_get(x->eps, req->a.id);
		if (!e) {
			conn_error(c, REQ_ID(req), API_ERR_NOT_FOUND, "no endpoint %u", req->a.id);
			return;
		}
	} else if (!(e = get_by_key(c, req))) {
		return;
	}
	j = ep_to_json(e);
	if (!j) {
		conn_error(c, REQ_ID(req), API_ERR_INTERNAL, "out of memory");
		return;
	}
	json_object_set_new(j, "attached", json_boolean(dp_endpoint_attached(x->dp, e->host_ifindex)));
	r = dp_counters_get(x->dp, e->id, &k);
	if (r == 0)
		json_object_set_new(j, "counters", counters_json(&k));
	else if (r == -ENOENT)
		json_object_set_new(j, "counters", json_null()); /* no packet seen yet */
	else
		log_warnx("endpoint.get %u: cannot read its counters: %s", e->id, strerror(-r));
	conn_send(c, REQ_ID(req), "result", j);
}

static void run_dump(struct api_conn *c, struct api_request *req)
{
	struct api_ctx *x = c->srv->ctx;
	json_t *out = NULL;
	char err[512] = "";
	int r = dp_map_dump(x->dp, req->a.map, &out, err, sizeof(err));

	if (r == -ENOENT) {
		conn_error(c, REQ_ID(req), API_ERR_NOT_FOUND, "no map named \"%s\"%s%s", req->a.map, err[0] ? ": " : "", err);
		return;
	}
	if (r < 0) {
		conn_error(c, REQ_ID(req), API_ERR_INTERNAL, "cannot dump map %s: %s", req->a.map,
			   err[0] ? err : strerror(-r));
		return;
	}
	/* The data path may describe the map itself or hand over just its entries. */
	if (!json_is_object(out))
		out = json_pack("{s:s, s:o}", "name", req->a.map, "entries", out ? out : json_array());
	conn_send(c, REQ_ID(req), "result", out);
}

/* BGP sessions and routes (bgp.c builds the views). */
static void run_peer_list(struct api_conn *c, struct api_request *req)
{
	conn_send(c, REQ_ID(req), "result", bgp_peers_json(c->srv->ctx->bgp));
}

/* One page of the routes: the reply stays well inside a message (the envelope and the page's
 * other keys take a few hundred bytes). */
static void run_route_list(struct api_conn *c, struct api_request *req)
{
	struct api_ctx *x = c->srv->ctx;

	if (!x->rib) {
		conn_send(c, REQ_ID(req), "result", json_pack("{s:[], s:i}", "routes", "prefixes", 0));
		return;
	}
	req->a.routes.max_bytes = API_MSG_MAX / 2;
	conn_send(c, REQ_ID(req), "result", bgp_routes_json(x->bgp, x->rib, &req->a.routes));
}
