/* Masquerade for pod traffic that leaves the cluster: one nftables table of weftd's own
 * ("inet weft_<node>", a nat chain at postrouting), written through nf_tables netlink (libmnl)
 * in one batch, so it is replaced atomically and never seen half written. Conntrack makes the
 * replies find their way back. Library code: 0 or -errno with a sentence in err. */
#ifndef WEFTD_MASQ_H
#define WEFTD_MASQ_H

#include <stddef.h>

#include "inet.h"

#define MASQ_TABLE_MAX 80

/* The table's name for node: "weft_" and the node name with anything but letters, digits and
 * '_' turned into '_' (so `nft list table inet weft_node_1` can be typed as is). */
void masq_table_name(const char *node, char *buf, size_t len);

/* Replace the table with: for each pod CIDR, packets from it to any cluster CIDR of its family
 * are left alone, packets from it to anywhere else are masqueraded (to the address of the
 * interface they leave by). */
int masq_apply(const char *table, const struct inet_prefix *pods, size_t n_pods, const struct inet_prefix *cluster,
	       size_t n_cluster, char *err, size_t errlen);
/* Remove the table; absent is fine. */
int masq_remove(const char *table, char *err, size_t errlen);

#endif
