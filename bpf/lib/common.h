/* What every weft BPF program shares: TC verdicts, EtherTypes and header sizes (macros in the
 * kernel's uapi, so vmlinux.h does not carry them), the verdict convention of the helpers, and
 * the one way to make headers directly readable. */
#ifndef WEFT_BPF_COMMON_H
#define WEFT_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "weft_shared.h"

#define TC_ACT_UNSPEC   (-1) /* tcx: TCX_NEXT; tc: on to the next filter */
#define TC_ACT_OK       0
#define TC_ACT_SHOT     2
#define TC_ACT_REDIRECT 7

/* Helpers return a TC verdict (the packet's fate is decided), a negative WEFT_DROP_* reason
 * (the caller drops it through the one exit in drop.h), or WEFT_CONTINUE (checks passed, carry
 * on). WEFT_CONTINUE is no TC verdict, so it can never leak out of the program by accident. */
#define WEFT_CONTINUE 0x10000

#define ETH_ALEN   6
#define ETH_HLEN   14
#define ETH_P_IP   0x0800
#define ETH_P_ARP  0x0806
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8

#define IP4_HLEN 20
#define IP6_HLEN 40

/* skb->data and skb->data_end through inline asm. Verifier trap: after inlining, clang likes to
 * hoist "skb + offsetof(data)" into a register and load through it later; the verifier only
 * accepts context loads at a constant offset from the unmodified context pointer ("dereference
 * of modified ctx ptr ... disallowed"). The asm pins the load to that form. */
#define PKT_CTX_LOAD(skb, field)                                                              \
	({                                                                                    \
		void *p_;                                                                     \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                                         \
			     : "=r"(p_)                                                       \
			     : "r"(skb), "i"(offsetof(struct __sk_buff, field)));             \
		p_;                                                                           \
	})
#define PKT_DATA(skb) PKT_CTX_LOAD(skb, data)
#define PKT_END(skb)  PKT_CTX_LOAD(skb, data_end)

/* Make the first n bytes of the packet directly readable. A pod's headers are nearly always in
 * the linear area already, but a GSO skb built from page frags need not be: pull once rather
 * than call the packet malformed. Returns false only when the packet is shorter than n.
 * Verifier: any helper that may move skb->data (this one included) invalidates every packet
 * pointer taken before it, so callers load data/data_end after calling this, never before. */
static __always_inline bool pkt_pull(struct __sk_buff *skb, __u32 n)
{
	if (PKT_DATA(skb) + n <= PKT_END(skb))
		return true;
	if (skb->len < n)
		return false;
	return bpf_skb_pull_data(skb, n) == 0;
}

#endif
