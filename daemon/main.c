/* weftd: one node's daemon. Loads its config, takes its state directory, adopts the pinned
 * data path, reconciles the endpoint records with it and with the host, then serves the API on
 * one libev loop until SIGTERM/SIGINT; SIGHUP reloads what can change without a restart.
 * Stopping leaves the data path running: the next weftd adopts it. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "daemon/api.h"
#include "bgp.h"
#include "conf.h"
#include "dp.h"
#include "ep.h"
#include "fabric.h"
#include "fabric_watch.h"
#include "log.h"
#include "reconcile.h"
#include "rib.h"

#define DEFAULT_CONFIG "/etc/weft/weftd.json"

struct weftd {
	const char *config_path;
	bool verbose;              /* -v: debug logging whatever the config says */
	struct conf conf;          /* what is in force */
	struct ep_table *eps;
	struct dp *dp;
	struct api_server *api;
	struct api_ctx ctx;
	struct rib *rib;           /* the routes learned from peers (and the node's own) */
	struct bgp *bgp;           /* NULL without a bgp key */
	struct fabric *fabric;     /* NULL without nodeAddress */
	struct fabric_watch *fwatch; /* native mode: others' route changes re-check direct entries */
	struct ev_loop *loop;
	ev_signal sighup, sigterm, sigint;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: weftd [-v] [-c FILE]      run the node daemon (default config %s)\n"
		"       weftd -n [-c FILE]        check the config and print it normalised\n"
		"       weftd --purge [-c FILE]   remove the node's pinned data path and detach it\n"
		"       weftd --version\n",
		DEFAULT_CONFIG);
}

static void dp_config_of(const struct conf *c, struct dp_config *d)
{
	d->bpffs = c->bpffs;
	d->node = c->node;
	d->attach = c->attach;
}

/* SIGHUP: re-read the file; apply what can change live, name what needs a restart. A file that
 * no longer parses changes nothing. */
static void reload(struct weftd *w)
{
	struct conf n, *c = &w->conf;
	char err[1024];
	unsigned restart = 0;

	log_info("SIGHUP: reloading %s", w->config_path);
	if (conf_load(w->config_path, &n, err, sizeof(err)) < 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		return;
	}
#define NEEDS_RESTART(field, name, fmt, val)                                                                  \
	do {                                                                                                  \
		if (c->field != n.field) {                                                                    \
			log_warnx("reload: %s changed from " fmt " to " fmt ": takes effect after a restart", name, \
				  val(c->field), val(n.field));                                               \
			restart++;                                                                            \
		}                                                                                             \
	} while (0)
#define NEEDS_RESTART_STR(field, name)                                                                        \
	do {                                                                                                  \
		if (strcmp(c->field, n.field) != 0) {                                                         \
			log_warnx("reload: %s changed from \"%s\" to \"%s\": takes effect after a restart", name,   \
				  c->field, n.field);                                                         \
			restart++;                                                                            \
		}                                                                                             \
	} while (0)
	NEEDS_RESTART_STR(node, "node");
	NEEDS_RESTART_STR(state_dir, "stateDir");
	NEEDS_RESTART_STR(bpffs, "bpffs");
	NEEDS_RESTART_STR(api_socket, "apiSocket");
	NEEDS_RESTART(attach, "attachMode", "%s", conf_attach_name);
	/* Both parsed from zeroed structs, so the bytes compare. A reload never resets sessions. */
	if (memcmp(&c->bgp, &n.bgp, sizeof(c->bgp)) != 0) {
		log_warnx("reload: bgp changed: takes effect after a restart (the sessions stay as they are)");
		restart++;
	}
	/* The fabric's keys, staticRoutes aside, shape devices and tables made at start. The
	 * static routes are the last fields, and both structs were parsed from zeroed memory. */
	if (memcmp(&c->fabric, &n.fabric, offsetof(struct fabric_conf, n_static)) != 0) {
		log_warnx("reload: nodeAddress, podCIDRs, clusterCIDRs, masquerade or fabric changed: takes effect "
			  "after a restart");
		restart++;
	} else if (!fabric_conf_static_equal(&c->fabric, &n.fabric)) {
		if (w->fabric) {
			fabric_rib_reload(w->rib, &c->fabric, &n.fabric);
			c->fabric.n_static = n.fabric.n_static;
			memcpy(c->fabric.static_routes, n.fabric.static_routes, sizeof(c->fabric.static_routes));
			log_info("reload: staticRoutes: %zu routes now", c->fabric.n_static);
		} else {
			log_warnx("reload: staticRoutes changed, but the fabric is off (no nodeAddress)");
		}
	}
	if (c->ipam != n.ipam || strcmp(c->ipam_data_dir, n.ipam_data_dir) != 0 ||
	    strcmp(c->ipam_network, n.ipam_network) != 0) {
		log_warnx("reload: ipam changed: used by the reconcile at the next start");
		restart++;
	}
#undef NEEDS_RESTART
#undef NEEDS_RESTART_STR

	if (strcmp(c->log_file, n.log_file) != 0) {
		int r = log_open(n.log_file);

		if (r < 0) {
			log_warnx("reload: cannot open log.file %s: %s; still logging to %s", n.log_file, strerror(-r),
				  c->log_file);
		} else {
			log_info("reload: logging to %s (was %s)", n.log_file, c->log_file);
			snprintf(c->log_file, sizeof(c->log_file), "%s", n.log_file);
		}
	}
	if (c->log_level != n.log_level) {
		log_info("reload: log.level %s -> %s%s", log_level_name(c->log_level), log_level_name(n.log_level),
			 w->verbose ? " (-v keeps debug)" : "");
		c->log_level = n.log_level;
		if (!w->verbose)
			log_set_level(n.log_level);
	}
	if (c->api_socket_mode != n.api_socket_mode || c->has_group != n.has_group ||
	    c->api_socket_gid != n.api_socket_gid || c->api_max_clients != n.api_max_clients) {
		struct conf t = *c;

		t.api_socket_mode = n.api_socket_mode;
		t.has_group = n.has_group;
		t.api_socket_gid = n.api_socket_gid;
		memcpy(t.api_socket_group, n.api_socket_group, sizeof(t.api_socket_group));
		t.api_max_clients = n.api_max_clients;
		if (api_server_reconfigure(w->api, &t, err, sizeof(err)) < 0) {
			log_warnx("reload: %s; keeping the socket as it was", err);
		} else {
			log_info("reload: apiSocket mode %04o%s%s, at most %u clients", t.api_socket_mode,
				 t.has_group ? ", group " : "", t.has_group ? t.api_socket_group : "", t.api_max_clients);
			c->api_socket_mode = t.api_socket_mode;
			c->has_group = t.has_group;
			c->api_socket_gid = t.api_socket_gid;
			memcpy(c->api_socket_group, t.api_socket_group, sizeof(c->api_socket_group));
			c->api_max_clients = t.api_max_clients;
		}
	}
	log_info("reload: done%s", restart ? "; some changes need a restart (see above)" : "");
}

static void sighup_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	reload(s->data);
}

static void sigterm_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	log_info("%s: stopping (the data path keeps running)", strsignal(s->signum));
	ev_break(loop, EVBREAK_ALL);
}

/* A reason not to start: logged, and on stderr too when the log is a file, so whoever ran
 * weftd sees why it exited. */
static void __attribute__((format(printf, 2, 3))) start_failed(const struct weftd *w, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_errx("%s", msg);
	if (strcmp(w->conf.log_file, "stderr") != 0)
		fprintf(stderr, "weftd: %s\n", msg);
}

static int purge(const char *path)
{
	struct dp_config d;
	struct conf c;
	char err[1024];

	if (conf_load(path, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "weftd: %s\n", err);
		return 1;
	}
	if (api_socket_alive(c.api_socket)) {
		fprintf(stderr, "weftd: a weftd is running on %s: stop it before --purge\n", c.api_socket);
		return 1;
	}
	dp_config_of(&c, &d);
	if (dp_purge(&d, err, sizeof(err)) < 0) {
		fprintf(stderr, "weftd: purge: %s\n", err);
		return 1;
	}
	/* The fabric's routes, VXLAN device and masquerade table, whatever the configuration now
	 * says (a fabric switched off still left them). */
	if (fabric_purge(&c, err, sizeof(err)) < 0) {
		fprintf(stderr, "weftd: purge: %s\n", err);
		return 1;
	}
	printf("weftd: purged the data path of node %s under %s/weft/%s\n", c.node, c.bpffs, c.node);
	return 0;
}

/* BGP's hooks into the fabric. */
static void fabric_synced(void *arg)
{
	log_info("bgp: every peer in sync: sweeping the data path");
	fabric_sweep(arg);
}

static json_t *fabric_installed(void *arg, const struct rib_path *best)
{
	return fabric_installed_json(arg, best);
}

static int run(struct weftd *w)
{
	struct reconcile_stats st;
	struct dp_config d;
	char err[1024];
	bool kept;
	int r, rc = 1;

	r = log_open(w->conf.log_file);
	if (r < 0) {
		fprintf(stderr, "weftd: cannot open log.file %s: %s\n", w->conf.log_file, strerror(-r));
		return 1;
	}
	log_set_level(w->verbose ? LOG_LEVEL_DEBUG : w->conf.log_level);
	log_info("weftd %s starting: node %s, config %s", WEFTD_VERSION, w->conf.node, w->config_path);
	/* A client that disconnects mid-reply must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	if (ep_table_open(w->conf.state_dir, &w->eps, err, sizeof(err)) < 0) {
		start_failed(w, "%s", err);
		goto out;
	}
	log_info("state: %zu endpoint records in %s/endpoints", ep_table_count(w->eps), w->conf.state_dir);
	dp_config_of(&w->conf, &d);
	kept = bgp_data_path_kept(&w->conf); /* before dp_open pins it */
	if (dp_open(&d, &w->dp, err, sizeof(err)) < 0) {
		start_failed(w, "data path: %s", err);
		goto out;
	}
	log_info("data path: open under %s/weft/%s", w->conf.bpffs, w->conf.node);
	if (dp_counters_carried(w->dp))
		log_info("data path: counters carried over from an older weftd's map: %u endpoints",
			 dp_counters_carried(w->dp));
	if (dp_slots_synced(w->dp) < 0)
		log_warnx("data path: checking %s against %s: %s (pods are judged through the hash)", WEFT_MAP_EP_SLOT,
			  WEFT_MAP_EP_IF, strerror(-dp_slots_synced(w->dp)));
	if (dp_tunexact_synced(w->dp) < 0)
		log_warnx("data path: copying %s into %s: %s (remote pods are looked up in the trie)", WEFT_MAP_TUNNEL,
			  WEFT_MAP_TUN_EXACT, strerror(-dp_tunexact_synced(w->dp)));
	if (reconcile_run(w->eps, w->dp, &w->conf, &st) < 0)
		log_warnx("reconcile did not complete; serving what there is");

	w->loop = ev_default_loop(EVFLAG_AUTO);
	if (!w->loop) {
		start_failed(w, "cannot create the event loop");
		goto out;
	}
	if (rib_new(&w->rib) < 0) {
		start_failed(w, "out of memory");
		goto out;
	}
	/* The fabric subscribes before the RIB holds anything, so every best path reaches it. */
	if (fabric_open(&w->conf, w->dp, w->rib, &w->fabric, err, sizeof(err)) < 0) {
		start_failed(w, "fabric: %s", err);
		goto out;
	}
	fabric_rib_load(w->rib, &w->conf.fabric);
	{
		struct bgp_hooks hooks = { .synced = fabric_synced, .installed = fabric_installed, .arg = w->fabric };

		if (bgp_new_from_conf(w->loop, &w->conf, kept, w->rib, w->fabric ? &hooks : NULL, &w->bgp, err,
				      sizeof(err)) < 0) {
			start_failed(w, "%s", err);
			goto out;
		}
	}
	/* Without BGP the RIB is complete now: what an earlier weftd installed and the RIB does not
	 * hold goes. With BGP, once every peer has sent End-of-RIB (graceful restart). */
	if (!w->bgp)
		fabric_sweep(w->fabric);
	if (w->fabric && w->conf.fabric.mode == FABRIC_MODE_NATIVE &&
	    (r = fabric_watch_start(w->loop, w->fabric, &w->fwatch)) < 0)
		log_warnx("fabric: cannot follow the kernel's route changes (%s): direct entries are checked "
			  "again only at the next sweep",
			  strerror(-r));
	w->ctx = (struct api_ctx){ .eps = w->eps, .dp = w->dp, .conf = &w->conf, .started = time(NULL),
				   .rib = w->rib, .bgp = w->bgp };
	if (api_server_new(w->loop, &w->conf, &w->ctx, &w->api, err, sizeof(err)) < 0) {
		start_failed(w, "%s", err);
		goto out;
	}
	ev_signal_init(&w->sighup, sighup_cb, SIGHUP);
	ev_signal_init(&w->sigterm, sigterm_cb, SIGTERM);
	ev_signal_init(&w->sigint, sigterm_cb, SIGINT);
	w->sighup.data = w->sigterm.data = w->sigint.data = w;
	ev_signal_start(w->loop, &w->sighup);
	ev_signal_start(w->loop, &w->sigterm);
	ev_signal_start(w->loop, &w->sigint);
	if (w->bgp)
		bgp_start(w->bgp);
	log_info("ready: %zu endpoints, pid %ld", ep_table_count(w->eps), (long)getpid());
	ev_run(w->loop, 0);
	rc = 0;
out:
	/* With graceful restart the peers keep our routes while we are away (docs/bgp.md). */
	bgp_shutdown(w->bgp, true, "weftd stopping");
	bgp_free(w->bgp);
	api_server_free(w->api);
	fabric_watch_stop(w->fwatch);
	fabric_close(w->fabric);
	if (w->loop) {
		ev_signal_stop(w->loop, &w->sighup);
		ev_signal_stop(w->loop, &w->sigterm);
		ev_signal_stop(w->loop, &w->sigint);
		ev_loop_destroy(w->loop);
	}
	rib_free(w->rib);
	dp_close(w->dp);
	ep_table_free(w->eps);
	log_info("stopped%s", rc ? " after an error" : "");
	log_close();
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "purge", no_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct weftd w = { .config_path = DEFAULT_CONFIG };
	bool check = false, do_purge = false;
	char err[1024];
	int ch;

	while ((ch = getopt_long(argc, argv, "c:nvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			w.config_path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			w.verbose = true;
			break;
		case 'P':
			do_purge = true;
			break;
		case 'V':
			printf("weftd %s\n", WEFTD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "weftd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (do_purge)
		return purge(w.config_path);
	if (conf_load(w.config_path, &w.conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "weftd: %s\n", err);
		return 1;
	}
	if (check) {
		char *s = conf_dump(&w.conf);

		if (!s) {
			fprintf(stderr, "weftd: out of memory\n");
			return 1;
		}
		fputs(s, stdout);
		free(s);
		return 0;
	}
	return run(&w);
}
