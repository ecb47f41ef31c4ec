/* Native mode's direct entries follow the kernel's routing: a route of someone else's (an
 * operator's more specific route, an address and its connected route going or coming) may
 * change where the kernel sends a pod CIDR, and a direct entry would not notice. This listens
 * to the kernel's IPv4 and IPv6 route notifications and, a moment after the last change that is
 * not weftd's own, asks the fabric to check every direct entry again (fabric_refresh_direct). */
#include "fabric_watch.h"

#include "log.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "kroute.h"

/* Changes come in bursts (an address brings a connected and a local route, a script adds many
 * routes): one check after the burst. */
#define FABRIC_WATCH_SETTLE 0.2

struct fabric_watch {
	struct fabric *f;
	struct ev_loop *loop;
	struct mnl_socket *nl;
	ev_io io;
	ev_timer settle;
	unsigned long checks; /* for tests and the log */
};

static void fabric_watch_check(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct fabric_watch *w = t->data;
	size_t direct;

	(void)loop;
	(void)revents;
	direct = fabric_refresh_direct(w->f);
	w->checks++;
	log_debug("fabric: the kernel's routes changed: %zu tunnel entries direct", direct);
}

/* Whether a notification may change where the kernel sends a pod CIDR: a route of someone
 * else's that forwards or refuses. weftd's own are left out (its installs would otherwise wake
 * it for every route it writes), and so are the local table's (the node's own addresses, which
 * the kernel adds by itself, e.g. after IPv6 duplicate address detection). */
static bool fabric_watch_relevant(const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
		return false;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return false;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_protocol == KROUTE_PROTO || rtm->rtm_table == RT_TABLE_LOCAL || (rtm->rtm_flags & RTM_F_CLONED))
		return false;
	/* Routes that send somewhere, or refuse to: not the node's own addresses (local,
	 * broadcast, anycast) nor multicast. */
	switch (rtm->rtm_type) {
	case RTN_UNICAST:
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
	case RTN_THROW:
		return true;
	}
	return false;
}

static void fabric_watch_read(struct ev_loop *loop, ev_io *io, int revents)
{
	struct fabric_watch *w = io->data;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool relevant = false;
	ssize_t n;

	(void)revents;
	while ((n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf))) > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			relevant = relevant || fabric_watch_relevant(nlh);
	}
	/* ENOBUFS: notifications were lost; whatever they said, check. */
	if (n < 0 && errno == ENOBUFS)
		relevant = true;
	if (!relevant)
		return;
	ev_timer_stop(loop, &w->settle);
	ev_timer_set(&w->settle, FABRIC_WATCH_SETTLE, 0);
	ev_timer_start(loop, &w->settle);
}

int fabric_watch_start(struct ev_loop *loop, struct fabric *f, struct fabric_watch **out)
{
	struct fabric_watch *w;
	int r;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->f = f;
	w->loop = loop;
	w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl || mnl_socket_bind(w->nl, RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		fabric_watch_stop(w);
		return r;
	}
	ev_io_init(&w->io, fabric_watch_read, mnl_socket_get_fd(w->nl), EV_READ);
	w->io.data = w;
	ev_init(&w->settle, fabric_watch_check);
	w->settle.data = w;
	ev_io_start(loop, &w->io);
	*out = w;
	return 0;
}

unsigned long fabric_watch_checks(const struct fabric_watch *w)
{
	return w ? w->checks : 0;
}

void fabric_watch_stop(struct fabric_watch *w)
{
	if (!w)
		return;
	if (w->loop) {
		ev_io_stop(w->loop, &w->io);
		ev_timer_stop(w->loop, &w->settle);
	}
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}
