/* fuzz_hostabi.c - libFuzzer target for the host ABI at speed: one policy,
 * the abiscript guest (tests/policy/guests/abiscript.c, built by clang for
 * wasm32), whose callbacks run the input as a script of host calls with
 * hostile arguments (pointers into the event buffer, past the end of
 * memory, huge lengths, INT64_MAX and negative TTLs, NaN metric values,
 * the previous call's result) and may return, trap or loop until fuel runs
 * out. The input becomes the guest's configuration (read by config_get, the
 * real import) and the policy gets a flow's life (guest_life.h: limits,
 * clock, invariants); an input that starts with "RL" also reloads
 * the module mid-life, so adoption runs too (rarely: a new instance costs
 * as much as a thousand inputs; fuzz_guest reloads on every input).
 *
 * The policy is kept across inputs, so the store, the metrics and the rules
 * fill as they would in a long-lived agent; it is made anew every RENEW
 * inputs so that the paths of an empty store and table stay reachable. A
 * crash may therefore depend on up to RENEW - 1 earlier inputs: replay the
 * run's corpus in order (-runs with the corpus directory) if the input
 * alone does not crash. Run by tests/fuzz/fuzz_ci.sh (seeds
 * tests/fuzz/corpus/hostabi/); needs build/guests/test/abiscript.wasm
 * (make guests) and is started from the project root. */
#include "guest_life.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RENEW 256
#define GUEST "build/guests/test/abiscript.wasm"

static uint8_t *wasm;
static size_t wasm_len;

static void read_guest(void)
{
	FILE *f = fopen(GUEST, "rb");
	if (!f) {
		fprintf(stderr,
			"fuzz_hostabi: cannot open %s: %s (run from the project root "
			"after `make guests`)\n",
			GUEST, strerror(errno));
		exit(1);
	}
	static uint8_t buf[1 << 20];
	wasm_len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	wasm = buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct harness h;
	static struct ls_mapping map;
	static unsigned runs;
	if (!wasm)
		read_guest();
	if (n > 4096)
		return 0;
	if (runs++ % RENEW == 0) {
		if (h.p)
			ls_policy_free(h.p);
		life_policy_new(&h, &map, n ? data[n - 1] : 128, n >= 2 ? data[n - 2] : 0, "", 0);
		if (ls_policy_load(h.p, wasm, wasm_len, "abiscript.wasm", &h.err)) {
			fprintf(stderr, "fuzz_hostabi: %s: %s\n", GUEST, h.err.msg);
			exit(1);
		}
	}
	ls_policy_set_guest_config(h.p, (const char *)data, n);
	life_run(&h, n >= 2 && data[0] == 'R' && data[1] == 'L' ? wasm : NULL, wasm_len);
	return 0;
}
