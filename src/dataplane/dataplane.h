/* dataplane.h - user-space side of the kernel data plane: load or adopt the
 * BPF object, attach it (XDP, optionally TC egress), keep maps and links
 * pinned under a versioned bpffs directory, and read/write the maps.
 *
 * Knows nothing about Wasm or policy. Two ways in:
 *   ls_dp_open()       the agent: load the skeleton, reuse pinned maps and the
 *                      pinned XDP link when present (adoption: the program
 *                      stays attached across an agent restart), else attach
 *                      and pin.
 *   ls_dp_open_pins()  tools (`lockstep flows`, `verdict` ...): only the
 *                      pinned maps, nothing loaded or attached.
 * Errors are values: functions return 0 or a negative errno and fill a
 * struct ls_err (base/err.h) with a message a user can act on.
 *
 * Pin directory layout (every name is fixed; bpffs forbids dots in names):
 *   DIR/flows DIR/verdicts DIR/config DIR/liveness DIR/counters DIR/events
 *   DIR/verdict_gen DIR/shard_cfg DIR/shard_rings (the workers' rings live
 *   in shard_rings, not pinned on their own)
 *   DIR/link_xdp               the XDP bpf_link (holds the program attached)
 *   DIR/link_tc_egress         the TCX link at TC egress (--tc, kernel >= 6.6)
 *   DIR/tc_egress_<ifindex>    the TC program, when attached with --tc
 *                              through netlink (older kernels, --tc-link
 *                              netlink, and agents before TCX)
 * The kernel names of the maps and programs carry the prefix ls_ (the pin
 * names do not: they live in lockstep's own directory).
 */
#ifndef LS_DATAPLANE_H
#define LS_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/time.h" /* ls_now_k(): K, the clock of every deadline here */
#include "lockstep/wire.h"

enum ls_xdp_mode {
	LS_XDP_AUTO = 0,    /* native, falling back to generic */
	LS_XDP_NATIVE = 1,  /* driver mode only */
	LS_XDP_GENERIC = 2, /* skb mode only */
};

const char *ls_xdp_mode_name(enum ls_xdp_mode m);
/* "auto" | "native" | "generic" -> mode; -1 when unknown. */
int ls_xdp_mode_parse(const char *s);

/* Where ls_tc goes among the other programs at TC egress (--tc-order;
 * docs/operations.md, Neighbours): TCX's BPF_F_BEFORE/BPF_F_AFTER, or
 * for a netlink filter a priority (first 1, last 65535). */
enum ls_tc_pos { LS_TC_FIRST = 0, LS_TC_LAST, LS_TC_BEFORE, LS_TC_AFTER };
struct ls_tc_order {
	enum ls_tc_pos pos;
	uint32_t prog_id;   /* BEFORE/AFTER: the other program's id, or 0 ... */
	char prog_name[16]; /* ... its name, looked up at the same hook */
};
/* "first" | "last" | "before=ID|NAME" | "after=ID|NAME"; -1 when invalid */
int ls_tc_order_parse(const char *s, struct ls_tc_order *o);
const char *ls_tc_order_str(const struct ls_tc_order *o, char *buf, size_t len);

/* How ls_tc is attached (--tc-link): auto is TCX where the kernel has it
 * (>= 6.6), else netlink. */
enum ls_tc_link { LS_TC_LINK_AUTO = 0, LS_TC_LINK_TCX, LS_TC_LINK_NETLINK };
int ls_tc_link_parse(const char *s); /* -1 when unknown */
const char *ls_tc_link_name(enum ls_tc_link l);

struct ls_dp_opts {
	const char *pin_dir;   /* NULL: ls_pin_dir_default() */
	const char *ifname;    /* interface to attach to */
	enum ls_xdp_mode xdp_mode;
	bool tc_egress;        /* also attach ls_tc at TC egress (replies) */
	struct ls_tc_order tc_order; /* ... placed there (default first) */
	enum ls_tc_link tc_link;     /* ... through (default auto) */
	bool tc_placed;              /* either was asked (the CLI: needs --tc) */
	uint32_t ringbuf_size; /* bytes of the events ring buffer, a power of two
				* >= the page size (ls_dp_ringbuf_size_check);
				* 0: LS_RINGBUF_SIZE_DEFAULT for a new one. A
				* pinned ring is adopted at its own size. */
};

#define LS_RINGBUF_SIZE_DEFAULT (1u << 22)
#define LS_RINGBUF_SIZE_MAX (1u << 30)

/* 0 when size is valid for ls_dp_opts.ringbuf_size, else -EINVAL with a
 * message saying what is allowed. */
int ls_dp_ringbuf_size_check(uint64_t size, struct ls_err *err);

/* What ls_dp_open() found and did; printed by `lockstep run`. */
struct ls_dp_status {
	bool adopted_maps;     /* at least one map came from the pins */
	int maps_adopted;      /* how many of the twelve */
	bool adopted_link;     /* the XDP link came from the pins (no re-attach) */
	bool prog_replaced;    /* adopted link switched to this build's program */
	bool tc_adopted;       /* TC link or filter already present */
	enum ls_tc_link tc_link; /* TCX or netlink: what attaches ls_tc now */
	bool tc_migrated;      /* an earlier agent's netlink filter gave way to
				* a TCX link (attached first, then removed) */
	bool tc_order_kept;    /* an adopted TCX link keeps its place */
	uint16_t tc_prio;      /* netlink: the filter's priority */
	int legacy_names;      /* adopted maps whose kernel name lacks the ls_
				* prefix (made by an earlier version) */
	enum ls_xdp_mode xdp_mode; /* mode actually in effect (native/generic) */
	uint32_t ringbuf_bytes;  /* size of the events ring in effect */
	bool ringbuf_kept;       /* ringbuf_size was asked, but the pinned ring
				  * has another size and was adopted as is */
	int ifindex;
	char pin_dir[4096];
};

struct ls_dp; /* opaque */

/* libbpf's own messages (libbpf_set_print), one line each without its
 * newline, with libbpf's level (0 warn, 1 info, 2 debug): to fn from now
 * on (the agent's log, at debug level); fn NULL: warnings on stderr
 * ($LS_LIBBPF_VERBOSE: info too), the default. Any thread may print: fn
 * locks what it needs. */
typedef void (*ls_dp_libbpf_fn)(void *ctx, int libbpf_level, const char *line);
void ls_dp_libbpf_sink(ls_dp_libbpf_fn fn, void *ctx);
/* Keep libbpf's lines (up to 32) from now until a sink is set, which then
 * gets them first (the agent's start: the log opens after the attach), or
 * until release, which prints the warnings among them on stderr (the
 * start failed before the log existed). */
void ls_dp_libbpf_hold(void);
void ls_dp_libbpf_release(void);
/* A sink is set: a part that would quiet libbpf leaves it to the sink. */
bool ls_dp_libbpf_routed(void);

/* Directory from env LS_PIN_DIR, else LS_PIN_DIR of wire.h. */
const char *ls_pin_dir_default(void);

int ls_dp_open(struct ls_dp **out, const struct ls_dp_opts *opts, struct ls_dp_status *st,
	       struct ls_err *err);
/* Maps only, from the pins in pin_dir (NULL: default). */
int ls_dp_open_pins(struct ls_dp **out, const char *pin_dir, struct ls_err *err);
/* Maps only, those of a BPF_PROG_TEST_RUN driver (testrun.h): its events,
 * verdicts and counters through the same calls the agent uses, nothing
 * pinned or attached (benchmarks, tests). t must outlive the result. */
struct ls_testrun;
int ls_dp_open_testrun(struct ls_dp **out, struct ls_testrun *t, struct ls_err *err);
/* Releases user-space resources only: the program stays attached and pinned. */
void ls_dp_close(struct ls_dp *dp);
const char *ls_dp_pin_dir(const struct ls_dp *dp);

/* Detach everything pinned in pin_dir (XDP link, TC filters) and remove the
 * pins and the directory. Works without a loaded object (`lockstep stop`).
 * *found is set to false when there was nothing to stop. */
int ls_dp_stop(const char *pin_dir, bool *found, struct ls_err *err);
/* True while DIR/link_xdp exists: `lockstep stop` removes it, and a running
 * agent uses this to notice it was stopped from outside. */
bool ls_dp_link_pinned(const struct ls_dp *dp);

/* ---- maps ---------------------------------------------------------------- */
int ls_dp_config_read(struct ls_dp *dp, struct ls_config *cfg, struct ls_err *err);
int ls_dp_config_write(struct ls_dp *dp, const struct ls_config *cfg, struct ls_err *err);

int ls_dp_verdict_set(struct ls_dp *dp, const struct ls_flow_key *key, uint32_t verdict,
		      uint64_t deadline_k, struct ls_err *err);
/* Writes n verdicts with one bpf_map_update_batch call instead of n
 * updates (a syscall each), in order, so that a later one for the same key
 * wins. Stamps recs[i].set_k with the time of the write. rc (optional)
 * gets 0 or -errno per verdict: one that fails (an invalid verdict, a full
 * map) does not stop those after it. Returns how many were written; err
 * describes the first failure. */
int ls_dp_verdicts_write(struct ls_dp *dp, const struct ls_flow_key *keys,
			 struct ls_verdict_rec *recs, uint32_t n, int *rc, struct ls_err *err);
/* -ENOENT (with a message) when there was no verdict for key. */
int ls_dp_verdict_del(struct ls_dp *dp, const struct ls_flow_key *key, struct ls_err *err);
int ls_dp_verdict_get(struct ls_dp *dp, const struct ls_flow_key *key, struct ls_verdict_rec *rec,
		      struct ls_err *err);

/* One flow of the flow table; -ENOENT (with a message) when it is not
 * there (never seen, ended long ago, or evicted by the LRU). */
int ls_dp_flow_get(struct ls_dp *dp, const struct ls_flow_key *key, struct ls_flow *flow,
		   struct ls_err *err);
/* Calls fn for every flow; fn returns non-zero to stop early. */
typedef int (*ls_dp_flow_fn)(void *ctx, const struct ls_flow_key *key, const struct ls_flow *flow);
int ls_dp_flows_foreach(struct ls_dp *dp, ls_dp_flow_fn fn, void *ctx, struct ls_err *err);

/* Sums the per-CPU counters into out[LS_CNT__MAX]. */
int ls_dp_counters_read(struct ls_dp *dp, uint64_t out[LS_CNT__MAX], struct ls_err *err);
/* Stable snake_case name of a counter ("pkts", "drop_verdict" ...); NULL for
 * unused slots. */
const char *ls_counter_name(unsigned idx);

int ls_dp_liveness_read(struct ls_dp *dp, struct ls_liveness *lv, struct ls_err *err);
int ls_dp_liveness_write(struct ls_dp *dp, const struct ls_liveness *lv, struct ls_err *err);

/* ---- kernel rules (bpf/rules.h) ------------------------------------------- */
/* What a rule matches: a DPI name (the values are the DPI kinds of wire.h)
 * or the client's / server's address. */
enum ls_rule_kind {
	LS_RULE_HTTP = 1, /* HTTP Host (its :port ignored) */
	LS_RULE_TLS = 2,  /* TLS SNI */
	LS_RULE_DNS = 4,  /* DNS query name */
	LS_RULE_CLIENT = 8,
	LS_RULE_SERVER = 16,
};

union ls_rule_key {
	struct ls_rule_name_key name;
	struct ls_rule_prefix_key prefix;
};

/* Installs (or replaces) a rule: for a name kind, pattern "www.a.test"
 * (exact), "*.a.test" (names under a.test, not a.test itself) or "*";
 * for client / server, "ADDR/LEN" or "ADDR", IPv4 or IPv6. verdict as
 * ls_verdict_valid(); deadline_k 0 for none. -EINVAL with a message for a
 * bad pattern. */
int ls_dp_rule_set(struct ls_dp *dp, uint32_t kind, const char *pattern, size_t len,
		   uint32_t verdict, uint64_t deadline_k, struct ls_err *err);
/* -ENOENT when there was no such rule. */
int ls_dp_rule_del(struct ls_dp *dp, uint32_t kind, const char *pattern, size_t len,
		   struct ls_err *err);

/* ---- events -------------------------------------------------------------- */
/* Called once per ring-buffer record; return non-zero to stop the drain. */
typedef int (*ls_dp_event_fn)(void *ctx, const struct ls_event *ev);

/* Sets up the ring-buffer consumer; returns the fd to watch for EPOLLIN
 * (ls_dp_events_fd) and ls_dp_events_drain() consumes what is ready.
 * Records of an unexpected size or version are counted, not delivered. */
int ls_dp_events_open(struct ls_dp *dp, ls_dp_event_fn fn, void *ctx, struct ls_err *err);
int ls_dp_events_fd(const struct ls_dp *dp);
/* Returns the number of records delivered, or a negative errno. It drains
 * until the ring is empty: with a producer as fast as the consumer, that is
 * never (start and exit only). */
int ls_dp_events_drain(struct ls_dp *dp);
/* At most max records (the agent's loop: the rest waits for the next turn,
 * the fd stays readable, and the timers, the heartbeat and the sockets are
 * served in between). *more: the budget ran out before the ring did. */
int ls_dp_events_drain_max(struct ls_dp *dp, uint32_t max, bool *more);
uint64_t ls_dp_events_bad(const struct ls_dp *dp);
/* As ls_dp_ring_pending, for `events` (the one-worker agent's busy-poll). */
bool ls_dp_events_pending(const struct ls_dp *dp);

/* ---- shards: N policy workers (docs/workers.md) ------------------------ */
struct ls_dp_shards_status {
	uint32_t n, by;   /* in effect now */
	uint32_t was;     /* shard_cfg.n found (0: never set) */
	uint32_t kept;    /* rings found in slots < n and kept, backlog and all */
	uint32_t created; /* rings created */
	uint32_t removed; /* rings removed from slots >= n (their backlog lost) */
};

/* Puts the workers' rings in place, then steers (the order matters: the
 * kernel must never be told of a shard with no ring): slots 0..n-1 filled
 * -- a ring already in a slot is kept, else a new one the size of the
 * events ring -- then shard_cfg = {n, by}, then slots >= n emptied. n <= 1
 * sends everything to `events` and empties every slot. by: enum
 * ls_shard_by. -EINVAL for n > LS_SHARDS_MAX or an unknown `by`; -ENOTSUP
 * for pins of a data plane without shards. */
int ls_dp_shards_set(struct ls_dp *dp, uint32_t n, uint32_t by, struct ls_dp_shards_status *st,
		     struct ls_err *err);

/* The shard (0..n-1) the kernel steers the flow with canonical key `key`
 * to among n workers (bpf/shard.h's ls_shard_hash, docs/workers.md "The
 * sharding key"): client_lo says whether the flow's client (the side of
 * its first packet, ls_flow.init_dir) is the key's lo side, used by
 * LS_SHARD_BY_CLIENT only. 0 when n <= 1. */
uint32_t ls_dp_shard_of_flow(const struct ls_flow_key *key, bool client_lo, uint32_t by,
			     uint32_t n);

/* Per-shard liveness (`shard_live`, wire.h; docs/workers.md "Liveness per
 * shard"): the heartbeat publishes each worker's last sign of life (K) to
 * its shard; the kernel puts a shard whose alive_k is older than the
 * detect timeout in fail-safe alone. ls_dp_shards_set clears every alive_k
 * (not judged until published). -ENOTSUP when the data plane has no
 * shard_live (pins of an older build), -EINVAL for shard >= LS_SHARDS_MAX. */
int ls_dp_shard_alive(struct ls_dp *dp, uint32_t shard, uint64_t alive_k);
/* The per-shard watchdog, run by user space at each beat (the kernel
 * judges a shard only at its packets, so a shard with no traffic would
 * never be said to fail safe, and the holds of its worker never told): when
 * shard i's alive_k (non-zero) is older than timeout_ns at now_k and it is
 * not in fail-safe, or fresh and in it, move in_failsafe by the same
 * compare-and-swap the kernel makes (the kernel and this never both claim
 * one transition), count it in the entry and fill *ev with the failsafe
 * record the kernel would have written (u.failsafe.shard = i + 1). 1: a
 * transition, *ev filled; 0: none; < 0: -ENOTSUP/-EINVAL as above. */
int ls_dp_shard_watch(struct ls_dp *dp, uint32_t shard, uint64_t now_k, uint64_t timeout_ns,
		      struct ls_event *ev);
/* A copy of shard i's entry (the kernel's counts and state). */
int ls_dp_shard_live_get(const struct ls_dp *dp, uint32_t shard, struct ls_shard_live *out);

/* One worker's ring consumer, independent of dp once open (its own fds):
 * each worker thread owns one and no two threads share it. The records are
 * checked like ls_dp_events_open's. */
struct ls_dp_ring;
int ls_dp_ring_open(struct ls_dp *dp, uint32_t shard, ls_dp_event_fn fn, void *ctx,
		    struct ls_dp_ring **out, struct ls_err *err);
int ls_dp_ring_fd(const struct ls_dp_ring *r);
/* As ls_dp_events_drain_max, for this ring. */
int ls_dp_ring_drain_max(struct ls_dp_ring *r, uint32_t max, bool *more);
/* Are records waiting in the ring? Two loads of the ring's positions in
 * memory mapped read-only, no system call: what a busy-polling worker asks
 * between drains (docs/workers.md, "Wake-ups"). False when unknown. */
bool ls_dp_ring_pending(const struct ls_dp_ring *r);
/* The ring's consumer position (bytes consumed so far, as the kernel
 * counts them; 0 when unknown): unchanged between two looks while records
 * are pending, nobody drained it meanwhile. */
unsigned long ls_dp_ring_consumed(const struct ls_dp_ring *r);
/* Worker `shard`'s word in shard_live that says it is off its epoll (1)
 * or about to sleep (0): while 1 the kernel writes its records without a
 * wake-up (bpf/shard.h, ls_ring_output). NULL without shard_live. The
 * worker stores 1 when it wakes and 0, with a full fence, before it
 * sleeps again: its next epoll_wait then looks at the ring once more. */
uint32_t *ls_dp_shard_awake(struct ls_dp *dp, uint32_t shard);
/* Stores on into such a word (NULL: nothing): 1 plainly when the reader
 * wakes, 0 with a full barrier before it looks at its ring a last time and
 * sleeps (Dekker against the kernel's second look, bpf/shard.h). With one
 * worker, entry 0's word is the events ring's reader's. */
void ls_dp_awake_set(uint32_t *word, bool on);
uint64_t ls_dp_ring_bad(const struct ls_dp_ring *r);
void ls_dp_ring_close(struct ls_dp_ring *r);

/* ---- flow keys ----------------------------------------------------------- */
/* Canonical key from one packet's orientation (see wire.h): addresses are
 * 4 or 16 bytes per family; IPv4 goes in IPv4-mapped. Returns true when
 * (src, sport) sorted as `lo`, i.e. the packet went lo -> hi. */
bool ls_flow_key_make(struct ls_flow_key *key, uint8_t proto, int family,
		      const void *src, uint16_t sport, const void *dst, uint16_t dport);
/* "PROTO SRC SPORT DST DPORT", e.g. "tcp 198.18.0.1 40000 198.18.0.2 80";
 * PROTO is tcp|udp|icmp|icmpv6 or a number. */
int ls_flow_key_parse(struct ls_flow_key *key, const char *s, struct ls_err *err);
/* Printable address of a key side (IPv4-mapped shown as dotted quad). */
void ls_flow_addr_str(const uint8_t addr[16], int family, char *buf, size_t len);
/* The key as ls_flow_key_parse reads it, lower side first:
 * "udp 198.18.0.1 5353 198.18.0.2 53" (an unnamed protocol as its number). */
void ls_flow_key_str(const struct ls_flow_key *key, char *buf, size_t len);
/* protocol names: ls_proto_name() of base/names.h */

#endif
