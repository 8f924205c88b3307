/* event_json.h - one kernel event (struct ls_event) as one JSON line.
 *
 * The schema is stable and documented in docs/events.md; `lockstep inspect`
 * and `lockstep run` print exactly this. Names from packets are escaped so
 * that any byte sequence yields valid JSON: control bytes, quotes and
 * backslashes are escaped, valid UTF-8 passes through, and every byte that is
 * not part of a valid UTF-8 sequence is written as \u00XX (base/json.h). */
#ifndef LS_DATAPLANE_EVENT_JSON_H
#define LS_DATAPLANE_EVENT_JSON_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/time.h"
#include "lockstep/wire.h"

/* Large enough for any event: the worst case is every name byte escaped. */
#define LS_EVENT_JSON_MAX 4096

/* Formats `ev` as one JSON object followed by '\n' into buf (NUL-terminated).
 * Returns the length written, or -1 if cap is too small. */
int ls_event_json(const struct ls_event *ev, char *buf, size_t cap);

/* Same, written to f. Returns 0, or -1 on a write error. */
int ls_event_json_print(FILE *f, const struct ls_event *ev);

/* The line `lockstep run` prints for every verdict it writes (docs/events.md):
 * {"event":"verdict","ts_k":K,"ts":"...","flow_id":N,"verdict":"NAME",
 * "deadline_k":D} and '\n', NUL-terminated. Returns the length, or -1 if cap
 * is too small (LS_VERDICT_JSON_MAX never is). */
#define LS_VERDICT_JSON_MAX 256
int ls_verdict_json(char *buf, size_t cap, uint64_t k, uint64_t flow_id, uint32_t verdict,
		    uint64_t deadline_k);

/* Every line printed on stdout carries "ts", the wall time of its kernel
 * time in RFC 3339 UTC with microseconds (base/time.h), beside it.
 * ls_event_ts writes it for k; ls_event_wall_source replaces where it
 * comes from (NULL: REALTIME - BOOTTIME read at each call), for the whole
 * process, before any thread starts. */
const char *ls_event_ts(char *buf, size_t cap, uint64_t k);
void ls_event_wall_source(int64_t (*fn)(void *ctx, uint64_t k), void *ctx);

/* What stdout carries (--print KINDS; base/names.h LS_PRINT_*), for the
 * whole process: ls_event_json_print writes nothing (and returns 1) for a
 * kind filtered out; the verdict, hold and rule printers ask
 * ls_print_wants. Default: everything. */
void ls_print_filter(uint32_t mask);
bool ls_print_wants(uint32_t bit);

/* The names in the JSON ("flow_new", "tcp", "pass", ...) are base/names.h's. */

#endif
