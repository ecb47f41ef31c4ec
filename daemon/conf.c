/* weftd's configuration parser (conf.h): one pass over the JSON document that validates each
 * field as it reads it, fills in the defaults, and prints the result back in a fixed order.
 * Paths are checked for shape only; whether they can be created is found out at start. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipam/ipam.h"

int conf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

char *conf_json_quote(json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t n = strlen(s), j = 0, room = len > 6 ? len - 6 : 0; /* quotes, "...", NUL */

		/* Control characters would break the log line: show them as '?'. */
		buf[j++] = '"';
		for (size_t i = 0; i < n && i < room; i++)
			buf[j++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
		if (n > room) {
			memcpy(buf + j, "...", 3);
			j += 3;
		}
		buf[j++] = '"';
		buf[j] = '\0';
		break;
	}
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "false");
		break;
	case JSON_NULL:
		snprintf(buf, len, "null");
		break;
	case JSON_OBJECT:
		snprintf(buf, len, "an object");
		break;
	case JSON_ARRAY:
		snprintf(buf, len, "a list");
		break;
	default:
		snprintf(buf, len, "?");
	}
	return buf;
}

int conf_json_keys_check(json_t *obj, const char *where, const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		bool ok = false;

		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			char q[80];
			json_t *k = json_string(key);

			conf_json_quote(k, q, sizeof(q));
			json_decref(k);
			return conf_err(err, errlen, "%s%sunknown key %s", where ? where : "", where ? ": " : "", q);
		}
	}
	return 0;
}

const char *conf_attach_name(enum dp_attach_mode m)
{
	switch (m) {
	case DP_ATTACH_TCX:
		return "tcx";
	case DP_ATTACH_TC:
		return "tc";
	default:
		return "auto";
	}
}

/* ---- field readers ---------------------------------------------------------------------------- */

/* A string field: absent/null leaves *out NULL. */
static int get_string(json_t *obj, const char *name, const char *key, const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	char q[96];

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return conf_err(err, errlen, "%s must be a string, not %s", name, conf_json_quote(v, q, sizeof(q)));
	*out = json_string_value(v);
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

/* An absolute path that fits in max bytes (NUL included). */
static int path_check(const char *name, const char *s, size_t max, char *err, size_t errlen)
{
	char q[96];
	json_t *j = json_string(s);

	conf_json_quote(j, q, sizeof(q));
	json_decref(j);
	if (s[0] != '/')
		return conf_err(err, errlen, "%s %s must be an absolute path", name, q);
	if (strlen(s) >= max)
		return conf_err(err, errlen, "%s %s is too long (at most %zu bytes)", name, q, max - 1);
	if (has_control(s))
		return conf_err(err, errlen, "%s %s contains control characters", name, q);
	return 0;
}

/* Node names become directory names (state, pins, socket): a conservative hostname shape. */
static bool node_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CONF_NODE_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

static int mode_parse(json_t *v, unsigned *out, char *err, size_t errlen)
{
	char q[96];
	const char *s;
	char *end;
	unsigned long m;

	conf_json_quote(v, q, sizeof(q));
	if (!json_is_string(v))
		return conf_err(err, errlen, "apiSocketMode must be an octal string such as \"0660\", not %s", q);
	s = json_string_value(v);
	if (strlen(s) < 3 || strlen(s) > 4 || strspn(s, "01234567") != strlen(s))
		return conf_err(err, errlen, "apiSocketMode %s is not an octal mode such as \"0660\"", q);
	m = strtoul(s, &end, 8);
	if (m > 0777)
		return conf_err(err, errlen, "apiSocketMode %s has bits beyond 0777", q);
	if ((m & 0600) != 0600)
		return conf_err(err, errlen, "apiSocketMode %s must let the owner read and write (0600)", q);
	/* Whoever can write to the socket can rewire pods: never other users. */
	if (m & 0007)
		return conf_err(err, errlen, "apiSocketMode %s gives other users access; use a group instead", q);
	*out = (unsigned)m;
	return 0;
}

static int group_parse(json_t *v, struct conf *c, char *err, size_t errlen)
{
	char q[96], buf[4096];
	struct group gr, *res = NULL;
	const char *s;

	conf_json_quote(v, q, sizeof(q));
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > 0x7fffffff)
			return conf_err(err, errlen, "apiSocketGroup %s is not a group id", q);
		c->api_socket_gid = (gid_t)json_integer_value(v);
		snprintf(c->api_socket_group, sizeof(c->api_socket_group), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		c->has_group = true;
		return 0;
	}
	if (!json_is_string(v))
		return conf_err(err, errlen, "apiSocketGroup must be a group name or id, not %s", q);
	s = json_string_value(v);
	if (!*s || strlen(s) >= sizeof(c->api_socket_group) || has_control(s))
		return conf_err(err, errlen, "apiSocketGroup %s is not a group name", q);
	if (strspn(s, "0123456789") == strlen(s)) {
		unsigned long g = strtoul(s, NULL, 10);

		if (strlen(s) > 10 || g > 0x7fffffff)
			return conf_err(err, errlen, "apiSocketGroup %s is not a group id", q);
		c->api_socket_gid = (gid_t)g;
	} else {
		int r = getgrnam_r(s, &gr, buf, sizeof(buf), &res);

		if (r != 0 || !res)
			return conf_err(err, errlen, "apiSocketGroup %s: no such group%s%s", q, r ? ": " : "",
					r ? strerror(r) : "");
		c->api_socket_gid = res->gr_gid;
	}
	snprintf(c->api_socket_group, sizeof(c->api_socket_group), "%s", s);
	c->has_group = true;
	return 0;
}

static int log_parse(json_t *log, struct conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "file", "level", NULL };
	const char *file, *level;
	char q[96];

	if (!log || json_is_null(log))
		return 0;
	if (!json_is_object(log))
		return conf_err(err, errlen, "log must be an object {file, level}, not %s",
				conf_json_quote(log, q, sizeof(q)));
	if (conf_json_keys_check(log, "log", keys, err, errlen) < 0 ||
	    get_string(log, "log.file", "file", &file, err, errlen) < 0 ||
	    get_string(log, "log.level", "level", &level, err, errlen) < 0)
		return -1;
	if (file && strcmp(file, "stderr") != 0) {
		if (path_check("log.file", file, sizeof(c->log_file), err, errlen) < 0)
			return -1;
	}
	if (file)
		snprintf(c->log_file, sizeof(c->log_file), "%s", file);
	if (level && !log_level_parse(level, &c->log_level))
		return conf_err(err, errlen, "log.level %s is not one of error, warn, info, debug",
				conf_json_quote(json_object_get(log, "level"), q, sizeof(q)));
	return 0;
}

static int ipam_parse(json_t *root, struct conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "dataDir", "network", NULL };
	json_t *ipam = json_object_get(root, "ipam");
	const char *dir, *net;
	char q[96];

	if (!ipam)
		return 0;
	if (json_is_null(ipam)) {
		c->ipam = false;
		return 0;
	}
	if (!json_is_object(ipam))
		return conf_err(err, errlen, "ipam must be an object {dataDir, network} or null, not %s",
				conf_json_quote(ipam, q, sizeof(q)));
	if (conf_json_keys_check(ipam, "ipam", keys, err, errlen) < 0 ||
	    get_string(ipam, "ipam.dataDir", "dataDir", &dir, err, errlen) < 0 ||
	    get_string(ipam, "ipam.network", "network", &net, err, errlen) < 0)
		return -1;
	if (dir) {
		if (path_check("ipam.dataDir", dir, sizeof(c->ipam_data_dir), err, errlen) < 0)
			return -1;
		snprintf(c->ipam_data_dir, sizeof(c->ipam_data_dir), "%s", dir);
	}
	if (net) {
		if (!cni_netname_valid(net) || strlen(net) >= sizeof(c->ipam_network))
			return conf_err(err, errlen, "ipam.network %s is not a valid network name",
					conf_json_quote(json_object_get(ipam, "network"), q, sizeof(q)));
		snprintf(c->ipam_network, sizeof(c->ipam_network), "%s", net);
	}
	return 0;
}

static int paths_parse(json_t *root, struct conf *c, char *err, size_t errlen)
{
	const char *s;

	if (get_string(root, "stateDir", "stateDir", &s, err, errlen) < 0)
		return -1;
	if (s && path_check("stateDir", s, sizeof(c->state_dir), err, errlen) < 0)
		return -1;
	if (s)
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", s);
	else
		snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/weft/%s", c->node);

	if (get_string(root, "bpffs", "bpffs", &s, err, errlen) < 0)
		return -1;
	if (s && path_check("bpffs", s, sizeof(c->bpffs), err, errlen) < 0)
		return -1;
	snprintf(c->bpffs, sizeof(c->bpffs), "%s", s ? s : "/sys/fs/bpf");

	if (get_string(root, "apiSocket", "apiSocket", &s, err, errlen) < 0)
		return -1;
	if (s && path_check("apiSocket", s, sizeof(c->api_socket), err, errlen) < 0)
		return -1;
	if (s)
		snprintf(c->api_socket, sizeof(c->api_socket), "%s", s);
	else
		snprintf(c->api_socket, sizeof(c->api_socket), "/run/weft/%s/weftd.sock", c->node);
	return 0;
}

int conf_parse(const char *buf, size_t len, const char *hostname, struct conf *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "node", "stateDir", "bpffs", "apiSocket", "apiSocketMode",
					    "apiSocketGroup", "apiMaxClients", "log", "attachMode", "ipam",
					    "bgp", "nodeAddress", "nodeAddress6", "podCIDRs", "clusterCIDRs",
					    "masquerade", "fabric", "staticRoutes", NULL };
	json_error_t je;
	json_t *root, *v;
	const char *s;
	char q[96];
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->api_socket_mode = 0600;
	c->api_max_clients = CONF_API_MAX_CLIENTS;
	snprintf(c->log_file, sizeof(c->log_file), "stderr");
	c->log_level = LOG_LEVEL_INFO;
	c->attach = DP_ATTACH_AUTO;
	c->ipam = true;
	snprintf(c->ipam_data_dir, sizeof(c->ipam_data_dir), "%s", IPAM_DEFAULT_DATA_DIR);

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return conf_err(err, errlen, "not valid JSON at line %d column %d: %s", je.line, je.column, je.text);
	if (!json_is_object(root)) {
		conf_err(err, errlen, "the config must be a JSON object, not %s", conf_json_quote(root, q, sizeof(q)));
		goto out;
	}
	if (conf_json_keys_check(root, NULL, keys, err, errlen) < 0)
		goto out;

	if (get_string(root, "node", "node", &s, err, errlen) < 0)
		goto out;
	if (s && !node_valid(s)) {
		conf_err(err, errlen, "node %s is not a valid node name (1-%d letters, digits, '.', '-', '_', "
			 "starting with a letter or digit)", conf_json_quote(json_object_get(root, "node"), q, sizeof(q)),
			 CONF_NODE_MAX - 1);
		goto out;
	}
	if (!s && (!hostname || !node_valid(hostname))) {
		conf_err(err, errlen, "node is not set and the host name \"%.64s\" is not a valid node name",
			 hostname ? hostname : "");
		goto out;
	}
	snprintf(c->node, sizeof(c->node), "%s", s ? s : hostname);

	if (paths_parse(root, c, err, errlen) < 0)
		goto out;
	if ((v = json_object_get(root, "apiSocketGroup")) && !json_is_null(v)) {
		if (group_parse(v, c, err, errlen) < 0)
			goto out;
		c->api_socket_mode = 0660;
	}
	if ((v = json_object_get(root, "apiSocketMode")) && !json_is_null(v)) {
		if (mode_parse(v, &c->api_socket_mode, err, errlen) < 0)
			goto out;
	}
	if ((v = json_object_get(root, "apiMaxClients")) && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4096) {
			conf_err(err, errlen, "apiMaxClients %s must be an integer from 1 to 4096",
				 conf_json_quote(v, q, sizeof(q)));
			goto out;
		}
		c->api_max_clients = (unsigned)json_integer_value(v);
	}
	if (log_parse(json_object_get(root, "log"), c, err, errlen) < 0)
		goto out;
	if (get_string(root, "attachMode", "attachMode", &s, err, errlen) < 0)
		goto out;
	if (s) {
		if (strcmp(s, "auto") == 0) {
			c->attach = DP_ATTACH_AUTO;
		} else if (strcmp(s, "tcx") == 0) {
			c->attach = DP_ATTACH_TCX;
		} else if (strcmp(s, "tc") == 0) {
			c->attach = DP_ATTACH_TC;
		} else {
			conf_err(err, errlen, "attachMode %s is not one of auto, tcx, tc",
				 conf_json_quote(json_object_get(root, "attachMode"), q, sizeof(q)));
			goto out;
		}
	}
	if (ipam_parse(root, c, err, errlen) < 0)
		goto out;
	if (fabric_conf_parse(root, &c->fabric, err, errlen) < 0)
		goto out;
	/* The router id defaults to the node's IPv4 address. */
	if (bgp_conf_parse(json_object_get(root, "bgp"), &c->bgp, err, errlen) < 0 ||
	    bgp_conf_finish(&c->bgp, c->fabric.node_address.family == AF_INET ? &c->fabric.node_address : NULL, err,
			    errlen) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	char host[256] = "", *buf = NULL;
	size_t len = 0;
	int fd, rc = -1;

	memset(c, 0, sizeof(*c));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return conf_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
	buf = malloc(CONF_FILE_MAX + 1);
	if (!buf) {
		conf_err(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			conf_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONF_FILE_MAX) {
			conf_err(err, errlen, "%s is larger than %u bytes", path, CONF_FILE_MAX);
			goto out;
		}
	}
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	if (conf_parse(buf, len, host, c, err, errlen) < 0) {
		/* Say which file: the message names the field, the prefix names the file. */
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s", err);
		conf_err(err, errlen, "%s: %s", path, tmp);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

json_t *conf_to_json(const struct conf *c)
{
	char mode[8];
	json_t *group, *ipam, *j;

	snprintf(mode, sizeof(mode), "%04o", c->api_socket_mode);
	group = c->has_group ? json_string(c->api_socket_group) : json_null();
	if (c->ipam)
		ipam = json_pack("{s:s, s:o}", "dataDir", c->ipam_data_dir, "network",
				 c->ipam_network[0] ? json_string(c->ipam_network) : json_null());
	else
		ipam = json_null();
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:{s:s, s:s}, s:s, s:o}", "node", c->node, "stateDir",
			 c->state_dir, "bpffs", c->bpffs, "apiSocket", c->api_socket, "apiSocketMode", mode,
			 "apiSocketGroup", group, "apiMaxClients", (int)c->api_max_clients, "log", "file", c->log_file,
			 "level", log_level_name(c->log_level), "attachMode", conf_attach_name(c->attach), "ipam",
			 ipam);
	/* The fabric's keys and BGP only when configured, so configs without them print as before. */
	if (j && (c->fabric.node_address.family || c->fabric.n_cluster_cidrs) && fabric_conf_to_json(&c->fabric, j) < 0) {
		json_decref(j);
		j = NULL;
	}
	/* BGP only when configured, so configs without it print as before. */
	if (j && c->bgp.enabled && json_object_set_new(j, "bgp", bgp_conf_to_json(&c->bgp)) < 0) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

char *conf_dump(const struct conf *c)
{
	json_t *j = conf_to_json(c);
	char *s, *out = NULL;

	if (!j)
		return NULL;
	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (s && asprintf(&out, "%s\n", s) < 0)
		out = NULL;
	free(s);
	return out;
}
