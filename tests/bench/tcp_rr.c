/* tcp_rr: 1-byte TCP request/response (rr: ping-pong on one connection) and connect/request/
 * response/close (crr) rates with per-transaction latency, for the data path bench. With
 * --server-netns it forks its own echo server into that namespace, so one command is one run. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cni-plugin/netns.h"

#define RR_MAX_COUNT 50000000UL  /* samples kept: 8 bytes each, 400 MB at worst */
#define RR_MAX_SECONDS 600
#define RR_IO_TIMEOUT_S 2        /* one transaction that takes longer is a failure */
#define RR_READY_TIMEOUT_MS 5000 /* the forked server must listen within this */
#define RR_CONNECT_RETRY_MS 3000 /* a server started elsewhere may come up a little late */

enum rr_mode { RR_MODE_RR, RR_MODE_CRR, RR_MODE_SERVE };

struct rr_opts {
	enum rr_mode mode;
	const char *addr;
	unsigned port;
	unsigned seconds;        /* measuring time (client) or lifetime (serve) */
	unsigned long max;       /* transactions measured at most */
	unsigned long warmup;    /* transactions first, not measured */
	const char *server_netns;
	const char *client_netns;
	const char *label;
};

struct rr_result {
	double *lat_us;
	unsigned long n;
	double seconds;
};

static double rr_now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int rr_sockaddr(const char *addr, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

/* Blocking socket with send/receive timeouts, so no transaction can hang the run. */
static int rr_socket_tune(int fd)
{
	struct timeval tv = { .tv_sec = RR_IO_TIMEOUT_S };
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* Exactly one byte each way; a short read is EOF, a timeout is -EAGAIN. */
static int rr_byte_send(int fd)
{
	char c = 'x';
	ssize_t n;

	do
		n = send(fd, &c, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

static int rr_byte_recv(int fd)
{
	char c;
	ssize_t n;

	do
		n = recv(fd, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : n < 0 ? -errno : -ECONNRESET;
}

/* ---- server: accept one connection at a time and echo until it closes ----------------------- */

static int rr_listen(const struct rr_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (rr_sockaddr(o->addr, o->port, &ss, &len) < 0)
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* Never returns: the lifetime alarm (seconds + margin) bounds it, whoever started it. */
static void rr_serve(int lfd, unsigned lifetime_s)
{
	char buf[4096];

	alarm(lifetime_s);
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n;

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "tcp_rr serve: accept: %s\n", strerror(errno));
			_exit(1);
		}
		if (rr_socket_tune(c) < 0) {
			close(c);
			continue;
		}
		/* Echo whatever comes; EOF, an error or an idle connection ends it. */
		while ((n = recv(c, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == EINTR))
			if (n > 0 && send(c, buf, (size_t)n, MSG_NOSIGNAL) != n)
				break;
		close(c);
	}
}

/* Fork an echo server into the server netns; returns its pid once it listens. */
static pid_t rr_server_fork(const struct rr_opts *o)
{
	int p[2];
	pid_t pid;
	char ok = 0;
	struct pollfd pfd = { .fd = -1 };

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int ret = -errno;

		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0) {
		int r, lfd;

		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		r = netns_enter_path(o->server_netns);
		if (r < 0) {
			fprintf(stderr, "tcp_rr: --server-netns \"%s\": %s\n", o->server_netns, strerror(-r));
			_exit(1);
		}
		lfd = rr_listen(o);
		if (lfd < 0) {
			fprintf(stderr, "tcp_rr: listen on %s port %u in %s: %s\n", o->addr, o->port,
				o->server_netns, strerror(-lfd));
			_exit(1);
		}
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		close(p[1]);
		rr_serve(lfd, o->seconds + 30);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	/* EOF on the pipe: the child exited (and said why on stderr); no byte in time: stuck. */
	if (poll(&pfd, 1, RR_READY_TIMEOUT_MS) != 1 || read(p[0], &ok, 1) != 1 || ok != 'r') {
		int ret = pfd.revents ? -ECHILD : -ETIMEDOUT;

		close(p[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return ret;
	}
	close(p[0]);
	return pid;
}

/* ---- client ----------------------------------------------------------------------------------- */

static int rr_connect(const struct sockaddr_storage *ss, socklen_t len, unsigned retry_ms)
{
	double until = rr_now_s() + retry_ms / 1e3;

	for (;;) {
		int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), ret;

		if (fd < 0)
			return -errno;
		if ((ret = rr_socket_tune(fd)) == 0 && connect(fd, (const struct sockaddr *)ss, len) == 0)
			return fd;
		ret = ret ? ret : -errno;
		close(fd);
		if (ret != -ECONNREFUSED || rr_now_s() >= until)
			return ret;
		usleep(20000);
	}
}

static int rr_sample_add(struct rr_result *r, unsigned long *cap, double us)
{
	if (r->n == *cap) {
		unsigned long ncap = *cap ? *cap * 2 : 65536;
		double *nv = realloc(r->lat_us, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		r->lat_us = nv;
		*cap = ncap;
	}
	r->lat_us[r->n++] = us;
	return 0;
}

/* rr: one connection, write 1 byte, read 1 byte back, o->warmup times unrecorded, then until
 * o->seconds pass or o->max transactions are measured, whichever first. */
static int rr_client_rr(const struct rr_opts *o, const struct sockaddr_storage *ss, socklen_t len,
			struct rr_result *r, const char **what)
{
	unsigned long cap = 0, i;
	double t0, t1, start, end;
	int fd, ret;

	*what = "connect";
	fd = rr_connect(ss, len, o->server_netns ? 0 : RR_CONNECT_RETRY_MS);
	if (fd < 0)
		return fd;
	*what = "warm-up transaction";
	for (i = 0; i < o->warmup; i++)
		if ((ret = rr_byte_send(fd)) < 0 || (ret = rr_byte_recv(fd)) < 0)
			goto out;
	*what = "transaction";
	start = rr_now_s();
	end = start + o->seconds;
	t1 = start;
	while (r->n < o->max && t1 < end) {
		t0 = rr_now_s();
		if ((ret = rr_byte_send(fd)) < 0 || (ret = rr_byte_recv(fd)) < 0)
			goto out;
		t1 = rr_now_s();
		if ((ret = rr_sample_add(r, &cap, (t1 - t0) * 1e6)) < 0)
			goto out;
	}
	r->seconds = t1 - start;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* crr: per transaction a new connection: connect, 1 byte out, 1 byte back, close. The client
 * closes first, so TIME_WAIT sits on its side: the bench script widens the port range and
 * allows tcp_tw_reuse in the client namespace, the same for every setup. */
static int rr_client_crr(const struct rr_opts *o, const struct sockaddr_storage *ss, socklen_t len,
			 struct rr_result *r, const char **what)
{
	unsigned long cap = 0, i, total = o->warmup;
	double t0, t1, start = 0, end = 0;
	int fd, ret;

	for (i = 0;; i++) {
		if (i == total) {
			/* Warm-up over: measuring starts now. */
			start = rr_now_s();
			end = start + o->seconds;
		}
		if (i >= total && (r->n >= o->max || rr_now_s() >= end))
			break;
		t0 = rr_now_s();
		*what = "connect";
		fd = rr_connect(ss, len, i == 0 && !o->server_netns ? RR_CONNECT_RETRY_MS : 0);
		if (fd < 0)
			return fd;
		*what = "transaction";
		if ((ret = rr_byte_send(fd)) < 0 || (ret = rr_byte_recv(fd)) < 0) {
			close(fd);
			return ret;
		}
		close(fd);
		t1 = rr_now_s();
		if (i >= total && (ret = rr_sample_add(r, &cap, (t1 - t0) * 1e6)) < 0)
			return ret;
	}
	r->seconds = rr_now_s() - start;
	return 0;
}

static int rr_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank over sorted samples. */
static double rr_pct(const struct rr_result *r, double pct)
{
	unsigned long rank;

	if (!r->n)
		return 0;
	rank = (unsigned long)((pct / 100.0) * (double)r->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > r->n)
		rank = r->n;
	return r->lat_us[rank - 1];
}

static void rr_usage(void)
{
	fprintf(stderr,
		"usage: tcp_rr rr|crr --addr IP --port N [--seconds S] [--max N] [--warmup N]\n"
		"              [--server-netns PATH] [--client-netns PATH] [--label TEXT]\n"
		"       tcp_rr serve --addr IP --port N [--seconds S]\n"
		"rr: 1-byte ping-pong on one connection; crr: connect, 1 byte each way, close.\n"
		"With --server-netns an echo server is forked into that netns for the run; without,\n"
		"one must listen (tcp_rr serve). The client runs in --client-netns (default: here).\n"
		"Prints one JSON object: count, seconds, rate (per s), p50/p90/p99/max latency (us).\n"
		"serve echoes one connection at a time and exits after --seconds + 30.\n");
}

static bool rr_num_parse(const char *name, const char *s, unsigned long min, unsigned long max,
			 unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "tcp_rr: --%s: \"%s\" is not a number in %lu..%lu\n", name, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "max", required_argument, NULL, 'm' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "server-netns", required_argument, NULL, 'S' },
		{ "client-netns", required_argument, NULL, 'C' },
		{ "label", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rr_opts o = { .seconds = 3, .max = 5000000, .warmup = 200, .label = "" };
	struct rr_result r = { 0 };
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *what = "setup";
	unsigned long v;
	pid_t server = 0;
	int c, ret = 2;

	if (argc < 2) {
		rr_usage();
		return 2;
	}
	if (!strcmp(argv[1], "rr"))
		o.mode = RR_MODE_RR;
	else if (!strcmp(argv[1], "crr"))
		o.mode = RR_MODE_CRR;
	else if (!strcmp(argv[1], "serve"))
		o.mode = RR_MODE_SERVE;
	else {
		if (strcmp(argv[1], "-h") && strcmp(argv[1], "--help"))
			fprintf(stderr, "tcp_rr: mode \"%s\": expected rr, crr or serve\n", argv[1]);
		rr_usage();
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o.addr = optarg; break;
		case 'p':
			if (!rr_num_parse("port", optarg, 1, 65535, &v))
				return 2;
			o.port = (unsigned)v;
			break;
		case 's':
			if (!rr_num_parse("seconds", optarg, 1, RR_MAX_SECONDS, &v))
				return 2;
			o.seconds = (unsigned)v;
			break;
		case 'm':
			if (!rr_num_parse("max", optarg, 1, RR_MAX_COUNT, &o.max))
				return 2;
			break;
		case 'w':
			if (!rr_num_parse("warmup", optarg, 0, 1000000, &o.warmup))
				return 2;
			break;
		case 'S': o.server_netns = optarg; break;
		case 'C': o.client_netns = optarg; break;
		case 'L': o.label = optarg; break;
		default:
			rr_usage();
			return 2;
		}
	}
	if (optind != argc || !o.addr || !o.port) {
		rr_usage();
		return 2;
	}
	if (rr_sockaddr(o.addr, o.port, &ss, &sslen) < 0) {
		fprintf(stderr, "tcp_rr: --addr \"%s\" is not an IPv4 or IPv6 address\n", o.addr);
		return 2;
	}
	/* Only printable labels: it goes into JSON unescaped. */
	for (const char *l = o.label; *l; l++)
		if (*l < 0x20 || *l == '"' || *l == '\\' || *l == 0x7f) {
			fprintf(stderr, "tcp_rr: --label \"%s\": only printable characters, no quotes\n",
				o.label);
			return 2;
		}

	if (o.mode == RR_MODE_SERVE) {
		int lfd = rr_listen(&o);

		if (lfd < 0) {
			fprintf(stderr, "tcp_rr serve: listen on %s port %u: %s\n", o.addr, o.port,
				strerror(-lfd));
			return 1;
		}
		rr_serve(lfd, o.seconds + 30);
	}

	if (o.server_netns) {
		server = rr_server_fork(&o);
		if (server < 0) {
			fprintf(stderr, "tcp_rr: echo server in %s: %s\n", o.server_netns,
				server == -ECHILD ? "did not start" : strerror((int)-server));
			return 1;
		}
	}
	if (o.client_netns && (c = netns_enter_path(o.client_netns)) < 0) {
		fprintf(stderr, "tcp_rr: --client-netns \"%s\": %s\n", o.client_netns, strerror(-c));
		ret = 1;
		goto out;
	}
	c = o.mode == RR_MODE_RR ? rr_client_rr(&o, &ss, sslen, &r, &what)
				 : rr_client_crr(&o, &ss, sslen, &r, &what);
	if (c < 0) {
		fprintf(stderr, "tcp_rr %s: %s to %s port %u failed after %lu transactions: %s\n",
			argv[1], what, o.addr, o.port, r.n, strerror(-c));
		ret = 1;
		goto out;
	}
	if (!r.n || r.seconds <= 0) {
		fprintf(stderr, "tcp_rr %s: no transaction measured\n", argv[1]);
		ret = 1;
		goto out;
	}
	qsort(r.lat_us, r.n, sizeof(*r.lat_us), rr_cmp_double);
	printf("{\"mode\":\"%s\",\"label\":\"%s\",\"addr\":\"%s\",\"count\":%lu,\"seconds\":%.3f,"
	       "\"rate\":%.1f,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f}\n",
	       argv[1], o.label, o.addr, r.n, r.seconds, (double)r.n / r.seconds, rr_pct(&r, 50),
	       rr_pct(&r, 90), rr_pct(&r, 99), r.lat_us[r.n - 1]);
	ret = 0;
out:
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	free(r.lat_us);
	return ret;
}
