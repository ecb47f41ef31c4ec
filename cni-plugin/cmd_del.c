/* DEL: best effort and idempotent. With "daemonSocket", unregister the endpoint from weftd first;
 * delete the host veth named for this attachment if its alias says it is ours (that removes the
 * pod end, routes and neighbours too); if it was not there, remove a pod-side CNI_IFNAME that
 * carries our alias; then always release through IPAM. Unknown containers, repeated DELs, an
 * empty CNI_NETNS (containerd), a namespace that is already gone and a weftd that is down all
 * succeed. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "daemon_client.h"
#include "netns.h"
#include "nl.h"
#include "nl_link.h"
#include "plugin.h"

/* Delete name on s if it exists and carries our alias: 1 deleted, 0 nothing of ours, -1 error.
 * With derived_name, a veth without any alias is taken as ours too: the kernel cannot set an
 * alias at creation, so an ADD killed between the two requests leaves exactly that, and only
 * this attachment's hash gives the name. */
static int del_link(struct plugin *p, struct nl_sock *s, const char *name, bool derived_name,
		    const char *where, struct cni_error *e)
{
	struct nl_link l;
	int rc;

	rc = nl_link_get(s, name, 0, &l);
	if (rc == -ENODEV)
		return 0;
	if (rc < 0)
		return nl_error(e, s, rc, "looking up %s in the %s", name, where);
	/* Not ours (another attachment's collision, or the runtime's own interface): leave it. */
	if (strcmp(l.alias, p->alias) != 0 && !(derived_name && !l.alias[0] && strcmp(l.kind, "veth") == 0))
		return 0;
	rc = nl_link_del(s, l.index);
	if (rc < 0 && rc != -ENODEV)
		return nl_error(e, s, rc, "deleting %s in the %s", name, where);
	return 1;
}

/* The pod side, for when the host end was not there to take it along. */
static int del_pod_side(struct plugin *p, struct cni_error *e)
{
	struct nl_sock pod = { 0 };
	int pod_ns, host_ns = -1, rc = 0, back;

	pod_ns = netns_open(p->env.netns);
	if (pod_ns < 0)
		return 0; /* gone (or never a namespace): nothing of ours can be in it */
	host_ns = netns_current();
	if (host_ns < 0) {
		rc = cni_error_set(e, CNI_ERR_INTERNAL, "opening the current network namespace: %s", strerror(-host_ns));
		goto out;
	}
	rc = netns_enter(pod_ns);
	if (rc < 0) {
		rc = cni_error_set(e, CNI_ERR_NETNS, "entering CNI_NETNS %.200s: %s", p->env.netns, strerror(-rc));
		goto out;
	}
	rc = nl_open(&pod);
	back = netns_enter(host_ns);
	if (back < 0) {
		rc = cni_error_set(e, CNI_ERR_NETNS, "returning to the host network namespace: %s", strerror(-back));
		goto out;
	}
	if (rc < 0) {
		rc = nl_error(e, NULL, rc, "opening a netlink socket in CNI_NETNS");
		goto out;
	}
	rc = del_link(p, &pod, p->env.ifname, false, "pod", e) < 0 ? -1 : 0;
out:
	nl_close(&pod);
	if (host_ns >= 0)
		close(host_ns);
	close(pod_ns);
	return rc;
}

/* Before the veth goes, so weftd's data path never points at a deleted interface. A weftd that
 * does not answer must not keep the pod's resources: its start-up reconcile removes endpoints
 * whose veth is gone. One that answers with an error fails DEL (after the rest of the cleanup),
 * so the runtime's retry unregisters again. */
static int del_unregister(struct plugin *p, struct cni_error *e)
{
	struct daemon_target t = { p->wconf.daemon_socket, (int)p->wconf.daemon_timeout_ms };
	struct cni_error sub = { 0 };

	if (!t.socket || daemon_endpoint_del(&t, p->env.containerid, p->env.ifname, &sub) == 0)
		return 0;
	if (sub.code == CNI_ERR_TRY_AGAIN)
		return 0;
	if (!e->code)
		*e = sub;
	return -1;
}

int weft_cmd_del(struct plugin *p, json_t **out, struct cni_error *e)
{
	struct nl_sock host = { 0 };
	int rc, deleted = 0, failed = 0;

	if (del_unregister(p, e) < 0)
		failed = 1;
	rc = nl_open(&host);
	if (rc < 0) {
		nl_error(e, NULL, rc, "opening a netlink socket");
		failed = 1;
	} else {
		deleted = del_link(p, &host, p->hostveth, true, "host", e);
		if (deleted < 0)
			failed = 1;
	}
	nl_close(&host);
	if (deleted <= 0 && p->env.netns && del_pod_side(p, e) < 0)
		failed = 1;
	/* Always release, whatever happened above: a DEL that keeps failing must not also keep
	 * the addresses. The first error is the one reported. */
	if (ipam_exec_call(&p->ipam, CNI_CMD_DEL, NULL, NULL, e) < 0)
		failed = 1;
	return failed ? -1 : 0;
}
