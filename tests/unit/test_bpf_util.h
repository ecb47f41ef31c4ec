/* Helpers shared by the test_bpf_*.c unit tests: building frames by hand (Ethernet header, the
 * Internet checksum), putting an endpoint into the maps as weftd would, and running a shell
 * command for the tests that wire real namespaces. */
#ifndef WEFT_TEST_BPF_UTIL_H
#define WEFT_TEST_BPF_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include "weft_shared.h"

static inline size_t put_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t proto)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p[12] = (uint8_t)(proto >> 8);
	p[13] = (uint8_t)proto;
	return 14;
}

/* One's-complement sum of 16-bit words (RFC 1071), added to sum; fold() finishes it. */
static inline uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static inline uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An endpoint into the maps as weftd leaves them when no address slot is shared: weft_ep_if,
 * weft_ep_ip under its IPv4 and IPv6 addresses, and those addresses' slots in weft_ep_ipslot
 * (where the programs look first: an empty slot says "no local pod"). 0, or -1 at a failure. */
static inline int ep_maps_put(int fd_if, int fd_ip, int fd_ipslot, const struct weft_endpoint *ep)
{
	struct weft_ip_key k;
	uint32_t slot;

	if (bpf_map_update_elem(fd_if, &ep->ifindex, ep, BPF_ANY) < 0)
		return -1;
	for (int family = 4; family <= 6; family += 2) {
		memset(&k, 0, sizeof(k));
		k.family = (uint8_t)family;
		memcpy(k.addr, family == 4 ? ep->ipv4 : ep->ipv6, family == 4 ? 4 : 16);
		slot = WEFT_IPSLOT(family, k.addr);
		if (bpf_map_update_elem(fd_ip, &k, ep, BPF_ANY) < 0 || bpf_map_update_elem(fd_ipslot, &slot, ep, BPF_ANY) < 0)
			return -1;
	}
	return 0;
}

/* Run a formatted shell command; its exit status, -1 if it could not run, 128 if killed. */
static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#endif
