/* IPv4/IPv6 addresses and prefixes as plain values: parse, format, compare, step.
 * Both families live in one 16-byte array (IPv4 in the first 4 bytes) so allocators and
 * netlink code handle dual stack with one type. */
#ifndef WEFT_INET_H
#define WEFT_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define INET_ADDRSTR 46 /* INET6_ADDRSTRLEN */
#define INET_PREFIXSTR (INET_ADDRSTR + 4)

struct inet_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	uint8_t bytes[16];
};

struct inet_prefix {
	struct inet_addr addr;
	uint8_t len;
};

static inline size_t inet_addr_size(const struct inet_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

static inline unsigned inet_family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Parsers return true on success; they accept only the canonical textual forms inet_pton takes. */
bool inet_addr_parse(const char *s, struct inet_addr *out);
/* "a.b.c.d/len" or "x::y/len"; the address keeps its host bits (10.0.0.5/24 stays .5). */
bool inet_prefix_parse(const char *s, struct inet_prefix *out);

/* Format into buf (at least INET_ADDRSTR / INET_PREFIXSTR bytes); return buf. */
char *inet_addr_fmt(const struct inet_addr *a, char *buf, size_t len);
char *inet_prefix_fmt(const struct inet_prefix *p, char *buf, size_t len);

bool inet_addr_equal(const struct inet_addr *a, const struct inet_addr *b);
/* <0, 0, >0 like memcmp; addresses of different families order by family. */
int inet_addr_cmp(const struct inet_addr *a, const struct inet_addr *b);

/* The prefix with host bits cleared; the last address (broadcast for IPv4). */
void inet_prefix_network(const struct inet_prefix *p, struct inet_addr *out);
void inet_prefix_last(const struct inet_prefix *p, struct inet_addr *out);
bool inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *a);
/* Host bits of the prefix are zero. */
bool inet_prefix_is_canonical(const struct inet_prefix *p);
/* in with every byte past its family's size zeroed (host bits kept), so that equal prefixes
 * hash alike whatever a caller left in the unused bytes. */
void inet_prefix_clean(const struct inet_prefix *in, struct inet_prefix *out);
/* Same family, length and address, judged on the family's bytes only. */
bool inet_prefix_equal(const struct inet_prefix *a, const struct inet_prefix *b);

/* a += n (n may be negative); returns false on overflow of the address space. */
bool inet_addr_add(struct inet_addr *a, int64_t n);
/* b - a, saturated at INT64_MAX / INT64_MIN (IPv6 distances can exceed 64 bits). */
int64_t inet_addr_distance(const struct inet_addr *a, const struct inet_addr *b);

#endif
