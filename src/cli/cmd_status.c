/* cmd_status.c - `lockstep status`: asks the running agent over its control
 * socket ("obs.status", answered by src/obs/status.c) and prints what runs
 * in it and how it is doing: mode, attachment, the heartbeat and clock
 * mapping when it runs, packet, event and verdict rates, the policy when
 * one runs, alarms. Human-readable by default, the agent's JSON object with
 * --json. The exit code says how it is doing, so scripts need not parse. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "agent/control.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	ST_OK = 0,	/* normal mode, no alarm open, guest healthy */
	ST_TROUBLE = 1, /* fail-safe, an open alarm, or an unhealthy guest */
	ST_USAGE = 2,
	ST_NO_AGENT = 3, /* nothing answers at the socket */
	ST_BAD = 4,	 /* an answer, but not a status */
};

enum { O_JSON = 1, O_CONTROL_SOCKET };

static const struct ls_opt rows[] = {
    LS_OPT("json", 'j', NULL, O_JSON, "the agent's JSON object, one line"),
    LS_OPT("control-socket", 's', "PATH", O_CONTROL_SOCKET,
	   "control socket (default $LS_CONTROL_SOCK or\n" LS_CONTROL_PATH_DEFAULT ")"),
    LS_OPT_ALIAS("socket", "PATH", O_CONTROL_SOCKET, "control-socket"),
};

static const struct ls_cmd_spec spec = {
    .name = "status",
    .synopsis = "[--json] [--control-socket PATH]",
    .about = "Show the running agent's state: mode, attachment, heartbeat and clock\n"
	     "mapping (when the heartbeat runs), packet, event and verdict rates, the\n"
	     "policy (when one runs) and alarms (docs/observability.md).\n",
    .after = "exit status: 0 normal, no alarm open; 1 fail-safe, an alarm open or the\n"
	     "guest unhealthy; 2 usage; 3 no agent answers at the socket; 4 the agent's\n"
	     "answer is not a status\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 28,
};

struct args {
	bool json;
	const char *sock;
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	struct args *a = ctx;
	if (o->id == O_JSON)
		a->json = true;
	else
		a->sock = arg;
	return 0;
}

static double num(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
	return cJSON_IsString(v) ? v->valuestring : "-";
}

static bool yes(const cJSON *j, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, k));
}

static const cJSON *obj(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
	return cJSON_IsObject(v) ? v : NULL;
}

/* A duration in the unit that keeps three significant digits readable. */
static const char *dur(char *b, size_t n, double ns)
{
	double a = ns < 0 ? -ns : ns;
	if (a < 1e3)
		snprintf(b, n, "%.0f ns", ns);
	else if (a < 1e6)
		snprintf(b, n, "%.1f us", ns / 1e3);
	else if (a < 1e9)
		snprintf(b, n, "%.3f ms", ns / 1e6);
	else
		snprintf(b, n, "%.3f s", ns / 1e9);
	return b;
}

static void heartbeat(const cJSON *hb)
{
	char b1[32], b2[32], b3[32], b4[32];
	if (!hb) {
		printf("heartbeat:  not running in this agent (start it with --heartbeat)\n");
		return;
	}
	printf("heartbeat:  every %s", dur(b1, sizeof(b1), num(hb, "interval_ns")));
	if (num(hb, "check_interval_ns") != num(hb, "interval_ns"))
		printf(" (checked against %s)", dur(b2, sizeof(b2), num(hb, "check_interval_ns")));
	printf(", fail-safe after %.0f intervals (%s new flows), clock sync %s\n",
	       num(hb, "detect_multiplier"), str(hb, "fail_safe"),
	       yes(hb, "sync") ? "on" : "OFF (guest deadlines used as kernel times)");
	printf("beats:      %.0f (missed %.0f)", num(hb, "beats"), num(hb, "missed"));
	if (cJSON_GetObjectItemCaseSensitive(hb, "last_beat_age_s"))
		printf(", last %.2f s ago (%s)", num(hb, "last_beat_age_s"),
		       str(hb, "last_beat_at"));
	printf("\n");
	if (cJSON_GetObjectItemCaseSensitive(hb, "offset_ns"))
		printf("clock:      offset G-K %s, rate %+.3f ppm (+/- %.3f), uncertainty %s, "
		       "round trip %s\n",
		       dur(b1, sizeof(b1), num(hb, "offset_ns")), num(hb, "rate_ppm"),
		       num(hb, "rate_uncertainty_ppm"),
		       dur(b3, sizeof(b3), num(hb, "uncertainty_ns")),
		       dur(b4, sizeof(b4), num(hb, "round_trip_ns")));
	else
		printf("clock:      no heartbeat sample yet\n");
}

static void policy(const cJSON *p)
{
	if (!p) {
		printf("policy:     none (data plane only; --policy FILE.wasm runs one)\n");
		return;
	}
	printf("policy:     %s\n", str(p, "path"));
	/* the heartbeat's health rule: unhealthy, beats are not good */
	char h[300];
	if (yes(p, "healthy"))
		snprintf(h, sizeof(h), "healthy");
	else
		snprintf(h, sizeof(h), "UNHEALTHY (%s: %s; beats are not good)", str(p, "reason"),
			 str(p, "why"));
	printf("guest:      %s, %.0f events, %.0f calls, %.0f traps, %.0f fuel exhaustions, "
	       "%.0f restarts, %.0f reloads (%.0f refused), %.0f flows known\n",
	       h, num(p, "events"), num(p, "calls"), num(p, "traps"), num(p, "fuel_exhausted"),
	       num(p, "restarts"), num(p, "reloads"), num(p, "reloads_refused"), num(p, "flows"));
}

/* One line per policy worker (docs/workers.md), from the control socket's
 * policy "status" (numbers, not booleans): absent with one worker. */
static void workers(const cJSON *ws)
{
	const cJSON *w;
	cJSON_ArrayForEach(w, ws)
	{
		printf("worker %-3.0f %s, %s%s, %.0f ring records, %.0f events, %.0f flows, "
		       "%.0f restarts; shard %s (%.0f fail-safe entries)\n",
		       num(w, "worker"), num(w, "healthy") != 0 ? "healthy" : str(w, "health"),
		       num(w, "live") != 0 ? "live" : "SILENT: ",
		       num(w, "live") != 0 ? "" : str(w, "why"), num(w, "ring_events"),
		       num(w, "events"), num(w, "flows"), num(w, "restarts"),
		       num(w, "failsafe") != 0 ? "IN FAIL-SAFE" : "deciding",
		       num(w, "failsafe_enters"));
	}
}

static void human(const cJSON *j, const char *sock)
{
	const cJSON *a = obj(j, "attach"), *ev = obj(j, "events"), *v = obj(j, "verdicts");
	const cJSON *pk = obj(j, "packets"), *t = obj(j, "trace"), *m = obj(j, "metrics");
	printf("as of:      %s\n", str(j, "ts"));
	printf("agent:      pid %.0f, up %.1f s (since %s), control socket %s\n", num(j, "pid"),
	       num(j, "uptime_s"), str(j, "started"), sock);
	printf("mode:       %s\n", !strcmp(str(j, "mode"), "fail-safe")
				       ? "FAIL-SAFE (no good beat from the policy side in time)"
				       : str(j, "mode"));
	if (a) {
		printf("attach:     %s, XDP %s, %s%s\n", str(a, "iface"), str(a, "xdp_mode"),
		       yes(a, "tc_egress") ? "TC egress (both directions seen)"
					   : "ingress only (without --tc replies and connection "
					     "ends are not seen)",
		       yes(a, "adopted") ? ", adopted from the pins" : "");
		if (yes(a, "tc_egress"))
			printf("tc:         %s, order %s\n",
			       !strcmp(str(a, "tc_link"), "tcx") ? "TCX link" : "netlink filter",
			       str(a, "tc_order"));
		if (num(a, "legacy_names") > 0)
			printf("names:      %.0f adopted maps keep names without the ls_ prefix "
			       "(made by an earlier version)\n",
			       num(a, "legacy_names"));
		printf("pins:       %s; events ring %.0f bytes\n", str(a, "pin_dir"),
		       num(a, "ringbuf_bytes"));
	}
	heartbeat(obj(j, "heartbeat"));
	if (pk)
		printf("packets:    %.0f total, %.1f/s, %.0f dropped\n", num(pk, "total"),
		       num(pk, "per_s"), num(pk, "dropped"));
	if (ev)
		printf("events:     %.0f total, %.1f/s; ring-buffer loss %.0f\n", num(ev, "total"),
		       num(ev, "per_s"), num(ev, "ringbuf_lost"));
	if (v) {
		printf("verdicts:   %.0f total, %.1f/s", num(v, "total"), num(v, "per_s"));
		if (cJSON_GetObjectItemCaseSensitive(v, "latency_p99_s"))
			printf(", p99 kernel->verdict %.3f ms", num(v, "latency_p99_s") * 1e3);
		printf("\n");
	}
	policy(obj(j, "policy"));
	workers(cJSON_GetObjectItemCaseSensitive(j, "workers"));
	if (t)
		printf("trace:      %s, %.0f records, level kernel %.0f guest %.0f\n",
		       yes(t, "recording") ? "recording" : "off (--trace FILE)", num(t, "records"),
		       num(t, "kernel_level"), num(t, "guest_level"));
	printf("metrics:    ");
	if (m)
		printf("http port %.0f\n", num(m, "port"));
	else
		printf("off (--metrics HOST:PORT)\n");
	const cJSON *al = cJSON_GetObjectItemCaseSensitive(j, "alarms"), *e;
	printf("alarms:     %.0f open, %d kinds seen\n", num(j, "alarms_open"),
	       cJSON_GetArraySize(al));
	cJSON_ArrayForEach(e, al)
	    printf("  %-6s %-16s x%-6.0f %6.1fs ago (last %s, first %s)  %s\n",
		   yes(e, "open") ? "OPEN" : "closed", str(e, "kind"), num(e, "count"),
		   num(e, "age_s"), str(e, "last"), str(e, "first"), str(e, "msg"));
}

static int health(const cJSON *j)
{
	const cJSON *p = obj(j, "policy");
	bool bad = strcmp(str(j, "mode"), "normal") || num(j, "alarms_open") > 0 ||
		   (p && !yes(p, "healthy"));
	return bad ? ST_TROUBLE : ST_OK;
}

int cmd_status(int argc, char **argv)
{
	struct args a = {.sock = getenv("LS_CONTROL_SOCK")};
	int first, c = ls_opts_parse(&spec, argc, argv, on_opt, &a, &first);
	if (c >= 0)
		return c == 2 ? ST_USAGE : c;
	const char *sock = a.sock;
	bool json = a.json;
	if (!sock || !sock[0])
		sock = LS_CONTROL_PATH_DEFAULT;
	static char reply[16384];
	struct ls_err err;
	int rc = ls_control_request(sock, "obs.status", reply, sizeof(reply), &err);
	if (rc < 0) {
		fprintf(stderr, "lockstep status: %s\n", err.msg);
		return rc == LS_CONTROL_NO_ANSWER ? ST_BAD : ST_NO_AGENT;
	}
	const char *body = reply + (rc == 0 ? 3 : 6); /* "ok " / "error " */
	if (rc) {
		fprintf(stderr, "lockstep status: the agent says: %s\n", body);
		return ST_BAD;
	}
	cJSON *j = cJSON_Parse(body);
	if (!j || !cJSON_IsObject(j) || !cJSON_GetObjectItemCaseSensitive(j, "mode")) {
		fprintf(stderr, "lockstep status: the agent's answer is not a status: %.200s\n",
			body);
		cJSON_Delete(j);
		return ST_BAD;
	}
	/* with several workers, their lines: the policy's own "status" */
	static char wreply[16384];
	cJSON *pj = NULL, *ws = NULL;
	if (obj(j, "policy") &&
	    ls_control_request(sock, "status", wreply, sizeof(wreply), &err) == 0 &&
	    (pj = cJSON_Parse(wreply + 3)) &&
	    cJSON_IsArray(ws = cJSON_GetObjectItemCaseSensitive(pj, "workers")))
		cJSON_AddItemToObject(j, "workers", cJSON_DetachItemViaPointer(pj, ws));
	cJSON_Delete(pj);
	if (json && !cJSON_GetObjectItemCaseSensitive(j, "workers")) {
		printf("%s\n", body);
	} else if (json) {
		char *out = cJSON_PrintUnformatted(j);
		printf("%s\n", out ? out : body);
		free(out);
	} else {
		human(j, sock);
	}
	rc = health(j);
	cJSON_Delete(j);
	return rc;
}
