/* policy.h - the policy pipeline: runs a Wasm policy module (ABI of
 * docs/abi.md) over data-plane events and turns its answers into verdicts.
 *
 * The only part of lockstep that knows both the engine (wasm.h) and the data
 * plane's wire format (wire.h); it depends on neither's implementation
 * details. Events come in as struct ls_event batches (from the ring buffer,
 * a pcap replay or a test); verdicts go out through struct ls_verdict_sink,
 * handed down by whoever runs the policy (the agent's agent/policy_link.c
 * writes them to the data plane's verdict map; `inspect` and tests record
 * them): the policy includes neither the data plane nor the agent. One
 * thread: every call here is made from the agent's event loop.
 *
 *   struct ls_policy *p;
 *   ls_policy_new(&cfg, &sink, &p, &err);
 *   ls_policy_load_file(p, "allowlist.wasm", &err);   // or reload
 *   ls_policy_dispatch(p, events, n);     // per ring-buffer batch
 *   ls_policy_tick(p);                    // every cfg.tick_interval_ns
 */
#ifndef LS_POLICY_H
#define LS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "lockstep/wire.h"

/* Where verdicts go. write() is called for each verdict the guest (or the
 * default, while the guest is unhealthy) decides; deadline_k 0 = none. */
/* The longest rule pattern the rule_add import takes (guest.h's
 * LSG_RULE_PATTERN_MAX, checked equal in host_abi.c). */
#define LS_RULE_PATTERN_MAX 256
/* The rule kinds the sink is handed, the values of the rule_add import
 * (guest.h LSG_RULE_*, checked in host_abi.c); the agent checks them
 * against the data plane's. */
enum ls_policy_rule_kind {
	LS_PRULE_HTTP = 1,
	LS_PRULE_TLS = 2,
	LS_PRULE_DNS = 4,
	LS_PRULE_CLIENT = 8,
	LS_PRULE_SERVER = 16,
};

struct ls_verdict_sink {
	void *ctx;
	int (*write)(void *ctx, const struct ls_flow_key *key, uint64_t flow_id,
		     uint32_t verdict, uint64_t deadline_k);
	/* Optional: a flow's live counters (NULL: the guest gets E_NOTSUP). */
	int (*counters)(void *ctx, const struct ls_flow_key *key,
			struct ls_flow *out);
	/* Optional: called at the end of each dispatched batch. */
	void (*flush)(void *ctx);
	/* Optional: install (del false) or remove a kernel rule (a pattern
	 * of at most LS_RULE_PATTERN_MAX bytes) -- kind and
	 * pattern as the rule_add import takes them (docs/abi.md), verdict and
	 * deadline_k as for write(). 0, -EINVAL for a bad pattern, -ENOSPC
	 * for a full table, -ENOENT for a missing rule, another -errno. NULL:
	 * the guest gets E_NOTSUP. */
	int (*rule)(void *ctx, uint32_t kind, const char *pattern, size_t len, uint32_t verdict,
		    uint64_t deadline_k, int del);
	/* Optional: the verdict the data plane holds for a flow now (0 and
	 * *verdict 0 when it holds none; -1 when it cannot say). NULL: the
	 * guest's flow_verdict gets E_NOTSUP. */
	int (*verdict)(void *ctx, const struct ls_flow_key *key, uint32_t *verdict,
		       uint64_t *deadline_k);
	/* Optional: called after each event of a dispatched batch is handled
	 * (its callback returned, or was stopped), so that a batch of slow
	 * callbacks can write what it decided so far (policy_link.c). */
	void (*progress)(void *ctx);
};

/* Time sources. G is the guest's clock (docs/clock.md); K is CLOCK_BOOTTIME.
 * NULL functions mean "read CLOCK_BOOTTIME". Tests inject both. Every time
 * a guest reads comes from here: the lockstep `now` import and WASI
 * clock_time_get (monotonic is now_g; realtime is `wasi` when given, else
 * now_g + REALTIME - BOOTTIME, wall time on G's timeline). */
struct ls_policy_clock {
	void *ctx;
	uint64_t (*now_g)(void *ctx);
	uint64_t (*now_k)(void *ctx);
	/* WASI clock_time_get for all ids (lw_clock_fn, include/lockstep/
	 * wasm.h); NULL: as above, CPU-time ids from the host */
	int (*wasi)(void *ctx, uint32_t id, uint64_t *ns);
	/* told the K time an event was queued before its callback runs, 0
	 * after: a fault model of load makes the guest's readings that stale
	 * (clock/guestclock.h); NULL: not told */
	void (*queued)(void *ctx, uint64_t ts_k);
	uint64_t resolution_ns; /* what clock_res_get reports (0: 1 ns) */
};

/* The agent's guest clock (clock/sync.h) as the pipeline's: G from its
 * fault model, WASI realtime and monotonic from G, G's resolution. Pair it
 * with ls_policy_set_mapping(p, ls_sync_live_mapping(s)). */
struct ls_sync;
struct ls_policy_clock ls_policy_clock_of_sync(struct ls_sync *s);
/* The same for one of several instances on several threads (the agent's
 * workers): g (ls_sync_guest_init) holds what this instance's readings
 * change, so instances share nothing they write; g must outlive the
 * policy. */
struct ls_sync_guest;
struct ls_policy_clock ls_policy_clock_of_guest(struct ls_sync_guest *g);

/* Log sink for guest log lines and the pipeline's own state changes, in
 * the terms of obs/log.h's ls_log: level (enum ls_log_level), kind
 * ("guest_log", "loaded", "reload_refused" ...), the message as msg_len
 * bytes (a guest's, unescaped: any bytes), and extra JSON members
 * (`"policy":"x.wasm","instance":2,...`, never empty: the policy and its
 * instance come first). NULL: a line in that schema on stderr. */
typedef void (*ls_policy_log_fn)(void *ctx, int level, const char *kind, const char *msg,
				 size_t msg_len, const char *fields);

/* The largest guest config a command accepts (--policy-config @FILE): a
 * config is a few lines of text, anything near this is the wrong file. */
#define LS_POLICY_CONFIG_MAX (1u << 20)

/* The data plane's flow table (ls_flows, bpf/lockstep.bpf.c): the flows
 * a policy can know at once, give or take the ones it has not forgotten. */
#define LS_POLICY_FLOW_LIMIT 65536

struct ls_policy_config {
	uint64_t fuel;             /* per callback; 0: default 10,000,000 */
	uint32_t max_memory_pages; /* 0: default 256 (16 MiB) */
	uint64_t memory_budget;    /* bytes one instance holds in all (memories,
				    * tables, stack, code ...; --guest-memory);
				    * 0: default 64 MiB */
	uint64_t deadline_ns;      /* wall-clock limit per callback, reported as
				    * fuel exhaustion (--guest-deadline); 0: 20 ms */
	uint32_t default_verdict;  /* LS_VERDICT_PASS/DROP while unhealthy */
	uint64_t default_ttl_ns;   /* TTL of those default verdicts (0: 1 s) */
	uint64_t tick_interval_ns; /* reported to guests in tick events (0: 1 s) */
	uint64_t backoff_min_ns;   /* crash-loop back-off (0: 100 ms) */
	uint64_t backoff_max_ns;   /* (0: 30 s) */
	uint64_t flow_gc_ns;       /* forget flows silent this long (0: 10 min) */
	uint32_t flow_limit;	   /* flows whose memory is kept for reuse: the
				    * data plane's flow table (0:
				    * LS_POLICY_FLOW_LIMIT); more still work */
	const char *guest_config;  /* string handed to init (NULL: "") */
	size_t guest_config_len;
	struct ls_policy_clock clock;
	ls_policy_log_fn log;
	void *log_ctx;
	int min_log_level;         /* guest lines below this are dropped */
};

enum ls_policy_fail {
	LS_PF_TRAP = 0,  /* any trap except the two below */
	LS_PF_FUEL,      /* fuel exhausted */
	LS_PF_INIT,      /* init returned non-zero or instantiation failed */
	LS_PF__MAX,
};

struct ls_policy_stats {
	uint64_t events;           /* events dispatched */
	uint64_t calls;            /* guest callbacks made */
	uint64_t failures[LS_PF__MAX];
	uint64_t restarts;         /* instances recreated after a failure */
	uint64_t reloads;          /* successful reloads (not the first load) */
	uint64_t reload_refused;
	uint64_t verdicts;         /* verdicts written by the guest */
	uint64_t defaults;         /* default verdicts written while unhealthy */
	uint64_t bad_pointer;      /* import calls refused with E_BOUNDS */
	uint64_t bad_handle;       /* E_HANDLE or E_STALE */
	uint64_t guest_errors;     /* callbacks that returned non-zero */
	uint64_t log_lines;
	uint64_t log_dropped;      /* rate-limited */
	uint64_t flows;            /* flows currently known */
	uint64_t rules_added;      /* kernel rules the guest installed (rule_add) */
	uint64_t adopted;          /* flows handed to a new instance (on_flow_adopted) */
	uint64_t series_dropped;   /* guest metric updates refused at a series cap */
	uint64_t series;           /* guest metrics' labelled series now */
	int healthy;               /* the health rule holds (ls_policy_health) */
	int health;                /* enum ls_policy_health: why not */
	char health_why[128];      /* ... as ls_policy_health's phrase ("" when healthy) */
	uint32_t crash_streak;
	uint64_t retry_at_k;       /* next instantiation attempt (unhealthy) */
};

struct ls_policy;

int ls_policy_new(const struct ls_policy_config *cfg,
		  const struct ls_verdict_sink *sink, struct ls_policy **out,
		  struct ls_err *err);
void ls_policy_free(struct ls_policy *p);

/* From now on p uses the key-value store of `with` (its own is dropped):
 * the instances of several workers share one store (docs/abi.md,
 * "Workers"). Call before the first load, so that init sees it too. */
void ls_policy_share_kv(struct ls_policy *p, const struct ls_policy *with);
/* The store p uses (to load it from and save it to the state file:
 * policy/kv_state.h). */
struct ls_kv *ls_policy_kv(struct ls_policy *p);

/* Load a module: decode, check the ABI, instantiate, run init. On success it
 * replaces the running module (the first load, or a hot reload); on failure
 * the running module, if any, is untouched and err says why. The key-value
 * store and metrics carry over. */
int ls_policy_load(struct ls_policy *p, const uint8_t *wasm, size_t len,
		   const char *name, struct ls_err *err);
int ls_policy_load_file(struct ls_policy *p, const char *path, struct ls_err *err);
/* Before the first load of a restarted agent: a flow that is open in the
 * data plane (ev like its FLOW_NEW: flow_id, key, dir of its first packet,
 * ports as seen, ts_k its first packet; kind LS_EV_DPI with u.dpi: its
 * last DPI result). Every load (this first one and each reload) tells the
 * new instance of every open flow the policy knows (on_flow_adopted,
 * docs/abi.md "Reload and restart"). 0 or -ENOMEM. */
int ls_policy_seed_flow(struct ls_policy *p, const struct ls_event *ev, uint64_t last_seen_k);
/* Reload the file last loaded with ls_policy_load_file (SIGHUP). */
int ls_policy_reload(struct ls_policy *p, struct ls_err *err);
/* Replace the configuration string for later loads (the running instance
 * keeps its own until a reload). */
int ls_policy_set_guest_config(struct ls_policy *p, const char *cfg,
			       size_t len);
const char *ls_policy_path(const struct ls_policy *p);
/* The G <-> K mapping to use from now on (clock/estimator.h); it must stay
 * valid while set (the heartbeat's estimator updates it in place). NULL:
 * the identity. */
struct ls_mapping;
void ls_policy_set_mapping(struct ls_policy *p, const struct ls_mapping *m);
/* The same, published by another thread (the heartbeat's, while this
 * policy runs on a worker: clock/mapping_pub.h): each conversion reads one
 * consistent copy of it. It must stay valid while set. NULL: the identity. */
struct ls_mapping_pub;
void ls_policy_set_mapping_pub(struct ls_policy *p, const struct ls_mapping_pub *pub);

/* Deliver a batch of kernel events (any kind; kinds the policy does not
 * handle are skipped). Never fails: guest failures are contained. */
void ls_policy_dispatch(struct ls_policy *p, const struct ls_event *ev,
			size_t n);
/* A tick: on_tick to the guest, forget long-silent flows, retry a crashed
 * instance whose back-off ran out. */
void ls_policy_tick(struct ls_policy *p);

void ls_policy_stats(const struct ls_policy *p, struct ls_policy_stats *out);

/* Is the policy side healthy, i.e. may a heartbeat beat count as good
 * (docs/clock.md, "What makes a beat good")? NULL when it is; otherwise why
 * not, as a short phrase (valid until the next call). Unhealthy while
 *   - no instance runs (a module failed and waits for its back-off, or none
 *     was loaded),
 *   - its last on_tick trapped or ran out of fuel (until an on_tick
 *     returns again: the tick is the policy's own refresh of its verdicts),
 *   - a callback in the last dispatch that ran any trapped or ran out of
 *     fuel (until a later dispatch runs without failure),
 *   - its tick is overdue: the last ls_policy_tick started more than 1.5
 *     tick intervals ago (the agent was stopped or blocked; not before the
 *     first tick, which the caller schedules). Verdict TTLs are refreshed
 *     on ticks, so fail-safe must not end before one ran.
 * A guest that returns an error code is not unhealthy: it answered. The
 * caller ticks every cfg.tick_interval_ns. */
const char *ls_policy_health(struct ls_policy *p);

/* The same rule, its reason as a value (one per row of docs/clock.md's
 * table, trap and fuel apart), for `lockstep status` and the metrics: one
 * rule, so that what they say healthy is what makes a beat good. */
enum ls_policy_health {
	LS_PH_HEALTHY = 0,
	LS_PH_NO_MODULE,            /* no policy module is loaded */
	LS_PH_BACKOFF,              /* its instance failed: recreated after a back-off */
	LS_PH_TICK_TRAPPED,         /* its last on_tick trapped */
	LS_PH_TICK_OUT_OF_FUEL,     /* its last on_tick ran out of fuel */
	LS_PH_TICK_OVERDUE,         /* no tick for 1.5 tick intervals */
	LS_PH_DISPATCH_TRAPPED,     /* a callback of its last dispatch trapped */
	LS_PH_DISPATCH_OUT_OF_FUEL, /* ... ran out of fuel */
	LS_PH__MAX,
};
/* snake_case, the metric's label value: "healthy", "no_module", ... */
const char *ls_policy_health_name(int h);
/* The rule at now_k, no side effects; why (optional) gets the phrase. */
enum ls_policy_health ls_policy_health_at(const struct ls_policy *p, uint64_t now_k,
					  char *why, size_t len);
/* Prometheus text: the pipeline's counters and the guest's metrics. */
void ls_policy_metrics_write(const struct ls_policy *p, FILE *f);
/* The pipeline's counters alone, from stats (summed over several workers:
 * agent/worker.h) and a health (enum ls_policy_health). */
void ls_policy_stats_metrics_write(const struct ls_policy_stats *st, int health, FILE *f);
/* The guest's metrics (read on the policy's own thread, or under the lock
 * that serialises its calls: agent/worker.c copies them after each batch
 * for the merged export of N workers). */
struct ls_gmetrics;
const struct ls_gmetrics *ls_policy_gmetrics(const struct ls_policy *p);
/* Value of a guest metric by name (tests, `lockstep status`); -1 if none. */
int ls_policy_metric_value(const struct ls_policy *p, const char *name,
			   double *out);

#endif
