/* ipam_bench: how fast weft-ipam allocates. (1) In process: fill a /16 to 60,000 addresses and
 * compare the latency of the first and the last thousand ADDs (the cost must not grow with
 * fullness). (2) Exec: weft-ipam against the reference host-local plugin, ADD and DEL as a
 * runtime calls them. Timings only; the pass/fail checks live in tests/unit/test_ipam_alloc.c. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipam/ipam.h"
#include "ipam/ipam_store.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(p * (double)(n - 1))];
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int bench_library(const char *dir, unsigned fill)
{
	char json[512];
	struct ipam_config cfg;
	struct ipam_store *st = NULL;
	struct cni_error e = { 0 };
	double *lat = malloc(fill * sizeof(double)), t0;
	json_t *ipam;
	int rc = 1;

	snprintf(json, sizeof(json), "{\"dataDir\":\"%s\",\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"}]]}", dir);
	ipam = json_loads(json, 0, NULL);
	if (!lat || ipam_config_parse(ipam, "bench", &cfg, &e) < 0 || ipam_store_new(&st, &cfg, &e) < 0) {
		fprintf(stderr, "ipam_bench: %s\n", e.msg);
		goto out;
	}
	printf("in process: /16, %u sequential ADDs through the store\n", fill);
	for (unsigned i = 0; i < fill; i++) {
		struct ipam_lease l;
		char cid[32];

		snprintf(cid, sizeof(cid), "c%u", i);
		t0 = now_us();
		if (ipam_store_add(st, NULL, cid, "eth0", &l, &e) < 0) {
			fprintf(stderr, "ipam_bench: ADD %u: %s\n", i, e.msg);
			goto out;
		}
		lat[i] = now_us() - t0;
	}
	printf("  %-28s p50 %7.1f us   p99 %7.1f us\n", "first 1000 ADDs (empty)", pct(lat, 1000, 0.5), pct(lat, 1000, 0.99));
	snprintf(json, sizeof(json), "last 1000 ADDs (%u held)", fill - 1000);
	printf("  %-28s p50 %7.1f us   p99 %7.1f us\n", json, pct(lat + fill - 1000, 1000, 0.5),
	       pct(lat + fill - 1000, 1000, 0.99));
	for (unsigned i = 0; i < 1000; i++) {
		char cid[32];

		snprintf(cid, sizeof(cid), "c%u", fill >= 7000 ? i * 7 : i); /* spread over the range */
		t0 = now_us();
		if (ipam_store_del(st, cid, "eth0", &e) < 0)
			goto out;
		lat[i] = now_us() - t0;
	}
	printf("  %-28s p50 %7.1f us   p99 %7.1f us\n", "1000 DELs", pct(lat, 1000, 0.5), pct(lat, 1000, 0.99));
	t0 = now_us();
	if (ipam_store_gc(st, false, NULL, 0, &e) < 0)
		goto out;
	snprintf(json, sizeof(json), "GC (recovery, %u held)", fill - 1000);
	printf("  %-28s %.1f ms\n", json, (now_us() - t0) / 1000);
	rc = 0;
out:
	ipam_store_free(st);
	ipam_config_fini(&cfg);
	json_decref(ipam);
	free(lat);
	return rc;
}

/* Run plugin once as a runtime would; returns wall time in us, peak RSS in *rss_kb. */
static double run_plugin(const char *bin, const char *cmd, const char *cid, const char *conf, long *rss_kb)
{
	int in[2];
	double t0 = now_us(), t;
	struct rusage ru;
	int status;
	pid_t pid;

	if (pipe(in) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char e1[64], e2[300];
		char *envp[] = { e1, e2, "CNI_IFNAME=eth0", "CNI_NETNS=/proc/self/ns/net", "CNI_PATH=/usr/lib/cni", NULL };
		char *argv[] = { (char *)bin, NULL };
		int null = open("/dev/null", O_WRONLY);

		snprintf(e1, sizeof(e1), "CNI_COMMAND=%s", cmd);
		snprintf(e2, sizeof(e2), "CNI_CONTAINERID=%s", cid);
		dup2(in[0], 0);
		dup2(null, 1);
		close(in[1]);
		execve(bin, argv, envp);
		_exit(127);
	}
	close(in[0]);
	if (write(in[1], conf, strlen(conf)) < 0)
		perror("write");
	close(in[1]);
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "ipam_bench: %s %s %s failed\n", bin, cmd, cid);
		return -1;
	}
	t = now_us() - t0;
	*rss_kb = ru.ru_maxrss;
	return t;
}

static int bench_exec(const char *name, const char *bin, const char *type, const char *dir, unsigned n)
{
	char conf[512];
	double *add = malloc(n * sizeof(double)), *del = malloc(n * sizeof(double));
	long rss = 0, peak = 0;
	int rc = 1;

	snprintf(conf, sizeof(conf),
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"%s\",\"ipam\":{\"type\":\"%s\",\"dataDir\":\"%s\","
		 "\"ranges\":[[{\"subnet\":\"10.3.0.0/16\"}],[{\"subnet\":\"fd03::/64\"}]]}}",
		 type, type, dir);
	if (!add || !del || access(bin, X_OK) < 0) {
		printf("  %-12s not available (%s)\n", name, bin);
		rc = 0;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		char cid[32];

		snprintf(cid, sizeof(cid), "pod%u", i);
		if ((add[i] = run_plugin(bin, "ADD", cid, conf, &rss)) < 0)
			goto out;
		peak = rss > peak ? rss : peak;
	}
	for (unsigned i = 0; i < n; i++) {
		char cid[32];

		snprintf(cid, sizeof(cid), "pod%u", i);
		if ((del[i] = run_plugin(bin, "DEL", cid, conf, &rss)) < 0)
			goto out;
	}
	printf("  %-12s ADD p50 %7.2f ms  p99 %7.2f ms   DEL p50 %7.2f ms  p99 %7.2f ms   peak RSS %ld KiB\n", name,
	       pct(add, n, 0.5) / 1000, pct(add, n, 0.99) / 1000, pct(del, n, 0.5) / 1000, pct(del, n, 0.99) / 1000, peak);
	rc = 0;
out:
	free(add);
	free(del);
	return rc;
}

int main(int argc, char **argv)
{
	char dir[64], bin[PATH_MAX], *slash;
	unsigned fill = 60000, n = 200;
	int rc;

	if (argc > 1)
		fill = (unsigned)atoi(argv[1]);
	if (argc > 2)
		n = (unsigned)atoi(argv[2]);
	if (fill < 1000 || n < 2) {
		fprintf(stderr, "usage: ipam_bench [FILL>=1000 [EXEC_COUNT>=2]]\n");
		return 2;
	}
	/* build/tools/ipam_bench -> build/bin/weft-ipam */
	snprintf(bin, sizeof(bin), "%s", argv[0]);
	slash = strrchr(bin, '/');
	snprintf(slash ? slash + 1 : bin, sizeof(bin) - (size_t)(slash ? slash + 1 - bin : 0), "../bin/weft-ipam");

	snprintf(dir, sizeof(dir), "/tmp/weft-ipam-bench-%d", (int)getpid());
	/* Exec first, while this process is small: a forked child's peak RSS counts the parent's
	 * pages until it execs. */
	printf("exec: %u sequential dual-stack ADDs then DELs, as a runtime calls the plugin\n", n);
	rc = bench_exec("(/bin/true)", "/bin/true", "true", dir, n); /* the machine's exec floor */
	rc |= bench_exec("weft-ipam", bin, "weft-ipam", dir, n);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	rc |= bench_exec("host-local", "/usr/lib/cni/host-local", "host-local", dir, n);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	rc |= bench_library(dir, fill);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
