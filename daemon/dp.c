/* The node's eBPF data path as weftd holds it: bpffs and the pin directory, the skeleton whose
 * maps are reused from their pins, the takeover of existing endpoints on start, and the
 * endpoint maps (weft_ep_if, weft_ep_ip). Attachment is in dp_attach.c, counters in
 * dp_counters.c, status and map dumps in dp_dump.c. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "dp_priv.h"
#include "lxc.skel.h"
#include "fabric.skel.h"

#define DP_NODE_MAX 64

int dp_err(char *err, size_t errlen, int r, const char *fmt, ...)
{
	char what[384];
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		snprintf(err, errlen, "%s: %s", what, strerror(r < 0 ? -r : r));
	}
	return r;
}

/* ---- libbpf's messages ---------------------------------------------------------------------
 * This module prints nothing; while it opens and loads the object, libbpf's warnings are kept
 * (the last one, or the verifier's verdict from a load log) for the error sentence instead. */

char dp_libbpf_msg[256];

static void dp_msg_keep(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	if (n >= sizeof(dp_libbpf_msg))
		n = sizeof(dp_libbpf_msg) - 1;
	memcpy(dp_libbpf_msg, s, n);
	dp_libbpf_msg[n] = 0;
}

/* libbpf's callback type carries no format attribute; this one does, so -Wformat=2 holds. */
__attribute__((format(printf, 2, 0)))
static int dp_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[8192], *p, *line, *prev = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* A verifier log ends "<the reason>\nprocessed N insns ...": keep the reason. */
	if (strstr(buf, "BEGIN PROG LOAD LOG")) {
		for (line = buf; (p = strchr(line, '\n')); line = p + 1) {
			if (strncmp(line, "processed ", 10) == 0 && prev) {
				dp_msg_keep(prev, (size_t)(line - prev));
				return 0;
			}
			prev = line;
		}
	}
	/* Later generic lines ("failed to load object") say less than a verifier reason. */
	if (strstr(buf, "failed to load") && dp_libbpf_msg[0])
		return 0;
	dp_msg_keep(buf, strlen(buf));
	return 0;
}

libbpf_print_fn_t dp_libbpf_quiet(void)
{
	dp_libbpf_msg[0] = 0;
	return libbpf_set_print(dp_libbpf_print);
}

void dp_libbpf_restore(libbpf_print_fn_t prev)
{
	libbpf_set_print(prev);
}

/* ---- paths ---------------------------------------------------------------------------------- */

/* A node name becomes a directory name: letters, digits, '.', '-', '_'; not "." or "..". */
static bool dp_node_valid(const char *node)
{
	size_t n = node ? strlen(node) : 0;

	if (n == 0 || n > DP_NODE_MAX || strcmp(node, ".") == 0 || strcmp(node, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)node[i]) && !strchr("._-", node[i]))
			return false;
	return true;
}

static int dp_root_path(const struct dp_config *cfg, char *buf, size_t len, char *err, size_t errlen)
{
	if (!cfg || !cfg->bpffs || cfg->bpffs[0] != '/')
		return dp_err(err, errlen, -EINVAL, "bpffs: \"%.200s\" is not an absolute path",
			      cfg && cfg->bpffs ? cfg->bpffs : "");
	if (!dp_node_valid(cfg->node))
		return dp_err(err, errlen, -EINVAL,
			      "node: \"%.80s\" is not a node name (1-%d letters, digits, '.', '-', '_')",
			      cfg->node ? cfg->node : "", DP_NODE_MAX);
	if ((size_t)snprintf(buf, len, "%s/weft/%s", cfg->bpffs, cfg->node) >= len)
		return dp_err(err, errlen, -ENAMETOOLONG, "bpffs: \"%.200s\" is too long", cfg->bpffs);
	return 0;
}

static bool dp_is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* Mount bpffs at path unless one is there already (a second mount would hide the pins of
 * everything else on the node behind an empty one). */
static int dp_bpffs_ensure(const char *path, char *err, size_t errlen)
{
	if (dp_is_bpffs(path))
		return 0;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return dp_err(err, errlen, -errno, "creating bpffs mount point %s", path);
	if (mount("bpf", path, "bpf", 0, "mode=0700") < 0)
		return dp_err(err, errlen, -errno, "mounting bpffs at %s", path);
	return 0;
}

static int dp_mkdir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return dp_err(err, errlen, -errno, "creating %s", path);
	if (stat(path, &st) < 0)
		return dp_err(err, errlen, -errno, "checking %s", path);
	if (!S_ISDIR(st.st_mode))
		return dp_err(err, errlen, -ENOTDIR, "%s exists and is not a directory", path);
	return 0;
}

static int dp_dirs_make(const char *bpffs, const char *root, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/weft", bpffs);
	if ((r = dp_mkdir(path, err, errlen)) < 0 || (r = dp_mkdir(root, err, errlen)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/links", root);
	return dp_mkdir(path, err, errlen);
}

/* ---- interfaces ---------------------------------------------------------------------------- */

/* The MAC of ifindex in this network namespace; -ENODEV if there is no such device. */
static int dp_if_mac(unsigned ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd, r = 0;

	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname(ifindex, ifr.ifr_name))
		return errno == ENXIO ? -ENODEV : -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		r = errno == ENODEV ? -ENODEV : -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return r;
}

/* ---- open / close / purge ------------------------------------------------------------------ */

static bool dp_keep_link(unsigned ifindex, void *arg)
{
	struct weft_endpoint ep;

	return bpf_map_lookup_elem(*(int *)arg, &ifindex, &ep) == 0;
}

/* Take over every endpoint the pinned map names: its veth must still exist with the MAC the
 * entry recorded (after a reboot of the veth, the same ifindex may be another device). */
static void dp_takeover(struct dp *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.weft_ep_if);
	uint32_t key, next, *keys = NULL;
	struct weft_endpoint ep;
	size_t n = 0, cap = 0;
	uint8_t mac[6];
	char err[256];
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (n == cap) {
			uint32_t *k = realloc(keys, (cap = cap ? cap * 2 : 64) * sizeof(*k));

			if (!k)
				break;
			keys = k;
		}
		keys[n++] = key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &ep) < 0)
			continue;
		if (dp_if_mac(keys[i], mac) < 0 || memcmp(mac, ep.host_mac, 6) != 0)
			continue; /* gone: reconcile removes the entry */
		if (dp_attach(dp, keys[i], err, sizeof(err)) == 0) {
			dp->reattached++;
		} else {
			dp->reattach_failed++;
			snprintf(dp->reattach_err, sizeof(dp->reattach_err), "%s", err);
		}
	}
	free(keys);
	dp_links_sweep(dp->root, dp_keep_link, &fd);
}

int dp_open(const struct dp_config *cfg, struct dp **out, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct dp_counters_carry carry = { .old_fd = -1 };
	libbpf_print_fn_t prev_print;
	struct bpf_prog_info info;
	uint32_t ilen = sizeof(info);
	struct dp *dp;
	int r;

	*out = NULL;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return dp_err(err, errlen, -ENOMEM, "allocating the data path");
	r = dp_root_path(cfg, dp->root, sizeof(dp->root), err, errlen);
	if (r < 0)
		goto out;
	r = dp_bpffs_ensure(cfg->bpffs, err, errlen);
	if (r < 0)
		goto out;
	r = dp_dirs_make(cfg->bpffs, dp->root, err, errlen);
	if (r < 0)
		goto out;

	/* pin_root_path: maps marked LIBBPF_PIN_BY_NAME are reused from <root>/<name> when pinned
	 * there (so their contents survive), created and pinned there otherwise. */
	oo.pin_root_path = dp->root;
	dp_counters_carry_take(dp->root, &carry);
	prev_print = dp_libbpf_quiet();
	dp->skel = weft_lxc__open_opts(&oo);
	if (!dp->skel) {
		r = -errno;
		dp_libbpf_restore(prev_print);
		dp_err(err, errlen, r, "opening the BPF object%s%s", dp_libbpf_msg[0] ? ": " : "", dp_libbpf_msg);
		goto out;
	}
	r = weft_lxc__load(dp->skel);
	dp_libbpf_restore(prev_print);
	if (r < 0) {
		/* A pinned map whose layout differs (an object from another version) fails here:
		 * the message names it; `weftd --purge` starts over. */
		dp_err(err, errlen, r, "loading the BPF programs into the kernel%s%s", dp_libbpf_msg[0] ? ": " : "",
		       dp_libbpf_msg);
		goto out;
	}
	dp->counters_carried = (unsigned)dp_counters_carry_put(dp, &carry);
	/* Before the new programs run anywhere: they read the slots first. The address slots must
	 * be right (a miss there is taken as "no local pod"), so failing that fails the open. */
	dp->slots_synced = dp_slots_sync(dp);
	r = dp_ipslots_fix(dp, -1);
	if (r < 0) {
		dp_err(err, errlen, r, "making %s agree with %s", WEFT_MAP_EP_IPSLOT, WEFT_MAP_EP_IP);
		goto out;
	}
	/* Not fatal: until it is whole, lookups go to the trie (slower, as right). */
	dp_tunexact_init(&dp->tx, bpf_map__fd(dp->skel->maps.weft_tun_exact), bpf_map__fd(dp->skel->maps.weft_tun_lens));
	dp->tunexact_synced = dp_tunexact_sync(&dp->tx, bpf_map__fd(dp->skel->maps.weft_tunnel));
	dp->prog_fd = bpf_program__fd(dp->skel->progs.weft_from_pod);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(dp->prog_fd, &info, &ilen) < 0) {
		r = dp_err(err, errlen, -errno, "reading the id of program %s", DP_PROG_NAME);
		goto out;
	}
	dp->prog_id = info.id;

	/* The fabric's programs: the same pin root, so they use the very maps just opened. */
	prev_print = dp_libbpf_quiet();
	dp->fab_skel = weft_fabric__open_opts(&oo);
	r = dp->fab_skel ? weft_fabric__load(dp->fab_skel) : -errno;
	dp_libbpf_restore(prev_print);
	if (r < 0) {
		dp_err(err, errlen, r, "loading the fabric programs%s%s", dp_libbpf_msg[0] ? ": " : "", dp_libbpf_msg);
		goto out;
	}
	dp->fab[DP_FABRIC_VXLAN].fd = bpf_program__fd(dp->fab_skel->progs.weft_from_overlay);
	dp->fab[DP_FABRIC_UNDERLAY].fd = bpf_program__fd(dp->fab_skel->progs.weft_from_netdev);
	for (int i = 0; i < DP_FABRIC_DEVS; i++) {
		memset(&info, 0, sizeof(info));
		ilen = sizeof(info);
		if (bpf_obj_get_info_by_fd(dp->fab[i].fd, &info, &ilen) < 0) {
			r = dp_err(err, errlen, -errno, "reading the id of program %s",
				   i == DP_FABRIC_VXLAN ? DP_OVERLAY_PROG_NAME : DP_UNDERLAY_PROG_NAME);
			goto out;
		}
		dp->fab[i].id = info.id;
	}

	switch (cfg->attach) {
	case DP_ATTACH_TC:
		dp->mode = DP_ATTACH_TC;
		break;
	case DP_ATTACH_TCX:
		if (!dp_tcx_supported()) {
			r = dp_err(err, errlen, -EOPNOTSUPP, "attach: tcx requested, but this kernel has no tcx (Linux 6.6+)");
			goto out;
		}
		dp->mode = DP_ATTACH_TCX;
		break;
	default:
		dp->mode = dp_tcx_supported() ? DP_ATTACH_TCX : DP_ATTACH_TC;
	}
	dp_takeover(dp);
	dp_fabric_takeover(dp);
	*out = dp;
	dp = NULL;
	r = 0;
out:
	dp_counters_carry_put(NULL, &carry); /* the load failed: the old counters pinned again */
	dp_close(dp);
	return r;
}

int dp_slots_synced(const struct dp *dp)
{
	return dp->slots_synced;
}

int dp_tunexact_synced(const struct dp *dp)
{
	return dp->tunexact_synced;
}

unsigned dp_counters_carried(const struct dp *dp)
{
	return dp ? dp->counters_carried : 0;
}

void dp_close(struct dp *dp)
{
	if (!dp)
		return;
	/* Closes our fds only: pinned maps and links, and tc filters, hold their own references. */
	weft_fabric__destroy(dp->fab_skel);
	weft_lxc__destroy(dp->skel);
	free(dp);
}

int dp_purge(const struct dp_config *cfg, char *err, size_t errlen)
{
	static const char *const maps[] = { WEFT_MAP_EP_IP, WEFT_MAP_EP_IF, WEFT_MAP_COUNTERS, WEFT_MAP_EVENTS,
					    WEFT_MAP_TUNNEL, WEFT_MAP_CONFIG, WEFT_MAP_EP_SLOT, WEFT_MAP_EP_IPSLOT,
					    WEFT_MAP_TUN_EXACT, WEFT_MAP_TUN_LENS };
	char root[PATH_MAX - 64], path[PATH_MAX];
	uint32_t key, next;
	void *prev = NULL;
	int fd, r;

	r = dp_root_path(cfg, root, sizeof(root), err, errlen);
	if (r < 0)
		return r;
	if (!dp_is_bpffs(cfg->bpffs))
		return 0; /* no bpffs, nothing pinned */
	/* tc filters are not pinned: find them through the endpoints the map names. */
	snprintf(path, sizeof(path), "%s/%s", root, WEFT_MAP_EP_IF);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			dp_tc_detach_ours(next);
			key = next;
			prev = &key;
		}
		close(fd);
	}
	r = dp_links_purge(root, err, errlen);
	if (r < 0)
		return r;
	/* The underlay device's filter (native mode); the VXLAN device goes with the fabric. */
	r = dp_tc_detach_everywhere(DP_UNDERLAY_PROG_NAME);
	if (r < 0)
		return dp_err(err, errlen, r, "removing our %s tc filters", DP_UNDERLAY_PROG_NAME);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, maps[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			return dp_err(err, errlen, -errno, "removing %s", path);
	}
	if (rmdir(root) < 0 && errno != ENOENT)
		return dp_err(err, errlen, -errno, "removing %s", root);
	/* <bpffs>/weft goes too when this was its last node. */
	snprintf(path, sizeof(path), "%s/weft", cfg->bpffs);
	if (rmdir(path) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		return dp_err(err, errlen, -errno, "removing %s", path);
	return 0;
}

/* ---- endpoints ----------------------------------------------------------------------------- */

static void dp_ip_key(struct weft_ip_key *k, int family, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)family;
	memcpy(k->addr, addr, family == 4 ? 4 : 16);
}

/* The endpoint's address keys (0, 1 or 2). */
static size_t dp_ep_keys(const struct weft_endpoint *ep, struct weft_ip_key keys[2])
{
	size_t n = 0;

	if (ep->flags & WEFT_EP_HAS_IPV4)
		dp_ip_key(&keys[n++], 4, ep->ipv4);
	if (ep->flags & WEFT_EP_HAS_IPV6)
		dp_ip_key(&keys[n++], 6, ep->ipv6);
	return n;
}

static bool dp_key_in(const struct weft_ip_key *k, const struct weft_ip_key *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(k, &set[i], sizeof(*k)) == 0)
			return true;
	return false;
}

/* Delete ep_ip[k] if it still points at endpoint id (another pod may own the address now),
 * its slot released around it. */
static int dp_ip_del_if_owner(struct dp *dp, const struct weft_ip_key *k, uint32_t id)
{
	int fd = bpf_map__fd(dp->skel->maps.weft_ep_ip), r;
	struct dp_ipslot_txn t;
	struct weft_endpoint v;

	if (bpf_map_lookup_elem(fd, k, &v) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (v.id != id)
		return 0;
	if ((r = dp_ipslot_release(dp, k, &t)) < 0)
		return r;
	if (bpf_map_delete_elem(fd, k) < 0 && errno != ENOENT) {
		r = -errno;
		dp_ipslots_fix(dp, (int)t.slot); /* the address stays: so may its slot */
		return r;
	}
	return dp_ipslot_released(dp, &t);
}

/* Write ep_ip[k] = ep, its slot held around it. */
static int dp_ip_put(struct dp *dp, const struct weft_ip_key *k, const struct weft_endpoint *ep)
{
	int fd = bpf_map__fd(dp->skel->maps.weft_ep_ip), r;
	struct dp_ipslot_txn t;

	if ((r = dp_ipslot_hold(dp, k, ep, &t)) < 0)
		return r;
	if (bpf_map_update_elem(fd, k, ep, BPF_ANY) < 0) {
		r = -errno;
		dp_ipslots_fix(dp, (int)t.slot);
		return r;
	}
	/* A failure leaves the slot shared: the address is found through the hash. */
	dp_ipslot_commit(dp, &t);
	return 0;
}

static int dp_ep_validate(const struct weft_endpoint *ep, char *err, size_t errlen)
{
	static const uint8_t zero[6];

	if (ep->ifindex == 0)
		return dp_err(err, errlen, -EINVAL, "endpoint %u: ifindex 0 is no device", ep->id);
	if (ep->flags & ~(uint32_t)(WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6))
		return dp_err(err, errlen, -EINVAL, "endpoint %u: unknown flags 0x%x", ep->id, ep->flags);
	if (!(ep->flags & (WEFT_EP_HAS_IPV4 | WEFT_EP_HAS_IPV6)))
		return dp_err(err, errlen, -EINVAL, "endpoint %u: no address (flags 0x%x)", ep->id, ep->flags);
	if (memcmp(ep->pod_mac, zero, 6) == 0 || memcmp(ep->host_mac, zero, 6) == 0)
		return dp_err(err, errlen, -EINVAL, "endpoint %u: a MAC is 00:00:00:00:00:00", ep->id);
	return 0;
}

int dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen)
{
	struct weft_ip_key keys[2], old_keys[2];
	struct weft_endpoint old, prev[2];
	bool had_old, had_prev[2] = { false, false };
	size_t n, n_old = 0, done = 0;
	uint32_t ifindex = ep->ifindex;
	int fd_if, fd_ip, r;

	if (!dp)
		return dp_err(err, errlen, -ENODEV, "the data path is not open");
	fd_if = bpf_map__fd(dp->skel->maps.weft_ep_if);
	fd_ip = bpf_map__fd(dp->skel->maps.weft_ep_ip);
	r = dp_ep_validate(ep, err, errlen);
	if (r < 0)
		return r;
	had_old = bpf_map_lookup_elem(fd_if, &ifindex, &old) == 0;
	if (had_old)
		n_old = dp_ep_keys(&old, old_keys);
	n = dp_ep_keys(ep, keys);
	/* A new endpoint at this veth starts from zero, whatever an earlier holder of its id left
	 * (a weftd killed between removing an endpoint and zeroing its slot). The same endpoint
	 * again (a restart's takeover, an update) keeps its counts. */
	if (!(had_old && old.id == ep->id) && (r = dp_counters_zero(dp, ep->id)) < 0)
		return dp_err(err, errlen, r, "endpoint %u: zeroing its counters", ep->id);

	/* The slot copies the entry about to change: it goes first, and comes back once the hash
	 * has the new entry (dp_slots.c). The same entry again changes nothing. */
	if (!(had_old && memcmp(&old, ep, sizeof(old)) == 0) && (r = dp_slot_clear(dp, ifindex)) < 0)
		return dp_err(err, errlen, r, "endpoint %u: clearing its slot in %s", ep->id, WEFT_MAP_EP_SLOT);
	/* Addresses first, then the veth: a pod's packets are judged only once it is complete. */
	for (done = 0; done < n; done++) {
		had_prev[done] = bpf_map_lookup_elem(fd_ip, &keys[done], &prev[done]) == 0;
		if ((r = dp_ip_put(dp, &keys[done], ep)) < 0) {
			r = dp_err(err, errlen, r, "endpoint %u: writing %s", ep->id, WEFT_MAP_EP_IP);
			goto undo;
		}
	}
	if (bpf_map_update_elem(fd_if, &ifindex, ep, BPF_ANY) < 0) {
		r = dp_err(err, errlen, -errno, "endpoint %u: writing %s", ep->id, WEFT_MAP_EP_IF);
		goto undo;
	}
	r = dp_attach(dp, ifindex, err, errlen);
	if (r < 0)
		goto undo;
	/* Without its slot the endpoint is still judged, through the hash: no reason to fail. */
	dp_slot_put(dp, ep);
	/* Addresses the endpoint at this veth no longer has. */
	for (size_t i = 0; i < n_old; i++)
		if (!dp_key_in(&old_keys[i], keys, n))
			dp_ip_del_if_owner(dp, &old_keys[i], old.id);
	return 0;

undo:
	/* Leave the maps as they were. */
	if (had_old) {
		bpf_map_update_elem(fd_if, &ifindex, &old, BPF_ANY);
		dp_slot_put(dp, &old);
	} else {
		bpf_map_delete_elem(fd_if, &ifindex);
	}
	while (done-- > 0) {
		if (had_prev[done])
			bpf_map_update_elem(fd_ip, &keys[done], &prev[done], BPF_ANY);
		else
			bpf_map_delete_elem(fd_ip, &keys[done]);
		dp_ipslots_fix(dp, (int)dp_ipslot_of(&keys[done]));
	}
	return r;
}

int dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen)
{
	struct weft_ip_key keys[4];
	struct weft_endpoint cur;
	uint32_t ifindex = ep->ifindex, id = ep->id;
	bool has_cur, ours;
	int fd_if, r;
	size_t n;

	if (!dp)
		return dp_err(err, errlen, -ENODEV, "the data path is not open");
	fd_if = bpf_map__fd(dp->skel->maps.weft_ep_if);

	has_cur = ifindex && bpf_map_lookup_elem(fd_if, &ifindex, &cur) == 0;
	/* Another endpoint at this veth now (an ifindex reused): its entry and program stay. */
	ours = !has_cur || cur.id == id;
	/* The addresses the caller names and those the map holds, where they still point at us. */
	n = dp_ep_keys(ep, keys);
	if (has_cur && ours)
		n += dp_ep_keys(&cur, keys + n);
	for (size_t i = 0; i < n; i++) {
		r = dp_ip_del_if_owner(dp, &keys[i], id);
		if (r < 0)
			return dp_err(err, errlen, r, "endpoint %u: removing its address from %s", id, WEFT_MAP_EP_IP);
	}
	if (has_cur && ours && (r = dp_slot_clear(dp, ifindex)) < 0)
		return dp_err(err, errlen, r, "endpoint %u: clearing its slot in %s", id, WEFT_MAP_EP_SLOT);
	if (has_cur && ours && bpf_map_delete_elem(fd_if, &ifindex) < 0 && errno != ENOENT)
		return dp_err(err, errlen, -errno, "endpoint %u: removing ifindex %u from %s", id, ifindex,
			      WEFT_MAP_EP_IF);
	if ((r = dp_counters_zero(dp, id)) < 0)
		return dp_err(err, errlen, r, "endpoint %u: zeroing its counters", id);
	if (ours && ifindex)
		return dp_detach(dp->root, ifindex, err, errlen);
	return 0;
}

int dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg)
{
	uint32_t key, next, *keys = NULL;
	struct weft_endpoint ep;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int fd, r = 0;

	if (!dp)
		return -ENODEV;
	fd = bpf_map__fd(dp->skel->maps.weft_ep_if);

	/* Keys first: fn may remove entries, which would derail a walk in progress. */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (n == cap) {
			uint32_t *k = realloc(keys, (cap = cap ? cap * 2 : 64) * sizeof(*k));

			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
		}
		keys[n++] = key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &ep) < 0)
			continue; /* removed meanwhile */
		r = fn(&ep, arg);
	}
	free(keys);
	return r;
}

bool dp_endpoint_attached(struct dp *dp, unsigned ifindex)
{
	return dp && ifindex && dp_prog_attached(ifindex, dp->prog_id);
}

/* ---- the fabric ------------------------------------------------------------------------------- */

int dp_fabric_config_set(struct dp *dp, const struct weft_config *cfg, char *err, size_t errlen)
{
	uint32_t zero = 0;

	if (!dp)
		return dp_err(err, errlen, -ENODEV, "the data path is not open");
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.weft_config), &zero, cfg, BPF_ANY) < 0)
		return dp_err(err, errlen, -errno, "writing %s", WEFT_MAP_CONFIG);
	return 0;
}

static int dp_tunnel_key(const struct inet_prefix *p, struct weft_tunnel_key *k)
{
	memset(k, 0, sizeof(*k));
	if ((p->addr.family != AF_INET && p->addr.family != AF_INET6) || p->len > inet_family_bits(p->addr.family) ||
	    !inet_prefix_is_canonical(p))
		return -EINVAL;
	k->family = p->addr.family == AF_INET ? 4 : 6;
	memcpy(k->addr, p->addr.bytes, inet_addr_size(&p->addr));
	k->prefixlen = WEFT_TUNNEL_KEY_BITS + p->len;
	return 0;
}

int dp_tunnel_upsert(struct dp *dp, const struct inet_prefix *prefix, const struct inet_addr *node, unsigned flags)
{
	struct weft_tunnel_key k;
	struct weft_tunnel v;

	if (!dp)
		return -ENODEV;
	if (dp_tunnel_key(prefix, &k) < 0 || (node->family != AF_INET && node->family != AF_INET6) ||
	    (flags & ~(unsigned)WEFT_TUNNEL_NEIGH) ||
	    ((flags & WEFT_TUNNEL_NEIGH) && node->family != prefix->addr.family))
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	v.family = node->family == AF_INET ? 4 : 6;
	v.flags = (uint8_t)flags;
	memcpy(v.addr, node->bytes, inet_addr_size(node));
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.weft_tunnel), &k, &v, BPF_ANY) < 0)
		return -errno;
	/* The trie first: the copy only ever lags it, answering as the trie did a moment before.
	 * The route is in: if the copy fails, lookups of its family go to the trie (weft_tun_lens
	 * shows valid false) until the next start rebuilds it. */
	dp_tunexact_put(&dp->tx, &k, &v);
	return 0;
}

int dp_tunnel_delete(struct dp *dp, const struct inet_prefix *prefix)
{
	struct weft_tunnel_key k;

	if (!dp)
		return -ENODEV;
	if (dp_tunnel_key(prefix, &k) < 0)
		return -EINVAL;
	dp_tunexact_del(&dp->tx, &k); /* a failure sends the family's lookups to the trie */
	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.weft_tunnel), &k) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int dp_tunnel_lookup(struct dp *dp, const struct inet_prefix *prefix, struct inet_addr *node)
{
	struct weft_tunnel_key k;
	struct weft_tunnel v;

	if (!dp)
		return -ENODEV;
	if (dp_tunnel_key(prefix, &k) < 0)
		return -EINVAL;
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.weft_tunnel), &k, &v) < 0)
		return -errno;
	memset(node, 0, sizeof(*node));
	node->family = v.family == 4 ? AF_INET : AF_INET6;
	memcpy(node->bytes, v.addr, inet_addr_size(node));
	return 0;
}

int dp_tunnel_foreach(struct dp *dp, int (*fn)(const struct inet_prefix *prefix, const struct inet_addr *node, void *arg),
		      void *arg)
{
	struct weft_tunnel_key *keys = NULL, *prev = NULL, next;
	size_t n = 0, cap = 0;
	int fd, r = 0;

	if (!dp)
		return -ENODEV;
	fd = bpf_map__fd(dp->skel->maps.weft_tunnel);
	/* Keys first: fn may delete entries, which would derail a walk in progress. */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (n == cap) {
			struct weft_tunnel_key *k = realloc(keys, (cap = cap ? cap * 2 : 64) * sizeof(*k));

			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
		}
		keys[n] = next;
		prev = &keys[n++];
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		struct inet_prefix p;
		struct inet_addr a;
		struct weft_tunnel v;

		if (bpf_map_lookup_elem(fd, &keys[i], &v) < 0)
			continue;
		memset(&p, 0, sizeof(p));
		memset(&a, 0, sizeof(a));
		p.addr.family = keys[i].family == 4 ? AF_INET : AF_INET6;
		memcpy(p.addr.bytes, keys[i].addr, inet_addr_size(&p.addr));
		p.len = (uint8_t)(keys[i].prefixlen - WEFT_TUNNEL_KEY_BITS);
		a.family = v.family == 4 ? AF_INET : AF_INET6;
		memcpy(a.bytes, v.addr, inet_addr_size(&a));
		r = fn(&p, &a, arg);
	}
	free(keys);
	return r;
}
