/* weftctl's frame: global options taken from anywhere on the line, dispatch through the
 * {name, fn, help} tables, usage and help texts, the call to weftd with its errors turned into
 * sentences, and the single place where a command's output is rendered. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"

void cli_init(struct cli *cli, FILE *out, FILE *err)
{
	memset(cli, 0, sizeof(*cli));
	cli->format = PR_TABLE;
	cli->timeout_ms = CLI_TIMEOUT_DEFAULT_MS;
	cli->out = out;
	cli->err = err;
}

static const char *cli_name(const struct cli *cli)
{
	return cli->path[0] ? cli->path : "weftctl";
}

static void cli_hint(struct cli *cli)
{
	if (cli->path[0])
		fprintf(cli->err, "Run 'weftctl %s --help' for usage.\n", cli->path);
	else
		fprintf(cli->err, "Run 'weftctl help' for usage.\n");
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(cli->err, "weftctl%s%s: ", cli->path[0] ? " " : "", cli->path);
	va_start(ap, fmt);
	vfprintf(cli->err, fmt, ap);
	va_end(ap);
	fputc('\n', cli->err);
	cli_hint(cli);
	return CLI_USAGE;
}

int cli_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("weftctl: ", cli->err);
	va_start(ap, fmt);
	vfprintf(cli->err, fmt, ap);
	va_end(ap);
	fputc('\n', cli->err);
	return CLI_ERR;
}

/* ---- global options --------------------------------------------------------------------- */

/* The value of an option given as "--name VALUE", "--name=VALUE" or, for a short one, "-xVALUE".
 * NULL if arg is not this option; *i moves past a separate value. */
static const char *cli_opt_value(struct cli *cli, int argc, char **argv, int *i, const char *shrt,
				 const char *lng, bool *missing)
{
	const char *arg = argv[*i];
	size_t n = strlen(lng);

	*missing = false;
	if (strcmp(arg, lng) == 0 || (shrt && strcmp(arg, shrt) == 0)) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (strncmp(arg, lng, n) == 0 && arg[n] == '=')
		return arg + n + 1;
	if (shrt && strncmp(arg, shrt, 2) == 0 && arg[2])
		return arg + 2;
	return NULL;
}

static bool cli_timeout_parse(const char *s, int *out)
{
	unsigned long v;
	char *end;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > CLI_TIMEOUT_MAX_MS)
		return false;
	*out = (int)v;
	return true;
}

int cli_opts_parse(struct cli *cli, int *argc, char **argv)
{
	int i, j = 1, n = *argc;
	const char *v;
	bool missing;

	for (i = 1; i < n; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			for (i++; i < n; i++)
				argv[j++] = argv[i];
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			argv[j++] = argv[i];
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			cli->help = true;
			continue;
		}
		if ((v = cli_opt_value(cli, n, argv, &i, "-o", "--output", &missing)) || missing) {
			if (missing)
				return cli_usage_error(cli, "option '%s' needs a value: table or json", arg);
			if (!pr_format_parse(v, &cli->format))
				return cli_usage_error(cli, "bad output format '%s' for %s: expected table or json",
						       v, arg[1] == '-' ? "--output" : "-o");
			continue;
		}
		if ((v = cli_opt_value(cli, n, argv, &i, NULL, "--socket", &missing)) || missing) {
			if (missing)
				return cli_usage_error(cli, "option '--socket' needs a value: the path of weftd's socket");
			if (!v[0])
				return cli_usage_error(cli, "bad socket path '' for --socket: empty");
			if (strlen(v) >= sizeof(cli->socket_buf))
				return cli_usage_error(cli, "bad socket path for --socket: longer than %zu bytes",
						       sizeof(cli->socket_buf) - 1);
			cli->socket = v;
			continue;
		}
		if ((v = cli_opt_value(cli, n, argv, &i, NULL, "--timeout", &missing)) || missing) {
			if (missing)
				return cli_usage_error(cli, "option '--timeout' needs a value in milliseconds");
			if (!cli_timeout_parse(v, &cli->timeout_ms))
				return cli_usage_error(cli, "bad timeout '%s' for --timeout: expected milliseconds, 1 to %d",
						       v, CLI_TIMEOUT_MAX_MS);
			continue;
		}
		return cli_usage_error(cli, "unknown option '%s'", arg);
	}
	argv[j] = NULL;
	*argc = j;
	return CLI_OK;
}

int cli_socket_resolve(struct cli *cli)
{
	const char *env = getenv(CLI_SOCKET_ENV);
	char host[256];
	int len;

	if (cli->socket)
		return CLI_OK;
	if (env && env[0]) {
		cli->socket = env;
		return CLI_OK;
	}
	/* weftd's default node name is the hostname, and its socket lives under the node's name. */
	if (gethostname(host, sizeof(host)) < 0)
		return cli_error(cli, "cannot find the node's name (gethostname: %s); use --socket PATH",
				 strerror(errno));
	host[sizeof(host) - 1] = '\0';
	len = snprintf(cli->socket_buf, sizeof(cli->socket_buf), "%s/%s/weftd.sock", CLI_SOCKET_DIR, host);
	if (len < 0 || (size_t)len >= sizeof(cli->socket_buf))
		return cli_error(cli, "the default socket path for node '%s' is too long; use --socket PATH", host);
	cli->socket = cli->socket_buf;
	return CLI_OK;
}

/* ---- dispatch and help ------------------------------------------------------------------ */

static void cli_path_push(struct cli *cli, const char *name)
{
	size_t len = strlen(cli->path);

	snprintf(cli->path + len, sizeof(cli->path) - len, "%s%s", len ? " " : "", name);
}

static void cli_group_usage(struct cli *cli, const struct cli_cmd *table, FILE *f)
{
	const struct cli_cmd *c;
	size_t w = 0, len;
	char buf[128];

	if (cli->path[0])
		fprintf(f, "usage: weftctl %s COMMAND [ARGS] [OPTIONS]\n\nCommands:\n", cli->path);
	else
		fprintf(f, "usage: weftctl [OPTIONS] COMMAND [ARGS]\n\n"
			   "Ask this node's weftd what it is doing.\n\nCommands:\n");
	for (c = table; c->name; c++) {
		len = strlen(c->name) + (c->args && c->args[0] ? strlen(c->args) + 1 : 0);
		if (len > w)
			w = len;
	}
	for (c = table; c->name; c++) {
		snprintf(buf, sizeof(buf), "%s%s%s", c->name, c->args && c->args[0] ? " " : "",
			 c->args ? c->args : "");
		fprintf(f, "  %-*s  %s\n", (int)w, buf, c->help);
	}
	if (cli->path[0]) {
		fprintf(f, "\nRun 'weftctl %s COMMAND --help' for one command; 'weftctl help' for the options.\n",
			cli->path);
		return;
	}
	fprintf(f, "\nOptions (anywhere on the line):\n"
		   "  -o, --output FORMAT  table (default) or json; the same data either way\n"
		   "  --socket PATH        weftd's API socket (default $%s, else\n"
		   "                       %s/<hostname>/weftd.sock)\n"
		   "  --timeout MS         how long to wait for weftd, 1 to %d (default %d)\n"
		   "  -h, --help           help for weftctl, or for the command it follows\n"
		   "\nExit status: 0 success, 1 error (weftd not running or answering an error),"
		   " 2 bad usage.\n"
		   "Run 'weftctl help COMMAND' or 'weftctl COMMAND --help' for more.\n",
		CLI_SOCKET_ENV, CLI_SOCKET_DIR, CLI_TIMEOUT_MAX_MS, CLI_TIMEOUT_DEFAULT_MS);
}

int cli_dispatch(struct cli *cli, const struct cli_cmd *table, int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		if (cli->help) {
			cli_group_usage(cli, table, cli->out);
			return CLI_OK;
		}
		fprintf(cli->err, "weftctl%s%s: missing command\n", cli->path[0] ? " " : "", cli->path);
		cli_group_usage(cli, table, cli->err);
		return CLI_USAGE;
	}
	for (c = table; c->name; c++) {
		if (strcmp(c->name, argv[1]) == 0) {
			cli_path_push(cli, c->name);
			return c->fn(cli, argc - 1, argv + 1);
		}
	}
	return cli_usage_error(cli, "unknown command '%s'", argv[1]);
}

int cli_leaf_begin(struct cli *cli, const struct cli_cmd *self, int argc, char **argv, int min, int max)
{
	const char *args = self->args && self->args[0] ? self->args : NULL;

	if (cli->help) {
		fprintf(cli->out, "usage: weftctl %s%s%s [-o table|json] [--socket PATH] [--timeout MS]\n\n%s\n",
			cli->path, args ? " " : "", args ? args : "", self->help);
		if (self->detail)
			fprintf(cli->out, "\n%s", self->detail);
		return CLI_OK;
	}
	if (argc - 1 < min)
		return cli_usage_error(cli, "missing argument: expected 'weftctl %s %s'", cli->path, args);
	if (argc - 1 > max)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[max + 1]);
	return -1;
}

/* ---- talking to weftd ------------------------------------------------------------------- */

int cli_call(struct cli *cli, const char *op, json_t *args, json_t **result)
{
	return cli_call_events(cli, op, args, NULL, NULL, result);
}

int cli_call_events(struct cli *cli, const char *op, json_t *args, int (*on_event)(json_t *event, void *arg),
		    void *arg, json_t **result)
{
	struct api_client c;
	char err[512] = "";
	int rc;

	*result = NULL;
	if (cli_socket_resolve(cli) != CLI_OK)
		return CLI_ERR;
	rc = api_client_open(&c, cli->socket, cli->timeout_ms);
	switch (rc) {
	case 0:
		break;
	case -ENOENT:
		return cli_error(cli, "weftd is not running: no socket at %s", cli->socket);
	case -ECONNREFUSED:
		return cli_error(cli, "weftd is not running: connection refused at %s", cli->socket);
	case -EACCES:
	case -EPERM:
		return cli_error(cli, "cannot connect to weftd at %s: permission denied "
				 "(the socket is for root or weftd's group)", cli->socket);
	case -ENAMETOOLONG:
		return cli_error(cli, "cannot connect to weftd: socket path too long for a unix socket: %s",
				 cli->socket);
	case -ETIMEDOUT:
	case -EAGAIN:
		return cli_error(cli, "weftd did not accept the connection within %d ms at %s",
				 cli->timeout_ms, cli->socket);
	default:
		return cli_error(cli, "cannot connect to weftd at %s: %s", cli->socket, strerror(-rc));
	}
	rc = api_client_call(&c, op, args, result, on_event, arg, err, sizeof(err));
	api_client_close(&c);
	if (rc < 0) {
		json_decref(*result);
		*result = NULL;
		return cli_error(cli, "%s: %s", cli_name(cli), err[0] ? err : "weftd gave no reason");
	}
	if (!*result && on_event)
		return CLI_OK;   /* the caller stopped the stream */
	if (!json_is_object(*result)) {
		json_decref(*result);
		*result = NULL;
		return cli_error(cli, "%s: weftd's answer to '%s' is not a JSON object", cli_name(cli), op);
	}
	return CLI_OK;
}

int cli_output(struct cli *cli, struct pr *p)
{
	int rc = pr_render(p, cli->format, cli->out);

	pr_free(p);
	if (rc < 0)
		return cli_error(cli, "cannot print the answer: %s", strerror(-rc));
	return CLI_OK;
}

const char *cli_json_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

bool cli_json_uint(json_t *obj, const char *key, unsigned long long *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (unsigned long long)json_integer_value(v);
	return true;
}
