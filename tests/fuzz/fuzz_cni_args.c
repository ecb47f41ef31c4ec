/* libFuzzer harness: CNI_ARGS ("K=V;K=V") validation and lookup, and the identifier rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_error e = { 0 };
	char *s = malloc(size + 1), v[64];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int valid = cni_args_validate(s, &e) == 0;
	char *big = malloc(size + 1);

	/* With room for any value, a string that validates never makes the lookup fail. */
	if (big && valid && cni_args_get(s, "IP", big, size + 1) < 0)
		abort();
	if (!valid && !e.code)
		abort();
	free(big);
	if (cni_args_get(s, "K8S_POD_NAME", v, sizeof(v)) == 1 && strlen(v) >= sizeof(v))
		abort();
	(void)cni_containerid_valid(s);
	(void)cni_ifname_valid(s);
	free(s);
	return 0;
}
