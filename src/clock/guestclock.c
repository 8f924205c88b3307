/* guestclock.c - the guest clock G provider and its fault model (see
 * guestclock.h for the spec language and why delay is modelled). */
#include "clock/guestclock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/args.h"

/* A clock fault beyond ~100 days is a typo, not a scenario. */
#define LS_GCLOCK_MAX_NS 10000000000000000ll

/* An offset, delay or time in the one duration grammar (base/args.h). */
static int spec_ns(const char *s, size_t len, int64_t *out)
{
	if (ls_parse_offset_ns(s, len, out))
		return -1;
	return *out > LS_GCLOCK_MAX_NS || *out < -LS_GCLOCK_MAX_NS ? -1 : 0;
}

static int parse_drift(const char *s, size_t len, double *ppm)
{
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	char *end;
	double v = strtod(buf, &end);
	if (end == buf || !isfinite(v))
		return -1;
	if (!strcmp(end, "ppm"))
		*ppm = v;
	else if (!strcmp(end, "ppb"))
		*ppm = v / 1000.0;
	else
		return -1;
	/* 10% rate error is already absurd for a clock; refuse beyond */
	return fabs(*ppm) <= 100000.0 ? 0 : -1;
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		return ls_errf(err, -EINVAL, __VA_ARGS__);                                         \
	} while (0)

int ls_gclock_parse(const char *spec, struct ls_gclock_spec *out, struct ls_err *err)
{
	struct ls_gclock_spec s = {0};
	if (!spec)
		spec = "";
	if (!strcmp(spec, "none")) {
		*out = s;
		return 0;
	}
	const char *p = spec;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t klen = eq ? (size_t)(eq - p) : n;
		const char *v = eq ? eq + 1 : NULL;
		size_t vlen = eq ? n - klen - 1 : 0;
		int ik = (int)(klen > 40 ? 40 : klen);
		int iv = (int)(vlen > 40 ? 40 : vlen);
		if (n == 0)
			FAIL("guest clock: empty item in '%s'", spec);
#define KEY(name) (klen == strlen(name) && !memcmp(p, name, klen))
		if (KEY("zero") && !eq) {
			s.zero = true;
		} else if (KEY("load") && !eq) {
			s.load = true;
		} else if (!eq) {
			FAIL("guest clock: '%.*s' is not key=value (keys: offset, drift, "
			     "delay, quantum, step, zero, jitter, load)",
			     ik, p);
		} else if (KEY("jitter")) {
			if (spec_ns(v, vlen, &s.jitter_ns) || s.jitter_ns < 0)
				FAIL("guest clock: jitter '%.*s' is not a duration >= 0 like 5ms "
				     "(the "
				     "mean of the extra staleness)",
				     iv, v);
		} else if (KEY("offset")) {
			if (spec_ns(v, vlen, &s.offset_ns))
				FAIL("guest clock: offset '%.*s' is not a duration like +5ms",
				     iv, v);
		} else if (KEY("drift")) {
			if (parse_drift(v, vlen, &s.drift_ppm))
				FAIL("guest clock: drift '%.*s' is not a rate like +200ppm "
				     "(ppm or ppb, at most 100000ppm)", iv, v);
		} else if (KEY("delay")) {
			if (spec_ns(v, vlen, &s.delay_ns) || s.delay_ns < 0)
				FAIL("guest clock: delay '%.*s' is not a duration >= 0 like 2ms",
				     iv, v);
		} else if (KEY("quantum")) {
			if (spec_ns(v, vlen, &s.quantum_ns) || s.quantum_ns <= 0)
				FAIL("guest clock: quantum '%.*s' is not a duration > 0 like 1ms",
				     iv, v);
		} else if (KEY("step")) {
			const char *at = memchr(v, '@', vlen);
			if (!at)
				FAIL("guest clock: step '%.*s' needs a time: step=+50ms@30s", iv, v);
			if (s.nsteps == LS_GCLOCK_MAX_STEPS)
				FAIL("guest clock: more than %d steps", LS_GCLOCK_MAX_STEPS);
			size_t dlen = (size_t)(at - v);
			int64_t d, t;
			if (spec_ns(v, dlen, &d))
				FAIL("guest clock: step size '%.*s' is not a duration like +50ms",
				     (int)(dlen > 40 ? 40 : dlen), v);
			if (spec_ns(at + 1, vlen - dlen - 1, &t) || t < 0)
				FAIL("guest clock: step time '%.*s' is not a duration >= 0 like 30s",
				     (int)(vlen - dlen - 1 > 40 ? 40 : vlen - dlen - 1), at + 1);
			s.steps[s.nsteps].step_ns = d;
			s.steps[s.nsteps].at_ns = t;
			s.nsteps++;
		} else {
			FAIL("guest clock: unknown key '%.*s' (keys: offset, drift, delay, "
			     "quantum, step, zero, jitter, load)",
			     ik, p);
		}
#undef KEY
		if (!e)
			break;
		p = e + 1;
		if (!*p)
			FAIL("guest clock: trailing ',' in '%s'", spec);
	}
	*out = s;
	return 0;
}

void ls_gclock_format(const struct ls_gclock_spec *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "offset=%+lldns,drift=%+.6gppm,delay=%lldns,quantum=%lldns",
			 (long long)s->offset_ns, s->drift_ppm, (long long)s->delay_ns,
			 (long long)(s->quantum_ns ? s->quantum_ns : 1));
	for (int i = 0; i < s->nsteps && n >= 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, ",step=%+lldns@%lldns",
			      (long long)s->steps[i].step_ns, (long long)s->steps[i].at_ns);
	if (s->zero && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ",zero");
	if (s->jitter_ns && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ",jitter=%lldns", (long long)s->jitter_ns);
	if (s->load && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ",load");
}

void ls_gclock_init(struct ls_gclock *gc, const struct ls_gclock_spec *spec,
		    ls_k start_k)
{
	gc->spec = *spec;
	gc->start_k = start_k;
	/* zero mode: the first (stale) reading at start is ~0 */
	gc->base_ns = spec->zero ? -start_k.ns + spec->delay_ns : 0;
}

/* Fault terms of the true (unstale, unquantised) G at kernel time k. */
static int64_t fault_ns(const struct ls_gclock *gc, int64_t k)
{
	int64_t since = k - gc->start_k.ns;
	int64_t f = gc->spec.offset_ns + (int64_t)llround((double)since * gc->spec.drift_ppm * 1e-6);
	for (int i = 0; i < gc->spec.nsteps; i++)
		if (since >= gc->spec.steps[i].at_ns)
			f += gc->spec.steps[i].step_ns;
	return f;
}

static int64_t floor_to(int64_t x, int64_t q)
{
	if (q <= 1)
		return x;
	int64_t r = x % q;
	if (r < 0)
		r += q;
	return x - r;
}

ls_g ls_gclock_truth(const struct ls_gclock *gc, ls_k k)
{
	int64_t seen_k = k.ns - gc->spec.delay_ns;
	return ls_g_ns(gc->base_ns + seen_k + fault_ns(gc, seen_k));
}

ls_g ls_gclock_at(const struct ls_gclock *gc, ls_k k)
{
	return ls_g_ns(floor_to(ls_gclock_truth(gc, k).ns, gc->spec.quantum_ns));
}

int64_t ls_gclock_jitter_ns(const struct ls_gclock *gc, ls_k k)
{
	if (gc->spec.jitter_ns <= 0)
		return 0;
	/* splitmix64's finaliser of k: uniform u in (0, 1] */
	uint64_t z = (uint64_t)k.ns + 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	double u = ((double)(z >> 11) + 1.0) / 9007199254740992.0;
	double x = -log(u);
	if (x > 20.0)
		x = 20.0;
	return (int64_t)(x * (double)gc->spec.jitter_ns);
}

int64_t ls_gclock_guest_stale_ns(const struct ls_gclock *gc, ls_k k, ls_k queued_k)
{
	int64_t s = ls_gclock_jitter_ns(gc, k);
	if (gc->spec.load && queued_k.ns > 0 && queued_k.ns < k.ns)
		s += k.ns - queued_k.ns;
	return s;
}

ls_g ls_gclock_guest_at(const struct ls_gclock *gc, ls_k k, ls_k queued_k)
{
	return ls_gclock_at(gc, ls_k_ns(k.ns - ls_gclock_guest_stale_ns(gc, k, queued_k)));
}

ls_g ls_gclock_now(const struct ls_gclock *gc)
{
	return ls_gclock_at(gc, ls_k_now());
}

int64_t ls_gclock_resolution_ns(const struct ls_gclock *gc)
{
	return gc->spec.quantum_ns > 1 ? gc->spec.quantum_ns : 1;
}

int64_t ls_gclock_realtime_ns(const struct ls_gclock *gc, ls_k k, int64_t wall_offset_ns)
{
	int64_t seen_k = k.ns - gc->spec.delay_ns;
	return floor_to(seen_k + wall_offset_ns + fault_ns(gc, seen_k), gc->spec.quantum_ns);
}
