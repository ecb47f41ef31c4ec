/* `weftctl route list`: the node's routing table: every path weftd holds per pod CIDR, where it
 * came from (this node, a static route, a BGP peer), its next hop, whether it is the best one,
 * and where the fabric installed it when weftd says. -o json has every field (docs/api.md). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ROUTE_OP_LIST "route.list"

static int route_list_main(struct cli *cli, int argc, char **argv);

static const struct cli_cmd route_cmds[] = {
	{ "list", route_list_main, "", "the routes: prefix, next hop, learned from, best or not, installed where",
	  "One line per path: the best path of each prefix first (BEST yes), then the paths that lost\n"
	  "the decision (RFC 4271 9.1). FROM is \"local\" (this node's own), \"static\" (fabric.\n"
	  "staticRoutes) or the BGP peer's address; \"(stale)\" marks a path kept while its peer\n"
	  "restarts (RFC 4724). INSTALLED says where the fabric put a best path, when weftd knows.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

int route_main(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, route_cmds, argc, argv);
}

/* What the fabric reports, in one cell: a string as is, an object as "k=v k=v". */
static char *route_installed_text(json_t *v)
{
	const char *k;
	json_t *x;
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!json_is_object(v))
		return NULL;
	f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	json_object_foreach(v, k, x) {
		char *t = json_is_string(x) ? NULL : json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT);

		fprintf(f, "%s%s=%s", ftell(f) > 0 ? " " : "", k, t ? t : json_string_value(x));
		free(t);
	}
	fclose(f);
	return s;
}

static void route_row(struct pr_node *row, json_t *r)
{
	static const char *const shown[] = { "prefix", "next_hop", "from", "best", "stale", "as_path", "age_s",
					     "installed", NULL };
	json_t *from = json_object_get(r, "from"), *inst = json_object_get(r, "installed");
	bool best = json_is_true(json_object_get(r, "best")), stale = json_is_true(json_object_get(r, "stale"));
	unsigned long long u;
	char buf[64], *text;

	pr_str(row, "prefix", "PREFIX", cli_json_str(r, "prefix"));
	pr_str(row, "next_hop", "NEXT HOP", cli_json_str(r, "next_hop"));
	if (json_is_string(from))
		pr_str(row, "from", "FROM", json_string_value(from));
	else
		pr_value(row, "from", "FROM", from ? json_incref(from) : json_null(), "?");
	pr_valuef(row, "best", "BEST", json_boolean(best), "%s%s", best ? "yes" : "no", stale ? " (stale)" : "");
	pr_bool(row, "stale", NULL, stale);
	/* An empty AS_PATH: originated inside our AS (an internal peer's own route). */
	if (cli_json_str(r, "as_path") && !cli_json_str(r, "as_path")[0])
		pr_value(row, "as_path", "AS PATH", json_string(""), "(empty)");
	else
		pr_str(row, "as_path", "AS PATH", cli_json_str(r, "as_path"));
	if (cli_json_uint(r, "age_s", &u)) {
		pr_duration_fmt(u, buf, sizeof(buf));
		pr_value(row, "age_s", "AGE", json_integer((json_int_t)u), buf);
	} else {
		pr_str(row, "age_s", "AGE", NULL);
	}
	text = route_installed_text(inst);
	pr_value(row, "installed", "INSTALLED", inst ? json_incref(inst) : json_null(), text ? text : "-");
	free(text);
	cli_json_rest(row, r, shown);
}

struct pr *route_list_view(json_t *res)
{
	struct pr *p = pr_new();
	struct pr_node *t = pr_table(pr_root(p), "routes", "");
	unsigned long long u;
	size_t i;
	json_t *r;

	pr_table_empty(t, "no routes");
	json_array_foreach(json_object_get(res, "routes"), i, r)
		route_row(pr_row(t), r);
	if (cli_json_uint(res, "prefixes", &u))
		pr_uint(pr_root(p), "prefixes", NULL, u);
	return p;
}

static int route_list_main(struct cli *cli, int argc, char **argv)
{
	json_t *res = NULL;
	int rc = cli_leaf_begin(cli, &route_cmds[0], argc, argv, 0, 0);

	if (rc >= 0)
		return rc;
	rc = cli_call(cli, ROUTE_OP_LIST, NULL, &res);
	if (rc == CLI_OK)
		rc = cli_output(cli, route_list_view(res));
	json_decref(res);
	return rc;
}
