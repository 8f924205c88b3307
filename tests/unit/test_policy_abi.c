/* test_policy_abi.c - the policy host against real guests built by clang
 * (tests/policy/guests/, guests/): module checks (ABI version, exports,
 * imports, event buffer), hostile guests contained and counted (trap, fuel,
 * out-of-bounds pointer, 1 GiB log message, stale handle, a verdict set just
 * before a trap), crash-loop back-off, reload semantics and the key-value
 * store carried over, time in the guest clock. */
#include "test.h"

#include "policy_harness.h"

#include "policy/dpi_ext.h"

#include <stddef.h>

#include <math.h>
#include <time.h>

#define SEC 1000000000ull
#define MS 1000000ull

TEST(refuses_other_abi_version)
{
	struct harness *h = harness_new("", 0, 0);
	CHECK(harness_load(h, "test/abi3.wasm") != 0);
	CHECK(strstr(h->err.msg, "module speaks lockstep ABI version 3; this host speaks versions 1 to 2"));
	printf("# %s\n", h->err.msg);
	struct ls_policy_stats st;
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.healthy, 0);
	harness_free(h);
}

TEST(refuses_non_policies)
{
	struct harness *h = harness_new("", 0, 0);
	CHECK(harness_load(h, "test/noversion.wasm") != 0);
	CHECK(strstr(h->err.msg, "does not export lockstep_abi_version"));
	CHECK(harness_load(h, "test/badsig.wasm") != 0);
	CHECK(strstr(h->err.msg, "on_flow_new has signature (I)i, the ABI wants (i)i"));
	CHECK(harness_load(h, "test/badimport.wasm") != 0);
	CHECK(strstr(h->err.msg, "imports lockstep.open_file"));
	CHECK(harness_load(h, "test/badbuf.wasm") != 0);
	CHECK(strstr(h->err.msg, "lockstep_event_buffer returned 60000"));
	CHECK(harness_load(h, "test/no-such-file.wasm") != 0);
	CHECK(strstr(h->err.msg, "cannot open policy"));
	/* not Wasm at all */
	static const uint8_t junk[] = "\0asm\x02\0\0\0garbage";
	CHECK(ls_policy_load(h->p, junk, sizeof junk, "junk", &h->err) != 0);
	CHECK(strstr(h->err.msg, "not a valid WebAssembly module"));
	harness_free(h);
}

TEST(trap_in_on_flow_new_contained)
{
	struct harness *h = harness_new("trap", 0, LS_VERDICT_DROP);
	struct ls_policy_stats st;
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 443, 6);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.failures[LS_PF_TRAP], 1);
	CHECK_EQ_INT(st.healthy, 0);
	/* the flow got the configured default, with a TTL so it is decided
	 * again once the guest is back */
	const struct rec_verdict *v = last_verdict(h, 1);
	CHECK(v && v->verdict == LS_VERDICT_DROP && v->deadline_k == h->now_k + SEC);
	CHECK_EQ_INT(st.defaults, 1);
	CHECK(strstr(h->last_log, "\"kind\":\"guest_failed\"") &&
	      strstr(h->last_log, "\"failure\":\"trap\"") && strstr(h->last_log, "unreachable"));

	/* first failure: recreated at once, and traps again (streak 2) */
	flow_new(h, 2, "198.18.0.1", 40001, "198.18.0.2", 443, 6);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.restarts, 1);
	CHECK_EQ_INT(st.failures[LS_PF_TRAP], 2);
	CHECK_EQ_INT(st.crash_streak, 2);
	CHECK_EQ_INT(st.retry_at_k, h->now_k + 100 * MS);
	/* inside the back-off: no guest call, the default applies */
	uint64_t calls = st.calls;
	advance(h, 50 * MS);
	flow_new(h, 3, "198.18.0.1", 40002, "198.18.0.2", 443, 6);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.calls, calls);
	CHECK(last_verdict(h, 3) && last_verdict(h, 3)->verdict == LS_VERDICT_DROP);
	/* after it: retried, traps, back-off doubles */
	advance(h, 50 * MS);
	flow_new(h, 4, "198.18.0.1", 40003, "198.18.0.2", 443, 6);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.restarts, 2);
	CHECK_EQ_INT(st.crash_streak, 3);
	CHECK_EQ_INT(st.retry_at_k, h->now_k + 200 * MS);
	/* a good module loaded over it ends the loop */
	ls_policy_set_guest_config(h->p, "ok", 2);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 5, "198.18.0.1", 40004, "198.18.0.2", 443, 6);
	v = last_verdict(h, 5);
	CHECK(v && v->verdict == LS_VERDICT_PASS);
	CHECK_DEADLINE(h, v, SEC);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.healthy, 1);
	CHECK_EQ_INT(st.crash_streak, 0);
	harness_free(h);
}

TEST(infinite_loop_runs_out_of_fuel)
{
	struct harness *h = harness_new("loop", 200000, LS_VERDICT_PASS);
	struct ls_policy_stats st;
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.failures[LS_PF_FUEL], 1);
	CHECK_EQ_INT(st.failures[LS_PF_TRAP], 0);
	const struct rec_verdict *v = last_verdict(h, 1);
	CHECK(v && v->verdict == LS_VERDICT_PASS); /* the default, pass here */
	CHECK(strstr(h->last_log, "\"failure\":\"fuel\""));
	/* the agent keeps serving: more events are handled (by default) */
	for (int i = 2; i < 10; i++)
		flow_new(h, (uint64_t)i, "198.18.0.1", (uint16_t)(40000 + i), "198.18.0.2", 80, 6);
	CHECK_EQ_INT(count_verdicts(h, 9), 1);
	harness_free(h);
}

TEST(verdict_before_trap_is_not_committed)
{
	struct harness *h = harness_new("verdict_trap", 0, LS_VERDICT_DROP);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	/* exactly one write: the default, not the PASS set before the trap */
	CHECK_EQ_INT(count_verdicts(h, 1), 1);
	CHECK(last_verdict(h, 1) && last_verdict(h, 1)->verdict == LS_VERDICT_DROP);
	harness_free(h);
}

TEST(out_of_bounds_pointer_refused)
{
	struct harness *h = harness_new("oob", 0, 0);
	struct ls_policy_stats st;
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	CHECK(metric(h, "hostile_last_rc") == -2); /* LSG_E_BOUNDS */
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.bad_pointer, 1);
	CHECK_EQ_INT(st.healthy, 1); /* a refused call is not a crash */
	CHECK(last_verdict(h, 1) && last_verdict(h, 1)->verdict == LS_VERDICT_PASS);
	harness_free(h);
}

TEST(negative_ttl_refused)
{
	struct harness *h = harness_new("negttl", 0, 0);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	CHECK(metric(h, "hostile_last_rc") == -1); /* LSG_E_INVAL */
	/* the refused DROP did not land; the callback's own PASS did */
	CHECK(last_verdict(h, 1) && last_verdict(h, 1)->verdict == LS_VERDICT_PASS);
	CHECK_EQ_INT(count_verdicts(h, 1), 1);
	harness_free(h);
}

TEST(one_gib_log_message_refused)
{
	struct harness *h = harness_new("biglog", 0, 0);
	struct ls_policy_stats st;
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	int logs = h->nlogs;
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	CHECK(metric(h, "hostile_last_rc") == -2);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.bad_pointer, 1);
	CHECK_EQ_INT(st.log_lines, 0);
	CHECK_EQ_INT(h->nlogs, logs); /* nothing was logged */
	CHECK(last_verdict(h, 1) && last_verdict(h, 1)->verdict == LS_VERDICT_PASS);
	harness_free(h);
}

TEST(stale_handle_refused)
{
	struct harness *h = harness_new("stale", 0, 0);
	struct ls_policy_stats st;
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	dpi(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, LS_DPI_HTTP, "a.example", "GET", "/");
	CHECK(metric(h, "hostile_last_rc") == -4); /* LSG_E_STALE */
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.bad_handle, 1);
	/* the stale DROP did not land; the callback's own PASS did */
	CHECK(last_verdict(h, 1) && last_verdict(h, 1)->verdict == LS_VERDICT_PASS);
	CHECK_EQ_INT(count_verdicts(h, 1), 2);
	ls_policy_tick(h->p);
	CHECK(metric(h, "hostile_last_rc") == -4);
	CHECK(metric(h, "hostile_ticks_total") == 1);
	harness_free(h);
}

TEST(reload_swaps_or_keeps_old)
{
	struct harness *h = harness_new("burst=1 refill_ms=60000", 0, 0);
	struct ls_policy_stats st;
	char path[4096];
	CHECK_EQ_INT(harness_load(h, "ratelimit.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 1) && last_verdict(h, 1)->verdict == LS_VERDICT_PASS);
	/* refused reloads: the old module keeps deciding */
	CHECK(harness_load(h, "test/abi3.wasm") != 0);
	ls_policy_set_guest_config(h->p, "init_fail", 9);
	CHECK(harness_load(h, "test/hostile.wasm") != 0);
	CHECK(strstr(h->err.msg, "init refused its configuration (returned 7"));
	ls_policy_set_guest_config(h->p, "burst=1 refill_ms=60000", 23);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.reload_refused, 2);
	CHECK_EQ_INT(st.reloads, 0);
	CHECK_EQ_INT(st.healthy, 1);
	CHECK(strstr(ls_policy_path(h->p), "ratelimit.wasm"));
	flow_new(h, 2, "198.18.0.1", 40001, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 2) &&
	      last_verdict(h, 2)->verdict == LS_VERDICT_REJECT); /* ratelimit's default */
	/* a good reload swaps */
	ls_policy_set_guest_config(h->p, "ok", 2);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 3, "198.18.0.1", 40002, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 3) && last_verdict(h, 3)->verdict == LS_VERDICT_PASS);
	CHECK_DEADLINE(h, last_verdict(h, 3), SEC);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.reloads, 1);
	CHECK(strstr(ls_policy_path(h->p), "hostile.wasm"));
	/* ls_policy_reload re-reads the current file: the same bytes, whose
	 * compiled module the new instance shares with the old one (freed in
	 * the swap): it must keep running, and a refused reload of them must
	 * leave the running one whole */
	CHECK_EQ_INT(ls_policy_reload(h->p, &h->err), 0);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.reloads, 2);
	flow_new(h, 4, "198.18.0.1", 40003, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 4) && last_verdict(h, 4)->verdict == LS_VERDICT_PASS);
	ls_policy_set_guest_config(h->p, "init_fail", 9);
	CHECK(ls_policy_reload(h->p, &h->err) != 0);
	ls_policy_set_guest_config(h->p, "ok", 2);
	flow_new(h, 5, "198.18.0.1", 40004, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 5) && last_verdict(h, 5)->verdict == LS_VERDICT_PASS);
	CHECK_EQ_INT(ls_policy_reload(h->p, &h->err), 0);
	flow_new(h, 6, "198.18.0.1", 40005, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 6) && last_verdict(h, 6)->verdict == LS_VERDICT_PASS);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.reloads, 3);
	CHECK_EQ_INT(st.reload_refused, 3);
	(void)path;
	harness_free(h);
}

TEST(kv_store_survives_reload_and_restart)
{
	struct harness *h = harness_new("kv", 0, 0);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	flow_new(h, 2, "198.18.0.1", 40001, "198.18.0.2", 80, 6);
	CHECK(metric(h, "hostile_kv_flows") == 2);
	CHECK_EQ_INT(ls_policy_reload(h->p, &h->err), 0);
	flow_new(h, 3, "198.18.0.1", 40002, "198.18.0.2", 80, 6);
	CHECK(metric(h, "hostile_kv_flows") == 3);

	/* the rate limiter keeps its buckets in the store: a reload is not a
	 * way to reset them */
	struct harness *r = harness_new("burst=2 refill_ms=60000", 0, 0);
	CHECK_EQ_INT(harness_load(r, "ratelimit.wasm"), 0);
	flow_new(r, 1, "198.18.0.9", 40000, "198.18.0.2", 80, 6);
	flow_new(r, 2, "198.18.0.9", 40001, "198.18.0.2", 80, 6);
	CHECK_EQ_INT(ls_policy_reload(r->p, &r->err), 0);
	flow_new(r, 3, "198.18.0.9", 40002, "198.18.0.2", 80, 6);
	CHECK(last_verdict(r, 2) && last_verdict(r, 2)->verdict == LS_VERDICT_PASS);
	CHECK(last_verdict(r, 3) &&
	      last_verdict(r, 3)->verdict == LS_VERDICT_REJECT); /* ratelimit's default */
	/* and metrics carried over the reload */
	CHECK(metric(r, "ratelimit_allowed_total") == 2);
	CHECK(metric(r, "ratelimit_refused_total") == 1);
	harness_free(r);
	harness_free(h);
}

TEST(guest_time_is_g)
{
	if (!guest_exists("test/gclock.wasm"))
		SKIP("gclock.wasm not built");
	struct harness *h = harness_new("", 0, 0);
	CHECK_EQ_INT(harness_load(h, "test/gclock.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	CHECK(metric(h, "gclock_now") == (double)h->now_g);
	CHECK(metric(h, "gclock_wasi_mono") == (double)h->now_g);
	/* realtime is G too, on the wall clock's epoch: G + (REALTIME - BOOTTIME) */
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	double wall_off = ((double)rt.tv_sec - (double)bt.tv_sec) * 1e9 +
			  ((double)rt.tv_nsec - (double)bt.tv_nsec);
	double real = metric(h, "gclock_wasi_real_s") * 1e9 + metric(h, "gclock_wasi_real_ns");
	printf("# WASI realtime - (G + wall offset) = %.0f ns\n",
	       real - ((double)h->now_g + wall_off));
	CHECK(fabs(real - ((double)h->now_g + wall_off)) < 50e6);
	/* no resolution given: 1 ns */
	CHECK(metric(h, "gclock_res_mono") == 1);
	CHECK(metric(h, "gclock_res_real") == 1);
	/* the TTL is a duration in G, turned into K by to_kernel */
	const struct rec_verdict *v = last_verdict(h, 1);
	CHECK_DEADLINE(h, v, 2 * SEC);
	harness_free(h);
}

/* What the stats and the metrics say of the policy's health is the rule
 * that makes a beat good, with the same reason (docs/clock.md). */
static void same_rule(struct harness *h, const char *reason, int line)
{
	struct ls_policy_stats st;
	const char *why = ls_policy_health(h->p);
	ls_policy_stats(h->p, &st);
	char *m = NULL, want[160];
	size_t ml;
	FILE *f = open_memstream(&m, &ml);
	ls_policy_metrics_write(h->p, f);
	fclose(f);
	printf("# line %d: %s (%s)\n", line, ls_policy_health_name(st.health), why ? why : "");
	CHECK_EQ_INT(st.healthy, why == NULL);
	CHECK_EQ_STR(ls_policy_health_name(st.health), reason);
	CHECK_EQ_STR(st.health_why, why ? why : "");
	snprintf(want, sizeof(want), "\nlockstep_policy_healthy %d\n", why == NULL);
	CHECK(m && strstr(m, want));
	int ones = 0;
	for (const char *q = m; q && (q = strstr(q, "lockstep_policy_unhealthy{")); q++)
		ones += strstr(q, "} 1\n") == strchr(q, '}');
	CHECK_EQ_INT(ones, why != NULL); /* one reason at a time */
	snprintf(want, sizeof(want), "lockstep_policy_unhealthy{reason=\"%s\"} 1\n", reason);
	if (why)
		CHECK(m && strstr(m, want));
	free(m);
}
#define SAME_RULE(h, reason) same_rule(h, reason, __LINE__)

/* The health rule behind a good heartbeat beat (ls_policy_health): a guest
 * whose on_tick burns its fuel is unhealthy even while an instance runs
 * (recreated at once after a first failure); healthy again once a tick
 * returns; a trap in a dispatch counts until a dispatch runs clean. */
TEST(health_follows_ticks_and_dispatches)
{
	struct harness *h = harness_new("tickburn 3", 200000, LS_VERDICT_PASS);
	struct ls_policy_stats st;
	CHECK(ls_policy_health(h->p) != NULL); /* nothing loaded yet */
	SAME_RULE(h, "no_module");
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	CHECK(ls_policy_health(h->p) == NULL);
	SAME_RULE(h, "healthy");
	/* no tick is overdue before the first one (the agent starts its
	 * ticking when its loop runs, however long the start took) */
	advance(h, 3 * SEC);
	CHECK(ls_policy_health(h->p) == NULL);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	CHECK(ls_policy_health(h->p) == NULL);
	ls_policy_tick(h->p); /* burn 1: no instance left */
	const char *why = ls_policy_health(h->p);
	printf("# %s\n", why ? why : "healthy");
	CHECK(why && strstr(why, "on_tick ran out of fuel; the instance is recreated"));
	SAME_RULE(h, "backoff");
	/* a flow event recreates the instance (first failure: at once) and
	 * runs clean, but the last tick still ran out of fuel */
	flow_new(h, 2, "198.18.0.1", 40001, "198.18.0.2", 80, 6);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.restarts, 1);
	/* an instance runs, yet beats are not good: neither is the metric */
	CHECK_EQ_INT(st.healthy, 0);
	why = ls_policy_health(h->p);
	CHECK(why && strstr(why, "on_tick ran out of fuel"));
	SAME_RULE(h, "tick_out_of_fuel");
	ls_policy_tick(h->p); /* burn 2, back-off 100 ms */
	advance(h, 100 * MS);
	ls_policy_tick(h->p); /* recreated, burn 3, back-off 200 ms */
	advance(h, 200 * MS);
	ls_policy_tick(h->p); /* recreated, returns */
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.failures[LS_PF_FUEL], 3);
	printf("# after 3 burnt ticks and a good one: %s\n", ls_policy_health(h->p) ?: "healthy");
	CHECK(ls_policy_health(h->p) == NULL);
	SAME_RULE(h, "healthy");
	harness_free(h);

	h = harness_new("trap", 0, LS_VERDICT_PASS);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	ls_policy_tick(h->p); /* recreated at once; its on_tick is fine */
	why = ls_policy_health(h->p);
	CHECK(why && strstr(why, "dispatch trapped"));
	SAME_RULE(h, "dispatch_trapped");
	/* events no callback handles leave the verdict of the last dispatch */
	struct ls_event beat = {.version = LS_WIRE_VERSION, .kind = LS_EV_BEAT};
	ls_policy_dispatch(h->p, &beat, 1);
	CHECK(ls_policy_health(h->p) != NULL);
	/* a reload of a good module starts healthy */
	ls_policy_set_guest_config(h->p, "ok", 2);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	CHECK(ls_policy_health(h->p) == NULL);
	flow_new(h, 2, "198.18.0.1", 40001, "198.18.0.2", 80, 6);
	CHECK(ls_policy_health(h->p) == NULL);
	/* a stall: no tick for 2 intervals (1 s default) is overdue, until
	 * a tick runs */
	advance(h, 1400 * MS);
	CHECK(ls_policy_health(h->p) == NULL);
	advance(h, 600 * MS);
	why = ls_policy_health(h->p);
	CHECK(why && strstr(why, "overdue"));
	SAME_RULE(h, "tick_overdue");
	ls_policy_tick(h->p);
	CHECK(ls_policy_health(h->p) == NULL);
	SAME_RULE(h, "healthy");
	harness_free(h);
}

TEST(batch_flushes_once_and_skips_other_kinds)
{
	struct harness *h = harness_new("ok", 0, 0);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	struct ls_event evs[4];
	evs[0] = ev_base(LS_EV_FLOW_NEW, 1, "198.18.0.1", 1, "198.18.0.2", 2, 17, h->now_k);
	evs[1] = ev_base(LS_EV_BEAT, 0, "0.0.0.0", 0, "0.0.0.0", 0, 0, h->now_k);
	evs[2] = ev_base(LS_EV_FLOW_NEW, 2, "198.18.0.2", 5, "198.18.0.1", 6, 17, h->now_k);
	evs[3] = ev_base(LS_EV_FLOW_END, 1, "198.18.0.1", 1, "198.18.0.2", 2, 17, h->now_k);
	int before = h->flushes;
	ls_policy_dispatch(h->p, evs, 4);
	CHECK_EQ_INT(h->flushes, before + 1);
	struct ls_policy_stats st;
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.events, 3);
	CHECK_EQ_INT(st.flows, 1); /* flow 1 ended */
	CHECK_EQ_INT(count_verdicts(h, 1), 1);
	CHECK_EQ_INT(count_verdicts(h, 2), 1);
	harness_free(h);
}

/* Flows come and go at the event rate: the nodes of ended flows are reused
 * for new ones (up to a bound), and a reused one carries nothing of the
 * flow it held. ratelimit keys its buckets on the client address the host
 * puts in the event record. */
TEST(ended_flows_leave_nothing_behind)
{
	struct harness *h = harness_new("burst=1 refill_ms=60000 drop_ttl_ms=1000", 0, 0);
	CHECK_EQ_INT(harness_load(h, "ratelimit.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 1) && last_verdict(h, 1)->verdict == LS_VERDICT_PASS);
	flow_end(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80);
	/* another client: the reused node must not still say 198.18.0.1 */
	flow_new(h, 2, "198.18.0.9", 40001, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 2) && last_verdict(h, 2)->verdict == LS_VERDICT_PASS);
	flow_new(h, 3, "198.18.0.1", 40002, "198.18.0.2", 80, 6);
	CHECK(last_verdict(h, 3) &&
	      last_verdict(h, 3)->verdict == LS_VERDICT_REJECT); /* ratelimit's default */
	/* many more flows than nodes are kept, each new then ended */
	for (uint64_t id = 100; id < 10100; id++) {
		char src[32];
		snprintf(src, sizeof src, "198.19.%u.%u", (unsigned)(id >> 8) & 255,
			 (unsigned)id & 255);
		struct ls_event e[2] = {
		    ev_base(LS_EV_FLOW_NEW, id, src, 1000, "198.18.0.2", 80, 6, h->now_k),
		    ev_base(LS_EV_FLOW_END, id, src, 1000, "198.18.0.2", 80, 6, h->now_k)};
		ls_policy_dispatch(h->p, e, 2);
	}
	struct ls_policy_stats st;
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.flows, 2); /* 2 and 3 */
	CHECK_EQ_INT(st.verdicts, 3 + 10000);
	CHECK_EQ_INT(metric(h, "ratelimit_allowed_total"), 2 + 10000);
	harness_free(h);
}

/* A policy never blocks: WASI poll_oneoff (a sleep) answers ENOSYS at once
 * instead of stopping the agent's thread for up to 10 s per call. */
TEST(wasi_sleep_refused)
{
	struct harness *h = harness_new("sleep", 0, 0);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	CHECK(metric(h, "hostile_last_rc") == 52);
	CHECK(last_verdict(h, 1) && last_verdict(h, 1)->verdict == LS_VERDICT_PASS);
	struct ls_policy_stats st;
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.healthy, 1);
	harness_free(h);
}

/* Flows without events are forgotten after 10 minutes, unless the data
 * plane still sees packets of them: a long-lived connection whose verdict
 * on_tick renews produces no event at all. */
TEST(silent_flows_forgotten_unless_the_data_plane_sees_them)
{
	struct harness *h = harness_new("ok", 0, 0);
	CHECK_EQ_INT(harness_load(h, "test/hostile.wasm"), 0);
	flow_new(h, 1, "198.18.0.1", 40001, "198.18.0.2", 81, 6); /* alive */
	flow_new(h, 2, "198.18.0.1", 40002, "198.18.0.2", 82, 6); /* silent */
	flow_new(h, 3, "198.18.0.1", 40003, "198.18.0.2", 83, 6); /* its tuple reused */
	flow_new(h, 4, "198.18.0.1", 40004, "198.18.0.2", 84, 6); /* not in the table */
	advance(h, 11 * 60 * SEC);
	h->seen[h->nseen++] = (struct rec_seen){81, 1, h->now_k - 5 * SEC};
	h->seen[h->nseen++] = (struct rec_seen){82, 2, h->now_k - 11 * 60 * SEC};
	h->seen[h->nseen++] = (struct rec_seen){83, 99, h->now_k - 1 * SEC};
	ls_policy_tick(h->p);
	struct ls_policy_stats st;
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.flows, 1);
	/* and the one kept is not forgotten at the next tick either */
	advance(h, 60 * SEC);
	ls_policy_tick(h->p);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.flows, 1);
	/* until the data plane stops seeing it too */
	advance(h, 11 * 60 * SEC);
	ls_policy_tick(h->p);
	ls_policy_stats(h->p, &st);
	CHECK_EQ_INT(st.flows, 0);
	harness_free(h);
}

/* ---- ABI version 2 ------------------------------------------------------ */

static struct ls_event dpi_ev(struct harness *h, uint64_t id, uint16_t sport, uint8_t kind,
			      const char *name)
{
	struct ls_event ev = ev_base(LS_EV_DPI, id, "198.18.0.1", sport, "198.18.0.2", 443,
				     kind == LS_DPI_DNS ? 17 : 6, h->now_k);
	ev.u.dpi.kind = kind;
	ev.u.dpi.name_len = (uint16_t)strlen(name);
	memcpy(ev.u.dpi.name, name, strlen(name));
	return ev;
}

/* A module built for version 1 keeps working under a version-2 host, and
 * the host never writes past the version-1 record (abi1dpi.c checks). */
TEST(version1_module_keeps_working)
{
	if (!guest_exists("test/abi1dpi.wasm"))
		SKIP("abi1dpi.wasm not built");
	struct harness *h = harness_new("", 0, 0);
	CHECK(harness_load(h, "test/abi1dpi.wasm") == 0);
	struct ls_event ev = dpi_ev(h, 1, 40001, LS_DPI_TLS, "example.com");
	ev.u.dpi.flags = LS_DPI_F_QUIC; /* a flag version 1 does not know */
	memcpy(ev.u.dpi.alpn, "h3", 2), ev.u.dpi.alpn_len = 2;
	send_ev(h, ev);
	send_ev(h, dpi_ev(h, 2, 40002, LS_DPI_HTTP, "other.example"));
	const struct rec_verdict *v1 = last_verdict(h, 1), *v2 = last_verdict(h, 2);
	CHECK(v1 && v1->verdict == LS_VERDICT_PASS);
	CHECK(v2 && v2->verdict == LS_VERDICT_DROP);
	harness_free(h);
}

/* gRPC's :path split (grpc/doc/PROTOCOL-HTTP2.md: "/" Service-Name "/"
 * method-name), by hand. */
TEST(grpc_path_split)
{
	char s[128], m[64];
	CHECK(ls_grpc_split("/helloworld.Greeter/SayHello", 28, s, sizeof(s), m, sizeof(m)) == 0);
	CHECK_EQ_STR(s, "helloworld.Greeter");
	CHECK_EQ_STR(m, "SayHello");
	CHECK(ls_grpc_split("/a/b", 4, s, sizeof(s), m, sizeof(m)) == 0);
	CHECK_EQ_STR(s, "a");
	CHECK_EQ_STR(m, "b");
	CHECK(ls_grpc_split("/a/b/c", 6, s, sizeof(s), m, sizeof(m)) != 0);
	CHECK(ls_grpc_split("/ab", 3, s, sizeof(s), m, sizeof(m)) != 0);
	CHECK(ls_grpc_split("//b", 3, s, sizeof(s), m, sizeof(m)) != 0);
	CHECK(ls_grpc_split("/a/", 3, s, sizeof(s), m, sizeof(m)) != 0);
	CHECK(ls_grpc_split("a/b/", 4, s, sizeof(s), m, sizeof(m)) != 0);
}

/* A version-2 module reads ALPN, the gRPC service and method and the DNS
 * question index from lsg_dpi_ext (dpiext.c). */
TEST(version2_module_reads_the_extension)
{
	if (!guest_exists("test/dpiext.wasm"))
		SKIP("dpiext.wasm not built");
	struct harness *h = harness_new("", 0, 0);
	CHECK(harness_load(h, "test/dpiext.wasm") == 0);
	const char *p = "/helloworld.Greeter/SayHello";
	struct ls_event ev = dpi_ev(h, 1, 40001, LS_DPI_HTTP, "grpc.example");
	ev.u.dpi.flags = LS_DPI_F_H2 | LS_DPI_F_GRPC;
	ev.u.dpi.path_len = (uint16_t)strlen(p), memcpy(ev.u.dpi.path, p, strlen(p));
	send_ev(h, ev);
	p = "/helloworld.Greeter/SayGoodbye";
	ev = dpi_ev(h, 2, 40002, LS_DPI_HTTP, "grpc.example");
	ev.u.dpi.flags = LS_DPI_F_H2 | LS_DPI_F_GRPC;
	ev.u.dpi.path_len = (uint16_t)strlen(p), memcpy(ev.u.dpi.path, p, strlen(p));
	send_ev(h, ev);
	ev = dpi_ev(h, 3, 40003, LS_DPI_TLS, "example.com");
	ev.u.dpi.flags = LS_DPI_F_QUIC;
	memcpy(ev.u.dpi.alpn, "h3", 2), ev.u.dpi.alpn_len = 2;
	send_ev(h, ev);
	ev = dpi_ev(h, 4, 40004, LS_DPI_TLS, "example.com");
	ev.u.dpi.flags = LS_DPI_F_QUIC;
	memcpy(ev.u.dpi.alpn, "h3-29", 5), ev.u.dpi.alpn_len = 5;
	send_ev(h, ev);
	ev = dpi_ev(h, 5, 40005, LS_DPI_DNS, "second.example");
	ev.u.dpi.index = 1;
	send_ev(h, ev);
	send_ev(h, dpi_ev(h, 6, 40006, LS_DPI_DNS, "first.example"));
	/* the tunnel comes from the flow key: VXLAN VNI 42 passes, VNI 43 and
	 * Geneve VNI 42 do not */
	static const struct {
		uint8_t type;
		uint32_t id;
	} tun[] = {{LS_TUN_VXLAN, 42}, {LS_TUN_VXLAN, 43}, {LS_TUN_GENEVE, 42}};
	for (int i = 0; i < 3; i++) {
		ev = dpi_ev(h, (uint64_t)(7 + i), (uint16_t)(40007 + i), LS_DPI_HTTP, "t.example");
		ev.key.tun_type = tun[i].type, ev.key.tun_id = tun[i].id;
		send_ev(h, ev);
	}
	static const uint32_t want[] = {0,		 LS_VERDICT_PASS, LS_VERDICT_DROP,
					LS_VERDICT_PASS, LS_VERDICT_DROP, LS_VERDICT_PASS,
					LS_VERDICT_DROP, LS_VERDICT_PASS, LS_VERDICT_DROP,
					LS_VERDICT_DROP};
	for (uint64_t id = 1; id <= 9; id++) {
		const struct rec_verdict *v = last_verdict(h, id);
		CHECK(v && v->verdict == want[id]);
	}
	harness_free(h);
}

/* The AssemblyScript SDK spells the record offsets out by hand: each must
 * be the C layout's (guests/as/sdk/lockstep.ts against guest.h). */
static long as_const(const char *src, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "export const %s: usize = ", name);
	const char *at = strstr(src, pat);
	return at ? strtol(at + strlen(pat), NULL, 10) : -1;
}

TEST(as_sdk_offsets_match_guest_h)
{
	static char src[32768];
	FILE *f = fopen("guests/as/sdk/lockstep.ts", "r");
	if (!f)
		SKIP("guests/as/sdk/lockstep.ts not found (run from the project root)");
	size_t n = fread(src, 1, sizeof(src) - 1, f);
	fclose(f);
	src[n] = 0;
	size_t ext = sizeof(struct lsg_event);
#define AS_OFF(name, off) CHECK_EQ_INT(as_const(src, name), (long)(off))
	AS_OFF("EV_DPI_KIND", offsetof(struct lsg_event, u.dpi.kind));
	AS_OFF("EV_DPI_FLAGS", offsetof(struct lsg_event, u.dpi.flags));
	AS_OFF("EV_DPI_NAME_LEN", offsetof(struct lsg_event, u.dpi.name_len));
	AS_OFF("EV_DPI_NAME", offsetof(struct lsg_event, u.dpi.name));
	AS_OFF("EV_DPI_PATH_LEN", offsetof(struct lsg_event, u.dpi.path_len));
	AS_OFF("EV_DPI_PATH", offsetof(struct lsg_event, u.dpi.path));
	AS_OFF("EXT_TUNNEL_ID", ext + offsetof(struct lsg_dpi_ext, tunnel_id));
	AS_OFF("EXT_ALPN_LEN", ext + offsetof(struct lsg_dpi_ext, alpn_len));
	AS_OFF("EXT_INDEX", ext + offsetof(struct lsg_dpi_ext, index));
	AS_OFF("EXT_GRPC_SERVICE_LEN", ext + offsetof(struct lsg_dpi_ext, grpc_service_len));
	AS_OFF("EXT_GRPC_METHOD_LEN", ext + offsetof(struct lsg_dpi_ext, grpc_method_len));
	AS_OFF("EXT_TUNNEL_TYPE", ext + offsetof(struct lsg_dpi_ext, tunnel_type));
	AS_OFF("EXT_ALPN", ext + offsetof(struct lsg_dpi_ext, alpn));
	AS_OFF("EXT_GRPC_SERVICE", ext + offsetof(struct lsg_dpi_ext, grpc_service));
	AS_OFF("EXT_GRPC_METHOD", ext + offsetof(struct lsg_dpi_ext, grpc_method));
#undef AS_OFF
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(refuses_other_abi_version);
	RUN(refuses_non_policies);
	RUN(trap_in_on_flow_new_contained);
	RUN(infinite_loop_runs_out_of_fuel);
	RUN(verdict_before_trap_is_not_committed);
	RUN(out_of_bounds_pointer_refused);
	RUN(negative_ttl_refused);
	RUN(one_gib_log_message_refused);
	RUN(stale_handle_refused);
	RUN(reload_swaps_or_keeps_old);
	RUN(kv_store_survives_reload_and_restart);
	RUN(guest_time_is_g);
	RUN(health_follows_ticks_and_dispatches);
	RUN(batch_flushes_once_and_skips_other_kinds);
	RUN(ended_flows_leave_nothing_behind);
	RUN(wasi_sleep_refused);
	RUN(silent_flows_forgotten_unless_the_data_plane_sees_them);
	RUN(version1_module_keeps_working);
	RUN(grpc_path_split);
	RUN(version2_module_reads_the_extension);
	RUN(as_sdk_offsets_match_guest_h);
	return test_done();
}
