/* Host veth identity: a deterministic 15-character name per (container ID, ifname) and the
 * alias that records whose it is. The name must be derivable from DEL's environment alone,
 * since DEL may arrive without prevResult and without a namespace. */
#include "hostveth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

uint64_t hostveth_hash(const char *containerid, const char *ifname)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
	const char *parts[3] = { containerid, "/", ifname };

	for (int i = 0; i < 3; i++)
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
			h ^= *p;
			h *= 0x100000001b3ULL; /* FNV prime */
		}
	/* murmur3 fmix64: FNV's high bits depend weakly on the last bytes; mix them in. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

void hostveth_name(const char *containerid, const char *ifname, char *out)
{
	snprintf(out, IF_NAMESIZE, HOSTVETH_PREFIX "%012llx",
		 (unsigned long long)(hostveth_hash(containerid, ifname) >> 16));
}

static bool alias_part_ok(const char *s)
{
	return s && s[0] && !strchr(s, ':');
}

int hostveth_alias(const char *network, const char *containerid, const char *ifname, char *out,
		   size_t len)
{
	int n;

	if (!alias_part_ok(network) || !alias_part_ok(containerid) || !alias_part_ok(ifname))
		return -EINVAL;
	n = snprintf(out, len, HOSTVETH_ALIAS_PREFIX "%s:%s:%s", network, containerid, ifname);
	if (n < 0 || (size_t)n >= len || n >= HOSTVETH_ALIAS_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Copy the field [s, end) into out; false if empty or too long. */
static bool alias_field(const char *s, const char *end, char *out, size_t len)
{
	size_t n = (size_t)(end - s);

	if (n == 0 || n >= len)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

bool hostveth_alias_parse(const char *alias, struct hostveth_owner *out)
{
	const char *net, *cid, *ifn;

	memset(out, 0, sizeof(*out));
	if (!alias || strncmp(alias, HOSTVETH_ALIAS_PREFIX, strlen(HOSTVETH_ALIAS_PREFIX)) != 0)
		return false;
	net = alias + strlen(HOSTVETH_ALIAS_PREFIX);
	cid = strchr(net, ':');
	if (!cid)
		return false;
	ifn = strchr(cid + 1, ':');
	if (!ifn || strchr(ifn + 1, ':'))
		return false;
	return alias_field(net, cid, out->network, sizeof(out->network)) &&
	       alias_field(cid + 1, ifn, out->containerid, sizeof(out->containerid)) &&
	       alias_field(ifn + 1, ifn + 1 + strlen(ifn + 1), out->ifname, sizeof(out->ifname));
}
