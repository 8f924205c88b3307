/* test_agent_workers.c - the agent's policy workers (src/agent/worker.c,
 * docs/workers.md) on the real program in this kernel (BPF_PROG_TEST_RUN,
 * private maps) with two worker threads, each its own instance of the
 * minimal guest (every new flow passes for 10 s), while the main thread
 * does what the agent's does meanwhile: reloads every worker, asks their
 * status and health, reports their stats to the shared observability hub.
 * Built twice: under ASan (build/asan/tests) and under ThreadSanitizer
 * (build/tsan/tests/test_tsan_agent_workers: the whole library under TSan), which
 * fails the run on any data race between the threads.
 *
 * Expected, by hand: 200 TCP SYNs of distinct 5-tuples are 200 new flows,
 * each gets a pass verdict in the kernel's map; the flows each worker gets
 * are counted here from docs/workers.md's rule (FNV-1a 32 of the canonical
 * 5-tuple, times 2, the high 32 bits), written again, not taken from the
 * program. Needs root. */
#include "test.h"
#include "frame4.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/obs_link.h"
#include "agent/worker.h"
#include "base/time.h"
#include "dataplane/dataplane.h"
#include "dataplane/testrun.h"
#include "lockstep.skel.h"
#include "obs/hub.h"
#include "obs/metrics.h"

#define FLOWS 200

/* ---- the documented rule, again ---------------------------------------- */

static uint32_t fnv1a(const uint8_t *b, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* canonical key bytes: the lower (address, port) endpoint first */
static uint32_t shard_of(const uint8_t s[4], uint16_t sp, const uint8_t d[4], uint16_t dp,
			 uint32_t n)
{
	uint8_t b[37] = {0};
	int c = memcmp(s, d, 4);
	bool lo = c != 0 ? c < 0 : sp <= dp;
	b[10] = b[11] = b[26] = b[27] = 0xff;
	memcpy(b + 12, lo ? s : d, 4);
	memcpy(b + 28, lo ? d : s, 4);
	uint16_t lp = lo ? sp : dp, hp = lo ? dp : sp;
	b[32] = (uint8_t)(lp >> 8), b[33] = (uint8_t)lp;
	b[34] = (uint8_t)(hp >> 8), b[35] = (uint8_t)hp;
	b[36] = 6;
	return (uint32_t)(((uint64_t)fnv1a(b, sizeof(b)) * n) >> 32);
}

static void key_of(struct ls_flow_key *k, const uint8_t s[4], uint16_t sp, const uint8_t d[4],
		   uint16_t dp)
{
	memset(k, 0, sizeof(*k));
	int c = memcmp(s, d, 4);
	bool lo = c != 0 ? c < 0 : sp <= dp;
	k->lo_addr[10] = k->lo_addr[11] = k->hi_addr[10] = k->hi_addr[11] = 0xff;
	memcpy(k->lo_addr + 12, lo ? s : d, 4);
	memcpy(k->hi_addr + 12, lo ? d : s, 4);
	k->lo_port = lo ? sp : dp;
	k->hi_port = lo ? dp : sp;
	k->proto = 6;
	k->family = 4;
}

static const uint8_t SRV[4] = {198, 19, 0, 1};

static void client_of(int i, uint8_t c[4], uint16_t *port)
{
	c[0] = 198, c[1] = 18, c[2] = (uint8_t)(i >> 8), c[3] = (uint8_t)(i + 1);
	*port = (uint16_t)(30000 + i);
}

static int syn(struct ls_testrun *t, int i)
{
	uint8_t f[128];
	struct frame4 fr = {.proto = 6, .dport = 80, .tcp_flags = 0x02};
	client_of(i, fr.src, &fr.sport);
	memcpy(fr.dst, SRV, 4);
	size_t n = frame4(f, &fr);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (uint32_t)n, .repeat = 1);
	return bpf_prog_test_run_opts(bpf_program__fd(ls_testrun_skel(t)->progs.ls_tc), &o);
}

/* Whether the kernel's verdict map holds a verdict for flow i (into *rec). */
static bool has_verdict(struct ls_dp *dp, int i, struct ls_verdict_rec *rec)
{
	uint8_t c[4];
	uint16_t p;
	struct ls_flow_key k;
	struct ls_err err;
	client_of(i, c, &p);
	key_of(&k, c, p, SRV, 80);
	return ls_dp_verdict_get(dp, &k, rec, &err) == 0;
}

static int verdicts_in_map(struct ls_dp *dp, int *pass)
{
	int found = 0;
	*pass = 0;
	for (int i = 0; i < FLOWS; i++) {
		struct ls_verdict_rec rec;
		if (has_verdict(dp, i, &rec)) {
			found++;
			*pass += rec.verdict == LS_VERDICT_PASS;
		}
	}
	return found;
}

/* field NAME (a number) of worker w's object in a status reply, -1 if
 * absent */
static long wfield(const char *reply, int w, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "{\"worker\":%d,", w);
	const char *p = strstr(reply, pat), *end;
	if (!p)
		return -1;
	end = strchr(p, '}');
	snprintf(pat, sizeof(pat), "\"%s\":", name);
	const char *f = strstr(p, pat);
	return f && f < end ? strtol(f + strlen(pat), NULL, 10) : -1;
}

static long ring_events(const char *reply, int w)
{
	return wfield(reply, w, "ring_events");
}

/* What every test here runs on: the real program under BPF_PROG_TEST_RUN, a
 * hub, and two workers running build/guests/test/GUEST.wasm with po's other
 * fields. rig_open returns NULL, or why the test must be skipped; a failure
 * to build it is a failed CHECK, and rig.w is then NULL. */
struct rig {
	char path[4200];
	struct ls_testrun *t;
	struct ls_dp *dp;
	struct obs_link *ro;
	struct agent_workers *w;
};

static const char *rig_open(struct rig *r, const char *guest, struct policy_link_opts *po)
{
	static char why[LS_ERR_MSG_MAX]; /* outlives the test: SKIP keeps the pointer */
	const char *root = getenv("LS_ROOT");
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s/build/guests/test/%s.wasm", root ? root : ".",
		 guest);
	if (access(r->path, R_OK)) {
		snprintf(why, sizeof(why), "build/guests/test/%s.wasm not built (make guests)",
			 guest);
		return why;
	}
	struct ls_config cfg = {
	    .version = LS_WIRE_VERSION, .default_verdict = LS_VERDICT_PASS, .dpi_max_pkts = 4};
	struct ls_err e;
	if (ls_testrun_open(&r->t, &cfg, NULL, NULL, &e)) {
		snprintf(why, sizeof(why), "%s", e.msg);
		return why;
	}
	struct obs_link_opts oo;
	obs_link_opts_init(&oo);
	CHECK(ls_dp_open_testrun(&r->dp, r->t, &e) == 0);
	CHECK(r->dp && obs_link_open(&r->ro, &oo, r->dp) == 0);
	po->policy = r->path;
	struct agent_workers_opts wo = {.n = 2, .by = LS_SHARD_BY_FLOW, .po = po, .ro = r->ro};
	CHECK(r->ro && agent_workers_open(&r->w, r->dp, &wo) == 0);
	CHECK(r->w && agent_workers_start(r->w) == 0);
	return NULL;
}

/* The heartbeat's health check as the agent runs it: on the main thread,
 * under the observability lock (its log lines go through the shared hub). */
static const char *health(struct rig *r)
{
	obs_link_lock(r->ro);
	const char *why = agent_workers_health(r->w);
	obs_link_unlock(r->ro);
	return why;
}

static void rig_close(struct rig *r)
{
	agent_workers_close(r->w);
	obs_link_close(r->ro);
	ls_dp_close(r->dp);
	ls_testrun_close(r->t);
}

TEST(two_workers_decide_every_flow_while_the_main_thread_reloads_them)
{
	char reply[8192];
	struct rig rig;
	struct policy_link_opts po = {.default_verdict = LS_VERDICT_PASS,
				      .tick_interval_ns = 20000000};
	const char *skip = rig_open(&rig, "minimal", &po);
	if (skip)
		SKIP(skip);
	struct ls_testrun *t = rig.t;
	struct ls_dp *dp = rig.dp;
	struct obs_link *ro = rig.ro;
	struct agent_workers *w = rig.w;
	if (!w) {
		rig_close(&rig);
		return;
	}

	int want[2] = {0, 0}, reloads = 0, reload_fail = 0;
	for (int i = 0; i < FLOWS; i++) {
		uint8_t c[4];
		uint16_t p;
		client_of(i, c, &p);
		want[shard_of(c, p, SRV, 80, 2)]++;
		CHECK(syn(t, i) == 0);
		if (i % 25 == 0) { /* the main thread's work, while workers run */
			reload_fail +=
			    agent_workers_request(w, "reload", "", reply, sizeof(reply)) != 0;
			reloads++;
			CHECK(agent_workers_request(w, "status", "", reply, sizeof(reply)) == 0);
			health(&rig);
			agent_workers_report(w);
			obs_link_lock(ro);
			obs_link_tick(ro, NULL);
			obs_link_unlock(ro);
		}
	}
	CHECK_EQ_INT(reload_fail, 0);
	int found = 0, pass = 0;
	for (int k = 0; k < 500 && found < FLOWS; k++) {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
		found = verdicts_in_map(dp, &pass);
	}
	printf("# %d flows: %d verdicts in the map, %d pass; %d reloads; hash split %d/%d\n", FLOWS,
	       found, pass, reloads, want[0], want[1]);
	CHECK_EQ_INT(found, FLOWS);
	CHECK_EQ_INT(pass, FLOWS);
	CHECK(agent_workers_request(w, "status", "", reply, sizeof(reply)) == 0);
	printf("# status: %.300s\n", reply);
	CHECK_EQ_INT(ring_events(reply, 0), want[0]);
	CHECK_EQ_INT(ring_events(reply, 1), want[1]);
	CHECK(strstr(reply, "\"healthy\":1") != NULL);
	CHECK(health(&rig) == NULL);
	rig_close(&rig);
}

/* A guest that traps on every new flow (tests/policy/guests/hostile.c
 * "trap"), and new flows only on worker 0's shard (chosen by the rule
 * above): worker 0's instance traps and is recreated after its back-off,
 * worker 1's never runs a callback, stays healthy, is never restarted. */
TEST(a_trap_restarts_only_the_instance_of_the_worker_it_happened_on)
{
	char reply[8192];
	struct rig rig;
	struct policy_link_opts po = {
	    .config = "trap", .default_verdict = LS_VERDICT_PASS, .tick_interval_ns = 20000000};
	const char *skip = rig_open(&rig, "hostile", &po);
	if (skip)
		SKIP(skip);
	struct ls_testrun *t = rig.t;
	struct agent_workers *w = rig.w;
	int sent = 0;
	for (int i = 0; w && i < FLOWS && sent < 5; i++) {
		uint8_t c[4];
		uint16_t p;
		client_of(i, c, &p);
		if (shard_of(c, p, SRV, 80, 2) != 0)
			continue;
		CHECK(syn(t, i) == 0);
		sent++;
	}
	long traps0 = 0, restarts0 = 0;
	for (int k = 0; w && k < 500 && (traps0 < 1 || restarts0 < 1); k++) {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
		CHECK(agent_workers_request(w, "status", "", reply, sizeof(reply)) == 0);
		traps0 = wfield(reply, 0, "traps");
		restarts0 = wfield(reply, 0, "restarts");
	}
	printf("# status: %.400s\n", reply);
	CHECK(traps0 >= 1);
	CHECK(restarts0 >= 1);
	CHECK_EQ_INT(wfield(reply, 1, "traps"), 0);
	CHECK_EQ_INT(wfield(reply, 1, "restarts"), 0);
	CHECK_EQ_INT(wfield(reply, 1, "events"), 0);
	CHECK_EQ_INT(wfield(reply, 1, "healthy"), 1);
	rig_close(&rig);
}

/* A worker stalled in its guest (tests/policy/guests/hostile.c "slow":
 * 60 ms of spinning per new flow, under a guest deadline of 1 s instead of
 * the default that would stop it, 10 flows on worker 0's shard: one batch
 * of 600 ms) is judged silent by the heartbeat's health check once its
 * batch has lasted 1.5 tick intervals (30 ms here): the status names it
 * (answered without waiting for its batch), and the sign of life published
 * to its shard in the kernel (shard_live) stops at the start of its batch
 * while worker 1's keeps moving -- the kernel's per-shard fail-safe works
 * from that (docs/workers.md; tests/policy/workers_failsafe_live.sh shows
 * it with connections). Meanwhile worker 1 decides a flow of its own
 * shard: its verdict is in the map while worker 0 has not decided all of
 * its own (600 ms of guest work, however batched). */
TEST(a_stalled_worker_is_named_while_the_other_keeps_deciding)
{
	struct rig rig;
	struct policy_link_opts po = {.config = "slow",
				      .fuel = 4000000000ull,
				      .deadline_ns = 1000000000ull,
				      .default_verdict = LS_VERDICT_PASS,
				      .tick_interval_ns = 20000000};
	const char *skip = rig_open(&rig, "hostile", &po);
	if (skip)
		SKIP(skip);
	struct ls_testrun *t = rig.t;
	struct ls_dp *dp = rig.dp;
	struct agent_workers *w = rig.w;
	int on0[10], n0 = 0, on1 = -1;
	for (int i = 0; i < FLOWS && (n0 < 10 || on1 < 0); i++) {
		uint8_t c[4];
		uint16_t p;
		client_of(i, c, &p);
		if (shard_of(c, p, SRV, 80, 2) == 0 && n0 < 10)
			on0[n0++] = i;
		else if (shard_of(c, p, SRV, 80, 2) == 1 && on1 < 0)
			on1 = i;
	}
	CHECK(n0 == 10 && on1 >= 0);
	/* beats before the stall, until both workers are free and published */
	bool both = false;
	for (int k = 0; w && k < 2000 && !both; k++) {
		struct timespec t1 = {0, 1000000};
		nanosleep(&t1, NULL);
		health(&rig);
		struct ls_shard_live a, b;
		both = !ls_dp_shard_live_get(rig.dp, 0, &a) &&
		       !ls_dp_shard_live_get(rig.dp, 1, &b) && a.alive_k && b.alive_k;
	}
	CHECK(both);
	for (int k = 0; w && k < n0; k++)
		CHECK(syn(t, on0[k]) == 0);
	struct timespec ms = {0, 1000000};
	nanosleep(&ms, NULL);
	if (w && on1 >= 0)
		CHECK(syn(t, on1) == 0);
	char named[4096] = "", reply[4096];
	bool w1_decided = false;
	int w0_done = 0;
	struct ls_verdict_rec rec;
	uint64_t lag_ns = 0;
	for (int k = 0; w && k < 2000 && (!named[0] || !w1_decided); k++) {
		nanosleep(&ms, NULL);
		health(&rig); /* what the heartbeat calls on each beat */
		CHECK(agent_workers_request(w, "status", "", reply, sizeof(reply)) == 0);
		if (!w1_decided && has_verdict(dp, on1, &rec)) {
			w1_decided = true;
			for (int j = 0; j < n0; j++)
				w0_done += has_verdict(dp, on0[j], &rec);
		}
		/* once worker 1 is done with its flow (free: it publishes now)
		 * and worker 0 is judged silent (inside a batch for > 30 ms) */
		if (!named[0] && w1_decided && wfield(reply, 1, "live") == 1 &&
		    wfield(reply, 0, "live") == 0 && strstr(reply, "worker 0 made no progress")) {
			struct ls_shard_live l0, l1;
			CHECK(ls_dp_shard_live_get(dp, 0, &l0) == 0);
			CHECK(ls_dp_shard_live_get(dp, 1, &l1) == 0);
			CHECK(l0.alive_k > 0 && l1.alive_k > 0);
			lag_ns = l1.alive_k > l0.alive_k ? l1.alive_k - l0.alive_k : 0;
			snprintf(named, sizeof(named), "%s", reply);
		}
	}
	printf("# status: %.700s\n", named[0] ? named : "(never named worker 0)");
	CHECK(named[0] != 0);
	/* worker 0's sign of life stopped at its batch's start, > 30 ms ago */
	printf("# shard 0's alive_k %.1f ms behind shard 1's\n", lag_ns / 1e6);
	CHECK(lag_ns > 30000000);
	CHECK(w1_decided);
	/* worker 1 decided while worker 0 was still busy: its 10 flows take
	 * 600 ms however they are batched, worker 1's one 60 ms */
	printf("# worker 0 had decided %d of its %d flows when worker 1 decided its one\n", w0_done,
	       n0);
	CHECK(w0_done < n0);
	int all0 = 0;
	for (int k = 0; k < 3000 && all0 < n0; k++) {
		nanosleep(&ms, NULL);
		all0 = 0;
		for (int j = 0; j < n0; j++)
			all0 += has_verdict(dp, on0[j], &rec);
	}
	CHECK_EQ_INT(all0, n0); /* and worker 0 got there in the end */
	rig_close(&rig);
}

/* The per-shard watchdog the heartbeat runs at each beat
 * (ls_dp_shard_watch, docs/workers.md "Liveness per shard"): a shard whose
 * alive_k is older than the detect timeout fails safe with no packet of
 * it in sight, said once (the record the kernel would write: entered,
 * shard = i + 1, last_beat_k = alive_k); the kernel, seeing it already in
 * fail-safe at the shard's next packet, neither counts nor says it again;
 * a fresh alive_k ends it, once; a fresh shard is left alone. */
TEST(the_shard_watchdog_fails_a_silent_shard_safe_without_traffic_once)
{
	struct rig rig;
	struct policy_link_opts po = {.default_verdict = LS_VERDICT_PASS,
				      .tick_interval_ns = 1000000000ull};
	const char *skip = rig_open(&rig, "minimal", &po);
	if (skip)
		SKIP(skip);
	struct ls_dp *dp = rig.dp;
	struct ls_err e;
	uint64_t now = ls_now_k(), timeout = 1000000000ull;
	struct ls_liveness lv = {
	    .last_beat_k = now, .detect_timeout_ns = timeout, .mode = LS_FAILSAFE_PASS};
	CHECK(ls_dp_liveness_write(dp, &lv, &e) == 0);
	CHECK(ls_dp_shard_alive(dp, 0, now - 2 * timeout) == 0);
	CHECK(ls_dp_shard_alive(dp, 1, now) == 0);
	struct ls_event ev;
	memset(&ev, 0xa5, sizeof(ev));
	CHECK_EQ_INT(ls_dp_shard_watch(dp, 1, now, timeout, &ev), 0);
	CHECK_EQ_INT(ls_dp_shard_watch(dp, 0, now, timeout, &ev), 1);
	CHECK_EQ_INT(ev.kind, LS_EV_FAILSAFE);
	CHECK_EQ_INT(ev.version, LS_WIRE_VERSION);
	CHECK_EQ_INT(ev.u.failsafe.entered, 1);
	CHECK_EQ_INT(ev.u.failsafe.shard, 1);
	CHECK(ev.u.failsafe.last_beat_k == now - 2 * timeout && ev.ts_k == now);
	CHECK_EQ_INT(ls_dp_shard_watch(dp, 0, now + 1, timeout, &ev), 0); /* said once */
	/* a packet of shard 0: the kernel finds it in fail-safe already */
	int on0 = -1;
	for (int i = 0; i < FLOWS && on0 < 0; i++) {
		uint8_t c[4];
		uint16_t p;
		client_of(i, c, &p);
		if (shard_of(c, p, SRV, 80, 2) == 0)
			on0 = i;
	}
	CHECK(on0 >= 0 && syn(rig.t, on0) == 0);
	struct ls_shard_live l0;
	CHECK(ls_dp_shard_live_get(dp, 0, &l0) == 0);
	CHECK(l0.in_failsafe == 1 && l0.enters == 1 && l0.leaves == 0);
	/* back: one leave */
	uint64_t later = ls_now_k();
	CHECK(ls_dp_shard_alive(dp, 0, later) == 0);
	CHECK_EQ_INT(ls_dp_shard_watch(dp, 0, later, timeout, &ev), 1);
	CHECK_EQ_INT(ev.u.failsafe.entered, 0);
	CHECK_EQ_INT(ev.u.failsafe.shard, 1);
	CHECK_EQ_INT(ls_dp_shard_watch(dp, 0, later, timeout, &ev), 0);
	CHECK(ls_dp_shard_live_get(dp, 0, &l0) == 0);
	CHECK(l0.in_failsafe == 0 && l0.enters == 1 && l0.leaves == 1);
	/* never published (alive_k 0): not judged */
	CHECK_EQ_INT(ls_dp_shard_watch(dp, 5, later + 10 * timeout, timeout, &ev), 0);
	rig_close(&rig);
}

/* The hub's metrics text, rendered as the /metrics handler does (under the
 * observability lock); malloc'd, NULL on failure. */
static char *scrape(struct obs_link *ro)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	obs_link_lock(ro);
	ls_metrics_write(ls_obs_metrics(obs_link_hub(ro)), f);
	obs_link_unlock(ro);
	fclose(f);
	return text;
}

/* The value of the sample line that starts with series (name and labels,
 * then a space), or -1. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, series, n) && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	return -1;
}

/* Guest metrics with two workers (docs/metrics.md, "Guest metrics with N
 * workers"), through the hub's /metrics text while the workers run (the
 * TSan build checks the copies against the workers' writes): the guest
 * metricount (tests/policy/guests/metricount.c) counts each new flow in a
 * counter and a histogram and sets a gauge to its instance's count. The
 * merge: the counter and the histogram are the sums, FLOWS; the gauge is
 * one series per worker, each its shard's share by the documented hash. */
TEST(guest_metrics_of_every_worker_are_exported_merged)
{
	struct rig rig;
	struct policy_link_opts po = {.default_verdict = LS_VERDICT_PASS,
				      .tick_interval_ns = 20000000};
	const char *skip = rig_open(&rig, "metricount", &po);
	if (skip)
		SKIP(skip);
	int want[2] = {0, 0};
	char *text = NULL;
	for (int i = 0; rig.w && i < FLOWS; i++) {
		uint8_t c[4];
		uint16_t p;
		client_of(i, c, &p);
		want[shard_of(c, p, SRV, 80, 2)]++;
		CHECK(syn(rig.t, i) == 0);
		if (i % 20 == 0) { /* scrapes while the workers count */
			free(text);
			text = scrape(rig.ro);
			CHECK(text != NULL);
		}
	}
	double total = -1;
	for (int k = 0; rig.w && k < 500 && total != FLOWS; k++) {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
		free(text);
		text = scrape(rig.ro);
		total = text ? sample(text, "lockstep_guest_metricount_flows_total") : -1;
	}
	if (text) {
		const char *at = strstr(text, "# HELP lockstep_guest_metricount");
		printf("# %.900s\n", at ? at : text);
	}
	CHECK(text != NULL);
	if (text) {
		CHECK(total == FLOWS);
		CHECK(sample(text, "lockstep_guest_metricount_seconds_count") == FLOWS);
		CHECK(sample(text, "lockstep_guest_metricount_seconds_bucket{le=\"0.001\"}") == 0);
		CHECK(sample(text, "lockstep_guest_metricount_seconds_bucket{le=\"0.01\"}") ==
		      FLOWS);
		double sum = sample(text, "lockstep_guest_metricount_seconds_sum");
		CHECK(sum > FLOWS * 0.002 - 1e-9 && sum < FLOWS * 0.002 + 1e-9);
		CHECK(sample(text, "lockstep_guest_metricount_seen{worker=\"0\"}") == want[0]);
		CHECK(sample(text, "lockstep_guest_metricount_seen{worker=\"1\"}") == want[1]);
		CHECK(sample(text, "lockstep_guest_metricount_seen") == -1); /* labelled only */
		/* each family once, whatever the number of workers */
		const char *t1 =
		    strstr(text, "# TYPE lockstep_guest_metricount_flows_total counter");
		CHECK(t1 && !strstr(t1 + 1, "# TYPE lockstep_guest_metricount_flows_total"));
	}
	printf("# hash split %d/%d\n", want[0], want[1]);
	free(text);
	rig_close(&rig);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(two_workers_decide_every_flow_while_the_main_thread_reloads_them);
	RUN(a_trap_restarts_only_the_instance_of_the_worker_it_happened_on);
	RUN(a_stalled_worker_is_named_while_the_other_keeps_deciding);
	RUN(the_shard_watchdog_fails_a_silent_shard_safe_without_traffic_once);
	RUN(guest_metrics_of_every_worker_are_exported_merged);
	return test_done();
}
