/* Route netlink plumbing for the plugin: one libmnl socket per network namespace, a
 * request/ACK exchange that keeps the kernel's extended-ACK text, and dumps.
 * The object modules (nl_link, nl_addr, nl_route, nl_neigh) build messages on top of this. */
#ifndef WEFT_PLUGIN_NL_H
#define WEFT_PLUGIN_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

#include "cni.h"

/* Room for one request; replies and dumps are read into a larger buffer (nl.c). */
#define NL_REQ_SIZE 1024

struct nl_sock {
	struct mnl_socket *mnl;
	unsigned portid;
	unsigned seq;
	char ext_msg[128]; /* the kernel's extack message for the last failed request, or "" */
};

/* Open a NETLINK_ROUTE socket in the calling thread's current network namespace; the socket
 * stays bound to that namespace after a later setns(). 0 or -errno. */
int nl_open(struct nl_sock *s);
void nl_close(struct nl_sock *s);

/* Start a request in buf (NL_REQ_SIZE bytes): header with type and flags (NLM_F_REQUEST and
 * NLM_F_ACK are added), the next sequence number, and a zeroed family header of hdrlen bytes
 * whose address is stored in *hdr. */
struct nlmsghdr *nl_msg_start(struct nl_sock *s, void *buf, uint16_t type, uint16_t flags,
			      size_t hdrlen, void **hdr);

/* Send nlh and read until the kernel's ACK. Reply messages (a GET's answer) go to cb. Returns 0,
 * or the kernel's -errno with s->ext_msg set from its extended ACK. */
int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/* Send a dump request (NLM_F_DUMP is added) and run cb on every message until NLMSG_DONE.
 * cb may return MNL_CB_STOP to end early; the rest of the dump is drained. 0 or -errno. */
int nl_dump(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* Fill e with code 101 (CNI_ERR_NETLINK): "<what>: <strerror(-rc)>", the kernel's extack text
 * as details. Returns -1. */
int nl_error(struct cni_error *e, const struct nl_sock *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
