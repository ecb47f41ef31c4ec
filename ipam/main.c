/* weft-ipam: the CNI IPAM plugin (ADD, DEL, CHECK, VERSION, STATUS, GC) over the store in
 * ipam_store.c. Every failure, wherever it arises, is printed once at the end of main() as the
 * CNI error JSON on stdout, with a non-zero exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"
#include "ipam.h"
#include "ipam_store.h"

#define STDIN_MAX (1 << 20)

/* An IPAM plugin never enters the pod's network namespace, so ADD and CHECK do not need
 * CNI_NETNS; a value that is given is still validated. */
static const char *env_get(const char *name)
{
	const char *v = getenv(name);

	if (strcmp(name, "CNI_NETNS") == 0 && (!v || !v[0]))
		return "/";
	return v;
}

static int cmd_add(struct ipam_store *st, const struct ipam_config *cfg, const struct cni_netconf *conf,
		   const struct cni_env *env, struct cni_error *e)
{
	struct ipam_request req;
	struct ipam_lease lease;
	struct cni_result res;
	json_t *out = NULL;
	int rc = -1;

	cni_result_init(&res);
	if (ipam_request_parse(cfg, conf->root, env->args, &req, e) < 0 ||
	    ipam_store_add(st, &req, env->containerid, env->ifname, &lease, e) < 0)
		goto out;
	if (ipam_result_fill(cfg, &lease, &res, e) < 0)
		goto out;
	out = cni_result_encode(&res, conf->version);
	if (!out) {
		cni_error_set(e, CNI_ERR_INTERNAL, "cannot encode the result");
		goto out;
	}
	rc = cni_json_print(stdout, out, e);
out:
	json_decref(out);
	cni_result_fini(&res);
	return rc;
}

static int cmd_check(struct ipam_store *st, const struct cni_netconf *conf, const struct cni_env *env,
		     struct cni_error *e)
{
	struct cni_result prev;
	int rc;

	cni_result_init(&prev);
	if (conf->prev_result && cni_result_decode(conf->prev_result, &prev, e) < 0) {
		cni_result_fini(&prev);
		return -1;
	}
	rc = ipam_store_check(st, env->containerid, env->ifname, conf->prev_result ? &prev : NULL, e);
	cni_result_fini(&prev);
	return rc;
}

int main(void)
{
	struct cni_error err = { 0 };
	struct cni_netconf conf = { 0 };
	static struct ipam_config cfg;
	struct ipam_store *st = NULL;
	const char *version = NULL;
	struct cni_env env;
	char *buf = NULL;
	size_t len;
	int rc = -1;

	if (cni_env_load(&env, env_get, &err) < 0) {
		struct cni_error ignored = { 0 };

		/* Answer in the config's version when stdin holds one. */
		if (cni_read_all(STDIN_FILENO, STDIN_MAX, &buf, &len, &ignored) == 0 &&
		    cni_netconf_parse(buf, len, &conf, &ignored) == 0)
			version = cni_version_str(conf.version);
		goto out;
	}
	if (env.cmd == CNI_CMD_VERSION) {
		cni_version_print(stdout);
		rc = 0;
		goto out;
	}
	if (cni_read_all(STDIN_FILENO, STDIN_MAX, &buf, &len, &err) < 0 ||
	    cni_netconf_parse(buf, len, &conf, &err) < 0)
		goto out;
	version = cni_version_str(conf.version);
	if (ipam_config_parse(conf.ipam, conf.name, &cfg, &err) < 0)
		goto out;
	if (ipam_store_new(&st, &cfg, &err) < 0) {
		/* STATUS answers "not available" (50) for a store it cannot use. */
		if (env.cmd == CNI_CMD_STATUS)
			err.code = CNI_ERR_NOT_AVAILABLE;
		goto out;
	}
	switch (env.cmd) {
	case CNI_CMD_ADD:
		rc = cmd_add(st, &cfg, &conf, &env, &err);
		break;
	case CNI_CMD_DEL:
		rc = ipam_store_del(st, env.containerid, env.ifname, &err);
		break;
	case CNI_CMD_CHECK:
		rc = cmd_check(st, &conf, &env, &err);
		break;
	case CNI_CMD_GC:
		rc = ipam_store_gc(st, conf.has_valid, conf.valid, conf.n_valid, &err);
		break;
	case CNI_CMD_STATUS:
		rc = ipam_store_status(st, &err);
		if (rc < 0)
			err.code = CNI_ERR_NOT_AVAILABLE;
		break;
	case CNI_CMD_VERSION:
		break;
	}
out:
	if (rc < 0)
		cni_error_print(stdout, &err, version);
	ipam_store_free(st);
	ipam_config_fini(&cfg);
	cni_netconf_fini(&conf);
	free(buf);
	return rc < 0 ? 1 : 0;
}
