/* Delegation to the IPAM plugin as the CNI spec describes: find `ipam.type` in CNI_PATH, run it
 * with our environment (CNI_COMMAND and, for per-attachment calls made by GC, the attachment's
 * variables replaced) and the whole network configuration on stdin, and decode its answer or
 * its error JSON, whose code and message are propagated. */
#ifndef WEFT_PLUGIN_IPAM_EXEC_H
#define WEFT_PLUGIN_IPAM_EXEC_H

#include <limits.h>
#include <stdbool.h>

#include "cni.h"

struct ipam_exec {
	const char *type;       /* ipam.type */
	const char *cni_path;   /* CNI_PATH */
	const char *conf;       /* the configuration exactly as the runtime gave it */
	size_t conf_len;
	json_t *root;           /* the same, parsed: rewritten for the version retry */
	enum cni_version version;
	char path[PATH_MAX];    /* the binary, once found */
	char *conf_v100;        /* the configuration with cniVersion "1.0.0", once needed */
};

/* Per-attachment variables for a call on behalf of another attachment (GC releasing a stale
 * one); NULL fields leave our own environment's value. netns "" unsets CNI_NETNS. */
struct ipam_target {
	const char *containerid;
	const char *ifname;
	const char *netns;
};

void ipam_exec_init(struct ipam_exec *x, const char *type, const char *cni_path, const char *conf,
		    size_t conf_len, json_t *root, enum cni_version version);
void ipam_exec_fini(struct ipam_exec *x);

/* Resolve the binary: the first CNI_PATH directory holding an executable file named type.
 * Code 105 if none. */
int ipam_exec_find(struct ipam_exec *x, struct cni_error *e);

/* Run cmd. On success *out (if out is non-NULL) gets the decoded JSON output (ADD's result,
 * VERSION's answer) or NULL when the plugin printed nothing. On failure e carries the plugin's
 * own code and message ("<type>: <msg>", its details kept), or code 105 if it could not run or
 * answered something that is not CNI. A plugin that answers code 1 (incompatible version) to a
 * 1.1.0 config is asked once more with cniVersion "1.0.0": the reference plugins stop at 1.0.0. */
int ipam_exec_call(struct ipam_exec *x, enum cni_cmd cmd, const struct ipam_target *t, json_t **out,
		   struct cni_error *e);

/* ADD, decoded into r (cni_result_fini it). Code 105 if the answer has no address. */
int ipam_exec_add(struct ipam_exec *x, struct cni_result *r, struct cni_error *e);

/* Ask VERSION whether the plugin speaks version v (GC and STATUS need 1.1.0). */
int ipam_exec_supports(struct ipam_exec *x, enum cni_version v, bool *yes, struct cni_error *e);

#endif
