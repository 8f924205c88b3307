/* lockstep.bpf.c - the data plane: parse, flow table, verdict, DPI, events.
 *
 * One packet: parse_*.h headers (anything unparsed passes, counted by reason)
 * -> canonical flow key -> flow table (FLOW_NEW / FLOW_END events) -> verdict
 * (expiry, fail-safe) -> DPI on the first payload packets (dpi_*.h) -> pass or
 * drop. The only drops are a drop verdict, a drop default for a flow that has
 * never passed, and fail-closed fail-safe for such a flow: an expired verdict
 * alone never drops a connection. Semantics: docs/dataplane.md.
 *
 * The same logic runs as XDP (ls_xdp) and TC (ls_tc); only the way payload
 * bytes are copied differs. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lockstep/wire.h"
#include "dpi_common.h"
#include "parse_packet.h"
#include "dpi_http.h"
#include "dpi_tls.h"
#include "dpi_dns.h"
#include "ls_clock.h"
#include "reject.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ls_flow_key);
	__type(value, struct ls_flow);
} ls_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ls_flow_key);
	__type(value, struct ls_verdict_rec);
} ls_verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_config);
} ls_config SEC(".maps");

/* bumped by every verdict writer (wire.h); validates the verdict cache */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, LS_VERDICT_GEN_MAP_FLAGS);
	__type(key, __u32);
	__type(value, __u64);
} ls_verdict_gen SEC(".maps");

/* liveness, counters, events: shared with the other object */
#include "shared_maps.h"
#include "rules.h"

/* Per-CPU working memory: the event under construction and the payload copy
 * (too big for the 512-byte BPF stack), and two caches that outlive a packet
 * but are not state -- the clock of ls_clock.h and the verdict cache of
 * decide(): a fresh map simply starts them again. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_scratch);
} ls_scratch SEC(".maps");

/* What an unwritten config map means: every field zero (defaults apply).
 * In .rodata, so the fallback costs no per-packet stack clearing. */
static const struct ls_config ls_config_default;

static __always_inline __u64 *counter(__u32 idx)
{
	return bpf_map_lookup_elem(&ls_counters, &idx);
}

static __always_inline void count(__u32 idx)
{
	__u64 *c = counter(idx);
	if (c)
		(*c)++;
}

/* the ring of the flow's worker (shard.h) */
#include "shard.h"

static __always_inline void emit(struct ls_event *ev)
{
	if (ls_shard_output(ev, ev, sizeof(*ev)))
		count(LS_CNT_RINGBUF_FULL);
}

/* Fills the header of s->ev for a flow event and clears the union. */
static __always_inline void ev_init(struct ls_event *ev, __u16 kind, const struct ls_flow_key *key,
				    const struct ls_pkt *p, __u8 dir, __u64 flow_id, __u64 now)
{
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->version = LS_WIRE_VERSION;
	ev->kind = kind;
	ev->dir = dir;
	ev->ts_k = now;
	ev->flow_id = flow_id;
	if (key)
		__builtin_memcpy(&ev->key, key, sizeof(*key));
	if (p) {
		ev->sport = p->sport;
		ev->dport = p->dport;
		if (p->tun_layers) { /* the outer header as context: this
				      * packet's, kept by the parser */
			__u32 zero = 0;
			struct ls_scratch *sc = bpf_map_lookup_elem(&ls_scratch, &zero);
			if (sc)
				__builtin_memcpy(&ev->tun, &sc->tun, sizeof(ev->tun));
		}
	}
}

/* Canonical key: the (address, port) endpoint that sorts lower is `lo`
 * (addresses compared as 128-bit big-endian numbers, i.e. memcmp order, in
 * two 64-bit halves). Returns the packet's direction. */
static __always_inline __u8 make_key(const struct ls_pkt *p, struct ls_flow_key *k)
{
	__u64 s0 = __builtin_bswap64(((const __u64 *)p->saddr)[0]);
	__u64 d0 = __builtin_bswap64(((const __u64 *)p->daddr)[0]);
	__u64 s1 = __builtin_bswap64(((const __u64 *)p->saddr)[1]);
	__u64 d1 = __builtin_bswap64(((const __u64 *)p->daddr)[1]);
	int lo = s0 != d0 ? s0 < d0 : s1 != d1 ? s1 < d1 : p->sport <= p->dport;
	__u8 dir = lo ? LS_DIR_LO_TO_HI : LS_DIR_HI_TO_LO;
	if (lo) {
		__builtin_memcpy(k->lo_addr, p->saddr, 16);
		__builtin_memcpy(k->hi_addr, p->daddr, 16);
		k->lo_port = p->sport;
		k->hi_port = p->dport;
	} else {
		__builtin_memcpy(k->lo_addr, p->daddr, 16);
		__builtin_memcpy(k->hi_addr, p->saddr, 16);
		k->lo_port = p->dport;
		k->hi_port = p->sport;
	}
	k->proto = p->proto;
	k->family = p->family;
	k->tun_type = p->tun_type; /* the innermost tunnel: part of the flow */
	k->tun_id = p->tun_id;
	return dir;
}

/* Fail-safe: stale liveness (mode != OFF) means the policy side is silent.
 * `now` is the cached clock (ls_clock.h): when the timeout is too close to
 * call with it, K is read exactly. The transition is claimed with a
 * compare-and-swap so that one CPU reports it once. */
static __always_inline int failsafe_check(__u64 now, struct ls_scratch *s, __u32 *mode,
					  __u64 *timeout_out)
{
	__u32 zero = 0;
	struct ls_liveness *l = bpf_map_lookup_elem(&ls_liveness, &zero);
	if (!l || l->mode == LS_FAILSAFE_OFF) {
		*mode = LS_FAILSAFE_OFF;
		return 0;
	}
	*mode = l->mode;
	__u64 beat = l->last_beat_k, timeout = l->detect_timeout_ns;
	*timeout_out = timeout;
	if (ls_clock_near(now, beat + timeout))
		now = ls_clock_exact(s);
	int stale = now > beat && now - beat > timeout;
	__u32 was = l->in_failsafe;
	if ((__u32)stale != was &&
	    __sync_val_compare_and_swap(&l->in_failsafe, was, (__u32)stale) == was) {
		now = ls_clock_exact(s);
		l->entered_k = now;
		count(stale ? LS_CNT_FAILSAFE_ENTER : LS_CNT_FAILSAFE_LEAVE);
		ev_init(&s->ev, LS_EV_FAILSAFE, 0, 0, 0, 0, now);
		s->ev.u.failsafe.last_beat_k = beat;
		s->ev.u.failsafe.entered = stale;
		emit(&s->ev);
	}
	return stale;
}


/* The shard_live entry of this packet's flow, or NULL when shards are not
 * judged (one worker, or its worker never published). */
static __always_inline struct ls_shard_live *shard_live_of(const struct ls_flow_key *key,
							   const struct ls_flow *f, __u32 *idx)
{
	__u32 zero = 0;
	struct ls_shard_cfg *c = bpf_map_lookup_elem(&ls_shard_cfg, &zero);
	if (!c || c->n <= 1)
		return 0;
	int i = ls_shard_hash(key, f->init_dir == LS_DIR_LO_TO_HI, c->by, c->n);
	if (i < 0)
		return 0;
	*idx = (__u32)i;
	struct ls_shard_live *sl = bpf_map_lookup_elem(&ls_shard_live, idx);
	return sl && sl->alive_k ? sl : 0;
}

static __always_inline int shard_failsafe_check(const struct ls_flow_key *key,
						const struct ls_flow *f, __u64 timeout,
						__u64 now, struct ls_scratch *s,
						struct ls_shard_live **out)
{
	__u32 idx = 0;
	struct ls_shard_live *sl = shard_live_of(key, f, &idx);
	*out = sl;
	if (!sl)
		return 0;
	__u64 alive = sl->alive_k;
	if (ls_clock_near(now, alive + timeout))
		now = ls_clock_exact(s);
	int stale = now > alive && now - alive > timeout;
	__u32 was = sl->in_failsafe;
	if ((__u32)stale != was &&
	    __sync_val_compare_and_swap(&sl->in_failsafe, was, (__u32)stale) == was) {
		now = ls_clock_exact(s);
		sl->entered_k = now;
		__sync_fetch_and_add(stale ? &sl->enters : &sl->leaves, 1);
		ev_init(&s->ev, LS_EV_FAILSAFE, 0, 0, 0, 0, now);
		s->ev.u.failsafe.last_beat_k = alive;
		s->ev.u.failsafe.entered = stale;
		s->ev.u.failsafe.shard = idx + 1;
		emit(&s->ev);
	}
	return stale;
}

/* ICMP that keeps the network itself working: ICMPv6 errors (1-4) and
 * neighbour discovery / router messages (133-137); ICMPv4 errors
 * (unreachable 3, time exceeded 11, parameter problem 12). */
static __always_inline int icmp_control(const struct ls_pkt *p)
{
	/* ICMPv6 errors (RFC 4443), neighbour discovery (RFC 4861) and
	 * multicast listener discovery (MLD, RFC 2710 130-132, MLDv2 RFC 3810
	 * 143): the network's signalling, never a policy flow (under hold an
	 * MLD report was held at TC egress) */
	if (p->proto == IPPROTO_ICMPV6)
		return (p->icmp_type >= 1 && p->icmp_type <= 4) ||
		       (p->icmp_type >= 130 && p->icmp_type <= 137) || p->icmp_type == 143;
	if (p->proto == IPPROTO_ICMP)
		return p->icmp_type == 3 || p->icmp_type == 11 || p->icmp_type == 12;
	return 0;
}

/* What decide() found: the verdict, and for a drop the rule behind it (the
 * counter it is charged to). */
enum ls_decision {
	LS_DEC_PASS = 0,
	LS_DEC_DROP_VERDICT,  /* a drop verdict (in force, or honoured in fail-safe) */
	LS_DEC_DROP_DEFAULT,  /* the drop default for an undecided flow */
	LS_DEC_DROP_FAILSAFE, /* fail-closed fail-safe for an undecided flow */
	LS_DEC_HOLD,          /* held until decided (hold.h) */
	LS_DEC_HOLD_PASS,     /* passed under hold, the flow still undecided */
	LS_DEC_REJECT,        /* a reject verdict, or the reject default: dropped
			       * and answered (reject.h); s->rej_verdict says how */
};

/* What handle() does with the frame. */
enum ls_act {
	LS_ACT_DROP = 0,
	LS_ACT_PASS = 1,
	LS_ACT_TX = 2, /* the frame is now a reply: XDP_TX / redirected (TC) */
};

#include "hold.h"
#include "dpi_handoff.h"


/* The verdict record of a flow, through the per-CPU cache: one 40-byte-key
 * hash lookup less per packet for a flow whose verdict has not changed. A
 * slot is trusted only for the same flow (flow_id: a new connection on the
 * 5-tuple misses), the same verdict_gen (no verdict written since), the same
 * tick (bounds a writer that does not bump verdict_gen) and a deadline
 * further than the clock slack (expiry is always decided on the map, with K
 * read exactly). Returns 1 on a hit, with *v and *deadline filled. */
static __always_inline int vcache_get(struct ls_scratch *s, const struct ls_flow *f, __u32 gen,
				      __u64 now, __u32 *v, __u64 *deadline)
{
	struct ls_vcache *c = &s->vcache[f->flow_id & (LS_VCACHE_SLOTS - 1)];
	if (c->flow_id != f->flow_id || c->gen != gen || c->jiffies != (__u32)s->clk_jiffies)
		return 0;
	if (c->deadline_k && (c->deadline_k <= now || ls_clock_near(now, c->deadline_k)))
		return 0;
	*v = c->verdict;
	*deadline = c->deadline_k;
	return 1;
}

static __always_inline void vcache_put(struct ls_scratch *s, const struct ls_flow *f, __u32 gen,
				       __u32 v, __u64 deadline)
{
	struct ls_vcache *c = &s->vcache[f->flow_id & (LS_VCACHE_SLOTS - 1)];
	c->flow_id = f->flow_id;
	c->gen = gen;
	c->jiffies = (__u32)s->clk_jiffies;
	c->verdict = v;
	c->deadline_k = deadline;
}

/* A kernel rule decided the flow (rules.h): its verdict is written for the
 * flow, with no deadline, as user space would, so that the flow's next
 * packets take the fast path; every CPU's verdict cache learns it through
 * the generation. */
static __always_inline void rule_decide(const struct ls_flow_key *key, __u32 v,
					struct ls_scratch *s)
{
	struct ls_verdict_rec r = {.verdict = v, .set_k = ls_clock(s)};
	__u32 zero = 0;
	if (bpf_map_update_elem(&ls_verdicts, key, &r, BPF_ANY))
		return;
	__u64 *gen = bpf_map_lookup_elem(&ls_verdict_gen, &zero);
	if (gen)
		__sync_fetch_and_add(gen, 1);
}

/* The verdict for this packet. `now` is the cached clock: a deadline it
 * cannot call is checked against K read exactly. */
static __always_inline __u32 decide(const struct ls_flow_key *key, const struct ls_pkt *p,
				    __u8 dir, struct ls_flow *f, const struct ls_config *cfg,
				    __u64 now, struct ls_scratch *s)
{
	__u32 mode = 0, zero = 0;
	__u64 timeout = 0;
	struct ls_shard_live *sl = 0;
	int fs = failsafe_check(now, s, &mode, &timeout);
	/* not in fail-safe as a whole: is this flow's worker silent? */
	if (!fs && mode != LS_FAILSAFE_OFF && timeout)
		fs = shard_failsafe_check(key, f, timeout, now, s, &sl);
	__u32 v = LS_VERDICT_UNDECIDED;
	__u64 deadline = 0, *genp = bpf_map_lookup_elem(&ls_verdict_gen, &zero);
	/* read before the map: a write after this point changes it again */
	__u32 gen = genp ? (__u32)*genp : 0;
	if (!vcache_get(s, f, gen, now, &v, &deadline)) {
		struct ls_verdict_rec *vr = bpf_map_lookup_elem(&ls_verdicts, key);
		v = vr ? vr->verdict : LS_VERDICT_UNDECIDED;
		deadline = vr ? vr->deadline_k : 0;
		if (deadline && ls_clock_near(now, deadline))
			now = ls_clock_exact(s);
		if (vr && deadline && now > deadline) {
			if (fs) {
				count(LS_CNT_FAILSAFE_HONOURED);
			} else {
				ev_init(&s->ev, LS_EV_VERDICT_EXPIRED, key, p, dir, f->flow_id,
					ls_clock_exact(s));
				s->ev.u.expired.deadline_k = deadline;
				s->ev.u.expired.verdict = v;
				bpf_map_delete_elem(&ls_verdicts, key);
				count(LS_CNT_VERDICT_EXPIRED);
				emit(&s->ev);
				/* a held flow's packets went on by re-injection,
				 * past this program: under its pass verdict it has
				 * passed, so it stays sticky like any flow that
				 * passed (else it would be held again, waiting for
				 * a decision that may never come) */
				if (f->hold && v == LS_VERDICT_PASS)
					f->last_verdict = LS_VERDICT_PASS;
				v = LS_VERDICT_UNDECIDED;
				deadline = 0;
			}
		}
		vcache_put(s, f, gen, v, deadline);
	}
	/* a flow's first packet: a client or server prefix rule may decide it */
	if (v == LS_VERDICT_UNDECIDED && f->pkts[0] + f->pkts[1] == 1) {
		int c2s = dir == f->init_dir;
		__u32 rv = ls_rule_for_addrs(s, c2s ? p->saddr : p->daddr, c2s ? p->daddr : p->saddr,
					     now);
		if (rv) {
			rule_decide(key, rv, s);
			count(LS_CNT_RULE_PREFIX);
			v = rv;
		}
	}
	if (v == LS_VERDICT_PASS)
		return LS_DEC_PASS;
	if (v == LS_VERDICT_DROP)
		return LS_DEC_DROP_VERDICT;
	if ((v & LS_VERDICT_MASK) == LS_VERDICT_REJECT) {
		s->rej_verdict = v;
		return LS_DEC_REJECT;
	}
	/* The network's own signalling is never a policy flow: neighbour
	 * discovery (without it IPv6 stops working under a drop default) and
	 * ICMP errors (path MTU discovery, unreachables for allowed flows). */
	if (icmp_control(p))
		return LS_DEC_PASS;
	/* Undecided. A flow that has passed before keeps passing: neither an
	 * expired verdict nor a drop default ever cuts a live connection --
	 * unless the deployment asked for expiry to mean revocation. Even
	 * then a TCP connection that passed and has ended (FIN both ways or
	 * RST, its verdict forgotten with it) passes its teardown: dropping
	 * the last FIN/ACK would leave the peers retransmitting FINs for
	 * minutes. A new connection on the 5-tuple (SYN) is a new flow. */
	if (f->last_verdict == LS_VERDICT_PASS &&
	    (cfg->expiry_mode != LS_EXPIRY_STRICT || f->state == LS_FLOW_CLOSED)) {
		count(LS_CNT_STICKY_PASS);
		return LS_DEC_PASS;
	}
	if (fs) {
		count(LS_CNT_FAILSAFE_DEFAULT);
		if (sl && sl->in_failsafe)
			__sync_fetch_and_add(&sl->defaults, 1);
		return mode == LS_FAILSAFE_DROP ? LS_DEC_DROP_FAILSAFE : LS_DEC_PASS;
	}
	if (cfg->default_verdict == LS_VERDICT_HOLD)
		return ls_hold_undecided(p);
	if ((cfg->default_verdict & LS_VERDICT_MASK) == LS_VERDICT_REJECT) {
		s->rej_verdict = cfg->default_verdict;
		return LS_DEC_REJECT;
	}
	return cfg->default_verdict == LS_VERDICT_DROP ? LS_DEC_DROP_DEFAULT : LS_DEC_PASS;
}

/* A rejected packet: answered while the rate allows (reject.h), else
 * dropped; counted either way. */
static __always_inline int reject(void *ctx, int is_xdp, const struct ls_pkt *p,
				  const struct ls_config *cfg, __u64 now, struct ls_scratch *s)
{
	if (!ls_reject_allowed(s, cfg, now)) {
		count(LS_CNT_REJECT_LIMITED);
		return LS_ACT_DROP;
	}
	int rc = is_xdp ? ls_reject_xdp(ctx, p, s, s->rej_verdict)
			: ls_reject_tc(ctx, p, s, s->rej_verdict);
	count(s->rej_cnt);
	return rc == LS_REJ_SENT ? LS_ACT_TX : LS_ACT_DROP;
}

/* DNS ports: DNS, mDNS (RFC 6762), LLMNR (RFC 4795). */
static __always_inline int dns_port(__u16 port)
{
	return port == 53 || port == 5353 || port == 5355;
}

/* bytes inspect() looks at before deciding whether a payload longer than
 * LS_DPI_SPLIT is worth copying (shorter ones are copied at once: deciding
 * first would cost more than the bytes it saves) */
#define LS_DPI_HEAD 16
#define LS_DPI_SPLIT 256

static __always_inline long load_payload(void *ctx, int is_xdp, __u32 off, void *to, __u32 len)
{
	return is_xdp ? bpf_xdp_load_bytes(ctx, off, to, len) : bpf_skb_load_bytes(ctx, off, to, len);
}

/* The first LS_DPI_HEAD payload bytes into s->buf: read straight from the
 * packet when they are in its linear part (no helper call), else copied. */
static __always_inline long load_head(void *ctx, int is_xdp, void *data, void *data_end,
				      __u32 off, struct ls_scratch *s)
{
	if (off <= LS_L4_OFF_MAX + 60) { /* bounded, for the verifier */
		__u64 *h = data + off;
		if ((void *)(h + 2) <= data_end) {
			__u64 w0 = h[0], w1 = h[1];
			__builtin_memcpy(s->buf, &w0, 8);
			__builtin_memcpy(s->buf + 8, &w1, 8);
			return 0;
		}
	}
	return load_payload(ctx, is_xdp, off, s->buf, LS_DPI_HEAD);
}

/* What an inspector found, handed on: a complete result is looked up in
 * the kernel's name rules (a hit decides the flow, no event: rules.h) or
 * sent as a DPI event; a partial one is announced without names. Several
 * results of one packet (DNS questions, pipelined requests) are reported
 * one by one; when more than one hits a rule, the first that is not a pass
 * decides (a message asking for a blocked name is blocked, whatever else it
 * asks). A global function: verified once, called from the loops below. */
__noinline int ls_dpi_report(struct ls_scratch *s, __u32 which, int rc)
{
	if (!s)
		return 0;
	if (rc == LS_DPI_R_FOUND) {
		count(which == LS_CNT_DPI_DNS	? LS_CNT_DPI_DNS
		      : which == LS_CNT_DPI_TLS ? LS_CNT_DPI_TLS
						: LS_CNT_DPI_HTTP);
		__u32 rv = ls_rule_for_name(s, ls_clock(s));
		if (rv) {
			if (!s->rule_verdict || s->rule_verdict == LS_VERDICT_PASS) {
				s->rule_verdict = rv;
				s->rule_cnt = which == LS_CNT_DPI_DNS	? LS_CNT_RULE_DNS
					      : which == LS_CNT_DPI_TLS ? LS_CNT_RULE_TLS
									: LS_CNT_RULE_HTTP;
			}
			return 0;
		}
		emit(&s->ev);
	} else if (rc == LS_DPI_R_PARTIAL) {
		/* announce "this is TLS/HTTP/DNS, name not seen whole", no names */
		__builtin_memset(&s->ev.u.dpi, 0, sizeof(s->ev.u.dpi));
		s->ev.u.dpi.kind = which == LS_CNT_DPI_TLS    ? LS_DPI_TLS
				   : which == LS_CNT_DPI_HTTP ? LS_DPI_HTTP
							      : LS_DPI_DNS;
		s->ev.u.dpi.flags = LS_DPI_F_PARTIAL;
		count(LS_CNT_DPI_PARTIAL);
		emit(&s->ev);
	} else if (rc == LS_DPI_R_MALFORMED) {
		count(LS_CNT_DPI_MALFORMED);
	} else {
		count(LS_CNT_DPI_NONE);
	}
	return 0;
}

/* pipelined requests reported per segment; more are counted (dpi_cut) */
#define LS_HTTP_REQS 8

/* Every question of a DNS message (ls_dpi_dns found the header good), one
 * result each, up to LS_DNS_QMAX. A later question that is cut or lies
 * ends the walk; the ones before it stand. */
static __always_inline void inspect_dns(struct ls_scratch *s, __u32 base, __u32 strict)
{
	int rc = ls_dpi_dns(s, base, strict);
	if (rc != LS_DPI_R_FOUND) {
		ls_dpi_report(s, LS_CNT_DPI_DNS, rc);
		return;
	}
	__u32 qd = s->dns.qd;
	int q;
	ls_for(q, 0, LS_DNS_QMAX) {
		if ((__u32)q >= qd)
			break;
		if (q && s->dns.p >= s->dns.end)
			return; /* QDCOUNT lied, or the rest is not here */
		__builtin_memset(&s->ev.u.dpi, 0, sizeof(s->ev.u.dpi));
		rc = ls_dns_question(s);
		ls_dpi_report(s, LS_CNT_DPI_DNS, rc);
		if (rc != LS_DPI_R_FOUND)
			return;
	}
	if (s->dns.cut)
		count(LS_CNT_DPI_CUT);
}

/* Every request of a pipelined segment, one result each, up to
 * LS_HTTP_REQS: the next starts where a request without a body ends its
 * header block, if a method and a space are there. */
static __always_inline void inspect_http(struct ls_scratch *s)
{
	__u32 b = 0;
	int r;
	ls_for(r, 0, LS_HTTP_REQS + 1) {
		if (r && (b >= s->len || !ls_http_request_method(s, b, s->len)))
			return;
		if (r == LS_HTTP_REQS) {
			count(LS_CNT_DPI_CUT);
			return;
		}
		__builtin_memset(&s->ev.u.dpi, 0, sizeof(s->ev.u.dpi));
		int rc = ls_dpi_http(s, b);
		ls_dpi_report(s, LS_CNT_DPI_HTTP, rc);
		if (rc != LS_DPI_R_FOUND || (s->http.fl & HF_BODY))
			return;
		b = s->http.i;
	}
}

/* Copies the payload into s->buf and runs the inspector it looks like.
 * Which one is decided from the ports and the first bytes: for a long
 * payload (and any UDP payload off the DNS ports) from its first
 * LS_DPI_HEAD bytes -- exactly the checks the inspectors start with -- so a
 * payload none of them wants (a response, another protocol) costs no copy
 * of the packet and no event set-up. */
static __always_inline void inspect(void *ctx, int is_xdp, void *data, void *data_end,
				    const struct ls_flow_key *key, const struct ls_pkt *p,
				    __u8 dir, __u64 flow_id, __u64 exact_k, struct ls_scratch *s)
{
	__u32 len = p->pay_len;
	s->more = len > LS_BUF_SZ;
	if (len > LS_BUF_SZ)
		len = LS_BUF_SZ;
	if (len < 1)
		return;
	int dns = -1;	/* the DNS base (2: TCP length prefix), or -1 */
	int strict = 0; /* DNS off its ports: recognised by content */
	if (p->proto == IPPROTO_UDP) {
		dns = 0;
		strict = !dns_port(p->sport) && !dns_port(p->dport);
		/* a QUIC Initial (off the DNS ports): recognised here,
		 * decrypted in user space */
		if (strict && len >= 1200 &&
		    !load_head(ctx, is_xdp, data, data_end, p->pay_off, s) &&
		    ls_quic_initial(s, p->pay_len)) {
			ev_init(&s->ev, LS_EV_PAYLOAD, key, p, dir, flow_id,
				exact_k ? exact_k : ls_clock_exact(s));
			if (!ls_handoff(ctx, is_xdp, p, s, LS_PAY_QUIC, 0))
				return;
		}
		if (strict && (s->more || len < LS_DNS_MIN)) {
			count(LS_CNT_DPI_NONE);
			return;
		}
	} else if (p->proto == IPPROTO_TCP && s->job.h2) {
		/* an HTTP/2 flow: its client segments go to user space whole
		 * (HPACK's table spans the connection); the server's are not
		 * inspected */
		if (s->job.client) {
			ev_init(&s->ev, LS_EV_PAYLOAD, key, p, dir, flow_id,
				exact_k ? exact_k : ls_clock_exact(s));
			ls_handoff(ctx, is_xdp, p, s, LS_PAY_H2, ls_tcp_seq(ctx, is_xdp, p));
		}
		return;
	} else if (p->proto == IPPROTO_TCP && (p->sport == 53 || p->dport == 53)) {
		dns = 2;
	} else if (p->proto != IPPROTO_TCP) {
		count(LS_CNT_DPI_NONE);
		return;
	}
	/* decide on the head first */
	int head = strict || (dns < 0 && len > LS_DPI_SPLIT);
	if (head ? load_head(ctx, is_xdp, data, data_end, p->pay_off, s)
		 : load_payload(ctx, is_xdp, p->pay_off, s->buf, len))
		return;
	/* the HTTP/2 preface (prior knowledge, or after h2c's 101) marks the
	 * flow; this segment and the client's next ones go to user space */
	if (dns < 0 && s->job.client && ls_h2_preface(s, len)) {
		s->job.h2_seen = 1;
		ev_init(&s->ev, LS_EV_PAYLOAD, key, p, dir, flow_id,
			exact_k ? exact_k : ls_clock_exact(s));
		ls_handoff(ctx, is_xdp, p, s, LS_PAY_H2, ls_tcp_seq(ctx, is_xdp, p));
		return;
	}
	if (s->job.h2_only)
		return; /* past dpi_max_pkts: looked at for the preface only */
	/* the inspector: by port for DNS, else by the first byte (TCP: a DNS
	 * length prefix below 2 KiB starts with a byte below 8, which no
	 * TLS record and no method does); a payload decided on its head must
	 * also pass that inspector's own first checks */
	int which = 0;
	__u8 c0 = s->buf[0];
	if (dns >= 0 && !strict)
		which = LS_CNT_DPI_DNS;
	else if (strict && ls_dns_head_strict(s, 0, len))
		which = LS_CNT_DPI_DNS;
	else if (dns >= 0)
		which = 0; /* UDP that is not DNS */
	else if (c0 < 8 && (!head || ls_dns_head_strict(s, 2, len))) {
		which = LS_CNT_DPI_DNS;
		dns = 2;
		strict = 1;
	} else if (c0 == 0x16 && (!head || ls_tls_client_hello(s, LS_DPI_HEAD)))
		which = LS_CNT_DPI_TLS;
	else if (ls_tchar(c0) && (!head || ls_http_request_method(s, 0, LS_DPI_HEAD)))
		which = LS_CNT_DPI_HTTP;
	if (!which) {
		count(LS_CNT_DPI_NONE);
		return;
	}
	if (head && load_payload(ctx, is_xdp, p->pay_off, s->buf, len))
		return;
	s->len = len;
	/* stamped exactly: with the K this packet already read exactly (its
	 * flow's creation), or read now */
	ev_init(&s->ev, LS_EV_DPI, key, p, dir, flow_id, exact_k ? exact_k : ls_clock_exact(s));

	if (which == LS_CNT_DPI_DNS)
		inspect_dns(s, dns, strict);
	else if (which == LS_CNT_DPI_TLS)
		ls_dpi_report(s, which, ls_dpi_tls(s));
	else
		inspect_http(s);
}

/* inspect() as global functions, one per context type: each is verified
 * once for any packet, rather than inline at both call sites with every
 * path of handle() that leads there -- which is what keeps the program well
 * within the verifier's budget. p and key are the caller's; the flow id and
 * the exact K (0 if none was read) come in s->job (five arguments at most). */
__noinline int ls_inspect_xdp(struct xdp_md *ctx, const struct ls_pkt *p,
			      const struct ls_flow_key *key, __u32 dir, struct ls_scratch *s)
{
	if (!ctx || !p || !key || !s)
		return 0;
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	inspect(ctx, 1, data, data_end, key, p, dir & 1, s->job.flow_id, s->job.exact_k, s);
	return 0;
}

__noinline int ls_inspect_tc(struct __sk_buff *skb, const struct ls_pkt *p,
			     const struct ls_flow_key *key, __u32 dir, struct ls_scratch *s)
{
	if (!skb || !p || !key || !s)
		return 0;
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	inspect(skb, 0, data, data_end, key, p, dir & 1, s->job.flow_id, s->job.exact_k, s);
	return 0;
}

static __always_inline void flow_end(struct ls_flow *f, const struct ls_flow_key *key,
				     const struct ls_pkt *p, __u8 dir, __u32 reason, __u64 now,
				     struct ls_scratch *s)
{
	ev_init(&s->ev, LS_EV_FLOW_END, key, p, dir, f->flow_id, now);
	s->ev.u.end.reason = reason;
	s->ev.u.end.pkts[0] = f->pkts[0];
	s->ev.u.end.pkts[1] = f->pkts[1];
	s->ev.u.end.bytes[0] = f->bytes[0];
	s->ev.u.end.bytes[1] = f->bytes[1];
	/* The verdict belonged to this connection: a later one reusing the
	 * 5-tuple must be announced and decided afresh, not inherit it; and
	 * no CPU's verdict cache may go on serving it to the flow's last
	 * packets. */
	if (!bpf_map_delete_elem(&ls_verdicts, key)) {
		__u32 zero = 0;
		__u64 *gen = bpf_map_lookup_elem(&ls_verdict_gen, &zero);
		if (gen)
			__sync_fetch_and_add(gen, 1);
	}
	count(LS_CNT_FLOW_END);
	emit(&s->ev);
}

/* Returns what to do with the frame: enum ls_act. */
static __always_inline int handle(void *ctx, void *data, void *data_end, __u32 frame_len,
				  int is_xdp)
{
	struct ls_pkt p = {};

	p.frame_len = frame_len;
	__u32 zero = 0;

	count(LS_CNT_PKTS);
	struct ls_scratch *s = bpf_map_lookup_elem(&ls_scratch, &zero);
	if (!s) {
		count(LS_CNT_PASS);
		return LS_ACT_PASS;
	}
	if ((is_xdp ? ls_parse_xdp(ctx, &p, s) : ls_parse_tc(ctx, &p, s)) != LS_P_OK) {
		count(p.why);
		count(LS_CNT_PASS);
		return LS_ACT_PASS;
	}
	if (p.tun_depth)
		count(LS_CNT_TUNNELLED);
	if (p.bad_tun)
		count(LS_CNT_ENCAP_MALFORMED);
	const struct ls_config *cfg = bpf_map_lookup_elem(&ls_config, &zero);
	if (!cfg || cfg->version == 0)
		cfg = &ls_config_default;

	struct ls_flow_key key __attribute__((aligned(8))) = {};
	__u8 dir = make_key(&p, &key);
	__u64 now = ls_clock(s); /* at most a tick old: see ls_clock.h */

	__u64 exact_k = 0; /* K, when this packet has read it exactly */
	struct ls_flow *f = bpf_map_lookup_elem(&ls_flows, &key);
	if (f) {
		__u64 idle = cfg->idle_timeout_ns ? cfg->idle_timeout_ns
						  : LS_IDLE_TIMEOUT_NS_DEFAULT;
		if (now > f->last_seen_k && now - f->last_seen_k > idle) {
			if (f->state != LS_FLOW_CLOSED)
				flow_end(f, &key, &p, dir, LS_END_IDLE, ls_clock_exact(s), s);
			f = 0;
		} else if (f->state == LS_FLOW_CLOSED && p.proto == IPPROTO_TCP &&
			   (p.tcp_flags & (LS_TCP_SYN | LS_TCP_ACK)) == LS_TCP_SYN) {
			f = 0; /* a new connection reusing the 5-tuple */
		}
	}
	if (!f) {
		/* a new flow: stamped with K read exactly, which also brings
		 * the cached clock up to it (last_seen_k >= first_seen_k) */
		now = exact_k = ls_clock_exact(s);
		__u64 *ctr = counter(LS_CNT_FLOW_NEW);
		struct ls_flow nf = {};
		nf.first_seen_k = now;
		nf.last_seen_k = now;
		nf.init_dir = dir;
		if (ctr) {
			(*ctr)++;
			/* unique while the pinned counters live, JSON-exact
			 * (below 2^53): wire.h LS_FLOW_ID_CPU_SHIFT */
			nf.flow_id = ((__u64)bpf_get_smp_processor_id() << LS_FLOW_ID_CPU_SHIFT) |
				     (*ctr & LS_FLOW_ID_N_MASK);
		}
		if (bpf_map_update_elem(&ls_flows, &key, &nf, BPF_ANY)) {
			count(LS_CNT_FLOW_INSERT_FAIL);
			count(LS_CNT_PASS);
			return LS_ACT_PASS;
		}
		f = bpf_map_lookup_elem(&ls_flows, &key);
		if (!f) {
			count(LS_CNT_FLOW_INSERT_FAIL);
			count(LS_CNT_PASS);
			return LS_ACT_PASS;
		}
		ev_init(&s->ev, LS_EV_FLOW_NEW, &key, &p, dir, nf.flow_id, now);
		emit(&s->ev);
	}

	/* another CPU's cached clock may be behind this flow's last packet */
	if (now > f->last_seen_k)
		f->last_seen_k = now;
	f->pkts[dir & 1]++;
	f->bytes[dir & 1] += frame_len;
	if (p.proto == IPPROTO_TCP) {
		f->tcp_flags[dir & 1] |= p.tcp_flags;
		if (p.tcp_flags & (LS_TCP_RST | LS_TCP_FIN)) {
			if (f->state == LS_FLOW_CLOSED) {
				/* ended already: the last ACK, a stray RST */
			} else if ((p.tcp_flags & LS_TCP_RST) ||
				   ((f->tcp_flags[0] & LS_TCP_FIN) && (f->tcp_flags[1] & LS_TCP_FIN))) {
				f->state = LS_FLOW_CLOSED;
				flow_end(f, &key, &p, dir,
					 p.tcp_flags & LS_TCP_RST ? LS_END_RST : LS_END_FIN,
					 ls_clock_exact(s), s);
			} else {
				f->state = LS_FLOW_CLOSING;
			}
		} else if (f->state == LS_FLOW_NEW && dir != f->init_dir) {
			f->state = LS_FLOW_ESTABLISHED;
		}
	} else if (f->state == LS_FLOW_NEW && dir != f->init_dir) {
		f->state = LS_FLOW_ESTABLISHED;
	}

	__u32 dec = decide(&key, &p, dir, f, cfg, now, s);
	__u32 v = dec == LS_DEC_PASS || dec == LS_DEC_HOLD_PASS ? LS_VERDICT_PASS : LS_VERDICT_DROP;

	/* per-packet tracing (lockstep trace level), for the filtered flows only */
	if (cfg->trace_level && (!cfg->trace_port || p.sport == cfg->trace_port ||
				 p.dport == cfg->trace_port) &&
	    (!cfg->trace_proto || p.proto == cfg->trace_proto)) {
		ev_init(&s->ev, LS_EV_TRACE, &key, &p, dir, f->flow_id, ls_clock_exact(s));
		s->ev.u.trace.verdict = v;
		s->ev.u.trace.frame_len = frame_len;
		s->ev.u.trace.tcp_flags = p.tcp_flags;
		emit(&s->ev);
	}

	s->rule_verdict = 0;
	if (p.pay_len) {
		__u32 dpi_max = cfg->dpi_max_pkts ? cfg->dpi_max_pkts : LS_DPI_MAX_PKTS_DEFAULT;
		__u8 h2 = f->dpi_done & LS_DPI_DONE_H2, client = dir == f->init_dir;
		/* a TCP client gets LS_H2_SEGS segments more, looked at for
		 * HTTP/2 only: h2c's preface comes after the Upgrade request
		 * and the server's 101 and first frames, and an HTTP/2 flow's
		 * first request after the preface, SETTINGS and their ACKs */
		__u8 extra = dpi_max != LS_DPI_ALWAYS && f->dpi_pkts >= dpi_max;
		if (!extra || (client && p.proto == IPPROTO_TCP &&
			       f->dpi_pkts < dpi_max + LS_H2_SEGS)) {
			if (f->dpi_pkts < 255)
				f->dpi_pkts++;
			s->job.flow_id = f->flow_id;
			s->job.exact_k = exact_k;
			s->job.h2 = h2 ? 1 : 0;
			s->job.client = client;
			s->job.h2_seen = 0;
			s->job.h2_only = extra;
			if (is_xdp)
				ls_inspect_xdp(ctx, &p, &key, dir, s);
			else
				ls_inspect_tc(ctx, &p, &key, dir, s);
			if (s->job.h2_seen)
				f->dpi_done |= LS_DPI_DONE_H2;
		}
	}

	/* a name rule matched what DPI found: it decides the flow, this
	 * packet included (rules.h) */
	if (s->rule_verdict) {
		__u32 rv = s->rule_verdict;
		rule_decide(&key, rv, s);
		count(s->rule_cnt);
		s->rej_verdict = rv;
		dec = rv == LS_VERDICT_PASS   ? LS_DEC_PASS
		      : rv == LS_VERDICT_DROP ? LS_DEC_DROP_VERDICT
					      : LS_DEC_REJECT;
		v = dec == LS_DEC_PASS ? LS_VERDICT_PASS : LS_VERDICT_DROP;
	}
	/* The hold gate comes after the rules: a packet a name rule decides
	 * is not held (a hold opened for it and never sent would leave the
	 * flow's next packets queued behind a record that never comes); a
	 * flow with a hold already open queues it behind, whatever decided. */
	if (f->hold || dec == LS_DEC_HOLD) {
		dec = ls_hold_gate(&key, &p, dir, f, cfg, dec, now);
		if (dec != LS_DEC_HOLD)
			v = dec == LS_DEC_PASS || dec == LS_DEC_HOLD_PASS ? LS_VERDICT_PASS
									  : LS_VERDICT_DROP;
	}
	if (dec == LS_DEC_HOLD) {
		/* the flow stays undecided (no sticky pass); the packet is
		 * user space's now, or, when it cannot be handed over, gets
		 * the fallback */
		if (!(is_xdp ? ls_hold_out_xdp(ctx) : ls_hold_out_tc(ctx))) {
			count(LS_CNT_HELD);
			return LS_ACT_DROP;
		}
		dec = ls_hold_fallback(cfg);
		v = dec == LS_DEC_PASS ? LS_VERDICT_PASS : LS_VERDICT_DROP;
	}
	if (dec == LS_DEC_HOLD_PASS) {
		count(LS_CNT_HOLD_HANDSHAKE);
		count(LS_CNT_PASS);
		return LS_ACT_PASS;
	}
	if (f->last_verdict != v)
		f->last_verdict = v;
	if (dec == LS_DEC_REJECT)
		return reject(ctx, is_xdp, &p, cfg, now, s);
	if (dec != LS_DEC_PASS) {
		count(dec == LS_DEC_DROP_VERDICT   ? LS_CNT_DROP_VERDICT
		      : dec == LS_DEC_DROP_FAILSAFE ? LS_CNT_DROP_FAILSAFE
						    : LS_CNT_DROP_DEFAULT);
		return LS_ACT_DROP;
	}
	count(LS_CNT_PASS);
	return LS_ACT_PASS;
}

/* xdp.frags: multi-buffer frames (jumbo MTU, big test-run frames) are
 * handled too; headers are read from the linear part, payload through
 * bpf_xdp_load_bytes, lengths from the whole buffer. */
SEC("xdp.frags")
int ls_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	int act = handle(ctx, data, data_end, (__u32)bpf_xdp_get_buff_len(ctx), 1);
	return act == LS_ACT_PASS ? XDP_PASS : act == LS_ACT_TX ? XDP_TX : XDP_DROP;
}

/* A packet lockstep passes goes on to the hook's next program:
 * TC_ACT_UNSPEC (-1) is TCX_NEXT in a TCX chain and "continue with the next
 * filter" for a cls_bpf filter in direct-action mode, and a pass when none
 * follows. TC_ACT_OK would end the chain there, and a program placed after
 * lockstep (--tc-order) would never see the packet (docs/operations.md,
 * Neighbours). */
SEC("tc")
int ls_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	int act = handle(skb, data, data_end, skb->len, 0);
	return act == LS_ACT_PASS ? TC_ACT_UNSPEC : act == LS_ACT_TX ? TC_ACT_REDIRECT : TC_ACT_SHOT;
}

/* The answer to a held packet the policy rejected (docs/dataplane.md
 * "Hold"): user space runs the held frame through this program with
 * BPF_PROG_TEST_RUN (not live) and sends the frame it gets back, the reply
 * reject.h built, the other way. The flow's verdict is read from the
 * verdicts map (user space wrote it); the same rate limit and counters as
 * an answer given at the packet. XDP_TX: the frame is the reply; XDP_DROP:
 * no answer (not a reject verdict, over the rate, nothing to answer). */
SEC("xdp")
int ls_reject_held(struct xdp_md *ctx)
{
	struct ls_pkt p = {};
	__u32 zero = 0;

	p.frame_len = (__u32)bpf_xdp_get_buff_len(ctx);
	struct ls_scratch *s = bpf_map_lookup_elem(&ls_scratch, &zero);
	if (!s || ls_parse_xdp(ctx, &p, s) != LS_P_OK)
		return XDP_DROP;
	const struct ls_config *cfg = bpf_map_lookup_elem(&ls_config, &zero);
	if (!cfg || cfg->version == 0)
		cfg = &ls_config_default;
	struct ls_flow_key key __attribute__((aligned(8))) = {};
	make_key(&p, &key);
	struct ls_verdict_rec *vr = bpf_map_lookup_elem(&ls_verdicts, &key);
	if (!vr || (vr->verdict & LS_VERDICT_MASK) != LS_VERDICT_REJECT)
		return XDP_DROP;
	s->rej_verdict = vr->verdict;
	return reject(ctx, 1, &p, cfg, ls_clock(s), s) == LS_ACT_TX ? XDP_TX : XDP_DROP;
}
