/* weftd's endpoint table (ep.h): the validator of endpoint.add's arguments, the record files
 * under <stateDir>/endpoints/, and endpoint add/del that keep the records and the data path
 * in step. Record writes go tmp -> fsync -> rename -> fsync(dir): a crash leaves the old or the
 * new record, plus at most a temporary file that the next start removes. */
#include "ep.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni.h"
#include "conf.h"
#include "io.h"
#include "log.h"
#include "reconcile.h"

void (*ep_crash_hook)(const char *point);

static void crash_point(const char *point)
{
	if (ep_crash_hook)
		ep_crash_hook(point);
}

/* ---- validation ------------------------------------------------------------------------------- */

bool ep_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (!s || strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || (i < 5 && p[2] != ':'))
			return false;
		m[i] = (uint8_t)strtoul((char[]){ p[0], p[1], 0 }, NULL, 16);
	}
	/* A multicast (group bit) or all-zero source address cannot be a veth's. */
	if (m[0] & 1)
		return false;
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return false;
	memcpy(mac, m, 6);
	return true;
}

char *ep_mac_fmt(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

static int field_string(json_t *args, const char *key, bool required, const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);
	char q[96];

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return conf_err(err, errlen, "%s is missing", key);
		return 0;
	}
	if (!json_is_string(v))
		return conf_err(err, errlen, "%s must be a string, not %s", key, conf_json_quote(v, q, sizeof(q)));
	*out = json_string_value(v);
	return 0;
}

static const char *quote(json_t *args, const char *key, char *buf, size_t len)
{
	return conf_json_quote(json_object_get(args, key), buf, len);
}

static bool printable(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

/* Kubernetes names: lowercase alphanumerics, '-' and '.', starting and ending alphanumeric. */
static bool k8s_name_valid(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
			return false;
	}
	return true;
}

static int ips_parse(json_t *args, struct ep *e, char *err, size_t errlen)
{
	json_t *ips = json_object_get(args, "ips"), *v;
	char q[96];
	size_t i;

	if (!ips || json_is_null(ips))
		return conf_err(err, errlen, "ips is missing");
	if (!json_is_array(ips))
		return conf_err(err, errlen, "ips must be a list of addresses, not %s", conf_json_quote(ips, q, sizeof(q)));
	if (json_array_size(ips) == 0)
		return conf_err(err, errlen, "ips is empty: an endpoint needs an IPv4 or IPv6 address");
	if (json_array_size(ips) > EP_MAX_IPS)
		return conf_err(err, errlen, "ips has %zu addresses; at most one IPv4 and one IPv6 are supported",
				json_array_size(ips));
	json_array_foreach(ips, i, v) {
		struct inet_prefix p;
		struct inet_addr *a = &p.addr;
		const char *s = json_string_value(v);
		uint8_t b0;

		conf_json_quote(v, q, sizeof(q));
		if (!s)
			return conf_err(err, errlen, "ips[%zu] must be an address string, not %s", i, q);
		/* The plugin may hand the IPAM result's "10.244.1.5/24" through: the length is not ours. */
		if (!inet_addr_parse(s, a) && !inet_prefix_parse(s, &p))
			return conf_err(err, errlen, "ips[%zu] %s is not an IP address", i, q);
		b0 = a->bytes[0];
		if (a->family == AF_INET ? (b0 == 0 || b0 == 127 || b0 >= 224)
					 : (b0 == 0xff || (a->bytes[15] <= 1 && !memcmp(a->bytes, (uint8_t[15]){ 0 }, 15))))
			return conf_err(err, errlen, "ips[%zu] %s is not a unicast address a pod can have", i, q);
		for (size_t j = 0; j < e->n_ips; j++) {
			if (e->ips[j].family == a->family)
				return conf_err(err, errlen, "ips[%zu] %s is a second IPv%c address; one per family is supported",
						i, q, a->family == AF_INET ? '4' : '6');
		}
		e->ips[e->n_ips++] = *a;
	}
	return 0;
}

int ep_parse(json_t *args, bool stored, struct ep *e, char *err, size_t errlen)
{
	static const char *const keys[] = { "container_id", "ifname", "netns", "network", "host_ifname", "host_ifindex",
					    "host_mac", "pod_mac", "ips", "pod_name", "pod_namespace", NULL };
	static const char *const stored_keys[] = { "id", "created", "container_id", "ifname", "netns", "network",
						   "host_ifname", "host_ifindex", "host_mac", "pod_mac", "ips", "pod_name",
						   "pod_namespace", NULL };
	const char *cid, *ifname, *netns, *net, *hif, *hmac, *pmac, *pname, *pns;
	json_t *v;
	char q[96];

	memset(e, 0, sizeof(*e));
	if (!json_is_object(args))
		return conf_err(err, errlen, "the endpoint must be an object, not %s", conf_json_quote(args, q, sizeof(q)));
	if (conf_json_keys_check(args, NULL, stored ? stored_keys : keys, err, errlen) < 0)
		return -1;
	if (field_string(args, "container_id", true, &cid, err, errlen) < 0 ||
	    field_string(args, "ifname", true, &ifname, err, errlen) < 0 ||
	    field_string(args, "netns", true, &netns, err, errlen) < 0 ||
	    field_string(args, "network", true, &net, err, errlen) < 0 ||
	    field_string(args, "host_ifname", true, &hif, err, errlen) < 0 ||
	    field_string(args, "host_mac", true, &hmac, err, errlen) < 0 ||
	    field_string(args, "pod_mac", true, &pmac, err, errlen) < 0 ||
	    field_string(args, "pod_name", false, &pname, err, errlen) < 0 ||
	    field_string(args, "pod_namespace", false, &pns, err, errlen) < 0)
		return -1;
	if (!cni_containerid_valid(cid) || strlen(cid) >= sizeof(e->containerid))
		return conf_err(err, errlen, "container_id %s is not a valid container ID", quote(args, "container_id", q, sizeof(q)));
	if (!cni_ifname_valid(ifname) || strlen(ifname) >= sizeof(e->ifname))
		return conf_err(err, errlen, "ifname %s is not a valid interface name", quote(args, "ifname", q, sizeof(q)));
	if (netns[0] != '/' || strlen(netns) >= sizeof(e->netns) || !printable(netns))
		return conf_err(err, errlen, "netns %s must be an absolute path shorter than %d bytes",
				quote(args, "netns", q, sizeof(q)), EP_NETNS_MAX);
	if (!cni_netname_valid(net) || strlen(net) >= sizeof(e->network))
		return conf_err(err, errlen, "network %s is not a valid network name", quote(args, "network", q, sizeof(q)));
	if (!cni_ifname_valid(hif) || strlen(hif) >= sizeof(e->host_ifname))
		return conf_err(err, errlen, "host_ifname %s is not a valid interface name", quote(args, "host_ifname", q, sizeof(q)));
	v = json_object_get(args, "host_ifindex");
	if (!v || json_is_null(v))
		return conf_err(err, errlen, "host_ifindex is missing");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 0x7fffffff)
		return conf_err(err, errlen, "host_ifindex %s must be a positive interface index", conf_json_quote(v, q, sizeof(q)));
	if (!ep_mac_parse(hmac, e->host_mac))
		return conf_err(err, errlen, "host_mac %s is not a unicast MAC address like \"aa:bb:cc:dd:ee:ff\"",
				quote(args, "host_mac", q, sizeof(q)));
	if (!ep_mac_parse(pmac, e->pod_mac))
		return conf_err(err, errlen, "pod_mac %s is not a unicast MAC address like \"aa:bb:cc:dd:ee:ff\"",
				quote(args, "pod_mac", q, sizeof(q)));
	if (ips_parse(args, e, err, errlen) < 0)
		return -1;
	if (pname && !k8s_name_valid(pname, sizeof(e->pod_name)))
		return conf_err(err, errlen, "pod_name %s is not a Kubernetes object name", quote(args, "pod_name", q, sizeof(q)));
	if (pns && !k8s_name_valid(pns, sizeof(e->pod_namespace)))
		return conf_err(err, errlen, "pod_namespace %s is not a Kubernetes namespace name",
				quote(args, "pod_namespace", q, sizeof(q)));
	if (stored) {
		v = json_object_get(args, "id");
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > EP_ID_MAX)
			return conf_err(err, errlen, "id %s is not an endpoint id (1-%u)",
					v ? conf_json_quote(v, q, sizeof(q)) : "(missing)", EP_ID_MAX);
		e->id = (unsigned)json_integer_value(v);
		v = json_object_get(args, "created");
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
			return conf_err(err, errlen, "created %s is not a time", conf_json_quote(v, q, sizeof(q)));
		e->created = v ? (time_t)json_integer_value(v) : 0;
	}
	snprintf(e->containerid, sizeof(e->containerid), "%s", cid);
	snprintf(e->ifname, sizeof(e->ifname), "%s", ifname);
	snprintf(e->netns, sizeof(e->netns), "%s", netns);
	snprintf(e->network, sizeof(e->network), "%s", net);
	snprintf(e->host_ifname, sizeof(e->host_ifname), "%s", hif);
	e->host_ifindex = (unsigned)json_integer_value(json_object_get(args, "host_ifindex"));
	snprintf(e->pod_name, sizeof(e->pod_name), "%s", pname ? pname : "");
	snprintf(e->pod_namespace, sizeof(e->pod_namespace), "%s", pns ? pns : "");
	return 0;
}

json_t *ep_to_json(const struct ep *e)
{
	char hmac[18], pmac[18], abuf[INET_ADDRSTR];
	json_t *o, *ips = json_array();

	for (size_t i = 0; ips && i < e->n_ips; i++)
		json_array_append_new(ips, json_string(inet_addr_fmt(&e->ips[i], abuf, sizeof(abuf))));
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:I}", "id", (json_int_t)e->id,
		      "container_id", e->containerid, "ifname", e->ifname, "netns", e->netns, "network", e->network,
		      "host_ifname", e->host_ifname, "host_ifindex", (json_int_t)e->host_ifindex, "host_mac",
		      ep_mac_fmt(e->host_mac, hmac, sizeof(hmac)), "pod_mac", ep_mac_fmt(e->pod_mac, pmac, sizeof(pmac)),
		      "ips", ips, "created", (json_int_t)e->created);
	if (o && e->pod_name[0])
		json_object_set_new(o, "pod_name", json_string(e->pod_name));
	if (o && e->pod_namespace[0])
		json_object_set_new(o, "pod_namespace", json_string(e->pod_namespace));
	return o;
}

void ep_to_dp(const struct ep *e, struct weft_endpoint *out)
{
	memset(out, 0, sizeof(*out));
	out->id = e->id;
	out->ifindex = e->host_ifindex;
	memcpy(out->pod_mac, e->pod_mac, 6);
	memcpy(out->host_mac, e->host_mac, 6);
	for (size_t i = 0; i < e->n_ips; i++) {
		if (e->ips[i].family == AF_INET) {
			memcpy(out->ipv4, e->ips[i].bytes, 4);
			out->flags |= WEFT_EP_HAS_IPV4;
		} else {
			memcpy(out->ipv6, e->ips[i].bytes, 16);
			out->flags |= WEFT_EP_HAS_IPV6;
		}
	}
}

/* ---- the table -------------------------------------------------------------------------------- */

struct ep_table {
	char dir[PATH_MAX];
	int dir_fd, lock_fd;
	struct ep **v; /* sorted by id */
	size_t n, cap;
};

size_t ep_table_count(const struct ep_table *t)
{
	return t->n;
}

const struct ep *ep_table_at(const struct ep_table *t, size_t i)
{
	return i < t->n ? t->v[i] : NULL;
}

/* Index of id, or where it would be inserted (*found false). */
static size_t table_index(const struct ep_table *t, unsigned id, bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && t->v[lo]->id == id;
	return lo;
}

const struct ep *ep_table_get(const struct ep_table *t, unsigned id)
{
	bool found;
	size_t i = table_index(t, id, &found);

	return found ? t->v[i] : NULL;
}

const struct ep *ep_table_find(const struct ep_table *t, const char *containerid, const char *ifname)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i]->containerid, containerid) == 0 && strcmp(t->v[i]->ifname, ifname) == 0)
			return t->v[i];
	}
	return NULL;
}

/* Insert or replace in memory (the record is already on disk). */
static int table_insert(struct ep_table *t, const struct ep *e)
{
	bool found;
	size_t i = table_index(t, e->id, &found);
	struct ep *copy;

	if (found) {
		*t->v[i] = *e;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct ep **n = realloc(t->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->v = n;
		t->cap = cap;
	}
	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	*copy = *e;
	memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof(*t->v));
	t->v[i] = copy;
	t->n++;
	return 0;
}

static unsigned table_free_id(const struct ep_table *t)
{
	unsigned want = 1;

	for (size_t i = 0; i < t->n && t->v[i]->id == want; i++)
		want++;
	return want <= EP_ID_MAX ? want : 0;
}

int ep_table_put(struct ep_table *t, struct ep *e)
{
	char name[32], tmp[40], *text = NULL;
	json_t *j = NULL;
	int fd = -1, err = 0;
	bool fresh = e->id == 0;

	if (fresh) {
		if (t->n >= WEFT_MAX_ENDPOINTS || !(e->id = table_free_id(t)))
			return -ENOSPC;
		e->created = time(NULL);
	}
	snprintf(name, sizeof(name), "%u.json", e->id);
	snprintf(tmp, sizeof(tmp), ".%u.json.tmp", e->id);
	j = ep_to_json(e);
	text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	fd = openat(t->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if ((err = io_write_all(fd, text, strlen(text))) < 0 || (err = io_write_all(fd, "\n", 1)) < 0)
		goto out;
	/* The rename must not become visible before the data: fsync first. */
	if (fsync(fd) < 0) {
		err = -errno;
		goto out;
	}
	close(fd);
	fd = -1;
	crash_point("tmp-written");
	if (renameat(t->dir_fd, tmp, t->dir_fd, name) < 0) {
		err = -errno;
		goto out;
	}
	crash_point("renamed");
	fsync(t->dir_fd);
	err = table_insert(t, e);
out:
	if (fd >= 0)
		close(fd);
	if (err < 0)
		unlinkat(t->dir_fd, tmp, 0);
	if (err < 0 && fresh)
		e->id = 0;
	free(text);
	json_decref(j);
	return err;
}

int ep_table_remove(struct ep_table *t, unsigned id)
{
	char name[32];
	bool found;
	size_t i = table_index(t, id, &found);

	snprintf(name, sizeof(name), "%u.json", id);
	if (unlinkat(t->dir_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	crash_point("unlinked");
	fsync(t->dir_fd);
	if (found) {
		free(t->v[i]);
		memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof(*t->v));
		t->n--;
	}
	return 0;
}

/* Move an unusable record aside so its id is not loaded again, but nothing is lost. */
static void record_quarantine(struct ep_table *t, const char *name, const char *why)
{
	char bad[300];

	snprintf(bad, sizeof(bad), "%s.bad", name);
	if (renameat(t->dir_fd, name, t->dir_fd, bad) < 0)
		log_warn("endpoint record %s/%s: %s; cannot move it aside", t->dir, name, why);
	else
		log_warnx("endpoint record %s/%s: %s; moved to %s", t->dir, name, why, bad);
}

static int record_load(struct ep_table *t, const char *name)
{
	char err[512], *end;
	unsigned long id = strtoul(name, &end, 10);
	json_error_t je;
	json_t *j;
	struct ep e;
	int fd, rc;

	if (name[0] < '1' || name[0] > '9' || strcmp(end, ".json") != 0 || id > EP_ID_MAX) {
		log_warnx("endpoint record directory %s: ignoring %s, not a name weftd writes", t->dir, name);
		return 0;
	}
	fd = openat(t->dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot open endpoint record %s/%s", t->dir, name);
		return -EIO;
	}
	j = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
	close(fd);
	if (!j) {
		snprintf(err, sizeof(err), "not JSON (%s)", je.text);
		record_quarantine(t, name, err);
		return 0;
	}
	rc = ep_parse(j, true, &e, err, sizeof(err));
	json_decref(j);
	if (rc < 0) {
		record_quarantine(t, name, err);
		return 0;
	}
	if (e.id != id) {
		snprintf(err, sizeof(err), "holds id %u, not %lu", e.id, id);
		record_quarantine(t, name, err);
		return 0;
	}
	if (ep_table_find(t, e.containerid, e.ifname)) {
		snprintf(err, sizeof(err), "duplicates the record of %s/%s", e.containerid, e.ifname);
		record_quarantine(t, name, err);
		return 0;
	}
	if (t->n >= WEFT_MAX_ENDPOINTS) {
		record_quarantine(t, name, "more records than the data path holds");
		return 0;
	}
	return table_insert(t, &e);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ep_table_open(const char *state_dir, struct ep_table **out, char *err, size_t errlen)
{
	struct ep_table *t;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = NULL;
	int r, fd;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return conf_err(err, errlen, "out of memory");
	t->dir_fd = t->lock_fd = -1;
	snprintf(t->dir, sizeof(t->dir), "%s/endpoints", state_dir);
	if ((r = mkdir_p(t->dir, 0700)) < 0) {
		conf_err(err, errlen, "cannot create %s: %s", t->dir, strerror(-r));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/lock", state_dir);
	t->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (t->lock_fd < 0) {
		conf_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	/* Two daemons on one state directory would hand out the same ids. */
	if (flock(t->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		conf_err(err, errlen, "%s is locked: another weftd uses stateDir %s", path, state_dir);
		goto fail;
	}
	t->dir_fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dir_fd < 0) {
		conf_err(err, errlen, "cannot open %s: %s", t->dir, strerror(errno));
		goto fail;
	}
	fd = dup(t->dir_fd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		conf_err(err, errlen, "cannot list %s: %s", t->dir, strerror(errno));
		goto fail;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_name[0] == '.' && n > 4 && strcmp(de->d_name + n - 4, ".tmp") == 0) {
			/* A write that a crash interrupted before its rename: the old record stands. */
			log_info("removing %s/%s, left by an interrupted write", t->dir, de->d_name);
			unlinkat(t->dir_fd, de->d_name, 0);
			continue;
		}
		if (n > 4 && strcmp(de->d_name + n - 4, ".bad") == 0)
			continue;
		if (record_load(t, de->d_name) < 0) {
			conf_err(err, errlen, "cannot read endpoint record %s/%s", t->dir, de->d_name);
			goto fail;
		}
	}
	closedir(d);
	*out = t;
	return 0;
fail:
	if (d)
		closedir(d);
	ep_table_free(t);
	return -1;
}

void ep_table_free(struct ep_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	if (t->dir_fd >= 0)
		close(t->dir_fd);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	free(t);
}

/* ---- add / del -------------------------------------------------------------------------------- */

static bool ips_equal(const struct ep *a, const struct ep *b)
{
	if (a->n_ips != b->n_ips)
		return false;
	for (size_t i = 0; i < a->n_ips; i++) {
		if (!inet_addr_equal(&a->ips[i], &b->ips[i]))
			return false;
	}
	return true;
}

/* The host veth named in spec is there, is a veth, and has the MAC the plugin reported. */
static int link_verify(const struct ep *spec, char *err, size_t errlen)
{
	struct reconcile_link l;
	char mac[18];
	int r = reconcile_link_get(spec->host_ifindex, &l);

	if (r == -ENODEV) {
		conf_err(err, errlen, "host_ifindex %u: no such interface", spec->host_ifindex);
		return -ENODEV;
	}
	if (r < 0) {
		conf_err(err, errlen, "cannot look up host_ifindex %u: %s", spec->host_ifindex, strerror(-r));
		return r;
	}
	if (strcmp(l.name, spec->host_ifname) != 0) {
		conf_err(err, errlen, "host_ifindex %u is \"%s\", not host_ifname \"%s\"", spec->host_ifindex, l.name,
			 spec->host_ifname);
		return -EINVAL;
	}
	if (strcmp(l.kind, "veth") != 0) {
		conf_err(err, errlen, "host_ifname \"%s\" is a%s%s link, not a veth", l.name, l.kind[0] ? " " : "n ",
			 l.kind[0] ? l.kind : "unspecified");
		return -EINVAL;
	}
	if (!l.has_mac || memcmp(l.mac, spec->host_mac, 6) != 0) {
		conf_err(err, errlen, "host_mac %s is not the address of \"%s\" (%s)",
			 ep_mac_fmt(spec->host_mac, mac, sizeof(mac)), l.name,
			 l.has_mac ? ep_mac_fmt(l.mac, (char[18]){ 0 }, 18) : "none");
		return -EINVAL;
	}
	return 0;
}

static bool ep_overlaps(const struct ep *o, const struct ep *spec)
{
	if (o->host_ifindex == spec->host_ifindex)
		return true;
	for (size_t a = 0; a < spec->n_ips; a++)
		for (size_t b = 0; b < o->n_ips; b++)
			if (inet_addr_equal(&spec->ips[a], &o->ips[b]))
				return true;
	return false;
}

/* The veth an endpoint was registered with still exists as it was (name and MAC). */
static bool ep_veth_alive(const struct ep *o)
{
	struct reconcile_link l;

	return reconcile_link_get(o->host_ifindex, &l) == 0 && strcmp(l.name, o->host_ifname) == 0 && l.has_mac &&
	       memcmp(l.mac, o->host_mac, 6) == 0;
}

/* An endpoint whose veth is gone lost its DEL (weftd was down, or the plugin never heard our
 * answer). It must not block the pod that now has its address or ifindex: start-up reconcile
 * would drop it anyway, so drop it now. */
static void evict_stale_overlaps(struct ep_table *t, struct dp *dp, const struct ep *spec, const struct ep *self)
{
	size_t i = 0;

	while (i < t->n) {
		const struct ep *o = t->v[i];
		char cid[sizeof(o->containerid)], ifn[sizeof(o->ifname)], err[512] = "";
		unsigned id = o->id;
		bool removed;

		if (o == self || !ep_overlaps(o, spec) || ep_veth_alive(o)) {
			i++;
			continue;
		}
		memcpy(cid, o->containerid, sizeof(cid));
		memcpy(ifn, o->ifname, sizeof(ifn));
		log_info("endpoint %u (%s/%s): its veth %s (ifindex %u) is gone; removing it for %s/%s", id, cid, ifn,
			 o->host_ifname, o->host_ifindex, spec->containerid, spec->ifname);
		if (ep_del(t, dp, cid, ifn, &removed, err, sizeof(err)) < 0 || !removed) {
			log_warnx("endpoint %u: cannot remove the stale endpoint: %s", id, err);
			i++;
		}
	}
}

/* Another endpoint already owns this veth or one of these addresses. */
static int conflict_check(const struct ep_table *t, const struct ep *spec, const struct ep *self, char *err,
			  size_t errlen)
{
	char abuf[INET_ADDRSTR];

	for (size_t i = 0; i < t->n; i++) {
		const struct ep *o = t->v[i];

		if (o == self)
			continue;
		if (o->host_ifindex == spec->host_ifindex) {
			conf_err(err, errlen, "host_ifindex %u belongs to endpoint %u (%s/%s)", spec->host_ifindex, o->id,
				 o->containerid, o->ifname);
			return -EEXIST;
		}
		for (size_t a = 0; a < spec->n_ips; a++) {
			for (size_t b = 0; b < o->n_ips; b++) {
				if (inet_addr_equal(&spec->ips[a], &o->ips[b])) {
					conf_err(err, errlen, "%s belongs to endpoint %u (%s/%s)",
						 inet_addr_fmt(&spec->ips[a], abuf, sizeof(abuf)), o->id, o->containerid,
						 o->ifname);
					return -EEXIST;
				}
			}
		}
	}
	return 0;
}

int ep_add(struct ep_table *t, struct dp *dp, const struct ep *spec, const struct ep **out, char *err,
	   size_t errlen)
{
	const struct ep *cur = ep_table_find(t, spec->containerid, spec->ifname);
	struct ep e = *spec, old;
	struct weft_endpoint w;
	char dperr[256], tmp[256];
	bool had_old = cur != NULL, moved;
	int r;

	*out = NULL;
	if ((r = link_verify(spec, err, errlen)) < 0)
		return r;
	evict_stale_overlaps(t, dp, spec, cur);
	if ((r = conflict_check(t, spec, cur, err, errlen)) < 0)
		return r;
	if (had_old) {
		old = *cur;
		e.id = old.id;
		e.created = old.created;
	} else {
		e.id = 0;
	}
	/* A re-ADD that moved the pod to another veth or other addresses must not leave the old
	 * map keys pointing at it; one that changed neither is replaced in place, without a gap. */
	moved = had_old && (old.host_ifindex != e.host_ifindex || !ips_equal(&old, &e));
	r = ep_table_put(t, &e);
	if (r == -ENOSPC) {
		conf_err(err, errlen, "no free endpoint id: %zu endpoints exist", t->n);
		return r;
	}
	if (r < 0) {
		conf_err(err, errlen, "cannot write the record of %s/%s in %s: %s", e.containerid, e.ifname, t->dir,
			 strerror(-r));
		log_warnx("endpoint.add %s/%s: %s", e.containerid, e.ifname, err);
		return r;
	}
	if (moved) {
		ep_to_dp(&old, &w);
		if (dp_endpoint_remove(dp, &w, dperr, sizeof(dperr)) < 0)
			log_warnx("endpoint %u: removing its old data path entries: %s", old.id, dperr);
	}
	ep_to_dp(&e, &w);
	r = dp_endpoint_upsert(dp, &w, dperr, sizeof(dperr));
	if (r < 0) {
		conf_err(err, errlen, "cannot program the data path for %s/%s: %s", e.containerid, e.ifname, dperr);
		log_warnx("endpoint.add %s/%s: %s; rolling back", e.containerid, e.ifname, err);
		/* Leave the world as it was: the old endpoint back, or none at all. */
		if (dp_endpoint_remove(dp, &w, tmp, sizeof(tmp)) < 0)
			log_warnx("endpoint %u: rollback: %s", e.id, tmp);
		if (had_old) {
			if (ep_table_put(t, &old) < 0)
				log_warnx("endpoint %u: rollback: cannot restore its previous record", old.id);
			ep_to_dp(&old, &w);
			if (dp_endpoint_upsert(dp, &w, tmp, sizeof(tmp)) < 0)
				log_warnx("endpoint %u: rollback: cannot restore its data path entries: %s", old.id, tmp);
		} else if (ep_table_remove(t, e.id) < 0) {
			log_warnx("endpoint %u: rollback: cannot remove its record", e.id);
		}
		return r;
	}
	*out = ep_table_get(t, e.id);
	log_info("endpoint %u %s: %s/%s on %s (ifindex %u)%s%s%s%s", e.id, had_old ? "updated" : "added",
		 e.containerid, e.ifname, e.host_ifname, e.host_ifindex, e.pod_name[0] ? ", pod " : "",
		 e.pod_namespace, e.pod_namespace[0] ? "/" : "", e.pod_name);
	return 0;
}

int ep_del(struct ep_table *t, struct dp *dp, const char *containerid, const char *ifname, bool *removed,
	   char *err, size_t errlen)
{
	const struct ep *cur = ep_table_find(t, containerid, ifname);
	struct weft_endpoint w;
	char dperr[256];
	unsigned id;
	int r;

	*removed = false;
	if (!cur)
		return 0;
	id = cur->id;
	ep_to_dp(cur, &w);
	/* Maps first: if this fails the record stays, and a retried DEL finds it. */
	r = dp_endpoint_remove(dp, &w, dperr, sizeof(dperr));
	if (r < 0) {
		conf_err(err, errlen, "cannot remove endpoint %u from the data path: %s", id, dperr);
		log_warnx("endpoint.del %s/%s: %s", containerid, ifname, err);
		return r;
	}
	r = ep_table_remove(t, id);
	if (r < 0) {
		conf_err(err, errlen, "cannot remove the record of endpoint %u in %s: %s", id, t->dir, strerror(-r));
		log_warnx("endpoint.del %s/%s: %s", containerid, ifname, err);
		return r;
	}
	log_info("endpoint %u removed: %s/%s", id, containerid, ifname);
	*removed = true;
	return 0;
}
