/* inspect_hold.h - `lockstep inspect --default-verdict hold`: the hold of
 * `lockstep run` modelled on a capture (docs/dataplane.md "Hold"). The
 * kernel half is the real one (the program holds the frame, bounds the
 * packets per hold and the frame size, keeps the slot); the user-space half
 * is the agent's own queue (dataplane/holdq.h) run offline: nothing is
 * re-injected and time is the capture's, so "held for 1.5 ms" means 1.5 ms
 * of capture time between the packet and the frame whose event decided.
 * A policy in inspect decides between frames, at once. One JSON line per
 * packet held (or refused a hold), when its fate is known:
 *   {"event":"hold","frame":3,"flow":"udp 198.18.0.1 5353 198.18.0.2 53",
 *    "seq":0,"held_ns":1500000,"end":"released","verdict":"pass","by":"verdict"}
 * end: released | dropped | rejected | fallback; by: verdict, timeout,
 * bytes, new_hold (the queue's bounds), max_packets, frame_size, slot_busy
 * (the kernel's: the packet was never held, held_ns 0). */
#ifndef LS_CLI_INSPECT_HOLD_H
#define LS_CLI_INSPECT_HOLD_H

#include <stdint.h>

#include "agent/hold.h"
#include "lockstep/wire.h"

struct ls_testrun;
struct inspect_hold;

/* 0, or -1 with a message on stderr. */
int inspect_hold_open(struct inspect_hold **out, struct ls_testrun *t,
		      const struct agent_hold_opts *o);
/* Before frame number `frame` (1-based) captured at ts_ns runs: holds whose
 * timeout fell due before it end. */
void inspect_hold_frame_begin(struct inspect_hold *h, uint64_t frame, uint64_t ts_ns);
/* Every event drained while the frame ran (HELD records are used). */
void inspect_hold_event(struct inspect_hold *h, const struct ls_event *ev);
/* A verdict was written for key (inspect_policy's verdict hook). */
void inspect_hold_verdict(void *h, const struct ls_flow_key *key, uint32_t verdict);
/* After the frame ran: a packet the kernel could not hold is reported. */
void inspect_hold_frame_end(struct inspect_hold *h, uint32_t caplen);
/* End of the capture: what is still held times out; a summary line on
 * stderr; frees. */
void inspect_hold_close(struct inspect_hold *h);

#endif
