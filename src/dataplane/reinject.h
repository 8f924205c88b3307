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
 * complete already (a reject's reply, built in the kernel). */
int ls_reinject_send(struct ls_reinject *r, const struct ls_event_held *h, uint8_t *frame);

/* Recomputes the TCP or UDP checksum of an Ethernet frame in place (IPv4
 * or IPv6; first fragments and other protocols are left alone). 0 when
 * done, 1 when left alone, -EINVAL when the frame does not hold up. */
int ls_l4_csum_fix(uint8_t *frame, uint32_t len, uint16_t l4_off);

#endif
