/* fuzz_guest.c - structure-aware libFuzzer target for the host ABI: the
 * input is turned into a valid policy module (built here, byte by byte)
 * whose callbacks call the lockstep imports with hostile arguments (null,
 * negative, INT32_MIN/MAX, pointers straddling the end of memory or into
 * the event buffer, huge lengths, INT64_MAX and negative TTLs, NaN and
 * infinite metric values, the previous call's result) and end by returning,
 * trapping or looping until fuel runs out. The input's bytes also fill the
 * module's memory (a data segment), so the strings the imports read (log
 * JSON, metric names, kv keys, rule patterns) are fuzzed too. The module
 * goes through the real pipeline (ls_policy_load: decode, ABI checks,
 * instantiate, init), then gets a flow's life with a reload (guest_life.h:
 * the limits, the clock and the invariants). Each input is a new module,
 * so this target runs a few hundred inputs a second at best; fuzz_hostabi the same
 * imports through one instance, 2 to 4 times as fast. Built by
 * `make fuzz`; run by tests/fuzz/fuzz_ci.sh (seeds tests/fuzz/corpus/guest/). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock/estimator.h"
#include "guest_life.h"

/* ---- the module writer ------------------------------------------------- */

struct buf {
	uint8_t b[65536];
	size_t n;
	int over;
};

static void put(struct buf *b, uint8_t c)
{
	if (b->n < sizeof(b->b))
		b->b[b->n++] = c;
	else
		b->over = 1;
}

static void put_bytes(struct buf *b, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(b, ((const uint8_t *)p)[i]);
}

static void uleb(struct buf *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		put(b, c | (v ? 0x80 : 0));
	} while (v);
}

static void sleb(struct buf *b, int64_t v)
{
	for (;;) {
		uint8_t c = v & 0x7f;
		v >>= 7; /* arithmetic */
		if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
			put(b, c);
			return;
		}
		put(b, c | 0x80);
	}
}

static void name(struct buf *b, const char *s)
{
	uleb(b, strlen(s));
	put_bytes(b, s, strlen(s));
}

static void section(struct buf *m, uint8_t id, const struct buf *body)
{
	put(m, id);
	uleb(m, body->n);
	put_bytes(m, body->b, body->n);
}

/* ---- what the input steers ---------------------------------------------- */

struct in {
	const uint8_t *d;
	size_t n, at;
};

static uint8_t next(struct in *in)
{
	return in->at < in->n ? in->d[in->at++] : 0;
}

static uint64_t next_n(struct in *in, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | next(in);
	return v;
}

static const struct {
	const char *name, *sig;
} imports[] = {
    {"set_verdict", "iiI"}, {"flow_info", "ii"},	{"flow_counters", "ii"},
    {"flow_lookup", "I"},   {"flow_verdict", "ii"},	{"now", "i"},
    {"log", "iii"},	    {"metric_define", "iiiii"}, {"metric_add", "iF"},
    {"metric_set", "iF"},   {"metric_observe", "iF"},	{"config_get", "ii"},
    {"kv_get", "iiii"},	    {"kv_put", "iiii"},		{"kv_del", "ii"},
    {"rule_add", "iiiiI"},  {"rule_del", "iii"},		{"metric_define_l", "iiiiiii"},
    {"metric_add_l", "iiiF"}, {"metric_set_l", "iiiF"},	{"metric_observe_l", "iiiF"},
    {"metric_delete_l", "iii"},
};
#define NIMP (sizeof(imports) / sizeof(imports[0]))
#define DATA_AT 0x100
#define EVBUF_AT 0x8000

/* the callbacks: name, whether they take the flow handle */
static const struct {
	const char *name;
	int param;
} cbs[] = {
    {"init", 1},
    {"on_flow_new", 1},
    {"on_dpi", 1},
    {"on_flow_end", 1},
    {"on_verdict_expired", 1},
    {"on_tick", 0},
    {"on_flow_adopted", 1},
};
#define NCB (sizeof(cbs) / sizeof(cbs[0]))

static void arg_i32(struct buf *c, struct in *in, int param, int local)
{
	static const int32_t table[] = {0,	 1,	 -1,	   INT32_MIN, INT32_MAX, 0xffff,
					0x10000, 0xfff0, EVBUF_AT, DATA_AT,   4,	 255,
					256,	 1024,	 1 << 20,  -4096};
	uint8_t s = next(in);
	switch (s & 7) {
	case 0:
		put(c, 0x41), sleb(c, table[(s >> 3) % 16]);
		break;
	case 1:
		put(c, 0x41), sleb(c, (int64_t)next_n(in, 2));
		break;
	case 2:
		if (param)
			put(c, 0x20), uleb(c, 0); /* the flow handle */
		else
			put(c, 0x41), sleb(c, (int8_t)next(in));
		break;
	case 3:
		put(c, 0x41), sleb(c, (int32_t)(uint32_t)next_n(in, 4));
		break;
	case 4:
		put(c, 0x41), sleb(c, DATA_AT + next(in));
		break;
	case 5:
		put(c, 0x41), sleb(c, EVBUF_AT + (int64_t)(next_n(in, 2) % 0x4000));
		break;
	case 6:
		put(c, 0x20), uleb(c, (uint64_t)local); /* the last call's result */
		break;
	case 7:
		put(c, 0x41), sleb(c, 0x10000 - (int64_t)(next(in) % 64));
		break;
	}
}

static void arg_i64(struct buf *c, struct in *in, int local)
{
	static const int64_t table[] = {
	    0, 1, -1, INT64_MAX, INT64_MIN, 1000000000, INT64_MAX / 2, 30000000000ll};
	uint8_t s = next(in);
	switch (s & 3) {
	case 0:
	case 1:
		put(c, 0x42), sleb(c, table[(s >> 2) % 8]);
		break;
	case 2:
		put(c, 0x42), sleb(c, (int64_t)next_n(in, 8));
		break;
	case 3:
		put(c, 0x20), uleb(c, (uint64_t)local);
		put(c, 0xac); /* i64.extend_i32_s */
		break;
	}
}

static void arg_f64(struct buf *c, struct in *in)
{
	const double table[] = {0, -0.0, NAN, INFINITY, -INFINITY, 1e308, -1, 1};
	uint8_t s = next(in);
	double v;
	if (s & 1) {
		uint64_t bits = next_n(in, 8);
		memcpy(&v, &bits, 8);
	} else {
		v = table[(s >> 1) % 8];
	}
	put(c, 0x44);
	put_bytes(c, &v, 8);
}

/* One callback's body: calls, then return, trap or a fuel-eating loop. */
static void body(struct buf *code, struct in *in, int param, int is_init)
{
	/* one input at a time: a static buffer, emptied, not a 64 KiB calloc
	 * (and quarantine) per callback under ASan */
	static struct buf cbuf;
	struct buf *c = &cbuf;
	c->n = 0;
	c->over = 0;
	int local = param; /* one i32 local after the parameters */
	uleb(c, 1);	   /* one local group */
	uleb(c, 1), put(c, 0x7f);
	int calls = next(in) % 9;
	for (int k = 0; k < calls; k++) {
		unsigned imp = next(in) % NIMP;
		for (const char *t = imports[imp].sig; *t; t++) {
			if (*t == 'i')
				arg_i32(c, in, param, local);
			else if (*t == 'I')
				arg_i64(c, in, local);
			else
				arg_f64(c, in);
		}
		put(c, 0x10), uleb(c, imp);		/* call */
		put(c, 0x21), uleb(c, (uint64_t)local); /* local.set */
	}
	uint8_t end = next(in) % 32;
	if (end == 0) {
		put(c, 0x00); /* unreachable: a trap */
	} else if (end == 1 && !is_init) {
		put(c, 0x03), put(c, 0x40), put(c, 0x0c), uleb(c, 0), put(c, 0x0b); /* loop br 0 */
		put(c, 0x41), sleb(c, 0);
	} else {
		put(c, 0x41), sleb(c, is_init ? (end == 2) : (end & 1));
	}
	put(c, 0x0b);
	uleb(code, c->n);
	put_bytes(code, c->b, c->n);
}

static void const_fn(struct buf *code, int32_t v)
{
	static struct buf c; /* not 64 KiB zeroed on the stack per call */
	c.n = 0;
	uleb(&c, 0);
	put(&c, 0x41), sleb(&c, v), put(&c, 0x0b);
	uleb(code, c.n);
	put_bytes(code, c.b, c.n);
}

/* Builds the module into m (static buffers: one input at a time). */
static void build(struct buf *m, struct in *in, const uint8_t *data, size_t n)
{
	static struct buf sec, code;
	m->n = 0; /* not a memset of the 64 KiB: only b[0..n) is read */
	m->over = 0;
	put_bytes(m, "\0asm\1\0\0\0", 8);
	/* types: one per import, then () -> i32 and (i32) -> i32 */
	sec.n = 0;
	uleb(&sec, NIMP + 2);
	for (size_t i = 0; i < NIMP; i++) {
		const char *t = imports[i].sig;
		put(&sec, 0x60), uleb(&sec, strlen(t));
		for (; *t; t++)
			put(&sec, *t == 'i' ? 0x7f : *t == 'I' ? 0x7e : 0x7c);
		uleb(&sec, 1), put(&sec, 0x7f);
	}
	put(&sec, 0x60), uleb(&sec, 0), uleb(&sec, 1), put(&sec, 0x7f);
	put(&sec, 0x60), uleb(&sec, 1), put(&sec, 0x7f), uleb(&sec, 1), put(&sec, 0x7f);
	section(m, 1, &sec);
	/* imports */
	sec.n = 0;
	uleb(&sec, NIMP);
	for (size_t i = 0; i < NIMP; i++) {
		name(&sec, "lockstep"), name(&sec, imports[i].name);
		put(&sec, 0x00), uleb(&sec, i);
	}
	section(m, 2, &sec);
	/* functions: abi_version, event_buffer, then the callbacks */
	sec.n = 0;
	uleb(&sec, 2 + NCB);
	uleb(&sec, NIMP), uleb(&sec, NIMP);
	for (size_t i = 0; i < NCB; i++)
		uleb(&sec, cbs[i].param ? NIMP + 1 : NIMP);
	section(m, 3, &sec);
	/* one memory of 1 page, at most 1 to 4 */
	sec.n = 0;
	uleb(&sec, 1), put(&sec, 0x01), uleb(&sec, 1), uleb(&sec, 1 + next(in) % 4);
	section(m, 5, &sec);
	/* exports */
	sec.n = 0;
	uleb(&sec, 3 + NCB);
	name(&sec, "memory"), put(&sec, 0x02), uleb(&sec, 0);
	name(&sec, "lockstep_abi_version"), put(&sec, 0x00), uleb(&sec, NIMP);
	name(&sec, "lockstep_event_buffer"), put(&sec, 0x00), uleb(&sec, NIMP + 1);
	for (size_t i = 0; i < NCB; i++)
		name(&sec, cbs[i].name), put(&sec, 0x00), uleb(&sec, NIMP + 2 + i);
	section(m, 7, &sec);
	/* code */
	static const int32_t versions[] = {2, 2, 2, 2, 2, 2, 1, 3};
	static const int32_t evbufs[] = {EVBUF_AT,     EVBUF_AT, EVBUF_AT, EVBUF_AT,
					 EVBUF_AT + 4, 0xfff0,	 -8,	   0};
	uint8_t v = next(in);
	code.n = 0;
	uleb(&code, 2 + NCB);
	const_fn(&code, versions[v & 7]);
	const_fn(&code, evbufs[(v >> 3) & 7]);
	for (size_t i = 0; i < NCB; i++)
		body(&code, in, cbs[i].param, i == 0);
	section(m, 10, &code);
	/* data: the input itself, at DATA_AT */
	sec.n = 0;
	size_t dn = n < 0x4000 ? n : 0x4000;
	uleb(&sec, 1), put(&sec, 0x00), put(&sec, 0x41), sleb(&sec, DATA_AT), put(&sec, 0x0b);
	uleb(&sec, dn), put_bytes(&sec, data, dn);
	section(m, 11, &sec);
}

/* ---- the pipeline -------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct buf mod;
	static struct harness h;
	struct ls_mapping map;
	struct in in = {data, n, 0};
	if (n > 0x4000)
		return 0;
	build(&mod, &in, data, n);
	if (mod.over)
		return 0;
	uint8_t rate = next(&in);
	life_policy_new(&h, &map, rate, next(&in), "hosts=example.com", 17);
	if (ls_policy_load(h.p, mod.b, mod.n, "fuzz.wasm", &h.err) == 0)
		life_run(&h, mod.b, mod.n);
	ls_policy_free(h.p);
	return 0;
}
