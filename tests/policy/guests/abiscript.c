/* abiscript.c - a policy whose every callback runs a script of host calls
 * read from its configuration, for fuzz_hostabi: the fuzzer changes the
 * configuration between inputs and replays a flow's life, so one instance
 * (no decode, no instantiation per input) drives all 22 lockstep imports
 * with hostile arguments many thousand times a second. fuzz_guest covers
 * what this cannot: modules that differ per input.
 *
 * The script is a sequence of 32-byte records (little-endian):
 *   u8  op      0..16 the import (in the order of the switch below),
 *               17 return imm[0], 18 trap, 19 loop until fuel runs out,
 *               20 copy the record's 28 bytes of immediates to
 *               scratch + imm[0] % SCRATCH (to plant strings), else
 *               nothing (so that a random script traps or loops rarely:
 *               a loop burns the whole fuel, a trap restarts the instance);
 *               21..25 the labelled metric imports (metric_define_l with
 *               no help, its label list at imm[3] of length imm[4];
 *               metric_{add,set,observe,delete}_l)
 *   u8  cbs     the callbacks it runs in (bit i: callback i, see CB_*)
 *   u16 src     3 bits per i32 argument: where each one comes from (ARG_*)
 *   i32 imm[5]  the i32 arguments' immediates
 *   i64 wide    the i64 argument, or the f64's bits
 * Records run in order, each callback scanning all of them; a callback
 * returns 0 unless a record returned first. */
#include <lockstep/guest.h>

#define REC 32
#define SCRIPT_MAX 4096
#define SCRATCH 4096

enum { CB_INIT, CB_NEW, CB_DPI, CB_END, CB_EXPIRED, CB_TICK, CB_ADOPTED };

enum {
	ARG_IMM,     /* the immediate */
	ARG_FLOW,    /* the callback's flow handle */
	ARG_LAST,    /* the previous call's result */
	ARG_SCRIPT,  /* a pointer into the script's copy (imm % its length) */
	ARG_EVBUF,   /* a pointer into the event buffer */
	ARG_END,     /* a pointer a few bytes before the end of memory */
	ARG_NASTY,   /* 0, -1, INT32_MIN, INT32_MAX, ... by imm */
	ARG_SCRATCH, /* a pointer into the scratch area */
};

static uint8_t script[SCRIPT_MAX];
static uint8_t scratch[SCRATCH];
static int32_t script_len;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int32_t arg(const uint8_t *r, int i, int32_t flow, int32_t last)
{
	static const int32_t nasty[8] = {
	    0, -1, (int32_t)0x80000000, 0x7fffffff, 0xffff, 0x10000, -4096, 1 << 20};
	uint32_t src = ((uint32_t)r[2] | (uint32_t)r[3] << 8) >> (3 * i) & 7;
	uint32_t imm = rd32(r + 4 + 4 * i);
	uint32_t mem = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
	switch (src) {
	case ARG_FLOW:
		return flow;
	case ARG_LAST:
		return last;
	case ARG_SCRIPT:
		return (int32_t)(uintptr_t)(script + imm % (uint32_t)(script_len ? script_len : 1));
	case ARG_EVBUF:
		return (int32_t)(uintptr_t)(lsg_event_buffer + imm % LSG_EVENT_BUF_SIZE);
	case ARG_END:
		return (int32_t)(mem - imm % 64);
	case ARG_NASTY:
		return nasty[imm % 8];
	case ARG_SCRATCH:
		return (int32_t)(uintptr_t)(scratch + imm % SCRATCH);
	default:
		return (int32_t)imm;
	}
}

static int64_t wide(const uint8_t *r)
{
	return (int64_t)((uint64_t)rd32(r + 24) | (uint64_t)rd32(r + 28) << 32);
}

static double wide_f(const uint8_t *r)
{
	union {
		int64_t i;
		double d;
	} u = {.i = wide(r)};
	return u.d;
}

static int32_t run(int cb, int32_t flow)
{
	static volatile uint32_t spin;
	int32_t last = 0;
	int32_t n = lsg_config_get((char *)script, SCRIPT_MAX);
	script_len = n < 0 ? 0 : n > SCRIPT_MAX ? SCRIPT_MAX : n;
	for (int32_t at = 0; at + REC <= script_len; at += REC) {
		const uint8_t *r = script + at;
		if (!(r[1] >> cb & 1))
			continue;
		int32_t a0 = arg(r, 0, flow, last), a1 = arg(r, 1, flow, last);
		int32_t a2 = arg(r, 2, flow, last), a3 = arg(r, 3, flow, last);
		int32_t a4 = arg(r, 4, flow, last);
		void *p0 = (void *)(uintptr_t)a0, *p1 = (void *)(uintptr_t)a1;
		void *p2 = (void *)(uintptr_t)a2;
		switch (r[0]) {
		case 0:
			last = lsg_set_verdict(a0, a1, wide(r));
			break;
		case 1:
			last = lsg_flow_info(a0, p1);
			break;
		case 2:
			last = lsg_flow_counters(a0, p1);
			break;
		case 3:
			last = lsg_flow_lookup((uint64_t)wide(r));
			break;
		case 4:
			last = lsg_flow_verdict(a0, p1);
			break;
		case 5:
			last = lsg_now(p0);
			break;
		case 6:
			last = lsg_log(a0, p1, (uint32_t)a2);
			break;
		case 7:
			last = lsg_metric_define(a0, p1, (uint32_t)a2, (const char *)(uintptr_t)a3,
						 (uint32_t)a4);
			break;
		case 8:
			last = lsg_metric_add(a0, wide_f(r));
			break;
		case 9:
			last = lsg_metric_set(a0, wide_f(r));
			break;
		case 10:
			last = lsg_metric_observe(a0, wide_f(r));
			break;
		case 11:
			last = lsg_config_get(p0, (uint32_t)a1);
			break;
		case 12:
			last = lsg_kv_get(p0, (uint32_t)a1, p2, (uint32_t)a3);
			break;
		case 13:
			last = lsg_kv_put(p0, (uint32_t)a1, p2, (uint32_t)a3);
			break;
		case 14:
			last = lsg_kv_del(p0, (uint32_t)a1);
			break;
		case 15:
			last = lsg_rule_add(a0, p1, (uint32_t)a2, a3, wide(r));
			break;
		case 16:
			last = lsg_rule_del(a0, p1, (uint32_t)a2);
			break;
		case 17:
			return (int32_t)rd32(r + 4);
		case 18:
			__builtin_trap();
		case 19:
			for (;;)
				spin++;
		case 20:
			for (uint32_t i = 0, o = rd32(r + 4) % SCRATCH; i < REC - 4; i++)
				scratch[(o + i) % SCRATCH] = r[4 + i];
			break;
		case 21:
			last = lsg_metric_define_l(a0, p1, (uint32_t)a2, "", 0,
						   (const char *)(uintptr_t)a3, (uint32_t)a4);
			break;
		case 22:
			last = lsg_metric_add_l(a0, p1, (uint32_t)a2, wide_f(r));
			break;
		case 23:
			last = lsg_metric_set_l(a0, p1, (uint32_t)a2, wide_f(r));
			break;
		case 24:
			last = lsg_metric_observe_l(a0, p1, (uint32_t)a2, wide_f(r));
			break;
		case 25:
			last = lsg_metric_delete_l(a0, p1, (uint32_t)a2);
			break;
		default:
			break;
		}
	}
	return 0;
}

LSG_EXPORT(init) int32_t init(int32_t len)
{
	(void)len;
	return run(CB_INIT, 0);
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	return run(CB_NEW, flow);
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	return run(CB_DPI, flow);
}

LSG_EXPORT(on_flow_end) int32_t on_flow_end(int32_t flow)
{
	return run(CB_END, flow);
}

LSG_EXPORT(on_verdict_expired) int32_t on_verdict_expired(int32_t flow)
{
	return run(CB_EXPIRED, flow);
}

LSG_EXPORT(on_tick) int32_t on_tick(void)
{
	return run(CB_TICK, 0);
}

LSG_EXPORT(on_flow_adopted) int32_t on_flow_adopted(int32_t flow)
{
	return run(CB_ADOPTED, flow);
}
