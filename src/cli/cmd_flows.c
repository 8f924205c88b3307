/* cmd_flows.c - `lockstep flows`: the flow table of the running data plane,
 * oriented client -> server (the direction of each flow's first packet),
 * with the verdict each flow currently has. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "dataplane/dataplane.h"
#include "base/names.h"
#include "dataplane/event_json.h"

#include <stdio.h>
#include <string.h>

static const struct ls_opt rows[] = {
    LS_OPT("json", 'j', NULL, LS_OPT_JSON, "JSON lines instead of a table"),
    LS_OPT_PIN_DIR(LS_OPT_DIR),
};

static const struct ls_cmd_spec spec = {
    .name = "flows",
    .synopsis = "[--json] [--pin-dir DIR]",
    .about = "List the flows the data plane tracks, client -> server, with packets and\n"
	     "bytes each way, state and verdict. --json prints one object per line.\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 22,
};

struct ctx {
	struct ls_dp *dp;
	bool json;
	int n;
};

static const char *state_name(unsigned s)
{
	static const char *const n[] = {"new", "established", "closing", "closed"};
	return s < 4 ? n[s] : "unknown";
}

static int one(void *arg, const struct ls_flow_key *k, const struct ls_flow *f)
{
	struct ctx *c = arg;
	int cs = f->init_dir == LS_DIR_HI_TO_LO; /* index of client->server counters */
	char src[64], dst[64], proto_num[8];
	const char *proto = ls_proto_name(k->proto);
	struct ls_verdict_rec rec = {0};
	struct ls_err err;

	ls_flow_addr_str(cs ? k->hi_addr : k->lo_addr, k->family, src, sizeof(src));
	ls_flow_addr_str(cs ? k->lo_addr : k->hi_addr, k->family, dst, sizeof(dst));
	unsigned sport = cs ? k->hi_port : k->lo_port, dport = cs ? k->lo_port : k->hi_port;
	if (!strcmp(proto, "unknown")) {
		snprintf(proto_num, sizeof(proto_num), "%u", k->proto);
		proto = proto_num;
	}
	ls_dp_verdict_get(c->dp, k, &rec, &err);
	const char *v = ls_verdict_name(rec.verdict);
	if (c->json) {
		printf(
		    "{\"flow_id\":%llu,\"proto\":\"%s\",\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\","
		    "\"dport\":%u,\"state\":\"%s\",\"pkts_c2s\":%llu,\"pkts_s2c\":%llu,"
		    "\"bytes_c2s\":%llu,\"bytes_s2c\":%llu,\"tcp_flags_c2s\":%u,\"tcp_flags_s2c\":%"
		    "u,"
		    "\"first_seen_k\":%llu,\"last_seen_k\":%llu,\"dpi_pkts\":%u,\"dpi_done\":%u,"
		    "\"verdict\":\"%s\",\"deadline_k\":%llu",
		    (unsigned long long)f->flow_id, proto, src, sport, dst, dport,
		    state_name(f->state), (unsigned long long)f->pkts[cs],
		    (unsigned long long)f->pkts[!cs], (unsigned long long)f->bytes[cs],
		    (unsigned long long)f->bytes[!cs], f->tcp_flags[cs], f->tcp_flags[!cs],
		    (unsigned long long)f->first_seen_k, (unsigned long long)f->last_seen_k,
		    f->dpi_pkts, f->dpi_done, v, (unsigned long long)rec.deadline_k);
		if (k->tun_type) /* the tunnel the flow was found in (its key) */
			printf(",\"tunnel\":{\"type\":\"%s\",\"id\":%u}", ls_tun_name(k->tun_type),
			       k->tun_id);
		printf("}\n");
	} else {
		if (!c->n)
			printf("%-6s %-40s %-40s %-11s %10s %10s %-9s\n", "PROTO", "CLIENT",
			       "SERVER", "STATE", "PKTS>", "PKTS<", "VERDICT");
		char a[80], b[80];
		snprintf(a, sizeof(a), k->family == 6 ? "[%s]:%u" : "%s:%u", src, sport);
		snprintf(b, sizeof(b), k->family == 6 ? "[%s]:%u" : "%s:%u", dst, dport);
		printf("%-6s %-40s %-40s %-11s %10llu %10llu %-9s\n", proto, a, b,
		       state_name(f->state), (unsigned long long)f->pkts[cs],
		       (unsigned long long)f->pkts[!cs], v);
	}
	c->n++;
	return 0;
}

int cmd_flows(int argc, char **argv)
{
	struct ctx c = {0};
	struct ls_json_dir_args a = {0};
	int first, rc0 = ls_opts_parse(&spec, argc, argv, ls_opt_json_dir, &a, &first);
	if (rc0 >= 0)
		return rc0;
	const char *dir = a.dir;
	c.json = a.json;
	struct ls_err err;
	if (ls_dp_open_pins(&c.dp, dir, &err)) {
		fprintf(stderr, "lockstep flows: %s\n", err.msg);
		return 1;
	}
	int rc = ls_dp_flows_foreach(c.dp, one, &c, &err);
	if (rc)
		fprintf(stderr, "lockstep flows: %s\n", err.msg);
	else if (!c.json && !c.n)
		printf("no flows\n");
	ls_dp_close(c.dp);
	return rc ? 1 : 0;
}
