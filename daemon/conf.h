/* weftd's configuration: a JSON file validated as it is parsed (unknown keys rejected, every
 * error naming the field and quoting the bad value), defaults filled in, and the normalised
 * form `weftd -n` prints. docs/weftd.md is the reference for every field. */
#ifndef WEFTD_CONF_H
#define WEFTD_CONF_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#include "bgp_conf.h"
#include "dp.h"
#include "fabric_conf.h"
#include "log.h"

#define CONF_NODE_MAX 64          /* node names become path components and pin directories */
#define CONF_FILE_MAX (1u << 20)
#define CONF_API_MAX_CLIENTS 256
#define CONF_SOCK_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

struct conf {
	char node[CONF_NODE_MAX];
	char state_dir[PATH_MAX - 128];   /* room for "/endpoints/<id>.json.tmp" */
	char bpffs[PATH_MAX - 128];       /* room for "/weft/<node>/<map>" */
	char api_socket[CONF_SOCK_MAX];
	unsigned api_socket_mode;         /* permission bits */
	bool has_group;
	char api_socket_group[64];        /* as written: a group name or a number */
	gid_t api_socket_gid;
	unsigned api_max_clients;
	char log_file[PATH_MAX];          /* "stderr" or an absolute path */
	enum log_level log_level;
	enum dp_attach_mode attach;
	bool ipam;                        /* check endpoints against the IPAM store at start */
	char ipam_data_dir[PATH_MAX - 512];
	char ipam_network[256];           /* "" = every endpoint's own network */
	struct bgp_conf bgp;              /* the `bgp` key (bgp_conf.h) */
	struct fabric_conf fabric;        /* nodeAddress, podCIDRs, clusterCIDRs, masquerade, fabric,
					   * staticRoutes (fabric_conf.h) */
};

/* Parse a config document. hostname is the default node name (gethostname() in weftd).
 * 0, or -1 with a sentence in err naming the field. */
int conf_parse(const char *buf, size_t len, const char *hostname, struct conf *c, char *err, size_t errlen);
/* Read and parse the file at path (at most CONF_FILE_MAX bytes). */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);
/* The normalised config: every field, defaults filled in, in a fixed order. New reference. */
json_t *conf_to_json(const struct conf *c);
/* conf_to_json as indented text with a final newline; malloc'd. */
char *conf_dump(const struct conf *c);
const char *conf_attach_name(enum dp_attach_mode m);

/* Helpers for validating JSON input, shared with the API's request checks. */
/* A short quotation of v for an error message: "\"abc\"", "12", "an object", "null". */
char *conf_json_quote(json_t *v, char *buf, size_t len);
/* Every key of obj is in allowed (NULL-terminated); else -1 with "<where>: unknown key \"k\"". */
int conf_json_keys_check(json_t *obj, const char *where, const char *const *allowed, char *err,
			 size_t errlen);
/* printf into err; returns -1 so callers can `return conf_err(...)`. */
int conf_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
