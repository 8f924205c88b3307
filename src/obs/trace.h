/* trace.h - the trace recorder: both sides of lockstep on one timeline, in
 * the Chrome trace event format (JSON; opens in Perfetto and chrome://tracing).
 *
 * Every record is stamped in the kernel clock K: kernel events carry their
 * own ts_k, host-side steps (guest calls, verdict writes) are stamped with
 * CLOCK_BOOTTIME when they happen, and guest-clock times are converted by the
 * clock mapping before they get here (DESIGN.md: to_kernel() is the only way
 * across). At dump time K is turned into wall-clock microseconds through the
 * caller's K -> wall mapping, so the file lines up with the logs.
 *
 * Bounded: a ring of the last `capacity` records, and a dump keeps only the
 * last `window_ns` before the newest record. Tracks (pid/tid):
 *   pid 1 "kernel"  tid 1 events (flow new, DPI, flow end, expiry), tid 2
 *                   heartbeat and fail-safe, tid 3 per-packet trace
 *   pid 2 "agent"   tid 1 guest calls, tid 2 verdicts, tid 3 clock, tid 4 alarms,
 *                   tid 10 + i "worker i": the guest calls and verdicts of
 *                   policy worker i (--workers N > 1, docs/workers.md)
 * Counters (offset, round trip, queue depth) are "C" records on pid 2.
 * A flow arrow ("s" at the kernel event, "f" at the verdict, same id) links
 * each kernel event to the verdict it produced.
 */
#ifndef LS_OBS_TRACE_H
#define LS_OBS_TRACE_H

#include <stdint.h>
#include <stdio.h>

enum ls_trace_track {
	LS_TR_KERNEL_EVENTS = 0,
	LS_TR_KERNEL_BEAT,
	LS_TR_KERNEL_PACKET,
	LS_TR_GUEST,
	LS_TR_VERDICT,
	LS_TR_CLOCK,
	LS_TR_ALARM,
	LS_TR__MAX,
};

#define LS_TRACE_NAME_MAX 40
#define LS_TRACE_ARGS_MAX 160

struct ls_trace_rec {
	uint64_t ts_k;
	uint64_t dur_ns;  /* 'X' slices */
	uint64_t id;      /* 's'/'f' flow arrows */
	double value;     /* 'C' counters */
	char ph;          /* 'X', 'i', 'C', 's', 'f' */
	uint8_t track;    /* enum ls_trace_track */
	char scope;       /* instants: 't' thread, 'p' process, 'g' global */
	uint8_t worker;   /* 0, or policy worker + 1: its track instead */
	char name[LS_TRACE_NAME_MAX];
	char args[LS_TRACE_ARGS_MAX]; /* JSON members without braces, or "" */
};

struct ls_trace;

/* capacity: records kept (0: 65536); window_ns: dump horizon (0: 60 s). */
struct ls_trace *ls_trace_new(uint32_t capacity, uint64_t window_ns);
void ls_trace_free(struct ls_trace *t);

/* The calling thread is policy worker `worker` (0..254), or none (-1, the
 * default): from then on the guest calls and verdicts it records go on
 * that worker's track (pid 2, tid 10 + worker), one track per worker. */
void ls_trace_thread_worker(int worker);

/* args: JSON members `"a":1,"b":"x"` (already escaped) or NULL. */
void ls_trace_slice(struct ls_trace *t, int track, const char *name, uint64_t start_k,
		    uint64_t dur_ns, const char *args);
void ls_trace_instant(struct ls_trace *t, int track, const char *name, uint64_t ts_k,
		      char scope, const char *args);
void ls_trace_counter(struct ls_trace *t, const char *name, uint64_t ts_k, double value);
/* Flow arrow ends: start at a kernel event, finish at the verdict. */
void ls_trace_flow_start(struct ls_trace *t, int track, uint64_t id, uint64_t ts_k);
void ls_trace_flow_end(struct ls_trace *t, int track, uint64_t id, uint64_t ts_k);

uint64_t ls_trace_count(const struct ls_trace *t);   /* records kept now */
uint64_t ls_trace_dropped(const struct ls_trace *t); /* overwritten by the ring */

/* K -> wall ns for the dump (NULL: the first record is time 0). */
typedef int64_t (*ls_trace_wall_fn)(void *ctx, uint64_t k);

/* Write the whole file {"traceEvents":[...],...}, records sorted by time.
 * otherdata: JSON members for "otherData" (or NULL). 0 or -errno. */
int ls_trace_write(const struct ls_trace *t, FILE *f, ls_trace_wall_fn wall, void *ctx,
		   const char *otherdata);
/* Same into a file, written to PATH.tmp and renamed (a reader never sees
 * half a file). 0 or -errno. */
int ls_trace_write_file(const struct ls_trace *t, const char *path, ls_trace_wall_fn wall,
			void *ctx, const char *otherdata);

#endif
