/* cmd_verdict.c - `lockstep verdict set|del|get`: write, remove or show
 * the verdict of one flow in the pinned verdicts map, by hand (the policy
 * part does the same through the dataplane API). */
#include "cli/cli.h"
#include "cli/opts.h"
#include "base/args.h"
#include "base/names.h"
#include "dataplane/dataplane.h"

#include <stdio.h>
#include <string.h>

enum { O_FLOW = 1, O_TTL, O_PIN_DIR };

static const struct ls_opt rows[] = {
    LS_OPT("flow", 'f', "TUPLE", O_FLOW, "e.g. 'tcp 198.18.0.1 40000 198.18.0.2 80'"),
    LS_OPT("ttl", 't', "DURATION", O_TTL, "250ms, 10s, 5m, 1h ... (default: no deadline)"),
    LS_OPT_PIN_DIR(O_PIN_DIR),
};

static const struct ls_cmd_spec spec = {
    .name = "verdict",
    .synopsis = "set --flow 'PROTO SRC SPORT DST DPORT' pass|drop|reject|reject-nxdomain [--ttl DURATION]\n"
		"del --flow 'PROTO SRC SPORT DST DPORT'\n"
		"get --flow 'PROTO SRC SPORT DST DPORT'",
    .about = "Set, delete or show the verdict of one flow in the running data plane.\n"
	     "Either orientation of the flow names the same flow. With --ttl the verdict\n"
	     "expires (the flow becomes undecided again; it is not dropped for that).\n"
	     "reject: dropped and answered (DNS REFUSED, TCP RST, ICMP port unreachable);\n"
	     "reject-nxdomain: DNS queries get NXDOMAIN.\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 23,
    .max_operands = -1,
};

struct args {
	const char *flow, *dir, *ttl;
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	struct args *a = ctx;
	if (o->id == O_FLOW)
		a->flow = arg;
	else if (o->id == O_TTL)
		a->ttl = arg;
	else
		a->dir = arg;
	return 0;
}

int cmd_verdict(int argc, char **argv)
{
	struct args a = {0};
	uint64_t ttl_ns = 0;

	if (argc < 2) {
		ls_opts_usage(&spec, stderr);
		return 2;
	}
	int first, rc0 = ls_opts_parse(&spec, argc, argv, on_opt, &a, &first);
	if (rc0 >= 0)
		return rc0;
	const char *flow = a.flow, *dir = a.dir, *ttl = a.ttl;
	if (first == argc) {
		fprintf(stderr, "lockstep verdict: give an action: set, del or get (see lockstep "
				"verdict --help)\n");
		return 2;
	}
	const char *op = argv[first];
	if (strcmp(op, "set") && strcmp(op, "del") && strcmp(op, "get")) {
		fprintf(stderr, "lockstep verdict: unknown action '%s' (set, del or get)\n", op);
		return 2;
	}
	int next = first + 1; /* the operands after the action */
	if (!flow) {
		fprintf(stderr, "lockstep verdict %s: --flow is required\n", op);
		return 2;
	}
	uint32_t verdict = 0;
	if (!strcmp(op, "set")) {
		if (next != argc - 1) {
			fprintf(stderr, "lockstep verdict set: give exactly one verdict: pass, drop, "
				"reject or reject-nxdomain\n");
			return 2;
		}
		if (ls_verdict_parse(argv[next], &verdict) || !ls_verdict_valid(verdict)) {
			fprintf(stderr, "lockstep verdict set: verdict must be pass, drop, reject or "
				"reject-nxdomain, not '%s'\n", argv[next]);
			return 2;
		}
		if (ttl && (ls_parse_duration_ns(ttl, &ttl_ns) || !ttl_ns)) {
			fprintf(stderr, "lockstep verdict set: --ttl '%s' is not a positive duration "
				"(e.g. 250ms, 10s, 5m)\n", ttl);
			return 2;
		}
	} else if (next != argc || ttl) {
		fprintf(stderr, "lockstep verdict %s: takes only --flow (and --pin-dir)\n", op);
		return 2;
	}

	struct ls_err err;
	struct ls_flow_key key;
	if (ls_flow_key_parse(&key, flow, &err)) {
		fprintf(stderr, "lockstep verdict: %s\n", err.msg);
		return 2;
	}
	struct ls_dp *dp;
	if (ls_dp_open_pins(&dp, dir, &err)) {
		fprintf(stderr, "lockstep verdict: %s\n", err.msg);
		return 1;
	}
	int rc = 0;
	if (!strcmp(op, "set")) {
		uint64_t deadline_k = ttl_ns ? ls_now_k() + ttl_ns : 0;
		rc = ls_dp_verdict_set(dp, &key, verdict, deadline_k, &err);
		if (!rc)
			fprintf(stderr, "lockstep: verdict %s for %s%s\n", ls_verdict_name(verdict),
				flow, ttl ? " (with a deadline)" : "");
	} else if (!strcmp(op, "del")) {
		rc = ls_dp_verdict_del(dp, &key, &err);
	} else {
		struct ls_verdict_rec rec;
		rc = ls_dp_verdict_get(dp, &key, &rec, &err);
		if (!rc)
			printf("{\"verdict\":\"%s\",\"deadline_k\":%llu,\"set_k\":%llu}\n",
			       ls_verdict_name(rec.verdict), (unsigned long long)rec.deadline_k,
			       (unsigned long long)rec.set_k);
	}
	if (rc)
		fprintf(stderr, "lockstep verdict %s: %s\n", op, err.msg);
	ls_dp_close(dp);
	return rc ? 1 : 0;
}
