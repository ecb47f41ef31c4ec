/* `weft`, the CNI plugin: load the environment and configuration, dispatch the command, and
 * print the result or the error JSON. This is the only place that prints or exits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "plugin.h"

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int (*const commands[])(struct plugin *, json_t **, struct cni_error *) = {
	[CNI_CMD_ADD] = weft_cmd_add,
	[CNI_CMD_DEL] = weft_cmd_del,
	[CNI_CMD_CHECK] = weft_cmd_check,
	[CNI_CMD_STATUS] = weft_cmd_status,
	[CNI_CMD_GC] = weft_cmd_gc,
};

int main(void)
{
	struct cni_error e = { 0 };
	static struct plugin p; /* large (paths, names): not on the stack */
	json_t *out = NULL;
	int rc;

	/* A sub-plugin that exits before reading its stdin must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	rc = plugin_load(&p, env_get, 0, &e);
	if (rc == 0 && p.env.cmd == CNI_CMD_VERSION) {
		cni_version_print(stdout);
		fflush(stdout);
		plugin_fini(&p);
		return 0;
	}
	if (rc == 0)
		rc = commands[p.env.cmd](&p, &out, &e);
	if (rc == 0 && out)
		rc = cni_json_print(stdout, out, &e);
	if (rc < 0)
		cni_error_print(stdout, &e, plugin_error_version(&p));
	json_decref(out);
	plugin_fini(&p);
	return rc < 0 ? 1 : 0;
}
