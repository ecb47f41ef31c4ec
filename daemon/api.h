/* weftd's API server: the unix socket, its clients, and the ops of docs/api.md. Requests are
 * parsed and validated by api_request_parse without touching the system (the fuzz harness's
 * entry point); the server then runs them against the endpoint table and the data path. */
#ifndef WEFTD_API_H
#define WEFTD_API_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/api.h"
#include "conf.h"
#include "dp.h"
#include "bgp.h"
#include "ep.h"

#ifndef WEFTD_VERSION
#define WEFTD_VERSION "0.6.0"
#endif

#define API_OUT_MAX (8u << 20)  /* a client whose unread replies exceed this is disconnected */
#define API_READ_CHUNK 16384
/* Requests answered per client per turn of the loop (fairness between pipelining clients). */
#define API_REQS_PER_TURN 32

struct api_op;

/* One request, parsed and validated. */
struct api_request {
	json_t *root;             /* the whole message, owned */
	json_t *id;               /* the id to echo: borrowed from root, or NULL (sent as null) */
	const struct api_op *op;
	json_t *args;             /* borrowed from root; an empty object when absent */
	union {
		struct ep ep;                      /* endpoint.add */
		struct {                           /* endpoint.del, endpoint.get by container */
			char containerid[256];
			char ifname[16];           /* "" = any (endpoint.get only) */
		} key;
		unsigned id;                       /* endpoint.get by id */
		char map[64];                      /* bpf.map.dump */
		struct bgp_routes_query routes;    /* route.list (max_bytes is the server's) */
	} a;
	bool by_id;                            /* endpoint.get: a.id rather than a.key */
};

/* Parse one line. NULL on success; otherwise an API_ERR_* code with a sentence in err. req->id
 * is set whenever the line carried a usable id, so the error reply can echo it. req is always
 * safe to api_request_fini. */
const char *api_request_parse(const char *line, size_t len, struct api_request *req, char *err, size_t errlen);
void api_request_fini(struct api_request *req);
const char *api_op_name(const struct api_op *op);

struct bgp;
struct rib;

/* What the ops work on; owned by main, which keeps conf current across reloads. */
struct api_ctx {
	struct ep_table *eps;
	struct dp *dp;
	const struct conf *conf;
	time_t started;
	struct rib *rib;          /* route.list */
	struct bgp *bgp;          /* peer.list, route.list; NULL without BGP */
};

struct api_server;

/* Listen on conf->api_socket (mode and group from conf). A socket file left by a dead daemon
 * is replaced; one that a live daemon answers on is an error. 0 or -1 with err. */
int api_server_new(struct ev_loop *loop, const struct conf *c, struct api_ctx *ctx, struct api_server **out,
		   char *err, size_t errlen);
/* Close every client and the socket, and remove the socket file. NULL is fine. */
void api_server_free(struct api_server *s);
/* Apply apiSocketMode / apiSocketGroup / apiMaxClients of c (SIGHUP). 0 or -1 with err. */
int api_server_reconfigure(struct api_server *s, const struct conf *c, char *err, size_t errlen);
unsigned api_server_clients(const struct api_server *s);

/* Whether something listens on the unix socket at path (used before replacing it). */
bool api_socket_alive(const char *path);

#endif
