/* inspect_hold.c - the hold modelled on a capture (inspect_hold.h). */
#include "cli/inspect_hold.h"
#include "base/names.h"
#include "dataplane/event_json.h"
#include "dataplane/dataplane.h"
#include "dataplane/holdq.h"
#include "dataplane/testrun.h"

#include <stdio.h>
#include <stdlib.h>

struct inspect_hold {
	struct ls_testrun *t;
	struct ls_dp *dp; /* the test run's maps: hold_slots, verdicts */
	struct ls_holdq *q;
	uint32_t max_pkts, fallback;
	uint64_t frame, ts_ns;
	uint64_t overflow_before; /* the kernel's hold_overflow before the frame */
	uint64_t refused;	  /* packets the kernel could not hold */
	uint64_t by_end[4];	  /* released, dropped, rejected, fallback */
};

enum { END_RELEASED, END_DROPPED, END_REJECTED, END_FALLBACK };
static const char *const end_names[] = {"released", "dropped", "rejected", "fallback"};

static void line(struct inspect_hold *h, uint64_t frame, const struct ls_flow_key *key,
		 long long seq, uint64_t held_ns, int end, uint32_t verdict, const char *by)
{
	if (!ls_print_wants(LS_PRINT_HOLD))
		return;
	char ts[LS_RFC3339_LEN];
	uint64_t now = ls_now_k();
	printf("{\"event\":\"hold\",\"ts_k\":%llu,\"ts\":\"%s\",\"frame\":%llu",
	       (unsigned long long)now, ls_event_ts(ts, sizeof(ts), now),
	       (unsigned long long)frame);
	if (key) {
		char flow[160];
		ls_flow_key_str(key, flow, sizeof(flow));
		printf(",\"flow\":\"%s\"", flow);
	}
	if (seq >= 0)
		printf(",\"seq\":%lld", seq);
	printf(",\"held_ns\":%llu,\"end\":\"%s\",\"verdict\":\"%s\",\"by\":\"%s\"}\n",
	       (unsigned long long)held_ns, end_names[end], ls_verdict_name(verdict), by);
	h->by_end[end]++;
}

static void on_settled(void *ctx, const struct ls_holdq_settled *s)
{
	static const char *const why[] = {"verdict", "timeout", "bytes", "failsafe", "new_hold"};
	struct inspect_hold *h = ctx;
	int end;
	if (s->why != LS_HOLDQ_BY_VERDICT && s->why != LS_HOLDQ_BY_FAILSAFE)
		end = END_FALLBACK;
	else if ((s->verdict & LS_VERDICT_MASK) == LS_VERDICT_REJECT)
		end = END_REJECTED;
	else
		end = s->verdict == LS_VERDICT_PASS ? END_RELEASED : END_DROPPED;
	line(h, s->tag, s->key, s->h->seq, s->held_ns, end, s->verdict,
	     s->why < sizeof(why) / sizeof(why[0]) ? why[s->why] : "unknown");
}

int inspect_hold_open(struct inspect_hold **out, struct ls_testrun *t,
		      const struct agent_hold_opts *o)
{
	struct ls_err err;
	struct inspect_hold *h = calloc(1, sizeof(*h));
	*out = NULL;
	if (!h) {
		fprintf(stderr, "lockstep inspect: out of memory\n");
		return -1;
	}
	h->t = t;
	h->max_pkts = o->max_pkts ? o->max_pkts : LS_HOLD_MAX_PKTS_DEFAULT;
	h->fallback = agent_hold_fallback(o);
	struct ls_holdq_opts qo = {
	    .max_bytes = o->max_bytes,
	    .timeout_ns = o->timeout_ns,
	    .fallback = h->fallback,
	    .offline = 1,
	};
	if (ls_dp_open_testrun(&h->dp, t, &err) || ls_holdq_open(&h->q, h->dp, &qo, &err)) {
		fprintf(stderr, "lockstep inspect: hold: %s\n", err.msg);
		ls_dp_close(h->dp);
		free(h);
		return -1;
	}
	ls_holdq_on_settled(h->q, on_settled, h);
	*out = h;
	return 0;
}

void inspect_hold_frame_begin(struct inspect_hold *h, uint64_t frame, uint64_t ts_ns)
{
	h->frame = frame;
	h->ts_ns = ts_ns;
	ls_holdq_offline_at(h->q, ts_ns, frame);
	ls_holdq_tick(h->q, ts_ns);
	h->overflow_before = ls_testrun_counter(h->t, LS_CNT_HOLD_OVERFLOW);
}

void inspect_hold_event(struct inspect_hold *h, const struct ls_event *ev)
{
	if (ev->kind == LS_EV_HELD)
		ls_holdq_add(h->q, ev);
}

void inspect_hold_verdict(void *ctx, const struct ls_flow_key *key, uint32_t verdict)
{
	struct inspect_hold *h = ctx;
	ls_holdq_settle(h->q, key, verdict);
}

void inspect_hold_frame_end(struct inspect_hold *h, uint32_t caplen)
{
	if (ls_testrun_counter(h->t, LS_CNT_HOLD_OVERFLOW) == h->overflow_before)
		return;
	/* the kernel gave this frame the fallback: which bound? The frame
	 * size is certain; otherwise a hold the model knows at the per-hold
	 * bound (named when it is the only one), else another flow's hold
	 * on the frame's slot */
	struct ls_flow_key key;
	uint32_t full = caplen > LS_HOLD_FRAME_MAX ? 0 : ls_holdq_full(h->q, h->max_pkts, &key);
	const char *by = caplen > LS_HOLD_FRAME_MAX ? "frame_size"
			 : full			    ? "max_packets"
						    : "slot_busy";
	h->refused++;
	line(h, h->frame, full == 1 ? &key : NULL, -1, 0, END_FALLBACK, h->fallback, by);
}

void inspect_hold_close(struct inspect_hold *h)
{
	if (!h)
		return;
	ls_holdq_tick(h->q, UINT64_MAX); /* the capture ended: every hold's timeout falls due */
	fflush(stdout);
	struct ls_holdq_stats st;
	ls_holdq_stats(h->q, &st);
	fprintf(stderr,
		"{\"hold_held\":%llu,\"hold_released\":%llu,\"hold_dropped\":%llu,"
		"\"hold_rejected\":%llu,\"hold_fallback\":%llu,\"hold_timeouts\":%llu,"
		"\"hold_max_ns\":%llu}\n",
		(unsigned long long)st.held, (unsigned long long)h->by_end[END_RELEASED],
		(unsigned long long)h->by_end[END_DROPPED],
		(unsigned long long)h->by_end[END_REJECTED],
		(unsigned long long)h->by_end[END_FALLBACK], (unsigned long long)st.timeout,
		(unsigned long long)st.hold_ns_max);
	ls_holdq_close(h->q);
	ls_dp_close(h->dp);
	free(h);
}
