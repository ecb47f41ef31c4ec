/* Route netlink for the plugin: the shared plumbing (lib/netlink.h: one libmnl socket per network
 * namespace, request/ACK keeping the kernel's extended-ACK text, dumps) and the plugin's error
 * shape. The object modules (nl_link, nl_addr, nl_route, nl_neigh) build messages on top. */
#ifndef WEFT_PLUGIN_NL_H
#define WEFT_PLUGIN_NL_H

#include "cni.h"
#include "netlink.h"

/* Fill e with code 101 (CNI_ERR_NETLINK): "<what>: <strerror(-rc)>", the kernel's extack text
 * as details. Returns -1. */
int nl_error(struct cni_error *e, const struct nl_sock *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
