/* detect.c - the detectors (detect.h). */
#include "obs/detect.h"
#include "lockstep/wire.h"

#include <math.h>
#include <stdlib.h>

const char *ls_alarm_name(int kind)
{
	static const char *const n[LS_ALARM__MAX] = {
		[LS_ALARM_BEAT_INTERVAL] = "beat_interval",
		[LS_ALARM_OFFSET] = "offset",
		[LS_ALARM_OFFSET_JUMP] = "offset_jump",
		[LS_ALARM_RATE] = "rate",
		[LS_ALARM_LATENCY] = "verdict_latency",
		[LS_ALARM_EARLY_EXPIRY] = "early_expiry",
		[LS_ALARM_RINGBUF_LOSS] = "ringbuf_loss",
		[LS_ALARM_TRAP_STORM] = "trap_storm",
		[LS_ALARM_FUEL_STORM] = "fuel_storm",
		[LS_ALARM_FAILSAFE] = "failsafe",
		[LS_ALARM_OUTPUT_WRITE] = "output_write",
	};
	return kind >= 0 && kind < LS_ALARM__MAX ? n[kind] : "unknown";
}

void ls_detect_defaults(struct ls_detect_config *c)
{
	c->beat_tolerance = 0.2;
	c->offset_max_ns = 50000000;
	c->offset_jump_ns = 1000000;
	c->rate_max_ppm = 500;
	c->latency_budget_ns = 20000000;
	c->active_ns = 2000000000;
	c->storm_count = 5;
	c->storm_window_ns = 10000000000;
	c->clear_ns = 10000000000;
}

bool ls_detect_beat_interval(const struct ls_detect_config *c, int64_t configured_ns,
			     int64_t observed_ns)
{
	if (configured_ns <= 0 || observed_ns <= 0)
		return false;
	double ratio = (double)observed_ns / (double)configured_ns;
	return fabs(ratio - 1.0) > c->beat_tolerance;
}

unsigned ls_detect_offset(const struct ls_detect_config *c, bool have_prev,
			  int64_t prev_offset_ns, int64_t offset_ns, int64_t eps_ns,
			  double rate, double rate_unc)
{
	unsigned m = 0;
	if (llabs(offset_ns) > c->offset_max_ns)
		m |= 1u << LS_ALARM_OFFSET;
	/* a move the uncertainty explains is noise, not a jump */
	if (have_prev && llabs(offset_ns - prev_offset_ns) > c->offset_jump_ns + (eps_ns > 0 ? eps_ns : 0))
		m |= 1u << LS_ALARM_OFFSET_JUMP;
	/* only a rate known to be over the limit: while the estimator is
	 * still learning, |rate| alone swings with its uncertainty */
	if ((fabs(rate) - (rate_unc > 0 ? rate_unc : 0)) * 1e6 > c->rate_max_ppm)
		m |= 1u << LS_ALARM_RATE;
	return m;
}

bool ls_detect_latency(const struct ls_detect_config *c, uint64_t event_k, uint64_t written_k)
{
	return written_k > event_k && (int64_t)(written_k - event_k) > c->latency_budget_ns;
}

const char *ls_flow_fact_name(int fact)
{
	static const char *const n[LS_FLOW_FACT__MAX] = {
		[LS_FLOW_FACT_OPEN] = "open",
		[LS_FLOW_FACT_ENDED] = "ended",
		[LS_FLOW_FACT_REUSED] = "reused",
		[LS_FLOW_FACT_UNKNOWN] = "unknown",
		[LS_FLOW_FACT_UNANSWERED] = "unanswered",
	};
	return fact >= 0 && fact < LS_FLOW_FACT__MAX ? n[fact] : "unknown";
}

enum ls_flow_fact ls_detect_flow_fact(const struct ls_flow_evidence *e, uint64_t expired_k)
{
	if (e->end_seen)
		return LS_FLOW_FACT_ENDED;
	if (!e->have_first)
		return LS_FLOW_FACT_UNKNOWN;
	/* the kernel stamps a new flow and its events with the same now */
	if (e->first_seen_k >= expired_k)
		return LS_FLOW_FACT_REUSED;
	/* the state only moves forward: still NEW now, where replies are
	 * seen, is never answered then either (a handshake lease running
	 * out on a SYN nobody answers is no live connection). Without --tc
	 * every flow stays NEW: no evidence there. */
	if (e->have_state && e->both_ways && e->state == LS_FLOW_NEW)
		return LS_FLOW_FACT_UNANSWERED;
	/* the table's state only moves forward for one flow id (a 5-tuple
	 * reused or idle gets a new id): not closed now, not closed then */
	if (e->have_state && e->state != LS_FLOW_CLOSED)
		return LS_FLOW_FACT_OPEN;
	/* closed now, or no state: had it ended before the expiry, its end
	 * would be in the set, unless the set may have forgotten it */
	return e->first_seen_k > e->ends_horizon_k ? LS_FLOW_FACT_OPEN : LS_FLOW_FACT_UNKNOWN;
}

bool ls_detect_expiry_in_window(const struct ls_detect_config *c, uint64_t ts_k,
				uint64_t deadline_k)
{
	if (!deadline_k)
		return false;
	/* ts_k before the deadline cannot happen (the kernel expires at or after
	 * it); treat it as early all the same */
	return ts_k <= deadline_k || (int64_t)(ts_k - deadline_k) <= c->active_ns;
}

bool ls_detect_early_expiry(const struct ls_detect_config *c, uint64_t ts_k,
			    uint64_t deadline_k, enum ls_flow_fact fact)
{
	return fact == LS_FLOW_FACT_OPEN && ls_detect_expiry_in_window(c, ts_k, deadline_k);
}

bool ls_detect_ringbuf_loss(uint64_t prev_full, uint64_t now_full)
{
	return now_full > prev_full;
}

bool ls_detect_storm(const struct ls_detect_config *c, struct ls_storm *s, uint64_t now_k,
		     uint64_t n)
{
	uint32_t want = c->storm_count < 1 ? 1 : c->storm_count > LS_STORM_MAX ? LS_STORM_MAX : c->storm_count;
	for (uint64_t i = 0; i < n && i < LS_STORM_MAX; i++) {
		s->t_k[s->head] = now_k;
		s->head = (s->head + 1) % LS_STORM_MAX;
		if (s->n < LS_STORM_MAX)
			s->n++;
	}
	if (s->n < want)
		return false;
	/* the want-th most recent occurrence */
	uint64_t oldest = s->t_k[(s->head + LS_STORM_MAX - want) % LS_STORM_MAX];
	return now_k - oldest <= (uint64_t)c->storm_window_ns;
}
