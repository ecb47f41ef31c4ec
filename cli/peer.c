/* `weftctl peer list`: this node's BGP speaker (AS, router id, what it announces, graceful
 * restart) and each configured peer: state, uptime, prefixes received and sent, last error. The
 * JSON output carries every field weftd sends (docs/api.md, peer.list). */
#include <string.h>

#include "cli.h"

#define PEER_OP_LIST "peer.list"

static int peer_list_main(struct cli *cli, int argc, char **argv);

static const struct cli_cmd peer_cmds[] = {
	{ "list", peer_list_main, "", "the BGP peers: state, uptime, prefixes received and sent, last error",
	  "One line per configured BGP peer. UPTIME is how long the session has been Established\n"
	  "(\"-\" when it is not); RECEIVED counts the prefixes taken from the peer (with those its\n"
	  "import policy refused, RFC 8212, in brackets), SENT the ones announced to it. LAST ERROR is\n"
	  "the last NOTIFICATION sent or received. -o json adds hold times, families, End-of-RIB,\n"
	  "graceful restart and message counters (docs/weftctl.md).\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

int peer_main(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, peer_cmds, argc, argv);
}

/* Every member of o not in shown (NULL-terminated), for JSON only. */
void cli_json_rest(struct pr_node *n, json_t *o, const char *const *shown)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		size_t i;

		for (i = 0; shown[i] && strcmp(shown[i], k) != 0; i++)
			;
		if (!shown[i])
			pr_value(n, k, NULL, json_incref(v), "");
	}
}

static void peer_row(struct pr_node *row, json_t *p)
{
	static const char *const shown[] = { "address", "asn", "type", "state", "uptime_s", "prefixes_received",
					     "prefixes_filtered", "prefixes_sent", "last_error", NULL };
	unsigned long long u, rcvd = 0, filtered = 0;
	char buf[64];

	pr_str(row, "address", "ADDRESS", cli_json_str(p, "address"));
	if (cli_json_uint(p, "asn", &u))
		pr_uint(row, "asn", "AS", u);
	else
		pr_str(row, "asn", "AS", NULL);
	pr_str(row, "type", "TYPE", cli_json_str(p, "type"));
	pr_str(row, "state", "STATE", cli_json_str(p, "state"));
	if (cli_json_uint(p, "uptime_s", &u)) {
		pr_duration_fmt(u, buf, sizeof(buf));
		pr_value(row, "uptime_s", "UPTIME", json_integer((json_int_t)u), buf);
	} else {
		pr_str(row, "uptime_s", "UPTIME", NULL);
	}
	cli_json_uint(p, "prefixes_received", &rcvd);
	cli_json_uint(p, "prefixes_filtered", &filtered);
	if (filtered)
		pr_valuef(row, "prefixes_received", "RECEIVED", json_integer((json_int_t)rcvd), "%llu (%llu refused)", rcvd,
			  filtered);
	else
		pr_uint(row, "prefixes_received", "RECEIVED", rcvd);
	pr_uint(row, "prefixes_filtered", NULL, filtered);
	if (cli_json_uint(p, "prefixes_sent", &u))
		pr_uint(row, "prefixes_sent", "SENT", u);
	else
		pr_str(row, "prefixes_sent", "SENT", NULL);
	pr_str(row, "last_error", "LAST ERROR", cli_json_str(p, "last_error"));
	cli_json_rest(row, p, shown);
}

struct pr *peer_list_view(json_t *res)
{
	static const char *const shown[] = { "asn", "router_id", "announced", "graceful_restart", "synced", NULL };
	struct pr *p = pr_new();
	struct pr_node *root = pr_root(p), *t, *l, *o;
	json_t *local = json_object_get(res, "local"), *gr, *v;
	unsigned long long u, rt = 0;
	size_t i;

	if (json_is_object(local)) {
		o = pr_obj(root, "local", "");
		if (cli_json_uint(local, "asn", &u))
			pr_uint(o, "asn", "AS", u);
		pr_str(o, "router_id", "Router id", cli_json_str(local, "router_id"));
		l = pr_list(o, "announced", "Announced");
		json_array_foreach(json_object_get(local, "announced"), i, v)
			if (json_is_string(v))
				pr_str(l, NULL, NULL, json_string_value(v));
		gr = json_object_get(local, "graceful_restart");
		if (json_is_true(json_object_get(gr, "enabled"))) {
			cli_json_uint(gr, "restart_time", &rt);
			pr_valuef(o, "graceful_restart", "Graceful restart", json_incref(gr), "on, restart time %llus%s", rt,
				  json_is_true(json_object_get(gr, "restarting")) ? ", restarting now (RFC 4724)" : "");
		} else {
			pr_value(o, "graceful_restart", "Graceful restart", gr ? json_incref(gr) : json_null(), "off");
		}
		v = json_object_get(local, "synced");
		pr_value(o, "synced", "Synced", v ? json_incref(v) : json_null(),
			 json_is_true(v) ? "yes (every peer sent End-of-RIB)" : "not yet (End-of-RIB from every peer, or the restart time)");
		cli_json_rest(o, local, shown);
	} else {
		pr_value(root, "local", "BGP", json_null(), "not configured (no bgp key in weftd's config)");
	}
	t = pr_table(root, "peers", "");
	pr_table_empty(t, "no peers");
	json_array_foreach(json_object_get(res, "peers"), i, v)
		peer_row(pr_row(t), v);
	return p;
}

static int peer_list_main(struct cli *cli, int argc, char **argv)
{
	json_t *res = NULL;
	int rc = cli_leaf_begin(cli, &peer_cmds[0], argc, argv, 0, 0);

	if (rc >= 0)
		return rc;
	rc = cli_call(cli, PEER_OP_LIST, NULL, &res);
	if (rc == CLI_OK)
		rc = cli_output(cli, peer_list_view(res));
	json_decref(res);
	return rc;
}
