/* libFuzzer harness: bytes from an API client, as weftd's server sees them. The input is split
 * into lines by the same api_buf the server uses, and each line goes through the request parser
 * and validator (api_request_parse), which touches neither the system nor the data path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_buf b = { 0 };
	char *line;
	size_t len;

	if (api_buf_append(&b, data, size) < 0)
		return 0;
	/* The last line counts even without its newline: parse it too. */
	if (api_buf_append(&b, "\n", 1) < 0) {
		api_buf_fini(&b);
		return 0;
	}
	while (api_buf_next(&b, &line, &len) == 1) {
		struct api_request req;
		char err[1024] = "";
		const char *code = api_request_parse(line, len, &req, err, sizeof(err));

		if (code) {
			/* Every refusal says why, in a message that fits. */
			if (!err[0] || strlen(err) >= sizeof(err))
				abort();
		} else {
			if (!req.op || !req.id || !json_is_object(req.args))
				abort();
			/* What the server would echo and log encodes. */
			free(api_encode(req.root, NULL));
		}
		api_request_fini(&req);
		free(line);
	}
	api_buf_fini(&b);
	return 0;
}
