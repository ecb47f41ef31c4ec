/* `weftctl route list`: the node's routing table: every path weftd holds per pod CIDR, where it
 * came from (this node, a static route, a BGP peer), its next hop, whether it is the best one,
 * and where the fabric installed it when weftd says. -o json has every field (docs/api.md). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ROUTE_OP_LIST "route.list"
/* More rows than any RIB of weftd's holds (a peer may send BGP_PEER_PREFIX_MAX, 100,000): a
 * daemon that keeps paging past this is stopped. */
#define ROUTE_ROWS_MAX 1000000

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

static void route_rows_add(struct pr_node *t, json_t *res)
{
	size_t i;
	json_t *r;

	pr_table_empty(t, "no routes");
	json_array_foreach(json_object_get(res, "routes"), i, r)
		route_row(pr_row(t), r);
}

struct pr *route_list_view(json_t *res)
{
	struct pr *p = pr_new();
	unsigned long long u;

	route_rows_add(pr_table(pr_root(p), "routes", ""), res);
	if (cli_json_uint(res, "prefixes", &u))
		pr_uint(pr_root(p), "prefixes", NULL, u);
	return p;
}

/* One page printed for humans as it comes. */
static int route_page_print(struct cli *cli, struct pr_stream *s, json_t *res)
{
	struct pr *p = pr_new();
	struct pr_node *t = pr_table(pr_root(p), "routes", "");
	int r;

	route_rows_add(t, res);
	r = pr_stream_rows(s, t);
	pr_free(p);
	return r < 0 ? cli_error(cli, "cannot print the answer: %s", strerror(-r)) : CLI_OK;
}

/* weftd answers route.list a page at a time (docs/api.md); the pages are asked for in turn, each
 * after the last row of the one before, until one says nothing follows. The table is printed page
 * by page; JSON is collected into the one document a single page would be. A daemon that would
 * keep this going (a cursor given twice, a page of no rows that says more follow, more rows than
 * ROUTE_ROWS_MAX) is an error, not a loop. */
static int route_list_main(struct cli *cli, int argc, char **argv)
{
	struct pr_stream *s = NULL;
	json_t *res = NULL, *args = NULL, *all = NULL, *page, *next;
	char *cursor = NULL;
	size_t rows = 0, n;
	int rc = cli_leaf_begin(cli, &route_cmds[0], argc, argv, 0, 0);

	if (rc >= 0)
		return rc;
	if (cli->format == PR_TABLE ? !(s = pr_stream_new(cli->out)) : !(all = json_array()))
		return cli_error(cli, "%s: out of memory", cli->path);
	for (;;) {
		rc = cli_call(cli, ROUTE_OP_LIST, args, &res);
		json_decref(args);
		args = NULL;
		if (rc != CLI_OK)
			goto out;
		page = json_object_get(res, "routes");
		n = json_array_size(page);
		rows += n;
		if (s)
			rc = route_page_print(cli, s, res);
		else if (json_array_extend(all, page) < 0)
			rc = cli_error(cli, "%s: out of memory", cli->path);
		if (rc != CLI_OK)
			goto out;
		next = json_object_get(res, "next");
		if (!next || json_is_null(next))
			break;
		rc = CLI_ERR;
		if (!json_is_string(next)) {
			cli_error(cli, "%s: weftd's answer has a \"next\" that is not a cursor string", cli->path);
			goto out;
		}
		if (n == 0) {
			cli_error(cli, "%s: weftd gave a page of no routes that says more follow: stopped", cli->path);
			goto out;
		}
		if (cursor && strcmp(cursor, json_string_value(next)) == 0) {
			cli_error(cli, "%s: weftd gave cursor \"%s\" twice: stopped", cli->path, cursor);
			goto out;
		}
		if (rows >= ROUTE_ROWS_MAX) {
			cli_error(cli, "%s: weftd has more than %d routes to list: stopped there", cli->path,
				  ROUTE_ROWS_MAX);
			goto out;
		}
		free(cursor);
		if (!(cursor = strdup(json_string_value(next))) || !(args = json_pack("{s:s}", "after", cursor))) {
			cli_error(cli, "%s: out of memory", cli->path);
			goto out;
		}
		json_decref(res);
		res = NULL;
	}
	if (s) {
		rc = pr_stream_end(s);
		s = NULL;
		rc = rc < 0 ? cli_error(cli, "cannot print the answer: %s", strerror(-rc)) : CLI_OK;
	} else {
		/* The last page's count: the freshest. */
		rc = json_object_set(res, "routes", all) < 0 ? cli_error(cli, "%s: out of memory", cli->path)
							    : cli_output(cli, route_list_view(res));
	}
out:
	pr_stream_free(s);
	free(cursor);
	json_decref(args);
	json_decref(all);
	json_decref(res);
	return rc;
}
