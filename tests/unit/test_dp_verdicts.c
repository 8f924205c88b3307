/* test_dp_verdicts.c - the agent's side of the data plane's maps, against
 * the real program loaded in this kernel (BPF_PROG_TEST_RUN, private maps):
 * ls_dp_open_testrun gives the ring buffer through ls_dp_events_drain and
 * the verdict map; ls_dp_verdicts_write writes a batch in order (the last
 * verdict for a key wins), skips an invalid one without losing those after
 * it, stamps set_k, and the program enforces what it wrote. Needs root. */
#include "test.h"
#include "frame4.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>

#include "dataplane/dataplane.h"
#include "dataplane/testrun.h"

static struct ls_event evs[64];
static int nev;

static int collect(void *ctx, const struct ls_event *ev)
{
	(void)ctx;
	if (nev < 64)
		evs[nev++] = *ev;
	return 0;
}

/* Ethernet + IPv4 + TCP ACK|PSH with 4 payload bytes, 198.18.0.1:sport ->
 * 198.18.0.2:80 */
static uint32_t frame(uint8_t *o, uint16_t sport)
{
	return (uint32_t)frame4(o, &(struct frame4){.proto = 6,
						    .src = {198, 18, 0, 1},
						    .dst = {198, 18, 0, 2},
						    .sport = sport,
						    .dport = 80,
						    .pay = "ping",
						    .plen = 4});
}

static void key_of(struct ls_flow_key *k, uint16_t sport)
{
	static const uint8_t a[4] = {198, 18, 0, 1}, b[4] = {198, 18, 0, 2};
	ls_flow_key_make(k, 6, 4, a, sport, b, 80);
}

TEST(events_and_verdicts_through_a_test_run)
{
	struct ls_err err;
	struct ls_err derr;
	struct ls_testrun *t;
	ls_testrun_open(&t, NULL, NULL, NULL, &err);
	if (!t) {
		printf("# %s\n", err.msg);
		SKIP("cannot load the data plane (root and BPF needed)");
	}
	struct ls_dp *dp = NULL;
	CHECK_EQ_INT(ls_dp_open_testrun(&dp, t, &derr), 0);
	CHECK_EQ_INT(ls_dp_events_open(dp, collect, NULL, &derr), 0);
	CHECK(ls_dp_events_fd(dp) >= 0);
	CHECK_EQ_STR(ls_dp_pin_dir(dp), "");

	/* the ring buffer reaches the agent's consumer: a new flow's events */
	uint8_t f[64];
	uint32_t n = frame(f, 40000), act;
	CHECK_EQ_INT(ls_testrun_repeat(t, LS_TR_XDP, f, n, 1, &(uint64_t){0}), 0);
	nev = 0;
	CHECK(ls_dp_events_drain(dp) >= 1);
	CHECK(nev >= 1 && evs[0].kind == LS_EV_FLOW_NEW);

	/* a batch: pass, an invalid verdict, drop; then the same key again
	 * (pass) and a second flow's drop; the last for a key wins */
	struct ls_flow_key k[5];
	struct ls_verdict_rec r[5];
	int rc[5];
	key_of(&k[0], 40000);
	key_of(&k[1], 40001);
	key_of(&k[2], 40000);
	key_of(&k[3], 40002);
	key_of(&k[4], 40000);
	uint32_t v[5] = {LS_VERDICT_PASS, 7, LS_VERDICT_PASS, LS_VERDICT_DROP, LS_VERDICT_DROP};
	uint64_t before = ls_now_k();
	for (int i = 0; i < 5; i++)
		r[i] = (struct ls_verdict_rec){.verdict = v[i], .deadline_k = i ? 0 : before + 1};
	memset(&derr, 0, sizeof(derr));
	CHECK_EQ_INT(ls_dp_verdicts_write(dp, k, r, 5, rc, &derr), 4);
	CHECK_EQ_INT(rc[0], 0);
	CHECK_EQ_INT(rc[1], -EINVAL);
	CHECK(strstr(derr.msg, "is not pass, drop or reject"));
	CHECK_EQ_INT(rc[2], 0);
	CHECK_EQ_INT(rc[3], 0);
	CHECK_EQ_INT(rc[4], 0);
	struct ls_verdict_rec got;
	CHECK_EQ_INT(ls_dp_verdict_get(dp, &k[0], &got, &derr), 0);
	CHECK_EQ_INT(got.verdict, LS_VERDICT_DROP);
	CHECK(got.set_k >= before && got.set_k <= ls_now_k());
	CHECK_EQ_INT(ls_dp_verdict_get(dp, &k[1], &got, &derr), -ENOENT);
	CHECK_EQ_INT(ls_dp_verdict_get(dp, &k[3], &got, &derr), 0);
	CHECK_EQ_INT(got.verdict, LS_VERDICT_DROP);

	/* the program enforces it: the flow on 40000 is now dropped */
	CHECK_EQ_INT(ls_testrun_packet(t, LS_TR_XDP, f, n, &act), 0);
	CHECK_EQ_INT(act, XDP_DROP);
	/* and a batch of one pass lets it through again */
	r[0] = (struct ls_verdict_rec){.verdict = LS_VERDICT_PASS};
	CHECK_EQ_INT(ls_dp_verdicts_write(dp, k, r, 1, NULL, &derr), 1);
	CHECK_EQ_INT(ls_testrun_packet(t, LS_TR_XDP, f, n, &act), 0);
	CHECK_EQ_INT(act, XDP_PASS);
	CHECK_EQ_INT(ls_dp_verdicts_write(dp, k, r, 0, NULL, &derr), 0);

	ls_dp_close(dp);
	ls_testrun_close(t);
}

TEST(a_full_map_fails_the_new_keys_only)
{
	struct ls_err err;
	struct ls_err derr;
	struct ls_testrun *t;
	ls_testrun_open(&t, NULL, NULL, NULL, &err);
	if (!t)
		SKIP("cannot load the data plane (root and BPF needed)");
	struct ls_dp *dp = NULL;
	CHECK_EQ_INT(ls_dp_open_testrun(&dp, t, &derr), 0);
	/* fill the verdict map (65536 entries) in batches of 4096 */
	enum { B = 4096 };
	static struct ls_flow_key k[B];
	static struct ls_verdict_rec r[B];
	static int rc[B];
	uint32_t total = 0;
	for (uint32_t base = 0; base < 65536; base += B) {
		for (uint32_t i = 0; i < B; i++) {
			uint8_t a[4] = {198, 18, (uint8_t)((base + i) >> 8), (uint8_t)(base + i)};
			uint8_t b[4] = {198, 19, 0, 1};
			ls_flow_key_make(&k[i], 6, 4, a, 1000, b, 80);
			r[i] = (struct ls_verdict_rec){.verdict = LS_VERDICT_PASS};
		}
		total += (uint32_t)ls_dp_verdicts_write(dp, k, r, B, NULL, &derr);
	}
	CHECK_EQ_INT(total, 65536);
	/* full: an update of a present key still works, a new key fails, and
	 * one does not stop the other */
	struct ls_flow_key k2[3];
	struct ls_verdict_rec r2[3];
	uint8_t a[4] = {198, 18, 0, 5}, nw[4] = {198, 18, 255, 255}, b[4] = {198, 19, 0, 1};
	uint8_t c[4] = {198, 18, 0, 6};
	ls_flow_key_make(&k2[0], 6, 4, nw, 1, b, 80); /* not in the map */
	ls_flow_key_make(&k2[1], 6, 4, a, 1000, b, 80);
	ls_flow_key_make(&k2[2], 6, 4, c, 1000, b, 80);
	for (int i = 0; i < 3; i++)
		r2[i] = (struct ls_verdict_rec){.verdict = LS_VERDICT_DROP};
	memset(&derr, 0, sizeof(derr));
	CHECK_EQ_INT(ls_dp_verdicts_write(dp, k2, r2, 3, rc, &derr), 2);
	CHECK(rc[0] < 0);
	CHECK(strstr(derr.msg, "writing map 'verdicts'"));
	CHECK_EQ_INT(rc[1], 0);
	CHECK_EQ_INT(rc[2], 0);
	struct ls_verdict_rec got;
	CHECK_EQ_INT(ls_dp_verdict_get(dp, &k2[2], &got, &derr), 0);
	CHECK_EQ_INT(got.verdict, LS_VERDICT_DROP);
	printf("# full map: %s\n", derr.msg);
	ls_dp_close(dp);
	ls_testrun_close(t);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(events_and_verdicts_through_a_test_run);
	RUN(a_full_map_fails_the_new_keys_only);
	return test_done();
}
