/* weftctl's frame: global options, the {name, fn, help} command tables, the call to weftd and
 * the one place output is rendered. Each command group lives in its own file (status.c,
 * endpoint.c, bpf.c) and exports one <verb>_main entry point for the table in main.c. */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "print.h"

/* Exit codes (docs/weftctl.md). */
#define CLI_OK    0
#define CLI_ERR   1  /* the daemon is not there, answered an error, or output failed */
#define CLI_USAGE 2  /* bad command line */

#define CLI_TIMEOUT_DEFAULT_MS 5000
#define CLI_TIMEOUT_MAX_MS     3600000
#define CLI_SOCKET_ENV         "WEFT_SOCKET"
#define CLI_SOCKET_DIR         "/run/weft"

struct cli {
	enum pr_format format;
	const char *socket;          /* points into socket_buf or at argv/environment */
	int timeout_ms;
	bool help;                   /* -h/--help anywhere, or `weftctl help ...` */
	FILE *out, *err;             /* stdout/stderr; tests swap in memory streams */
	char path[128];              /* the command words so far, for messages: "endpoint get" */
	char socket_buf[PATH_MAX];
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv); /* argv[0] is name */
	const char *args;            /* usage after the name: "ID", "map dump NAME" */
	const char *help;            /* one line, for the table */
	const char *detail;          /* more lines for `CMD --help`, or NULL */
};

/* Defaults: table output, $WEFT_SOCKET or /run/weft/<hostname>/weftd.sock, 5 s timeout. */
void cli_init(struct cli *cli, FILE *out, FILE *err);
/* Take the global options out of argv wherever they appear (before "--"); what is left are the
 * command words and their arguments, compacted in place. CLI_OK, or CLI_USAGE after saying
 * which argument is wrong. An option the CLI does not know is a usage error. */
int cli_opts_parse(struct cli *cli, int *argc, char **argv);
/* Fill in the default socket path if no --socket was given. CLI_OK or CLI_ERR. */
int cli_socket_resolve(struct cli *cli);

/* Run argv[1] from table (argv[0] names the group: "weftctl", "endpoint"). With no argv[1]
 * or --help, print the group's usage. */
int cli_dispatch(struct cli *cli, const struct cli_cmd *table, int argc, char **argv);
/* For leaves: answer --help, then check the number of arguments after the name. Returns -1
 * to go on, otherwise the exit code to return (CLI_OK after help, CLI_USAGE). */
int cli_leaf_begin(struct cli *cli, const struct cli_cmd *self, int argc, char **argv, int min, int max);
/* Print "weftctl CMD: <message>" and a hint to stderr; returns CLI_USAGE. */
int cli_usage_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "weftctl: <message>" to stderr; returns CLI_ERR. */
int cli_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One request to weftd. CLI_OK with *result (new reference), or CLI_ERR after printing why:
 * the daemon is not running, the socket is refused, or the daemon's error with its code.
 * args is borrowed. */
int cli_call(struct cli *cli, const char *op, json_t *args, json_t **result);
/* The same for an op that streams (monitor, later): on_event gets each event line before the
 * final result; a non-zero return stops the stream (*result is then NULL and CLI_OK). */
int cli_call_events(struct cli *cli, const char *op, json_t *args, int (*on_event)(json_t *event, void *arg),
		    void *arg, json_t **result);
/* Render p in the chosen format to cli->out and free it. CLI_OK or CLI_ERR. */
int cli_output(struct cli *cli, struct pr *p);

/* Reading the daemon's answers: a member, or a fallback when it is absent or of another type. */
const char *cli_json_str(json_t *obj, const char *key);
bool cli_json_uint(json_t *obj, const char *key, unsigned long long *out);

/* Views: a command's answer turned into rows, apart from the call so tests can feed them. */
struct pr *status_view(json_t *status, const char *socket);
struct pr *endpoint_list_view(json_t *res);
struct pr *endpoint_get_view(json_t *ep);
struct pr *bpf_map_view(const char *name, json_t *res);
struct pr *peer_list_view(json_t *res);
struct pr *route_list_view(json_t *res);
/* Every member of o whose key is not in shown (NULL-terminated), added to n for JSON only. */
void cli_json_rest(struct pr_node *n, json_t *o, const char *const *shown);
/* Command-line arguments: true, or false with a sentence quoting the bad value. */
bool endpoint_ref_parse(const char *s, json_t **args, char *err, size_t errlen);
bool bpf_map_name_valid(const char *s);

/* The whole of weftctl after main(): options, then the command. Returns the exit code. */
int cli_run(struct cli *cli, int argc, char **argv);

/* The command groups (one file each) and the top-level table in main.c. */
int status_main(struct cli *cli, int argc, char **argv);
int endpoint_main(struct cli *cli, int argc, char **argv);
int bpf_main(struct cli *cli, int argc, char **argv);
int peer_main(struct cli *cli, int argc, char **argv);
int route_main(struct cli *cli, int argc, char **argv);
int help_main(struct cli *cli, int argc, char **argv);
extern const struct cli_cmd cli_commands[];

#endif
