/* `weftctl endpoint list` and `weftctl endpoint get ID`: the pods weftd has wired on this node,
 * one line each, or one in full with its addresses, MACs, host veth, pod and its data-path
 * counters including drops by reason. ID is an endpoint id or CONTAINERID[/IFNAME]. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "weft_shared.h"

#define ENDPOINT_OP_LIST "endpoint.list"
#define ENDPOINT_OP_GET  "endpoint.get"

/* A container id is what runtimes pass as CNI_CONTAINERID (the spec allows alphanumerics,
 * '_', '.' and '-'); an interface name is what the kernel accepts (IFNAMSIZ - 1 bytes). */
#define ENDPOINT_CID_MAX    255
#define ENDPOINT_IFNAME_MAX 15
/* Human tables show container ids as `crictl pods` does. */
#define ENDPOINT_CID_SHORT  13

static int endpoint_list_main(struct cli *cli, int argc, char **argv);
static int endpoint_get_main(struct cli *cli, int argc, char **argv);

static const struct cli_cmd endpoint_cmds[] = {
	{ "list", endpoint_list_main, "", "the endpoints (pods) on this node, one line each", NULL },
	{ "get", endpoint_get_main, "ID", "one endpoint: addresses, MACs, host veth, pod, counters",
	  "ID is an endpoint id (a number, as `endpoint list` shows) or CONTAINERID[/IFNAME]: the\n"
	  "runtime's container id (CNI_CONTAINERID) and, if the pod has several interfaces, which\n"
	  "one (CNI_IFNAME; default: the only one). Counters are summed over CPUs; drops are\n"
	  "counted by reason (see docs/weftctl.md).\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

int endpoint_main(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, endpoint_cmds, argc, argv);
}

/* ---- ID ----------------------------------------------------------------------------------- */

static bool endpoint_cid_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

bool endpoint_ref_parse(const char *s, json_t **args, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/'), *c;
	size_t cid_len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long long id;
	char *end;

	*args = NULL;
	if (!s[0]) {
		snprintf(err, errlen, "bad endpoint '': empty; expected an id or CONTAINERID[/IFNAME]");
		return false;
	}
	if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		id = strtoull(s, &end, 10);
		if (errno || id > UINT32_MAX || id == 0) {
			snprintf(err, errlen, "bad endpoint id '%s': %s", s, id ? "too large" : "ids start at 1");
			return false;
		}
		*args = json_pack("{s:I}", "id", (json_int_t)id);
		goto out;
	}
	if (cid_len == 0 || cid_len > ENDPOINT_CID_MAX) {
		snprintf(err, errlen, "bad container id '%.*s': %s", (int)(cid_len > 64 ? 64 : cid_len), s,
			 cid_len ? "longer than 255 characters" : "empty");
		return false;
	}
	for (c = s; c < s + cid_len; c++) {
		if (!endpoint_cid_char(*c)) {
			snprintf(err, errlen, "bad container id '%.*s': character %u is not a letter, digit, "
				 "'_', '.' or '-'", (int)(cid_len > 64 ? 64 : cid_len), s, (unsigned)(c - s) + 1);
			return false;
		}
	}
	if (slash) {
		const char *ifn = slash + 1;
		size_t len = strlen(ifn);

		if (len == 0 || len > ENDPOINT_IFNAME_MAX || strcmp(ifn, ".") == 0 || strcmp(ifn, "..") == 0 ||
		    strpbrk(ifn, "/: \t\n")) {
			snprintf(err, errlen, "bad interface name '%.20s' in '%.80s': expected 1 to %d characters "
				 "without '/', ':' or blanks", ifn, s, ENDPOINT_IFNAME_MAX);
			return false;
		}
		*args = json_pack("{s:s%, s:s}", "container_id", s, cid_len, "ifname", ifn);
	} else {
		*args = json_pack("{s:s}", "container_id", s);
	}
out:
	if (!*args) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	return true;
}

/* ---- reading an endpoint ---------------------------------------------------------------------- */

static void endpoint_opt_uint(struct pr_node *n, json_t *ep, const char *key, const char *label)
{
	unsigned long long u;

	if (cli_json_uint(ep, key, &u))
		pr_uint(n, key, label, u);
	else
		pr_str(n, key, label, NULL);
}

/* "namespace/name", as kubectl names a pod; NULL when the runtime gave no pod name. */
static char *endpoint_pod_text(json_t *ep)
{
	const char *ns = cli_json_str(ep, "pod_namespace"), *name = cli_json_str(ep, "pod_name");
	char *s = NULL;

	if (!name || !name[0])
		return NULL;
	if (asprintf(&s, "%s%s%s", ns && ns[0] ? ns : "", ns && ns[0] ? "/" : "", name) < 0)
		return NULL;
	return s;
}

/* One field in both views: the table's column header (NULL: not a column, JSON only) and the
 * detail view's label. */
#define LABEL(row, column, detail) ((row) ? (column) : (detail))

/* The fields of an endpoint as weftd's endpoint records have them (daemon/ep.c, docs/api.md),
 * the same JSON in `endpoint list` rows and in `endpoint get`. */
static void endpoint_fields(struct pr_node *n, json_t *ep, bool row)
{
	json_t *ips = json_object_get(ep, "ips"), *v;
	unsigned long long created;
	const char *cid = cli_json_str(ep, "container_id");
	struct pr_node *l;
	char when[64];
	struct tm tm;
	time_t t;
	char *pod;
	size_t i;

	endpoint_opt_uint(n, ep, "id", LABEL(row, "ID", "Endpoint"));
	pod = endpoint_pod_text(ep);
	pr_str(n, NULL, LABEL(row, "POD", "Pod"), pod);
	free(pod);
	pr_str(n, "pod_namespace", NULL, cli_json_str(ep, "pod_namespace"));
	pr_str(n, "pod_name", NULL, cli_json_str(ep, "pod_name"));
	if (cid && row)
		pr_valuef(n, "container_id", "CONTAINER", json_string(cid), "%.*s", ENDPOINT_CID_SHORT, cid);
	else
		pr_str(n, "container_id", LABEL(row, "CONTAINER", "Container"), cid);
	pr_str(n, "ifname", LABEL(row, "IFNAME", "Interface"), cli_json_str(ep, "ifname"));
	pr_str(n, "netns", LABEL(row, NULL, "Netns"), cli_json_str(ep, "netns"));
	pr_str(n, "network", LABEL(row, NULL, "Network"), cli_json_str(ep, "network"));
	l = pr_list(n, "ips", LABEL(row, "ADDRESSES", "Addresses"));
	json_array_foreach(ips, i, v)
		if (json_is_string(v))
			pr_str(l, NULL, NULL, json_string_value(v));
	pr_str(n, "pod_mac", LABEL(row, NULL, "Pod MAC"), cli_json_str(ep, "pod_mac"));
	pr_str(n, "host_ifname", LABEL(row, "HOST VETH", "Host veth"), cli_json_str(ep, "host_ifname"));
	endpoint_opt_uint(n, ep, "host_ifindex", LABEL(row, NULL, "Host ifindex"));
	pr_str(n, "host_mac", LABEL(row, NULL, "Host MAC"), cli_json_str(ep, "host_mac"));
	if (cli_json_uint(ep, "created", &created)) {
		t = (time_t)created;
		if (gmtime_r(&t, &tm) && strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
			pr_value(n, "created", LABEL(row, NULL, "Created"), json_integer((json_int_t)created), when);
		else
			pr_uint(n, "created", LABEL(row, NULL, "Created"), created);
	} else {
		pr_str(n, "created", LABEL(row, NULL, "Created"), NULL);
	}
	/* Only endpoint.get says whether the program runs at the veth. */
	if (row)
		return;
	v = json_object_get(ep, "attached");
	if (json_is_boolean(v))
		pr_bool(n, "attached", "Attached", json_is_true(v));
	else
		pr_str(n, "attached", "Attached", NULL);
}

/* ---- list ---------------------------------------------------------------------------------- */

struct pr *endpoint_list_view(json_t *res)
{
	struct pr *p = pr_new();
	struct pr_node *t = pr_table(pr_root(p), "endpoints", "");
	json_t *eps = json_object_get(res, "endpoints"), *ep;
	size_t i;

	pr_table_empty(t, "no endpoints");
	json_array_foreach(eps, i, ep)
		endpoint_fields(pr_row(t), ep, true);
	return p;
}

static int endpoint_list_main(struct cli *cli, int argc, char **argv)
{
	json_t *res = NULL;
	int rc = cli_leaf_begin(cli, &endpoint_cmds[0], argc, argv, 0, 0);

	if (rc >= 0)
		return rc;
	rc = cli_call(cli, ENDPOINT_OP_LIST, NULL, &res);
	if (rc == CLI_OK)
		rc = cli_output(cli, endpoint_list_view(res));
	json_decref(res);
	return rc;
}

/* ---- get ----------------------------------------------------------------------------------- */

static const char *const endpoint_drop_names[] = WEFT_DROP_NAMES;

/* Drops by reason: weftd may send them by name or as an array indexed by enum weft_drop.
 * Every reason weftctl knows is shown, zeros included, so a reader sees what was checked. */
static void endpoint_drops(struct pr_node *parent, json_t *drops)
{
	struct pr_node *d = pr_obj(parent, "drops", "Drops");
	unsigned long long total = 0;
	const char *name;
	json_t *v;
	size_t i;

	for (i = 1; i < WEFT_DROP_MAX; i++) {
		v = json_is_array(drops) ? json_array_get(drops, i) : json_object_get(drops, endpoint_drop_names[i]);
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			total += (unsigned long long)json_integer_value(v);
		pr_uint(d, endpoint_drop_names[i], endpoint_drop_names[i],
			json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0);
	}
	/* Reasons a newer weftd knows and this weftctl does not: shown under their own name. */
	if (json_is_object(drops)) {
		json_object_foreach(drops, name, v) {
			for (i = 0; i < WEFT_DROP_MAX; i++)
				if (strcmp(name, endpoint_drop_names[i]) == 0)
					break;
			if (i == WEFT_DROP_MAX && json_is_integer(v))
				pr_json(d, name, name, v);
		}
	}
	pr_uint(d, NULL, "total", total);
}

static void endpoint_counters(struct pr_node *root, json_t *cnt)
{
	struct pr_node *c;
	unsigned long long fp = 0, fb = 0, tp = 0, tb = 0;

	if (!json_is_object(cnt)) {
		/* weftd 0.3 had no counters for an endpoint before its first packet (0.4 starts at zero). */
		pr_value(root, "counters", "Counters", json_null(), "none yet (no packet seen)");
		return;
	}
	c = pr_obj(root, "counters", "Counters");
	cli_json_uint(cnt, "from_pod_packets", &fp);
	cli_json_uint(cnt, "from_pod_bytes", &fb);
	cli_json_uint(cnt, "to_pod_packets", &tp);
	cli_json_uint(cnt, "to_pod_bytes", &tb);
	pr_uint(c, "from_pod_packets", NULL, fp);
	pr_uint(c, "from_pod_bytes", NULL, fb);
	pr_uint(c, "to_pod_packets", NULL, tp);
	pr_uint(c, "to_pod_bytes", NULL, tb);
	pr_valuef(c, NULL, "From pod", json_null(), "%llu packets, %llu bytes", fp, fb);
	pr_valuef(c, NULL, "To pod", json_null(), "%llu packets, %llu bytes", tp, tb);
	endpoint_drops(c, json_object_get(cnt, "drops"));
}

struct pr *endpoint_get_view(json_t *ep)
{
	struct pr *p = pr_new();
	struct pr_node *root = pr_root(p);

	endpoint_fields(root, ep, false);
	endpoint_counters(root, json_object_get(ep, "counters"));
	return p;
}

static int endpoint_get_main(struct cli *cli, int argc, char **argv)
{
	json_t *args = NULL, *res = NULL;
	char err[256];
	int rc = cli_leaf_begin(cli, &endpoint_cmds[1], argc, argv, 1, 1);

	if (rc >= 0)
		return rc;
	if (!endpoint_ref_parse(argv[1], &args, err, sizeof(err)))
		return cli_usage_error(cli, "%s", err);
	rc = cli_call(cli, ENDPOINT_OP_GET, args, &res);
	if (rc == CLI_OK)
		rc = cli_output(cli, endpoint_get_view(res));
	json_decref(res);
	json_decref(args);
	return rc;
}
