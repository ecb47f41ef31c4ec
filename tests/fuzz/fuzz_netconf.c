/* libFuzzer harness: the network configuration as a runtime hands it on stdin — the common
 * CNI part, the prevResult decoder and the result encoder for every version. */
#include <stdint.h>
#include <stdlib.h>

#include "cni.h"

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
	cni_netconf_fini(&conf);
	return 0;
}
