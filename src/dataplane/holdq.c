/* holdq.c - the per-flow queues of held packets (holdq.h). */
#include "dataplane/holdq.h"
#include "dataplane/dp_internal.h"
#include "dataplane/reinject.h"
#include "lockstep.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NBUCKETS 1024 /* flows held at once are at most LS_HOLD_SLOTS */
#define FRESH_MAX 512 /* new holds whose verdict is looked up at the commit */
#define CLOSE_MAX 512 /* settled holds closed at the commit */

struct hpkt {
	struct hpkt *next;
	uint64_t ts_k; /* when the kernel held it (offline: the caller's time) */
	uint64_t tag;  /* offline: the caller's tag when it came */
	struct ls_event_held h;
	uint8_t frame[];
};

struct hflow {
	struct hflow *next; /* bucket chain */
	struct ls_flow_key key;
	uint32_t slot;
	uint32_t ctl_hi;  /* tag and generation of this hold */
	uint32_t seen;	  /* packets of this hold received */
	uint32_t verdict; /* 0 while held; PASS/DROP once settled, until closed */
	uint64_t first_k; /* the first packet's K: the timeout runs from it */
	uint64_t settled_k;
	struct hpkt *head, **tail;
	uint64_t bytes;
	uint32_t npkts;
	bool close_queued; /* in ls_holdq's closing list */
};

struct ls_holdq {
	struct ls_dp *dp;
	struct ls_reinject *ri;
	struct ls_hold_slot *slots; /* mapped hold_slots */
	struct ls_holdq_opts o;
	struct ls_holdq_stats st;
	ls_holdq_settled_fn settled_fn;
	void *settled_ctx;
	uint64_t off_now, off_tag; /* offline: the caller's time and tag */
	struct hflow *b[NBUCKETS];
	/* batched (ls_holdq_set_batched): work left for ls_holdq_commit */
	bool batched;
	struct hpkt *tx[LS_REINJECT_BATCH]; /* queued for re-injection, in order */
	uint32_t ntx;
	struct hkey {
		struct ls_flow_key key;
		uint32_t ctl_hi;
	} fresh[FRESH_MAX], closing[CLOSE_MAX];
	uint32_t nfresh, nclosing;
};

static size_t slots_len(void)
{
	return sizeof(struct ls_hold_slot) * LS_HOLD_SLOTS;
}

int ls_holdq_open(struct ls_holdq **out, struct ls_dp *dp, const struct ls_holdq_opts *o,
		  struct ls_err *err)
{
	*out = NULL;
	if (dp->map_fd[LS_MAP_HOLD_SLOTS] < 0)
		return ls_errf(err, -ENOENT,
			       "the data plane has no hold_slots map (an older "
			       "data plane: stop it with `lockstep stop`)");
	struct ls_holdq *q = calloc(1, sizeof(*q));
	if (!q)
		return ls_errf(err, -ENOMEM, "out of memory");
	q->dp = dp;
	q->o = *o;
	if (!q->o.max_bytes)
		q->o.max_bytes = LS_HOLDQ_MAX_BYTES_DEFAULT;
	if (!q->o.timeout_ns)
		q->o.timeout_ns = LS_HOLDQ_TIMEOUT_NS_DEFAULT;
	if (q->o.fallback != LS_VERDICT_PASS)
		q->o.fallback = LS_VERDICT_DROP;
	void *m = mmap(NULL, slots_len(), PROT_READ | PROT_WRITE, MAP_SHARED,
		       dp->map_fd[LS_MAP_HOLD_SLOTS], 0);
	if (m == MAP_FAILED) {
		int rc = ls_errf(err, -errno, "mapping hold_slots: %s", strerror(errno));
		free(q);
		return rc;
	}
	q->slots = m;
	int rc = q->o.offline ? 0 : ls_reinject_open(&q->ri, err);
	if (rc) {
		munmap(q->slots, slots_len());
		free(q);
		return rc;
	}
	*out = q;
	return 0;
}

static void pkts_free(struct hflow *f)
{
	for (struct hpkt *p = f->head, *n; p; p = n) {
		n = p->next;
		free(p);
	}
}

void ls_holdq_close(struct ls_holdq *q)
{
	if (!q)
		return;
	ls_holdq_commit(q); /* what was released is sent */
	for (int i = 0; i < NBUCKETS; i++)
		for (struct hflow *f = q->b[i], *n; f; f = n) {
			n = f->next;
			pkts_free(f);
			free(f);
		}
	ls_reinject_close(q->ri);
	munmap(q->slots, slots_len());
	free(q);
}

void ls_holdq_on_settled(struct ls_holdq *q, ls_holdq_settled_fn fn, void *ctx)
{
	q->settled_fn = fn;
	q->settled_ctx = ctx;
}

int ls_holdq_reset(struct ls_holdq *q)
{
	int n = 0;
	for (uint32_t i = 0; i < LS_HOLD_SLOTS; i++) {
		__u64 c = __atomic_load_n(&q->slots[i].ctl, __ATOMIC_SEQ_CST);
		while (c >> 40 && !(c & LS_HOLD_CLOSED)) {
			if (__atomic_compare_exchange_n(&q->slots[i].ctl, &c, c | LS_HOLD_CLOSED, 0,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
				n++;
				break;
			}
		}
	}
	return n;
}

static uint64_t now_of(const struct ls_holdq *q)
{
	return q->o.offline ? q->off_now : ls_now_k();
}

void ls_holdq_offline_at(struct ls_holdq *q, uint64_t now, uint64_t tag)
{
	q->off_now = now;
	q->off_tag = tag;
}

static uint32_t key_hash(const struct ls_flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h & (NBUCKETS - 1);
}

static struct hflow **find(struct ls_holdq *q, const struct ls_flow_key *k)
{
	struct hflow **pp = &q->b[key_hash(k)];
	while (*pp && memcmp(&(*pp)->key, k, sizeof(*k)))
		pp = &(*pp)->next;
	return pp;
}

static int is_reject(uint32_t verdict)
{
	return (verdict & LS_VERDICT_MASK) == LS_VERDICT_REJECT;
}

/* Sends the frames queued for re-injection, then frees them. */
static void tx_flush(struct ls_holdq *q)
{
	if (!q->ntx)
		return;
	ls_reinject_flush(q->ri);
	int e = 0;
	uint32_t bad = ls_reinject_take_errors(q->ri, &e);
	if (bad) {
		q->st.released -= bad;
		q->st.reinject_err += bad;
		q->st.reinject_errno = e;
	}
	for (uint32_t i = 0; i < q->ntx; i++)
		free(q->tx[i]);
	q->ntx = 0;
}

/* A released packet: queued for one sendmmsg with the others (it is the
 * queue's to free from now on). 0 or -errno (refused: not queued). */
static int tx_queue(struct ls_holdq *q, struct hpkt *p)
{
	if (q->ntx == LS_REINJECT_BATCH)
		tx_flush(q);
	int rc = ls_reinject_queue(q->ri, &p->h, p->frame);
	if (!rc)
		q->tx[q->ntx++] = p;
	return rc;
}

/* A held packet of a rejected flow: the kernel builds the answer
 * (ls_reject_held, run on the frame; it reads the flow's reject verdict
 * from the map and applies the reject rate limit) and it goes the other
 * way: the reply to a packet held at XDP ingress leaves by the device, the
 * reply to one held at TC egress comes in by it. The packet itself is
 * dropped either way. */
static void answer_reject(struct ls_holdq *q, struct hpkt *p)
{
	if (!q->dp->skel || q->o.offline)
		return; /* data plane opened from pins only: no program to ask */
	uint8_t out[LS_HOLD_FRAME_MAX + 256];
	struct xdp_md md = {.data = 0, .data_end = p->h.cap_len, .ingress_ifindex = p->h.ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->frame, .data_size_in = p->h.cap_len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = 1);
	if (bpf_prog_test_run_opts(bpf_program__fd(q->dp->skel->progs.ls_reject_held), &o) ||
	    o.retval != XDP_TX || o.data_size_out < 14 || o.data_size_out > sizeof(out))
		return;
	struct ls_event_held r = p->h;
	r.cap_len = o.data_size_out;
	r.frame_len = o.data_size_out;
	r.hook = p->h.hook == LS_HOLD_XDP ? LS_HOLD_TC : LS_HOLD_XDP;
	tx_flush(q); /* what was released before goes first */
	int rc = ls_reinject_send(q->ri, &r, out);
	if (rc) {
		q->st.reinject_err++;
		q->st.reinject_errno = -rc;
	} else {
		q->st.rejected++;
	}
}

/* One packet's fate: re-injected (pass), answered (reject) or freed.
 * Returns 1 when p was queued for re-injection (not the caller's to free). */
static int settle_pkt(struct ls_holdq *q, const struct ls_flow_key *key, struct hpkt *p,
		      uint32_t verdict, uint32_t why, uint64_t now)
{
	int queued = 0;
	if (is_reject(verdict)) {
		answer_reject(q, p);
		q->st.dropped++;
	} else if (verdict == LS_VERDICT_PASS) {
		int rc = q->o.offline ? 0 : tx_queue(q, p);
		if (rc) {
			q->st.reinject_err++;
			q->st.reinject_errno = -rc;
		} else {
			q->st.released++;
			queued = !q->o.offline;
		}
	} else {
		q->st.dropped++;
	}
	uint64_t held = now > p->ts_k ? now - p->ts_k : 0;
	q->st.hold_ns_sum += held;
	if (held > q->st.hold_ns_max)
		q->st.hold_ns_max = held;
	if (q->settled_fn) {
		struct ls_holdq_settled s = {.key = key,
					     .h = &p->h,
					     .tag = p->tag,
					     .held_ns = held,
					     .verdict = verdict,
					     .why = why};
		q->settled_fn(q->settled_ctx, &s);
	}
	return queued;
}

static void flush(struct ls_holdq *q, struct hflow *f, uint32_t verdict, uint32_t why, uint64_t now)
{
	for (struct hpkt *p = f->head, *n; p; p = n) {
		n = p->next;
		if (!settle_pkt(q, &f->key, p, verdict, why, now))
			free(p);
	}
	q->st.pkts_now -= f->npkts;
	q->st.bytes_now -= f->bytes;
	f->head = NULL;
	f->tail = &f->head;
	f->npkts = 0;
	f->bytes = 0;
	if (!f->verdict)
		f->settled_k = now;
	f->verdict = verdict;
}

static void forget(struct ls_holdq *q, struct hflow **pp)
{
	struct hflow *f = *pp;
	*pp = f->next;
	q->st.pkts_now -= f->npkts;
	q->st.bytes_now -= f->bytes;
	q->st.flows_now--;
	pkts_free(f);
	free(f);
}

/* Closes the hold when every packet of it has been received; 1 when the
 * hold is closed (by this or by the kernel), 0 while one is still to come.
 * force: close whatever the count (a record lost on the way). */
static int try_close(struct ls_holdq *q, struct hflow *f, int force)
{
	__u64 *ctl = &q->slots[f->slot & (LS_HOLD_SLOTS - 1)].ctl;
	__u64 want = (__u64)f->ctl_hi << 32 | f->seen;
	for (;;) {
		if (__atomic_compare_exchange_n(ctl, &want, want | LS_HOLD_CLOSED, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return 1;
		/* want now holds the current value */
		if ((uint32_t)(want >> 32) != f->ctl_hi || (want & LS_HOLD_CLOSED))
			return 1; /* closed already (abandoned, and taken over) */
		if (!force)
			return 0;
	}
}

/* The flow's verdict from the map: a flow decided before its first held
 * record was read. */
static void lookup_verdict(struct ls_holdq *q, struct hflow *f)
{
	struct ls_verdict_rec rec;
	if (!ls_dp_verdict_get(q->dp, &f->key, &rec, NULL) &&
	    (rec.verdict == LS_VERDICT_PASS || rec.verdict == LS_VERDICT_DROP ||
	     is_reject(rec.verdict))) {
		f->verdict = rec.verdict;
		f->settled_k = now_of(q);
	}
}

/* A settled hold is closed once what it released has been sent: at once
 * unbatched, at the commit batched (every frame of the batch goes in one
 * sendmmsg first). Closing before the send would let a packet the kernel
 * passes on the verdict overtake the queue. */
static void close_later(struct ls_holdq *q, struct hflow *f)
{
	if (q->batched && f->close_queued)
		return;
	if (q->batched && q->nclosing < CLOSE_MAX) {
		f->close_queued = true;
		q->closing[q->nclosing++] = (struct hkey){.key = f->key, .ctl_hi = f->ctl_hi};
		return;
	}
	tx_flush(q);
	if (try_close(q, f, 0))
		forget(q, find(q, &f->key));
}

void ls_holdq_set_batched(struct ls_holdq *q, bool on)
{
	ls_holdq_commit(q);
	q->batched = on;
}

void ls_holdq_commit(struct ls_holdq *q)
{
	for (uint32_t i = 0; i < q->nfresh; i++) {
		struct hflow *f = *find(q, &q->fresh[i].key);
		if (!f || f->ctl_hi != q->fresh[i].ctl_hi || f->verdict)
			continue;
		lookup_verdict(q, f);
		if (f->verdict) {
			uint32_t v = f->verdict;
			f->verdict = 0; /* flush() stamps settled_k */
			flush(q, f, v, LS_HOLDQ_BY_VERDICT, now_of(q));
			close_later(q, f);
		}
	}
	q->nfresh = 0;
	tx_flush(q);
	for (uint32_t i = 0; i < q->nclosing; i++) {
		struct hflow **pp = find(q, &q->closing[i].key), *f = *pp;
		if (!f || f->ctl_hi != q->closing[i].ctl_hi)
			continue;
		f->close_queued = false;
		if (f->verdict && try_close(q, f, 0))
			forget(q, pp);
	}
	q->nclosing = 0;
}

void ls_holdq_add(struct ls_holdq *q, const struct ls_event *ev)
{
	const struct ls_event_held *h = &ev->u.held;
	const uint8_t *frame = (const uint8_t *)(ev + 1);
	q->st.held++;
	struct hflow **pp = find(q, &ev->key), *f = *pp;
	if (f && f->ctl_hi != h->ctl_hi) {
		/* a new hold of the flow: the kernel closed the last one */
		if (!f->verdict)
			flush(q, f, q->o.fallback, LS_HOLDQ_BY_NEW_HOLD, now_of(q));
		forget(q, pp);
		f = NULL;
	}
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f) { /* no memory: the packet gets the fallback */
			q->st.overflow++;
			return;
		}
		f->key = ev->key;
		f->slot = h->slot;
		f->ctl_hi = h->ctl_hi;
		f->first_k = q->o.offline ? q->off_now : ev->ts_k;
		f->tail = &f->head;
		f->next = *pp;
		*pp = f;
		q->st.flows_now++;
		/* decided before this record was read (the policy answered the
		 * flow's DPI event in an earlier batch)? Batched, that is asked
		 * at the commit, after this batch's own verdicts have settled
		 * most new holds without a lookup. */
		if (q->batched && q->nfresh < FRESH_MAX)
			q->fresh[q->nfresh++] = (struct hkey){.key = ev->key, .ctl_hi = f->ctl_hi};
		else
			lookup_verdict(q, f);
	}
	if (h->seq + 1 > f->seen)
		f->seen = h->seq + 1;
	struct hpkt *p = malloc(sizeof(*p) + h->cap_len);
	if (p) {
		p->next = NULL;
		p->ts_k = q->o.offline ? q->off_now : ev->ts_k;
		p->tag = q->off_tag;
		p->h = *h;
		memcpy(p->frame, frame, h->cap_len);
	}
	if (p && f->verdict) { /* settled: it follows the queue at once */
		if (!settle_pkt(q, &f->key, p, f->verdict, LS_HOLDQ_BY_VERDICT, now_of(q)))
			free(p);
	} else if (!p || q->st.bytes_now + h->cap_len > q->o.max_bytes) {
		q->st.overflow++;
		if (p && !settle_pkt(q, &f->key, p, q->o.fallback, LS_HOLDQ_BY_BYTES, now_of(q)))
			free(p);
	} else {
		*f->tail = p;
		f->tail = &p->next;
		f->npkts++;
		f->bytes += h->cap_len;
		q->st.pkts_now++;
		q->st.bytes_now += h->cap_len;
		return;
	}
	if (f->verdict)
		close_later(q, f);
}

void ls_holdq_settle(struct ls_holdq *q, const struct ls_flow_key *key, uint32_t verdict)
{
	if (verdict != LS_VERDICT_PASS && verdict != LS_VERDICT_DROP && !is_reject(verdict))
		return;
	struct hflow **pp = find(q, key), *f = *pp;
	if (!f)
		return;
	flush(q, f, verdict, LS_HOLDQ_BY_VERDICT, now_of(q));
	close_later(q, f);
}

void ls_holdq_settle_all(struct ls_holdq *q, uint32_t verdict)
{
	for (int i = 0; i < NBUCKETS; i++)
		for (struct hflow **pp = &q->b[i]; *pp;) {
			flush(q, *pp, verdict, LS_HOLDQ_BY_FAILSAFE, now_of(q));
			tx_flush(q); /* released before the close */
			if (try_close(q, *pp, 0))
				forget(q, pp);
			else
				pp = &(*pp)->next;
		}
}

void ls_holdq_tick(struct ls_holdq *q, uint64_t now_k)
{
	ls_holdq_commit(q);
	if (!q->st.flows_now)
		return;
	for (int i = 0; i < NBUCKETS; i++)
		for (struct hflow **pp = &q->b[i]; *pp;) {
			struct hflow *f = *pp;
			int closed = 0;
			if (!f->verdict && now_k > f->first_k + q->o.timeout_ns) {
				q->st.timeout++;
				/* a model times out exactly when the timeout falls due */
				flush(q, f, q->o.fallback, LS_HOLDQ_BY_TIMEOUT,
				      q->o.offline ? f->first_k + q->o.timeout_ns : now_k);
				tx_flush(q);
				closed = try_close(q, f, 0);
			} else if (f->verdict && now_k > f->settled_k + q->o.timeout_ns) {
				/* a packet counted but never received (its record
				 * was lost): stop waiting for it */
				closed = try_close(q, f, 1);
			} else if (f->verdict) {
				closed = try_close(q, f, 0);
			}
			if (closed)
				forget(q, pp);
			else
				pp = &(*pp)->next;
		}
}

void ls_holdq_stats(const struct ls_holdq *q, struct ls_holdq_stats *st)
{
	*st = q->st;
}

int ls_holdq_reset_dp(struct ls_dp *dp)
{
	if (dp->map_fd[LS_MAP_HOLD_SLOTS] < 0)
		return 0;
	struct ls_holdq q = {0};
	void *m = mmap(NULL, slots_len(), PROT_READ | PROT_WRITE, MAP_SHARED,
		       dp->map_fd[LS_MAP_HOLD_SLOTS], 0);
	if (m == MAP_FAILED)
		return -errno;
	q.slots = m;
	int n = ls_holdq_reset(&q);
	munmap(m, slots_len());
	return n;
}

uint32_t ls_holdq_full(const struct ls_holdq *q, uint32_t n, struct ls_flow_key *key)
{
	uint32_t count = 0;
	for (int i = 0; i < NBUCKETS; i++)
		for (const struct hflow *f = q->b[i]; f; f = f->next)
			if (f->seen >= n) {
				*key = f->key;
				count++;
			}
	return count;
}
