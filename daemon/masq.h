/* weftd's one nftables table ("inet weft_<node>"), written through nf_tables netlink (libmnl) in
 * one batch, so it is replaced atomically and never seen half written. It holds the masquerade
 * of pod traffic that leaves the cluster (a nat chain at postrouting; conntrack makes the replies
 * find their way back), and in overlay mode "notrack" for the VXLAN port at prerouting and
 * output: the tunnel's packets need no connection tracking, and since VXLAN derives the UDP
 * source port from the inner flow, every new pod connection would otherwise cost a conntrack
 * entry on both nodes. Library code: 0 or -errno with a sentence in err. */
#ifndef WEFTD_MASQ_H
#define WEFTD_MASQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"

#define MASQ_TABLE_MAX 80

/* The table's name for node: "weft_" and the node name with anything but letters, digits and
 * '_' turned into '_' (so `nft list table inet weft_node_1` can be typed as is). */
void masq_table_name(const char *node, char *buf, size_t len);

struct masq_spec {
	/* For each pod CIDR, packets from it to any cluster CIDR of its family are left alone,
	 * packets from it to anywhere else are masqueraded (to the address of the interface they
	 * leave by). */
	bool masquerade;
	const struct inet_prefix *pods, *cluster;
	size_t n_pods, n_cluster;
	uint16_t notrack_udp_port; /* 0: none */
};

/* Replace the table with what spec says. */
int masq_apply(const char *table, const struct masq_spec *spec, char *err, size_t errlen);
/* Remove the table; absent is fine. */
int masq_remove(const char *table, char *err, size_t errlen);

#endif
