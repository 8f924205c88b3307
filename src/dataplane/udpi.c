/* udpi.c - user-space DPI dispatch and per-flow state (see udpi.h). */
#include "dataplane/udpi.h"

#include <stdlib.h>
#include <string.h>

#include "dataplane/h2_request.h"
#include "dataplane/quic_initial.h"

struct slot {
	uint64_t flow_id;	   /* owner; 0: free */
	struct ls_quic_flow *quic; /* LS_PAY_QUIC state, allocated on use */
	struct ls_h2_conn *h2;	   /* LS_PAY_H2 state, allocated on use */
	uint32_t h2_next;	   /* the TCP sequence number of the next byte */
	int done;		   /* reported (or gave up): later payloads are ignored */
};

struct ls_udpi {
	struct slot slots[LS_UDPI_SLOTS];
	struct ls_udpi_stats st;
};

struct ls_udpi *ls_udpi_new(void)
{
	return calloc(1, sizeof(struct ls_udpi));
}

static void slot_clear(struct slot *s)
{
	free(s->quic);
	free(s->h2);
	memset(s, 0, sizeof(*s));
}

void ls_udpi_free(struct ls_udpi *u)
{
	if (!u)
		return;
	for (int i = 0; i < LS_UDPI_SLOTS; i++)
		slot_clear(&u->slots[i]);
	free(u);
}

static struct slot *slot_of(struct ls_udpi *u, uint64_t flow_id, int make)
{
	/* flow ids are per-CPU counters: mix before taking the low bits */
	uint64_t h = flow_id * 0x9e3779b97f4a7c15ull;
	struct slot *s = &u->slots[h >> 56 & (LS_UDPI_SLOTS - 1)];
	if (s->flow_id == flow_id)
		return s;
	if (!make)
		return NULL;
	if (s->flow_id)
		u->st.evicted++;
	slot_clear(s);
	s->flow_id = flow_id;
	return s;
}

void ls_udpi_forget(struct ls_udpi *u, uint64_t flow_id)
{
	struct slot *s = u ? slot_of(u, flow_id, 0) : NULL;
	if (s)
		slot_clear(s);
}

void ls_udpi_stats(const struct ls_udpi *u, struct ls_udpi_stats *out)
{
	*out = u->st;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t n, uint8_t *flags)
{
	if (n > cap) {
		n = cap;
		*flags |= LS_DPI_F_TRUNCATED;
	}
	memcpy(dst, src, n);
}

/* out: an empty LS_EV_DPI with the header of the payload record ev (its
 * flow, key, direction and time), whoever decoded it. */
static struct ls_event_dpi *dpi_of(struct ls_event *out, const struct ls_event *ev)
{
	memcpy(out, ev, sizeof(*out));
	out->kind = LS_EV_DPI;
	memset(&out->u, 0, sizeof(out->u));
	return &out->u.dpi;
}

static int quic(struct ls_udpi *u, struct slot *s, const struct ls_event *ev, const uint8_t *pay,
		struct ls_event *out)
{
	struct ls_hello h;
	if (s->done)
		return 0;
	if (!s->quic && !(s->quic = calloc(1, sizeof(*s->quic))))
		return 0;
	int rc = ls_quic_datagram(s->quic, pay, ev->u.payload.cap_len, &h);
	if (rc == LS_QUIC_MALFORMED)
		u->st.malformed++;
	if (rc != LS_QUIC_HELLO)
		return 0;
	/* the flow's decoding is over: its memory goes, a done mark stays */
	free(s->quic);
	s->quic = NULL;
	s->done = 1;
	struct ls_event_dpi *d = dpi_of(out, ev);
	d->kind = LS_DPI_TLS;
	d->flags = LS_DPI_F_QUIC | (h.truncated ? LS_DPI_F_TRUNCATED : 0);
	copy_field(d->name, sizeof(d->name) - 1, h.sni, h.sni_len, &d->flags);
	d->name_len = (uint16_t)strlen(d->name);
	copy_field(d->alpn, sizeof(d->alpn), h.alpn1, h.alpn1_len, &d->flags);
	d->alpn_len = (uint8_t)strnlen(d->alpn, sizeof(d->alpn));
	return 1;
}

/* What HTTP/1's inspector lets through, asked of HPACK's octets too: a
 * method is a token (RFC 9110 5.6.2), an authority and a path visible
 * ASCII (RFC 9113 8.3.1: no whitespace or controls in :authority/:path;
 * the kernel reads HTTP/1's the same way). A request that breaks it is
 * malformed, never reported with bytes a policy cannot match. */
static int tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int visible(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

static int h2_req_ok(const struct ls_h2_req *r)
{
	for (const char *p = r->method; *p; p++)
		if (!tchar((unsigned char)*p))
			return 0;
	return visible(r->authority) && visible(r->path);
}

/* The client's bytes of an HTTP/2 connection, segment by segment, in
 * sequence order: a retransmission's bytes already fed are skipped; a gap
 * (a segment lost or reordered before us, or cut at LS_PAYLOAD_MAX) ends
 * the flow's decoding, since HPACK's dynamic table cannot be resumed past
 * a missing byte. */
static int h2(struct ls_udpi *u, struct slot *s, const struct ls_event *ev, const uint8_t *pay,
	      struct ls_event *out)
{
	const struct ls_event_payload *pl = &ev->u.payload;
	if (s->done)
		return 0;
	if (!s->h2) {
		if (!(s->h2 = malloc(sizeof(*s->h2))))
			return 0;
		ls_h2_init(s->h2);
		s->h2_next = pl->seq;
	}
	uint32_t skip = s->h2_next - pl->seq; /* mod 2^32, RFC 9293 3.4 */
	if ((int32_t)skip < 0) {
		u->st.gaps++;
		goto give_up;
	}
	if (skip >= pl->cap_len)
		return 0; /* all of it seen already */
	struct ls_h2_req r;
	int rc = ls_h2_feed(s->h2, pay + skip, pl->cap_len - skip, &r);
	s->h2_next = pl->seq + pl->cap_len;
	if (rc == LS_H2_REQUEST && !h2_req_ok(&r))
		rc = LS_H2_MALFORMED;
	if (rc == LS_H2_MALFORMED)
		u->st.malformed++;
	if (rc != LS_H2_REQUEST) {
		if (rc != LS_H2_MORE)
			goto give_up;
		if (pl->cap_len < pl->pay_len) {
			u->st.gaps++;
			goto give_up;
		}
		return 0;
	}
	free(s->h2);
	s->h2 = NULL;
	s->done = 1;
	struct ls_event_dpi *d = dpi_of(out, ev);
	d->kind = LS_DPI_HTTP;
	d->flags =
	    LS_DPI_F_H2 | (r.grpc ? LS_DPI_F_GRPC : 0) | (r.truncated ? LS_DPI_F_TRUNCATED : 0);
	copy_field(d->method, sizeof(d->method), r.method, strlen(r.method), &d->flags);
	d->method_len = (uint8_t)strnlen(d->method, sizeof(d->method));
	copy_field(d->path, LS_PATH_MAX - 4, r.path, strlen(r.path), &d->flags);
	d->path_len = (uint16_t)strnlen(d->path, sizeof(d->path));
	copy_field(d->name, sizeof(d->name) - 1, r.authority, strlen(r.authority), &d->flags);
	d->name_len = (uint16_t)strlen(d->name);
	return 1;
give_up:
	free(s->h2);
	s->h2 = NULL;
	s->done = 1;
	return 0;
}

int ls_udpi_take(struct ls_udpi *u, const struct ls_event *ev, size_t size, struct ls_event *out)
{
	if (ev->kind != LS_EV_PAYLOAD)
		return -1;
	u->st.payloads++;
	if (size < sizeof(*ev) + ev->u.payload.cap_len) {
		u->st.short_rec++;
		return 0;
	}
	const uint8_t *pay = (const uint8_t *)(ev + 1);
	struct slot *s = slot_of(u, ev->flow_id, 1);
	int rc = 0;
	if (ev->u.payload.proto == LS_PAY_QUIC)
		rc = quic(u, s, ev, pay, out);
	else if (ev->u.payload.proto == LS_PAY_H2)
		rc = h2(u, s, ev, pay, out);
	u->st.reported += rc == 1;
	return rc;
}
