/* weftctl: the command line client of weftd. Everything but main() lives beside this file
 * (cli.c for the frame, commands.c for the table), so unit tests can link all of it. */
#include "cli.h"

int main(int argc, char **argv)
{
	struct cli cli;
	int rc;

	cli_init(&cli, stdout, stderr);
	rc = cli_opts_parse(&cli, &argc, argv);
	if (rc != CLI_OK)
		return rc;
	argv[0] = (char *)"weftctl";
	return cli_dispatch(&cli, cli_commands, argc, argv);
}
