/* test_dp_wire.c - the kernel/user contract keeps its layout: every offset and
 * size of the structures both sides read, every counter index (with its
 * name) and every constant that crosses the wire, pinned by literal tables,
 * so that a careless edit of wire.h fails here before it corrupts events or
 * metrics in production. */
#include "test.h"
#include "base/names.h"

#include <stddef.h>

#include "dataplane/dataplane.h"
#include "lockstep/wire.h"

/* Every offset and size below is computed by hand from the C layout rules
 * (each field at the next multiple of its alignment), not printed by the
 * compiler: a field moved, resized or reordered in wire.h fails here. */
#define OFF(type, field, want) CHECK_EQ_INT(offsetof(struct type, field), want)
#define SIZE(type, want) CHECK_EQ_INT(sizeof(struct type), want)

TEST(flow_key_layout)
{
	SIZE(ls_flow_key, 48);
	OFF(ls_flow_key, lo_addr, 0);
	OFF(ls_flow_key, hi_addr, 16);
	OFF(ls_flow_key, lo_port, 32);
	OFF(ls_flow_key, hi_port, 34);
	OFF(ls_flow_key, proto, 36);
	OFF(ls_flow_key, family, 37);
	OFF(ls_flow_key, tun_type, 38);
	OFF(ls_flow_key, tun_id, 40);
}

/* wire version 2 (issue 16): the outer header of a tunnelled packet */
TEST(tunnel_layout)
{
	CHECK_EQ_INT(LS_WIRE_VERSION, 2);
	CHECK_EQ_STR(LS_PIN_DIR, "/sys/fs/bpf/lockstep/v2");
	OFF(ls_tunnel, outer_src, 0);
	OFF(ls_tunnel, outer_dst, 16);
	OFF(ls_tunnel, type, 32);
	OFF(ls_tunnel, depth, 33);
	OFF(ls_tunnel, outer_family, 34);
	OFF(ls_tunnel, layers, 35);
	OFF(ls_tunnel, id, 36);
	SIZE(ls_tunnel, 40);
	/* RFC-given numbers: IANA UDP ports are bpf/parse_encap.h's, the
	 * types are the wire's */
	CHECK_EQ_INT(LS_TUN_VXLAN, 1);
	CHECK_EQ_INT(LS_TUN_GENEVE, 2);
	CHECK_EQ_INT(LS_TUN_GRE, 3);
	CHECK_EQ_INT(LS_TUN_GRE_UDP, 4);
	CHECK_EQ_INT(LS_TUN_ERSPAN, 5);
	CHECK_EQ_INT(LS_TUN_IPIP, 6);
	CHECK_EQ_INT(LS_TUN_PPPOE, 7);
	CHECK_EQ_INT(LS_TUN_VXLAN_GPE, 8);
	CHECK_EQ_INT(LS_TUN_GTPU, 9);
	CHECK_EQ_INT(LS_TUN_TEREDO, 10);
}

TEST(event_layout)
{
	OFF(ls_event, version, 0);
	OFF(ls_event, kind, 2);
	OFF(ls_event, dir, 4);
	OFF(ls_event, ts_k, 8);
	OFF(ls_event, flow_id, 16);
	OFF(ls_event, key, 24);
	OFF(ls_event, sport, 72);
	OFF(ls_event, dport, 74);
	OFF(ls_event, tun, 80);
	OFF(ls_event, u, 120);
	SIZE(ls_event, 544); /* u: raw[424], the largest member */
	OFF(ls_event_dpi, kind, 0);
	OFF(ls_event_dpi, flags, 1);
	OFF(ls_event_dpi, name_len, 2);
	OFF(ls_event_dpi, path_len, 4);
	OFF(ls_event_dpi, method_len, 6);
	OFF(ls_event_dpi, method, 8);
	OFF(ls_event_dpi, path, 24);
	OFF(ls_event_dpi, index, 7);
	OFF(ls_event_dpi, name, 156);
	OFF(ls_event_dpi, alpn_len, 412); /* 156 + 256 */
	OFF(ls_event_dpi, alpn, 413);
	SIZE(ls_event_dpi, 424);
	/* LS_EV_PAYLOAD's header */
	OFF(ls_event_payload, cap_len, 0);
	OFF(ls_event_payload, pay_len, 4);
	OFF(ls_event_payload, seq, 8);
	OFF(ls_event_payload, proto, 12);
	SIZE(ls_event_payload, 16);
	OFF(ls_event_flow_end, pkts, 0);
	OFF(ls_event_flow_end, bytes, 16);
	OFF(ls_event_flow_end, reason, 32);
	SIZE(ls_event_flow_end, 40);
	OFF(ls_event_expired, deadline_k, 0);
	OFF(ls_event_expired, verdict, 8);
	SIZE(ls_event_expired, 16);
	OFF(ls_event_failsafe, last_beat_k, 0);
	OFF(ls_event_failsafe, entered, 8);
	OFF(ls_event_failsafe, shard, 12);
	SIZE(ls_event_failsafe, 16);
	OFF(ls_shard_live, alive_k, 0);
	OFF(ls_shard_live, in_failsafe, 8);
	OFF(ls_shard_live, entered_k, 16);
	OFF(ls_shard_live, enters, 24);
	OFF(ls_shard_live, leaves, 32);
	OFF(ls_shard_live, defaults, 40);
	SIZE(ls_shard_live, 64);
	OFF(ls_event_trace, verdict, 0);
	OFF(ls_event_trace, frame_len, 4);
	OFF(ls_event_trace, tcp_flags, 8);
	SIZE(ls_event_trace, 16);
	OFF(ls_event_beat, seq, 0);
	OFF(ls_event_beat, planned_k, 8);
	OFF(ls_event_beat, fired_k, 16);
	OFF(ls_event_beat, interval_ns, 24);
	SIZE(ls_event_beat, 32);
	CHECK_EQ_INT(LS_NAME_MAX, 256);
	CHECK_EQ_INT(LS_PATH_MAX, 132);
	CHECK_EQ_INT(LS_METHOD_MAX, 16);
}

TEST(map_value_layout)
{
	OFF(ls_flow, first_seen_k, 0);
	OFF(ls_flow, last_seen_k, 8);
	OFF(ls_flow, pkts, 16);
	OFF(ls_flow, bytes, 32);
	OFF(ls_flow, flow_id, 48);
	OFF(ls_flow, tcp_flags, 56);
	OFF(ls_flow, state, 58);
	OFF(ls_flow, dpi_pkts, 59);
	OFF(ls_flow, dpi_done, 60);
	OFF(ls_flow, init_dir, 61);
	OFF(ls_flow, last_verdict, 62);
	OFF(ls_flow, hold, 63);
	SIZE(ls_flow, 64);
	OFF(ls_verdict_rec, deadline_k, 0);
	OFF(ls_verdict_rec, set_k, 8);
	OFF(ls_verdict_rec, verdict, 16);
	SIZE(ls_verdict_rec, 24);
	OFF(ls_config, version, 0);
	OFF(ls_config, default_verdict, 4);
	OFF(ls_config, dpi_max_pkts, 8);
	OFF(ls_config, trace_level, 12);
	OFF(ls_config, idle_timeout_ns, 16);
	OFF(ls_config, trace_port, 24);
	OFF(ls_config, trace_proto, 26);
	OFF(ls_config, expiry_mode, 27);
	SIZE(ls_config, 56);
	OFF(ls_liveness, last_beat_k, 0);
	OFF(ls_liveness, detect_timeout_ns, 8);
	OFF(ls_liveness, mode, 16);
	OFF(ls_liveness, in_failsafe, 20);
	OFF(ls_liveness, entered_k, 24);
	SIZE(ls_liveness, 48);
}

/* Counter indices are read by index from a pinned map and named in metrics:
 * never renumbered. The literal table is the contract (docs/dataplane.md,
 * Counters): each index, its enum constant and the name user space gives it. */
TEST(counter_indices_are_stable)
{
	static const struct {
		int want, got;
		const char *name;
	} t[] = {
	    {0, LS_CNT_PKTS, "pkts"},
	    {1, LS_CNT_PASS, "pass"},
	    {2, LS_CNT_DROP_VERDICT, "drop_verdict"},
	    {3, LS_CNT_DROP_DEFAULT, "drop_default"},
	    {4, LS_CNT_DROP_FAILSAFE, "drop_failsafe"},
	    {5, LS_CNT_UNPARSED_ETH, "unparsed_eth"},
	    {6, LS_CNT_UNPARSED_ETHERTYPE, "unparsed_ethertype"},
	    {7, LS_CNT_UNPARSED_IPV4, "unparsed_ipv4"},
	    {8, LS_CNT_UNPARSED_IPV6, "unparsed_ipv6"},
	    {9, LS_CNT_UNPARSED_IPV6_EXT, "unparsed_ipv6_ext"},
	    {10, LS_CNT_UNPARSED_L4, "unparsed_l4"},
	    {11, LS_CNT_UNPARSED_PROTO, "unparsed_proto"},
	    {12, LS_CNT_FRAGMENT, "fragment"},
	    {13, LS_CNT_FLOW_NEW, "flow_new"},
	    {14, LS_CNT_FLOW_END, "flow_end"},
	    {15, LS_CNT_DPI_HTTP, "dpi_http"},
	    {16, LS_CNT_DPI_TLS, "dpi_tls"},
	    {17, LS_CNT_DPI_DNS, "dpi_dns"},
	    {18, LS_CNT_DPI_MALFORMED, "dpi_malformed"},
	    {19, LS_CNT_DPI_PARTIAL, "dpi_partial"},
	    {20, LS_CNT_VERDICT_EXPIRED, "verdict_expired"},
	    {21, LS_CNT_RINGBUF_FULL, "ringbuf_full"},
	    {22, LS_CNT_FAILSAFE_ENTER, "failsafe_enter"},
	    {23, LS_CNT_FAILSAFE_LEAVE, "failsafe_leave"},
	    {24, LS_CNT_FAILSAFE_HONOURED, "failsafe_honoured"},
	    {25, LS_CNT_BEAT, "beat"},
	    {26, LS_CNT_FLOW_INSERT_FAIL, "flow_insert_fail"},
	    {27, LS_CNT_STICKY_PASS, "sticky_pass"},
	    {28, LS_CNT_FAILSAFE_DEFAULT, "failsafe_default"},
	    {29, LS_CNT_DPI_NONE, "dpi_none"},
	    {30, LS_CNT_HELD, "held"},
	    {31, LS_CNT_HOLD_OVERFLOW, "hold_overflow"},
	    {32, LS_CNT_HOLD_STALE, "hold_stale"},
	    {33, LS_CNT_HOLD_HANDSHAKE, "hold_handshake"},
	    {34, LS_CNT_REJECT_DNS, "reject_dns"},
	    {35, LS_CNT_REJECT_TCP, "reject_tcp"},
	    {36, LS_CNT_REJECT_ICMP, "reject_icmp"},
	    {37, LS_CNT_REJECT_LIMITED, "reject_limited"},
	    {38, LS_CNT_REJECT_NONE, "reject_none"},
	    {39, LS_CNT_RULE_DNS, "rule_dns"},
	    {40, LS_CNT_RULE_TLS, "rule_tls"},
	    {41, LS_CNT_RULE_HTTP, "rule_http"},
	    {42, LS_CNT_RULE_PREFIX, "rule_prefix"},
	    {43, LS_CNT_RULE_EXPIRED, "rule_expired"},
	    {44, LS_CNT_DPI_CUT, "dpi_cut"},
	    {45, LS_CNT_ENCAP_LIMIT, "encap_limit"},
	    {46, LS_CNT_ENCAP_MALFORMED, "encap_malformed"},
	    {47, LS_CNT_TUNNELLED, "tunnelled"},
	    {48, LS_CNT_DPI_HANDOFF, "dpi_handoff"},
	};
	unsigned n = sizeof(t) / sizeof(t[0]);
	for (unsigned i = 0; i < n; i++) {
		if (t[i].got != t[i].want)
			printf("# counter %s is index %d, pinned %d\n", t[i].name, t[i].got,
			       t[i].want);
		CHECK_EQ_INT(t[i].got, t[i].want);
		CHECK_EQ_STR(ls_counter_name((unsigned)t[i].want), t[i].name);
	}
	/* the table covers every counter: the index after the last is unnamed */
	CHECK(ls_counter_name(n) == NULL);
	CHECK_EQ_INT(LS_CNT__MAX, 64);
}

/* The other numbers that cross the wire: event kinds, DPI kinds and flags,
 * flow-end reasons, verdicts, flow states, modes, directions, the version. */
TEST(wire_constants_are_stable)
{
	CHECK_EQ_INT(LS_WIRE_VERSION, 2);
	CHECK_EQ_INT(LS_EV_FLOW_NEW, 1);
	CHECK_EQ_INT(LS_EV_DPI, 2);
	CHECK_EQ_INT(LS_EV_FLOW_END, 3);
	CHECK_EQ_INT(LS_EV_VERDICT_EXPIRED, 4);
	CHECK_EQ_INT(LS_EV_FAILSAFE, 5);
	CHECK_EQ_INT(LS_EV_BEAT, 6);
	CHECK_EQ_INT(LS_EV_TRACE, 7);
	CHECK_EQ_INT(LS_EV_HELD, 8);
	CHECK_EQ_INT(LS_EV_PAYLOAD, 9);
	CHECK_EQ_INT(LS_PAY_QUIC, 1);
	CHECK_EQ_INT(LS_PAY_H2, 2);
	CHECK_EQ_INT(LS_DPI_F_QUIC, 4);
	CHECK_EQ_INT(LS_DPI_F_H2, 8);
	CHECK_EQ_INT(LS_DPI_F_GRPC, 16);
	CHECK_EQ_INT(LS_DPI_HTTP, 1);
	CHECK_EQ_INT(LS_DPI_TLS, 2);
	CHECK_EQ_INT(LS_DPI_DNS, 4);
	CHECK_EQ_INT(LS_DPI_F_PARTIAL, 1);
	CHECK_EQ_INT(LS_DPI_F_TRUNCATED, 2);
	CHECK_EQ_INT(LS_END_FIN, 1);
	CHECK_EQ_INT(LS_END_RST, 2);
	CHECK_EQ_INT(LS_END_IDLE, 3);
	CHECK_EQ_INT(LS_VERDICT_UNDECIDED, 0);
	CHECK_EQ_INT(LS_VERDICT_PASS, 1);
	CHECK_EQ_INT(LS_VERDICT_DROP, 2);
	CHECK_EQ_INT(LS_VERDICT_HOLD, 3);
	CHECK_EQ_INT(LS_VERDICT_REJECT, 4);
	CHECK_EQ_INT(LS_VERDICT_F_NXDOMAIN, 0x100);
	CHECK_EQ_INT(LS_FLOW_NEW, 0);
	CHECK_EQ_INT(LS_FLOW_ESTABLISHED, 1);
	CHECK_EQ_INT(LS_FLOW_CLOSING, 2);
	CHECK_EQ_INT(LS_FLOW_CLOSED, 3);
	CHECK_EQ_INT(LS_EXPIRY_STICKY, 0);
	CHECK_EQ_INT(LS_EXPIRY_STRICT, 1);
	CHECK_EQ_INT(LS_FAILSAFE_OFF, 0);
	CHECK_EQ_INT(LS_FAILSAFE_PASS, 1);
	CHECK_EQ_INT(LS_FAILSAFE_DROP, 2);
	CHECK_EQ_INT(LS_DIR_LO_TO_HI, 0);
	CHECK_EQ_INT(LS_DIR_HI_TO_LO, 1);
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
	CHECK_EQ_STR(ls_verdict_name(LS_VERDICT_REJECT | LS_VERDICT_F_NXDOMAIN), "reject-nxdomain");
	uint32_t v = 0;
	CHECK(ls_verdict_parse("reject", &v) == 0 && v == LS_VERDICT_REJECT);
	CHECK_EQ_INT(ls_verdict_parse("rejec", &v), -1);
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
	RUN(tunnel_layout);
	RUN(reject_verdict_and_rate);
	RUN(event_layout);
	RUN(map_value_layout);
	RUN(counter_indices_are_stable);
	RUN(hold_layout);
	RUN(wire_constants_are_stable);
	return test_done();
}
