/* udpi.c - user-space DPI dispatch and per-flow state (see udpi.h). */
#include "dataplane/udpi.h"

#include <stdlib.h>
#include <string.h>

#include "dataplane/quic_initial.h"

struct slot {
	uint64_t flow_id;	   /* owner; 0: free */
	struct ls_quic_flow *quic; /* LS_PAY_QUIC state, allocated on use */
	int done;		   /* reported: later payloads are ignored */
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
	memcpy(out, ev, sizeof(*out));
	out->kind = LS_EV_DPI;
	memset(&out->u, 0, sizeof(out->u));
	struct ls_event_dpi *d = &out->u.dpi;
	d->kind = LS_DPI_TLS;
	d->flags = LS_DPI_F_QUIC | (h.truncated ? LS_DPI_F_TRUNCATED : 0);
	copy_field(d->name, sizeof(d->name) - 1, h.sni, h.sni_len, &d->flags);
	d->name_len = (uint16_t)strlen(d->name);
	copy_field(d->alpn, sizeof(d->alpn), h.alpn1, h.alpn1_len, &d->flags);
	d->alpn_len = (uint8_t)strnlen(d->alpn, sizeof(d->alpn));
	return 1;
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
	u->st.reported += rc == 1;
	return rc;
}
