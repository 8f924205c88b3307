/* state_link.h - `lockstep run --state-dir DIR`: the guests' key-value store
 * kept in DIR/kv.state (policy/kv_state.h) so that it survives an agent
 * restart, a SIGKILL included (docs/policy.md, "State that survives a
 * restart"). Loaded once, before the first instance's init; saved from the
 * agent's 1 s housekeeping timer when it changed since the last save, and
 * once more on a clean stop. A SIGKILL loses at most the changes of the
 * last second. */
#ifndef LS_AGENT_STATE_LINK_H
#define LS_AGENT_STATE_LINK_H

#include <stddef.h>

#define STATE_LINK_FILE "kv.state"

struct ls_kv;
struct ls_metrics;
struct state_link;

/* DIR/kv.state into buf; -1 if it does not fit. */
int state_link_path(char *buf, size_t len, const char *dir);
/* Fills kv (empty, not shared yet) from DIR/kv.state and says so on stderr:
 * loaded, no file yet, or refused (a foreign, newer, truncated or corrupt
 * file: nothing of it is loaded, the store starts empty, and the file is
 * moved aside to kv.state.rejected so the next save does not destroy it).
 * Never fails the start. */
void state_link_load(struct ls_kv *kv, const char *dir);

/* Saves kv to DIR/kv.state from now on (a reference is kept). NULL if out
 * of memory (said on stderr). reg (may be NULL): the counters
 * lockstep_state_writes_total and lockstep_state_write_errors_total. */
struct state_link *state_link_open(const char *dir, struct ls_kv *kv, struct ls_metrics *reg);
/* Writes the file if the store changed since the last write: 1 written,
 * 0 nothing to do, -1 failed (the first failure after a success is said
 * on stderr; the store stays in memory and the next call tries again). */
int state_link_save(struct state_link *s);
/* Counts the outcome of a save in the metrics (the caller holds whatever
 * lock guards them). */
void state_link_account(struct state_link *s, int rc);
/* A last save, then frees. */
void state_link_close(struct state_link *s);

#endif
