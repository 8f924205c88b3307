/* udpi.h - user-space DPI: what the kernel hands over (LS_EV_PAYLOAD,
 * bpf/dpi_handoff.h) decoded into the LS_EV_DPI a kernel inspector would
 * have sent, so that everything downstream (agent, policy, `inspect`) sees
 * one kind of DPI event whoever decoded it. Every consumer of a ring
 * (ringbuf.c, shards.c, testrun.c) owns one ls_udpi and passes each record
 * through ls_udpi_take(); one thread per ls_udpi.
 *
 * Per-flow decoder state (QUIC CRYPTO reassembly, HTTP/2's HPACK tables)
 * lives in a small direct-mapped table keyed by flow id: a flow whose slot
 * is taken by another is forgotten (counted as evicted), which bounds the
 * memory whatever the traffic. */
#ifndef LS_DATAPLANE_UDPI_H
#define LS_DATAPLANE_UDPI_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/wire.h"

#define LS_UDPI_SLOTS 256 /* flows decoded at once */

struct ls_udpi_stats {
	uint64_t payloads;  /* LS_EV_PAYLOAD records taken */
	uint64_t reported;  /* LS_EV_DPI delivered */
	uint64_t malformed; /* payloads that looked right and lied inside */
	uint64_t evicted;   /* flows forgotten for another */
	uint64_t gaps;	    /* HTTP/2 flows given up at a missing byte */
	uint64_t short_rec; /* records shorter than their header says */
};

struct ls_udpi;

struct ls_udpi *ls_udpi_new(void);
void ls_udpi_free(struct ls_udpi *u);

/* One ring record of size bytes. Not LS_EV_PAYLOAD: -1 (deliver it as it
 * is). LS_EV_PAYLOAD: 1 when it completes a result (written to *out, an
 * LS_EV_DPI with the payload record's header), else 0 (nothing to deliver). */
int ls_udpi_take(struct ls_udpi *u, const struct ls_event *ev, size_t size, struct ls_event *out);

/* A flow ended: its state is dropped (the kernel's FLOW_END event). */
void ls_udpi_forget(struct ls_udpi *u, uint64_t flow_id);

void ls_udpi_stats(const struct ls_udpi *u, struct ls_udpi_stats *out);

#endif
