/* Unit tests for the host veth's identity: the derived name (deterministic, 15 characters,
 * distinct across inputs) and the alias (format, parse, refusals). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni-plugin/hostveth.h"

static void name_shape(void **state)
{
	char a[IF_NAMESIZE], b[IF_NAMESIZE];

	hostveth_name("c0ffee", "eth0", a);
	hostveth_name("c0ffee", "eth0", b);
	assert_string_equal(a, b); /* deterministic: DEL derives it again */
	assert_int_equal(strlen(a), 15);
	assert_memory_equal(a, "wft", 3);
	for (int i = 3; i < 15; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	/* pinned: a name that later versions of the plugin must still derive (DEL after upgrade) */
	hostveth_name("c1", "eth0", a);
	assert_string_equal(a, "wft54c87e8f1804");
}

static void name_differs(void **state)
{
	char a[IF_NAMESIZE], b[IF_NAMESIZE];

	hostveth_name("c1", "eth0", a);
	hostveth_name("c1", "eth1", b);
	assert_string_not_equal(a, b);
	hostveth_name("c2", "eth0", b);
	assert_string_not_equal(a, b);
	/* the separator matters: "ab"+"c" is not "a"+"bc" */
	hostveth_name("ab", "c", a);
	hostveth_name("a", "bc", b);
	assert_string_not_equal(a, b);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* 200,000 similar container IDs (what runtimes produce: counters, hex) give 200,000 distinct
 * 48-bit names; with a good hash the chance of any collision here is ~7e-5. */
static void name_no_collisions(void **state)
{
	enum { N = 200000 };
	uint64_t *h = malloc(N * sizeof(*h));
	char cid[96];

	assert_non_null(h);
	for (int i = 0; i < N; i++) {
		snprintf(cid, sizeof(cid), "%s%064x", i & 1 ? "default-" : "", (unsigned)i / 2);
		h[i] = hostveth_hash(cid, "eth0") >> 16;
	}
	qsort(h, N, sizeof(*h), cmp_u64);
	for (int i = 1; i < N; i++)
		assert_true(h[i] != h[i - 1]);
	free(h);
}

/* Flipping one input bit flips about half of the 48 name bits. */
static void name_avalanche(void **state)
{
	char cid[] = "0123456789abcdef0123456789abcdef";
	uint64_t base = hostveth_hash(cid, "eth0") >> 16;
	unsigned total = 0, n = 0;

	for (size_t i = 0; i < strlen(cid); i++) {
		for (int bit = 0; bit < 4; bit++) {
			char save = cid[i];

			cid[i] ^= (char)(1 << bit);
			total += (unsigned)__builtin_popcountll(base ^ (hostveth_hash(cid, "eth0") >> 16));
			n++;
			cid[i] = save;
		}
	}
	assert_in_range(total / n, 18, 30);
}

static void alias_round_trip(void **state)
{
	struct hostveth_owner o;
	char alias[HOSTVETH_ALIAS_MAX];

	assert_int_equal(hostveth_alias("net1", "c0ffee", "eth0", alias, sizeof(alias)), 0);
	assert_string_equal(alias, "weft:net1:c0ffee:eth0");
	assert_true(hostveth_alias_parse(alias, &o));
	assert_string_equal(o.network, "net1");
	assert_string_equal(o.containerid, "c0ffee");
	assert_string_equal(o.ifname, "eth0");
}

static void alias_refusals(void **state)
{
	char alias[HOSTVETH_ALIAS_MAX], big[300];

	assert_int_equal(hostveth_alias("a:b", "c", "eth0", alias, sizeof(alias)), -EINVAL);
	assert_int_equal(hostveth_alias("n", "c:1", "eth0", alias, sizeof(alias)), -EINVAL);
	assert_int_equal(hostveth_alias("n", "c", "e:0", alias, sizeof(alias)), -EINVAL);
	assert_int_equal(hostveth_alias("", "c", "eth0", alias, sizeof(alias)), -EINVAL);
	assert_int_equal(hostveth_alias("n", NULL, "eth0", alias, sizeof(alias)), -EINVAL);
	/* 255 bytes fit, 256 do not */
	memset(big, 'c', sizeof(big));
	big[255 - strlen("weft:n::eth0")] = '\0';
	assert_int_equal(hostveth_alias("n", big, "eth0", alias, sizeof(alias)), 0);
	assert_int_equal(strlen(alias), 255);
	big[strlen(big)] = 'c';
	big[256 - strlen("weft:n::eth0")] = '\0';
	assert_int_equal(hostveth_alias("n", big, "eth0", alias, sizeof(alias)), -ENAMETOOLONG);
}

static void alias_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "weft", "weft:", "weft:n", "weft:n:c", "weft:n:c:", "weft::c:eth0", "weft:n::eth0",
		"weft:n:c:eth0:x", "wef:n:c:eth0", "WEFT:n:c:eth0", "calico:n:c:eth0",
		"weft:n:c:0123456789abcdef", /* ifname of 16 bytes */
	};
	struct hostveth_owner o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hostveth_alias_parse(bad[i], &o))
			fail_msg("'%s' parsed as an alias", bad[i]);
	assert_false(hostveth_alias_parse(NULL, &o));
	assert_true(hostveth_alias_parse("weft:n:c:0123456789abcde", &o));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_shape),
		cmocka_unit_test(name_differs),
		cmocka_unit_test(name_no_collisions),
		cmocka_unit_test(name_avalanche),
		cmocka_unit_test(alias_round_trip),
		cmocka_unit_test(alias_refusals),
		cmocka_unit_test(alias_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
