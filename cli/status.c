/* `weftctl status`: who the daemon is (version, node, pid, uptime), which BPF programs it has
 * attached and how, how full each pinned map is, and how many endpoints it serves. */
#include <time.h>

#include "cli.h"

#define STATUS_OP "status"

static const struct cli_cmd status_cmd = {
	"status", status_main, "", "the daemon, its BPF programs and maps, how full they are",
	"Shows weftd's version, node name, pid, start time and uptime, the socket asked, the\n"
	"endpoint count, each BPF program with how it is attached (tcx or tc) and at how many of\n"
	"the endpoints' host veths it runs (ATTACHED 3/3), and each pinned map with its entries\n"
	"against its maximum (FULL).\n",
};

static void status_opt_uint(struct pr_node *n, json_t *o, const char *key, const char *label)
{
	unsigned long long u;

	if (cli_json_uint(o, key, &u))
		pr_uint(n, key, label, u);
	else
		pr_str(n, key, label, NULL);
}

/* Each program: where it runs ("3/3": at 3 of the 3 endpoints' host veths) and what the last
 * start's takeover of the veths did, which is where an upgrade shows a problem. */
static void status_programs(struct pr_node *parent, json_t *programs)
{
	struct pr_node *t = pr_table(parent, "programs", "Programs"), *row, *o;
	unsigned long long att = 0, eps = 0, re = 0, failed = 0;
	bool has_att, has_eps;
	json_t *p, *tk;
	size_t i;

	pr_table_empty(t, "(none loaded)");
	json_array_foreach(programs, i, p) {
		row = pr_row(t);
		pr_str(row, "name", "NAME", cli_json_str(p, "name"));
		status_opt_uint(row, p, "id", "ID");
		pr_str(row, "attach_mode", "ATTACH", cli_json_str(p, "attach_mode"));
		has_att = cli_json_uint(p, "attached", &att);
		has_eps = cli_json_uint(p, "endpoints", &eps);
		status_opt_uint(row, p, "attached", NULL);
		status_opt_uint(row, p, "endpoints", NULL);
		if (json_object_get(p, "ifindex")) { /* a fabric program: where it runs */
			status_opt_uint(row, p, "ifindex", NULL);
			pr_str(row, "device", NULL, cli_json_str(p, "device"));
		}
		if (has_att && has_eps)
			pr_valuef(row, NULL, "ATTACHED", json_null(), "%llu/%llu", att, eps);
		else if (has_att && cli_json_str(p, "device")) /* a fabric program: one device */
			pr_valuef(row, NULL, "ATTACHED", json_null(), "%s%s", att ? "" : "NOT at ", cli_json_str(p, "device"));
		else
			pr_str(row, NULL, "ATTACHED", NULL);
		tk = json_object_get(p, "takeover");
		if (!json_is_object(tk))
			continue;
		o = pr_obj(row, "takeover", NULL);
		re = failed = 0;
		cli_json_uint(tk, "reattached", &re);
		cli_json_uint(tk, "failed", &failed);
		pr_uint(o, "reattached", NULL, re);
		pr_uint(o, "failed", NULL, failed);
		pr_str(o, "last_error", NULL, cli_json_str(tk, "last_error"));
		pr_valuef(row, NULL, "TAKEOVER", json_null(), "%llu reattached, %llu failed", re, failed);
		if (cli_json_str(tk, "last_error"))
			pr_str(row, NULL, "LAST ERROR", cli_json_str(tk, "last_error"));
	}
}

static void status_maps(struct pr_node *parent, json_t *maps)
{
	struct pr_node *t = pr_table(parent, "maps", "Maps"), *row;
	unsigned long long entries = 0, max = 0;
	bool has_entries, has_max;
	char pct[16];
	size_t i;
	json_t *m;

	pr_table_empty(t, "(none pinned)");
	json_array_foreach(maps, i, m) {
		row = pr_row(t);
		pr_str(row, "name", "NAME", cli_json_str(m, "name"));
		pr_str(row, "type", "TYPE", cli_json_str(m, "type"));
		/* A ring buffer has no entries to count: null, shown as "-". */
		has_entries = cli_json_uint(m, "entries", &entries);
		has_max = cli_json_uint(m, "max_entries", &max);
		status_opt_uint(row, m, "entries", "ENTRIES");
		status_opt_uint(row, m, "max_entries", "MAX");
		pr_percent_fmt(entries, has_entries && has_max ? max : 0, pct, sizeof(pct));
		pr_str(row, NULL, "FULL", pct);
		pr_str(row, "pinned", NULL, cli_json_str(m, "pinned"));
	}
}

struct pr *status_view(json_t *st, const char *socket)
{
	struct pr *p = pr_new();
	struct pr_node *root = pr_root(p);
	unsigned long long u;
	char buf[64];
	struct tm tm;
	time_t t;

	pr_str(root, "version", "Version", cli_json_str(st, "version"));
	pr_str(root, "node", "Node", cli_json_str(st, "node"));
	status_opt_uint(root, st, "pid", "PID");
	if (cli_json_uint(st, "started", &u) && (t = (time_t)u, gmtime_r(&t, &tm)) &&
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
		pr_value(root, "started", "Started", json_integer((json_int_t)u), buf);
	else
		status_opt_uint(root, st, "started", "Started");
	if (cli_json_uint(st, "uptime_s", &u)) {
		pr_duration_fmt(u, buf, sizeof(buf));
		pr_value(root, "uptime_s", "Uptime", json_integer((json_int_t)u), buf);
	} else {
		pr_str(root, "uptime_s", "Uptime", NULL);
	}
	pr_str(root, "socket", "Socket", socket);
	status_opt_uint(root, st, "api_clients", "API clients");
	status_opt_uint(root, st, "endpoints", "Endpoints");
	pr_str(root, "attach_mode", "Attach mode", cli_json_str(st, "attach_mode"));
	pr_str(root, "pin_dir", "Pin dir", cli_json_str(st, "pin_dir"));
	status_programs(root, json_object_get(st, "programs"));
	status_maps(root, json_object_get(st, "maps"));
	return p;
}

int status_main(struct cli *cli, int argc, char **argv)
{
	json_t *st = NULL;
	int rc = cli_leaf_begin(cli, &status_cmd, argc, argv, 0, 0);

	if (rc >= 0)
		return rc;
	rc = cli_call(cli, STATUS_OP, NULL, &st);
	if (rc == CLI_OK)
		rc = cli_output(cli, status_view(st, cli->socket));
	json_decref(st);
	return rc;
}
