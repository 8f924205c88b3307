/* policy.c - the policy pipeline's lifecycle and dispatch (policy.h):
 * load and check a module, instantiate it under limits, turn kernel events
 * into guest callbacks, commit the verdicts a callback set, contain a guest
 * that fails (count, recreate, back off) and hot-reload.
 *
 * A callback is a transaction: the verdicts it sets are written only when it
 * returns normally. A guest that traps or runs out of fuel half-way through
 * leaves nothing behind; its flow gets the configured default instead.
 */
#include "policy/policy_int.h"
#include "obs/metric_table.h"
#include "policy/dpi_ext.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "base/json.h"
#include "base/names.h"
#include "base/time.h"
#include "obs/log.h"

uint64_t ls_policy_now_g(const struct ls_policy *p)
{
	const struct ls_policy_clock *c = &p->cfg.clock;
	return c->now_g ? c->now_g(c->ctx) : ls_now_k();
}

uint64_t ls_policy_now_k(const struct ls_policy *p)
{
	const struct ls_policy_clock *c = &p->cfg.clock;
	return c->now_k ? c->now_k(c->ctx) : ls_now_k();
}

void ls_policy_logf(struct ls_policy *p, int level, const char *kind, const char *msg,
		    size_t msg_len, const char *fmt, ...)
{
	char fields[8192], name[512];
	va_list ap;
	/* the instance speaking: the one in init (a reload's), the running
	 * one, or the one that just failed */
	const struct ls_ginst *g = p->initing ? p->initing : p->gi;
	const char *pname = g ? g->gm->name : p->gm ? p->gm->name : "";
	uint32_t seq = g ? g->seq : p->failed_seq;
	int n = snprintf(fields, sizeof(fields), "\"policy\":\"%s\",\"instance\":%u",
			 ls_json_str(name, sizeof(name), pname), seq);
	if (fmt && *fmt && n > 0 && (size_t)n < sizeof(fields) - 1) {
		va_start(ap, fmt);
		int m = vsnprintf(fields + n + 1, sizeof(fields) - (size_t)n - 1, fmt, ap);
		va_end(ap);
		if (m > 0) /* members follow: join them (none: no comma) */
			fields[n] = ',';
	}
	if (level < LS_LOG_DEBUG)
		level = LS_LOG_DEBUG;
	if (level > LS_LOG_ERROR)
		level = LS_LOG_ERROR;
	if (p->cfg.log)
		p->cfg.log(p->cfg.log_ctx, level, kind, msg, msg_len, fields);
	else
		ls_log_line(stderr, level, kind, msg, msg_len, "%s", fields);
}

/* set_verdict hands the guest's verdict to the data plane as it is */
_Static_assert((int)LSG_PASS == (int)LS_VERDICT_PASS && (int)LSG_DROP == (int)LS_VERDICT_DROP &&
		       (int)LSG_REJECT == (int)LS_VERDICT_REJECT &&
		       LSG_REJECT_NXDOMAIN == LS_VERDICT_F_NXDOMAIN,
	       "guest verdicts are wire verdicts");

/* ---- module and instance --------------------------------------------------- */

static void gmod_free(struct ls_gmod *gm)
{
	if (!gm)
		return;
	lw_module_free(gm->mod);
	lw_imports_free(gm->imp);
	if (gm->wasi)
		lw_wasi_free(gm->wasi);
	free(gm);
}

static void ginst_free(struct ls_ginst *gi)
{
	if (!gi)
		return;
	lw_instance_free(gi->in);
	free(gi);
}

static const struct {
	const char *name;
	const char *sig;
	unsigned bit;
} callbacks[] = {
	{"init", "(i)i", LS_CB_INIT},
	{"on_flow_new", "(i)i", LS_CB_FLOW_NEW},
	{"on_dpi", "(i)i", LS_CB_DPI},
	{"on_flow_end", "(i)i", LS_CB_FLOW_END},
	{"on_verdict_expired", "(i)i", LS_CB_EXPIRED},
	{"on_tick", "()i", LS_CB_TICK},
	{"on_flow_adopted", "(i)i", LS_CB_ADOPTED},
};

/* Decode, check the exports the ABI requires, link the imports. */
static struct ls_gmod *gmod_load(struct ls_policy *p, const uint8_t *wasm,
				 size_t len, const char *name, struct ls_err *err)
{
	struct ls_gmod *gm = calloc(1, sizeof(*gm));
	lw_error le;
	if (!gm) {
		ls_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(gm->name, sizeof(gm->name), "%s", name ? name : "policy");
	/* A reload of the module that runs (the same bytes: a reload after an
	 * edit elsewhere, a reload to reset its state) shares its compiled
	 * code: decoding, validating and compiling them again would give the
	 * same, and is most of a reload's cost. The imports are linked anew. */
	if (p->gm && lw_module_same(p->gm->mod, wasm, len))
		gm->mod = lw_module_share(p->gm->mod);
	else if (lw_module_load(p->engine, wasm, len, &gm->mod, &le)) {
		ls_errf(err, -EINVAL, "%s: not a valid WebAssembly module: %s (offset %lld)",
			 gm->name, le.message, (long long)le.offset);
		goto fail;
	}
	bool has_mem = false;
	for (uint32_t i = 0; i < lw_module_export_count(gm->mod); i++) {
		const char *en;
		int kind;
		if (!lw_module_export(gm->mod, i, &en, &kind) && kind == 2 &&
		    !strcmp(en, "memory"))
			has_mem = true;
	}
	if (!has_mem) {
		ls_errf(err, -EINVAL, "%s: does not export its memory as \"memory\" "
			 "(required by the lockstep ABI, docs/abi.md)", gm->name);
		goto fail;
	}
	static const char *const required[] = {"lockstep_abi_version", "lockstep_event_buffer"};
	for (size_t i = 0; i < 2; i++) {
		const char *sig = lw_module_export_sig(gm->mod, required[i]);
		if (!sig) {
			ls_errf(err, -EINVAL, "%s: not a lockstep policy: it does not export "
				 "%s (include lockstep/guest.h, see docs/abi.md)",
				 gm->name, required[i]);
			goto fail;
		}
		if (strcmp(sig, "()i")) {
			ls_errf(err, -EINVAL, "%s: export %s has signature %s, the ABI wants ()i",
				 gm->name, required[i], sig);
			goto fail;
		}
	}
	for (size_t i = 0; i < sizeof(callbacks) / sizeof(callbacks[0]); i++) {
		const char *sig = lw_module_export_sig(gm->mod, callbacks[i].name);
		if (!sig)
			continue;
		if (strcmp(sig, callbacks[i].sig)) {
			ls_errf(err, -EINVAL, "%s: export %s has signature %s, the ABI wants %s",
				 gm->name, callbacks[i].name, sig, callbacks[i].sig);
			goto fail;
		}
		gm->has |= callbacks[i].bit;
	}
	if (ls_abi_link(p, gm, err))
		goto fail;
	return gm;
fail:
	gmod_free(gm);
	return NULL;
}

static const char *call_fail_msg(lw_instance *in, lw_call_result r)
{
	const lw_trap_info *t = lw_instance_trap(in);
	return t && t->message[0] ? t->message : lw_trap_message(r);
}

/* Instantiate, check the ABI version, find the event buffer, run init. */
static struct ls_ginst *ginst_new(struct ls_policy *p, struct ls_gmod *gm,
				  struct ls_err *err, lw_call_result *trap)
{
	struct ls_ginst *gi = calloc(1, sizeof(*gi));
	lw_limits lim = lw_limits_default();
	lw_error le;
	lw_value res;
	lw_call_result r;

	*trap = LW_OK;
	if (!gi) {
		ls_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	gi->gm = gm;
	gi->created_k = ls_policy_now_k(p);
	gi->seq = ++p->ninst;
	lim.fuel = p->cfg.fuel;
	lim.max_memory_pages = p->cfg.max_memory_pages;
	lim.memory_budget = p->cfg.memory_budget;
	lim.deadline_ns = p->cfg.deadline_ns;
	if (lw_instantiate(gm->mod, gm->imp, &lim, &gi->in, &le)) {
		/* the budget's message names what is over; the option is ours */
		ls_errf(err, -EINVAL, "%s: cannot instantiate: %s%s", gm->name, le.message,
			le.kind == LW_ERR_LIMIT && strstr(le.message, "memory budget")
			    ? " (--guest-memory)" : "");
		goto fail;
	}
	lw_instance_set_user(gi->in, p);
	r = lw_call(gi->in, "lockstep_abi_version", NULL, 0, &res, 1);
	if (r != LW_OK) {
		*trap = r;
		ls_errf(err, -EINVAL, "%s: lockstep_abi_version trapped: %s", gm->name,
			 call_fail_msg(gi->in, r));
		goto fail;
	}
	if (res.of.i32 < LSG_ABI_VERSION_MIN || res.of.i32 > LSG_ABI_VERSION) {
		ls_errf(err, -EINVAL, "%s: module speaks lockstep ABI version %d; this host "
			 "speaks versions %d to %d", gm->name, res.of.i32, LSG_ABI_VERSION_MIN,
			 LSG_ABI_VERSION);
		goto fail;
	}
	gi->abi = res.of.i32;
	r = lw_call(gi->in, "lockstep_event_buffer", NULL, 0, &res, 1);
	if (r != LW_OK) {
		*trap = r;
		ls_errf(err, -EINVAL, "%s: lockstep_event_buffer trapped: %s", gm->name,
			 call_fail_msg(gi->in, r));
		goto fail;
	}
	gi->buf = (uint32_t)res.of.i32;
	static const char *const cbname[LS_GCB__N] = {
		[LS_GCB_TICK] = "on_tick", [LS_EV_FLOW_NEW] = "on_flow_new",
		[LS_EV_DPI] = "on_dpi", [LS_EV_FLOW_END] = "on_flow_end",
		[LS_EV_VERDICT_EXPIRED] = "on_verdict_expired", [LS_GCB_ADOPTED] = "on_flow_adopted"};
	for (int i = 0; i < LS_GCB__N; i++)
		gi->cb[i] = cbname[i] ? lw_instance_func(gi->in, cbname[i]) : NULL;
	if ((gi->buf & 7) || !lw_memory_ptr(gi->in, gi->buf, LSG_EVENT_BUF_SIZE)) {
		ls_errf(err, -EINVAL, "%s: lockstep_event_buffer returned %u, not an 8-byte "
			 "aligned buffer of %d bytes inside its memory", gm->name, gi->buf,
			 LSG_EVENT_BUF_SIZE);
		goto fail;
	}
	if (gm->has & LS_CB_INIT) {
		uint8_t *buf = lw_memory_ptr(gi->in, gi->buf, LSG_EVENT_BUF_SIZE);
		size_t n = p->guest_config_len;
		size_t c = n < LSG_EVENT_BUF_SIZE - 1 ? n : LSG_EVENT_BUF_SIZE - 1;
		memcpy(buf, p->guest_config, c);
		buf[c] = 0;
		lw_value arg = LW_VI32(n > INT32_MAX ? INT32_MAX : (int32_t)n);
		p->initing = gi;
		r = lw_call(gi->in, "init", &arg, 1, &res, 1);
		p->initing = NULL;
		p->st.calls++;
		if (r != LW_OK) {
			*trap = r;
			ls_errf(err, -EINVAL, "%s: init trapped: %s", gm->name,
				 call_fail_msg(gi->in, r));
			goto fail;
		}
		if (res.of.i32 != 0) {
			ls_errf(err, -EINVAL, "%s: init refused its configuration (returned %d; "
				 "its log says why)", gm->name, res.of.i32);
			goto fail;
		}
	}
	return gi;
fail:
	ginst_free(gi);
	return NULL;
}

/* ---- containment ------------------------------------------------------------ */

static uint64_t backoff_ns(const struct ls_policy *p, uint32_t streak)
{
	if (streak <= 1)
		return 0; /* a single failure: recreate at once */
	uint64_t d = p->cfg.backoff_min_ns;
	for (uint32_t i = 2; i < streak && d < p->cfg.backoff_max_ns; i++)
		d *= 2;
	return d < p->cfg.backoff_max_ns ? d : p->cfg.backoff_max_ns;
}

/* A callback that ran out of its budget, of fuel or of wall-clock time
 * (the deadline), is counted as fuel; its log line says which. */
static enum ls_policy_fail fail_of(lw_call_result r)
{
	return r == LW_TRAP_OUT_OF_FUEL || r == LW_TRAP_DEADLINE ? LS_PF_FUEL : LS_PF_TRAP;
}

static void fail_guest(struct ls_policy *p, enum ls_policy_fail why, lw_call_result r,
		       const char *what, const char *msg)
{
	uint64_t now_k = ls_policy_now_k(p);

	p->st.failures[why]++;
	p->last_fail = why;
	p->last_fail_in = what;
	/* Failures more than 30 s apart are not a crash loop. */
	if (now_k - p->last_fail_k > 30ull * 1000000000ull)
		p->st.crash_streak = 0;
	p->st.crash_streak++;
	p->last_fail_k = now_k;
	p->st.retry_at_k = now_k + backoff_ns(p, p->st.crash_streak);
	p->failed_seq = p->gi ? p->gi->seq : p->ninst;
	ginst_free(p->gi);
	p->gi = NULL;
	ls_policy_logf(p, LS_LOG_WARN, "guest_failed", msg, strlen(msg),
		       "\"failure\":\"%s\",\"in\":\"%s\",\"ts_k\":%llu,\"streak\":%u,"
		       "\"retry_in_ns\":%llu",
		       r == LW_TRAP_DEADLINE ? "deadline" : why == LS_PF_FUEL ? "fuel"
						  : why == LS_PF_INIT ? "init"
								      : "trap",
		       what, (unsigned long long)now_k, p->st.crash_streak,
		       (unsigned long long)(p->st.retry_at_k - now_k));
}

/* Recreate a failed instance once its back-off ran out. */
static void maybe_restart(struct ls_policy *p)
{
	struct ls_err err;
	lw_call_result trap;

	if (p->gi || !p->gm || ls_policy_now_k(p) < p->st.retry_at_k)
		return;
	p->gi = ginst_new(p, p->gm, &err, &trap);
	if (!p->gi) {
		fail_guest(p, trap != LW_OK ? fail_of(trap) : LS_PF_INIT, trap, "restart",
			   err.msg);
		return;
	}
	p->st.restarts++;
	ls_policy_logf(p, LS_LOG_INFO, "guest_restarted", "guest instance restarted", 24,
		       "\"streak\":%u", p->st.crash_streak);
}

/* ---- callbacks ---------------------------------------------------------------- */

static void write_verdict(struct ls_policy *p, const struct ls_pflow *f,
			  uint32_t verdict, uint64_t deadline_k)
{
	if (p->sink.write)
		p->sink.write(p->sink.ctx, &f->key, f->flow_id, verdict, deadline_k);
}

static void write_default(struct ls_policy *p, const struct ls_pflow *f)
{
	if (!p->cfg.default_verdict)
		return;
	p->st.defaults++;
	write_verdict(p, f, p->cfg.default_verdict,
		      ls_policy_now_k(p) + p->cfg.default_ttl_ns);
}

static void cb_begin(struct ls_policy *p, struct ls_pflow *f)
{
	struct ls_cb *cb = &p->cb;
	if (p->next_handle <= 0 || p->next_handle > INT32_MAX - (int32_t)LS_CB_HANDLES_MAX - 1)
		p->next_handle = 1;
	cb->active = true;
	cb->base = p->next_handle;
	cb->nh = 0;
	if (f) {
		cb->flow[0] = f;
		cb->verdict[0] = 0;
		cb->nh = 1;
	}
}

static void cb_end(struct ls_policy *p, bool commit)
{
	struct ls_cb *cb = &p->cb;
	if (commit)
		for (uint32_t i = 0; i < cb->nh; i++)
			if (cb->verdict[i]) {
				p->st.verdicts++;
				write_verdict(p, cb->flow[i], cb->verdict[i], cb->deadline_k[i]);
			}
	cb->active = false;
	/* at least one step, so that even a flow-less callback's handles age */
	p->next_handle = cb->base + (int32_t)(cb->nh ? cb->nh : 1);
}

/* Zeroes n bytes (a multiple of 16) with vector stores. For the 432 bytes
 * of an event record's union the compiler's memset is a `rep stos`, whose
 * start-up costs more than the stores (the largest single cost of
 * dispatching an event, bench/policy_bench). Kept a loop of stores: the
 * attribute stops GCC from turning it back into memset. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void zero16(void *p, size_t n)
{
	typedef uint64_t v2 __attribute__((vector_size(16), aligned(8)));
	v2 *d = p;
	for (size_t i = 0; i < n / 16; i++)
		d[i] = (v2){0, 0};
}

/* The event buffer, where the host writes the record of each callback.
 * Looked up every time: memory.grow may move guest memory. */
static struct lsg_event *event_buf(struct ls_ginst *gi)
{
	/* a version-2 module's buffer also holds the DPI extension */
	return lw_memory_ptr(gi->in, gi->buf,
			     sizeof(struct lsg_event) +
				 (gi->abi >= 2 ? sizeof(struct lsg_dpi_ext) : 0));
}

/* The version-2 extension after rec, zeroed; NULL for a version-1 module. */
static struct lsg_dpi_ext *event_ext(struct ls_ginst *gi, struct lsg_event *rec)
{
	if (gi->abi < 2)
		return NULL;
	struct lsg_dpi_ext *x = (struct lsg_dpi_ext *)(rec + 1);
	zero16(x, sizeof(*x));
	return x;
}

/* Run one callback with its record already in the event buffer. Returns
 * true when the guest returned normally. */
static bool run_cb(struct ls_policy *p, int which, const char *export, struct ls_pflow *f,
		   struct lsg_event *rec)
{
	struct ls_ginst *gi = p->gi;
	lw_value arg = LW_VI32(0), res;
	lw_call_result r;

	cb_begin(p, f);
	if (f) {
		arg.of.i32 = p->cb.base;
		rec->flow = p->cb.base;
	}
	r = lw_call_func(gi->in, gi->cb[which], f ? &arg : NULL, f ? 1 : 0, &res, 1);
	p->st.calls++;
	if (r != LW_OK) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", call_fail_msg(gi->in, r));
		cb_end(p, false);
		fail_guest(p, fail_of(r), r, export, msg);
		return false;
	}
	cb_end(p, true);
	if (res.of.i32 != 0)
		p->st.guest_errors++;
	return true;
}

static void fill_dpi(struct lsg_dpi *d, const struct ls_event_dpi *k)
{
	size_t n;
	d->kind = k->kind;
	d->flags = k->flags;
	n = k->method_len < sizeof(k->method) ? k->method_len : sizeof(k->method);
	n = n < sizeof(d->method) - 1 ? n : sizeof(d->method) - 1;
	memcpy(d->method, k->method, n);
	d->method_len = (uint32_t)strnlen(d->method, n);
	n = k->name_len < sizeof(k->name) ? k->name_len : sizeof(k->name);
	n = n < sizeof(d->name) - 1 ? n : sizeof(d->name) - 1;
	memcpy(d->name, k->name, n);
	d->name_len = (uint32_t)strnlen(d->name, n);
	n = k->path_len < sizeof(k->path) ? k->path_len : sizeof(k->path);
	n = n < sizeof(d->path) - 1 ? n : sizeof(d->path) - 1;
	memcpy(d->path, k->path, n);
	d->path_len = (uint32_t)strnlen(d->path, n);
}

/* The last complete DPI result of a flow, for an instance that adopts it
 * later (a partial one without a name says nothing new). */
static void remember_dpi(struct ls_pflows *t, struct ls_pflow *f, const struct lsg_dpi *d,
			 const struct ls_event_dpi *k, const struct ls_flow_key *key)
{
	if ((d->flags & LSG_DPI_F_PARTIAL) && !d->name_len)
		return;
	struct ls_pflow_dpi *r = ls_pflows_dpi(t, f);
	if (!r)
		return; /* out of memory: an adoption gets no DPI result */
	r->dpi = *d;
	ls_dpi_ext_fill(&r->ext, k, key);
}

static void handle_event(struct ls_policy *p, const struct ls_event *ev)
{
	static const char *const exports[] = {
		[LS_EV_FLOW_NEW] = "on_flow_new", [LS_EV_DPI] = "on_dpi",
		[LS_EV_FLOW_END] = "on_flow_end", [LS_EV_VERDICT_EXPIRED] = "on_verdict_expired"};
	unsigned kind = ev->kind;

	if (kind != LS_EV_FLOW_NEW && kind != LS_EV_DPI && kind != LS_EV_FLOW_END &&
	    kind != LS_EV_VERDICT_EXPIRED)
		return; /* beats, fail-safe, traces: not the policy's business */
	p->st.events++;
	uint64_t ts_g = ls_policy_to_guest(ls_policy_tmap(p), ev->ts_k);
	struct ls_pflow *f = ls_pflows_get(&p->flows, ev->flow_id);
	if (!f) {
		f = ls_pflows_add(&p->flows, ev, ts_g);
		if (!f)
			return; /* out of memory: the data plane's default applies */
	}
	f->last_k = p->batch_k;
	bool decides = kind != LS_EV_FLOW_END;

	if (!p->gi)
		maybe_restart(p);
	if (kind == LS_EV_DPI && !(p->gi && p->gi->cb[kind])) {
		struct lsg_dpi d;
		fill_dpi(&d, &ev->u.dpi);
		remember_dpi(&p->flows, f, &d, &ev->u.dpi, &ev->key);
	}
	if (p->cfg.clock.queued)
		p->cfg.clock.queued(p->cfg.clock.ctx, ev->ts_k);
	struct lsg_event *rec;
	if (!p->gi) {
		if (decides)
			write_default(p, f);
	} else if (p->gi->cb[kind]) {
		if (!(rec = event_buf(p->gi))) { /* memory never shrinks, but never trust */
			fail_guest(p, LS_PF_TRAP, LW_OK, exports[kind], "event buffer outside memory");
			if (decides)
				write_default(p, f);
			goto out;
		}
		/* written in place: the guest may have scribbled on its buffer,
		 * so every byte of the record is set */
		rec->kind = kind; /* LSG_EV_* numbers equal LS_EV_* for these four */
		rec->flow = 0;
		rec->ts_g = ts_g;
		rec->info = f->info;
		_Static_assert(sizeof(rec->u) % 16 == 0, "union of whole vectors");
		zero16(&rec->u, sizeof(rec->u));
		struct lsg_dpi_ext *x = event_ext(p->gi, rec);
		if (kind == LS_EV_DPI) {
			fill_dpi(&rec->u.dpi, &ev->u.dpi);
			remember_dpi(&p->flows, f, &rec->u.dpi, &ev->u.dpi, &ev->key);
			if (x)
				ls_dpi_ext_fill(x, &ev->u.dpi, &ev->key);
		} else if (kind == LS_EV_FLOW_END) {
			int c2s = f->client_is_lo ? LS_DIR_LO_TO_HI : LS_DIR_HI_TO_LO;
			rec->u.end.pkts[0] = ev->u.end.pkts[c2s];
			rec->u.end.pkts[1] = ev->u.end.pkts[!c2s];
			rec->u.end.bytes[0] = ev->u.end.bytes[c2s];
			rec->u.end.bytes[1] = ev->u.end.bytes[!c2s];
			rec->u.end.reason = ev->u.end.reason;
		} else if (kind == LS_EV_VERDICT_EXPIRED) {
			rec->u.expired.deadline_g =
				ls_policy_to_guest(ls_policy_tmap(p), ev->u.expired.deadline_k);
			rec->u.expired.verdict = ev->u.expired.verdict;
		}
		p->disp_ran = true;
		if (!run_cb(p, (int)kind, exports[kind], f, rec)) {
			p->disp_fail = p->last_fail;
			if (decides)
				write_default(p, f);
		}
	}
out:
	if (p->cfg.clock.queued)
		p->cfg.clock.queued(p->cfg.clock.ctx, 0);
	if (kind == LS_EV_FLOW_END)
		ls_pflows_del(&p->flows, ev->flow_id);
}

void ls_policy_dispatch(struct ls_policy *p, const struct ls_event *ev, size_t n)
{
	p->disp_ran = false;
	p->disp_fail = LS_PF__MAX;
	/* one clock read per batch for the flows' "last heard of" (it only
	 * decides when a silent flow is forgotten, minutes later) */
	p->batch_k = ls_policy_now_k(p);
	for (size_t i = 0; i < n; i++) {
		handle_event(p, &ev[i]);
		if (p->sink.progress)
			p->sink.progress(p->sink.ctx);
	}
	if (p->disp_ran)
		p->dispatch_fail = p->disp_fail;
	if (p->sink.flush)
		p->sink.flush(p->sink.ctx);
}

/* A flow with no event for a while may still be open: a long-lived
 * connection past its DPI packets whose verdict on_tick keeps renewing
 * produces none. It is forgotten only once the data plane has not seen a
 * packet of it either (or holds another connection on its 5-tuple). */
static bool flow_alive(void *ctx, struct ls_pflow *f)
{
	struct ls_policy *p = ctx;
	struct ls_flow fl;
	uint64_t now_k = ls_policy_now_k(p);
	if (!p->sink.counters || p->sink.counters(p->sink.ctx, &f->key, &fl) ||
	    fl.flow_id != f->flow_id || fl.last_seen_k + p->cfg.flow_gc_ns < now_k)
		return false;
	f->last_k = fl.last_seen_k;
	return true;
}

void ls_policy_tick(struct ls_policy *p)
{
	uint64_t now_k = ls_policy_now_k(p);
	p->last_tick_k = now_k;
	if (now_k > p->cfg.flow_gc_ns)
		/* a slice per tick (4096 buckets, 256 lookups): a flow idle
		 * past flow_gc_ns goes within a pass, nb / 4096 ticks */
		ls_pflows_gc_some(&p->flows, now_k - p->cfg.flow_gc_ns, flow_alive, p, 4096, 256);
	maybe_restart(p);
	struct lsg_event *rec;
	if (p->gi && p->gi->cb[LS_GCB_TICK] && (rec = event_buf(p->gi))) {
		memset(rec, 0, sizeof(*rec));
		event_ext(p->gi, rec);
		rec->kind = LSG_EV_TICK;
		rec->flow = -1;
		rec->ts_g = ls_policy_now_g(p);
		rec->u.tick.interval_ns = p->cfg.tick_interval_ns;
		rec->u.tick.seq = ++p->gi->tick_seq;
		rec->u.tick.active_flows = (uint32_t)p->flows.n;
		p->tick_fail = run_cb(p, LS_GCB_TICK, "on_tick", NULL, rec) ? LS_PF__MAX
									    : p->last_fail;
	}
	if (p->sink.flush)
		p->sink.flush(p->sink.ctx);
}

/* ---- load and reload ----------------------------------------------------------- */

/* Is the flow still open in the data plane (same flow id, not closed)?
 * Without a data plane to ask (inspect, tests): as far as we know. */
static bool flow_open(struct ls_policy *p, const struct ls_pflow *f)
{
	struct ls_flow fl;
	if (!p->sink.counters)
		return true;
	return !p->sink.counters(p->sink.ctx, &f->key, &fl) && fl.flow_id == f->flow_id &&
	       fl.state != LS_FLOW_CLOSED;
}

/* Handover: a new instance (the first of a restarted agent, or after a
 * reload) is told of every flow that is open, with its last DPI result,
 * through on_flow_adopted. Until it decides on one, the verdict an earlier
 * instance left in the data plane stands (the callback's own verdict
 * replaces it); a module without on_flow_adopted hears nothing. Returns
 * how many flows it was told of. */
static size_t adopt_flows(struct ls_policy *p)
{
	size_t n = 0;
	struct lsg_event *rec;
	if (!p->gi || !p->gi->cb[LS_GCB_ADOPTED])
		return 0;
	struct ls_pflow **tb;
	size_t tnb;
	/* both bucket arrays while the table doubles (only an add moves
	 * flows between them, and none is added while this runs) */
	for (int k = 0; ls_pflows_table(&p->flows, k, &tb, &tnb); k++)
	for (size_t b = 0; b < tnb && p->gi; b++)
		for (struct ls_pflow *f = tb[b]; f && p->gi; f = f->next) {
			if (!flow_open(p, f) || !(rec = event_buf(p->gi)))
				continue;
			rec->kind = LSG_EV_FLOW_ADOPTED;
			rec->flow = 0;
			rec->ts_g = ls_policy_now_g(p);
			rec->info = f->info;
			zero16(&rec->u, sizeof(rec->u));
			struct lsg_dpi_ext *x = event_ext(p->gi, rec);
			if (f->dpi) {
				rec->u.dpi = f->dpi->dpi;
				if (x)
					*x = f->dpi->ext;
			}
			p->st.events++;
			if (run_cb(p, LS_GCB_ADOPTED, "on_flow_adopted", f, rec))
				n++;
		}
	p->st.adopted += n;
	if (p->sink.flush)
		p->sink.flush(p->sink.ctx);
	return n;
}

int ls_policy_seed_flow(struct ls_policy *p, const struct ls_event *ev, uint64_t last_seen_k)
{
	if (ls_pflows_get(&p->flows, ev->flow_id))
		return 0;
	struct ls_pflow *f = ls_pflows_add(&p->flows, ev, ls_policy_to_guest(ls_policy_tmap(p), ev->ts_k));
	if (!f)
		return -ENOMEM;
	f->last_k = last_seen_k;
	if (ev->kind == LS_EV_DPI) {
		struct lsg_dpi d;
		fill_dpi(&d, &ev->u.dpi);
		remember_dpi(&p->flows, f, &d, &ev->u.dpi, &ev->key);
	}
	return 0;
}

int ls_policy_load(struct ls_policy *p, const uint8_t *wasm, size_t len,
		   const char *name, struct ls_err *err)
{
	struct ls_err local;
	if (!err)
		err = &local; /* the message is logged even when the caller drops it */
	*err = (struct ls_err){0};
	lw_call_result trap;
	struct ls_gmod *gm = gmod_load(p, wasm, len, name, err);
	struct ls_ginst *gi = gm ? ginst_new(p, gm, err, &trap) : NULL;
	bool reload = p->gm != NULL;
	char esc[1024];

	if (!gi) {
		gmod_free(gm);
		if (reload)
			p->st.reload_refused++;
		ls_policy_logf(p, LS_LOG_ERROR, reload ? "reload_refused" : "load_failed", err->msg,
			       strlen(err->msg), "\"module\":\"%s\"%s",
			       ls_json_str(esc, sizeof(esc), name ? name : ""),
			       reload ? ",\"keeps_running\":true" : "");
		return err->code ? err->code : -EINVAL;
	}
	/* Swap: nothing below can fail, so the switch is all or nothing. */
	ginst_free(p->gi);
	gmod_free(p->gm);
	p->gm = gm;
	p->gi = gi;
	p->st.crash_streak = 0;
	p->st.retry_at_k = 0;
	p->tick_fail = p->dispatch_fail = LS_PF__MAX; /* a fresh start */
	if (reload)
		p->st.reloads++;
	size_t adopted = adopt_flows(p);
	if (adopted)
		ls_policy_logf(p, LS_LOG_INFO, "adopted", "open flows handed to the new instance", 37,
			       "\"flows\":%zu", adopted);
	ls_policy_logf(p, LS_LOG_INFO, reload ? "reloaded" : "loaded",
		       reload ? "policy reloaded" : "policy loaded", reload ? 15 : 13,
		       "\"callbacks\":\"%s%s%s%s%s%s%s\"",
		       gm->has & LS_CB_INIT ? "init " : "",
		       gm->has & LS_CB_FLOW_NEW ? "on_flow_new " : "",
		       gm->has & LS_CB_DPI ? "on_dpi " : "",
		       gm->has & LS_CB_FLOW_END ? "on_flow_end " : "",
		       gm->has & LS_CB_EXPIRED ? "on_verdict_expired " : "",
		       gm->has & LS_CB_TICK ? "on_tick" : "",
		       gm->has & LS_CB_ADOPTED ? " on_flow_adopted" : "");
	return 0;
}

/* Policy modules are small (ours are < 100 KiB); a path to anything near
 * this is a mistake that must not eat the agent's memory. */
#define LS_POLICY_FILE_MAX ((size_t)64 << 20)

int ls_policy_load_file(struct ls_policy *p, const char *path, struct ls_err *err)
{
	char *buf;
	size_t len;
	struct ls_err e;
	if (ls_read_file(path, LS_POLICY_FILE_MAX, &buf, &len, &e)) {
		if (p->gm)
			p->st.reload_refused++;
		return ls_errf(err, e.code, "cannot open policy %s", e.msg);
	}
	const char *base = strrchr(path, '/');
	int rc = ls_policy_load(p, (const uint8_t *)buf, len, base ? base + 1 : path, err);
	free(buf);
	if (rc == 0 && path != p->path)
		snprintf(p->path, sizeof(p->path), "%s", path);
	return rc;
}

int ls_policy_reload(struct ls_policy *p, struct ls_err *err)
{
	if (!p->path[0]) {
		return ls_errf(err, -ENOENT, "no policy file was loaded, nothing to reload");
	}
	return ls_policy_load_file(p, p->path, err);
}

int ls_policy_set_guest_config(struct ls_policy *p, const char *cfg, size_t len)
{
	char *c = malloc(len + 1);
	if (!c)
		return -1;
	memcpy(c, cfg, len);
	c[len] = 0;
	free(p->guest_config);
	p->guest_config = c;
	p->guest_config_len = len;
	return 0;
}

void ls_policy_set_mapping(struct ls_policy *p, const struct ls_mapping *m)
{
	p->tmap = m ? m : ls_policy_identity_mapping();
	p->tpub = NULL;
}

void ls_policy_set_mapping_pub(struct ls_policy *p, const struct ls_mapping_pub *pub)
{
	p->tmap = ls_policy_identity_mapping();
	p->tpub = pub;
}

const char *ls_policy_path(const struct ls_policy *p)
{
	return p->path;
}

/* ---- setup ------------------------------------------------------------------------ */

int ls_policy_new(const struct ls_policy_config *cfg,
		  const struct ls_verdict_sink *sink, struct ls_policy **out,
		  struct ls_err *err)
{
	struct ls_policy *p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->cfg = *cfg;
	if (!p->cfg.fuel)
		p->cfg.fuel = LS_POLICY_FUEL_DEFAULT;
	if (!p->cfg.max_memory_pages)
		p->cfg.max_memory_pages = LS_POLICY_PAGES_DEFAULT;
	if (!p->cfg.memory_budget)
		p->cfg.memory_budget = LS_POLICY_BUDGET_DEFAULT;
	if (!p->cfg.deadline_ns)
		p->cfg.deadline_ns = LS_POLICY_DEADLINE_DEFAULT;
	if (!p->cfg.default_ttl_ns)
		p->cfg.default_ttl_ns = 1000000000ull;
	if (!p->cfg.tick_interval_ns)
		p->cfg.tick_interval_ns = 1000000000ull;
	if (!p->cfg.backoff_min_ns)
		p->cfg.backoff_min_ns = 100000000ull;
	if (!p->cfg.backoff_max_ns)
		p->cfg.backoff_max_ns = 30000000000ull;
	if (!p->cfg.flow_gc_ns)
		p->cfg.flow_gc_ns = 600000000000ull;
	if (!cfg->default_verdict || !ls_verdict_valid(cfg->default_verdict)) {
		free(p);
		return ls_errf(err, -EINVAL, "default verdict must be pass, drop or reject");
	}
	if (sink)
		p->sink = *sink;
	p->log_tokens = LS_LOG_BURST;
	p->tmap = ls_policy_identity_mapping();
	p->next_handle = 1;
	p->tick_fail = p->dispatch_fail = p->disp_fail = LS_PF__MAX;
	p->engine = lw_engine_new();
	p->kv = ls_kv_new();
	if (!p->engine || !p->kv || ls_cb_map(&p->cb) ||
	    ls_pflows_init(&p->flows, cfg->flow_limit ? cfg->flow_limit : LS_POLICY_FLOW_LIMIT) ||
	    ls_policy_set_guest_config(p, cfg->guest_config ? cfg->guest_config : "",
				       cfg->guest_config ? cfg->guest_config_len : 0)) {
		ls_policy_free(p);
		goto nomem;
	}
	p->log_refill_k = ls_policy_now_k(p);
	*out = p;
	return 0;
nomem:
	return ls_errf(err, -ENOMEM, "out of memory");
}

void ls_policy_free(struct ls_policy *p)
{
	if (!p)
		return;
	ginst_free(p->gi);
	gmod_free(p->gm);
	if (p->engine)
		lw_engine_free(p->engine);
	ls_kv_free(p->kv);
	ls_pflows_free(&p->flows);
	ls_gm_free(&p->gmet);
	ls_cb_unmap(&p->cb);
	free(p->guest_config);
	free(p);
}

struct ls_kv *ls_policy_kv(struct ls_policy *p)
{
	return p->kv;
}

void ls_policy_share_kv(struct ls_policy *p, const struct ls_policy *with)
{
	if (!with || p->kv == with->kv)
		return;
	ls_kv_free(p->kv);
	p->kv = ls_kv_ref(with->kv);
}

void ls_policy_stats(const struct ls_policy *p, struct ls_policy_stats *out)
{
	*out = p->st;
	out->flows = p->flows.n;
	out->series = (uint64_t)p->gmet.ns;
	out->health = ls_policy_health_at(p, ls_policy_now_k(p), out->health_why,
					  sizeof(out->health_why));
	out->healthy = out->health == LS_PH_HEALTHY;
}

static const char *fail_what(enum ls_policy_fail f)
{
	return f == LS_PF_FUEL ? "ran out of fuel" : f == LS_PF_INIT ? "failed" : "trapped";
}

const char *ls_policy_health_name(int h)
{
	static const char *const n[LS_PH__MAX] = {
		[LS_PH_HEALTHY] = "healthy",
		[LS_PH_NO_MODULE] = "no_module",
		[LS_PH_BACKOFF] = "backoff",
		[LS_PH_TICK_TRAPPED] = "tick_trapped",
		[LS_PH_TICK_OUT_OF_FUEL] = "tick_out_of_fuel",
		[LS_PH_TICK_OVERDUE] = "tick_overdue",
		[LS_PH_DISPATCH_TRAPPED] = "dispatch_trapped",
		[LS_PH_DISPATCH_OUT_OF_FUEL] = "dispatch_out_of_fuel",
	};
	return h >= 0 && h < LS_PH__MAX ? n[h] : "unknown";
}

enum ls_policy_health ls_policy_health_at(const struct ls_policy *p, uint64_t now_k,
					  char *why, size_t len)
{
	char dummy[8];
	if (!why) {
		why = dummy;
		len = sizeof(dummy);
	}
	why[0] = 0;
	if (!p->gm) {
		snprintf(why, len, "no policy module is loaded");
		return LS_PH_NO_MODULE;
	}
	if (!p->gi) {
		snprintf(why, len, "its %s %s; the instance is recreated after a back-off",
			 p->last_fail_in ? p->last_fail_in : "instance", fail_what(p->last_fail));
		return LS_PH_BACKOFF;
	}
	if (p->tick_fail != LS_PF__MAX) {
		snprintf(why, len, "its last on_tick %s", fail_what(p->tick_fail));
		return p->tick_fail == LS_PF_FUEL ? LS_PH_TICK_OUT_OF_FUEL : LS_PH_TICK_TRAPPED;
	}
	/* Verdict TTLs are refreshed on ticks: after a stall (the agent was
	 * stopped, or blocked), a tick must run before fail-safe may end, or
	 * the verdicts fail-safe kept past their deadlines would expire at
	 * once, before the refresh. */
	if (p->last_tick_k && now_k > p->last_tick_k &&
	    now_k - p->last_tick_k > p->cfg.tick_interval_ns * 3 / 2) {
		snprintf(why, len, "its tick is overdue (the agent was stopped or blocked)");
		return LS_PH_TICK_OVERDUE;
	}
	if (p->dispatch_fail != LS_PF__MAX) {
		snprintf(why, len, "a callback of its last dispatch %s", fail_what(p->dispatch_fail));
		return p->dispatch_fail == LS_PF_FUEL ? LS_PH_DISPATCH_OUT_OF_FUEL
						      : LS_PH_DISPATCH_TRAPPED;
	}
	return LS_PH_HEALTHY;
}

const char *ls_policy_health(struct ls_policy *p)
{
	return ls_policy_health_at(p, ls_policy_now_k(p), p->health, sizeof(p->health))
		       ? p->health
		       : NULL;
}

const struct ls_gmetrics *ls_policy_gmetrics(const struct ls_policy *p)
{
	return &p->gmet;
}

int ls_policy_metric_value(const struct ls_policy *p, const char *name, double *out)
{
	const struct ls_gmetric *m = ls_gm_find(&p->gmet, name);
	if (!m)
		return -1;
	*out = m->value;
	return 0;
}

void ls_policy_stats_metrics_write(const struct ls_policy_stats *s, int health, FILE *f)
{
	enum ls_policy_health h = (enum ls_policy_health)health;
	static const char *const fail[] = {"trap", "fuel", "init"};
	ls_metric_head(f, "lockstep_policy_events_total");
	fprintf(f,
		   "lockstep_policy_events_total %llu\n",
		(unsigned long long)s->events);
	ls_metric_head(f, "lockstep_policy_calls_total");
	fprintf(f,
		   "lockstep_policy_calls_total %llu\n",
		(unsigned long long)s->calls);
	ls_metric_head(f, "lockstep_policy_failures_total");
	for (int i = 0; i < LS_PF__MAX; i++)
		fprintf(f, "lockstep_policy_failures_total{kind=\"%s\"} %llu\n", fail[i],
			(unsigned long long)s->failures[i]);
	ls_metric_head(f, "lockstep_policy_verdicts_total");
	fprintf(f,
		   "lockstep_policy_verdicts_total{source=\"guest\"} %llu\n"
		   "lockstep_policy_verdicts_total{source=\"default\"} %llu\n",
		(unsigned long long)s->verdicts, (unsigned long long)s->defaults);
	ls_metric_head(f, "lockstep_policy_restarts_total");
	fprintf(f,
		   "lockstep_policy_restarts_total %llu\n",
		(unsigned long long)s->restarts);
	ls_metric_head(f, "lockstep_policy_reloads_total");
	fprintf(f,
		   "lockstep_policy_reloads_total{result=\"ok\"} %llu\n"
		   "lockstep_policy_reloads_total{result=\"refused\"} %llu\n",
		(unsigned long long)s->reloads, (unsigned long long)s->reload_refused);
	ls_metric_head(f, "lockstep_policy_abi_errors_total");
	fprintf(f,
		   "lockstep_policy_abi_errors_total{error=\"bounds\"} %llu\n"
		   "lockstep_policy_abi_errors_total{error=\"handle\"} %llu\n",
		(unsigned long long)s->bad_pointer, (unsigned long long)s->bad_handle);
	ls_metric_head(f, "lockstep_policy_healthy");
	fprintf(f,
		   "lockstep_policy_healthy %d\n", h == LS_PH_HEALTHY);
	ls_metric_head(f, "lockstep_policy_unhealthy");
	for (int i = LS_PH_HEALTHY + 1; i < LS_PH__MAX; i++)
		fprintf(f, "lockstep_policy_unhealthy{reason=\"%s\"} %d\n", ls_policy_health_name(i),
			h == (enum ls_policy_health)i);
	ls_metric_head(f, "lockstep_policy_flows");
	fprintf(f,
		   "lockstep_policy_flows %llu\n", (unsigned long long)s->flows);
	ls_metric_head(f, "lockstep_policy_guest_series");
	fprintf(f, "lockstep_policy_guest_series %llu\n", (unsigned long long)s->series);
	ls_metric_head(f, "lockstep_policy_guest_series_dropped_total");
	fprintf(f, "lockstep_policy_guest_series_dropped_total %llu\n",
		(unsigned long long)s->series_dropped);
}

void ls_policy_metrics_write(const struct ls_policy *p, FILE *f)
{
	struct ls_policy_stats st = p->st;
	st.flows = p->flows.n;
	st.series = (uint64_t)p->gmet.ns;
	/* the heartbeat's rule (ls_policy_health), evaluated now: what these
	 * say is what makes a beat good */
	ls_policy_stats_metrics_write(&st, ls_policy_health_at(p, ls_policy_now_k(p), NULL, 0), f);
	ls_gm_write(&p->gmet, f);
}
