/* The CNI protocol as both Weft plugins speak it (spec 1.1.0, accepting 0.3.0 .. 1.1.0):
 * environment, network configuration, results in every version's shape, and error JSON.
 * Library code: returns 0 or -1 with a filled struct cni_error, never prints, never exits. */
#ifndef WEFT_CNI_H
#define WEFT_CNI_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "inet.h"

/* ---- errors ------------------------------------------------------------------------------- */

/* Spec codes (CNI 1.1 "Error" section) and Weft's own codes (>= 100, docs/errors.md). */
enum cni_err_code {
	CNI_ERR_VERSION = 1,          /* incompatible CNI version */
	CNI_ERR_UNSUPPORTED_FIELD = 2,/* unsupported field in network configuration */
	CNI_ERR_UNKNOWN_CONTAINER = 3,/* container unknown or does not exist */
	CNI_ERR_ENV = 4,              /* invalid necessary environment variable */
	CNI_ERR_IO = 5,               /* I/O failure */
	CNI_ERR_DECODE = 6,           /* failed to decode content */
	CNI_ERR_CONFIG = 7,           /* invalid network config */
	CNI_ERR_TRY_AGAIN = 11,       /* try again later */
	CNI_ERR_NOT_AVAILABLE = 50,   /* STATUS: plugin not available */
	CNI_ERR_LIMITED = 51,         /* STATUS: limited connectivity */

	CNI_ERR_INTERNAL = 100,       /* a bug or an unexpected system error */
	CNI_ERR_NETLINK = 101,        /* the kernel refused a netlink request */
	CNI_ERR_NETNS = 102,          /* the pod's network namespace cannot be entered */
	CNI_ERR_IFNAME_EXISTS = 103,  /* CNI_IFNAME already exists in the pod */
	CNI_ERR_HOSTVETH_COLLISION = 104, /* derived host veth name taken by another attachment */
	CNI_ERR_IPAM_EXEC = 105,      /* the IPAM plugin could not be run or answered nonsense */
	CNI_ERR_RANGE_EXHAUSTED = 106,/* IPAM: no free address in a range */
	CNI_ERR_ADDR_IN_USE = 107,    /* IPAM: a requested address belongs to another attachment */
	CNI_ERR_STORE = 108,          /* IPAM: the on-disk store is unusable */
	CNI_ERR_CHECK_FAILED = 109,   /* CHECK found state that differs from the result */
	CNI_ERR_DAEMON = 110,         /* weftd answered a request with an error */
};

struct cni_error {
	unsigned code;
	char msg[256];
	char details[1024];
};

/* Fill e (the first error wins: a later call does not overwrite a set error) and return -1,
 * so callers can write `return cni_error_set(e, CNI_ERR_CONFIG, "...", ...);`. */
int cni_error_set(struct cni_error *e, unsigned code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Attach details (e.g. the kernel's or a sub-plugin's text) to an already set error. */
void cni_error_detail(struct cni_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* {"cniVersion": version, "code": .., "msg": .., "details": ..} and a newline. */
void cni_error_print(FILE *out, const struct cni_error *e, const char *version);

/* ---- versions ----------------------------------------------------------------------------- */

enum cni_version { CNI_V030, CNI_V031, CNI_V040, CNI_V100, CNI_V110, CNI_V_COUNT };
#define CNI_VERSION_LATEST CNI_V110

bool cni_version_parse(const char *s, enum cni_version *out);
const char *cni_version_str(enum cni_version v);
/* The VERSION command's answer: {"cniVersion":"1.1.0","supportedVersions":[...]} */
void cni_version_print(FILE *out);

/* ---- environment -------------------------------------------------------------------------- */

enum cni_cmd { CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK, CNI_CMD_VERSION, CNI_CMD_STATUS, CNI_CMD_GC };

struct cni_env {
	enum cni_cmd cmd;
	const char *containerid; /* ADD, DEL, CHECK */
	const char *netns;       /* ADD, CHECK; DEL may have it empty (containerd) -> NULL */
	const char *ifname;      /* ADD, DEL, CHECK */
	const char *args;        /* CNI_ARGS, may be NULL */
	const char *path;        /* CNI_PATH, ':'-separated; required except for VERSION */
};

/* Read and validate the CNI_* variables through getenv_fn (getenv in production). Names the
 * variable in the error (code 4). Strings point into the environment, not copied. */
int cni_env_load(struct cni_env *env, const char *(*getenv_fn)(const char *name), struct cni_error *e);
const char *cni_cmd_str(enum cni_cmd cmd);

/* Identifier rules from the spec: container ID and network name start with an alphanumeric and
 * continue with alphanumerics, '_', '.', '-'; an interface name is 1..15 bytes, not "." or "..",
 * with no '/', ':' or whitespace. */
bool cni_containerid_valid(const char *s);
bool cni_netname_valid(const char *s);
bool cni_ifname_valid(const char *s);

/* CNI_ARGS: "K1=V1;K2=V2". Validation names the bad pair. cni_args_get copies the value of key
 * into out; returns 1 found, 0 absent, -1 malformed or too long for out. */
int cni_args_validate(const char *args, struct cni_error *e);
int cni_args_get(const char *args, const char *key, char *out, size_t outlen);

/* ---- network configuration (the common part; plugins read their own keys from .root) ------ */

struct cni_attachment {
	char containerid[256];
	char ifname[16];
};

struct cni_netconf {
	json_t *root;              /* the whole document, owned */
	enum cni_version version;  /* cniVersion (or the highest supported one of cniVersions) */
	const char *name;          /* network name, validated */
	const char *type;          /* plugin type */
	json_t *prev_result;       /* borrowed from root, NULL if absent */
	json_t *ipam;              /* borrowed from root, NULL if absent */
	/* GC: cni.dev/valid-attachments (or cni.dev/attachments) */
	struct cni_attachment *valid;
	size_t n_valid;
	bool has_valid;
};

/* Parse stdin's bytes. Errors: 6 decode (not JSON, not an object), 1 version, 7 config naming the
 * field. Unknown keys are accepted. */
int cni_netconf_parse(const char *buf, size_t len, struct cni_netconf *conf, struct cni_error *e);
void cni_netconf_fini(struct cni_netconf *conf);
/* Read all of fd (stdin) into a malloc'd NUL-terminated buffer, at most max bytes. */
int cni_read_all(int fd, size_t max, char **buf, size_t *len, struct cni_error *e);

/* Typed readers for optional config keys: 0 ok (absent leaves *out untouched), -1 with a code 7
 * error naming `where.key` and quoting the bad value. */
int cni_json_get_string(json_t *obj, const char *where, const char *key, const char **out,
			struct cni_error *e);
int cni_json_get_uint(json_t *obj, const char *where, const char *key, unsigned long min,
		      unsigned long max, unsigned long *out, struct cni_error *e);
int cni_json_get_bool(json_t *obj, const char *where, const char *key, bool *out,
		      struct cni_error *e);

/* ---- results ------------------------------------------------------------------------------ */

#define CNI_MAX_IFACES 8
#define CNI_MAX_IPS 16
#define CNI_MAX_ROUTES 64
#define CNI_NO_IFACE (-1)

struct cni_iface {
	char name[16];
	char mac[18];        /* "aa:bb:cc:dd:ee:ff" or "" */
	char sandbox[256];   /* "" on the host side */
	unsigned mtu;        /* 0 = not reported (1.1.0 only) */
};

struct cni_ip {
	struct inet_prefix addr; /* address with its prefix length, e.g. 10.0.0.5/24 */
	struct inet_addr gateway;/* family 0 = none */
	int iface;               /* index into ifaces, CNI_NO_IFACE if none */
};

struct cni_route {
	struct inet_prefix dst;
	struct inet_addr gw;     /* family 0 = none */
	/* 1.1.0 only; 0 = unset */
	unsigned mtu, advmss, priority, table;
	int scope;               /* -1 = unset */
};

struct cni_result {
	struct cni_iface ifaces[CNI_MAX_IFACES];
	size_t n_ifaces;
	struct cni_ip ips[CNI_MAX_IPS];
	size_t n_ips;
	struct cni_route routes[CNI_MAX_ROUTES];
	size_t n_routes;
	json_t *dns;             /* owned reference or NULL; passed through as given */
};

void cni_result_init(struct cni_result *r);
void cni_result_fini(struct cni_result *r);
/* Decode a result of any supported version (prevResult, an IPAM plugin's answer). Code 6 on
 * shape errors, naming the field. */
int cni_result_decode(json_t *obj, struct cni_result *r, struct cni_error *e);
/* Encode in the shape of version v (0.3.x/0.4.0 carry "version" on each IP; 1.1.0 adds MTU and
 * route attributes). Returns a new reference. */
json_t *cni_result_encode(const struct cni_result *r, enum cni_version v);
/* Append helpers returning the new element's index, or -1 with code 100 when full. */
int cni_result_add_iface(struct cni_result *r, const struct cni_iface *iface, struct cni_error *e);
int cni_result_add_ip(struct cni_result *r, const struct cni_ip *ip, struct cni_error *e);
int cni_result_add_route(struct cni_result *r, const struct cni_route *rt, struct cni_error *e);

/* Print a JSON value to out followed by a newline; 0 or -1 (code 5). */
int cni_json_print(FILE *out, json_t *v, struct cni_error *e);

#endif
