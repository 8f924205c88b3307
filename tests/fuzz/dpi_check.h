/* dpi_check.h - the invariants of a data plane event, shared by the data
 * plane fuzzers (fuzz_xdp.c: one frame; fuzz_flow.c: several frames of one
 * flow): the wire version and tunnel context agree with the flow key, a DPI
 * name sits inside its buffer with a NUL after it and its length field
 * right, is made only of bytes its parser accepts and (HTTP/1, TLS) appears
 * verbatim in the bytes sent (cur, cur_n: the frame, or every frame of the
 * flow so far); a partial result carries no name; at most 16 DPI events
 * come from one packet (reset dpi_events before each). A broken invariant
 * aborts (the fuzzer's crash). Header-only: each fuzzer is one binary. */
#ifndef LS_FUZZ_DPI_CHECK_H
#define LS_FUZZ_DPI_CHECK_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/wire.h"

static const uint8_t *cur;
static size_t cur_n;
/* names decoded from another form (HPACK, QUIC's protected Initials) are
 * not in the bytes as sent: verbatim checks skip them when this is set */
static int decoded_ok;

static void die(const char *why, const struct ls_event *ev)
{
	fprintf(stderr, "data plane invariant broken: %s (event kind %u)\n", why,
		ev ? ev->kind : 0);
	abort();
}

static int visible(uint8_t c)
{
	return c > 0x20 && c < 0x7f;
}

/* RFC 9110 5.6.2 */
static int tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* DPI events of the frame being run: one packet gives at most 16 (DNS
 * questions) or 8 (pipelined requests) */
static int dpi_events;

/* name within its buffer, NUL after it, length agrees */
static size_t check_str(const char *s, size_t cap, size_t claimed, const struct ls_event *ev)
{
	if (claimed >= cap)
		die("length past its buffer", ev);
	size_t n = strnlen(s, cap);
	if (n == cap)
		die("no NUL inside the buffer", ev);
	if (n != claimed)
		die("length field disagrees with the string", ev);
	for (size_t i = n; i < cap; i++)
		if (s[i])
			die("bytes after the NUL", ev);
	return n;
}

static void check_event(void *ctx, const struct ls_event *ev)
{
	(void)ctx;
	if (ev->version != LS_WIRE_VERSION)
		die("wrong wire version", ev);
	/* the outer header (wire v2): within the parser's limits, and the
	 * flow key names the same innermost tunnel */
	const struct ls_tunnel *t = &ev->tun;
	if (t->depth > LS_ENCAP_MAX || t->type > LS_TUN_TEREDO || (!t->type != !t->depth))
		die("tunnel depth or type out of range", ev);
	if (ev->kind != LS_EV_FAILSAFE && ev->kind != LS_EV_BEAT &&
	    (ev->key.tun_type != t->type || ev->key.tun_id != t->id))
		die("flow key and tunnel context disagree", ev);
	if (!t->type && (t->id || t->outer_family))
		die("a tunnel id or outer family with no tunnel", ev);
	if (ev->kind != LS_EV_DPI)
		return;
	const struct ls_event_dpi *d = &ev->u.dpi;
	if (++dpi_events > 16)
		die("more than 16 DPI events from one packet", ev);
	size_t nl = check_str(d->name, sizeof(d->name), d->name_len, ev);
	size_t pl = check_str(d->path, sizeof(d->path), d->path_len, ev);
	size_t ml = check_str(d->method, sizeof(d->method), d->method_len, ev);
	if ((d->flags & LS_DPI_F_PARTIAL) && (nl || pl || ml))
		die("a partial result carries a name", ev);
	if (pl > 128)
		die("path longer than 128 bytes", ev);
	switch (d->kind) {
	case LS_DPI_HTTP:
		if (!(d->flags & LS_DPI_F_PARTIAL) && !ml)
			die("HTTP result without a method", ev);
		for (size_t i = 0; i < ml; i++)
			if (!tchar((uint8_t)d->method[i]))
				die("method byte (not a tchar)", ev);
		for (size_t i = 0; i < nl; i++)
			if (!visible((uint8_t)d->name[i]))
				die("host byte", ev);
		for (size_t i = 0; i < pl; i++)
			if (!visible((uint8_t)d->path[i]))
				die("path byte", ev);
		if (decoded_ok && (d->flags & LS_DPI_F_H2))
			break;
		if (nl && !memmem(cur, cur_n, d->name, nl))
			die("host not in the frame", ev);
		if (pl && !memmem(cur, cur_n, d->path, pl))
			die("path not in the frame", ev);
		if (ml && !memmem(cur, cur_n, d->method, ml))
			die("method not in the frame", ev);
		break;
	case LS_DPI_TLS:
		if (pl || ml)
			die("TLS result with HTTP fields", ev);
		for (size_t i = 0; i < nl; i++)
			if (!visible((uint8_t)d->name[i]))
				die("SNI byte", ev);
		if (decoded_ok && (d->flags & LS_DPI_F_QUIC))
			break;
		if (nl && !memmem(cur, cur_n, d->name, nl))
			die("SNI not in the frame", ev);
		break;
	case LS_DPI_DNS:
		if (pl || ml)
			die("DNS result with HTTP fields", ev);
		if (!(d->flags & LS_DPI_F_PARTIAL) && !nl)
			die("DNS result without a name", ev);
		/* "." alone is the root */
		if (nl > 1 &&
		    (d->name[0] == '.' || d->name[nl - 1] == '.' || strstr(d->name, "..")))
			die("empty DNS label", ev);
		break;
	default:
		die("unknown DPI kind", ev);
	}
}

#endif
