/* weftd's API protocol, shared by the daemon (server), the CNI plugin and weftctl (clients).
 *
 * A unix stream socket carrying newline-delimited JSON, one object per line, at most
 * API_MSG_MAX bytes. A request:   {"weft":1, "id":7, "op":"endpoint.add", "args":{...}}
 * The reply is zero or more event lines {"weft":1, "id":7, "event":{...}} (streams) closed by
 * exactly one final line, either {"weft":1, "id":7, "result":{...}} or
 * {"weft":1, "id":7, "error":{"code":"not-found", "msg":"..."}}. docs/api.md lists the ops. */
#ifndef WEFT_API_H
#define WEFT_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define API_VERSION 1
#define API_MSG_MAX (4u << 20)

/* Error codes carried in "error.code". */
#define API_ERR_BAD_REQUEST "bad-request"   /* not JSON, missing/invalid fields */
#define API_ERR_VERSION     "bad-version"   /* "weft" is not a version we speak */
#define API_ERR_UNKNOWN_OP  "unknown-op"
#define API_ERR_NOT_FOUND   "not-found"
#define API_ERR_EXISTS      "exists"
#define API_ERR_INTERNAL    "internal"
#define API_ERR_TOO_BIG     "too-big"

/* A growable receive buffer that splits a byte stream into messages. Bytes [off, len) are
 * unread; taking a message only advances off, so a burst of pipelined messages costs no
 * memmove per message (the buffer is compacted when an append needs room). */
struct api_buf {
	char *data;
	size_t off, len, cap;
};

void api_buf_fini(struct api_buf *b);
/* Append bytes; -ENOMEM, or -EMSGSIZE when a single message would exceed API_MSG_MAX. */
int api_buf_append(struct api_buf *b, const void *data, size_t len);
/* Take the next complete line: 1 with *msg (NUL-terminated, malloc'd, caller frees) and its
 * length, 0 when no complete line is buffered yet. */
int api_buf_next(struct api_buf *b, char **msg, size_t *len);

/* Encode v as one line (compact JSON + '\n'); malloc'd, caller frees; NULL on failure. */
char *api_encode(json_t *v, size_t *len);

/* ---- blocking client ---------------------------------------------------------------------- */

struct api_client {
	int fd;
	unsigned next_id;
	int timeout_ms;
	struct api_buf in;
};

/* Connect to the socket at path. 0 or -errno (ENOENT/ECONNREFUSED: the daemon is not there). */
int api_client_open(struct api_client *c, const char *path, int timeout_ms);
void api_client_close(struct api_client *c);
/* One request; waits for the final line. Returns 0 with *result (new reference), or -1 with a
 * message in err: the daemon's error ("not-found: no endpoint 7"), or the transport's.
 * on_event, if given, is called for each event line of a stream; a non-zero return stops. */
int api_client_call(struct api_client *c, const char *op, json_t *args, json_t **result,
		    int (*on_event)(json_t *event, void *arg), void *arg, char *err, size_t errlen);

#endif
