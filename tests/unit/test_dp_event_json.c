/* test_dp_event_json.c - the JSON line schema of kernel events (docs/events.md):
 * field names, orientation of src/dst, and escaping of hostile names. */
#include "test.h"

#include <stddef.h>
#include <stdlib.h>

#include "dataplane/event_json.h"

/* A fixed wall clock: K + 1700000000 s, which is 2023-11-14T22:13:20Z
 * (1700000000 = 19675 days * 86400 + 80000 s; day 19675 after 1970-01-01 is
 * 2023-11-14, 80000 s is 22:13:20) */
static int64_t fixed_wall(void *ctx, uint64_t k)
{
	(void)ctx;
	return 1700000000000000000ll + (int64_t)k;
}

static struct ls_event mk(unsigned kind)
{
	struct ls_event ev;
	ls_event_wall_source(fixed_wall, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.version = LS_WIRE_VERSION;
	ev.kind = kind;
	ev.ts_k = 123;
	ev.flow_id = 7;
	ev.key.family = 4;
	ev.key.proto = 6;
	ev.key.lo_addr[10] = ev.key.lo_addr[11] = 0xff;
	ev.key.hi_addr[10] = ev.key.hi_addr[11] = 0xff;
	memcpy(ev.key.lo_addr + 12, "\xc6\x12\x00\x01", 4);
	memcpy(ev.key.hi_addr + 12, "\xc6\x12\x00\x02", 4);
	ev.key.lo_port = 80;
	ev.key.hi_port = 40000;
	return ev;
}

TEST(dpi_http_fields_and_orientation)
{
	struct ls_event ev = mk(LS_EV_DPI);
	char out[LS_EVENT_JSON_MAX];
	ev.dir = LS_DIR_HI_TO_LO; /* client 198.18.0.2:40000 -> server :80 */
	ev.sport = 40000;
	ev.dport = 80;
	ev.u.dpi.kind = LS_DPI_HTTP;
	strcpy(ev.u.dpi.method, "GET");
	ev.u.dpi.method_len = 3;
	strcpy(ev.u.dpi.path, "/a\"b");
	ev.u.dpi.path_len = 4;
	strcpy(ev.u.dpi.name, "example.org");
	ev.u.dpi.name_len = 11;
	CHECK(ls_event_json(&ev, out, sizeof(out)) > 0);
	CHECK_EQ_STR(out, "{\"event\":\"dpi\",\"v\":2,\"ts_k\":123,\"ts\":\"2023-11-14T22:13:20."
			  "000000Z\",\"proto\":\"tcp\","
			  "\"src\":\"198.18.0.2\",\"sport\":40000,\"dst\":\"198.18.0.1\","
			  "\"dport\":80,\"flow_id\":7,\"dpi\":\"http\",\"http_method\":\"GET\","
			  "\"http_host\":\"example.org\",\"http_path\":\"/a\\\"b\"}\n");
}

/* wire version 2: the outer header of a tunnelled flow (docs/events.md) */
TEST(tunnel_context)
{
	struct ls_event ev = mk(LS_EV_FLOW_NEW);
	char out[LS_EVENT_JSON_MAX];
	ev.sport = 80;
	ev.dport = 40000;
	ev.tun.type = LS_TUN_VXLAN;
	ev.tun.id = 4242;
	ev.tun.depth = 1;
	ev.tun.outer_family = 6;
	ev.tun.layers = LS_LAYER_VLAN | LS_LAYER_VXLAN;
	ev.tun.outer_src[0] = 0x20, ev.tun.outer_src[1] = 0x01, ev.tun.outer_src[2] = 0x0d;
	ev.tun.outer_src[3] = 0xb8, ev.tun.outer_src[15] = 1;
	memcpy(ev.tun.outer_dst, ev.tun.outer_src, 16);
	ev.tun.outer_dst[15] = 2;
	CHECK(ls_event_json(&ev, out, sizeof(out)) > 0);
	CHECK_EQ_STR(out, "{\"event\":\"flow_new\",\"v\":2,\"ts_k\":123,\"ts\":\"2023-11-14T22:13:"
			  "20.000000Z\",\"proto\":\"tcp\","
			  "\"src\":\"198.18.0.1\",\"sport\":80,\"dst\":\"198.18.0.2\","
			  "\"dport\":40000,\"flow_id\":7,\"encap\":[\"vlan\",\"vxlan\"],"
			  "\"tunnel\":{\"type\":\"vxlan\",\"id\":4242,\"depth\":1,"
			  "\"outer_src\":\"2001:db8::1\",\"outer_dst\":\"2001:db8::2\"}}\n");
	/* MPLS alone: a layer, no tunnel; PPPoE: a tunnel with no outer IP */
	memset(&ev.tun, 0, sizeof(ev.tun));
	ev.tun.layers = LS_LAYER_MPLS;
	CHECK(ls_event_json(&ev, out, sizeof(out)) > 0);
	CHECK(strstr(out, ",\"encap\":[\"mpls\"]}") != NULL);
	ev.tun.layers = LS_LAYER_PPPOE;
	ev.tun.type = LS_TUN_PPPOE;
	ev.tun.id = 0x1234;
	ev.tun.depth = 1;
	CHECK(ls_event_json(&ev, out, sizeof(out)) > 0);
	CHECK(strstr(out, ",\"encap\":[\"pppoe\"],\"tunnel\":{\"type\":\"pppoe\",\"id\":4660,"
			  "\"depth\":1}}") != NULL);
}

/* every line carries the wall time of ts_k in RFC 3339 UTC, microseconds
 * truncated (docs/events.md) */
TEST(wall_time_beside_kernel_time)
{
	struct ls_event ev = mk(LS_EV_BEAT);
	char out[LS_EVENT_JSON_MAX], ts[LS_RFC3339_LEN];
	ev.key.family = 0;
	ev.ts_k = 86400ull * 1000000000ull + 123456789ull; /* one day and 0.123456789 s later */
	CHECK(ls_event_json(&ev, out, sizeof(out)) > 0);
	CHECK(strstr(out, ",\"ts_k\":86400123456789,\"ts\":\"2023-11-15T22:13:20.123456Z\"") !=
	      NULL);
	CHECK_EQ_STR(ls_event_ts(ts, sizeof(ts), 999999), "2023-11-14T22:13:20.000999Z");
	ls_event_wall_source(NULL, NULL);
}

TEST(dpi_lengths_never_trusted_past_buffer)
{
	struct ls_event ev = mk(LS_EV_DPI);
	char out[LS_EVENT_JSON_MAX];
	ev.u.dpi.kind = LS_DPI_TLS;
	ev.u.dpi.flags = LS_DPI_F_PARTIAL;
	/* no NUL at all, in the name nor in the rest of the event after it: a
	 * length trusted past the name's LS_NAME_MAX bytes shows as more 'a' */
	size_t at = offsetof(struct ls_event_dpi, name);
	memset(ev.u.raw + at, 'a', sizeof(ev.u.raw) - at);
	ev.u.dpi.name_len = 65535;
	CHECK(ls_event_json(&ev, out, sizeof(out)) > 0);
	CHECK(strstr(out, "\"partial\":true") != NULL);
	char *s = strstr(out, "\"tls_sni\":\"");
	CHECK(s != NULL);
	if (s)
		CHECK_EQ_INT(strspn(s + 11, "a"), LS_NAME_MAX);
}

TEST(ipv6_dns_and_other_kinds)
{
	struct ls_event ev = mk(LS_EV_DPI);
	char out[LS_EVENT_JSON_MAX];
	ev.key.family = 6;
	ev.key.proto = 17;
	memset(ev.key.lo_addr, 0, 16);
	memset(ev.key.hi_addr, 0, 16);
	ev.key.lo_addr[0] = 0x20, ev.key.lo_addr[1] = 0x01, ev.key.lo_addr[2] = 0x0d;
	ev.key.lo_addr[3] = 0xb8, ev.key.lo_addr[15] = 1;
	ev.u.dpi.kind = LS_DPI_DNS;
	strcpy(ev.u.dpi.name, "a.b");
	ev.u.dpi.name_len = 3;
	ls_event_json(&ev, out, sizeof(out));
	CHECK(strstr(out, "\"src\":\"2001:db8::1\"") != NULL);
	CHECK(strstr(out, "\"proto\":\"udp\"") != NULL);
	CHECK(strstr(out, "\"dns_qname\":\"a.b\"") != NULL);

	ev = mk(LS_EV_FLOW_END);
	ev.u.end.reason = LS_END_RST;
	ev.u.end.pkts[0] = 3;
	ls_event_json(&ev, out, sizeof(out));
	CHECK(strstr(out, "\"event\":\"flow_end\"") != NULL);
	CHECK(strstr(out, "\"reason\":\"rst\",\"pkts\":[3,0]") != NULL);

	ev = mk(LS_EV_VERDICT_EXPIRED);
	ev.u.expired.verdict = LS_VERDICT_DROP;
	ev.u.expired.deadline_k = 99;
	ls_event_json(&ev, out, sizeof(out));
	CHECK(strstr(out, "\"verdict\":\"drop\",\"deadline_k\":99") != NULL);

	memset(&ev, 0, sizeof(ev));
	ev.kind = LS_EV_FAILSAFE;
	ev.u.failsafe.entered = 1;
	ls_event_json(&ev, out, sizeof(out));
	CHECK(strstr(out, "\"state\":\"enter\"") != NULL);
	CHECK(strstr(out, "\"src\"") == NULL);

	ev.kind = 99;
	ls_event_json(&ev, out, sizeof(out));
	CHECK(strstr(out, "\"event\":\"unknown\",\"kind\":99") != NULL);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(dpi_http_fields_and_orientation);
	RUN(tunnel_context);
	RUN(wall_time_beside_kernel_time);
	RUN(dpi_lengths_never_trusted_past_buffer);
	RUN(ipv6_dns_and_other_kinds);
	return test_done();
}
