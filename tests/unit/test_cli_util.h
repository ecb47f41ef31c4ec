/* Helpers shared by the weftctl unit tests: run the CLI as a command line would, with its
 * stdout and stderr captured, and compare text with a readable diff when it differs. Include
 * after cmocka.h. */
#ifndef TEST_CLI_UTIL_H
#define TEST_CLI_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

/* weftctl argv[1..argc-1]: its exit code and what it printed. */
static inline void run_argv(struct run *r, int argc, char **argv)
{
	struct cli cli;
	FILE *out, *err;

	memset(r, 0, sizeof(*r));
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	cli_init(&cli, out, err);
	r->rc = cli_run(&cli, argc, argv);
	fclose(out);
	fclose(err);
}

static inline void run_fini(struct run *r)
{
	free(r->out);
	free(r->err);
}

static inline void assert_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		print_error("--- want\n%s--- got\n%s---\n", want, got);
	assert_string_equal(got, want);
}

#endif
