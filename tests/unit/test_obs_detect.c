/* test_obs_detect.c - each detector on its own (pure functions), then the
 * agent hub raising alarms from observations: log line, metric, status. */
#include "test.h"
#include "obs/agent.h"
#include "obs/detect.h"

#include <cjson/cJSON.h>
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
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 1000, 100, 1e-6), 0);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 60000000, 100, 0), 1u << LS_ALARM_OFFSET);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, -60000000, 100, 0), 1u << LS_ALARM_OFFSET);
	/* a 50 ms step between beats is a jump; 0.5 ms is not */
	CHECK_EQ_INT(ls_detect_offset(&c, true, 0, 50000000, 1000, 0), 1u << LS_ALARM_OFFSET_JUMP);
	CHECK_EQ_INT(ls_detect_offset(&c, true, 0, 500000, 1000, 0), 0);
	/* ... unless the uncertainty explains it */
	CHECK_EQ_INT(ls_detect_offset(&c, true, 0, 2500000, 2000000, 0), 0);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, 600e-6), 1u << LS_ALARM_RATE);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, -600e-6), 1u << LS_ALARM_RATE);
	CHECK_EQ_INT(ls_detect_offset(&c, false, 0, 0, 0, 400e-6), 0);
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
	CHECK(ls_detect_early_expiry(&c, d + 1000, d, false));       /* packet right after */
	CHECK(ls_detect_early_expiry(&c, d + 1900000000ull, d, false));
	CHECK(!ls_detect_early_expiry(&c, d + 5000000000ull, d, false)); /* idle flow */
	CHECK(!ls_detect_early_expiry(&c, d + 1000, d, true));        /* flow had ended */
	CHECK(!ls_detect_early_expiry(&c, d + 1000, 0, false));       /* no deadline */
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

static struct ls_obs *hub(const char *trace)
{
	struct ls_obs_config cfg = {.trace_path = trace, .log_path = log_path(),
				    .time = {NULL, now_k, wall}};
	char err[256];
	struct ls_obs *o;
	unlink(log_path());
	if (ls_obs_open(&o, &cfg, err, sizeof(err))) {
		printf("# %s\n", err);
		return NULL;
	}
	return o;
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

TEST(hub_raises_alarms)
{
	char tpath[64];
	snprintf(tpath, sizeof(tpath), "/tmp/ls-obs-trace-%d.json", (int)getpid());
	struct ls_obs *o = hub(tpath);
	CHECK(o);
	if (!o)
		return;
	/* a flow: event, guest call, verdict 30 ms later -> latency alarm */
	struct ls_event ev = {.version = LS_WIRE_VERSION, .kind = LS_EV_FLOW_NEW, .flow_id = 9,
			      .ts_k = fake_k};
	ls_obs_event(o, &ev, fake_k + 10000);
	ls_obs_guest_call(o, "dispatch", &ev, 1, fake_k + 20000, fake_k + 30000);
	CHECK_EQ_INT(ls_obs_alarm_count(o, LS_ALARM_LATENCY), 0);
	ls_obs_verdict(o, 9, LS_VERDICT_PASS, fake_k + 1000000000ull, fake_k + 30000000,
		       fake_k + 30001000, true);
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

int main(void)
{
	ls_detect_defaults(&c);
	RUN(beat_interval);
	RUN(offset_rate_jump);
	RUN(latency);
	RUN(early_expiry);
	RUN(ringbuf_and_storm);
	RUN(hub_raises_alarms);
	RUN(quiet_run_raises_nothing);
	RUN(status_sections);
	return test_done();
}
