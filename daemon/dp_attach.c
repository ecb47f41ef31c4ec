/* Attaching programs at a device's tc ingress: the pod-veth program at each host veth, the
 * fabric's programs at the VXLAN device or the underlay device. tcx links pinned under
 * <root>/links/<ifindex> (or links/overlay, links/underlay) outlive weftd, and bpf_link_update
 * swaps the program atomically; on kernels without tcx, a tc clsact filter at a fixed
 * handle/priority replaced in place with BPF_TC_F_REPLACE. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_priv.h"

/* struct bpf_link_info for a tcx link (Linux 6.6): the union after prog_id is 8-byte aligned,
 * and for tcx holds {ifindex, attach_type}. The 6.1 uapi header has no tcx member. */
struct dp_tcx_link_info {
	uint32_t type;
	uint32_t id;
	uint32_t prog_id;
	uint32_t pad;
	uint32_t ifindex; /* 0 once the device is gone: the link is then defunct */
	uint32_t attach_type;
};

union dp_link_info {
	struct bpf_link_info info;
	struct dp_tcx_link_info tcx;
};

_Static_assert(offsetof(struct bpf_link_info, netns) == offsetof(struct dp_tcx_link_info, ifindex),
	       "tcx link info lives in bpf_link_info's union");

/* What is attached where: a program (and its name, which tells our tc filters from others')
 * and the name its tcx link is pinned under in <root>/links/. */
struct dp_hook {
	int prog_fd;
	const char *prog_name;
	char pin[32];
};

static void hook_pod(struct dp_hook *h, int prog_fd, unsigned ifindex)
{
	h->prog_fd = prog_fd;
	h->prog_name = DP_PROG_NAME;
	snprintf(h->pin, sizeof(h->pin), "%u", ifindex);
}

static void hook_fabric(struct dp_hook *h, const struct dp *dp, enum dp_fabric_dev dev)
{
	h->prog_fd = dp->fab[dev].fd;
	h->prog_name = dev == DP_FABRIC_VXLAN ? DP_OVERLAY_PROG_NAME : DP_UNDERLAY_PROG_NAME;
	snprintf(h->pin, sizeof(h->pin), "%s", dev == DP_FABRIC_VXLAN ? DP_OVERLAY_PIN : DP_UNDERLAY_PIN);
}

static void link_path(const char *root, const char *pin, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links/%s", root, pin);
}

bool dp_tcx_supported(void)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);

	/* lo is ifindex 1 in every namespace. Kernels without tcx reject the attach type (EINVAL). */
	return bpf_prog_query_opts(1, (enum bpf_attach_type)DP_BPF_TCX_INGRESS, &q) == 0;
}

static int link_info(int fd, struct dp_tcx_link_info *out)
{
	union dp_link_info u;
	uint32_t len = sizeof(u.info);

	memset(&u, 0, sizeof(u));
	if (bpf_obj_get_info_by_fd(fd, &u.info, &len) < 0)
		return -errno;
	*out = u.tcx;
	return 0;
}

/* The link pinned as pin, if it is a live tcx link at ifindex: its fd, else -ENOENT (and a
 * stale pin is removed). */
static int tcx_link_open(const char *root, const char *pin, unsigned ifindex)
{
	struct dp_tcx_link_info li;
	char path[PATH_MAX];
	int fd;

	link_path(root, pin, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (link_info(fd, &li) == 0 && li.type == DP_BPF_LINK_TYPE_TCX && li.ifindex == ifindex &&
	    li.attach_type == DP_BPF_TCX_INGRESS)
		return fd;
	/* Its veth went away (ifindex 0) and the number may since belong to another device. */
	close(fd);
	unlink(path);
	return -ENOENT;
}

static int tcx_attach(struct dp *dp, const struct dp_hook *h, unsigned ifindex, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd, r;

	fd = tcx_link_open(dp->root, h->pin, ifindex);
	if (fd >= 0) {
		/* Atomic: the device runs either the old program or the new one, never neither. */
		r = bpf_link_update(fd, h->prog_fd, NULL);
		r = r < 0 ? -errno : 0;
		close(fd);
		if (r == 0)
			return 0;
		if (r != -ENOLINK)
			return dp_err(err, errlen, r, "replacing the program of tcx link %s/links/%s", dp->root,
				      h->pin);
		/* ENOLINK: the link was detached under us; make a new one. */
		link_path(dp->root, h->pin, path, sizeof(path));
		unlink(path);
	} else if (fd != -ENOENT) {
		return dp_err(err, errlen, fd, "opening pinned link %s/links/%s", dp->root, h->pin);
	}

	fd = bpf_link_create(h->prog_fd, (int)ifindex, (enum bpf_attach_type)DP_BPF_TCX_INGRESS, NULL);
	if (fd < 0) {
		r = -errno;
		return dp_err(err, errlen, r, "creating a tcx ingress link at ifindex %u", ifindex);
	}
	link_path(dp->root, h->pin, path, sizeof(path));
	r = bpf_obj_pin(fd, path) < 0 ? -errno : 0;
	if (r == -EEXIST) {
		unlink(path);
		r = bpf_obj_pin(fd, path) < 0 ? -errno : 0;
	}
	if (r < 0) {
		/* Unpinned, the link would die with this process anyway; say why and leave nothing. */
		bpf_link_detach(fd);
		close(fd);
		return dp_err(err, errlen, r, "pinning the tcx link of ifindex %u at %s", ifindex, path);
	}
	close(fd);
	return 0;
}

static int tc_prog_is_ours(uint32_t prog_id, const char *name)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd, r;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	r = bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	/* The kernel keeps the first 15 bytes of a program's name. */
	return strncmp(info.name, name, sizeof(info.name) - 1) == 0;
}

/* The program id of the filter at our handle/priority, 0 if none. */
static int tc_query(unsigned ifindex, uint32_t *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = DP_TC_HANDLE, .priority = DP_TC_PRIO);
	libbpf_print_fn_t q;
	int r;

	*prog_id = 0;
	q = dp_libbpf_quiet(); /* "Parent Qdisc doesn't exists" is an answer here, not news */
	r = bpf_tc_query(&hook, &o);
	dp_libbpf_restore(q);
	if (r == -ENOENT || r == -EINVAL)
		return 0; /* no filter, or no clsact qdisc at all */
	if (r < 0)
		return r;
	*prog_id = o.prog_id;
	return 0;
}

static int tc_detach_ours(unsigned ifindex, const char *name)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = DP_TC_HANDLE, .priority = DP_TC_PRIO);
	uint32_t id;
	libbpf_print_fn_t q;
	int r;

	r = tc_query(ifindex, &id);
	if (r == -ENODEV)
		return 0;
	if (r < 0 || id == 0)
		return r;
	r = tc_prog_is_ours(id, name);
	if (r <= 0)
		return r == -ENOENT ? 0 : r;
	/* The clsact qdisc stays: other filters may hang off it, and it costs nothing. */
	q = dp_libbpf_quiet();
	r = bpf_tc_detach(&hook, &o);
	dp_libbpf_restore(q);
	return r == -ENOENT || r == -ENODEV ? 0 : r;
}

int dp_tc_detach_ours(unsigned ifindex)
{
	return tc_detach_ours(ifindex, DP_PROG_NAME);
}

static int tc_attach(const struct dp_hook *h, unsigned ifindex, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = DP_TC_HANDLE, .priority = DP_TC_PRIO, .prog_fd = h->prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	uint32_t id;
	libbpf_print_fn_t q;
	int r;

	q = dp_libbpf_quiet();
	r = bpf_tc_hook_create(&hook); /* EEXIST (the qdisc is there) is the usual answer */
	dp_libbpf_restore(q);
	if (r < 0 && r != -EEXIST)
		return dp_err(err, errlen, r, "creating the clsact qdisc on ifindex %u%s%s", ifindex,
			      dp_libbpf_msg[0] ? ": " : "", dp_libbpf_msg);
	/* Replace only what is ours: someone else's filter at our handle stays, and we say so. */
	r = tc_query(ifindex, &id);
	if (r == 0 && id != 0 && tc_prog_is_ours(id, h->prog_name) == 0)
		return dp_err(err, errlen, -EBUSY,
			      "ifindex %u has a foreign tc filter (program id %u) at handle 0x%x priority %d", ifindex,
			      id, DP_TC_HANDLE, DP_TC_PRIO);
	q = dp_libbpf_quiet();
	r = bpf_tc_attach(&hook, &o);
	dp_libbpf_restore(q);
	if (r < 0)
		return dp_err(err, errlen, r, "attaching the tc ingress filter on ifindex %u%s%s", ifindex,
			      dp_libbpf_msg[0] ? ": " : "", dp_libbpf_msg);
	return 0;
}

static int hook_attach(struct dp *dp, const struct dp_hook *h, unsigned ifindex, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd, r;

	if (dp->mode == DP_ATTACH_TCX) {
		r = tcx_attach(dp, h, ifindex, err, errlen);
		if (r < 0)
			return r;
		/* A tc filter left by an earlier run in tc mode: tcx runs first and ends the chain, so
		 * it is dead weight now; remove it after the link is in place (no gap). */
		tc_detach_ours(ifindex, h->prog_name);
		return 0;
	}
	r = tc_attach(h, ifindex, err, errlen);
	if (r < 0)
		return r;
	/* And the reverse switch: the tcx link would shadow the new filter. */
	fd = tcx_link_open(dp->root, h->pin, ifindex);
	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
		link_path(dp->root, h->pin, path, sizeof(path));
		unlink(path);
	}
	return 0;
}

int dp_attach(struct dp *dp, unsigned ifindex, char *err, size_t errlen)
{
	struct dp_hook h;

	hook_pod(&h, dp->prog_fd, ifindex);
	return hook_attach(dp, &h, ifindex, err, errlen);
}

static int hook_detach(const char *root, const struct dp_hook *h, unsigned ifindex, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd, r;

	link_path(root, h->pin, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* A defunct link (veth gone) answers ENOLINK; it is detached already. */
		r = bpf_link_detach(fd) < 0 ? -errno : 0;
		close(fd);
		if (r < 0 && r != -ENOLINK && r != -EINVAL)
			return dp_err(err, errlen, r, "detaching tcx link %s", path);
		if (unlink(path) < 0 && errno != ENOENT)
			return dp_err(err, errlen, -errno, "removing %s", path);
	} else if (errno != ENOENT) {
		return dp_err(err, errlen, -errno, "opening pinned link %s", path);
	}
	r = ifindex ? tc_detach_ours(ifindex, h->prog_name) : 0;
	if (r < 0)
		return dp_err(err, errlen, r, "removing the tc filter on ifindex %u", ifindex);
	return 0;
}

int dp_detach(const char *root, unsigned ifindex, char *err, size_t errlen)
{
	struct dp_hook h;

	hook_pod(&h, -1, ifindex);
	return hook_detach(root, &h, ifindex, err, errlen);
}

int dp_fabric_attach(struct dp *dp, enum dp_fabric_dev dev, unsigned ifindex, char *err, size_t errlen)
{
	struct dp_hook h;
	int r;

	if (!dp)
		return dp_err(err, errlen, -ENODEV, "the data path is not open");
	hook_fabric(&h, dp, dev);
	r = hook_attach(dp, &h, ifindex, err, errlen);
	if (r == 0)
		dp->fab[dev].ifindex = ifindex;
	return r;
}

void dp_fabric_takeover(struct dp *dp)
{
	struct dp_tcx_link_info li;
	char path[PATH_MAX];
	struct dp_hook h;
	int fd;

	for (int dev = 0; dev < DP_FABRIC_DEVS; dev++) {
		hook_fabric(&h, dp, (enum dp_fabric_dev)dev);
		link_path(dp->root, h.pin, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		/* Atomic, like the pod links; a defunct link (device gone) is left to the fabric,
		 * which attaches anew where the device is now. */
		if (link_info(fd, &li) == 0 && li.type == DP_BPF_LINK_TYPE_TCX && li.ifindex != 0 &&
		    bpf_link_update(fd, h.prog_fd, NULL) == 0)
			dp->fab[dev].ifindex = li.ifindex;
		close(fd);
	}
}

int dp_tc_detach_everywhere(const char *prog_name)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int r = 0, r2;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index; i++)
		if ((r2 = tc_detach_ours(i->if_index, prog_name)) < 0 && r == 0)
			r = r2;
	if_freenameindex(ifs);
	return r;
}

int dp_fabric_detach(struct dp *dp, enum dp_fabric_dev dev, unsigned ifindex, char *err, size_t errlen)
{
	struct dp_hook h;
	int r;

	if (!dp)
		return dp_err(err, errlen, -ENODEV, "the data path is not open");
	hook_fabric(&h, dp, dev);
	dp->fab[dev].ifindex = 0;
	r = hook_detach(dp->root, &h, ifindex, err, errlen);
	if (r == 0 && ifindex == 0 && (r = dp_tc_detach_everywhere(h.prog_name)) < 0)
		return dp_err(err, errlen, r, "removing our %s tc filters", h.prog_name);
	return r;
}

bool dp_prog_attached(unsigned ifindex, uint32_t prog_id)
{
	uint32_t ids[64], id = 0;
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = 64);

	if (prog_id == 0)
		return false;
	if (bpf_prog_query_opts((int)ifindex, (enum bpf_attach_type)DP_BPF_TCX_INGRESS, &q) == 0) {
		for (uint32_t i = 0; i < q.prog_cnt && i < 64; i++)
			if (ids[i] == prog_id)
				return true;
	}
	return tc_query(ifindex, &id) == 0 && id == prog_id;
}

void dp_links_sweep(const char *root, bool (*keep)(unsigned ifindex, void *arg), void *arg)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dp_tcx_link_info li;
	struct dirent *de;
	unsigned long v;
	char *end;
	DIR *d;
	int fd;

	snprintf(dir, sizeof(dir), "%s/links", root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		errno = 0;
		v = strtoul(de->d_name, &end, 10);
		if (errno || *end || v == 0 || v > UINT32_MAX || de->d_name[0] == '0')
			continue; /* not a name we make: not ours to remove */
		link_path(root, de->d_name, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (link_info(fd, &li) == 0 && li.ifindex == v && keep(li.ifindex, arg)) {
			close(fd);
			continue;
		}
		bpf_link_detach(fd);
		close(fd);
		unlink(path);
	}
	closedir(d);
}

int dp_links_purge(const char *root, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	int fd, r = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/links", root);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : dp_err(err, errlen, -errno, "opening %s", dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			bpf_link_detach(fd);
			close(fd);
		}
		if (unlink(path) < 0 && r == 0)
			r = dp_err(err, errlen, -errno, "removing %s", path);
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT && r == 0)
		r = dp_err(err, errlen, -errno, "removing %s", dir);
	return r;
}
