/* The kernel side of the fabric through rtnetlink (libmnl): weftd's own routes (protocol
 * KROUTE_PROTO in the main table, so weftd can tell them from everyone else's and remove
 * exactly its stale ones), and the VXLAN device with its addresses. Library code: 0 or -errno,
 * the kernel's extended-ACK text kept for the caller's message; no logging. */
#ifndef WEFTD_KROUTE_H
#define WEFTD_KROUTE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "inet.h"

/* rtm_protocol of every route weftd installs ("ip route show proto 201"). Not in iproute2's
 * rt_protos list; 186-192 are BGP/IS-IS/OSPF/RIP/EIGRP daemons, 200-ish is unassigned. */
#define KROUTE_PROTO 201

struct kroute;

int kroute_open(struct kroute **out);
void kroute_close(struct kroute *kr);
/* The kernel's reason for the last failure ("Nexthop has invalid gateway"), or "". */
const char *kroute_ext_msg(const struct kroute *kr);

/* ---- links ------------------------------------------------------------------------------------- */

struct kroute_link {
	unsigned ifindex;
	char name[IF_NAMESIZE];
	unsigned mtu;
	uint8_t mac[6];
	bool up, noarp;
	char kind[16];            /* IFLA_INFO_KIND: "vxlan", "veth"...; "" for none */
	char alias[128];          /* IFLA_IFALIAS */
	bool vxlan_external;      /* kind vxlan: IFLA_VXLAN_COLLECT_METADATA */
	bool vxlan_learning;
	uint16_t vxlan_port;      /* host order */
};

/* By name (when name is not NULL) or by ifindex. -ENODEV when there is none. */
int kroute_link_get(struct kroute *kr, const char *name, unsigned ifindex, struct kroute_link *out);
/* A collect-metadata VXLAN device ("external"): any VNI, any remote, the tunnel key per packet
 * set by BPF or a route's encap; learning off, ARP off (IFF_NOARP: frames the kernel routes
 * into it take the device's own MAC instead of resolving one), no IPv6 link-local address, the
 * given MTU and alias. Created down. */
int kroute_vxlan_add(struct kroute *kr, const char *name, uint16_t port, unsigned mtu, const char *alias);
/* Set the MTU (0: leave it) and bring the link up. */
int kroute_link_up(struct kroute *kr, unsigned ifindex, unsigned mtu);
int kroute_link_del(struct kroute *kr, unsigned ifindex);

/* ---- addresses --------------------------------------------------------------------------------- */

/* The device that has address a; -ENOENT if none. */
int kroute_addr_find(struct kroute *kr, const struct inet_addr *a, unsigned *ifindex);
/* a as a host address (/32, /128) on ifindex, without DAD; already there is fine. */
int kroute_addr_add(struct kroute *kr, unsigned ifindex, const struct inet_addr *a);
int kroute_addr_del(struct kroute *kr, unsigned ifindex, const struct inet_addr *a);
/* Every address of ifindex with global scope. */
int kroute_addr_foreach(struct kroute *kr, unsigned ifindex, int (*fn)(const struct inet_addr *a, void *arg),
			void *arg);

/* ---- routes ------------------------------------------------------------------------------------ */

/* One of weftd's routes to a remote pod CIDR. Native mode: via gw (the node's underlay
 * address; the kernel finds the device). Overlay mode: out of the VXLAN device (oif), with a
 * lightweight-tunnel encap whose destination is the node, so the node's own traffic to remote
 * pods is encapsulated by the kernel exactly as the pods' is by BPF. */
struct kroute_route {
	struct inet_prefix dst;
	struct inet_addr gw;      /* family 0: none. An IPv4 route may have an IPv6 gateway. */
	unsigned oif;             /* 0: none */
	struct inet_addr encap;   /* family 0: none */
	uint32_t encap_id;        /* VNI */
	struct inet_addr src;     /* preferred source; family 0: the kernel's choice */
};

/* Install or replace (same prefix in the main table). -EAFNOSUPPORT for an IPv6 route with an
 * IPv4 gateway, which Linux cannot do. */
int kroute_route_replace(struct kroute *kr, const struct kroute_route *r);
/* Remove weftd's route to dst (a route of another protocol is never touched); absent is fine. */
int kroute_route_del(struct kroute *kr, const struct inet_prefix *dst);
/* Where the kernel sends dst ("ip route get"): the output device and the gateway (family 0:
 * dst is on that device's link). -ENETUNREACH and the like when it has no route. */
int kroute_route_get(struct kroute *kr, const struct inet_addr *dst, unsigned *oif, struct inet_addr *gw);
/* Every route of weftd's (KROUTE_PROTO, main table) of family (AF_INET, AF_INET6). fn may not
 * call into kr (the dump is still being read); collect first. */
int kroute_route_foreach(struct kroute *kr, int family, int (*fn)(const struct kroute_route *r, void *arg),
			 void *arg);

#endif
