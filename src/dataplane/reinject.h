/* reinject.h - putting a held frame back on its way (docs/dataplane.md,
 * "Hold"): a frame held at XDP ingress goes into its device's receive path
 * (BPF_PROG_TEST_RUN, BPF_F_TEST_XDP_LIVE_FRAMES, on the tiny program of
 * bpf/reinject.bpf.c); one held at TC egress is sent out of its device by an
 * AF_PACKET socket with PACKET_QDISC_BYPASS, which skips the qdisc layer and
 * with it the TC egress hook, so the data plane does not see it twice.
 * Before either, the TCP/UDP checksum is recomputed: a frame copied at the
 * hook may carry only the pseudo-header sum (checksum offload, veth), and
 * the re-injected copy has no offload state to finish it. */
#ifndef LS_DATAPLANE_REINJECT_H
#define LS_DATAPLANE_REINJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/dataplane.h"

struct ls_reinject;

int ls_reinject_open(struct ls_reinject **out, struct ls_err *err);
void ls_reinject_close(struct ls_reinject *r);
/* True when the kernel refused XDP live frames and ingress frames go the
 * loopback route (bpf/reinject.bpf.c). */
bool ls_reinject_via_lo(const struct ls_reinject *r);

/* Sends one held frame (the LS_EV_HELD record's header says how) on its
 * way; frame is modified (checksum). 0 or -errno. */
int ls_reinject_frame(struct ls_reinject *r, const struct ls_event_held *h, uint8_t *frame);

/* The same without touching the frame: for a frame whose checksums are
 * complete already (a reject's reply, built in the kernel). Frames queued
 * before it are sent first. */
int ls_reinject_send(struct ls_reinject *r, const struct ls_event_held *h, uint8_t *frame);

/* Batched re-injection (docs/dataplane.md, "Hold: what a held flow
 * costs"): the checksum is fixed and the frame queued; the AF_PACKET
 * routes (TC egress, the loopback route) send the queue with one
 * sendmmsg at ls_reinject_flush, or when LS_REINJECT_BATCH frames or a
 * change of route (its socket mark) fill it; live XDP frames go at once
 * (one syscall each in any case). frame must stay valid and unchanged
 * until the flush. Frames are sent in the order queued. 0, or -errno when
 * the frame was refused before queueing (nothing sent). */
#define LS_REINJECT_BATCH 64
int ls_reinject_queue(struct ls_reinject *r, const struct ls_event_held *h, uint8_t *frame);
/* Sends what is queued. 0; a frame the kernel refuses is counted for
 * ls_reinject_take_errors. */
int ls_reinject_flush(struct ls_reinject *r);
/* Queued frames the kernel refused since the last call; *err_no: the
 * last one's errno (untouched when none). */
uint32_t ls_reinject_take_errors(struct ls_reinject *r, int *err_no);

/* Recomputes the TCP or UDP checksum of an Ethernet frame in place (IPv4
 * or IPv6; first fragments and other protocols are left alone). 0 when
 * done, 1 when left alone, -EINVAL when the frame does not hold up. */
int ls_l4_csum_fix(uint8_t *frame, uint32_t len, uint16_t l4_off);

#endif
