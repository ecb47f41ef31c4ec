/* weft's own keys in the network configuration (the common keys are lib/cni's): validated
 * with errors that name the field and quote the bad value. docs/config.md documents them. */
#ifndef WEFT_PLUGIN_WEFT_CONF_H
#define WEFT_PLUGIN_WEFT_CONF_H

#include "cni.h"

/* IPv6 needs at least 1280; the largest a veth takes is 65535. */
#define WEFT_MTU_MIN 1280
#define WEFT_MTU_MAX 65535
/* "daemonSocket" must fit sockaddr_un.sun_path with its NUL. */
#define WEFT_DAEMON_SOCKET_MAX 107
#define WEFT_DAEMON_TIMEOUT_DEFAULT 2000
#define WEFT_DAEMON_TIMEOUT_MIN 10
#define WEFT_DAEMON_TIMEOUT_MAX 60000

struct weft_conf {
	unsigned mtu;          /* "mtu": both veth ends; 0 = the default route device's MTU */
	const char *ipam_type; /* "ipam.type": the IPAM plugin's binary name (borrowed) */
	const char *daemon_socket;  /* "daemonSocket": weftd's API socket (borrowed); NULL = no daemon */
	unsigned daemon_timeout_ms; /* "daemonTimeoutMs": bounds each exchange with weftd */
};

/* Read weft's keys from conf->root. Code 7 naming the field on a bad value. */
int weft_conf_parse(const struct cni_netconf *conf, struct weft_conf *out, struct cni_error *e);

/* A plugin name as CNI_PATH lookup needs it: a file name, not a path. */
bool weft_conf_plugin_name_valid(const char *s);

#endif
