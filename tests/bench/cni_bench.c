/* cni_bench: ADD/DEL latency and peak RSS of two CNI plugins (Weft and a reference), run the way
 * a runtime runs them (fork/exec, CNI_* env, config on a stdin pipe), interleaved so that the
 * noise of a shared machine hits both alike. Run inside the node netns; pod netns exist already. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_CONC 64
#define BENCH_MAX_PODS 1000
#define BENCH_MAX_ROUNDS 100
#define BENCH_OUT_MAX (64 * 1024)
#define BENCH_ERRS_SHOWN 5

/* Targets from the issue; printed next to the figures, never used to stop the run. */
#define TARGET_ADD_P50_MS 5.0
#define TARGET_RATIO 5.0
#define TARGET_CONC_DONE_MS 60.0
#define TARGET_RSS_KIB 4096L

enum bench_op { BENCH_ADD, BENCH_DEL };

struct bench_samples {
	double *v;
	size_t n, cap;
};

struct bench_plugin {
	const char *label;  /* e.g. "weft+weft-ipam" */
	const char *bin;    /* the plugin executable */
	const char *conf;   /* its network config file (a single plugin's, not a conflist) */
	const char *path;   /* CNI_PATH handed to it (where its IPAM plugin lives) */
	const char *ifname; /* CNI_IFNAME; the two plugins use different names in the same pod */
	char *conf_buf;
	size_t conf_len;
	struct bench_samples seq[2], conc[2], done; /* [op] latencies, ms; conc ADD makespans */
	long maxrss_kib;
	unsigned failures;
	unsigned errs_shown;
};

struct bench_job {
	pid_t pid;
	int pidfd, outfd, errfd;
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	bool done;
};

struct bench_opts {
	const char *netns_prefix; /* pod i's netns is <prefix><i> */
	unsigned pods, conc, rounds, warmup;
	unsigned timeout_ms;      /* per invocation */
	unsigned deadline_s;      /* whole run */
	const char *csv;
	const char *floor;        /* a do-nothing binary: the cost of fork/exec/wait alone */
};

static struct timespec bench_start;
static FILE *bench_csv;
static char bench_load_start[64];

/* The 1/5/15-minute load averages: a shared machine's figures mean little without them. */
static void bench_loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "re");
	int spaces = 0;

	if (!f || !fgets(buf, (int)len, f))
		snprintf(buf, len, "?");
	if (f)
		fclose(f);
	/* "0.52 0.58 0.59 1/467 12345\n": keep the three averages. */
	for (char *c = buf; *c; c++)
		if ((*c == ' ' && ++spaces == 3) || *c == '\n') {
			*c = '\0';
			break;
		}
}

static double bench_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static double bench_elapsed_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return bench_ms(&bench_start, &now) / 1e3;
}

static void bench_samples_add(struct bench_samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv) {
			fprintf(stderr, "cni_bench: out of memory\n");
			exit(2);
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile; NAN when there are no samples. */
static double bench_samples_pct(struct bench_samples *s, double pct)
{
	size_t rank;

	if (!s->n)
		return NAN;
	qsort(s->v, s->n, sizeof(*s->v), bench_cmp_double);
	rank = (size_t)((pct / 100.0) * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

static int bench_file_read(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *b = NULL;
	size_t n;
	int ret = -errno;

	if (!f)
		return ret;
	b = malloc(BENCH_OUT_MAX);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	n = fread(b, 1, BENCH_OUT_MAX - 1, f);
	if (ferror(f) || n == BENCH_OUT_MAX - 1) {
		ret = ferror(f) ? -EIO : -EFBIG;
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	ret = 0;
out:
	free(b);
	fclose(f);
	return ret;
}

/* Start one invocation: config through a pipe on stdin (small configs fit in the pipe buffer,
 * so it is written before the fork), stdout and stderr into memfds that are read after exit, so
 * nothing needs draining while many children run. */
static int bench_job_start(struct bench_plugin *p, enum bench_op op, const char *id,
			   const char *netns, struct bench_job *j)
{
	char env_cmd[32], env_id[300], env_ns[300], env_if[64], env_path[4200];
	char *envp[] = { env_cmd, env_id, env_ns, env_if, env_path,
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	char *argv[] = { (char *)p->bin, NULL };
	int in[2] = { -1, -1 };
	int ret;

	memset(j, 0, sizeof(*j));
	j->pidfd = j->outfd = j->errfd = -1;
	snprintf(env_cmd, sizeof(env_cmd), "CNI_COMMAND=%s", op == BENCH_ADD ? "ADD" : "DEL");
	snprintf(env_id, sizeof(env_id), "CNI_CONTAINERID=%s", id);
	snprintf(env_ns, sizeof(env_ns), "CNI_NETNS=%s", netns);
	snprintf(env_if, sizeof(env_if), "CNI_IFNAME=%s", p->ifname);
	snprintf(env_path, sizeof(env_path), "CNI_PATH=%s", p->path);

	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->outfd = memfd_create("cni-out", MFD_CLOEXEC);
	j->errfd = memfd_create("cni-err", MFD_CLOEXEC);
	if (j->outfd < 0 || j->errfd < 0 || pipe2(in, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	if (write(in[1], p->conf_buf, p->conf_len) != (ssize_t)p->conf_len) {
		ret = -EIO;
		goto out;
	}
	close(in[1]);
	in[1] = -1;

	j->pid = fork();
	if (j->pid < 0) {
		ret = -errno;
		goto out;
	}
	if (j->pid == 0) {
		/* dup2 clears close-on-exec on the targets; everything else closes at exec. */
		if (dup2(in[0], 0) < 0 || dup2(j->outfd, 1) < 0 || dup2(j->errfd, 2) < 0)
			_exit(126);
		execve(p->bin, argv, envp);
		_exit(127);
	}
	/* A child that already exited is a zombie until reaped, so this cannot miss it. */
	j->pidfd = pidfd_open(j->pid, 0);
	if (j->pidfd < 0) {
		ret = -errno;
		kill(j->pid, SIGKILL);
		waitpid(j->pid, NULL, 0);
		j->pid = 0;
		goto out;
	}
	ret = 0;
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	return ret;
}

/* Reap every started job, stamping each as it exits; kill what overruns timeout_ms. */
static void bench_jobs_wait(struct bench_job *jobs, unsigned n, unsigned timeout_ms)
{
	struct pollfd pfd[BENCH_MAX_CONC];
	unsigned idx[BENCH_MAX_CONC];
	struct timespec start, now;
	unsigned left, i, k;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (jobs[i].pid <= 0 || jobs[i].done)
				continue;
			pfd[left].fd = jobs[i].pidfd;
			pfd[left].events = POLLIN;
			idx[left++] = i;
		}
		if (!left)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double spent = bench_ms(&start, &now);
		int wait_ms = spent >= timeout_ms ? 0 : (int)(timeout_ms - spent) + 1;
		int r = poll(pfd, left, wait_ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* Time is up (or poll broke): kill the rest; they count as failures. */
			for (k = 0; k < left; k++) {
				struct bench_job *j = &jobs[idx[k]];

				kill(j->pid, SIGKILL);
				wait4(j->pid, &j->status, 0, &j->ru);
				clock_gettime(CLOCK_MONOTONIC, &j->t1);
				j->status = -1;
				j->done = true;
			}
			return;
		}
		for (k = 0; k < left; k++) {
			struct bench_job *j = &jobs[idx[k]];

			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (wait4(j->pid, &j->status, 0, &j->ru) < 0)
				j->status = -1;
			clock_gettime(CLOCK_MONOTONIC, &j->t1);
			j->done = true;
		}
	}
}

static void bench_fd_slurp(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? (size_t)n : 0] = '\0';
}

/* Check one finished job: exit 0, and for ADD a result with at least one IP. Records the IPv4
 * address of an ADD in v4 (if given) so concurrent rounds can check for duplicates. */
static bool bench_job_check(struct bench_plugin *p, enum bench_op op, const char *id,
			    struct bench_job *j, char *v4, size_t v4len)
{
	static char out[BENCH_OUT_MAX], err[4096];
	const char *why = NULL;
	json_t *root = NULL, *ips;
	bool ok = false;

	if (v4)
		v4[0] = '\0';
	if (j->pid <= 0) {
		why = "could not start";
		goto out;
	}
	bench_fd_slurp(j->outfd, out, sizeof(out));
	if (j->status == -1) {
		why = "timed out (killed)";
		goto out;
	}
	if (!WIFEXITED(j->status) || WEXITSTATUS(j->status) != 0) {
		why = "failed";
		goto out;
	}
	if (op == BENCH_DEL) {
		ok = true;
		goto out;
	}
	root = json_loads(out, 0, NULL);
	ips = root ? json_object_get(root, "ips") : NULL;
	if (!json_is_array(ips) || json_array_size(ips) == 0) {
		why = "result has no ips";
		goto out;
	}
	for (size_t i = 0; v4 && i < json_array_size(ips); i++) {
		const char *a = json_string_value(json_object_get(json_array_get(ips, i), "address"));

		if (a && strchr(a, '.')) {
			snprintf(v4, v4len, "%.*s", (int)strcspn(a, "/"), a);
			break;
		}
	}
	ok = true;
out:
	if (!ok) {
		p->failures++;
		if (p->errs_shown++ < BENCH_ERRS_SHOWN) {
			if (j->errfd >= 0)
				bench_fd_slurp(j->errfd, err, sizeof(err));
			else
				err[0] = '\0';
			fprintf(stderr, "cni_bench: %s %s %s %s (status %d): %.300s %.300s\n", p->label,
				op == BENCH_ADD ? "ADD" : "DEL", id, why, j->status, out, err);
		}
	}
	json_decref(root);
	return ok;
}

static void bench_job_close(struct bench_job *j)
{
	if (j->pidfd >= 0)
		close(j->pidfd);
	if (j->outfd >= 0)
		close(j->outfd);
	if (j->errfd >= 0)
		close(j->errfd);
	j->pidfd = j->outfd = j->errfd = -1;
}

static void bench_record(struct bench_plugin *p, const char *phase, enum bench_op op,
			 unsigned round, unsigned i, struct bench_job *j, bool ok,
			 struct bench_samples *into)
{
	double ms = bench_ms(&j->t0, &j->t1);

	if (j->ru.ru_maxrss > p->maxrss_kib)
		p->maxrss_kib = j->ru.ru_maxrss;
	if (ok && into)
		bench_samples_add(into, ms);
	if (bench_csv)
		fprintf(bench_csv, "%s,%s,%s,%u,%u,%.3f,%ld,%d\n", p->label, phase,
			op == BENCH_ADD ? "ADD" : "DEL", round, i, ms, j->ru.ru_maxrss, ok);
}

static void bench_pod_netns(const struct bench_opts *o, unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "%s%u", o->netns_prefix, i);
}

/* One sequential invocation, recorded into `into` (NULL: warm-up, not recorded). */
static void bench_one(const struct bench_opts *o, struct bench_plugin *p, enum bench_op op,
		      const char *phase, unsigned i, const char *id,
		      struct bench_samples *into)
{
	char ns[256];
	struct bench_job j;
	bool ok;

	bench_pod_netns(o, i, ns, sizeof(ns));
	if (bench_job_start(p, op, id, ns, &j) < 0) {
		j.pid = 0;
		ok = bench_job_check(p, op, id, &j, NULL, 0);
	} else {
		bench_jobs_wait(&j, 1, o->timeout_ms);
		ok = bench_job_check(p, op, id, &j, NULL, 0);
	}
	bench_record(p, phase, op, 0, i, &j, ok, into);
	bench_job_close(&j);
}

/* `n` invocations at once on pods 0..n-1; returns the makespan in ms (first fork to last exit). */
static double bench_many(const struct bench_opts *o, struct bench_plugin *p, unsigned pi,
			 enum bench_op op, unsigned round, unsigned n, bool *all_ok)
{
	static struct bench_job jobs[BENCH_MAX_CONC];
	static char v4[BENCH_MAX_CONC][64];
	char id[128], ns[256];
	struct timespec first, last;
	unsigned i, k;

	*all_ok = true;
	for (i = 0; i < n; i++) {
		bench_pod_netns(o, i, ns, sizeof(ns));
		snprintf(id, sizeof(id), "wtb-%d-p%u-r%u-c%u", (int)getpid(), pi, round, i);
		if (bench_job_start(p, op, id, ns, &jobs[i]) < 0)
			jobs[i].pid = 0;
	}
	bench_jobs_wait(jobs, n, o->timeout_ms);
	first = jobs[0].t0;
	last = jobs[0].t1;
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "wtb-%d-p%u-r%u-c%u", (int)getpid(), pi, round, i);
		bool ok = bench_job_check(p, op, id, &jobs[i], v4[i], sizeof(v4[i]));

		if (!ok)
			*all_ok = false;
		if (bench_ms(&jobs[i].t1, &last) < 0)
			last = jobs[i].t1;
		bench_record(p, "conc", op, round, i, &jobs[i], ok, &p->conc[op]);
		bench_job_close(&jobs[i]);
	}
	/* Concurrent ADDs must never share an address: a benchmark of a broken allocator is moot. */
	for (i = 0; op == BENCH_ADD && i < n; i++)
		for (k = i + 1; k < n; k++)
			if (v4[i][0] && strcmp(v4[i], v4[k]) == 0) {
				fprintf(stderr, "cni_bench: %s round %u: pods %u and %u both got %s\n",
					p->label, round, i, k, v4[i]);
				p->failures++;
				*all_ok = false;
			}
	return bench_ms(&first, &last);
}

static bool bench_over_deadline(const struct bench_opts *o)
{
	if (bench_elapsed_s() < o->deadline_s)
		return false;
	fprintf(stderr, "cni_bench: deadline of %u s reached, stopping early\n", o->deadline_s);
	return true;
}

static void bench_run(const struct bench_opts *o, struct bench_plugin *pl, struct bench_plugin *fl)
{
	char id[128];
	unsigned i, r, k;
	enum bench_op op;
	bool ok;

	fprintf(stderr, "cni_bench: warm-up, then %u sequential ADDs and DELs per plugin\n", o->pods);
	/* Warm-up: page cache, dynamic loader, first-use setup (bridge device, store dirs). */
	for (i = 0; i < o->warmup; i++)
		for (k = 0; k < 2; k++) {
			snprintf(id, sizeof(id), "wtb-%d-p%u-warm%u", (int)getpid(), k, i);
			bench_one(o, &pl[k], BENCH_ADD, "warm", 0, id, NULL);
			bench_one(o, &pl[k], BENCH_DEL, "warm", 0, id, NULL);
		}

	/* Sequential: pods pile up to o->pods, then go away; the plugins alternate per pod and
	 * swap who goes first, so drift over the run and order effects hit both. */
	for (op = BENCH_ADD; op <= BENCH_DEL; op++)
		for (i = 0; i < o->pods && !bench_over_deadline(o); i++)
			for (k = 0; k < 2; k++) {
				unsigned pi = (i & 1) ? 1 - k : k;

				snprintf(id, sizeof(id), "wtb-%d-p%u-s%u", (int)getpid(), pi, i);
				bench_one(o, &pl[pi], op, "seq", i, id, &pl[pi].seq[op]);
				/* The floor: what any exec'd plugin pays before doing anything. */
				if (k == 1 && fl->bin)
					bench_one(o, fl, BENCH_DEL, "floor", i, "floor", &fl->seq[0]);
			}

	fprintf(stderr, "cni_bench: %u rounds of %u concurrent ADDs and DELs per plugin\n", o->rounds,
		o->conc);
	/* Concurrent: per round, each plugin does o->conc ADDs at once, then o->conc DELs. */
	for (r = 0; r < o->rounds && !bench_over_deadline(o); r++)
		for (k = 0; k < 2; k++) {
			unsigned pi = (r & 1) ? 1 - k : k;
			double done = bench_many(o, &pl[pi], pi, BENCH_ADD, r, o->conc, &ok);

			if (ok)
				bench_samples_add(&pl[pi].done, done);
			bench_many(o, &pl[pi], pi, BENCH_DEL, r, o->conc, &ok);
		}
}

static const char *bench_mark(bool ok)
{
	return ok ? "ok" : "MISS";
}

static void bench_row(const char *name, struct bench_samples *a, struct bench_samples *b,
		      double pct, bool is_add_p50)
{
	double x = bench_samples_pct(a, pct), y = bench_samples_pct(b, pct);
	double ratio = y / x;
	char target[96];

	snprintf(target, sizeof(target), ">= %.0fx %s", TARGET_RATIO, bench_mark(ratio >= TARGET_RATIO));
	if (is_add_p50)
		snprintf(target + strlen(target), sizeof(target) - strlen(target), "; < %.0f ms %s",
			 TARGET_ADD_P50_MS, bench_mark(x < TARGET_ADD_P50_MS));
	printf("%-24s %18.2f %18.2f %8.1fx   %s\n", name, x, y, ratio, target);
}

static void bench_report(const struct bench_opts *o, struct bench_plugin *pl,
			 struct bench_plugin *fl)
{
	struct bench_plugin *w = &pl[0], *r = &pl[1];
	char name[64], load_end[64];
	double dw, dr;

	printf("\ncni_bench: %u sequential pods, %u concurrent x %u rounds, %ld CPUs, %.1f s\n",
	       o->pods, o->conc, o->rounds, sysconf(_SC_NPROCESSORS_ONLN), bench_elapsed_s());
	bench_loadavg(load_end, sizeof(load_end));
	printf("load average: %s at start, %s at end\n", bench_load_start, load_end);
	printf("samples: seq ADD %zu/%zu, seq DEL %zu/%zu, conc ADD %zu/%zu, conc DEL %zu/%zu\n\n",
	       w->seq[0].n, r->seq[0].n, w->seq[1].n, r->seq[1].n, w->conc[0].n, r->conc[0].n,
	       w->conc[1].n, r->conc[1].n);
	printf("%-24s %18s %18s %9s   %s\n", "latency (ms)", w->label, r->label, "ratio", "target");
	bench_row("seq ADD p50", &w->seq[0], &r->seq[0], 50, true);
	bench_row("seq ADD p99", &w->seq[0], &r->seq[0], 99, false);
	bench_row("seq DEL p50", &w->seq[1], &r->seq[1], 50, false);
	bench_row("seq DEL p99", &w->seq[1], &r->seq[1], 99, false);
	snprintf(name, sizeof(name), "conc%u ADD p50", o->conc);
	bench_row(name, &w->conc[0], &r->conc[0], 50, false);
	snprintf(name, sizeof(name), "conc%u ADD p99", o->conc);
	bench_row(name, &w->conc[0], &r->conc[0], 99, false);
	snprintf(name, sizeof(name), "conc%u DEL p50", o->conc);
	bench_row(name, &w->conc[1], &r->conc[1], 50, false);
	snprintf(name, sizeof(name), "conc%u DEL p99", o->conc);
	bench_row(name, &w->conc[1], &r->conc[1], 99, false);

	dw = bench_samples_pct(&w->done, 50);
	dr = bench_samples_pct(&r->done, 50);
	snprintf(name, sizeof(name), "%u ADDs all done p50", o->conc);
	printf("%-24s %18.2f %18.2f %8.1fx   < %.0f ms %s (%zu rounds)\n", name, dw, dr, dr / dw,
	       TARGET_CONC_DONE_MS, bench_mark(dw < TARGET_CONC_DONE_MS), w->done.n);
	printf("%-24s %18ld %18ld %8.1fx   < %ld KiB %s\n", "peak RSS (KiB)", w->maxrss_kib,
	       r->maxrss_kib, (double)r->maxrss_kib / (double)(w->maxrss_kib ? w->maxrss_kib : 1),
	       TARGET_RSS_KIB, bench_mark(w->maxrss_kib > 0 && w->maxrss_kib < TARGET_RSS_KIB));
	printf("%-24s %18u %18u\n", "failures", w->failures, r->failures);
	if (fl->seq[0].n) {
		double f50 = bench_samples_pct(&fl->seq[0], 50);

		printf("\nexec floor (%s, fork/exec/wait4 of a do-nothing binary): p50 %.2f ms, "
		       "p99 %.2f ms, %zu samples\n", fl->bin, f50, bench_samples_pct(&fl->seq[0], 99),
		       fl->seq[0].n);
		/* A plugin that execs its IPAM plugin pays the floor twice before any work. */
		printf("in exec floors (p50): %s ADD %.1f, DEL %.1f; %s ADD %.1f, DEL %.1f\n",
		       w->label, bench_samples_pct(&w->seq[0], 50) / f50,
		       bench_samples_pct(&w->seq[1], 50) / f50, r->label,
		       bench_samples_pct(&r->seq[0], 50) / f50, bench_samples_pct(&r->seq[1], 50) / f50);
	}
	printf("\nratio = %s / %s: above 1, %s is faster.\n", r->label, w->label, w->label);
	printf("peak RSS = largest ru_maxrss from wait4 over all invocations; it covers a plugin\n"
	       "and the IPAM child it waited for.\n");
}

static void bench_usage(void)
{
	fprintf(stderr,
		"usage: cni_bench --netns-prefix PFX [--pods N] [--conc N] [--rounds N] [--warmup N]\n"
		"                 [--timeout-ms MS] [--deadline-s S] [--csv FILE] [--floor BIN]\n"
		"                 -L LABEL -b BIN -c CONF -P CNI_PATH -i IFNAME   (subject, e.g. weft)\n"
		"                 -L LABEL -b BIN -c CONF -P CNI_PATH -i IFNAME   (reference)\n"
		"Pod i uses netns PFX<i> (i < max(pods, conc)); run it inside the node netns.\n");
}

static bool bench_uint_parse(const char *name, const char *s, unsigned min, unsigned max,
			     unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "cni_bench: --%s: \"%s\" is not a number in %u..%u\n", name, s, min,
			max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "netns-prefix", required_argument, NULL, 'n' },
		{ "pods", required_argument, NULL, 1 },
		{ "conc", required_argument, NULL, 2 },
		{ "rounds", required_argument, NULL, 3 },
		{ "warmup", required_argument, NULL, 4 },
		{ "timeout-ms", required_argument, NULL, 5 },
		{ "deadline-s", required_argument, NULL, 6 },
		{ "csv", required_argument, NULL, 7 },
		{ "floor", required_argument, NULL, 8 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .pods = 200, .conc = 20, .rounds = 10, .warmup = 3,
				.timeout_ms = 30000, .deadline_s = 1200 };
	struct bench_plugin pl[2], fl;
	int np = 0, c, ret = 2, k;

	memset(pl, 0, sizeof(pl));
	memset(&fl, 0, sizeof(fl));
	clock_gettime(CLOCK_MONOTONIC, &bench_start);
	while ((c = getopt_long(argc, argv, "n:L:b:c:P:i:h", longopts, NULL)) != -1) {
		struct bench_plugin *cur = np ? &pl[np - 1] : NULL;

		switch (c) {
		case 'n': o.netns_prefix = optarg; break;
		case 1: if (!bench_uint_parse("pods", optarg, 1, BENCH_MAX_PODS, &o.pods)) goto out; break;
		case 2: if (!bench_uint_parse("conc", optarg, 1, BENCH_MAX_CONC, &o.conc)) goto out; break;
		case 3: if (!bench_uint_parse("rounds", optarg, 1, BENCH_MAX_ROUNDS, &o.rounds)) goto out; break;
		case 4: if (!bench_uint_parse("warmup", optarg, 0, 100, &o.warmup)) goto out; break;
		case 5: if (!bench_uint_parse("timeout-ms", optarg, 100, 600000, &o.timeout_ms)) goto out; break;
		case 6: if (!bench_uint_parse("deadline-s", optarg, 1, 86400, &o.deadline_s)) goto out; break;
		case 7: o.csv = optarg; break;
		case 8: o.floor = optarg; break;
		case 'L':
			if (np == 2) {
				fprintf(stderr, "cni_bench: exactly two plugins (-L) are compared\n");
				goto out;
			}
			pl[np++].label = optarg;
			break;
		case 'b': case 'c': case 'P': case 'i':
			if (!cur) {
				fprintf(stderr, "cni_bench: -%c before any -L\n", c);
				goto out;
			}
			*(c == 'b' ? &cur->bin : c == 'c' ? &cur->conf : c == 'P' ? &cur->path
								       : &cur->ifname) = optarg;
			break;
		default:
			bench_usage();
			goto out;
		}
	}
	if (optind != argc || !o.netns_prefix || np != 2) {
		bench_usage();
		goto out;
	}
	for (k = 0; k < 2; k++) {
		int r;

		if (!pl[k].bin || !pl[k].conf || !pl[k].path || !pl[k].ifname) {
			fprintf(stderr, "cni_bench: plugin \"%s\" needs -b, -c, -P and -i\n", pl[k].label);
			goto out;
		}
		if (access(pl[k].bin, X_OK) < 0) {
			fprintf(stderr, "cni_bench: -b \"%s\": %s\n", pl[k].bin, strerror(errno));
			goto out;
		}
		r = bench_file_read(pl[k].conf, &pl[k].conf_buf, &pl[k].conf_len);
		if (r < 0) {
			fprintf(stderr, "cni_bench: -c \"%s\": %s\n", pl[k].conf, strerror(-r));
			goto out;
		}
		/* Written to the stdin pipe before the fork: it must fit the pipe buffer. */
		if (pl[k].conf_len > 60000) {
			fprintf(stderr, "cni_bench: -c \"%s\": config larger than 60000 bytes\n",
				pl[k].conf);
			goto out;
		}
	}
	if (o.floor) {
		if (access(o.floor, X_OK) < 0) {
			fprintf(stderr, "cni_bench: --floor \"%s\": %s\n", o.floor, strerror(errno));
			goto out;
		}
		fl.label = "floor";
		fl.bin = o.floor;
		fl.path = fl.ifname = "";
		fl.conf_buf = strdup("{}");
		if (!fl.conf_buf)
			goto out;
		fl.conf_len = 2;
	}
	if (o.csv) {
		bench_csv = fopen(o.csv, "we");
		if (!bench_csv) {
			fprintf(stderr, "cni_bench: --csv \"%s\": %s\n", o.csv, strerror(errno));
			goto out;
		}
		fprintf(bench_csv, "plugin,phase,op,round,i,ms,maxrss_kib,ok\n");
	}

	bench_loadavg(bench_load_start, sizeof(bench_load_start));
	bench_run(&o, pl, &fl);
	bench_report(&o, pl, &fl);
	ret = pl[0].failures || pl[1].failures || fl.failures ? 1 : 0;
out:
	if (bench_csv)
		fclose(bench_csv);
	for (k = 0; k < 2; k++) {
		free(pl[k].conf_buf);
		for (int m = 0; m < 2; m++) {
			free(pl[k].seq[m].v);
			free(pl[k].conc[m].v);
		}
		free(pl[k].done.v);
	}
	free(fl.conf_buf);
	free(fl.seq[0].v);
	return ret;
}
