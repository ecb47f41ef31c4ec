/* libFuzzer harness: the network configuration as a runtime hands it on stdin — the common
 * CNI part, the weft plugin's keys, weft-ipam's config and requested addresses, the prevResult
 * decoder and the result encoder for every version. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"
#include "cni-plugin/weft_conf.h"
#include "ipam/ipam.h"

/* The plugins' own parsers, run on a config the common part accepted. */
static void fuzz_plugin_parsers(struct cni_netconf *conf)
{
	struct cni_error e = { 0 };
	struct weft_conf w;
	struct ipam_config ic;
	struct ipam_request req;

	if (weft_conf_parse(conf, &w, &e) < 0 && !e.code)
		abort();
	memset(&e, 0, sizeof(e));
	if (conf->ipam && ipam_config_parse(conf->ipam, conf->name, &ic, &e) == 0) {
		struct cni_error e2 = { 0 };

		if (ipam_request_parse(&ic, conf->root, "IgnoreUnknown=1;IP=10.244.1.7", &req, &e2) < 0 && !e2.code)
			abort();
	} else if (conf->ipam && !e.code) {
		abort();
	}
	if (conf->ipam)
		ipam_config_fini(&ic);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_netconf conf;
	struct cni_error e = { 0 };

	if (cni_netconf_parse((const char *)data, size, &conf, &e) == 0 && conf.prev_result) {
		struct cni_result r;
		struct cni_error e2 = { 0 };

		if (cni_result_decode(conf.prev_result, &r, &e2) == 0) {
			for (int v = 0; v < CNI_V_COUNT; v++)
				json_decref(cni_result_encode(&r, (enum cni_version)v));
		} else if (!e2.code) {
			abort(); /* a failure must always say why */
		}
		cni_result_fini(&r);
	} else if (!conf.root || e.code) {
		/* failed with a reason, or succeeded without prevResult */
	}
	if (e.code == 0 && !conf.name)
		abort();
	if (e.code == 0)
		fuzz_plugin_parsers(&conf);
	cni_netconf_fini(&conf);
	return 0;
}
