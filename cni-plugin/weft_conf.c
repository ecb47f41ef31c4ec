/* weft's own configuration keys: "mtu" and the IPAM plugin's type. Unknown keys, "args",
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
	return 0;
}
