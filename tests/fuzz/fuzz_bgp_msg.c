/* libFuzzer harness for weftd's BGP decoders: the input is a byte stream as a peer would send
 * it. Every framed message goes through its decoder (UPDATE with 2- and 4-octet, internal and
 * external sessions), announcements that decode cleanly are re-encoded and must decode to the
 * same prefixes, and the whole stream is fed to an Established FSM. Any crash, sanitizer report
 * or broken invariant (abort) is a finding. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/bgp_fsm.h"
#include "daemon/bgp_msg.h"
#include "daemon/bgp_update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct bgp_neg negs[] = {
	{ .as4 = true, .afs = BGP_AF_ALL, .local_as = 64512, .peer_as = 64512, .local_id = 0x0a630001 },
	{ .as4 = true, .ebgp = true, .enforce_first_as = true, .afs = BGP_AF_ALL, .local_as = 64512,
	  .peer_as = 65000, .local_id = 0x0a630001, .cluster_id = 0x0a6300fe },
	{ .as4 = false, .ebgp = true, .afs = BGP_AF_BIT(BGP_AF_IPV4), .local_as = 64512, .peer_as = 65000,
	  .local_id = 0x0a630001 },
	{ .as4 = false, .afs = BGP_AF_BIT(BGP_AF_IPV6), .local_as = 64512, .peer_as = 64512,
	  .local_id = 0x0a630001, .cluster_id = 0x0a6300fe },
};

static void check_err(const struct bgp_err *e)
{
	if (e->len > BGP_ERR_DATA_MAX || e->action > BGP_ACT_RESET)
		abort();
	if (e->action != BGP_ACT_NONE && (!e->reason[0] || !memchr(e->reason, 0, sizeof(e->reason))))
		abort();
}

/* Announcements that decoded cleanly must survive our encoder. */
static void round_trip(const struct bgp_neg *neg, const struct bgp_update *u)
{
	static uint8_t out[BGP_MAX_LEN];

	for (size_t i = 0; i < u->n_lists; i++) {
		const struct bgp_nlri *l = &u->lists[i];
		struct bgp_update v;
		struct bgp_err e;
		size_t used;
		int n;

		if (l->withdraw || !l->n)
			continue;
		n = bgp_update_encode_announce(neg, &u->attrs, (enum bgp_af)l->af, l->pfx, l->n, out,
					       sizeof(out), &used);
		if (n < 0)
			continue; /* e.g. a link-local-only next hop, which we never send */
		if (n > BGP_MAX_LEN || used == 0 || used > l->n)
			abort();
		if (bgp_update_decode(neg, out, (size_t)n, &v, &e) != 0 || e.action != BGP_ACT_NONE)
			abort();
		if (v.n_lists != 1 || v.lists[0].n != used || v.lists[0].withdraw)
			abort();
		if (memcmp(v.lists[0].pfx, l->pfx, used * sizeof(*l->pfx)) != 0)
			abort();
		bgp_update_fini(&v);
	}
}

static void decode_one(const uint8_t *m, size_t len)
{
	struct bgp_err e;

	switch (bgp_msg_type(m)) {
	case BGP_MSG_OPEN: {
		struct bgp_open o;
		int r = bgp_open_decode(m, len, &o, &e);

		check_err(&e);
		if ((r < 0) != (e.action == BGP_ACT_RESET))
			abort();
		if (r == 0) {
			bgp_err_clear(&e);
			r = bgp_open_check(&o, 65000, 64512, 0x0a630001, BGP_AF_ALL, &e);
			check_err(&e);
			if (o.caps.n_unknown > BGP_CAPS_UNKNOWN_MAX)
				abort();
		}
		break;
	}
	case BGP_MSG_UPDATE:
		for (size_t i = 0; i < sizeof(negs) / sizeof(negs[0]); i++) {
			struct bgp_update u;
			int r = bgp_update_decode(&negs[i], m, len, &u, &e);

			check_err(&e);
			if ((r == -EBADMSG) != (e.action == BGP_ACT_RESET))
				abort();
			for (size_t j = 0; r == 0 && j < u.n_lists; j++) {
				const struct bgp_nlri *l = &u.lists[j];

				if (l->af != BGP_AF_IPV4 && l->af != BGP_AF_IPV6)
					abort();
				for (size_t k = 0; k < l->n; k++)
					if (l->pfx[k].addr.family != bgp_af_family((enum bgp_af)l->af) ||
					    l->pfx[k].len > inet_family_bits(l->pfx[k].addr.family))
						abort();
			}
			if (r == 0 && e.action == BGP_ACT_NONE && !u.loop)
				round_trip(&negs[i], &u);
			bgp_update_fini(&u);
		}
		break;
	case BGP_MSG_NOTIFICATION: {
		struct bgp_notify n;
		char text[256];

		if (bgp_notify_decode(m, len, &n) == 0)
			bgp_notify_fmt(text, sizeof(text), n.code, n.subcode, n.data, n.len);
		break;
	}
	case BGP_MSG_ROUTE_REFRESH: {
		struct bgp_refresh r;

		bgp_refresh_decode(m, len, &r, &e);
		check_err(&e);
		break;
	}
	}
}

/* ---- an FSM with a transport that goes nowhere ---------------------------------------------- */

static void f_send(void *ctx, int c, const uint8_t *msg, size_t len)
{
	struct bgp_err e;

	/* Everything we send must frame. */
	bgp_err_clear(&e);
	if (bgp_msg_frame(msg, len, &e) != (int)len)
		abort();
}
static void f_connect(void *ctx) {}
static void f_close(void *ctx, int c) {}
static void f_timer(void *ctx, int c, enum bgp_timer t, unsigned secs) {}
static void f_established(void *ctx, struct bgp_fsm *f) {}
static void f_down(void *ctx, struct bgp_fsm *f, bool keep_stale) {}
static void f_update(void *ctx, struct bgp_fsm *f, const struct bgp_update *u, const struct bgp_err *e) {}
static void f_refresh(void *ctx, struct bgp_fsm *f, enum bgp_af af) {}
static uint64_t f_now(void *ctx)
{
	return 0;
}

static const struct bgp_fsm_ops fops = {
	.send = f_send, .connect = f_connect, .close = f_close, .timer = f_timer,
	.established = f_established, .down = f_down, .update = f_update, .refresh = f_refresh,
	.now = f_now,
};

static void fsm_run(const uint8_t *data, size_t size)
{
	static const struct bgp_fsm_conf conf = {
		.local_as = 64512, .peer_as = 64512, .local_id = 0x0a630001, .hold_time = 90,
		.connect_retry_time = 120, .afs = BGP_AF_ALL, .gr = true, .gr_time = 120,
	};
	struct bgp_caps caps = { .afs = BGP_AF_ALL, .mp = true, .as4 = true, .as4_number = 64512,
				 .route_refresh = true, .gr = true, .gr_afs = BGP_AF_ALL };
	struct bgp_fsm f;
	uint8_t m[128];
	int n;

	bgp_fsm_init(&f, &conf, &fops, NULL);
	bgp_fsm_event(&f, BGP_CONN_PEER, BGP_EV_MANUAL_START);
	bgp_fsm_event(&f, BGP_CONN_OUT, BGP_EV_TCP_CR_ACKED);
	n = bgp_open_encode(m, sizeof(m), 64512, 90, 0x0a630002, &caps);
	bgp_fsm_input(&f, BGP_CONN_OUT, m, (size_t)n);
	n = bgp_keepalive_encode(m, sizeof(m));
	bgp_fsm_input(&f, BGP_CONN_OUT, m, (size_t)n);
	if (f.state != BGP_ESTABLISHED)
		abort();
	/* The stream, in two reads split at a point the data chooses. */
	size_t cut = size ? data[0] % (size + 1) : 0, off;

	off = bgp_fsm_input(&f, BGP_CONN_OUT, data, cut);
	if (off > cut)
		abort();
	bgp_fsm_input(&f, BGP_CONN_OUT, data + off, size - off);
	bgp_fsm_fini(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct bgp_err e;
		int n;

		bgp_err_clear(&e);
		n = bgp_msg_frame(data + off, size - off, &e);
		check_err(&e);
		if (n <= 0)
			break;
		decode_one(data + off, (size_t)n);
		off += (size_t)n;
	}
	fsm_run(data, size);
	return 0;
}
