/* test_dp_wire.c - the kernel/user contract keeps its layout: offsets of the
 * fields both sides read, so that a careless edit of wire.h fails here
 * before it corrupts events in production. */
#include "test.h"

#include <stddef.h>

#include "lockstep/wire.h"

TEST(flow_key_layout)
{
	CHECK_EQ_INT(sizeof(struct ls_flow_key), 40);
	CHECK_EQ_INT(offsetof(struct ls_flow_key, hi_addr), 16);
	CHECK_EQ_INT(offsetof(struct ls_flow_key, lo_port), 32);
	CHECK_EQ_INT(offsetof(struct ls_flow_key, proto), 36);
}

TEST(event_layout)
{
	CHECK_EQ_INT(offsetof(struct ls_event, ts_k), 8);
	CHECK_EQ_INT(offsetof(struct ls_event, key), 24);
	CHECK_EQ_INT(offsetof(struct ls_event, u) % 8, 0);
	CHECK_EQ_INT(sizeof(struct ls_event) % 8, 0);
	CHECK(sizeof(((struct ls_event *)0)->u) >= sizeof(struct ls_event_dpi));
}

TEST(map_values_are_8_aligned)
{
	CHECK_EQ_INT(sizeof(struct ls_flow) % 8, 0);
	CHECK_EQ_INT(sizeof(struct ls_verdict_rec) % 8, 0);
	CHECK_EQ_INT(sizeof(struct ls_config) % 8, 0);
	CHECK_EQ_INT(sizeof(struct ls_liveness) % 8, 0);
}

/* Counter indices are read by index from a pinned map: never renumbered. */
TEST(counter_indices_are_stable)
{
	CHECK_EQ_INT(LS_CNT_PKTS, 0);
	CHECK_EQ_INT(LS_CNT_FRAGMENT, 12);
	CHECK_EQ_INT(LS_CNT_BEAT, 25);
	CHECK_EQ_INT(LS_CNT_FLOW_INSERT_FAIL, 26);
	CHECK_EQ_INT(LS_CNT_DPI_NONE, 29);
	CHECK_EQ_INT(LS_CNT_HELD, 30);
	CHECK_EQ_INT(LS_CNT_HOLD_HANDSHAKE, 33);
	CHECK(LS_CNT_HOLD_HANDSHAKE < LS_CNT__MAX);
	CHECK_EQ_INT(LS_CNT_REJECT_DNS, 34);
	CHECK_EQ_INT(LS_CNT_REJECT_NONE, 38);
	CHECK(LS_CNT_REJECT_NONE < LS_CNT__MAX);
	CHECK_EQ_INT(offsetof(struct ls_flow, last_verdict), 62);
	CHECK_EQ_INT(offsetof(struct ls_flow, hold), 63);
}

/* Rejects: the verdict value, its flag, and where the rate lives. */
TEST(reject_verdict_and_rate)
{
	CHECK_EQ_INT(LS_VERDICT_REJECT, 4);
	CHECK_EQ_INT(offsetof(struct ls_config, reject_rate), 40);
	CHECK_EQ_INT(sizeof(struct ls_config), 56);
	CHECK(ls_verdict_valid(LS_VERDICT_REJECT | LS_VERDICT_F_NXDOMAIN));
	CHECK(!ls_verdict_valid(LS_VERDICT_DROP | LS_VERDICT_F_NXDOMAIN));
	CHECK(!ls_verdict_valid(LS_VERDICT_HOLD) && !ls_verdict_valid(5) && !ls_verdict_valid(0) &&
	      !ls_verdict_valid(0x203));
	CHECK_EQ_STR(ls_verdict_str(LS_VERDICT_REJECT | LS_VERDICT_F_NXDOMAIN), "reject-nxdomain");
	CHECK_EQ_INT(ls_verdict_from_str("reject"), LS_VERDICT_REJECT);
	CHECK_EQ_INT(ls_verdict_from_str("rejec"), 0);
}

/* The hold slot is shared memory both sides CAS (wire.h): its ctl word
 * first, 8-aligned; the held record's frame follows the fixed event. */
TEST(hold_layout)
{
	CHECK_EQ_INT(sizeof(struct ls_hold_slot), 32);
	CHECK_EQ_INT(offsetof(struct ls_hold_slot, ctl), 0);
	CHECK_EQ_INT(offsetof(struct ls_config, hold_max_pkts), 28);
	CHECK_EQ_INT(offsetof(struct ls_config, hold_stale_ns), 32);
	CHECK_EQ_INT(sizeof(struct ls_config), 56);
	CHECK(ls_hold_tag_of(0) != 0 && ls_hold_tag_of(12345) < (1u << 24));
	CHECK(ls_hold_slot_of(~0ull) < LS_HOLD_SLOTS);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(flow_key_layout);
	RUN(reject_verdict_and_rate);
	RUN(event_layout);
	RUN(map_values_are_8_aligned);
	RUN(counter_indices_are_stable);
	RUN(hold_layout);
	return test_done();
}
