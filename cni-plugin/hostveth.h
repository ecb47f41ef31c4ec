/* Identity of an attachment on the host: the host veth's name, derived from
 * (container ID, ifname), and its alias "weft:<network>:<containerid>:<ifname>", which makes
 * name collisions detectable and lets GC find this network's veths. */
#ifndef WEFT_PLUGIN_HOSTVETH_H
#define WEFT_PLUGIN_HOSTVETH_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni.h"

#define HOSTVETH_PREFIX "wft"
#define HOSTVETH_ALIAS_PREFIX "weft:"
#define HOSTVETH_ALIAS_MAX 256 /* the kernel's IFALIASZ, NUL included */

/* The 64-bit hash behind the name (FNV-1a of "<containerid>/<ifname>", then a murmur3
 * finaliser so every output bit depends on every input bit). */
uint64_t hostveth_hash(const char *containerid, const char *ifname);
/* "wft" + the hash's top 48 bits as 12 lowercase hex digits: always 15 characters, the
 * longest name Linux allows. out holds IF_NAMESIZE bytes. */
void hostveth_name(const char *containerid, const char *ifname, char *out);

/* Format the alias into out (HOSTVETH_ALIAS_MAX bytes): 0, -EINVAL if a part is empty or
 * contains ':', -ENAMETOOLONG if the alias does not fit in 255 bytes. */
int hostveth_alias(const char *network, const char *containerid, const char *ifname, char *out,
		   size_t len);

struct hostveth_owner {
	char network[HOSTVETH_ALIAS_MAX];
	char containerid[HOSTVETH_ALIAS_MAX];
	char ifname[IF_NAMESIZE];
};

/* Parse an alias written by hostveth_alias: true if it is one (exactly four ':'-separated
 * fields, the first "weft", none empty). */
bool hostveth_alias_parse(const char *alias, struct hostveth_owner *out);

#endif
