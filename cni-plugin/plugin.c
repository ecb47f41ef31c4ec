/* One invocation's state: environment and configuration loaded and validated once, the host
 * veth's derived name and alias, and the IPAM plugin handle every command uses. */
#include "plugin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"
#include "nl.h"

/* The spec's limit on stdin is the runtime's; 1 MiB is far beyond any real configuration. */
#define PLUGIN_CONF_MAX (1u << 20)

void plugin_gateway(int family, struct inet_addr *out)
{
	inet_addr_parse(family == AF_INET ? PLUGIN_GW4 : PLUGIN_GW6, out);
}

int plugin_netns_error(struct cni_error *e, const char *path, int rc)
{
	if (rc == -EINVAL)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_NETNS '%.200s' is not a network namespace", path);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_NETNS '%.200s' does not exist", path);
	return cni_error_set(e, CNI_ERR_NETNS, "cannot open CNI_NETNS '%.200s': %s", path, strerror(-rc));
}

int plugin_netns_socket(int ns_fd, const char *what, struct nl_sock *s, struct cni_error *e)
{
	int host_ns, rc, back;

	host_ns = netns_current();
	if (host_ns < 0)
		return cni_error_set(e, CNI_ERR_INTERNAL, "opening the current network namespace: %s", strerror(-host_ns));
	rc = netns_enter(ns_fd);
	if (rc < 0) {
		close(host_ns);
		return cni_error_set(e, CNI_ERR_NETNS, "entering %.200s: %s", what, strerror(-rc));
	}
	rc = nl_open(s);
	back = netns_enter(host_ns);
	close(host_ns);
	if (back < 0) {
		/* The socket is in the pod, but this thread is stuck there: nothing else may run. */
		nl_close(s);
		return cni_error_set(e, CNI_ERR_NETNS, "returning to the host network namespace: %s", strerror(-back));
	}
	if (rc < 0)
		return nl_error(e, NULL, rc, "opening a netlink socket in %.100s", what);
	return 0;
}

/* CHECK came with 0.4.0, GC and STATUS with 1.1.0: older configurations cannot ask for them
 * (the reference skel answers the same way). */
static int plugin_version_allows(const struct plugin *p, struct cni_error *e)
{
	enum cni_version need;

	switch (p->env.cmd) {
	case CNI_CMD_CHECK:
		need = CNI_V040;
		break;
	case CNI_CMD_GC:
	case CNI_CMD_STATUS:
		need = CNI_V110;
		break;
	default:
		return 0;
	}
	if (p->conf.version < need)
		return cni_error_set(e, CNI_ERR_VERSION, "config version %s does not allow %s (needs %s or later)",
				     cni_version_str(p->conf.version), cni_cmd_str(p->env.cmd), cni_version_str(need));
	return 0;
}

int plugin_load(struct plugin *p, const char *(*getenv_fn)(const char *), int stdin_fd, struct cni_error *e)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if (cni_env_load(&p->env, getenv_fn, e) < 0)
		return -1;
	if (p->env.cmd == CNI_CMD_VERSION)
		return 0;
	if (cni_read_all(stdin_fd, PLUGIN_CONF_MAX, &p->stdin_buf, &p->stdin_len, e) < 0 ||
	    cni_netconf_parse(p->stdin_buf, p->stdin_len, &p->conf, e) < 0)
		return -1;
	p->conf_parsed = true;
	if (plugin_version_allows(p, e) < 0 || weft_conf_parse(&p->conf, &p->wconf, e) < 0)
		return -1;
	ipam_exec_init(&p->ipam, p->wconf.ipam_type, p->env.path, p->stdin_buf, p->stdin_len, p->conf.root,
		       p->conf.version);
	if (!p->env.containerid)
		return 0;
	hostveth_name(p->env.containerid, p->env.ifname, p->hostveth);
	rc = hostveth_alias(p->conf.name, p->env.containerid, p->env.ifname, p->alias, sizeof(p->alias));
	if (rc < 0)
		return cni_error_set(e, CNI_ERR_CONFIG,
				     "name '%.40s' with CNI_CONTAINERID '%.64s' and CNI_IFNAME '%s' do not fit the "
				     "host veth's alias (\"weft:<name>:<containerid>:<ifname>\", at most %d bytes)",
				     p->conf.name, p->env.containerid, p->env.ifname, HOSTVETH_ALIAS_MAX - 1);
	return 0;
}

const char *plugin_error_version(const struct plugin *p)
{
	enum cni_version v;

	if (p->conf_parsed)
		return cni_version_str(p->conf.version);
	/* The configuration failed to parse: answer in its version if it named one we speak. */
	if (p->conf.root && cni_version_parse(json_string_value(json_object_get(p->conf.root, "cniVersion")), &v))
		return cni_version_str(v);
	return NULL;
}

void plugin_fini(struct plugin *p)
{
	ipam_exec_fini(&p->ipam);
	cni_netconf_fini(&p->conf);
	free(p->stdin_buf);
	p->stdin_buf = NULL;
}
