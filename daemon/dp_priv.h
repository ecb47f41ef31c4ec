/* Inside the data-path module: the state behind struct dp, and what dp.c, dp_attach.c and
 * dp_dump.c share. Nothing outside daemon/dp*.c includes this; weftd uses dp.h. */
#ifndef WEFT_DP_PRIV_H
#define WEFT_DP_PRIV_H

#include <bpf/libbpf.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"
#include "dp_tunexact.h"

/* The kernel's enum bpf_attach_type / bpf_link_type values for tcx (Linux 6.6). The uapi headers
 * here are 6.1's and lack them; own names so a newer header cannot clash. */
#define DP_BPF_TCX_INGRESS   46
#define DP_BPF_LINK_TYPE_TCX 11

/* Our tc filter when tcx is not used: fixed so that replacing and removing it touches only
 * ours. Handle 0x57ef ("weft"), preference 1 so it runs before anyone else's at that hook. */
#define DP_TC_HANDLE 0x57ef
#define DP_TC_PRIO   1

#define DP_PROG_NAME "weft_from_pod"
/* The fabric's programs (bpf/fabric.bpf.c), at the VXLAN device (overlay mode) and at the
 * underlay device (native mode); their tcx links are pinned as <root>/links/overlay and
 * links/underlay (names that are no ifindex, so the sweep of pod links leaves them alone). */
#define DP_OVERLAY_PROG_NAME "weft_from_overlay"
#define DP_OVERLAY_PIN "overlay"
#define DP_UNDERLAY_PROG_NAME "weft_from_netdev"
#define DP_UNDERLAY_PIN "underlay"

/* One fabric program as this process loaded and attached it. */
struct dp_fabric_prog {
	int fd;
	uint32_t id;
	unsigned ifindex; /* where this process attached it; 0: nowhere */
};

struct weft_lxc;
struct weft_fabric;

struct dp {
	struct weft_lxc *skel;
	char root[PATH_MAX - 64];   /* <bpffs>/weft/<node>: maps pinned here */
	enum dp_attach_mode mode;   /* what this process attaches with: DP_ATTACH_TCX or _TC */
	int prog_fd;
	uint32_t prog_id;
	struct weft_fabric *fab_skel;         /* the fabric devices' programs, over the same maps */
	struct dp_fabric_prog fab[DP_FABRIC_DEVS];
	unsigned reattached, reattach_failed; /* dp_open's takeover of existing endpoints */
	unsigned counters_carried;            /* endpoints whose counters came from weftd 0.3's map */
	int slots_synced;                     /* dp_open: endpoints in weft_ep_slot, or -errno */
	struct dp_tunexact tx;                /* weft_tunnel's exact-prefix copy (dp_tunexact.c) */
	int tunexact_synced;                  /* dp_open: routes copied into it, or -errno */
	char reattach_err[256];               /* the last takeover failure */
};

/* libbpf prints warnings (and the kernel's netlink extack for tc calls) to stderr by default;
 * this module prints nothing, so around its libbpf calls they are kept here instead: the last
 * warning, or a failed load's verifier verdict. dp_libbpf_quiet returns the printer to restore. */
extern char dp_libbpf_msg[256];
libbpf_print_fn_t dp_libbpf_quiet(void);
void dp_libbpf_restore(libbpf_print_fn_t prev);

/* Shared error formatting: the sentence for err, returning r (a -errno) for chaining. */
int dp_err(char *err, size_t errlen, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* dp_dump.c: every key of a map (in the kernel's order); *n keys of key_size bytes, malloc'd
 * (NULL for none). */
int dp_map_keys(int fd, size_t key_size, void **out, size_t *n);

/* dp_counters.c */
/* Zero an endpoint id's slot (its id goes to a new endpoint, or the endpoint goes). */
int dp_counters_zero(struct dp *dp, unsigned ep_id);
/* weftd 0.3's counters (a per-CPU hash pinned under the same name), read and unpinned before the
 * load by take, written into the new array after it by put (which frees them and returns how
 * many endpoints it wrote; with dp NULL, after a failed load, it pins the old map again).
 * Nothing to carry leaves carry empty. Initialise old_fd to -1 before take may run. */
struct dp_counters_carry {
	uint32_t *ids;
	struct weft_counters *values; /* ncpu per id */
	size_t n;
	int ncpu;
	int old_fd;                   /* the old map, unpinned; -1: none */
	char path[PATH_MAX];          /* where it was pinned */
};
void dp_counters_carry_take(const char *root, struct dp_counters_carry *carry);
size_t dp_counters_carry_put(struct dp *dp, struct dp_counters_carry *carry);

/* dp_slots.c: weft_ep_slot kept in step with weft_ep_if. clear before the hash entry of
 * ifindex changes or goes; put after the hash holds ep (1: the slot holds it, 0: another veth's
 * slot); sync at open (how many slots hold an endpoint). Each returns -errno on failure. */
int dp_slot_clear(struct dp *dp, unsigned ifindex);
int dp_slot_put(struct dp *dp, const struct weft_endpoint *ep);
int dp_slots_sync(struct dp *dp);
/* weft_ep_ipslot kept in step with weft_ep_ip (dp_slots.c explains the steps). Around writing
 * weft_ep_ip[k] = ep: hold before, commit after (or fix the slot if the write failed). Around
 * deleting weft_ep_ip[k]: release before, released after. fix works slot `only` (-1: all) out
 * from the hash. Each returns 0 or -errno. */
struct dp_ipslot_txn {
	uint32_t slot;
	bool take, shared;
	struct weft_endpoint held, want;
};
uint32_t dp_ipslot_of(const struct weft_ip_key *k);
int dp_ipslot_hold(struct dp *dp, const struct weft_ip_key *k, const struct weft_endpoint *ep,
		   struct dp_ipslot_txn *t);
int dp_ipslot_commit(struct dp *dp, const struct dp_ipslot_txn *t);
int dp_ipslot_release(struct dp *dp, const struct weft_ip_key *k, struct dp_ipslot_txn *t);
int dp_ipslot_released(struct dp *dp, const struct dp_ipslot_txn *t);
int dp_ipslots_fix(struct dp *dp, int only);

/* dp_attach.c */
/* Whether this kernel has tcx (queries lo's tcx ingress, which changes nothing). */
bool dp_tcx_supported(void);
/* Attach (or atomically replace with) prog_fd at ifindex ingress in dp->mode, then remove any
 * attachment of ours in the other mode. */
int dp_attach(struct dp *dp, unsigned ifindex, char *err, size_t errlen);
/* Remove our pinned tcx link and our tc filter at ifindex; a veth already gone is fine. */
int dp_detach(const char *root, unsigned ifindex, char *err, size_t errlen);
/* Whether program prog_id runs at ifindex ingress (tcx or our tc filter). */
bool dp_prog_attached(unsigned ifindex, uint32_t prog_id);
/* Remove pinned links whose device is gone or whose ifindex keep() rejects. */
void dp_links_sweep(const char *root, bool (*keep)(unsigned ifindex, void *arg), void *arg);
/* Detach and unpin every link under <root>/links; 0 or the first error. */
int dp_links_purge(const char *root, char *err, size_t errlen);
/* Remove our tc filter at ifindex (only if it runs DP_PROG_NAME). */
int dp_tc_detach_ours(unsigned ifindex);
/* A tc filter has no pin: without the device, look for ours running prog_name on every device
 * of the node (also one an earlier weftd left in tc mode). Only at start-up and teardown. */
int dp_tc_detach_everywhere(const char *prog_name);
/* dp_open: point the fabric links an earlier weftd pinned at the newly loaded programs. */
void dp_fabric_takeover(struct dp *dp);

#endif
