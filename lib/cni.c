/* The CNI protocol shared by `weft` and `weft-ipam`: environment validation, network config,
 * results in each spec version's shape, and the error JSON. Spec references are to CNI 1.1.0
 * (SPEC.md sections "Parameters", "Network configuration", "Result Types", "Error"). */
#include "cni.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------------------------- */

int cni_error_set(struct cni_error *e, unsigned code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void cni_error_detail(struct cni_error *e, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->details[0])
		return;
	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
}

void cni_error_print(FILE *out, const struct cni_error *e, const char *version)
{
	json_t *o = json_object();

	json_object_set_new(o, "cniVersion", json_string(version ? version : cni_version_str(CNI_VERSION_LATEST)));
	json_object_set_new(o, "code", json_integer(e->code ? e->code : CNI_ERR_INTERNAL));
	json_object_set_new(o, "msg", json_string(e->msg[0] ? e->msg : "unknown error"));
	if (e->details[0])
		json_object_set_new(o, "details", json_string(e->details));
	json_dumpf(o, out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	fflush(out);
	json_decref(o);
}

/* ---- versions ----------------------------------------------------------------------------- */

static const char *const version_names[CNI_V_COUNT] = {
	[CNI_V030] = "0.3.0", [CNI_V031] = "0.3.1", [CNI_V040] = "0.4.0",
	[CNI_V100] = "1.0.0", [CNI_V110] = "1.1.0",
};

bool cni_version_parse(const char *s, enum cni_version *out)
{
	for (int v = 0; s && v < CNI_V_COUNT; v++) {
		if (strcmp(s, version_names[v]) == 0) {
			*out = (enum cni_version)v;
			return true;
		}
	}
	return false;
}

const char *cni_version_str(enum cni_version v)
{
	return (unsigned)v < CNI_V_COUNT ? version_names[v] : "?";
}

void cni_version_print(FILE *out)
{
	json_t *o = json_object(), *list = json_array();

	for (int v = 0; v < CNI_V_COUNT; v++)
		json_array_append_new(list, json_string(version_names[v]));
	json_object_set_new(o, "cniVersion", json_string(version_names[CNI_VERSION_LATEST]));
	json_object_set_new(o, "supportedVersions", list);
	json_dumpf(o, out, JSON_PRESERVE_ORDER);
	fputc('\n', out);
	fflush(out);
	json_decref(o);
}

static const char *supported_list(void)
{
	return "0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0";
}

/* ---- identifiers and CNI_ARGS --------------------------------------------------------------- */

/* Container IDs end up in file names (IPAM's attach/<id>:<ifname>), so they are capped well
 * below NAME_MAX; runtimes use 64 hex characters, optionally prefixed. */
#define CONTAINERID_MAX 200
#define NETNAME_MAX 200
#define CNI_ARGS_MAX 65536

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Spec: "must start with an alphanumeric character, optionally followed by any combination of
 * one or more alphanumeric characters, underscore, dot or hyphen". */
static bool spec_identifier_valid(const char *s, size_t max)
{
	size_t n;

	if (!s || !is_alnum(s[0]))
		return false;
	for (n = 1; s[n]; n++) {
		if (!is_alnum(s[n]) && s[n] != '_' && s[n] != '.' && s[n] != '-')
			return false;
	}
	return n <= max;
}

bool cni_containerid_valid(const char *s)
{
	return spec_identifier_valid(s, CONTAINERID_MAX);
}

bool cni_netname_valid(const char *s)
{
	return spec_identifier_valid(s, NETNAME_MAX);
}

/* Linux's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace. */
bool cni_ifname_valid(const char *s)
{
	size_t n;

	if (!s || !s[0] || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (n = 0; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return false;
	}
	return n <= 15;
}

int cni_args_validate(const char *args, struct cni_error *e)
{
	const char *p = args;

	if (!args)
		return 0;
	if (strlen(args) > CNI_ARGS_MAX)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_ARGS is longer than %d bytes", CNI_ARGS_MAX);
	while (*p) {
		size_t len = strcspn(p, ";");
		const char *eq = memchr(p, '=', len);

		/* An empty pair (";;" or a trailing ';') is harmless and runtimes do produce it. */
		if (len > 0 && (!eq || eq == p))
			return cni_error_set(e, CNI_ERR_ENV,
					     "CNI_ARGS: '%.*s' is not a KEY=VALUE pair", (int)(len > 64 ? 64 : len), p);
		p += len;
		if (*p == ';')
			p++;
	}
	return 0;
}

int cni_args_get(const char *args, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = args;

	while (p && *p) {
		size_t len = strcspn(p, ";");

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = len - klen - 1;

			if (vlen >= outlen)
				return -1;
			memcpy(out, p + klen + 1, vlen);
			out[vlen] = '\0';
			return 1;
		}
		if (len > 0 && !memchr(p, '=', len))
			return -1;
		p += len;
		if (*p == ';')
			p++;
	}
	return 0;
}

/* ---- environment -------------------------------------------------------------------------- */

static const char *const cmd_names[] = {
	[CNI_CMD_ADD] = "ADD", [CNI_CMD_DEL] = "DEL", [CNI_CMD_CHECK] = "CHECK",
	[CNI_CMD_VERSION] = "VERSION", [CNI_CMD_STATUS] = "STATUS", [CNI_CMD_GC] = "GC",
};

const char *cni_cmd_str(enum cni_cmd cmd)
{
	return (unsigned)cmd < sizeof(cmd_names) / sizeof(cmd_names[0]) ? cmd_names[cmd] : "?";
}

static const char *env_nonempty(const char *(*getenv_fn)(const char *), const char *name)
{
	const char *v = getenv_fn(name);

	return v && v[0] ? v : NULL;
}

int cni_env_load(struct cni_env *env, const char *(*getenv_fn)(const char *name), struct cni_error *e)
{
	const char *cmd = env_nonempty(getenv_fn, "CNI_COMMAND");
	bool per_attachment;
	unsigned i;

	memset(env, 0, sizeof(*env));
	if (!cmd)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_COMMAND is not set");
	for (i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (strcmp(cmd, cmd_names[i]) == 0)
			break;
	if (i == sizeof(cmd_names) / sizeof(cmd_names[0]))
		return cni_error_set(e, CNI_ERR_ENV,
				     "CNI_COMMAND: unknown command '%.32s' (want ADD, DEL, CHECK, VERSION, STATUS or GC)",
				     cmd);
	env->cmd = (enum cni_cmd)i;
	/* podman calls VERSION with the other variables set to "dummy": ignore them entirely. */
	if (env->cmd == CNI_CMD_VERSION)
		return 0;

	env->path = env_nonempty(getenv_fn, "CNI_PATH");
	if (!env->path)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_PATH is not set");
	env->args = env_nonempty(getenv_fn, "CNI_ARGS");
	if (cni_args_validate(env->args, e) < 0)
		return -1;

	per_attachment = env->cmd == CNI_CMD_ADD || env->cmd == CNI_CMD_DEL || env->cmd == CNI_CMD_CHECK;
	if (!per_attachment)
		return 0;

	env->containerid = env_nonempty(getenv_fn, "CNI_CONTAINERID");
	if (!env->containerid)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_CONTAINERID is not set");
	if (!cni_containerid_valid(env->containerid))
		return cni_error_set(e, CNI_ERR_ENV,
				     "CNI_CONTAINERID '%.64s' is invalid: it must start with a letter or digit, "
				     "contain only letters, digits, '_', '.', '-', and be at most %d bytes",
				     env->containerid, CONTAINERID_MAX);
	env->ifname = env_nonempty(getenv_fn, "CNI_IFNAME");
	if (!env->ifname)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_IFNAME is not set");
	if (!cni_ifname_valid(env->ifname))
		return cni_error_set(e, CNI_ERR_ENV,
				     "CNI_IFNAME '%.32s' is not a valid interface name (1-15 bytes, no '/', ':', "
				     "whitespace, not '.' or '..')", env->ifname);
	/* containerd sends DEL with an empty CNI_NETNS: DEL must still clean up. */
	env->netns = env_nonempty(getenv_fn, "CNI_NETNS");
	if (!env->netns && env->cmd != CNI_CMD_DEL)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_NETNS is not set");
	if (env->netns && env->netns[0] != '/')
		return cni_error_set(e, CNI_ERR_ENV, "CNI_NETNS '%.200s' is not an absolute path", env->netns);
	return 0;
}

/* ---- JSON helpers ------------------------------------------------------------------------- */

int cni_read_all(int fd, size_t max, char **bufp, size_t *lenp, struct cni_error *e)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);

	if (!buf)
		return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory reading stdin");
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= max) {
				free(buf);
				return cni_error_set(e, CNI_ERR_DECODE, "network configuration is larger than %zu bytes", max);
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory reading stdin");
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			free(buf);
			return cni_error_set(e, CNI_ERR_IO, "reading the network configuration: %s", strerror(err));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* Short quoted rendering of a JSON value for error messages. */
static void json_quote(json_t *v, char *out, size_t len)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	snprintf(out, len, "%.80s%s", s ? s : "?", s && strlen(s) > 80 ? "..." : "");
	free(s);
}

int cni_json_get_string(json_t *obj, const char *where, const char *key, const char **out,
			struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);
	char q[96];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		json_quote(v, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "%s%s%s must be a string, not %s",
				     where ? where : "", where ? "." : "", key, q);
	}
	*out = json_string_value(v);
	return 0;
}

int cni_json_get_uint(json_t *obj, const char *where, const char *key, unsigned long min,
		      unsigned long max, unsigned long *out, struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);
	char q[96];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (unsigned long)json_integer_value(v) < min || (unsigned long)json_integer_value(v) > max) {
		json_quote(v, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "%s%s%s must be an integer from %lu to %lu, not %s",
				     where ? where : "", where ? "." : "", key, min, max, q);
	}
	*out = (unsigned long)json_integer_value(v);
	return 0;
}

int cni_json_get_bool(json_t *obj, const char *where, const char *key, bool *out, struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);
	char q[96];

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		json_quote(v, q, sizeof(q));
		return cni_error_set(e, CNI_ERR_CONFIG, "%s%s%s must be true or false, not %s",
				     where ? where : "", where ? "." : "", key, q);
	}
	*out = json_is_true(v);
	return 0;
}

int cni_json_print(FILE *out, json_t *v, struct cni_error *e)
{
	if (json_dumpf(v, out, JSON_INDENT(4) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', out) == EOF ||
	    fflush(out) == EOF)
		return cni_error_set(e, CNI_ERR_IO, "writing the result to stdout: %s", strerror(errno));
	return 0;
}

/* ---- network configuration ---------------------------------------------------------------- */

static int netconf_version(json_t *root, enum cni_version *out, struct cni_error *e)
{
	json_t *v = json_object_get(root, "cniVersion"), *list = json_object_get(root, "cniVersions");
	char q[96];

	if (v) {
		if (!json_is_string(v)) {
			json_quote(v, q, sizeof(q));
			return cni_error_set(e, CNI_ERR_CONFIG, "cniVersion must be a string, not %s", q);
		}
		if (!cni_version_parse(json_string_value(v), out))
			return cni_error_set(e, CNI_ERR_VERSION, "incompatible CNI version '%.32s': weft supports %s",
					     json_string_value(v), supported_list());
		return 0;
	}
	/* A config may carry only the conflist-style cniVersions list: take the newest we speak. */
	if (json_is_array(list)) {
		bool found = false;
		size_t i;
		json_t *item;

		json_array_foreach(list, i, item) {
			enum cni_version cand;

			if (json_is_string(item) && cni_version_parse(json_string_value(item), &cand) &&
			    (!found || cand > *out)) {
				*out = cand;
				found = true;
			}
		}
		if (!found) {
			json_quote(list, q, sizeof(q));
			return cni_error_set(e, CNI_ERR_VERSION, "no version in cniVersions %s is supported: weft supports %s",
					     q, supported_list());
		}
		return 0;
	}
	return cni_error_set(e, CNI_ERR_CONFIG, "cniVersion is missing");
}

static int netconf_attachments(struct cni_netconf *conf, struct cni_error *e)
{
	static const char *const keys[] = { "cni.dev/valid-attachments", "cni.dev/attachments" };
	json_t *list = NULL, *item;
	const char *key = NULL;
	size_t i;

	for (i = 0; i < 2 && !list; i++) {
		list = json_object_get(conf->root, keys[i]);
		key = keys[i];
	}
	if (!list)
		return 0;
	if (!json_is_array(list))
		return cni_error_set(e, CNI_ERR_CONFIG, "%s must be a list of {containerID, ifname}", key);
	conf->has_valid = true;
	if (json_array_size(list) == 0)
		return 0;
	conf->valid = calloc(json_array_size(list), sizeof(*conf->valid));
	if (!conf->valid)
		return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory");
	json_array_foreach(list, i, item) {
		const char *cid = json_string_value(json_object_get(item, "containerID"));
		const char *ifn = json_string_value(json_object_get(item, "ifname"));

		if (!cni_containerid_valid(cid))
			return cni_error_set(e, CNI_ERR_CONFIG, "%s[%zu].containerID is missing or invalid", key, i);
		if (!cni_ifname_valid(ifn))
			return cni_error_set(e, CNI_ERR_CONFIG, "%s[%zu].ifname is missing or invalid", key, i);
		snprintf(conf->valid[i].containerid, sizeof(conf->valid[i].containerid), "%s", cid);
		snprintf(conf->valid[i].ifname, sizeof(conf->valid[i].ifname), "%s", ifn);
		conf->n_valid++;
	}
	return 0;
}

int cni_netconf_parse(const char *buf, size_t len, struct cni_netconf *conf, struct cni_error *e)
{
	json_error_t jerr;
	json_t *v;

	memset(conf, 0, sizeof(*conf));
	conf->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!conf->root)
		return cni_error_set(e, CNI_ERR_DECODE, "network configuration is not valid JSON: %s (line %d, column %d)",
				     jerr.text, jerr.line, jerr.column);
	if (!json_is_object(conf->root))
		return cni_error_set(e, CNI_ERR_DECODE, "network configuration must be a JSON object");
	if (netconf_version(conf->root, &conf->version, e) < 0)
		return -1;

	v = json_object_get(conf->root, "name");
	if (!json_is_string(v))
		return cni_error_set(e, CNI_ERR_CONFIG, "name is missing or not a string");
	if (!cni_netname_valid(json_string_value(v)))
		return cni_error_set(e, CNI_ERR_CONFIG,
				     "name '%.64s' is invalid: it must start with a letter or digit and contain only "
				     "letters, digits, '_', '.', '-' (at most %d bytes)", json_string_value(v), NETNAME_MAX);
	conf->name = json_string_value(v);

	v = json_object_get(conf->root, "type");
	if (!json_is_string(v) || !json_string_length(v))
		return cni_error_set(e, CNI_ERR_CONFIG, "type is missing or not a string");
	conf->type = json_string_value(v);

	v = json_object_get(conf->root, "prevResult");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return cni_error_set(e, CNI_ERR_CONFIG, "prevResult must be an object");
		conf->prev_result = v;
	}
	v = json_object_get(conf->root, "ipam");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return cni_error_set(e, CNI_ERR_CONFIG, "ipam must be an object");
		conf->ipam = v;
	}
	return netconf_attachments(conf, e);
}

void cni_netconf_fini(struct cni_netconf *conf)
{
	json_decref(conf->root);
	free(conf->valid);
	memset(conf, 0, sizeof(*conf));
}

/* ---- results ------------------------------------------------------------------------------ */

void cni_result_init(struct cni_result *r)
{
	memset(r, 0, sizeof(*r));
}

void cni_result_fini(struct cni_result *r)
{
	json_decref(r->dns);
	r->dns = NULL;
}

int cni_result_add_iface(struct cni_result *r, const struct cni_iface *iface, struct cni_error *e)
{
	if (r->n_ifaces == CNI_MAX_IFACES)
		return cni_error_set(e, CNI_ERR_INTERNAL, "result has more than %d interfaces", CNI_MAX_IFACES);
	r->ifaces[r->n_ifaces] = *iface;
	return (int)r->n_ifaces++;
}

int cni_result_add_ip(struct cni_result *r, const struct cni_ip *ip, struct cni_error *e)
{
	if (r->n_ips == CNI_MAX_IPS)
		return cni_error_set(e, CNI_ERR_INTERNAL, "result has more than %d IPs", CNI_MAX_IPS);
	r->ips[r->n_ips] = *ip;
	return (int)r->n_ips++;
}

int cni_result_add_route(struct cni_result *r, const struct cni_route *rt, struct cni_error *e)
{
	if (r->n_routes == CNI_MAX_ROUTES)
		return cni_error_set(e, CNI_ERR_INTERNAL, "result has more than %d routes", CNI_MAX_ROUTES);
	r->routes[r->n_routes] = *rt;
	return (int)r->n_routes++;
}

/* Copy an optional string field into a fixed buffer; code 6 naming the field if it is not a
 * string or does not fit. */
static int decode_str(json_t *obj, const char *where, size_t idx, const char *key, char *out, size_t outlen,
		      bool required, struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		if (required)
			return cni_error_set(e, CNI_ERR_DECODE, "result %s[%zu].%s is missing", where, idx, key);
		out[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= outlen)
		return cni_error_set(e, CNI_ERR_DECODE, "result %s[%zu].%s is not a string of at most %zu bytes",
				     where, idx, key, outlen - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int decode_uint(json_t *obj, const char *where, size_t idx, const char *key, unsigned *out,
		       struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0xffffffffLL)
		return cni_error_set(e, CNI_ERR_DECODE, "result %s[%zu].%s is not a non-negative integer", where, idx, key);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

static int decode_addr(json_t *obj, const char *where, size_t idx, const char *key, struct inet_addr *out,
		       struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);

	memset(out, 0, sizeof(*out));
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !inet_addr_parse(json_string_value(v), out))
		return cni_error_set(e, CNI_ERR_DECODE, "result %s[%zu].%s is not an IP address", where, idx, key);
	return 0;
}

static int decode_prefix(json_t *obj, const char *where, size_t idx, const char *key, struct inet_prefix *out,
			 struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || !inet_prefix_parse(json_string_value(v), out))
		return cni_error_set(e, CNI_ERR_DECODE, "result %s[%zu].%s is missing or not an address/prefix",
				     where, idx, key);
	return 0;
}

static int decode_ifaces(json_t *list, struct cni_result *r, struct cni_error *e)
{
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item) {
		struct cni_iface f = { 0 };

		if (!json_is_object(item))
			return cni_error_set(e, CNI_ERR_DECODE, "result interfaces[%zu] is not an object", i);
		if (decode_str(item, "interfaces", i, "name", f.name, sizeof(f.name), true, e) < 0 ||
		    decode_str(item, "interfaces", i, "mac", f.mac, sizeof(f.mac), false, e) < 0 ||
		    decode_str(item, "interfaces", i, "sandbox", f.sandbox, sizeof(f.sandbox), false, e) < 0 ||
		    decode_uint(item, "interfaces", i, "mtu", &f.mtu, e) < 0 ||
		    cni_result_add_iface(r, &f, e) < 0)
			return -1;
	}
	return 0;
}

static int decode_ips(json_t *list, struct cni_result *r, struct cni_error *e)
{
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item) {
		struct cni_ip ip = { .iface = CNI_NO_IFACE };
		json_t *idx;

		if (!json_is_object(item))
			return cni_error_set(e, CNI_ERR_DECODE, "result ips[%zu] is not an object", i);
		if (decode_prefix(item, "ips", i, "address", &ip.addr, e) < 0 ||
		    decode_addr(item, "ips", i, "gateway", &ip.gateway, e) < 0)
			return -1;
		if (ip.gateway.family && ip.gateway.family != ip.addr.addr.family)
			return cni_error_set(e, CNI_ERR_DECODE, "result ips[%zu].gateway is of another family than its address", i);
		idx = json_object_get(item, "interface");
		if (idx && !json_is_null(idx)) {
			if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
			    json_integer_value(idx) >= (json_int_t)r->n_ifaces)
				return cni_error_set(e, CNI_ERR_DECODE, "result ips[%zu].interface is not an index into interfaces", i);
			ip.iface = (int)json_integer_value(idx);
		}
		if (cni_result_add_ip(r, &ip, e) < 0)
			return -1;
	}
	return 0;
}

static int decode_routes(json_t *list, struct cni_result *r, struct cni_error *e)
{
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item) {
		struct cni_route rt = { .scope = -1 };
		json_t *scope;

		if (!json_is_object(item))
			return cni_error_set(e, CNI_ERR_DECODE, "result routes[%zu] is not an object", i);
		if (decode_prefix(item, "routes", i, "dst", &rt.dst, e) < 0 ||
		    decode_addr(item, "routes", i, "gw", &rt.gw, e) < 0 ||
		    decode_uint(item, "routes", i, "mtu", &rt.mtu, e) < 0 ||
		    decode_uint(item, "routes", i, "advmss", &rt.advmss, e) < 0 ||
		    decode_uint(item, "routes", i, "priority", &rt.priority, e) < 0 ||
		    decode_uint(item, "routes", i, "table", &rt.table, e) < 0)
			return -1;
		if (rt.gw.family && rt.gw.family != rt.dst.addr.family)
			return cni_error_set(e, CNI_ERR_DECODE, "result routes[%zu].gw is of another family than dst", i);
		scope = json_object_get(item, "scope");
		if (scope && !json_is_null(scope)) {
			if (!json_is_integer(scope) || json_integer_value(scope) < 0 || json_integer_value(scope) > 255)
				return cni_error_set(e, CNI_ERR_DECODE, "result routes[%zu].scope is not 0..255", i);
			rt.scope = (int)json_integer_value(scope);
		}
		if (cni_result_add_route(r, &rt, e) < 0)
			return -1;
	}
	return 0;
}

static int decode_list(json_t *obj, const char *key, json_t **out, struct cni_error *e)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return cni_error_set(e, CNI_ERR_DECODE, "result %s must be a list", key);
	*out = v;
	return 0;
}

int cni_result_decode(json_t *obj, struct cni_result *r, struct cni_error *e)
{
	json_t *ifaces, *ips, *routes, *dns;

	cni_result_init(r);
	if (!json_is_object(obj))
		return cni_error_set(e, CNI_ERR_DECODE, "result is not a JSON object");
	if (json_object_get(obj, "ip4") || json_object_get(obj, "ip6"))
		return cni_error_set(e, CNI_ERR_VERSION, "result is in the 0.2.0 format, which weft does not read");
	if (decode_list(obj, "interfaces", &ifaces, e) < 0 || decode_list(obj, "ips", &ips, e) < 0 ||
	    decode_list(obj, "routes", &routes, e) < 0)
		return -1;
	/* interfaces first: ips[].interface indexes into them. */
	if ((ifaces && decode_ifaces(ifaces, r, e) < 0) || (ips && decode_ips(ips, r, e) < 0) ||
	    (routes && decode_routes(routes, r, e) < 0))
		return -1;
	dns = json_object_get(obj, "dns");
	if (dns && !json_is_null(dns)) {
		if (!json_is_object(dns))
			return cni_error_set(e, CNI_ERR_DECODE, "result dns must be an object");
		r->dns = json_incref(dns);
	}
	return 0;
}

static void set_addr(json_t *o, const char *key, const struct inet_addr *a)
{
	char buf[INET_ADDRSTR];

	if (a->family)
		json_object_set_new(o, key, json_string(inet_addr_fmt(a, buf, sizeof(buf))));
}

static void set_prefix(json_t *o, const char *key, const struct inet_prefix *p)
{
	char buf[INET_PREFIXSTR];

	json_object_set_new(o, key, json_string(inet_prefix_fmt(p, buf, sizeof(buf))));
}

static void set_uint_if(json_t *o, const char *key, unsigned v)
{
	if (v)
		json_object_set_new(o, key, json_integer(v));
}

json_t *cni_result_encode(const struct cni_result *r, enum cni_version v)
{
	json_t *o = json_object(), *list;
	bool v11 = v >= CNI_V110, pre1 = v < CNI_V100;

	json_object_set_new(o, "cniVersion", json_string(cni_version_str(v)));
	if (r->n_ifaces) {
		list = json_array();
		for (size_t i = 0; i < r->n_ifaces; i++) {
			const struct cni_iface *f = &r->ifaces[i];
			json_t *it = json_object();

			json_object_set_new(it, "name", json_string(f->name));
			if (f->mac[0])
				json_object_set_new(it, "mac", json_string(f->mac));
			if (v11)
				set_uint_if(it, "mtu", f->mtu);
			if (f->sandbox[0])
				json_object_set_new(it, "sandbox", json_string(f->sandbox));
			json_array_append_new(list, it);
		}
		json_object_set_new(o, "interfaces", list);
	}
	if (r->n_ips) {
		list = json_array();
		for (size_t i = 0; i < r->n_ips; i++) {
			const struct cni_ip *ip = &r->ips[i];
			json_t *it = json_object();

			/* 0.3.x and 0.4.0 name the family on each IP; 1.0.0 dropped the field. */
			if (pre1)
				json_object_set_new(it, "version", json_string(ip->addr.addr.family == AF_INET ? "4" : "6"));
			if (ip->iface != CNI_NO_IFACE)
				json_object_set_new(it, "interface", json_integer(ip->iface));
			set_prefix(it, "address", &ip->addr);
			set_addr(it, "gateway", &ip->gateway);
			json_array_append_new(list, it);
		}
		json_object_set_new(o, "ips", list);
	}
	if (r->n_routes) {
		list = json_array();
		for (size_t i = 0; i < r->n_routes; i++) {
			const struct cni_route *rt = &r->routes[i];
			json_t *it = json_object();

			set_prefix(it, "dst", &rt->dst);
			set_addr(it, "gw", &rt->gw);
			if (v11) {
				set_uint_if(it, "mtu", rt->mtu);
				set_uint_if(it, "advmss", rt->advmss);
				set_uint_if(it, "priority", rt->priority);
				set_uint_if(it, "table", rt->table);
				if (rt->scope >= 0)
					json_object_set_new(it, "scope", json_integer(rt->scope));
			}
			json_array_append_new(list, it);
		}
		json_object_set_new(o, "routes", list);
	}
	/* Like the reference plugins, always carry "dns" (empty when nobody set it). */
	if (r->dns)
		json_object_set(o, "dns", r->dns);
	else
		json_object_set_new(o, "dns", json_object());
	return o;
}
