/* weftctl: the command line client of weftd. Everything but main() lives beside this file
 * (cli.c for the frame, commands.c for the table), so the unit tests can run all of it. */
#include "cli.h"

int main(int argc, char **argv)
{
	struct cli cli;

	cli_init(&cli, stdout, stderr);
	return cli_run(&cli, argc, argv);
}
