/* weft's own configuration keys: "mtu", the IPAM plugin's type and weftd's socket and timeout.
 * Unknown keys, "args",
 * "capabilities" and "runtimeConfig" are tolerated (lib/cni reads the common ones). */
#include "weft_conf.h"

#include <string.h>

bool weft_conf_plugin_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 255 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* An absolute path without control characters that fits a unix socket address. */
static int weft_conf_daemon(const struct cni_netconf *conf, struct weft_conf *out, struct cni_error *e)
{
	unsigned long ms = WEFT_DAEMON_TIMEOUT_DEFAULT;
	const char *path = NULL;
	size_t n;

	if (cni_json_get_string(conf->root, NULL, "daemonSocket", &path, e) < 0 ||
	    cni_json_get_uint(conf->root, NULL, "daemonTimeoutMs", WEFT_DAEMON_TIMEOUT_MIN, WEFT_DAEMON_TIMEOUT_MAX,
			      &ms, e) < 0)
		return -1;
	out->daemon_timeout_ms = (unsigned)ms;
	if (!path)
		return 0;
	n = strlen(path);
	if (path[0] != '/' || n > WEFT_DAEMON_SOCKET_MAX)
		return cni_error_set(e, CNI_ERR_CONFIG, "daemonSocket '%.128s' must be an absolute path of at most %d bytes",
				     path, WEFT_DAEMON_SOCKET_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < ' ' || path[i] == 0x7f)
			return cni_error_set(e, CNI_ERR_CONFIG, "daemonSocket '%.128s' contains a control character", path);
	out->daemon_socket = path;
	return 0;
}

int weft_conf_parse(const struct cni_netconf *conf, struct weft_conf *out, struct cni_error *e)
{
	unsigned long mtu = 0;
	const char *type = NULL;

	memset(out, 0, sizeof(*out));
	if (cni_json_get_uint(conf->root, NULL, "mtu", WEFT_MTU_MIN, WEFT_MTU_MAX, &mtu, e) < 0)
		return -1;
	out->mtu = (unsigned)mtu;

	if (!conf->ipam)
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam is missing: weft needs an IPAM plugin "
				     "(\"ipam\": {\"type\": \"weft-ipam\", ...})");
	if (cni_json_get_string(conf->ipam, "ipam", "type", &type, e) < 0)
		return -1;
	if (!type)
		return cni_error_set(e, CNI_ERR_CONFIG, "ipam.type is missing");
	if (!weft_conf_plugin_name_valid(type))
		return cni_error_set(e, CNI_ERR_CONFIG,
				     "ipam.type '%.64s' is not a plugin name (a file name in CNI_PATH, no '/')", type);
	out->ipam_type = type;
	return weft_conf_daemon(conf, out, e);
}
