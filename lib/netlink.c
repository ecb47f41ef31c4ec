/* Route netlink plumbing (netlink.h): sockets bound to a namespace, request/ACK with the
 * kernel's extended-ACK message kept for error messages, and dumps. Everything the plugin and
 * weftd's kroute tell the kernel goes through nl_talk() or nl_dump(), so errors have one shape. */
#include "netlink.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Large enough for a whole dump batch: the kernel sizes dump skbs from the reader's buffer. */
#define NL_RECV_SIZE 32768

/* Shared by every socket: the plugin and weftd are single threaded and read one reply at a time. */
static char nl_recv_buf[NL_RECV_SIZE] __attribute__((aligned(8)));

int nl_open(struct nl_sock *s)
{
	int one = 1;
	int err;

	memset(s, 0, sizeof(*s));
	s->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->mnl)
		return -errno;
	/* Extended ACKs carry the kernel's reason ("Nexthop device is not up"); capped ACKs
	 * skip echoing our request back; strict checking makes dump filters apply in the kernel. */
	if (mnl_socket_setsockopt(s->mnl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(s->mnl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(s->mnl, NETLINK_GET_STRICT_CHK, &one, sizeof(one)) < 0 ||
	    mnl_socket_bind(s->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(s->mnl);
		s->mnl = NULL;
		return err;
	}
	s->portid = mnl_socket_get_portid(s->mnl);
	s->seq = 1;
	return 0;
}

void nl_close(struct nl_sock *s)
{
	if (s->mnl)
		mnl_socket_close(s->mnl);
	s->mnl = NULL;
}

struct nlmsghdr *nl_msg_start(struct nl_sock *s, void *buf, uint16_t type, uint16_t flags,
			      size_t hdrlen, void **hdr)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_REQ_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = s ? s->seq++ : 1;
	*hdr = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	return nlh;
}

struct nl_run {
	struct nl_sock *s;
	mnl_cb_t cb;
	void *data;
	bool stopped; /* cb asked to stop, or failed: drain the rest without calling it */
	int cb_err;   /* the first error cb returned (-errno), reported once the reply is drained */
};

static int nl_cb_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_run *run = arg;
	int rc;

	if (run->stopped || !run->cb)
		return MNL_CB_OK;
	errno = 0;
	rc = run->cb(nlh, run->data);
	if (rc == MNL_CB_ERROR) {
		run->cb_err = errno ? -errno : -EIO;
		run->stopped = true;
	} else if (rc == MNL_CB_STOP) {
		run->stopped = true;
	}
	return MNL_CB_OK;
}

/* NLMSG_ERROR: error 0 is the ACK; otherwise keep the extack message (NLMSGERR_ATTR_MSG). */
static int nl_cb_error(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct nl_run *run = arg;
	const struct nlattr *attr;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_for_each(attr, nlh, off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(run->s->ext_msg, sizeof(run->s->ext_msg), "%s", mnl_attr_get_str(attr));
		}
	}
	errno = err->error < 0 ? -err->error : err->error;
	return MNL_CB_ERROR;
}

/* NLMSG_DONE may carry the dump's error as an int. */
static int nl_cb_done(const struct nlmsghdr *nlh, void *arg)
{
	int err;

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

static int nl_exchange(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nl_cb_error,
		[NLMSG_DONE] = nl_cb_done,
	};
	struct nl_run run = { .s = s, .cb = cb, .data = data };
	unsigned seq = nlh->nlmsg_seq;
	ssize_t n;
	int rc;

	s->ext_msg[0] = '\0';
	if (mnl_socket_sendto(s->mnl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(s->mnl, nl_recv_buf, sizeof(nl_recv_buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		errno = 0;
		rc = mnl_cb_run2(nl_recv_buf, (size_t)n, seq, s->portid, nl_cb_msg, &run, ctl, NLMSG_MIN_TYPE);
		if (rc == MNL_CB_ERROR)
			return errno ? -errno : -EPROTO;
		if (rc == MNL_CB_STOP)
			return run.cb_err;
	}
}

int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return nl_exchange(s, nlh, cb, data);
}

int nl_dump(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	/* A dump ends with NLMSG_DONE; an ACK flag would only add a message to skip. */
	nlh->nlmsg_flags = (uint16_t)((nlh->nlmsg_flags & ~NLM_F_ACK) | NLM_F_DUMP);
	return nl_exchange(s, nlh, cb, data);
}
