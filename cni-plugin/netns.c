/* Network namespaces by path. The plugin enters the pod's namespace once per command, to open a
 * netlink socket there and write the pod's sysctls, and returns at once; sockets stay bound to
 * the namespace they were opened in, so the rest runs from the host namespace. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

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
