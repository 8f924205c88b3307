/* policy_int.h - internals shared by the policy part's files: the policy
 * state, the loaded module, the flow table and the per-callback context
 * (handles, pending verdicts). Not for other parts: they use policy.h. */
#ifndef LS_POLICY_INT_H
#define LS_POLICY_INT_H

#include "lockstep/guest.h"
#include "lockstep/wasm.h"
#include "policy/gmetrics.h"
#include "policy/kv.h"
#include "policy/policy.h"
#include "policy/pool.h"
#include "policy/timemap.h"

#include <stdbool.h>

#define LS_POLICY_FUEL_DEFAULT 10000000ull
#define LS_POLICY_PAGES_DEFAULT 256u
/* Bytes one guest instance may hold, all included (lw_limits.memory_budget):
 * the 16 MiB memory, the 8 MiB operand stack and room to grow. */
#define LS_POLICY_BUDGET_DEFAULT (64ull << 20)
/* Wall-clock limit of one callback: a fifth of the default beat interval
 * (100 ms), so a runaway guest never holds the loop for a beat. */
#define LS_POLICY_DEADLINE_DEFAULT 20000000ull
#define LS_CB_HANDLES_MAX 65536u /* handles one callback may hold */
#define LS_LOG_LINE_MAX 1024u
#define LS_LOG_RATE 100u  /* guest log lines per second ... */
#define LS_LOG_BURST 200u /* ... with this burst */

/* Bits of ls_gmod.has: which optional callbacks the module exports. */
enum {
	LS_CB_INIT = 1 << 0,
	LS_CB_FLOW_NEW = 1 << 1,
	LS_CB_DPI = 1 << 2,
	LS_CB_FLOW_END = 1 << 3,
	LS_CB_EXPIRED = 1 << 4,
	LS_CB_TICK = 1 << 5,
	LS_CB_WASI = 1 << 6, /* imports wasi_snapshot_preview1 */
	LS_CB_ADOPTED = 1 << 7,
};

/* A decoded, checked module and the imports it links against. Instances
 * are (re)created from it. */
struct ls_gmod {
	lw_module *mod;
	lw_imports *imp;
	lw_wasi *wasi;
	unsigned has;
	char name[256];
};

/* Callbacks by event kind (LS_EV_FLOW_NEW .. LS_EV_VERDICT_EXPIRED),
 * on_tick and on_flow_adopted: the exports looked up once per instance. */
enum { LS_GCB_TICK = 0, LS_GCB_ADOPTED = LS_EV_VERDICT_EXPIRED + 1, LS_GCB__N };

/* A running instance of a module. */
struct ls_ginst {
	struct ls_gmod *gm;
	lw_instance *in;
	lw_fnref *cb[LS_GCB__N]; /* NULL: not exported */
	uint32_t buf;      /* guest address of the event buffer */
	int32_t abi;       /* the ABI version the module speaks (1 or 2) */
	uint64_t tick_seq;
	uint64_t created_k;
	uint32_t seq;      /* which instance of this policy (1, 2 ...): in its log lines */
};

/* A flow's last complete DPI result, kept out of line: most flows never
 * have one to keep, and a node with room for one was 824 bytes, the
 * first touch of which was a tenth of a new flow's time. */
struct ls_pflow_dpi {
	struct lsg_dpi dpi;
	struct lsg_dpi_ext ext; /* ... and its version-2 extension */
	bool pooled;		/* from the table's pool (pool.h) */
};

/* A flow the policy knows (announced, or first seen in a later event). */
struct ls_pflow {
	struct ls_pflow *next;
	uint64_t flow_id;
	struct ls_flow_key key;
	struct lsg_flow_info info;
	bool client_is_lo; /* the client is the key's lo side */
	bool pooled;	   /* from the table's pool (pool.h) */
	uint64_t last_k;   /* last event for it, or last packet the data plane
			    * saw (for forgetting silent flows) */
	struct ls_pflow_dpi *dpi; /* its last DPI result (for adoption); NULL: none */
};

/* Chained hash of the flows by flow_id; nodes and DPI results from pools
 * kept at their peak, up to the flow limit (pool.h). */
struct ls_pflows {
	struct ls_pflow **b;
	size_t nb, n;
	/* While the table doubles (flows.c, grow): the old buckets, moved a
	 * few at a time by each add, so that no one event pays for them all;
	 * NULL when none. ob[0..omoved) are empty already. */
	struct ls_pflow **ob;
	size_t onb, omoved;
	size_t step_max; /* the most flows one add moved (tests) */
	int gc_table;	 /* ls_pflows_gc_some's place: array, bucket */
	size_t gc_next;
	struct ls_pool nodes; /* struct ls_pflow */
	struct ls_pool dpis;  /* struct ls_pflow_dpi */
};

/* The callback being run: its handles and the verdicts it set. Handles are
 * numbered from `base`, which moves on after every callback, so a handle
 * kept from an earlier callback is recognisably stale. */
struct ls_cb {
	bool active;
	int32_t base;
	uint32_t nh;
	struct ls_pflow **flow;  /* [LS_CB_HANDLES_MAX] */
	uint32_t *verdict;       /* [..] 0: none set; enum ls_verdict | flags */
	uint64_t *deadline_k;    /* [..] */
	void *map;               /* the three tables' mapping (cbtab.c) */
	size_t map_len;
};

/* Maps the tables of *cb, zeroed, each ending at a guard page (cbtab.c);
 * -1 when the mapping fails. ls_cb_unmap releases them (safe twice). */
int ls_cb_map(struct ls_cb *cb);
void ls_cb_unmap(struct ls_cb *cb);

struct ls_policy {
	struct ls_policy_config cfg;
	char *guest_config;
	size_t guest_config_len;
	struct ls_verdict_sink sink;
	lw_engine *engine;
	struct ls_gmod *gm;     /* the current module (NULL before the first load) */
	struct ls_ginst *gi;    /* its instance; NULL while unhealthy */
	struct ls_ginst *initing; /* instance whose init is running (reload) */
	char path[4096];        /* file of the last ls_policy_load_file */
	struct ls_kv *kv;
	struct ls_gmetrics gmet;
	struct ls_pflows flows;
	struct ls_cb cb;
	int32_t next_handle;
	const struct ls_mapping *tmap; /* G <-> K mapping (timemap.h) */
	/* or the mapping another thread publishes (ls_policy_set_mapping_pub),
	 * copied at each use (ls_policy_tmap) */
	const struct ls_mapping_pub *tpub;
	uint64_t batch_k;       /* K when the batch being dispatched began */
	struct ls_policy_stats st;
	uint64_t last_fail_k;
	/* health (ls_policy_health): the outcome of the last on_tick and of
	 * the last dispatch that ran a callback; LS_PF__MAX when it returned */
	enum ls_policy_fail tick_fail, dispatch_fail;
	enum ls_policy_fail last_fail; /* kind of the latest failure */
	const char *last_fail_in;      /* ... and the callback it was in */
	char health[128];              /* ls_policy_health's reason */
	uint64_t last_tick_k;          /* start of the latest ls_policy_tick, 0: none yet */
	bool disp_ran;                 /* the dispatch in progress ran a callback */
	enum ls_policy_fail disp_fail; /* ... and this failure (LS_PF__MAX: none) */
	double log_tokens;
	uint64_t log_refill_k;
	uint32_t ninst;         /* instances created so far (ls_ginst.seq) */
	uint32_t failed_seq;    /* the instance fail_guest is reporting */
};

/* host_abi.c */
int ls_abi_link(struct ls_policy *p, struct ls_gmod *gm, struct ls_err *err);

/* flows.c */
/* limit: the flows the pools keep memory for (the data plane's flow
 * table); more are malloc'd one by one */
int ls_pflows_init(struct ls_pflows *t, size_t limit);
void ls_pflows_free(struct ls_pflows *t);
struct ls_pflow *ls_pflows_get(struct ls_pflows *t, uint64_t flow_id);
struct ls_pflow *ls_pflows_add(struct ls_pflows *t, const struct ls_event *ev,
			       uint64_t first_seen_g);
void ls_pflows_del(struct ls_pflows *t, uint64_t flow_id);
/* Room for f's DPI result (kept until f goes), or NULL: out of memory. */
struct ls_pflow_dpi *ls_pflows_dpi(struct ls_pflows *t, struct ls_pflow *f);
/* Table t's i-th bucket array (0: the current, 1: the one being moved
 * out while it doubles) in *b and its size; false past the last. Every
 * flow is in exactly one of them. */
bool ls_pflows_table(const struct ls_pflows *t, int i, struct ls_pflow ***b, size_t *nb);
/* Forget flows whose last event is before cutoff_k, unless alive (may be
 * NULL) says otherwise for one (and moves its last_k); returns how many. */
size_t ls_pflows_gc(struct ls_pflows *t, uint64_t cutoff_k,
		    bool (*alive)(void *ctx, struct ls_pflow *f), void *ctx);
/* The same, a slice at a time: from where the last call stopped, at most
 * max_buckets buckets and max_asks calls of alive (a system call each in
 * the agent), wrapping round; a tick's collection must not stall the
 * events behind it (a whole pass over 50k flows is ~5 ms of cache misses
 * and a lookup per idle flow). */
size_t ls_pflows_gc_some(struct ls_pflows *t, uint64_t cutoff_k,
			 bool (*alive)(void *ctx, struct ls_pflow *f), void *ctx,
			 size_t max_buckets, size_t max_asks);

/* policy.c */
uint64_t ls_policy_now_g(const struct ls_policy *p);
uint64_t ls_policy_now_k(const struct ls_policy *p);
/* A log line of kind `kind` (ls_policy_log_fn): msg is msg_len bytes, fmt
 * the extra members after the policy's name and instance. */
void ls_policy_logf(struct ls_policy *p, int level, const char *kind, const char *msg,
		    size_t msg_len, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
