/* cmd_verdict.c - `lockstep verdict set|del|get`: write, remove or show
 * the verdict of one flow in the pinned verdicts map, by hand (the policy
 * part does the same through the dataplane API). */
#include "cli/cli.h"
#include "base/args.h"
#include "dataplane/dataplane.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lockstep verdict set --flow 'PROTO SRC SPORT DST DPORT' VERDICT [--ttl DURATION]\n"
		"       lockstep verdict del --flow 'PROTO SRC SPORT DST DPORT'\n"
		"       lockstep verdict get --flow 'PROTO SRC SPORT DST DPORT'\n"
		"\n"
		"Set, delete or show the verdict of one flow in the running data plane.\n"
		"Either orientation of the flow names the same flow. With --ttl the verdict\n"
		"expires (the flow becomes undecided again; it is not dropped for that).\n"
		"VERDICT: pass, drop, reject (dropped and answered: DNS REFUSED, TCP RST,\n"
		"ICMP port unreachable) or reject-nxdomain (DNS queries get NXDOMAIN).\n"
		"\n"
		"options:\n"
		"  -f, --flow TUPLE     e.g. 'tcp 198.18.0.1 40000 198.18.0.2 80'\n"
		"  -t, --ttl DURATION   250ms, 10s, 5m, 1h ... (default: no deadline)\n"
		"  -p, --pin-dir DIR    bpffs pin directory (default: $LS_PIN_DIR or %s)\n"
		"  -h, --help           this text\n",
		LS_PIN_DIR);
}

static const char *verdict_name(uint32_t v)
{
	return ls_verdict_str(v);
}

int cmd_verdict(int argc, char **argv)
{
	static const struct option opts[] = {
		{"flow", required_argument, NULL, 'f'},
		{"ttl", required_argument, NULL, 't'},
		{"pin-dir", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *flow = NULL, *dir = NULL, *ttl = NULL;
	uint64_t ttl_ns = 0;
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *op = argv[1];
	if (strcmp(op, "set") && strcmp(op, "del") && strcmp(op, "get")) {
		fprintf(stderr, "lockstep verdict: unknown action '%s' (set, del or get)\n", op);
		return 2;
	}
	argc--, argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:t:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': flow = optarg; break;
		case 't': ttl = optarg; break;
		case 'p': dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, "lockstep verdict: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "lockstep verdict: unknown option '%s' (see lockstep verdict --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (!flow) {
		fprintf(stderr, "lockstep verdict %s: --flow is required\n", op);
		return 2;
	}
	uint32_t verdict = 0;
	if (!strcmp(op, "set")) {
		if (optind != argc - 1) {
			fprintf(stderr, "lockstep verdict set: give exactly one verdict: pass, drop, "
				"reject or reject-nxdomain\n");
			return 2;
		}
		verdict = ls_verdict_from_str(argv[optind]);
		if (!verdict) {
			fprintf(stderr, "lockstep verdict set: verdict must be pass, drop, reject or "
				"reject-nxdomain, not '%s'\n", argv[optind]);
			return 2;
		}
		if (ttl && (ls_cli_duration_ns(ttl, &ttl_ns) || !ttl_ns)) {
			fprintf(stderr, "lockstep verdict set: --ttl '%s' is not a positive duration "
				"(e.g. 250ms, 10s, 5m)\n", ttl);
			return 2;
		}
	} else if (optind != argc || ttl) {
		fprintf(stderr, "lockstep verdict %s: takes only --flow (and --pin-dir)\n", op);
		return 2;
	}

	struct ls_dp_err err;
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
			fprintf(stderr, "lockstep: verdict %s for %s%s\n", verdict_name(verdict), flow,
				ttl ? " (with a deadline)" : "");
	} else if (!strcmp(op, "del")) {
		rc = ls_dp_verdict_del(dp, &key, &err);
	} else {
		struct ls_verdict_rec rec;
		rc = ls_dp_verdict_get(dp, &key, &rec, &err);
		if (!rc)
			printf("{\"verdict\":\"%s\",\"deadline_k\":%llu,\"set_k\":%llu}\n",
			       verdict_name(rec.verdict), (unsigned long long)rec.deadline_k,
			       (unsigned long long)rec.set_k);
	}
	if (rc)
		fprintf(stderr, "lockstep verdict %s: %s\n", op, err.msg);
	ls_dp_close(dp);
	return rc ? 1 : 0;
}
