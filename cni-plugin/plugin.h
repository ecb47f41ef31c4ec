/* What one invocation of `weft` knows (environment, configuration, derived names, the IPAM
 * plugin) and the commands main() dispatches to. Commands fill a cni_error and never print:
 * main() prints the result or the error JSON, in one place. */
#ifndef WEFT_PLUGIN_PLUGIN_H
#define WEFT_PLUGIN_PLUGIN_H

#include <net/if.h>

#include "cni.h"
#include "hostveth.h"
#include "inet.h"
#include "ipam_exec.h"
#include "weft_conf.h"

/* The pod's gateway: link-local addresses bound to the host veth's MAC by permanent neighbour
 * entries, so the pod's default routes need no bridge, no ARP and no router advertisement. */
#define PLUGIN_GW4 "169.254.1.1"
#define PLUGIN_GW6 "fe80::1"

struct plugin {
	struct cni_env env;
	struct cni_netconf conf;
	bool conf_parsed;        /* conf.version is meaningful */
	struct weft_conf wconf;
	struct ipam_exec ipam;
	char *stdin_buf; /* the configuration as given: handed to IPAM unchanged */
	size_t stdin_len;
	/* ADD, DEL, CHECK: the attachment's host veth name and alias */
	char hostveth[IF_NAMESIZE];
	char alias[HOSTVETH_ALIAS_MAX];
};

/* Load env (getenv_fn), the configuration from stdin_buf, weft's keys and the derived names.
 * Commands other than VERSION call this first. */
int plugin_load(struct plugin *p, const char *(*getenv_fn)(const char *), int stdin_fd, struct cni_error *e);
void plugin_fini(struct plugin *p);
/* The version to answer errors in: the configuration's when known, else NULL (the latest). */
const char *plugin_error_version(const struct plugin *p);

/* The gateway address of family (AF_INET or AF_INET6). */
void plugin_gateway(int family, struct inet_addr *out);

/* Map a netns_open() failure to the error the runtime should see: code 4 naming CNI_NETNS when
 * the path is not a network namespace, code 102 when it cannot be opened otherwise. */
int plugin_netns_error(struct cni_error *e, const char *path, int rc);

struct nl_sock;
/* Open a netlink socket s in the namespace ns_fd refers to (entering it and returning to the
 * caller's at once); what names the namespace in errors. 0, or -1 with e filled (code 102 when
 * it cannot be entered, 101 when the socket cannot be opened). */
int plugin_netns_socket(int ns_fd, const char *what, struct nl_sock *s, struct cni_error *e);

/* Commands: 0, or -1 with e filled. ADD stores its result in *out (a new reference). */
int weft_cmd_add(struct plugin *p, json_t **out, struct cni_error *e);
int weft_cmd_del(struct plugin *p, json_t **out, struct cni_error *e);
int weft_cmd_check(struct plugin *p, json_t **out, struct cni_error *e);
int weft_cmd_gc(struct plugin *p, json_t **out, struct cni_error *e);
int weft_cmd_status(struct plugin *p, json_t **out, struct cni_error *e);

#endif
