/* The plugin's side of weftd's API (lib/api.h): register a pod's endpoint on ADD, unregister it on
 * DEL, look it up on CHECK. Each call is one connect and one request, bounded in total by the
 * configured timeout. Errors are CNI errors: code 11 when weftd does not answer, 110 when it
 * answers with an error. */
#ifndef WEFT_PLUGIN_DAEMON_CLIENT_H
#define WEFT_PLUGIN_DAEMON_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cni.h"
#include "inet.h"

/* Kubernetes limits: a pod name is a DNS subdomain (253 bytes), a namespace a DNS label (63). */
#define DAEMON_POD_NAME_MAX 254
#define DAEMON_POD_NS_MAX 64

/* What weftd is told about one attachment (endpoint.add's arguments, docs/api.md). */
struct daemon_endpoint {
	const char *containerid, *ifname, *netns, *network, *host_ifname; /* borrowed */
	int host_ifindex;
	uint8_t host_mac[6], pod_mac[6];
	struct inet_addr ips[CNI_MAX_IPS];
	size_t n_ips;
	char pod_name[DAEMON_POD_NAME_MAX];     /* "" = not given */
	char pod_namespace[DAEMON_POD_NS_MAX];
};

/* Where weftd listens and how long one exchange may take in total. */
struct daemon_target {
	const char *socket;
	int timeout_ms;
};

/* K8S_POD_NAME and K8S_POD_NAMESPACE from CNI_ARGS into ep (left "" when absent). Code 4 naming
 * the key and quoting the value when one is not a Kubernetes name. */
int daemon_pod_args(const char *cni_args, struct daemon_endpoint *ep, struct cni_error *e);

/* endpoint.add's arguments. New reference, NULL when out of memory. */
json_t *daemon_endpoint_json(const struct daemon_endpoint *ep);

/* Register ep. 0, or -1 with e: code 11 when weftd cannot be reached or does not answer in time,
 * 110 when it refuses. *maybe_registered tells the caller's rollback whether weftd may hold the
 * endpoint anyway (the request went out but no answer came back). */
int daemon_endpoint_add(const struct daemon_target *t, const struct daemon_endpoint *ep, bool *maybe_registered,
			struct cni_error *e);

/* Unregister (containerid, ifname); an unknown endpoint is fine. 0, or -1 with e (11 or 110 as
 * above: callers tell "weftd is not there" from "weftd refused" by e->code). */
int daemon_endpoint_del(const struct daemon_target *t, const char *containerid, const char *ifname,
			struct cni_error *e);

/* Look (containerid, ifname) up: 1 with *out (a new reference to weftd's endpoint object), 0 when
 * weftd has no such endpoint, -1 with e (11 or 110 as above). */
int daemon_endpoint_get(const struct daemon_target *t, const char *containerid, const char *ifname, json_t **out,
			struct cni_error *e);

/* Ask weftd for its status: 0 when it answers, -1 with e (11 or 110 as above). */
int daemon_status(const struct daemon_target *t, struct cni_error *e);

/* Compare weftd's endpoint object with what the plugin expects; call fail once per difference
 * (a sentence naming the field, what weftd has and what is expected). Returns the count. */
unsigned daemon_endpoint_compare(json_t *got, const struct daemon_endpoint *want,
				 void (*fail)(void *arg, const char *what), void *arg);

#endif
