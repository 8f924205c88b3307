/* cmd_status.c - `lockstep status`: asks the running agent over its control
 * socket ("obs.status") and prints mode, policy, beats, the clock mapping,
 * event and verdict rates and the alarms; human-readable by default, the
 * agent's JSON object with --json. */
#include "cli/cli.h"
#include "policy/control.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: lockstep status [--json] [--socket PATH]\n"
		   "\n"
		   "Show the running agent's state: mode, policy, heartbeat and clock mapping,\n"
		   "event and verdict rates, alarms (docs/observability.md).\n"
		   "\n"
		   "  --json          the agent's JSON object, one line\n"
		   "  --socket PATH   control socket (default $LS_CONTROL_SOCK or %s)\n"
		   "  -h, --help      this text\n",
		LS_CONTROL_PATH_DEFAULT);
}

static double num(cJSON *j, const char *k)
{
	cJSON *v = cJSON_GetObjectItem(j, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(cJSON *j, const char *k)
{
	cJSON *v = cJSON_GetObjectItem(j, k);
	return cJSON_IsString(v) ? v->valuestring : "-";
}

static void human(cJSON *j)
{
	cJSON *fs = cJSON_GetObjectItem(j, "failsafe");
	printf("mode:       %s\n", cJSON_IsTrue(fs) ? "FAIL-SAFE (policy side silent)" : "normal");
	printf("interface:  %s\n", str(j, "iface"));
	printf("policy:     %s\n", str(j, "policy"));
	cJSON *g = cJSON_GetObjectItem(j, "guest");
	if (g)
		printf("guest:      %s, %.0f calls, %.0f traps, %.0f fuel exhaustions, %.0f restarts\n",
		       cJSON_IsTrue(cJSON_GetObjectItem(g, "healthy")) ? "healthy" : "UNHEALTHY",
		       num(g, "calls"), num(g, "traps"), num(g, "fuel_exhausted"), num(g, "restarts"));
	printf("uptime:     %.1f s\n", num(j, "uptime_s"));
	printf("beats:      %.0f (missed %.0f)\n", num(j, "beats"), num(j, "beats_missed"));
	if (cJSON_GetObjectItem(j, "offset_ns"))
		printf("clock:      offset %+.3f ms, rate %+.3f ppm (+/- %.3f), uncertainty %.3f ms, "
		       "round trip %.3f ms\n",
		       num(j, "offset_ns") / 1e6, num(j, "rate_ppm"), num(j, "rate_uncertainty_ppm"),
		       num(j, "uncertainty_ns") / 1e6, num(j, "round_trip_ns") / 1e6);
	else
		printf("clock:      no heartbeat samples yet\n");
	printf("events:     %.0f total, %.1f/s; ring-buffer loss %.0f\n", num(j, "events_total"),
	       num(j, "events_per_s"), num(j, "ringbuf_lost"));
	printf("verdicts:   %.0f total, %.1f/s", num(j, "verdicts_total"), num(j, "verdicts_per_s"));
	if (cJSON_GetObjectItem(j, "verdict_latency_p99_s"))
		printf(", p99 kernel->verdict %.3f ms", num(j, "verdict_latency_p99_s") * 1e3);
	printf("\n");
	cJSON *t = cJSON_GetObjectItem(j, "trace");
	if (t)
		printf("trace:      %s, %.0f records, level kernel %.0f guest %.0f\n",
		       cJSON_IsTrue(cJSON_GetObjectItem(t, "enabled")) ? "recording" : "off",
		       num(t, "records"), num(t, "kernel_level"), num(t, "guest_level"));
	if (cJSON_GetObjectItem(j, "metrics_port"))
		printf("metrics:    port %.0f\n", num(j, "metrics_port"));
	cJSON *al = cJSON_GetObjectItem(j, "alarms"), *a;
	int open = 0, n = 0;
	cJSON_ArrayForEach(a, al)
	{
		n++;
		open += cJSON_IsTrue(cJSON_GetObjectItem(a, "open"));
	}
	printf("alarms:     %d open, %d kinds seen\n", open, n);
	cJSON_ArrayForEach(a, al)
		printf("  %-6s %-16s x%-6.0f %6.1fs ago  %s\n",
		       cJSON_IsTrue(cJSON_GetObjectItem(a, "open")) ? "OPEN" : "closed", str(a, "kind"),
		       num(a, "count"), num(a, "age_s"), str(a, "msg"));
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *sock = getenv("LS_CONTROL_SOCK");
	bool json = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 's': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "lockstep status: unknown option or missing value '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockstep status: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!sock || !sock[0])
		sock = LS_CONTROL_PATH_DEFAULT;
	static char reply[16384];
	char err[512];
	int rc = ls_control_request(sock, "obs.status", reply, sizeof(reply), err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "lockstep status: %s\n", err);
		return 1;
	}
	const char *body = reply + (rc == 0 ? 3 : 6); /* "ok " / "error " */
	if (rc) {
		fprintf(stderr, "lockstep status: the agent says: %s\n", body);
		return 1;
	}
	cJSON *j = cJSON_Parse(body);
	if (!j) {
		fprintf(stderr, "lockstep status: the agent's answer is not JSON: %.200s\n", body);
		return 1;
	}
	if (json)
		printf("%s\n", body);
	else
		human(j);
	cJSON_Delete(j);
	return 0;
}
