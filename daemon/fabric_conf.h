/* weftd's fabric configuration: the top-level keys nodeAddress, nodeAddress6, podCIDRs,
 * clusterCIDRs, masquerade, fabric and staticRoutes of weftd.json (docs/weftd.md), validated as they are
 * parsed with errors naming the field (`staticRoutes[2].nexthop`) and quoting the value,
 * defaults filled in, and printed back normalised for `weftd -n`. */
#ifndef WEFTD_FABRIC_CONF_H
#define WEFTD_FABRIC_CONF_H

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"

/* Fixed arrays: struct conf is copied by value and never freed. staticRoutes are for the few
 * nodes that speak no BGP; a cluster of thousands of nodes learns its routes over BGP. */
#define FABRIC_CONF_POD_CIDRS_MAX 8
#define FABRIC_CONF_CLUSTER_CIDRS_MAX 16
#define FABRIC_CONF_STATIC_MAX 1024
#define FABRIC_CONF_VXLAN_PORT 8472       /* Linux's VXLAN port (IANA's is 4789) */
#define FABRIC_CONF_VXLAN_DEVICE "weft.vxlan"

enum fabric_mode { FABRIC_MODE_OVERLAY, FABRIC_MODE_NATIVE };

struct fabric_route_conf {
	struct inet_prefix prefix;
	struct inet_addr nexthop;
};

struct fabric_conf {
	struct inet_addr node_address;     /* family 0: not set, the fabric is off */
	struct inet_addr node_address6;    /* beside an IPv4 nodeAddress on a dual-stack underlay; family 0: none */
	size_t n_pod_cidrs;
	struct inet_prefix pod_cidrs[FABRIC_CONF_POD_CIDRS_MAX];
	size_t n_cluster_cidrs;
	struct inet_prefix cluster_cidrs[FABRIC_CONF_CLUSTER_CIDRS_MAX];
	bool masquerade;
	enum fabric_mode mode;
	uint16_t vxlan_port;
	char vxlan_device[IF_NAMESIZE];
	char underlay_device[IF_NAMESIZE]; /* "": the device that has nodeAddress */
	size_t n_static;
	struct fabric_route_conf static_routes[FABRIC_CONF_STATIC_MAX];
};

/* Parse the fabric's keys of root (the whole config object). 0, or -1 with a sentence in err
 * naming the field. */
int fabric_conf_parse(json_t *root, struct fabric_conf *c, char *err, size_t errlen);
/* Add the fabric's keys, normalised and in a fixed order, to obj. 0 or -1 (out of memory). */
int fabric_conf_to_json(const struct fabric_conf *c, json_t *obj);
const char *fabric_mode_name(enum fabric_mode m);
/* The node's own underlay address for prefixes of family: nodeAddress6 for IPv6 when set. */
const struct inet_addr *fabric_conf_nexthop(const struct fabric_conf *c, int family);
/* Whether a is one of the node's own underlay addresses. */
bool fabric_conf_is_node(const struct fabric_conf *c, const struct inet_addr *a);
/* Whether the two configurations have the same static routes, in the same order. */
bool fabric_conf_static_equal(const struct fabric_conf *a, const struct fabric_conf *b);

#endif
