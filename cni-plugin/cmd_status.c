/* STATUS: weft is ready when its IPAM plugin is (its STATUS when it speaks 1.1.0, else it can be
 * found and answers VERSION) and, with daemonSocket set, when weftd answers — an ADD would fail
 * with 11 without it. Failure is code 50 with the reason (51, limited connectivity, is passed
 * through). */
#include <string.h>

#include "daemon_client.h"
#include "plugin.h"

int weft_cmd_status(struct plugin *p, json_t **out, struct cni_error *e)
{
	struct daemon_target t = { p->wconf.daemon_socket, (int)p->wconf.daemon_timeout_ms };
	struct cni_error sub = { 0 };
	bool v110 = false;

	if (t.socket && daemon_status(&t, &sub) < 0) {
		cni_error_set(e, CNI_ERR_NOT_AVAILABLE, "weftd is not available: %s", sub.msg);
		return -1;
	}

	if (ipam_exec_supports(&p->ipam, CNI_V110, &v110, &sub) == 0 &&
	    (!v110 || ipam_exec_call(&p->ipam, CNI_CMD_STATUS, NULL, NULL, &sub) == 0))
		return 0;
	if (sub.code == CNI_ERR_LIMITED) {
		*e = sub;
		return -1;
	}
	cni_error_set(e, CNI_ERR_NOT_AVAILABLE, "IPAM is not available: %s", sub.msg);
	if (sub.details[0])
		cni_error_detail(e, "%s", sub.details);
	return -1;
}
