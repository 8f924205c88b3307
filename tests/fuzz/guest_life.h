/* guest_life.h - what fuzz_guest and fuzz_hostabi do with a policy: build it
 * with realistic limits (the default memory budget and page cap; fuel and
 * deadline a pair an operator can set, picked by the input, see
 * life_limits) under a clock mapping whose rate the input picks,
 * checking every verdict the guest writes, then give it a flow's life: a
 * TCP and a UDP flow are born and inspected, a tick, a reload whose new
 * instance adopts both (when the caller gives the module), a verdict
 * expiry, the ends and a last tick. Invariants: every verdict written is a
 * valid one with a deadline of 0 or not before now, and the policy stays
 * answerable (stats) whatever the guest did. */
#ifndef LS_FUZZ_GUEST_LIFE_H
#define LS_FUZZ_GUEST_LIFE_H

#include "clock/estimator.h"
#include "policy_harness.h"

#include <stdio.h>
#include <stdlib.h>

static int life_write_checked(void *ctx, const struct ls_flow_key *key, uint64_t flow_id,
			      uint32_t verdict, uint64_t deadline_k)
{
	struct harness *h = ctx;
	if (!ls_verdict_valid(verdict)) {
		fprintf(stderr, "fuzz: verdict %#x written\n", verdict);
		abort();
	}
	if (deadline_k && deadline_k < h->now_k) {
		fprintf(stderr, "fuzz: deadline %llu before now %llu\n",
			(unsigned long long)deadline_k, (unsigned long long)h->now_k);
		abort();
	}
	return h_write(ctx, key, flow_id, verdict, deadline_k);
}

static void life_quiet_log(void *ctx, int level, const char *kind, const char *msg, size_t msg_len,
			   const char *fields)
{
	(void)ctx, (void)level, (void)kind, (void)msg, (void)msg_len, (void)fields;
}

/* The fuel and deadline per callback, by the input's limits byte: pairs
 * an operator can give (--fuel N, --guest-deadline from 100us), chosen so
 * that a spinning guest is stopped by either, both paths stay reachable
 * and neither costs the fuzzer much time. The fuzz build's interpreter
 * (-O0, ASan, coverage hooks) spends about 27 ns of CPU per unit of fuel
 * (a `loop br 0` burns 1 M fuel in 26-29 ms): with 1 M fuel and the
 * default 20 ms deadline (the only pair before), every spinning callback
 * ran to the deadline, never out of fuel (465 corpus inputs: 41 deadline
 * stops, no fuel stop), and those 20 ms spins were most of both fuzzers'
 * time. The deadline is checked between fuel slices (65536 units, about
 * 1.8 ms here), so a 1 ms deadline stops a spin after about 2 ms.
 *   8 in 16 (0-7, and a missing byte): 1 M fuel, 1 ms: the deadline
 *   7 in 16 (8-14): 30 k fuel (about 0.8 ms here), 20 ms: fuel, and a
 *            script or a host call that needs more is stopped midway
 *   1 in 16 (15): 1 M fuel, 20 ms (the agent's default deadline) */
static void life_limits(uint8_t limits_byte, uint64_t *fuel, uint64_t *deadline_ns)
{
	unsigned k = limits_byte % 16;
	*fuel = k < 8 || k == 15 ? 1000000 : 30000;
	*deadline_ns = k < 8 ? 1000000 : 20000000;
}

/* A new policy in *h (zeroed here) and its mapping *map: G runs at 1 + r of
 * K, r = (rate_byte - 128) * 8 ppm (up to about 1000 ppm either way);
 * fuel and deadline by limits_byte (life_limits). */
static void life_policy_new(struct harness *h, struct ls_mapping *map, uint8_t rate_byte,
			    uint8_t limits_byte, const char *guest_config, size_t config_len)
{
	memset(h, 0, sizeof(*h));
	h->now_k = 1000ull * 1000000000ull;
	h->now_g = 50ull * 1000000000ull;
	memset(map, 0, sizeof(*map));
	map->valid = true;
	map->ref_k = ls_k_ns((int64_t)h->now_k);
	map->ref_g = ls_g_ns((int64_t)h->now_g);
	map->rate = ((int)rate_byte - 128) * 8e-6;
	map->rate_unc = 1e-6;
	map->eps0_ns = 1000;
	uint64_t fuel, deadline_ns;
	life_limits(limits_byte, &fuel, &deadline_ns);
	struct ls_policy_config cfg = {
	    .fuel = fuel,
	    .deadline_ns = deadline_ns,
	    .default_verdict = LS_VERDICT_DROP,
	    .guest_config = guest_config,
	    .guest_config_len = config_len,
	    .clock = {.ctx = h, .now_g = h_now_g, .now_k = h_now_k},
	    .log = life_quiet_log,
	    .log_ctx = h,
	};
	struct ls_verdict_sink sink = {
	    .ctx = h, .write = life_write_checked, .counters = h_counters, .flush = h_flush};
	if (ls_policy_new(&cfg, &sink, &h->p, &h->err))
		abort();
	ls_policy_set_mapping(h->p, map);
	h->seen[0] = (struct rec_seen){.port = 443, .flow_id = 1, .last_seen_k = h->now_k};
	h->nseen = 1;
}

/* One flow's life for a loaded policy; reload: the module to reload in the
 * middle (NULL: none). */
static void life_run(struct harness *h, const uint8_t *reload, size_t reload_len)
{
	h->nv = 0;
	flow_new(h, 1, "198.18.0.2", 40000, "198.18.0.1", 443, 6);
	dpi(h, 1, "198.18.0.2", 40000, "198.18.0.1", 443, LS_DPI_TLS, "example.com", NULL, NULL);
	flow_new(h, 2, "198.18.0.2", 40001, "198.18.0.1", 53, 17);
	dpi(h, 2, "198.18.0.2", 40001, "198.18.0.1", 53, LS_DPI_DNS, "a.example", NULL, NULL);
	advance(h, 1000000000ull);
	ls_policy_tick(h->p);
	if (reload) /* the new instance adopts both flows */
		ls_policy_load(h->p, reload, reload_len, "fuzz.wasm", &h->err);
	advance(h, 31000000000ull);
	expired(h, 1, "198.18.0.2", 40000, "198.18.0.1", 443, LS_VERDICT_PASS);
	ls_policy_tick(h->p);
	flow_end(h, 1, "198.18.0.2", 40000, "198.18.0.1", 443);
	flow_end(h, 2, "198.18.0.2", 40001, "198.18.0.1", 53);
	advance(h, 1000000000ull);
	ls_policy_tick(h->p);
	struct ls_policy_stats st;
	ls_policy_stats(h->p, &st);
}

#endif
