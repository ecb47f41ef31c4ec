/* Route netlink plumbing shared by the CNI plugin and weftd: a libmnl socket bound to the
 * network namespace it was opened in, a request/ACK exchange that keeps the kernel's
 * extended-ACK text for error messages, and dumps. Both users are single threaded and ask one
 * thing at a time, so replies are read into one static buffer. */
#ifndef WEFT_NETLINK_H
#define WEFT_NETLINK_H

#include <libmnl/libmnl.h>
#include <stdint.h>

/* Room for one request; replies and dumps are read into a larger buffer (netlink.c). */
#define NL_REQ_SIZE 1024

struct nl_sock {
	struct mnl_socket *mnl;
	unsigned portid;
	unsigned seq;
	char ext_msg[160]; /* the kernel's extack message for the last failed request, or "" */
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
 * cb may return MNL_CB_STOP to end early, or MNL_CB_ERROR (with errno set) to fail: either way
 * the rest of the dump is drained, so the socket stays usable, and the first error returned. */
int nl_dump(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif
