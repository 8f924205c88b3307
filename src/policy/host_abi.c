/* host_abi.c - the host side of the lockstep policy ABI (docs/abi.md): the
 * imports of module "lockstep" and the linking of a module's imports.
 *
 * Every import validates its arguments and returns a status to the guest; a
 * bad pointer or handle is never a trap (the guest may handle it) but it is
 * counted. Guest memory is only ever touched through lw_memory_ptr.
 */
#include "policy/policy_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* rule kinds cross from the guest to the data plane as they are */
_Static_assert((int)LSG_RULE_HTTP == (int)LS_PRULE_HTTP && (int)LSG_RULE_TLS == (int)LS_PRULE_TLS &&
		       (int)LSG_RULE_DNS == (int)LS_PRULE_DNS &&
		       (int)LSG_RULE_CLIENT == (int)LS_PRULE_CLIENT &&
		       (int)LSG_RULE_SERVER == (int)LS_PRULE_SERVER,
	       "rule kinds");
_Static_assert(LSG_RULE_PATTERN_MAX == LS_RULE_PATTERN_MAX, "rule pattern size");

#include "base/json.h"
#include "base/names.h"
#include "base/time.h"

#define ARG_I32(i) (args[i].of.i32)
#define ARG_U32(i) ((uint32_t)args[i].of.i32)
#define RET(v)                                                                 \
	do {                                                                   \
		results[0] = LW_VI32(v);                                       \
		return LW_OK;                                                  \
	} while (0)

/* Bounds-checked guest range; counts a bad pointer. len 0 is always fine. */
static void *gptr(struct ls_policy *p, lw_instance *in, uint32_t addr,
		  uint32_t len)
{
	static uint8_t empty;
	if (len == 0)
		return &empty;
	void *ptr = lw_memory_ptr(in, addr, len);
	if (!ptr)
		p->st.bad_pointer++;
	return ptr;
}

/* The flow behind a handle of the current callback, or a status. */
static int32_t handle_get(struct ls_policy *p, int32_t h, struct ls_pflow **out)
{
	struct ls_cb *cb = &p->cb;
	if (cb->active && h >= cb->base && (uint32_t)(h - cb->base) < cb->nh) {
		*out = cb->flow[h - cb->base];
		return LSG_OK;
	}
	p->st.bad_handle++;
	if (h > 0 && h < (cb->active ? cb->base : p->next_handle))
		return LSG_E_STALE;
	return LSG_E_HANDLE;
}

static lw_call_result h_set_verdict(lw_instance *in, void *user,
				    const lw_value *args, lw_value *results)
{
	struct ls_policy *p = user;
	struct ls_pflow *f;
	int32_t v = ARG_I32(1);
	int64_t ttl = args[2].of.i64;
	int32_t rc = handle_get(p, ARG_I32(0), &f);
	(void)in;
	if (rc)
		RET(rc);
	/* the guest's numbers are the wire's (policy.c asserts it) */
	if (!ls_verdict_valid((uint32_t)v) || ttl < 0)
		RET(LSG_E_INVAL);
	uint32_t i = (uint32_t)(ARG_I32(0) - p->cb.base);
	p->cb.verdict[i] = (uint32_t)v;
	/* The TTL is a duration in G: it runs from this call, converted by
	 * the rate alone (timemap.h); never through the offset. */
	p->cb.deadline_k[i] = ls_policy_ttl_to_kernel(ls_policy_tmap(p), ls_policy_now_g(p),
						      ls_policy_now_k(p), ttl);
	RET(LSG_OK);
}

/* rule_add(kind, pattern, len, verdict, ttl) / rule_del(kind, pattern, len):
 * a decision the kernel applies itself (docs/abi.md, "Kernel rules"). */
static int32_t rule_status(int rc)
{
	return rc == 0 ? LSG_OK : rc == -EINVAL ? LSG_E_INVAL : rc == -ENOENT ? LSG_E_NOTFOUND
	       : rc == -ENOSPC || rc == -E2BIG ? LSG_E_FULL : LSG_E_NOTSUP;
}

static int rule_kind_ok(int32_t k)
{
	return k == LSG_RULE_HTTP || k == LSG_RULE_TLS || k == LSG_RULE_DNS ||
	       k == LSG_RULE_CLIENT || k == LSG_RULE_SERVER;
}

static lw_call_result h_rule_add(lw_instance *in, void *user, const lw_value *args,
				 lw_value *results)
{
	struct ls_policy *p = user;
	uint32_t len = ARG_U32(2);
	int32_t v = ARG_I32(3);
	int64_t ttl = args[4].of.i64;
	if (len > LSG_RULE_PATTERN_MAX)
		RET(LSG_E_TOOBIG);
	const char *pat = gptr(p, in, ARG_U32(1), len);
	if (!pat)
		RET(LSG_E_BOUNDS);
	if (!rule_kind_ok(ARG_I32(0)) || !ls_verdict_valid((uint32_t)v) || ttl < 0 || len == 0)
		RET(LSG_E_INVAL);
	if (!p->sink.rule)
		RET(LSG_E_NOTSUP);
	/* a TTL like set_verdict's: from now, by the rate alone; 0 and
	 * INT64_MAX (saturated) are "no deadline" */
	uint64_t deadline_k =
		ls_policy_ttl_to_kernel(ls_policy_tmap(p), ls_policy_now_g(p), ls_policy_now_k(p), ttl);
	int rc = p->sink.rule(p->sink.ctx, (uint32_t)ARG_I32(0), pat, len, (uint32_t)v,
			      deadline_k, 0);
	if (!rc)
		p->st.rules_added++;
	RET(rule_status(rc));
}

static lw_call_result h_rule_del(lw_instance *in, void *user, const lw_value *args,
				 lw_value *results)
{
	struct ls_policy *p = user;
	uint32_t len = ARG_U32(2);
	if (len > LSG_RULE_PATTERN_MAX)
		RET(LSG_E_TOOBIG);
	const char *pat = gptr(p, in, ARG_U32(1), len);
	if (!pat)
		RET(LSG_E_BOUNDS);
	if (!rule_kind_ok(ARG_I32(0)) || len == 0)
		RET(LSG_E_INVAL);
	if (!p->sink.rule)
		RET(LSG_E_NOTSUP);
	RET(rule_status(p->sink.rule(p->sink.ctx, (uint32_t)ARG_I32(0), pat, len, 0, 0, 1)));
}

static lw_call_result h_flow_info(lw_instance *in, void *user,
				  const lw_value *args, lw_value *results)
{
	struct ls_policy *p = user;
	struct ls_pflow *f;
	int32_t rc = handle_get(p, ARG_I32(0), &f);
	if (rc)
		RET(rc);
	void *out = gptr(p, in, ARG_U32(1), sizeof(struct lsg_flow_info));
	if (!out)
		RET(LSG_E_BOUNDS);
	memcpy(out, &f->info, sizeof(f->info));
	RET(LSG_OK);
}

static lw_call_result h_flow_counters(lw_instance *in, void *user,
				      const lw_value *args, lw_value *results)
{
	struct ls_policy *p = user;
	struct ls_pflow *f;
	struct ls_flow fl;
	struct lsg_counters c;
	int32_t rc = handle_get(p, ARG_I32(0), &f);
	if (rc)
		RET(rc);
	void *out = gptr(p, in, ARG_U32(1), sizeof(c));
	if (!out)
		RET(LSG_E_BOUNDS);
	if (!p->sink.counters)
		RET(LSG_E_NOTSUP);
	if (p->sink.counters(p->sink.ctx, &f->key, &fl))
		RET(LSG_E_NOTFOUND);
	int c2s = f->client_is_lo ? LS_DIR_LO_TO_HI : LS_DIR_HI_TO_LO;
	memset(&c, 0, sizeof(c));
	c.pkts[0] = fl.pkts[c2s];
	c.pkts[1] = fl.pkts[!c2s];
	c.bytes[0] = fl.bytes[c2s];
	c.bytes[1] = fl.bytes[!c2s];
	c.last_seen_g = ls_policy_to_guest(ls_policy_tmap(p), fl.last_seen_k);
	memcpy(out, &c, sizeof(c));
	RET(LSG_OK);
}

static lw_call_result h_flow_verdict(lw_instance *in, void *user, const lw_value *args,
				     lw_value *results)
{
	struct ls_policy *p = user;
	struct ls_pflow *f;
	struct lsg_verdict_info v = {0};
	uint64_t deadline_k = 0;
	int32_t rc = handle_get(p, ARG_I32(0), &f);
	if (rc)
		RET(rc);
	void *out = gptr(p, in, ARG_U32(1), sizeof(v));
	if (!out)
		RET(LSG_E_BOUNDS);
	if (!p->sink.verdict)
		RET(LSG_E_NOTSUP);
	if (p->sink.verdict(p->sink.ctx, &f->key, &v.verdict, &deadline_k))
		RET(LSG_E_NOTFOUND);
	v.deadline_g = deadline_k ? ls_policy_to_guest(ls_policy_tmap(p), deadline_k) : 0;
	memcpy(out, &v, sizeof(v));
	RET(LSG_OK);
}

static lw_call_result h_flow_lookup(lw_instance *in, void *user,
				    const lw_value *args, lw_value *results)
{
	struct ls_policy *p = user;
	struct ls_cb *cb = &p->cb;
	uint64_t id = (uint64_t)args[0].of.i64;
	(void)in;
	if (!cb->active)
		RET(LSG_E_NOTSUP);
	struct ls_pflow *f = ls_pflows_get(&p->flows, id);
	if (!f)
		RET(LSG_E_NOTFOUND);
	for (uint32_t i = 0; i < cb->nh; i++) /* one handle per flow */
		if (cb->flow[i] == f)
			RET(cb->base + (int32_t)i);
	if (cb->nh == LS_CB_HANDLES_MAX)
		RET(LSG_E_FULL);
	cb->flow[cb->nh] = f;
	cb->verdict[cb->nh] = 0;
	RET(cb->base + (int32_t)cb->nh++);
}

static lw_call_result h_now(lw_instance *in, void *user, const lw_value *args,
			    lw_value *results)
{
	struct ls_policy *p = user;
	uint64_t now_g = ls_policy_now_g(p);
	void *out = gptr(p, in, ARG_U32(0), sizeof(now_g));
	if (!out)
		RET(LSG_E_BOUNDS);
	memcpy(out, &now_g, sizeof(now_g));
	RET(LSG_OK);
}

static bool log_allowed(struct ls_policy *p)
{
	uint64_t now_k = ls_policy_now_k(p);
	if (now_k > p->log_refill_k) {
		p->log_tokens += (double)(now_k - p->log_refill_k) * LS_LOG_RATE / 1e9;
		if (p->log_tokens > LS_LOG_BURST)
			p->log_tokens = LS_LOG_BURST;
	}
	p->log_refill_k = now_k;
	if (p->log_tokens < 1)
		return false;
	p->log_tokens -= 1;
	return true;
}

static lw_call_result h_log(lw_instance *in, void *user, const lw_value *args,
			    lw_value *results)
{
	struct ls_policy *p = user;
	int32_t level = ARG_I32(0);
	uint32_t len = ARG_U32(2);
	if (level < LSG_DEBUG || level > LSG_ERROR)
		RET(LSG_E_INVAL);
	/* The whole range must be the guest's, even the part we cut off. */
	const char *msg = gptr(p, in, ARG_U32(1), len);
	if (!msg)
		RET(LSG_E_BOUNDS);
	if (level < p->cfg.min_log_level)
		RET(LSG_OK);
	if (!log_allowed(p)) {
		p->st.log_dropped++;
		RET(LSG_E_RATE);
	}
	p->st.log_lines++;
	ls_policy_logf(p, level, "guest_log", msg, len < LS_LOG_LINE_MAX ? len : LS_LOG_LINE_MAX,
		       "%s", len > LS_LOG_LINE_MAX ? "\"truncated\":true" : "");
	RET(LSG_OK);
}

static int32_t gm_status(int rc)
{
	return rc >= 0		       ? rc
	       : rc == LS_GM_EFULL     ? LSG_E_FULL
	       : rc == LS_GM_ETOOBIG   ? LSG_E_TOOBIG
	       : rc == LS_GM_ENOTFOUND ? LSG_E_NOTFOUND
				       : LSG_E_INVAL;
}

/* metric_define and metric_define_l: the name, the help, the label names. */
static int32_t metric_define(struct ls_policy *p, lw_instance *in, const lw_value *args,
			     uint32_t labels, uint32_t llen)
{
	uint32_t nlen = ARG_U32(2), hlen = ARG_U32(4);
	if (nlen > LS_GM_NAME_MAX || llen > LS_GM_LNAMES_MAX)
		return LSG_E_TOOBIG;
	if (hlen > LS_GM_HELP_MAX)
		hlen = LS_GM_HELP_MAX;
	const char *name = gptr(p, in, ARG_U32(1), nlen);
	const char *help = gptr(p, in, ARG_U32(3), hlen);
	const char *lab = gptr(p, in, labels, llen);
	if (!name || !help || !lab)
		return LSG_E_BOUNDS;
	return gm_status(ls_gm_define_l(&p->gmet, ARG_I32(0), name, nlen, help, hlen, lab, llen));
}

static lw_call_result h_metric_define(lw_instance *in, void *user, const lw_value *args,
				      lw_value *results)
{
	RET(metric_define(user, in, args, 0, 0));
}

static lw_call_result h_metric_define_l(lw_instance *in, void *user, const lw_value *args,
					lw_value *results)
{
	RET(metric_define(user, in, args, ARG_U32(5), ARG_U32(6)));
}

static lw_call_result h_metric_add(lw_instance *in, void *user, const lw_value *args,
				   lw_value *results)
{
	struct ls_policy *p = user;
	(void)in;
	RET(ls_gm_add(&p->gmet, ARG_I32(0), args[1].of.f64) ? LSG_E_INVAL : LSG_OK);
}

static lw_call_result h_metric_set(lw_instance *in, void *user, const lw_value *args,
				   lw_value *results)
{
	struct ls_policy *p = user;
	(void)in;
	RET(ls_gm_set(&p->gmet, ARG_I32(0), args[1].of.f64) ? LSG_E_INVAL : LSG_OK);
}

static lw_call_result h_metric_observe(lw_instance *in, void *user, const lw_value *args,
				       lw_value *results)
{
	struct ls_policy *p = user;
	(void)in;
	RET(ls_gm_observe(&p->gmet, ARG_I32(0), args[1].of.f64) ? LSG_E_INVAL : LSG_OK);
}

/* metric_{add,set,observe,delete}_l(id, values, values_len[, v]): one
 * labelled series (docs/abi.md, "Labels"). A new series past a cap is
 * refused and counted (lockstep_policy_guest_series_dropped_total). */
static int32_t metric_l(struct ls_policy *p, lw_instance *in, const lw_value *args, int op)
{
	uint32_t vlen = ARG_U32(2);
	if (vlen > LS_GM_LVALUES_MAX)
		return LSG_E_TOOBIG;
	const char *vals = gptr(p, in, ARG_U32(1), vlen);
	if (!vals)
		return LSG_E_BOUNDS;
	int32_t id = ARG_I32(0);
	double v = op == 'd' ? 0 : args[3].of.f64;
	int rc = op == 'a'   ? ls_gm_add_l(&p->gmet, id, vals, vlen, v)
		 : op == 's' ? ls_gm_set_l(&p->gmet, id, vals, vlen, v)
		 : op == 'o' ? ls_gm_observe_l(&p->gmet, id, vals, vlen, v)
			     : ls_gm_delete_l(&p->gmet, id, vals, vlen);
	if (rc == LS_GM_EFULL)
		p->st.series_dropped++;
	return gm_status(rc);
}

static lw_call_result h_metric_add_l(lw_instance *in, void *user, const lw_value *args,
				     lw_value *results)
{
	RET(metric_l(user, in, args, 'a'));
}

static lw_call_result h_metric_set_l(lw_instance *in, void *user, const lw_value *args,
				     lw_value *results)
{
	RET(metric_l(user, in, args, 's'));
}

static lw_call_result h_metric_observe_l(lw_instance *in, void *user, const lw_value *args,
					 lw_value *results)
{
	RET(metric_l(user, in, args, 'o'));
}

static lw_call_result h_metric_delete_l(lw_instance *in, void *user, const lw_value *args,
					lw_value *results)
{
	RET(metric_l(user, in, args, 'd'));
}

static lw_call_result h_config_get(lw_instance *in, void *user, const lw_value *args,
				   lw_value *results)
{
	struct ls_policy *p = user;
	uint32_t cap = ARG_U32(1);
	size_t n = p->guest_config_len;
	char *buf = gptr(p, in, ARG_U32(0), cap);
	if (!buf)
		RET(LSG_E_BOUNDS);
	memcpy(buf, p->guest_config, n < cap ? n : cap);
	RET(n > INT32_MAX ? INT32_MAX : (int32_t)n);
}

static lw_call_result h_kv_get(lw_instance *in, void *user,
			       const lw_value *args, lw_value *results)
{
	struct ls_policy *p = user;
	uint32_t klen = ARG_U32(1), cap = ARG_U32(3);
	if (klen > LS_KV_KEY_MAX)
		RET(LSG_E_TOOBIG);
	const void *key = gptr(p, in, ARG_U32(0), klen);
	void *val = gptr(p, in, ARG_U32(2), cap);
	if (!key || !val)
		RET(LSG_E_BOUNDS);
	long n = ls_kv_get(p->kv, key, klen, val, cap);
	RET(n < 0 ? LSG_E_NOTFOUND : (int32_t)n);
}

static lw_call_result h_kv_put(lw_instance *in, void *user,
			       const lw_value *args, lw_value *results)
{
	struct ls_policy *p = user;
	uint32_t klen = ARG_U32(1), vlen = ARG_U32(3);
	if (klen > LS_KV_KEY_MAX || vlen > LS_KV_VAL_MAX)
		RET(LSG_E_TOOBIG);
	const void *key = gptr(p, in, ARG_U32(0), klen);
	const void *val = gptr(p, in, ARG_U32(2), vlen);
	if (!key || !val)
		RET(LSG_E_BOUNDS);
	int rc = ls_kv_put(p->kv, key, klen, val, vlen);
	RET(rc == 0 ? LSG_OK : rc == -1 ? LSG_E_TOOBIG : LSG_E_FULL);
}

static lw_call_result h_kv_del(lw_instance *in, void *user,
			       const lw_value *args, lw_value *results)
{
	struct ls_policy *p = user;
	uint32_t klen = ARG_U32(1);
	if (klen > LS_KV_KEY_MAX)
		RET(LSG_E_TOOBIG);
	const void *key = gptr(p, in, ARG_U32(0), klen);
	if (!key)
		RET(LSG_E_BOUNDS);
	RET(ls_kv_del(p->kv, key, klen) ? LSG_E_NOTFOUND : LSG_OK);
}

/* AssemblyScript's runtime imports env.abort(msg, file, line, col) unless
 * built with --use abort=; it means "the guest gave up": trap it. */
static lw_call_result h_env_abort(lw_instance *in, void *user,
				  const lw_value *args, lw_value *results)
{
	(void)user;
	(void)results;
	lw_host_trap(in, "guest called abort (line %d, column %d)", args[2].of.i32,
		     args[3].of.i32);
	return LW_TRAP_HOST;
}

static const struct host_fn {
	const char *name;
	const char *sig;
	lw_host_fn fn;
} host_fns[] = {
	{"set_verdict", "(iiI)i", h_set_verdict},
	{"flow_info", "(ii)i", h_flow_info},
	{"flow_counters", "(ii)i", h_flow_counters},
	{"flow_lookup", "(I)i", h_flow_lookup},
	{"flow_verdict", "(ii)i", h_flow_verdict},
	{"now", "(i)i", h_now},
	{"log", "(iii)i", h_log},
	{"metric_define", "(iiiii)i", h_metric_define},
	{"metric_add", "(iF)i", h_metric_add},
	{"metric_set", "(iF)i", h_metric_set},
	{"metric_observe", "(iF)i", h_metric_observe},
	{"metric_define_l", "(iiiiiii)i", h_metric_define_l},
	{"metric_add_l", "(iiiF)i", h_metric_add_l},
	{"metric_set_l", "(iiiF)i", h_metric_set_l},
	{"metric_observe_l", "(iiiF)i", h_metric_observe_l},
	{"metric_delete_l", "(iii)i", h_metric_delete_l},
	{"config_get", "(ii)i", h_config_get},
	{"kv_get", "(iiii)i", h_kv_get},
	{"kv_put", "(iiii)i", h_kv_put},
	{"kv_del", "(ii)i", h_kv_del},
	{"rule_add", "(iiiiI)i", h_rule_add},
	{"rule_del", "(iii)i", h_rule_del},
};

/* WASI clocks read the guest clock G, like the lockstep `now` import:
 * realtime too, so that no time a guest sees escapes the fault model. */
static int wasi_clock(void *user, uint32_t id, uint64_t *ns)
{
	struct ls_policy *p = user;
	const struct ls_policy_clock *c = &p->cfg.clock;
	if (c->wasi)
		return c->wasi(c->ctx, id, ns);
	switch (id) {
	case 0: /* realtime: G on the wall clock's epoch */
		*ns = ls_policy_now_g(p) + (uint64_t)ls_clock_ns(CLOCK_REALTIME) - ls_now_k();
		return 0;
	case 1:
		*ns = ls_policy_now_g(p);
		return 0;
	case 2:
		*ns = (uint64_t)ls_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		return 0;
	case 3:
		*ns = (uint64_t)ls_clock_ns(CLOCK_THREAD_CPUTIME_ID);
		return 0;
	}
	return 28; /* WASI EINVAL */
}

static void wasi_sink(void *user, int fd, const uint8_t *buf, size_t len)
{
	struct ls_policy *p = user;
	if (!log_allowed(p)) {
		p->st.log_dropped++;
		return;
	}
	p->st.log_lines++;
	ls_policy_logf(p, LSG_INFO, "guest_output", (const char *)buf,
		       len < LS_LOG_LINE_MAX ? len : LS_LOG_LINE_MAX, "\"fd\":%d", fd);
}

/* WASI poll_oneoff sleeps on clock subscriptions; in a policy that would
 * stop the agent's one thread (fuel counts instructions, not time). A
 * policy never blocks: it gets ENOSYS, at once. */
static lw_call_result h_wasi_no_poll(lw_instance *in, void *user,
				     const lw_value *args, lw_value *results)
{
	(void)in;
	(void)user;
	(void)args;
	results[0] = LW_VI32(52); /* __WASI_ERRNO_NOSYS */
	return LW_OK;
}

/* Provide exactly what the module imports: lockstep functions by name,
 * WASI when it wants WASI, env.abort. Anything else is refused here, with
 * a clearer message than the engine's "unknown import". */
int ls_abi_link(struct ls_policy *p, struct ls_gmod *gm, struct ls_err *err)
{
	uint32_t n = lw_module_import_count(gm->mod);
	gm->imp = lw_imports_new(p->engine);
	if (!gm->imp)
		return ls_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		const char *mod, *name;
		int kind;
		if (lw_module_import(gm->mod, i, &mod, &name, &kind))
			continue;
		if (!strcmp(mod, "wasi_snapshot_preview1")) {
			gm->has |= LS_CB_WASI;
			continue;
		}
		if (kind == 0 && !strcmp(mod, "env") && !strcmp(name, "abort")) {
			if (lw_imports_add_func(gm->imp, "env", "abort", "(iiii)",
						h_env_abort, p))
				goto link_fail;
			continue;
		}
		const struct host_fn *h = NULL;
		if (kind == 0 && !strcmp(mod, "lockstep"))
			for (size_t j = 0; j < sizeof(host_fns) / sizeof(host_fns[0]); j++)
				if (!strcmp(host_fns[j].name, name))
					h = &host_fns[j];
		if (!h) {
			return ls_errf(err, -EINVAL,
				       "%s: imports %s.%s, which lockstep ABI version %d does not "
				       "provide (docs/abi.md lists the imports)",
				       gm->name, mod, name, LSG_ABI_VERSION);
		}
		if (lw_imports_add_func(gm->imp, "lockstep", h->name, h->sig, h->fn, p))
			goto link_fail;
	}
	if (gm->has & LS_CB_WASI) {
		lw_wasi_config wc = {
			.clock = wasi_clock,
			.clock_user = p,
			.clock_res_ns = p->cfg.clock.resolution_ns,
			.sink = wasi_sink,
			.sink_user = p,
		};
		static const char *const argv[] = {"policy"};
		wc.argc = 1;
		wc.argv = argv;
		gm->wasi = lw_wasi_new(&wc);
		/* added after the subset: the latest definition of a name wins */
		if (!gm->wasi || lw_wasi_link(gm->wasi, gm->imp) ||
		    lw_imports_add_func(gm->imp, "wasi_snapshot_preview1", "poll_oneoff",
					"(iiii)i", h_wasi_no_poll, p))
			goto link_fail;
	}
	return 0;
link_fail:
	return ls_errf(err, -EINVAL, "%s: cannot set up its imports (out of memory?)", gm->name);
}
