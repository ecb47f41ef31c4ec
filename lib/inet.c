/* IPv4/IPv6 address and prefix values: parsing, formatting and arithmetic shared by the
 * IPAM allocator and the plugin's netlink code. */
#include "inet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool inet_addr_parse(const char *s, struct inet_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return false;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, out->bytes) != 1)
			return false;
		out->family = AF_INET6;
		return true;
	}
	if (inet_pton(AF_INET, s, out->bytes) != 1)
		return false;
	out->family = AF_INET;
	return true;
}

bool inet_prefix_parse(const char *s, struct inet_prefix *out)
{
	char buf[INET_PREFIXSTR];
	const char *slash;
	char *end;
	long len;

	memset(out, 0, sizeof(*out));
	if (!s || !(slash = strchr(s, '/')) || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (!inet_addr_parse(buf, &out->addr))
		return false;
	if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
		return false;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || *end || len < 0 || len > (long)inet_family_bits(out->addr.family))
		return false;
	out->len = (uint8_t)len;
	return true;
}

char *inet_addr_fmt(const struct inet_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

char *inet_prefix_fmt(const struct inet_prefix *p, char *buf, size_t len)
{
	char a[INET_ADDRSTR];

	snprintf(buf, len, "%s/%u", inet_addr_fmt(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

bool inet_addr_equal(const struct inet_addr *a, const struct inet_addr *b)
{
	return inet_addr_cmp(a, b) == 0;
}

int inet_addr_cmp(const struct inet_addr *a, const struct inet_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, inet_addr_size(a));
}

/* Set every bit from prefix length to the end of the family to `value`. */
static void host_bits_set(const struct inet_prefix *p, struct inet_addr *out, bool value)
{
	unsigned bits = inet_family_bits(p->addr.family);

	*out = p->addr;
	for (unsigned i = p->len; i < bits; i++) {
		uint8_t mask = (uint8_t)(0x80u >> (i % 8));

		if (value)
			out->bytes[i / 8] |= mask;
		else
			out->bytes[i / 8] &= (uint8_t)~mask;
	}
}

void inet_prefix_network(const struct inet_prefix *p, struct inet_addr *out)
{
	host_bits_set(p, out, false);
}

void inet_prefix_last(const struct inet_prefix *p, struct inet_addr *out)
{
	host_bits_set(p, out, true);
}

bool inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *a)
{
	struct inet_prefix q = { .addr = *a, .len = p->len };
	struct inet_addr na, nb;

	if (a->family != p->addr.family)
		return false;
	inet_prefix_network(p, &na);
	inet_prefix_network(&q, &nb);
	return inet_addr_equal(&na, &nb);
}

bool inet_prefix_is_canonical(const struct inet_prefix *p)
{
	struct inet_addr n;

	inet_prefix_network(p, &n);
	return inet_addr_equal(&n, &p->addr);
}

void inet_prefix_clean(const struct inet_prefix *in, struct inet_prefix *out)
{
	struct inet_prefix c;

	/* Through a copy: in and out may be the same prefix. */
	memset(&c, 0, sizeof(c));
	c.addr.family = in->addr.family;
	memcpy(c.addr.bytes, in->addr.bytes, inet_addr_size(&in->addr));
	c.len = in->len;
	*out = c;
}

bool inet_prefix_equal(const struct inet_prefix *a, const struct inet_prefix *b)
{
	return a->len == b->len && inet_addr_equal(&a->addr, &b->addr);
}

bool inet_addr_add(struct inet_addr *a, int64_t n)
{
	size_t size = inet_addr_size(a);
	uint64_t mag = n < 0 ? (uint64_t)(-(n + 1)) + 1 : (uint64_t)n;
	unsigned carry = 0;

	for (size_t i = size; i-- > 0;) {
		unsigned byte = (unsigned)(mag & 0xff);
		int v;

		mag >>= 8;
		if (n >= 0) {
			v = a->bytes[i] + byte + carry;
			carry = v > 0xff;
		} else {
			v = a->bytes[i] - (int)byte - (int)carry;
			carry = v < 0;
			if (carry)
				v += 0x100;
		}
		a->bytes[i] = (uint8_t)(v & 0xff);
	}
	return carry == 0 && mag == 0;
}

int64_t inet_addr_distance(const struct inet_addr *a, const struct inet_addr *b)
{
	size_t size = inet_addr_size(a);
	const struct inet_addr *lo = a, *hi = b;
	int sign = 1;
	uint64_t diff = 0;
	int borrow = 0;

	if (inet_addr_cmp(a, b) > 0) {
		lo = b;
		hi = a;
		sign = -1;
	}
	/* Subtract byte by byte; anything that does not fit 63 bits saturates. */
	uint8_t d[16];
	for (size_t i = size; i-- > 0;) {
		int v = hi->bytes[i] - lo->bytes[i] - borrow;

		borrow = v < 0;
		d[i] = (uint8_t)(borrow ? v + 0x100 : v);
	}
	for (size_t i = 0; i < size; i++) {
		if (size - i > 8 && d[i])
			return sign > 0 ? INT64_MAX : INT64_MIN;
		if (size - i <= 8)
			diff = (diff << 8) | d[i];
	}
	if (diff > (uint64_t)INT64_MAX)
		return sign > 0 ? INT64_MAX : INT64_MIN;
	return sign * (int64_t)diff;
}
