/* Kernel parameters through /proc/sys, in the calling thread's current network namespace
 * (the net.* tree is per namespace). Never shells out to sysctl(8). */
#ifndef WEFT_PLUGIN_SYSCTL_H
#define WEFT_PLUGIN_SYSCTL_H

#include <stddef.h>

/* path is relative to /proc/sys with '/' separators ("net/ipv4/ip_forward"), so interface
 * names with dots need no escaping. 0 or -errno. */
int sysctl_read(const char *path, char *buf, size_t len);
int sysctl_write(const char *path, const char *value);
/* Write value unless the parameter already has it: no write access needed when nothing changes
 * (a read-only /proc/sys with forwarding already on is fine). 0 or -errno. */
int sysctl_ensure(const char *path, const char *value);

#endif
