/* weftctl's top-level command table: one line per command group. Later groups (peer list,
 * route list, monitor) are one more line here and one more file beside status.c. */
#include <string.h>

#include "cli.h"

const struct cli_cmd cli_commands[] = {
	{ "status", status_main, "", "the daemon, its BPF programs and maps, how full they are", NULL },
	{ "endpoint", endpoint_main, "list|get ID", "the pods on this node: list them, or show one", NULL },
	{ "peer", peer_main, "list", "the BGP peers: state, uptime, prefixes received and sent, last error", NULL },
	{ "route", route_main, "list", "the routes: prefix, next hop, learned from, best, installed where", NULL },
	{ "bpf", bpf_main, "map dump NAME", "raw BPF state: the entries of one map", NULL },
	{ "help", help_main, "[COMMAND]", "this help, or a command's", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

int cli_run(struct cli *cli, int argc, char **argv)
{
	int rc = cli_opts_parse(cli, &argc, argv);

	if (rc != CLI_OK)
		return rc;
	argv[0] = (char *)"weftctl";
	return cli_dispatch(cli, cli_commands, argc, argv);
}

/* `weftctl help endpoint get` is `weftctl endpoint get --help`. */
int help_main(struct cli *cli, int argc, char **argv)
{
	cli->help = true;
	cli->path[0] = '\0';
	argv[0] = (char *)"weftctl";
	return cli_dispatch(cli, cli_commands, argc, argv);
}
