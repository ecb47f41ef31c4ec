/* Unit tests for lib/inet: address parsing, formatting and arithmetic for both families. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "inet.h"

static void parse_and_format(void **state)
{
	struct inet_addr a;
	struct inet_prefix p;
	char buf[INET_PREFIXSTR];

	assert_true(inet_addr_parse("10.244.1.7", &a));
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(inet_addr_fmt(&a, buf, sizeof(buf)), "10.244.1.7");
	assert_true(inet_addr_parse("fd00:10:244::1", &a));
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(inet_addr_fmt(&a, buf, sizeof(buf)), "fd00:10:244::1");
	assert_true(inet_prefix_parse("10.244.1.7/24", &p));
	assert_int_equal(p.len, 24);
	assert_string_equal(inet_prefix_fmt(&p, buf, sizeof(buf)), "10.244.1.7/24");
	assert_true(inet_prefix_parse("::/0", &p));
	assert_int_equal(p.len, 0);
}

static void parse_rejects_garbage(void **state)
{
	static const char *const bad_addr[] = { "", "1.2.3", "1.2.3.4.5", "300.1.1.1", "x", "1.2.3.4 ", ":::" };
	static const char *const bad_prefix[] = { "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
						  "10.0.0.0/2x", "::/129", "/24", "10.0.0.0/0024" };
	struct inet_addr a;
	struct inet_prefix p;

	for (size_t i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++)
		assert_false(inet_addr_parse(bad_addr[i], &a));
	for (size_t i = 0; i < sizeof(bad_prefix) / sizeof(bad_prefix[0]); i++)
		assert_false(inet_prefix_parse(bad_prefix[i], &p));
	assert_false(inet_addr_parse(NULL, &a));
}

static void prefix_bounds(void **state)
{
	struct inet_prefix p;
	struct inet_addr n, l, x;
	char buf[INET_ADDRSTR];

	assert_true(inet_prefix_parse("10.244.1.77/24", &p));
	assert_false(inet_prefix_is_canonical(&p));
	inet_prefix_network(&p, &n);
	inet_prefix_last(&p, &l);
	assert_string_equal(inet_addr_fmt(&n, buf, sizeof(buf)), "10.244.1.0");
	assert_string_equal(inet_addr_fmt(&l, buf, sizeof(buf)), "10.244.1.255");
	assert_true(inet_addr_parse("10.244.1.200", &x));
	assert_true(inet_prefix_contains(&p, &x));
	assert_true(inet_addr_parse("10.244.2.1", &x));
	assert_false(inet_prefix_contains(&p, &x));
	assert_true(inet_addr_parse("fd00::1", &x));
	assert_false(inet_prefix_contains(&p, &x));

	assert_true(inet_prefix_parse("fd00:1::/64", &p));
	assert_true(inet_prefix_is_canonical(&p));
	inet_prefix_last(&p, &l);
	assert_string_equal(inet_addr_fmt(&l, buf, sizeof(buf)), "fd00:1::ffff:ffff:ffff:ffff");
}

static void arithmetic(void **state)
{
	struct inet_addr a, b;
	char buf[INET_ADDRSTR];

	assert_true(inet_addr_parse("10.0.0.255", &a));
	assert_true(inet_addr_add(&a, 1));
	assert_string_equal(inet_addr_fmt(&a, buf, sizeof(buf)), "10.0.1.0");
	assert_true(inet_addr_add(&a, -2));
	assert_string_equal(inet_addr_fmt(&a, buf, sizeof(buf)), "10.0.0.254");
	assert_true(inet_addr_parse("255.255.255.255", &a));
	assert_false(inet_addr_add(&a, 1));
	assert_true(inet_addr_parse("0.0.0.0", &a));
	assert_false(inet_addr_add(&a, -1));

	assert_true(inet_addr_parse("10.0.0.1", &a));
	assert_true(inet_addr_parse("10.0.1.1", &b));
	assert_int_equal(inet_addr_distance(&a, &b), 256);
	assert_int_equal(inet_addr_distance(&b, &a), -256);
	assert_true(inet_addr_parse("fd00::", &a));
	assert_true(inet_addr_parse("fd00::1:0:0:0", &b));
	assert_int_equal(inet_addr_distance(&a, &b), (int64_t)1 << 48);
	assert_true(inet_addr_parse("fe00::", &b));
	assert_int_equal(inet_addr_distance(&a, &b), INT64_MAX);
	assert_true(inet_addr_add(&a, (int64_t)1 << 40));
	assert_string_equal(inet_addr_fmt(&a, buf, sizeof(buf)), "fd00::100:0:0");
}

static void compare(void **state)
{
	struct inet_addr a, b;

	assert_true(inet_addr_parse("10.0.0.1", &a));
	assert_true(inet_addr_parse("10.0.0.2", &b));
	assert_true(inet_addr_cmp(&a, &b) < 0);
	assert_true(inet_addr_cmp(&b, &a) > 0);
	assert_true(inet_addr_parse("::1", &b));
	assert_true(inet_addr_cmp(&a, &b) < 0); /* AF_INET < AF_INET6 */
	assert_false(inet_addr_equal(&a, &b));
}

/* Hash keys: bytes past the family's size are whatever a caller left there; clean zeroes them,
 * keeps host bits, and equal ignores them. */
static void prefix_clean_and_equal(void **state)
{
	struct inet_prefix dirty, clean, other;

	memset(&dirty, 0xab, sizeof(dirty));
	dirty.addr.family = AF_INET;
	memcpy(dirty.addr.bytes, "\x0a\xf4\x01\x05", 4);
	dirty.len = 24;
	inet_prefix_clean(&dirty, &clean);
	assert_int_equal(clean.addr.family, AF_INET);
	assert_int_equal(clean.len, 24);
	assert_memory_equal(clean.addr.bytes, "\x0a\xf4\x01\x05\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_true(inet_prefix_equal(&dirty, &clean));

	inet_prefix_clean(&dirty, &dirty); /* in place */
	assert_memory_equal(&dirty, &clean, sizeof(clean));

	assert_true(inet_prefix_parse("10.244.1.5/24", &other));
	assert_true(inet_prefix_equal(&other, &clean));
	other.len = 25;
	assert_false(inet_prefix_equal(&other, &clean));
	assert_true(inet_prefix_parse("10.244.1.0/24", &other));
	assert_false(inet_prefix_equal(&other, &clean)); /* host bits count */

	assert_true(inet_prefix_parse("fd00::1:5/64", &other));
	inet_prefix_clean(&other, &clean);
	assert_memory_equal(&clean, &other, sizeof(clean));
	other.addr.bytes[15] ^= 1;
	assert_false(inet_prefix_equal(&other, &clean)); /* all 16 bytes count for IPv6 */
	clean.addr.family = AF_INET;
	other.addr.family = AF_INET;
	assert_true(inet_prefix_equal(&other, &clean)); /* ...and only 4 for IPv4 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_and_format),
		cmocka_unit_test(parse_rejects_garbage),
		cmocka_unit_test(prefix_bounds),
		cmocka_unit_test(arithmetic),
		cmocka_unit_test(compare),
		cmocka_unit_test(prefix_clean_and_equal),
	};
	return cmocka_run_group_tests_name("inet", tests, NULL, NULL);
}
