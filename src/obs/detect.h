/* detect.h - discrepancy detectors: pure functions over observations, no
 * clock reads, no I/O. The agent (obs/hub.c) feeds them what it sees and
 * turns a positive answer into an alarm (log line + metric + trace instant).
 * Thresholds live in struct ls_detect_config; ls_detect_defaults() gives the
 * documented defaults (docs/observability.md).
 */
#ifndef LS_OBS_DETECT_H
#define LS_OBS_DETECT_H

#include <stdbool.h>
#include <stdint.h>

enum ls_alarm_kind {
	LS_ALARM_BEAT_INTERVAL = 0, /* observed beat interval != configured */
	LS_ALARM_OFFSET,            /* |G - K offset| beyond threshold */
	LS_ALARM_OFFSET_JUMP,       /* offset moved more than the threshold between beats */
	LS_ALARM_RATE,              /* |rate| beyond threshold (ppm) */
	LS_ALARM_LATENCY,           /* kernel event -> verdict written over budget */
	LS_ALARM_EARLY_EXPIRY,      /* a verdict expired while its flow was active */
	LS_ALARM_RINGBUF_LOSS,      /* ring-buffer reservations failed: events lost */
	LS_ALARM_TRAP_STORM,        /* guest traps: too many in the window */
	LS_ALARM_FUEL_STORM,        /* guest fuel exhaustions: too many in the window */
	LS_ALARM_FAILSAFE,          /* the data plane entered fail-safe */
	LS_ALARM_OUTPUT_WRITE,      /* a write to the log or trace file failed */
	LS_ALARM__MAX,
};

const char *ls_alarm_name(int kind);

struct ls_detect_config {
	double beat_tolerance;       /* relative: |observed/configured - 1| (0.2) */
	int64_t offset_max_ns;       /* |offset| (50 ms) */
	int64_t offset_jump_ns;      /* change between beats beyond the
				      * uncertainty (1 ms) */
	double rate_max_ppm;         /* |rate| (500 ppm) */
	int64_t latency_budget_ns;   /* kernel -> verdict written (20 ms) */
	int64_t active_ns;           /* expiry counts as "early" when the
				      * flow's packet came this soon after
				      * the deadline (2 s) */
	uint32_t storm_count;        /* traps or fuel exhaustions ... (5) */
	int64_t storm_window_ns;     /* ... within this window (10 s) */
	int64_t clear_ns;            /* an alarm stays open this long after its
				      * last occurrence (10 s) */
};

void ls_detect_defaults(struct ls_detect_config *c);

/* Beat interval: configured vs observed (median of recent intervals, 0 =
 * not known yet: no alarm). */
bool ls_detect_beat_interval(const struct ls_detect_config *c, int64_t configured_ns,
			     int64_t observed_ns);

/* Offset/rate from one estimator update. prev_offset_ns is the offset
 * predicted for this beat from the previous mapping (have_prev false on the
 * first beat); eps_ns the mapping's uncertainty; rate_unc the bound on the
 * rate's error (the rate alarm needs |rate| - rate_unc over the limit).
 * Returns a bitmask of 1 << LS_ALARM_OFFSET / _OFFSET_JUMP / _RATE. */
unsigned ls_detect_offset(const struct ls_detect_config *c, bool have_prev,
			  int64_t prev_offset_ns, int64_t offset_ns, int64_t eps_ns,
			  double rate, double rate_unc);

/* Latency from a kernel event (ts_k) to its verdict being written (now_k). */
bool ls_detect_latency(const struct ls_detect_config *c, uint64_t event_k, uint64_t written_k);

/* Early expiry. "Was the flow still active when its verdict expired" is
 * decided on facts, never on a cache that forgets: what the agent knows of
 * the flow is gathered into ls_flow_evidence (its end seen, from the bounded
 * set of ends (ends.h); its first packet and state, from the data plane's
 * flow table or the FLOW_NEW event), and ls_detect_flow_fact() turns it
 * into one of these. Only OPEN can raise the alarm. */
enum ls_flow_fact {
	LS_FLOW_FACT_OPEN = 0, /* it had not ended when its verdict expired */
	LS_FLOW_FACT_ENDED,    /* its end came before the expiry */
	LS_FLOW_FACT_REUSED,   /* it began with the very packet that found the
				* verdict expired: the verdict was an earlier
				* connection's on the same 5-tuple */
	LS_FLOW_FACT_UNKNOWN,  /* its record is gone (evicted from the flow
				* table, or never seen) and its end, if any,
				* may have been forgotten: not judged */
	LS_FLOW_FACT_UNANSWERED, /* the data plane sees both directions and
				  * this flow never had a packet back (state
				  * NEW: a SYN nobody answered, one-way UDP):
				  * no connection was ever up to be hurt */
	LS_FLOW_FACT__MAX,
};

const char *ls_flow_fact_name(int fact);

struct ls_flow_evidence {
	bool end_seen;           /* a FLOW_END for it arrived before the expiry */
	bool have_first;         /* first_seen_k is known */
	uint64_t first_seen_k;   /* K of its first packet */
	bool have_state;         /* state is the flow table's, for this flow id */
	uint8_t state;           /* enum ls_flow_state */
	uint64_t ends_horizon_k; /* every end after this was remembered */
	bool both_ways;          /* the data plane sees replies too (--tc):
				  * state NEW then means never answered */
};

/* expired_k: when the kernel found the verdict expired. Events arrive in
 * the ring's order, so an end not seen yet is an end after the expiry. */
enum ls_flow_fact ls_detect_flow_fact(const struct ls_flow_evidence *e, uint64_t expired_k);

/* A pass verdict's deadline deadline_k found passed by a packet at ts_k:
 * early when that packet came within active_ns of the deadline (the flow
 * was alive across it: a refresh should have kept it) and the flow was
 * OPEN. */
bool ls_detect_expiry_in_window(const struct ls_detect_config *c, uint64_t ts_k,
				uint64_t deadline_k);
bool ls_detect_early_expiry(const struct ls_detect_config *c, uint64_t ts_k,
			    uint64_t deadline_k, enum ls_flow_fact fact);

/* Ring-buffer loss: the kernel's reservation-failure counter moved. */
bool ls_detect_ringbuf_loss(uint64_t prev_full, uint64_t now_full);

/* Storm: a sliding window of event times (the last storm_count kept). */
#define LS_STORM_MAX 64
struct ls_storm {
	uint64_t t_k[LS_STORM_MAX];
	uint32_t n, head;
};
/* Record n occurrences at now_k; true when storm_count of them fell within
 * storm_window_ns. */
bool ls_detect_storm(const struct ls_detect_config *c, struct ls_storm *s, uint64_t now_k,
		     uint64_t n);

#endif
