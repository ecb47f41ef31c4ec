/* Network namespaces by path (or by the id the host gives them). The plugin enters the pod's
 * namespace once per command, to open a netlink socket there and write the pod's sysctls, and
 * returns at once; sockets stay bound to the namespace they were opened in, so the rest runs
 * from the host namespace. */
#include "netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/net_namespace.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "netlink.h"

int netns_open(const char *path)
{
	struct statfs sfs;
	int fd, type;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* NS_GET_NSTYPE (Linux 4.11) names the namespace type; on ENOTTY the file is not a
	 * namespace at all. Older kernels: at least require an nsfs file. */
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type == CLONE_NEWNET)
		return fd;
	if (type < 0 && errno != ENOTTY && fstatfs(fd, &sfs) == 0 && sfs.f_type == NSFS_MAGIC)
		return fd;
	close(fd);
	return -EINVAL;
}

int netns_current(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

int netns_enter_path(const char *path)
{
	int fd = netns_open(path);
	int ret;

	if (fd < 0)
		return fd;
	ret = netns_enter(fd);
	close(fd);
	return ret;
}

struct netns_nsid_ctx {
	int nsid;
	bool found;
};

static int netns_nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	struct netns_nsid_ctx *ctx = data;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct rtgenmsg)) {
		if (mnl_attr_get_type(attr) == NETNSA_NSID && mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			ctx->nsid = (int)mnl_attr_get_u32(attr);
			ctx->found = true;
		}
	}
	return MNL_CB_OK;
}

int netns_nsid(struct nl_sock *s, int fd, int *nsid)
{
	struct netns_nsid_ctx ctx = { .nsid = -1 };
	char buf[NL_REQ_SIZE];
	struct rtgenmsg *g;
	struct nlmsghdr *nlh;
	int rc;

	nlh = nl_msg_start(s, buf, RTM_GETNSID, 0, sizeof(*g), (void **)&g);
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	rc = nl_talk(s, nlh, netns_nsid_cb, &ctx);
	if (rc < 0)
		return rc;
	*nsid = ctx.found ? ctx.nsid : -1;
	return 0;
}

/* Open path if it is a network namespace other than self's (by inode) with id nsid: the fd, or
 * -1 to go on searching. */
static int netns_try(struct nl_sock *s, const char *path, const struct stat *self, int nsid)
{
	struct stat st;
	int fd, id;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && !(st.st_dev == self->st_dev && st.st_ino == self->st_ino) &&
	    netns_nsid(s, fd, &id) == 0 && id == nsid)
		return fd;
	close(fd);
	return -1;
}

int netns_find_nsid(struct nl_sock *s, int nsid)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };
	char path[PATH_MAX];
	struct stat self;
	struct dirent *d;
	DIR *dir;
	int fd = -1;

	if (nsid < 0)
		return -ENOENT;
	/* Most processes share the caller's namespace: skip it without asking the kernel. */
	if (stat("/proc/thread-self/ns/net", &self) < 0)
		return -errno;
	for (size_t i = 0; fd < 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		bool procfs = i == 1;

		dir = opendir(dirs[i]);
		if (!dir)
			continue;
		while (fd < 0 && (d = readdir(dir))) {
			if (d->d_name[0] == '.' || (procfs && (d->d_name[0] < '1' || d->d_name[0] > '9')))
				continue;
			snprintf(path, sizeof(path), procfs ? "%s/%s/ns/net" : "%s/%s", dirs[i], d->d_name);
			fd = netns_try(s, path, &self, nsid);
		}
		closedir(dir);
	}
	return fd >= 0 ? fd : -ENOENT;
}
