/* `weftctl status`: who the daemon is (version, node, pid, uptime), which BPF programs it has
 * attached and how, how full each pinned map is, and how many endpoints it serves. */
#include "cli.h"

#define STATUS_OP "status"

static const struct cli_cmd status_cmd = {
	"status", status_main, "", "the daemon, its BPF programs and maps, how full they are",
	"Shows weftd's version, node name, pid and uptime, the socket asked, the endpoint count,\n"
	"each BPF program with how it is attached (tcx or tc) and where, and each pinned map with\n"
	"its entries against its maximum.\n",
};

static void status_programs(struct pr_node *parent, json_t *programs)
{
	struct pr_node *t = pr_table(parent, "programs", "Programs"), *row;
	unsigned long long u;
	size_t i;
	json_t *p, *v;

	pr_table_empty(t, "(none loaded)");
	json_array_foreach(programs, i, p) {
		row = pr_row(t);
		pr_str(row, "name", "NAME", cli_json_str(p, "name"));
		if (cli_json_uint(p, "id", &u))
			pr_uint(row, "id", "ID", u);
		else
			pr_str(row, "id", "ID", NULL);
		pr_str(row, "attach_mode", "ATTACH", cli_json_str(p, "attach_mode"));
		/* A count of veths, or whether it is attached at all: shown as weftd says it. */
		v = json_object_get(p, "attached");
		if (v)
			pr_json(row, "attached", "ATTACHED", v);
		else
			pr_str(row, "attached", "ATTACHED", NULL);
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
		/* Some maps cannot be counted (a ring buffer has no entries): null, shown as "-". */
		has_entries = cli_json_uint(m, "entries", &entries);
		has_max = cli_json_uint(m, "max_entries", &max);
		if (has_entries)
			pr_uint(row, "entries", "ENTRIES", entries);
		else
			pr_str(row, "entries", "ENTRIES", NULL);
		if (has_max)
			pr_uint(row, "max_entries", "MAX", max);
		else
			pr_str(row, "max_entries", "MAX", NULL);
		pr_percent_fmt(entries, has_entries && has_max ? max : 0, pct, sizeof(pct));
		pr_str(row, NULL, "FULL", pct);
	}
}

struct pr *status_view(json_t *st, const char *socket)
{
	struct pr *p = pr_new();
	struct pr_node *root = pr_root(p);
	unsigned long long u;
	char buf[64];

	pr_str(root, "version", "Version", cli_json_str(st, "version"));
	pr_str(root, "node", "Node", cli_json_str(st, "node"));
	if (cli_json_uint(st, "pid", &u))
		pr_uint(root, "pid", "PID", u);
	else
		pr_str(root, "pid", "PID", NULL);
	if (cli_json_uint(st, "uptime_s", &u)) {
		pr_duration_fmt(u, buf, sizeof(buf));
		pr_value(root, "uptime_s", "Uptime", json_integer((json_int_t)u), buf);
	} else {
		pr_str(root, "uptime_s", "Uptime", NULL);
	}
	pr_str(root, "socket", "Socket", socket);
	if (cli_json_uint(st, "endpoints", &u))
		pr_uint(root, "endpoints", "Endpoints", u);
	else
		pr_str(root, "endpoints", "Endpoints", NULL);
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
