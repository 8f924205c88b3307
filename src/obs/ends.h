/* ends.h - the flow ends the agent has seen, remembered in bounded memory
 * for the early-expiry detector (detect.h, ls_detect_flow_fact).
 *
 * Two generations of a hash set of flow ids: new ends go into the current
 * one; when it holds LS_ENDS_GEN ends it becomes the previous one and the
 * old previous one is forgotten. So the last LS_ENDS_GEN to 2 x LS_ENDS_GEN
 * ends are remembered, in 512 KiB whatever the number of flows, and what
 * was forgotten is said, not guessed: horizon_k is the latest end time
 * forgotten, so an end after it is always found. A detector that finds no
 * end for a flow that began at or before the horizon knows that it does not
 * know (an "unknown" flow, never an "active" one).
 */
#ifndef LS_OBS_ENDS_H
#define LS_OBS_ENDS_H

#include <stdbool.h>
#include <stdint.h>

#define LS_ENDS_GEN 16384           /* ends per generation */
#define LS_ENDS_SLOTS (2 * LS_ENDS_GEN) /* open addressing, at most half full */

struct ls_ends_gen {
	uint64_t id[LS_ENDS_SLOTS]; /* flow id + 1 (0: empty slot) */
	uint32_t n;                 /* ends held */
	uint64_t max_end_k;         /* latest end time held */
};

struct ls_ends {
	struct ls_ends_gen gen[2];  /* gen[cur] takes new ends */
	int cur;
	uint64_t horizon_k;         /* ends at or before this may be forgotten */
	uint64_t forgotten;         /* ends dropped with a generation */
};

/* horizon_k: ends before this were never seen (the agent's start). */
void ls_ends_init(struct ls_ends *e, uint64_t horizon_k);
void ls_ends_add(struct ls_ends *e, uint64_t flow_id, uint64_t end_k);
bool ls_ends_has(const struct ls_ends *e, uint64_t flow_id);
/* Ends up to t_k may have been missed (the ring buffer lost events). */
void ls_ends_forget_until(struct ls_ends *e, uint64_t t_k);

#endif
