/* Network namespaces by path: open one and prove it is a network namespace (a plain file or
 * another namespace type is refused), enter it, and return to the one we came from. */
#ifndef WEFT_PLUGIN_NETNS_H
#define WEFT_PLUGIN_NETNS_H

/* Open path (O_CLOEXEC) and verify it is a network namespace: fd, or -ENOENT/-ENOTDIR/-EACCES
 * ... from open, -EINVAL if it is not a network namespace. */
int netns_open(const char *path);
/* The calling thread's current network namespace: fd or -errno. */
int netns_current(void);
/* setns(fd, CLONE_NEWNET): 0 or -errno. */
int netns_enter(int fd);

#endif
