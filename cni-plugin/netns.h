/* Network namespaces by path: open one and prove it is a network namespace (a plain file or
 * another namespace type is refused), enter it, and return to the one we came from; and by the
 * id a namespace gives another (a veth's peer), for when no path is known (GC, an empty
 * CNI_NETNS on DEL). */
#ifndef WEFT_PLUGIN_NETNS_H
#define WEFT_PLUGIN_NETNS_H

/* Open path (O_CLOEXEC) and verify it is a network namespace: fd, or -ENOENT/-ENOTDIR/-EACCES
 * ... from open, -EINVAL if it is not a network namespace. */
int netns_open(const char *path);
/* The calling thread's current network namespace: fd or -errno. */
int netns_current(void);
/* setns(fd, CLONE_NEWNET): 0 or -errno. */
int netns_enter(int fd);
/* netns_open(path), netns_enter, and the fd closed: for a process that moves for good (the
 * bench tools). 0 or -errno (-EINVAL: not a network namespace). */
int netns_enter_path(const char *path);

struct nl_sock;
/* The id s's namespace gives the namespace fd refers to: 0 with *nsid set (-1 when it has none),
 * or -errno. */
int netns_nsid(struct nl_sock *s, int fd, int *nsid);
/* Open the namespace s's namespace calls nsid: searched among the names under /run/netns (where
 * ip, CRI runtimes and podman pin pod namespaces) and then the namespaces of running processes.
 * fd, -ENOENT when none has that id, or -errno. */
int netns_find_nsid(struct nl_sock *s, int nsid);

#endif
