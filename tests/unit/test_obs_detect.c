/* test_obs_detect.c - each detector on its own (pure functions), then the
 * agent hub raising alarms from observations: log line, metric, status. */
#include "test.h"
#include "obs/hub.h"
#include "obs/detect.h"
#include "obs/ends.h"

#include "obs/log.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static struct ls_detect_config c;

TEST(beat_interval)
{
	CHECK(!ls_detect_beat_interval(&c, 100000000, 0));         /* unknown yet */
	CHECK(!ls_detect_beat_interval(&c, 100000000, 100000000));
	CHECK(!ls_detect_beat_interval(&c, 100000000, 115000000)); /* within 20% */
	CHECK(ls_detect_beat_interval(&c, 100000000, 200000000));  /* 2x */
	CHECK(ls_detect_beat_interval(&c, 100000000, 50000000));
}

TEST(offset_rate_jump)
{
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 1000, 100, 1e-6, 0), 0);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 60000000, 100, 0, 0), 1u << LS_ALARM_OFFSET);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, -60000000, 100, 0, 0), 1u << LS_ALARM_OFFSET);
	/* a 50 ms step between beats is a jump; 0.5 ms is not */
	CHECK_EQ_INT(ls_detect_offset(&c, true, 0, 50000000, 1000, 0, 0), 1u << LS_ALARM_OFFSET_JUMP);
	CHECK_EQ_INT(ls_detect_offset(&c, true, 0, 500000, 1000, 0, 0), 0);
	/* ... unless the uncertainty explains it */
	CHECK_EQ_INT(ls_detect_offset(&c, true, 0, 2500000, 2000000, 0, 0), 0);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, 600e-6, 0), 1u << LS_ALARM_RATE);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, -600e-6, 0), 1u << LS_ALARM_RATE);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, 400e-6, 0), 0);
	/* the rate alarm needs the rate known to be over 500 ppm: 600 +/- 200
	 * may be 400 (no alarm); 600 +/- 50 is at least 550 (alarm); the
	 * sign of the rate does not matter */
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, 600e-6, 200e-6), 0);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, -600e-6, 200e-6), 0);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, 600e-6, 50e-6), 1u << LS_ALARM_RATE);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, -600e-6, 50e-6), 1u << LS_ALARM_RATE);
}

TEST(latency)
{
	CHECK(!ls_detect_latency(&c, 1000, 1000 + 19000000));
	CHECK(ls_detect_latency(&c, 1000, 1000 + 21000000));
	CHECK(!ls_detect_latency(&c, 5000, 1000)); /* clock confusion is not latency */
}

TEST(early_expiry)
{
	uint64_t d = 10000000000ull;
	enum ls_flow_fact open = LS_FLOW_FACT_OPEN;
	CHECK(ls_detect_early_expiry(&c, d + 1000, d, open));       /* packet right after */
	CHECK(ls_detect_early_expiry(&c, d + 1900000000ull, d, open));
	CHECK(!ls_detect_early_expiry(&c, d + 5000000000ull, d, open)); /* idle flow */
	CHECK(!ls_detect_early_expiry(&c, d + 1000, 0, open));       /* no deadline */
	for (int f = LS_FLOW_FACT_ENDED; f < LS_FLOW_FACT__MAX; f++) /* only OPEN counts */
		CHECK(!ls_detect_early_expiry(&c, d + 1000, d, (enum ls_flow_fact)f));
}

/* What is known of a flow, turned into a fact: an end seen wins; a flow
 * table that says "not closed" is open; a closed or stateless flow is open
 * only when its end could not have been forgotten; no record at all is
 * unknown, never open. */
TEST(flow_facts)
{
	uint64_t t = 50000000000ull, horizon = 20000000000ull;
	struct ls_flow_evidence e = {.have_first = true, .first_seen_k = t - 3000000000ull,
				     .have_state = true, .state = LS_FLOW_ESTABLISHED,
				     .ends_horizon_k = horizon};
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_OPEN);
	e.state = LS_FLOW_CLOSING; /* half-closed is still open */
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_OPEN);
	e.end_seen = true;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_ENDED);
	e.end_seen = false;
	/* closed now, end not seen, begun after the horizon: its end comes
	 * later in the ring than the expiry, so it was open then */
	e.state = LS_FLOW_CLOSED;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_OPEN);
	/* ... begun before the horizon: the end may have been forgotten */
	e.first_seen_k = horizon;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_UNKNOWN);
	e.first_seen_k = horizon - 1;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_UNKNOWN);
	/* the same without the flow table (its FLOW_NEW only) */
	e.have_state = false;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_UNKNOWN);
	e.first_seen_k = horizon + 1;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_OPEN);
	/* created by the packet that found the verdict expired */
	e.first_seen_k = t;
	e.have_state = true;
	e.state = LS_FLOW_NEW;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_REUSED);
	/* never answered: a SYN (or one-way UDP) whose handshake lease ran
	 * out, where the data plane sees replies (--tc); without --tc every
	 * flow stays NEW, so it is no evidence and the flow is open */
	e.first_seen_k = t - 1900000000ull;
	e.both_ways = true;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_UNANSWERED);
	e.end_seen = true; /* an end still wins */
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_ENDED);
	e.end_seen = false;
	e.state = LS_FLOW_ESTABLISHED; /* answered once: open */
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_OPEN);
	e.state = LS_FLOW_NEW;
	e.both_ways = false;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_OPEN);
	e.have_state = false; /* NEW only from the table, never guessed */
	e.both_ways = true;
	e.first_seen_k = horizon + 1;
	CHECK_EQ_INT(ls_detect_flow_fact(&e, t), LS_FLOW_FACT_OPEN);
	/* nothing known */
	struct ls_flow_evidence none = {.ends_horizon_k = horizon};
	CHECK_EQ_INT(ls_detect_flow_fact(&none, t), LS_FLOW_FACT_UNKNOWN);
	none.ends_horizon_k = 0;
	CHECK_EQ_INT(ls_detect_flow_fact(&none, t), LS_FLOW_FACT_UNKNOWN);
}

/* The bounded set of ends: what it forgot, it says (the horizon). */
TEST(ends_set)
{
	static struct ls_ends e;
	ls_ends_init(&e, 100);
	uint64_t n = 5 * LS_ENDS_GEN;
	for (uint64_t i = 1; i <= n; i++) {
		ls_ends_add(&e, i, 1000 + i);
		ls_ends_add(&e, i, 1000 + i); /* twice: still one */
	}
	/* the newest LS_ENDS_GEN are always there */
	for (uint64_t i = n - LS_ENDS_GEN + 1; i <= n; i++)
		if (!ls_ends_has(&e, i)) {
			CHECK(ls_ends_has(&e, i));
			break;
		}
	/* the first ones are forgotten, and every forgotten one is at or
	 * before the horizon */
	CHECK(!ls_ends_has(&e, 1));
	CHECK(e.horizon_k >= 1000 + 1);
	uint64_t wrong = 0;
	for (uint64_t i = 1; i <= n; i++)
		if (!ls_ends_has(&e, i) && 1000 + i > e.horizon_k)
			wrong++;
	CHECK_EQ_INT(wrong, 0);
	CHECK(e.horizon_k < 1000 + n - LS_ENDS_GEN + 1);
	CHECK(!ls_ends_has(&e, n + 1));
	ls_ends_forget_until(&e, 1);          /* never backwards */
	CHECK(e.horizon_k > 1000);
	ls_ends_forget_until(&e, 1000000);
	CHECK_EQ_INT(e.horizon_k, 1000000);
}

TEST(ringbuf_and_storm)
{
	CHECK(!ls_detect_ringbuf_loss(5, 5));
	CHECK(ls_detect_ringbuf_loss(5, 6));
	struct ls_storm s = {0};
	uint64_t t = 1000000000ull;
	for (int i = 0; i < 4; i++)
		CHECK(!ls_detect_storm(&c, &s, t + (uint64_t)i * 1000000000ull, 1));
	CHECK(ls_detect_storm(&c, &s, t + 4000000000ull, 1)); /* 5 within 10 s */
	struct ls_storm slow = {0};
	bool any = false;
	for (int i = 0; i < 20; i++) /* one every 3 s never makes 5 in 10 s */
		any |= ls_detect_storm(&c, &slow, t + (uint64_t)i * 3000000000ull, 1);
	CHECK(!any);
	struct ls_storm burst = {0};
	CHECK(ls_detect_storm(&c, &burst, t, 7)); /* many at once */
}

/* ---- the hub ------------------------------------------------------------ */

static uint64_t fake_k = 100000000000ull;
static uint64_t now_k(void *ctx) { (void)ctx; return fake_k; }
static int64_t wall(void *ctx, uint64_t k) { (void)ctx; return 1700000000000000000ll + (int64_t)k; }

/* The hub logs to a file (as with --log FILE): a temp file per test run. */
static const char *log_path(void)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/ls-obs-log-%d", (int)getpid());
	return path;
}

typedef int (*lookup_fn)(void *, const struct ls_flow_key *, struct ls_flow *);

static struct ls_obs *hub_with(const char *trace, lookup_fn lookup)
{
	struct ls_obs_config cfg = {.trace_path = trace, .log_path = log_path(),
				    .time = {NULL, now_k, wall}, .flow_lookup = lookup};
	struct ls_err err;
	struct ls_obs *o;
	unlink(log_path());
	if (ls_obs_open(&o, &cfg, &err)) {
		printf("# %s\n", err.msg);
		return NULL;
	}
	return o;
}

static struct ls_obs *hub(const char *trace)
{
	return hub_with(trace, NULL);
}

static char *read_log(void)
{
	static char buf[65536];
	FILE *f = fopen(log_path(), "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	return buf;
}

/* Two events of one flow queued before the first is dispatched: the
 * verdict written by the first dispatch ends the first event's arrow (not
 * the second's, which its guest call has not started yet), and a verdict
 * written outside any dispatch of the flow (a tick's refresh) ends none. */
TEST(arrows_tie_a_verdict_to_the_event_dispatched)
{
	char tpath[64];
	snprintf(tpath, sizeof(tpath), "/tmp/ls-obs-arrows-%d.json", (int)getpid());
	struct ls_obs *o = hub(tpath);
	CHECK(o);
	if (!o)
		return;
	fake_k += 1000000;
	struct ls_event e1 = {.version = LS_WIRE_VERSION, .kind = LS_EV_FLOW_NEW, .flow_id = 77,
			      .ts_k = fake_k};
	struct ls_event e2 = e1;
	e2.kind = LS_EV_DPI;
	e2.ts_k = fake_k + 5000;
	ls_obs_event(o, &e1, fake_k + 1000);
	ls_obs_event(o, &e2, fake_k + 6000);
	ls_obs_dispatch_begin(o, &e1, 1);
	ls_obs_verdict(o, 77, LS_VERDICT_PASS, fake_k + 1000000000ull, fake_k + 9000,
		       fake_k + 9500, true);
	ls_obs_guest_call(o, "dispatch", &e1, 1, fake_k + 7000, fake_k + 8000);
	ls_obs_dispatch_end(o);
	/* a refresh between the two dispatches: no arrow */
	ls_obs_verdict(o, 77, LS_VERDICT_PASS, fake_k + 1000000000ull, fake_k + 10000,
		       fake_k + 10500, true);
	ls_obs_dispatch_begin(o, &e2, 1);
	ls_obs_verdict(o, 77, LS_VERDICT_DROP, fake_k + 1000000000ull, fake_k + 13000,
		       fake_k + 13500, true);
	ls_obs_guest_call(o, "dispatch", &e2, 1, fake_k + 11000, fake_k + 12000);
	ls_obs_dispatch_end(o);
	ls_obs_close(o);

	FILE *tf = fopen(tpath, "r");
	CHECK(tf);
	if (!tf)
		return;
	static char tb[1 << 20];
	size_t n = fread(tb, 1, sizeof(tb) - 1, tf);
	tb[n] = 0;
	fclose(tf);
	unlink(tpath);
	unlink(log_path());
	cJSON *t = cJSON_Parse(tb);
	CHECK(t);
	if (!t)
		return;
	/* arrows by id: start ts and end ts (trace ts in microseconds from the
	 * first record; compare them as offsets from each other) */
	double s_ts[4], f_ts[4], s_id[4], f_id[4];
	int ns = 0, nf = 0, refresh = 0;
	cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(t, "traceEvents"))
	{
		const char *ph = cJSON_GetStringValue(cJSON_GetObjectItem(e, "ph"));
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
		double ts = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "ts"));
		double id = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "id"));
		if (ph && !strcmp(ph, "s") && ns < 4)
			s_ts[ns] = ts, s_id[ns++] = id;
		if (ph && !strcmp(ph, "f") && nf < 4)
			f_ts[nf] = ts, f_id[nf++] = id;
		if (name && !strcmp(name, "verdict (refresh)"))
			refresh++;
	}
	CHECK_EQ_INT(ns, 2);
	CHECK_EQ_INT(nf, 2);
	CHECK_EQ_INT(refresh, 1);
	if (ns == 2 && nf == 2) {
		CHECK(s_id[0] != s_id[1]);
		/* the first verdict (9 us after e1) ends e1's arrow (e1 at 0 us) */
		CHECK(f_id[0] == s_id[0]);
		CHECK(f_id[1] == s_id[1]);
		CHECK(f_ts[0] - s_ts[0] > 8.0 && f_ts[0] - s_ts[0] < 10.0);
		CHECK(f_ts[1] - s_ts[1] > 7.0 && f_ts[1] - s_ts[1] < 9.0);
	}
	cJSON_Delete(t);
}

TEST(hub_raises_alarms)
{
	char tpath[64];
	snprintf(tpath, sizeof(tpath), "/tmp/ls-obs-trace-%d.json", (int)getpid());
	struct ls_obs *o = hub(tpath);
	CHECK(o);
	if (!o)
		return;
	fake_k += 1000000; /* flows begin after the agent started */
	/* a flow: event, guest call, verdict 30 ms later -> latency alarm */
	struct ls_event ev = {.version = LS_WIRE_VERSION, .kind = LS_EV_FLOW_NEW, .flow_id = 9,
			      .ts_k = fake_k};
	ls_obs_event(o, &ev, fake_k + 10000);
	ls_obs_dispatch_begin(o, &ev, 1);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_LATENCY), 0);
	ls_obs_verdict(o, 9, LS_VERDICT_PASS, fake_k + 1000000000ull, fake_k + 30000000,
		       fake_k + 30001000, true);
	ls_obs_guest_call(o, "dispatch", &ev, 1, fake_k + 20000, fake_k + 30000);
	ls_obs_dispatch_end(o);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_LATENCY), 1);
	/* a refresh has no event waiting: no latency, no alarm */
	ls_obs_verdict(o, 9, LS_VERDICT_PASS, fake_k + 2000000000ull, fake_k + 90000000,
		       fake_k + 90001000, true);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_LATENCY), 1);
	/* its verdict expires while packets still flow: early expiry */
	struct ls_event ex = ev;
	ex.kind = LS_EV_VERDICT_EXPIRED;
	ex.u.expired.deadline_k = fake_k + 1000000000ull;
	ex.ts_k = ex.u.expired.deadline_k + 1000000;
	/* a drop verdict running out on a live peer is not the symptom */
	ex.u.expired.verdict = LS_VERDICT_DROP;
	ls_obs_event(o, &ex, ex.ts_k + 1000);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), 0);
	ex.u.expired.verdict = LS_VERDICT_PASS;
	ls_obs_event(o, &ex, ex.ts_k + 1000);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), 1);
	/* a flow that ended does not count */
	struct ls_event end = ev;
	end.kind = LS_EV_FLOW_END;
	ls_obs_event(o, &end, fake_k);
	ls_obs_event(o, &ex, ex.ts_k + 1000);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), 1);
	/* beats: a good one, then one with an interval twice the configured */
	struct ls_obs_beat b = {.seq = 1, .fired_k = fake_k, .delivered_k = fake_k + 50000,
				.configured_interval_ns = 100000000, .have_sample = true,
				.rtt_ns = 20000, .offset_ns = 1000, .eps_ns = 10000, .good = true};
	ls_obs_beat(o, &b);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_BEAT_INTERVAL), 0);
	b.seq = 2;
	b.fired_k += 200000000;
	b.observed_interval_ns = 200000000;
	ls_obs_beat(o, &b);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_BEAT_INTERVAL), 1);
	/* an offset jump of 50 ms */
	b.seq = 3;
	b.fired_k += 100000000;
	b.observed_interval_ns = 100000000;
	b.offset_ns += 50000000;
	ls_obs_beat(o, &b);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_OFFSET_JUMP), 1);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_OFFSET), 1); /* 50.001 ms > 50 ms */
	/* ring buffer: first reading is the baseline, then a loss */
	const char *names[LS_CNT__MAX] = {0};
	uint64_t vals[LS_CNT__MAX] = {0};
	names[LS_CNT_RINGBUF_FULL] = "ringbuf_full";
	vals[LS_CNT_RINGBUF_FULL] = 3;
	ls_obs_dp_counters(o, names, vals, LS_CNT__MAX, fake_k);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_RINGBUF_LOSS), 0);
	vals[LS_CNT_RINGBUF_FULL] = 10;
	ls_obs_dp_counters(o, names, vals, LS_CNT__MAX, fake_k);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_RINGBUF_LOSS), 1);
	/* a trapping guest */
	struct ls_obs_policy p = {.calls = 10, .healthy = true};
	ls_obs_policy(o, &p, fake_k);
	p.traps = 6;
	p.healthy = false;
	ls_obs_policy(o, &p, fake_k + 1000000000ull);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_TRAP_STORM), 1);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_FUEL_STORM), 0);
	/* fail-safe enter and leave */
	struct ls_event fs = {.version = LS_WIRE_VERSION, .kind = LS_EV_FAILSAFE, .ts_k = fake_k};
	fs.u.failsafe.entered = 1;
	ls_obs_event(o, &fs, fake_k);
	CHECK(ls_obs_alarm_open(o, LS_ALARM_FAILSAFE));
	fs.u.failsafe.entered = 0;
	fs.ts_k += 500000000;
	ls_obs_event(o, &fs, fs.ts_k);

	/* metrics say the same */
	char *m = NULL;
	size_t ml;
	FILE *mf = open_memstream(&m, &ml);
	ls_metrics_write(ls_obs_metrics(o), mf);
	fclose(mf);
	CHECK(strstr(m, "lockstep_alarms_total{kind=\"early_expiry\"} 1\n"));
	CHECK(strstr(m, "lockstep_alarms_total{kind=\"trap_storm\"} 1\n"));
	CHECK(strstr(m, "lockstep_events_total{kind=\"flow_new\"} 1\n"));
	CHECK(strstr(m, "lockstep_verdicts_total{verdict=\"pass\"} 2\n"));
	CHECK(strstr(m, "lockstep_verdict_latency_seconds_count 1\n"));
	CHECK(strstr(m, "lockstep_failsafe_transitions_total{direction=\"enter\"} 1\n"));
	CHECK(strstr(m, "lockstep_ringbuf_lost_total 10\n"));
	free(m);

	/* status JSON lists them, with a section for each part that runs */
	char st[8192];
	p.path = "guests/x.wasm";
	ls_obs_policy(o, &p, fake_k + 1000000000ull);
	struct ls_obs_heartbeat hbc = {.interval_ns = 100000000, .check_interval_ns = 100000000,
				       .detect_multiplier = 3, .sync = true};
	ls_obs_set_heartbeat(o, &hbc);
	ls_obs_liveness(o, true);
	ls_obs_status_json(o, fake_k, st, sizeof(st));
	cJSON *j = cJSON_Parse(st);
	CHECK(j);
	if (j) {
		cJSON *jp = cJSON_GetObjectItem(j, "policy"), *jh = cJSON_GetObjectItem(j, "heartbeat");
		CHECK(jp && jh);
		if (jp && jh) {
			CHECK_EQ_STR(cJSON_GetObjectItem(jp, "path")->valuestring, "guests/x.wasm");
			CHECK_EQ_INT(cJSON_GetObjectItem(jp, "traps")->valueint, 6);
			CHECK_EQ_INT(cJSON_GetObjectItem(jh, "beats")->valueint, 3);
			CHECK(cJSON_GetObjectItem(jh, "offset_ns") != NULL);
		}
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "alarms")) >= 7);
		/* the liveness map says fail-safe, whatever the events said */
		CHECK_EQ_STR(cJSON_GetObjectItem(j, "mode")->valuestring, "fail-safe");
		CHECK(cJSON_GetObjectItem(j, "alarms_open")->valueint >= 7);
		cJSON_Delete(j);
	}
	ls_obs_liveness(o, false);
	/* alarms clear after clear_ns without recurrence */
	fake_k += 3 * c.clear_ns;
	ls_obs_tick(o, fake_k);
	CHECK(!ls_obs_alarm_open(o, LS_ALARM_EARLY_EXPIRY));
	ls_obs_close(o); /* writes the trace */

	char *log = read_log();
	CHECK(strstr(log, "\"kind\":\"alarm_early_expiry\""));
	CHECK(strstr(log, "\"kind\":\"alarm_cleared\""));
	CHECK(strstr(log, "\"kind\":\"policy_health\""));
	FILE *tf = fopen(tpath, "r");
	CHECK(tf);
	if (tf) {
		static char tb[1 << 20];
		size_t n = fread(tb, 1, sizeof(tb) - 1, tf);
		tb[n] = 0;
		fclose(tf);
		cJSON *t = cJSON_Parse(tb);
		CHECK(t);
		CHECK(strstr(tb, "\"ph\":\"s\""));
		CHECK(strstr(tb, "\"ph\":\"f\""));
		CHECK(strstr(tb, "alarm_early_expiry"));
		cJSON_Delete(t);
	}
	unlink(tpath);
	unlink(log_path());
}

TEST(quiet_run_raises_nothing)
{
	struct ls_obs *o = hub(NULL);
	CHECK(o);
	if (!o)
		return;
	for (uint64_t i = 0; i < 200; i++) {
		struct ls_event ev = {.version = LS_WIRE_VERSION, .kind = LS_EV_FLOW_NEW,
				      .flow_id = 100 + i, .ts_k = fake_k};
		ls_obs_event(o, &ev, fake_k + 20000);
		ls_obs_guest_call(o, "dispatch", &ev, 1, fake_k + 30000, fake_k + 40000);
		ls_obs_verdict(o, ev.flow_id, LS_VERDICT_PASS, fake_k + 1000000000ull,
			       fake_k + 40000, fake_k + 45000, true);
		struct ls_obs_beat b = {.seq = i, .fired_k = fake_k, .delivered_k = fake_k + 30000,
					.configured_interval_ns = 100000000,
					.observed_interval_ns = i ? 100000000 : 0,
					.have_sample = true, .rtt_ns = 15000,
					.offset_ns = 5000000 + (int64_t)(i % 3) * 1000,
					.rate = 20e-6, .eps_ns = 20000, .good = true};
		ls_obs_beat(o, &b);
		fake_k += 100000000;
	}
	for (int k = 0; k < LS_ALARM__MAX; k++) {
		if (ls_obs_alarm_count(o, k))
			printf("# unexpected alarm %s\n", ls_alarm_name(k));
		CHECK_EQ_INT(ls_obs_alarm_count(o, k), 0);
	}
	ls_obs_close(o);
	unlink(log_path());
}

/* ---- early expiry under many flows ---------------------------------------- */

/* A fake flow table, the data plane's LRU as the detector sees it: TABCAP
 * slots (the kernel's flows map holds 65536, more than the hub remembers
 * ends of), a newer flow takes an older one's place; the flows in live[]
 * are active, so the LRU keeps them. */
#define TABCAP 65536
static struct ls_flow tab[TABCAP];
static struct ls_flow live[4];
static int nlive;
static uint64_t lookups;

static struct ls_flow_key key_of(uint64_t id)
{
	struct ls_flow_key k = {.proto = 6, .family = 4, .hi_port = 80,
				.lo_port = (uint16_t)(id & 0xffff)};
	memcpy(k.lo_addr + 8, &id, sizeof(id));
	return k;
}

static int tab_lookup(void *ctx, const struct ls_flow_key *key, struct ls_flow *out)
{
	(void)ctx;
	uint64_t id;
	memcpy(&id, key->lo_addr + 8, sizeof(id));
	lookups++;
	for (int i = 0; i < nlive; i++)
		if (live[i].flow_id == id) {
			*out = live[i];
			return 0;
		}
	/* the slot may hold another flow now: the detector must compare ids */
	const struct ls_flow *f = &tab[id % TABCAP];
	struct ls_flow_key fk = key_of(f->flow_id);
	if (!f->flow_id || memcmp(&fk, key, sizeof(*key)))
		return -1;
	*out = *f;
	return 0;
}

static void event(struct ls_obs *o, uint16_t kind, uint64_t id, uint64_t ts_k)
{
	struct ls_event ev = {.version = LS_WIRE_VERSION, .kind = kind, .flow_id = id,
			      .ts_k = ts_k, .key = key_of(id)};
	ls_obs_event(o, &ev, ts_k + 20000);
}

/* n short connections: each opens, is allowed, closes; then the tick that
 * raced its close renews its lease (the kernel had just deleted the
 * verdict with the flow), and the lease runs out on a teardown
 * retransmission 1 ms after its deadline. Far more flows than the hub's
 * cache (FLOWTAB), its set of ends (2 x LS_ENDS_GEN) and the flow table. */
static void churn(struct ls_obs *o, uint64_t first_id, uint64_t n, bool expire)
{
	uint64_t t0 = fake_k;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t id = first_id + i, t = t0 + i * 20000;
		event(o, LS_EV_FLOW_NEW, id, t);
		ls_obs_verdict(o, id, LS_VERDICT_PASS, t + 1500000000ull, t + 50000, t + 60000, true);
		event(o, LS_EV_FLOW_END, id, t + 5000);
		tab[id % TABCAP] = (struct ls_flow){.flow_id = id, .first_seen_k = t,
						    .last_seen_k = t + 5000,
						    .state = LS_FLOW_CLOSED};
		ls_obs_verdict(o, id, LS_VERDICT_PASS, t + 1500000000ull + 10000, t + 10000,
			       t + 11000, true);
	}
	fake_k = t0 + n * 20000 + 1600000000ull;
	for (uint64_t i = 0; expire && i < n; i++) {
		uint64_t id = first_id + i, t = t0 + i * 20000;
		struct ls_event ex = {.version = LS_WIRE_VERSION, .kind = LS_EV_VERDICT_EXPIRED,
				      .flow_id = id, .key = key_of(id),
				      .ts_k = t + 1500000000ull + 10000 + 1000000};
		ex.u.expired.verdict = LS_VERDICT_PASS;
		ex.u.expired.deadline_k = t + 1500000000ull + 10000;
		ls_obs_event(o, &ex, fake_k);
	}
	fake_k += 1000000;
}

static double series(struct ls_obs *o, const char *name)
{
	char *m = NULL, *p;
	size_t ml;
	double v = -1;
	FILE *mf = open_memstream(&m, &ml);
	ls_metrics_write(ls_obs_metrics(o), mf);
	fclose(mf);
	if (m && (p = strstr(m, name)) && p[strlen(name)] == ' ')
		v = strtod(p + strlen(name) + 1, NULL);
	free(m);
	return v;
}

#define JUDGED(x) "lockstep_pass_expiries_total{judged=\"" x "\"}"

/* The false alarm of lease_live.sh's 10,000-connection run: a cache that
 * forgets an ended flow must not make it an active one. With the flow
 * table and from the events alone. */
TEST(ended_flows_overflowing_the_cache_raise_nothing)
{
	uint64_t n = 3 * LS_ENDS_GEN; /* > 2 x LS_ENDS_GEN > FLOWTAB */
	for (int with_table = 1; with_table >= 0; with_table--) {
		struct ls_obs *o = hub_with(NULL, with_table ? tab_lookup : NULL);
		CHECK(o);
		if (!o)
			return;
		memset(tab, 0, sizeof(tab));
		nlive = 0;
		lookups = 0;
		fake_k += 1000000;
		churn(o, 1000, n, true);
		CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), 0);
		double ended = series(o, JUDGED("ended")), unknown = series(o, JUDGED("unknown"));
		printf("# %s: %llu expiries of ended flows: %.0f judged ended, %.0f unknown\n",
		       with_table ? "with the flow table" : "events only", (unsigned long long)n,
		       ended, unknown);
		CHECK(ended >= LS_ENDS_GEN);          /* the newest ends are remembered */
		CHECK(unknown > 0);                   /* the oldest were forgotten ... */
		CHECK_EQ_INT(ended + unknown, n);     /* ... and none became "early" */
		CHECK_EQ_INT(series(o, JUDGED("early")), 0);
		if (with_table) /* asked only when the end was not remembered */
			CHECK_EQ_INT(lookups, (uint64_t)unknown);
		/* a new connection on a 5-tuple whose last lease was renewed
		 * after it closed: its first packet finds that lease expired */
		uint64_t id = 900000;
		event(o, LS_EV_FLOW_NEW, id, fake_k);
		live[nlive++] = (struct ls_flow){.flow_id = id, .first_seen_k = fake_k,
						 .last_seen_k = fake_k, .state = LS_FLOW_NEW};
		struct ls_event ex = {.version = LS_WIRE_VERSION, .kind = LS_EV_VERDICT_EXPIRED,
				      .flow_id = id, .key = key_of(id), .ts_k = fake_k};
		ex.u.expired.verdict = LS_VERDICT_PASS;
		ex.u.expired.deadline_k = fake_k - 1000000;
		ls_obs_event(o, &ex, fake_k + 1000);
		CHECK_EQ_INT(series(o, JUDGED("reused")), 1);
		CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), 0);
		ls_obs_close(o);
	}
	unlink(log_path());
}

/* ... and the detector still sees the failure it exists for once the
 * caches have churned: a long-lived connection, open in the flow table,
 * whose lease ran out 1 ms before its packet. */
TEST(early_expiry_caught_after_churn)
{
	struct ls_obs *o = hub_with(NULL, tab_lookup);
	CHECK(o);
	if (!o)
		return;
	memset(tab, 0, sizeof(tab));
	nlive = 0;
	fake_k += 1000000;
	uint64_t id = 7, first = fake_k;
	event(o, LS_EV_FLOW_NEW, id, first);
	live[nlive++] = (struct ls_flow){.flow_id = id, .first_seen_k = first,
					 .state = LS_FLOW_ESTABLISHED};
	churn(o, 1000, 3 * LS_ENDS_GEN, false);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), 0);
	struct ls_event ex = {.version = LS_WIRE_VERSION, .kind = LS_EV_VERDICT_EXPIRED,
			      .flow_id = id, .key = key_of(id), .ts_k = fake_k};
	ex.u.expired.verdict = LS_VERDICT_PASS;
	ex.u.expired.deadline_k = fake_k - 1000000;
	ls_obs_event(o, &ex, fake_k + 1000);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), 1);
	CHECK_EQ_INT(series(o, JUDGED("early")), 1);
	/* an expiry on a connection that closed a moment later (its end is
	 * still behind the expiry in the ring): it was open when it expired */
	uint64_t id2 = 8;
	event(o, LS_EV_FLOW_NEW, id2, fake_k + 1000);
	live[nlive++] = (struct ls_flow){.flow_id = id2, .first_seen_k = fake_k + 1000,
					 .state = LS_FLOW_CLOSED};
	fake_k += 500000000;
	ex.flow_id = id2;
	ex.key = key_of(id2);
	ex.ts_k = fake_k;
	ex.u.expired.deadline_k = fake_k - 1000;
	ls_obs_event(o, &ex, fake_k + 1000);
	CHECK_EQ_INT(series(o, JUDGED("early")), 2);
	ls_obs_close(o);
	char *log = read_log();
	CHECK(strstr(log, "\"alarm\":\"early_expiry\",\"event_k\""));
	CHECK(strstr(log, "\"flow_id\":7,"));
	CHECK(strstr(log, "\"from\":\"flow table\""));

	/* from the events alone: a flow that began after the churn is judged
	 * on its FLOW_NEW; one whose FLOW_NEW the cache lost is unknown, and
	 * so is one begun before the ring buffer lost events (its end may
	 * have been among them) */
	o = hub_with(NULL, NULL);
	CHECK(o);
	if (!o)
		return;
	fake_k += 1000000;
	event(o, LS_EV_FLOW_NEW, 7, fake_k);
	churn(o, 1000, 3 * LS_ENDS_GEN, false);
	event(o, LS_EV_FLOW_NEW, 9, fake_k);
	fake_k += 1000000;
	ex.ts_k = fake_k;
	ex.u.expired.deadline_k = fake_k - 1000;
	for (uint64_t f = 7; f <= 9; f += 2) {
		ex.flow_id = f;
		ex.key = key_of(f);
		ls_obs_event(o, &ex, fake_k + 1000);
	}
	CHECK_EQ_INT(series(o, JUDGED("early")), 1);    /* 9 */
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), 1);
	const char *names[LS_CNT__MAX] = {0};
	uint64_t vals[LS_CNT__MAX] = {0};
	names[LS_CNT_RINGBUF_FULL] = "ringbuf_full";
	ls_obs_dp_counters(o, names, vals, LS_CNT__MAX, fake_k);
	vals[LS_CNT_RINGBUF_FULL] = 1;
	fake_k += 1000000;
	ls_obs_dp_counters(o, names, vals, LS_CNT__MAX, fake_k);
	ls_obs_event(o, &ex, fake_k + 1000); /* 9 again, begun before the loss */
	CHECK_EQ_INT(series(o, JUDGED("early")), 1);
	CHECK(series(o, JUDGED("unknown")) >= 2);
	ls_obs_close(o);
	unlink(log_path());
}

/* lease_live.sh's flake: a SYN nobody answered (state NEW in the flow
 * table) whose handshake lease runs out 1.9 s later, where the data plane
 * sees both directions (--tc): no live connection, judged "unanswered",
 * no alarm. Attached XDP only, the same flow is no evidence (every flow
 * stays NEW there) and still raises it. */
TEST(unanswered_flow_is_no_early_expiry)
{
	for (int tc = 1; tc >= 0; tc--) {
		struct ls_obs *o = hub_with(NULL, tab_lookup);
		CHECK(o);
		if (!o)
			return;
		struct ls_obs_attach a = {.iface = "vs", .xdp_mode = "native", .tc_egress = tc,
					  .pin_dir = "/sys/fs/bpf/t"};
		ls_obs_set_attach(o, &a);
		memset(tab, 0, sizeof(tab));
		nlive = 0;
		fake_k += 1000000;
		uint64_t id = 11, first = fake_k;
		event(o, LS_EV_FLOW_NEW, id, first);
		live[nlive++] = (struct ls_flow){.flow_id = id, .first_seen_k = first,
						 .last_seen_k = first + 3000000000ull,
						 .state = LS_FLOW_NEW};
		fake_k += 6900000000ull;
		struct ls_event ex = {.version = LS_WIRE_VERSION, .kind = LS_EV_VERDICT_EXPIRED,
				      .flow_id = id, .key = key_of(id), .ts_k = fake_k};
		ex.u.expired.verdict = LS_VERDICT_PASS;
		ex.u.expired.deadline_k = fake_k - 1900000000ull;
		ls_obs_event(o, &ex, fake_k + 1000);
		CHECK_EQ_INT(series(o, JUDGED("unanswered")), tc ? 1 : 0);
		CHECK_EQ_INT(series(o, JUDGED("early")), tc ? 0 : 1);
		CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_EARLY_EXPIRY), tc ? 0 : 1);
		ls_obs_close(o);
	}
	unlink(log_path());
}

/* A data-plane-only agent: status says where it is attached and carries no
 * heartbeat or policy section, and stays valid JSON in a small buffer. */
TEST(status_sections)
{
	struct ls_obs *o = hub(NULL);
	CHECK(o);
	if (!o)
		return;
	struct ls_obs_attach a = {.iface = "vs\"x", .xdp_mode = "generic", .tc_egress = true,
				  .pin_dir = "/sys/fs/bpf/t", .ringbuf_bytes = 4096, .pid = 7};
	ls_obs_set_attach(o, &a);
	const char *names[LS_CNT__MAX] = {0};
	uint64_t vals[LS_CNT__MAX] = {0};
	names[LS_CNT_PKTS] = "pkts";
	names[LS_CNT_DROP_VERDICT] = "drop_verdict";
	names[LS_CNT_DROP_DEFAULT] = "drop_default";
	vals[LS_CNT_PKTS] = 100;
	ls_obs_dp_counters(o, names, vals, LS_CNT__MAX, fake_k);
	vals[LS_CNT_PKTS] = 300;
	vals[LS_CNT_DROP_VERDICT] = 4;
	vals[LS_CNT_DROP_DEFAULT] = 1;
	ls_obs_dp_counters(o, names, vals, LS_CNT__MAX, fake_k + 2000000000ull);
	char st[4096];
	ls_obs_status_json(o, fake_k, st, sizeof(st));
	cJSON *j = cJSON_Parse(st);
	CHECK(j);
	if (j) {
		CHECK(!cJSON_GetObjectItem(j, "heartbeat"));
		CHECK(!cJSON_GetObjectItem(j, "policy"));
		CHECK(!cJSON_GetObjectItem(j, "metrics"));
		CHECK_EQ_STR(cJSON_GetObjectItem(j, "mode")->valuestring, "normal");
		cJSON *ja = cJSON_GetObjectItem(j, "attach"), *pk = cJSON_GetObjectItem(j, "packets");
		CHECK(ja && pk);
		if (ja && pk) {
			CHECK_EQ_STR(cJSON_GetObjectItem(ja, "iface")->valuestring, "vs\"x");
			CHECK(cJSON_IsTrue(cJSON_GetObjectItem(ja, "tc_egress")));
			CHECK_EQ_INT(cJSON_GetObjectItem(ja, "ringbuf_bytes")->valueint, 4096);
			CHECK_EQ_INT(cJSON_GetObjectItem(pk, "total")->valueint, 300);
			CHECK_EQ_INT(cJSON_GetObjectItem(pk, "dropped")->valueint, 5);
			CHECK_EQ_INT(cJSON_GetObjectItem(pk, "per_s")->valueint, 100);
		}
		CHECK_EQ_INT(cJSON_GetObjectItem(j, "pid")->valueint, 7);
		cJSON_Delete(j);
	}
	/* too small a buffer: still JSON */
	ls_obs_status_json(o, fake_k, st, 40);
	j = cJSON_Parse(st);
	CHECK(j && cJSON_GetObjectItem(j, "error"));
	cJSON_Delete(j);
	ls_obs_close(o);
	unlink(log_path());
}

static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Output files that cannot be written: a trace dump into a directory that
 * is gone, and the log file swapped for /dev/full (every write ENOSPC).
 * Each failure counts in lockstep_output_write_errors_total{file=...}, the
 * output_write alarm opens once, and the trace failure is logged once
 * however many dumps fail; a dump that works again says so. */
TEST(output_write_errors_counted_and_alarmed)
{
	fake_k = 1000000000ull;
	struct ls_obs *o = hub("/tmp/ls-obs-no-such-dir/trace.json");
	CHECK(o != NULL);
	if (!o)
		return;
	struct ls_err err;
	CHECK(ls_obs_trace_dump(o, NULL, &err) != 0);
	CHECK(ls_obs_trace_dump(o, NULL, &err) != 0);
	CHECK(ls_obs_trace_dump(o, NULL, &err) != 0);
	CHECK(ls_obs_alarm_open(o, LS_ALARM_OUTPUT_WRITE));
	CHECK_EQ_INT((int)ls_obs_alarm_count(o, LS_ALARM_OUTPUT_WRITE), 3);
	char tpath[64];
	snprintf(tpath, sizeof(tpath), "/tmp/ls-obs-trace-%d.json", (int)getpid());
	CHECK_EQ_INT(ls_obs_trace_dump(o, tpath, &err), 0);
	unlink(tpath);
	const char *log = read_log();
	CHECK_EQ_INT(count(log, "\"kind\":\"trace_write_error\""), 1);
	CHECK_EQ_INT(count(log, "\"kind\":\"alarm_output_write\""), 1);
	CHECK_EQ_INT(count(log, "\"kind\":\"trace_write_recovered\""), 1);

	FILE *full = fopen("/dev/full", "w");
	CHECK(full != NULL);
	if (full) {
		int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2); /* the one line the log says on stderr */
		ls_log_set_out(ls_obs_log(o), full);
		for (int i = 0; i < 4; i++)
			ls_log(ls_obs_log(o), LS_LOG_INFO, "state", "lost", NULL);
		dup2(saved, 2);
		close(saved);
		close(devnull);
		CHECK(ls_log_write_errors(ls_obs_log(o)) >= 4);
	}
	char *m = NULL;
	size_t ml;
	FILE *mf = open_memstream(&m, &ml);
	ls_metrics_write(ls_obs_metrics(o), mf);
	fclose(mf);
	CHECK(strstr(m, "lockstep_output_write_errors_total{file=\"trace\"} 3\n"));
	/* the alarm was open already: no alarm line tried, 4 lines lost */
	CHECK(strstr(m, "lockstep_output_write_errors_total{file=\"log\"} 4\n"));
	CHECK(strstr(m, "lockstep_alarm_active{kind=\"output_write\"} 1\n"));
	free(m);
	if (full) {
		/* the hub closes its own log file, not this one */
		ls_log_set_out(ls_obs_log(o), NULL);
		fclose(full);
	}
	ls_obs_close(o);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	ls_detect_defaults(&c);
	RUN(beat_interval);
	RUN(offset_rate_jump);
	RUN(latency);
	RUN(early_expiry);
	RUN(flow_facts);
	RUN(ends_set);
	RUN(ringbuf_and_storm);
	RUN(hub_raises_alarms);
	RUN(arrows_tie_a_verdict_to_the_event_dispatched);
	RUN(quiet_run_raises_nothing);
	RUN(ended_flows_overflowing_the_cache_raise_nothing);
	RUN(early_expiry_caught_after_churn);
	RUN(unanswered_flow_is_no_early_expiry);
	RUN(status_sections);
	RUN(output_write_errors_counted_and_alarmed);
	return test_done();
}
