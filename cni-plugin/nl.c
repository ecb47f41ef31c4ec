/* The plugin's side of netlink errors: every failed request becomes a CNI error of code 101 with
 * the kernel's extended-ACK text as details. The plumbing itself is lib/netlink.c. */
#include "nl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int nl_error(struct cni_error *e, const struct nl_sock *s, int rc, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	cni_error_set(e, CNI_ERR_NETLINK, "%s: %s", what, strerror(-rc));
	if (s && s->ext_msg[0])
		cni_error_detail(e, "kernel: %s", s->ext_msg);
	return -1;
}
