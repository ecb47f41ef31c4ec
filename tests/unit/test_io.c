/* Unit tests for lib/io: io_write_all writes everything, goes on after a short write, and says
 * why it stopped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "io.h"

static int tmpfile_fd(void)
{
	char path[] = "/tmp/weft-test-io-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static void pattern(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + i / 251);
}

static void writes_everything(void **state)
{
	static uint8_t want[1 << 20], got[1 << 20];
	int fd = tmpfile_fd();

	pattern(want, sizeof(want));
	assert_int_equal(io_write_all(fd, want, sizeof(want)), 0);
	assert_int_equal(io_write_all(fd, "", 0), 0);
	assert_int_equal(pread(fd, got, sizeof(got), 0), sizeof(got));
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(lseek(fd, 0, SEEK_END), sizeof(want));
	close(fd);
}

/* A file size limit makes the kernel write what fits and return the short count; only the next
 * write fails. A loop that stopped at the short count would report success for a cut file. */
static void short_write_goes_on_to_the_error(void **state)
{
	uint8_t want[3000], got[3000];
	struct rlimit old, lim;
	int fd = tmpfile_fd(), r;

	pattern(want, sizeof(want));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = (struct rlimit){ .rlim_cur = 1000, .rlim_max = old.rlim_max };
	signal(SIGXFSZ, SIG_IGN); /* the error, not the signal's default of ending the process */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	r = io_write_all(fd, want, sizeof(want));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(r, -EFBIG);
	assert_int_equal(pread(fd, got, sizeof(got), 0), 1000);
	assert_memory_equal(got, want, 1000);
	close(fd);
}

static void errors_come_back(void **state)
{
	int fd = tmpfile_fd(), p[2];

	close(fd);
	assert_int_equal(io_write_all(fd, "abc", 3), -EBADF);

	/* No reader left: -EPIPE, once SIGPIPE no longer ends the process. */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(io_write_all(p[1], "abc", 3), -EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_everything),
		cmocka_unit_test(short_write_goes_on_to_the_error),
		cmocka_unit_test(errors_come_back),
	};
	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
