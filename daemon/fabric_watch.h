/* Native mode: the kernel's route changes that are not weftd's re-check the direct tunnel
 * entries (fabric_refresh_direct), so they keep following the kernel's routing. */
#ifndef WEFTD_FABRIC_WATCH_H
#define WEFTD_FABRIC_WATCH_H

#include <ev.h>

#include "fabric.h"

struct fabric_watch;

/* Listen on loop for IPv4 and IPv6 route notifications; 0 or -errno. */
int fabric_watch_start(struct ev_loop *loop, struct fabric *f, struct fabric_watch **out);
/* How many checks ran (tests). */
unsigned long fabric_watch_checks(const struct fabric_watch *w);
/* Stop listening and free; NULL is a no-op. */
void fabric_watch_stop(struct fabric_watch *w);

#endif
