/* Unit tests for cni-plugin/netns: a path is entered only when it is a network namespace, and
 * the reason it is not comes back as the errno. Entering needs CAP_SYS_ADMIN: the test enters
 * its own namespace as root and expects EPERM otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni-plugin/netns.h"

static void open_takes_only_network_namespaces(void **state)
{
	char path[] = "/tmp/weft-test-netns-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(netns_open(path), -EINVAL);               /* a plain file */
	assert_int_equal(netns_open("/proc/self/ns/uts"), -EINVAL); /* another type */
	unlink(path);
	assert_int_equal(netns_open(path), -ENOENT);
	fd = netns_open("/proc/self/ns/net");
	assert_true(fd >= 0);
	close(fd);
}

static void enter_path_refuses_what_open_refuses(void **state)
{
	assert_int_equal(netns_enter_path("/nonexistent/weft-netns"), -ENOENT);
	assert_int_equal(netns_enter_path("/proc/self/ns/uts"), -EINVAL);
	assert_int_equal(netns_enter_path("/proc"), -EINVAL);
}

static void enter_path_enters(void **state)
{
	struct stat before, after;

	assert_int_equal(stat("/proc/thread-self/ns/net", &before), 0);
	assert_int_equal(netns_enter_path("/proc/self/ns/net"), geteuid() == 0 ? 0 : -EPERM);
	assert_int_equal(stat("/proc/thread-self/ns/net", &after), 0);
	assert_true(before.st_ino == after.st_ino); /* the same namespace, entered or not */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_takes_only_network_namespaces),
		cmocka_unit_test(enter_path_refuses_what_open_refuses),
		cmocka_unit_test(enter_path_enters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
