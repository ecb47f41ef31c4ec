/* BGP message layer (daemon/bgp_msg.c): header framing and its NOTIFICATIONs (RFC 4271 §6.1),
 * OPEN as BIRD, FRR, GoBGP and ExaBGP pack their capabilities (one optional parameter for all,
 * or one per capability, unknown ones ignored), every OPEN error with its exact (code, subcode,
 * data), NOTIFICATION/KEEPALIVE/ROUTE-REFRESH round trips and the NLRI prefix codec. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/bgp_msg.h"
#include "test_bgp_util.h"

static uint8_t buf[BGP_MAX_LEN + 64];

/* ---- framing ------------------------------------------------------------------------------- */

static void frame_complete_and_partial(void **state)
{
	struct bgp_err e;
	size_t n = msg_hex(buf, sizeof(buf), BGP_MSG_KEEPALIVE, "");

	bgp_err_clear(&e);
	assert_int_equal(bgp_msg_frame(buf, n, &e), 19);
	/* Fewer bytes than the header, or than the message, ask for more. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bgp_msg_frame(buf, i, &e), 0);
	n = msg_hex(buf, sizeof(buf), BGP_MSG_NOTIFICATION, "06 02 00");
	assert_int_equal(bgp_msg_frame(buf, n - 1, &e), 0);
	assert_int_equal(bgp_msg_frame(buf, n, &e), 22);
	/* Two messages back to back: the first one's length. */
	n += msg_hex(buf + n, sizeof(buf) - n, BGP_MSG_KEEPALIVE, "");
	assert_int_equal(bgp_msg_frame(buf, n, &e), 22);
	assert_int_equal(e.action, BGP_ACT_NONE);
}

static void frame_errors(void **state)
{
	struct bgp_err e;
	size_t n;

	/* RFC 4271 §6.1: marker not all ones -> 1/1, noticed before the header is complete. */
	n = msg_hex(buf, sizeof(buf), BGP_MSG_KEEPALIVE, "");
	buf[3] = 0xfe;
	bgp_err_clear(&e);
	assert_int_equal(bgp_msg_frame(buf, 5, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 1, 1, "");

	/* Length below 19 and above 4096 -> 1/2 with the length field. */
	bgp_msg_header(buf, 18, BGP_MSG_KEEPALIVE);
	bgp_err_clear(&e);
	assert_int_equal(bgp_msg_frame(buf, 19, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 1, 2, "00 12");
	bgp_msg_header(buf, 4097, BGP_MSG_UPDATE);
	bgp_err_clear(&e);
	assert_int_equal(bgp_msg_frame(buf, 19, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 1, 2, "10 01");

	/* Unknown type -> 1/3 with the type (GoBGP 3.10 crashes here; we must not). */
	n = msg_hex(buf, sizeof(buf), 6, "");
	bgp_err_clear(&e);
	assert_int_equal(bgp_msg_frame(buf, n, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 1, 3, "06");
	bgp_msg_header(buf, 19, 0);
	bgp_err_clear(&e);
	assert_int_equal(bgp_msg_frame(buf, 19, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 1, 3, "00");

	/* Per-type minimums; KEEPALIVE exactly 19. */
	static const struct {
		uint8_t type;
		uint16_t len;
	} short_ones[] = {
		{ BGP_MSG_OPEN, 28 }, { BGP_MSG_UPDATE, 22 }, { BGP_MSG_NOTIFICATION, 20 },
		{ BGP_MSG_KEEPALIVE, 20 }, { BGP_MSG_ROUTE_REFRESH, 22 },
	};
	for (size_t i = 0; i < sizeof(short_ones) / sizeof(short_ones[0]); i++) {
		uint8_t want[2];

		memset(buf, 0, 64);
		bgp_msg_header(buf, short_ones[i].len, short_ones[i].type);
		bgp_put16(want, short_ones[i].len);
		bgp_err_clear(&e);
		assert_int_equal(bgp_msg_frame(buf, 64, &e), -EBADMSG);
		assert_int_equal(e.code, 1);
		assert_int_equal(e.subcode, 2);
		assert_int_equal(e.len, 2);
		assert_memory_equal(e.data, want, 2);
	}
}

/* ---- OPEN ---------------------------------------------------------------------------------- */

static void open_bird(void **state)
{
	struct bgp_open o;
	struct bgp_err e;
	/* BIRD 2: all capabilities (1,1,2,64,65,70,71) in one optional parameter. */
	size_t n = open_hex(buf, sizeof(buf), 64512, 240, 0x0a630001,
			    "02 24"
			    " 01 04 00 01 00 01  01 04 00 02 00 01  02 00"
			    " 40 0a 00 78 00 01 01 00 00 02 01 00"
			    " 41 04 00 00 fc 00  46 00  47 00");

	assert_int_equal(bgp_msg_frame(buf, n, &e), (int)n);
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_int_equal(o.version, 4);
	assert_int_equal(o.as, 64512);
	assert_false(o.as_mismatch);
	assert_int_equal(o.hold_time, 240);
	assert_int_equal(o.id, 0x0a630001);
	assert_true(o.caps.mp);
	assert_int_equal(o.caps.afs, BGP_AF_ALL);
	assert_true(o.caps.route_refresh);
	assert_true(o.caps.enhanced_refresh);
	assert_true(o.caps.as4);
	assert_true(o.caps.gr);
	assert_int_equal(o.caps.gr_flags, 0);
	assert_int_equal(o.caps.gr_time, 120);
	assert_int_equal(o.caps.gr_afs, BGP_AF_ALL);
	assert_int_equal(o.caps.gr_fwd, 0);
	assert_int_equal(o.caps.n_unknown, 1);
	assert_int_equal(o.caps.unknown[0], 71);
	assert_int_equal(bgp_open_check(&o, 64512, 64512, 0x0a630002, BGP_AF_ALL, &e), 0);
}

static void open_frr(void **state)
{
	struct bgp_open o;
	struct bgp_err e;
	/* FRR 8.4: one optional parameter per capability, 1,1,128,2,70,65,6,69,73,64,71. */
	size_t n = open_hex(buf, sizeof(buf), 65000, 180, 0x0a630002,
			    "02 06 01 04 00 01 00 01"
			    " 02 06 01 04 00 02 00 01"
			    " 02 02 80 00"
			    " 02 02 02 00"
			    " 02 02 46 00"
			    " 02 06 41 04 00 00 fd e8"
			    " 02 02 06 00"
			    " 02 06 45 04 00 01 01 01"
			    " 02 09 49 07 05 6e 6f 64 65 31 00"
			    " 02 08 40 06 80 78 00 01 01 80"
			    " 02 02 47 00");

	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_int_equal(o.as, 65000);
	assert_int_equal(o.hold_time, 180);
	assert_int_equal(o.caps.afs, BGP_AF_ALL);
	assert_true(o.caps.route_refresh && o.caps.enhanced_refresh && o.caps.ext_message);
	assert_true(o.caps.gr);
	assert_int_equal(o.caps.gr_flags, BGP_GR_RESTART);
	assert_int_equal(o.caps.gr_time, 120);
	assert_int_equal(o.caps.gr_afs, BGP_AF_BIT(BGP_AF_IPV4));
	assert_int_equal(o.caps.gr_fwd, BGP_AF_BIT(BGP_AF_IPV4));
	assert_int_equal(o.caps.n_unknown, 4);
	assert_memory_equal(o.caps.unknown, ((uint8_t[]){ 128, 69, 73, 71 }), 4);
}

static void open_gobgp_exabgp_and_old(void **state)
{
	struct bgp_open o;
	struct bgp_err e;
	/* GoBGP 3.10: 2,73,1,1,65,5 one per parameter, no graceful restart by default. */
	size_t n = open_hex(buf, sizeof(buf), 65001, 90, 0x0a630003,
			    "02 02 02 00"
			    " 02 0a 49 08 06 67 6f 62 67 70 31 00"
			    " 02 06 01 04 00 01 00 01"
			    " 02 06 01 04 00 02 00 01"
			    " 02 06 41 04 00 00 fd e9"
			    " 02 08 05 06 00 01 00 01 00 02");

	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_int_equal(o.as, 65001);
	assert_false(o.caps.gr);
	assert_int_equal(o.caps.afs, BGP_AF_ALL);
	assert_int_equal(o.caps.n_unknown, 2);

	/* ExaBGP 4.2: 1,1,65,6 in one parameter. */
	n = open_hex(buf, sizeof(buf), 65002, 180, 0x0a630004,
		     "02 14 01 04 00 01 00 01 01 04 00 02 00 01 41 04 00 00 fd ea 06 00");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_int_equal(o.as, 65002);
	assert_false(o.caps.route_refresh);
	assert_true(o.caps.ext_message);

	/* A speaker with no capabilities at all is IPv4-only (RFC 4760 §8) and 2-octet. */
	n = open_hex(buf, sizeof(buf), 65003, 180, 0x0a630005, "");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_false(o.caps.mp);
	assert_false(o.caps.as4);
	assert_int_equal(bgp_caps_afs(&o.caps), BGP_AF_BIT(BGP_AF_IPV4));
	assert_int_equal(bgp_open_check(&o, 65003, 64512, 1, BGP_AF_ALL, &e), 0);

	/* A multiprotocol capability for a family we do not speak (L2VPN EVPN) is kept as
	 * "mp" but adds no family: an IPv6-only speaker of ours has nothing in common. */
	n = open_hex(buf, sizeof(buf), 65003, 180, 0x0a630005, "02 06 01 04 00 19 00 46");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_true(o.caps.mp);
	assert_int_equal(bgp_caps_afs(&o.caps), 0);
}

static void open_four_octet_as(void **state)
{
	struct bgp_open o;
	struct bgp_err e;
	/* RFC 6793: AS 4200000001 puts AS_TRANS in My AS. */
	size_t n = open_hex(buf, sizeof(buf), 23456, 90, 0x0a630006, "02 06 41 04 fa 56 ea 01");

	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_int_equal(o.my_as, BGP_AS_TRANS);
	assert_int_equal(o.as, 4200000001u);
	assert_false(o.as_mismatch);
	/* Disagreeing fields are accepted (as BIRD) but flagged. */
	n = open_hex(buf, sizeof(buf), 65010, 90, 0x0a630006, "02 06 41 04 00 00 fd e8");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_int_equal(o.as, 65000);
	assert_true(o.as_mismatch);
}

static void open_extended_params(void **state)
{
	struct bgp_open o;
	struct bgp_err e;
	/* RFC 9072: Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet lengths. */
	size_t n = msg_hex(buf, sizeof(buf), BGP_MSG_OPEN,
			   "04 fc 00 00 b4 0a 63 00 07 ff ff 00 09"
			   " 02 00 06 01 04 00 02 00 01");

	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	assert_int_equal(o.caps.afs, BGP_AF_BIT(BGP_AF_IPV6));
}

static void open_round_trip(void **state)
{
	struct bgp_caps c = {
		.afs = BGP_AF_ALL, .mp = true, .as4 = true, .as4_number = 4200000001u,
		.route_refresh = true, .gr = true, .gr_flags = BGP_GR_RESTART, .gr_time = 90,
		.gr_afs = BGP_AF_ALL, .gr_fwd = BGP_AF_BIT(BGP_AF_IPV6),
	};
	struct bgp_open o;
	struct bgp_err e;
	int n = bgp_open_encode(buf, sizeof(buf), 4200000001u, 90, 0x0a000001, &c);

	assert_true(n > 29);
	assert_int_equal(bgp_msg_frame(buf, (size_t)n, &e), n);
	/* One optional parameter holding every capability. */
	assert_int_equal(buf[28], n - 29);
	assert_int_equal(buf[29], 2);
	assert_int_equal(buf[30], n - 31);
	assert_int_equal(bgp_get16(buf + 20), BGP_AS_TRANS);
	assert_int_equal(bgp_open_decode(buf, (size_t)n, &o, &e), 0);
	assert_int_equal(o.as, 4200000001u);
	assert_int_equal(o.hold_time, 90);
	assert_int_equal(o.id, 0x0a000001);
	assert_int_equal(o.caps.afs, BGP_AF_ALL);
	assert_true(o.caps.as4 && o.caps.route_refresh && o.caps.gr);
	assert_int_equal(o.caps.gr_flags, BGP_GR_RESTART);
	assert_int_equal(o.caps.gr_time, 90);
	assert_int_equal(o.caps.gr_afs, BGP_AF_ALL);
	assert_int_equal(o.caps.gr_fwd, BGP_AF_BIT(BGP_AF_IPV6));
	assert_int_equal(o.caps.n_unknown, 0);
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(bgp_open_encode(buf, (size_t)n - 1, 4200000001u, 90, 1, &c), -EMSGSIZE);
}

static void open_decode_errors(void **state)
{
	struct bgp_open o;
	struct bgp_err e;
	size_t n;

	/* RFC 4271 §6.2: Unsupported Version Number, data = 2-octet version 4. */
	n = open_hex(buf, sizeof(buf), 65000, 90, 1, "");
	buf[19] = 3;
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 1, "00 04");

	/* Hold time 1 and 2 MUST be rejected: 2/6. 0 and 3 are fine. */
	for (uint16_t h = 0; h <= 3; h++) {
		n = open_hex(buf, sizeof(buf), 65000, h, 1, "");
		if (h == 1 || h == 2) {
			assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
			err_is(&e, BGP_ACT_RESET, 2, 6, "");
		} else {
			assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
		}
	}

	/* RFC 6286 §2.2: BGP Identifier 0 -> 2/3. */
	n = open_hex(buf, sizeof(buf), 65000, 90, 0, "");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 3, "00 00 00 00");

	/* RFC 7607: AS 0 -> Bad Peer AS. */
	n = open_hex(buf, sizeof(buf), 0, 90, 1, "");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 2, "");

	/* RFC 5492 §4: a parameter other than Capabilities (1, authentication) -> 2/4. */
	n = open_hex(buf, sizeof(buf), 65000, 90, 1, "01 02 00 00");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 4, "");

	/* Malformed capability values -> 2/0 (Unspecific). */
	static const char *const bad_caps[] = {
		"02 05 01 03 00 01 00",          /* MP of 3 bytes */
		"02 04 41 02 fd e8",             /* 4-octet AS of 2 bytes */
		"02 05 40 03 00 78 00",          /* graceful restart of 3 bytes */
		"02 07 40 05 00 78 00 01 01",    /* graceful restart of 2 + 3 */
		"02 03 02 01 00",                /* route refresh with a value */
		"02 05 01 04 00 01 00",          /* capability runs past its parameter */
		"02 01 01",                      /* capability header cut short */
	};
	for (size_t i = 0; i < sizeof(bad_caps) / sizeof(bad_caps[0]); i++) {
		n = open_hex(buf, sizeof(buf), 65000, 90, 1, bad_caps[i]);
		assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
		err_is(&e, BGP_ACT_RESET, 2, 0, "");
	}
	/* A parameter header cut short, or a parameter longer than the rest -> 2/0. */
	n = open_hex(buf, sizeof(buf), 65000, 90, 1, "02");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 0, "");
	n = open_hex(buf, sizeof(buf), 65000, 90, 1, "02 08 02 00");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 0, "");

	/* Optional Parameters Length disagreeing with the message length -> 1/2. */
	n = open_hex(buf, sizeof(buf), 65000, 90, 1, "02 02 02 00");
	buf[28] = 5;
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 1, 2, "00 21");
	buf[28] = 3;
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 1, 2, "00 21");
	/* Extended parameters whose length disagrees. */
	n = msg_hex(buf, sizeof(buf), BGP_MSG_OPEN, "04 fc 00 00 b4 0a 63 00 07 ff ff 00 20 02 00 00");
	assert_int_equal(bgp_open_decode(buf, n, &o, &e), -EBADMSG);
	assert_int_equal(e.code, 1);
	assert_int_equal(e.subcode, 2);
}

static void open_check_errors(void **state)
{
	struct bgp_open o;
	struct bgp_err e;
	size_t n = open_hex(buf, sizeof(buf), 65000, 90, 0x0a000001, "02 06 01 04 00 01 00 01");

	assert_int_equal(bgp_open_decode(buf, n, &o, &e), 0);
	/* RFC 4271 §6.2: not the configured AS -> 2/2. */
	bgp_err_clear(&e);
	assert_int_equal(bgp_open_check(&o, 65001, 64512, 2, BGP_AF_ALL, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 2, "");
	/* RFC 6286 §2.2: an internal peer with our Identifier -> 2/3 with it. */
	bgp_err_clear(&e);
	assert_int_equal(bgp_open_check(&o, 65000, 65000, 0x0a000001, BGP_AF_ALL, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 3, "0a 00 00 01");
	/* ...an external one may share it. */
	bgp_err_clear(&e);
	assert_int_equal(bgp_open_check(&o, 65000, 64512, 0x0a000001, BGP_AF_ALL, &e), 0);
	/* RFC 5492 §5: no family in common -> 2/7 carrying our multiprotocol capability. */
	bgp_err_clear(&e);
	assert_int_equal(bgp_open_check(&o, 65000, 64512, 2, BGP_AF_BIT(BGP_AF_IPV6), &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 2, 7, "01 04 00 02 00 01");
}

/* ---- NOTIFICATION, KEEPALIVE, ROUTE-REFRESH -------------------------------------------------------- */

static void notification_round_trip(void **state)
{
	struct bgp_notify nt;
	uint8_t data[5000];
	char text[200];
	int n;

	n = bgp_notify_encode(buf, sizeof(buf), 3, 11, (const uint8_t *)"\x40\x02\x01\x07", 4);
	assert_int_equal(n, 25);
	assert_int_equal(bgp_notify_decode(buf, (size_t)n, &nt), 0);
	assert_int_equal(nt.code, 3);
	assert_int_equal(nt.subcode, 11);
	assert_int_equal(nt.len, 4);
	assert_memory_equal(nt.data, "\x40\x02\x01\x07", 4);
	bgp_notify_fmt(text, sizeof(text), nt.code, nt.subcode, nt.data, nt.len);
	assert_string_equal(text, "UPDATE Message Error/Malformed AS_PATH [40 02 01 07]");

	/* Data that cannot fit is cut at the 4096-byte message size. */
	memset(data, 0xab, sizeof(data));
	n = bgp_notify_encode(buf, sizeof(buf), 3, 1, data, sizeof(data));
	assert_int_equal(n, 4096);
	assert_int_equal(bgp_get16(buf + 16), 4096);

	/* RFC 9003: a Cease shutdown communication is shown as text. */
	n = bgp_notify_encode(buf, sizeof(buf), 6, 2, (const uint8_t *)"\x0bmaintenance", 12);
	assert_int_equal(bgp_notify_decode(buf, (size_t)n, &nt), 0);
	bgp_notify_fmt(text, sizeof(text), nt.code, nt.subcode, nt.data, nt.len);
	assert_string_equal(text, "Cease/Administrative Shutdown: \"maintenance\"");
	bgp_notify_fmt(text, sizeof(text), 4, 0, NULL, 0);
	assert_string_equal(text, "Hold Timer Expired/Unspecific");
	bgp_notify_fmt(text, sizeof(text), 9, 9, NULL, 0);
	assert_string_equal(text, "Unknown/Unknown");
	/* Truncation keeps the string terminated. */
	bgp_notify_fmt(text, 8, 6, 2, (const uint8_t *)"\x0bmaintenance", 12);
	assert_int_equal(strlen(text), 7);
}

static void keepalive_and_refresh(void **state)
{
	struct bgp_refresh r;
	struct bgp_err e;
	int n;

	assert_int_equal(bgp_keepalive_encode(buf, sizeof(buf)), 19);
	assert_int_equal(bgp_msg_frame(buf, 19, &e), 19);
	assert_int_equal(bgp_msg_type(buf), BGP_MSG_KEEPALIVE);
	assert_int_equal(bgp_keepalive_encode(buf, 18), -EMSGSIZE);

	n = bgp_refresh_encode(buf, sizeof(buf), BGP_AF_IPV6);
	assert_int_equal(n, 23);
	assert_int_equal(bgp_refresh_decode(buf, 23, &r, &e), 0);
	assert_int_equal(r.afi, 2);
	assert_int_equal(r.safi, 1);
	assert_int_equal(r.subtype, 0);

	/* RFC 7313 §5: a longer ROUTE-REFRESH -> 7/1 with the whole message. */
	n = msg_hex(buf, sizeof(buf), BGP_MSG_ROUTE_REFRESH, "00 01 00 01 ff");
	assert_int_equal(bgp_msg_frame(buf, (size_t)n, &e), n);
	assert_int_equal(bgp_refresh_decode(buf, (size_t)n, &r, &e), -EBADMSG);
	err_is(&e, BGP_ACT_RESET, 7, 1,
	       "ffffffffffffffffffffffffffffffff 0018 05 0001 00 01 ff");
}

/* ---- NLRI ---------------------------------------------------------------------------------- */

static void nlri_codec(void **state)
{
	struct inet_prefix out[8];
	char s[INET_PREFIXSTR];
	uint8_t b[64];
	int n;

	/* 0/0, /8, /24, /31, /32. */
	n = (int)hexbytes("00 08 0a 18 0a 14 01 1f c0 a8 01 fe 20 c0 a8 01 01", b, sizeof(b));
	assert_int_equal(bgp_nlri_decode(AF_INET, b, (size_t)n, NULL, 0), 5);
	assert_int_equal(bgp_nlri_decode(AF_INET, b, (size_t)n, out, 8), 5);
	assert_string_equal(inet_prefix_fmt(&out[0], s, sizeof(s)), "0.0.0.0/0");
	assert_string_equal(inet_prefix_fmt(&out[1], s, sizeof(s)), "10.0.0.0/8");
	assert_string_equal(inet_prefix_fmt(&out[2], s, sizeof(s)), "10.20.1.0/24");
	assert_string_equal(inet_prefix_fmt(&out[3], s, sizeof(s)), "192.168.1.254/31");
	assert_string_equal(inet_prefix_fmt(&out[4], s, sizeof(s)), "192.168.1.1/32");
	/* Too small an output array. */
	assert_int_equal(bgp_nlri_decode(AF_INET, b, (size_t)n, out, 2), -ENOBUFS);
	/* Host bits inside the last octet are cleared too. */
	n = (int)hexbytes("1c 0a 14 01 ff", b, sizeof(b));
	assert_int_equal(bgp_nlri_decode(AF_INET, b, (size_t)n, out, 8), 1);
	assert_string_equal(inet_prefix_fmt(&out[0], s, sizeof(s)), "10.20.1.240/28");

	/* RFC 7606 §5.3: a length beyond 32 (128), or a prefix past the end. */
	n = (int)hexbytes("21 0a 00 00 00 00", b, sizeof(b));
	assert_int_equal(bgp_nlri_decode(AF_INET, b, (size_t)n, NULL, 0), -EBADMSG);
	n = (int)hexbytes("18 0a 14", b, sizeof(b));
	assert_int_equal(bgp_nlri_decode(AF_INET, b, (size_t)n, NULL, 0), -EBADMSG);
	n = (int)hexbytes("81", b, sizeof(b));
	assert_int_equal(bgp_nlri_decode(AF_INET6, b, (size_t)n, NULL, 0), -EBADMSG);
	n = (int)hexbytes("40 fd 00 00 00 00 01 00 00 80 fd000000000000000000000000000001", b, sizeof(b));
	assert_int_equal(bgp_nlri_decode(AF_INET6, b, (size_t)n, out, 8), 2);
	assert_string_equal(inet_prefix_fmt(&out[0], s, sizeof(s)), "fd00:0:1::/64");
	assert_string_equal(inet_prefix_fmt(&out[1], s, sizeof(s)), "fd00::1/128");

	/* Encoding: only the significant octets, host bits masked. */
	struct inet_prefix p = pfx("10.20.1.7/24");
	assert_int_equal(bgp_nlri_encode(&p, b, sizeof(b)), 4);
	assert_memory_equal(b, "\x18\x0a\x14\x01", 4);
	assert_int_equal(bgp_nlri_size(&p), 4);
	assert_int_equal(bgp_nlri_encode(&p, b, 3), -EMSGSIZE);
	p = pfx("10.20.1.7/20");
	assert_int_equal(bgp_nlri_encode(&p, b, sizeof(b)), 4);
	assert_memory_equal(b, "\x14\x0a\x14\x00", 4);
}

static void af_helpers(void **state)
{
	assert_int_equal(bgp_af_from_afi(1, 1), BGP_AF_IPV4);
	assert_int_equal(bgp_af_from_afi(2, 1), BGP_AF_IPV6);
	assert_int_equal(bgp_af_from_afi(2, 2), -1);
	assert_int_equal(bgp_af_from_afi(25, 70), -1);
	assert_int_equal(bgp_af_family(BGP_AF_IPV6), AF_INET6);
	assert_string_equal(bgp_af_name(BGP_AF_IPV4), "ipv4-unicast");
	assert_string_equal(bgp_err_subcode_name(6, 7), "Connection Collision Resolution");
	assert_string_equal(bgp_err_subcode_name(5, 3), "Receive Unexpected Message in Established State");
	assert_string_equal(bgp_err_subcode_name(3, 7), "Unknown");
}

static void err_strongest_wins(void **state)
{
	struct bgp_err e;

	bgp_err_clear(&e);
	bgp_err_set(&e, BGP_ACT_DISCARD, 3, 5, "a", 1, "first discard");
	bgp_err_set(&e, BGP_ACT_DISCARD, 3, 9, "b", 1, "second discard");
	assert_string_equal(e.reason, "first discard");
	bgp_err_set(&e, BGP_ACT_WITHDRAW, 3, 6, "c", 1, "withdraw");
	assert_int_equal(e.action, BGP_ACT_WITHDRAW);
	assert_int_equal(e.subcode, 6);
	bgp_err_set(&e, BGP_ACT_DISCARD, 3, 9, "d", 1, "weaker");
	assert_string_equal(e.reason, "withdraw");
	bgp_err_set(&e, BGP_ACT_RESET, 3, 1, NULL, 0, "reset");
	assert_int_equal(e.action, BGP_ACT_RESET);
	assert_int_equal(e.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_complete_and_partial),
		cmocka_unit_test(frame_errors),
		cmocka_unit_test(open_bird),
		cmocka_unit_test(open_frr),
		cmocka_unit_test(open_gobgp_exabgp_and_old),
		cmocka_unit_test(open_four_octet_as),
		cmocka_unit_test(open_extended_params),
		cmocka_unit_test(open_round_trip),
		cmocka_unit_test(open_decode_errors),
		cmocka_unit_test(open_check_errors),
		cmocka_unit_test(notification_round_trip),
		cmocka_unit_test(keepalive_and_refresh),
		cmocka_unit_test(nlri_codec),
		cmocka_unit_test(af_helpers),
		cmocka_unit_test(err_strongest_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
