/* inspect_policy.c - offline policy runs for `lockstep inspect --policy`
 * (inspect_policy.h). One JSON line per verdict the policy decides:
 *   {"event":"verdict","flow":"tcp 10.0.0.1 80 10.0.0.2 5000","flow_id":3,
 *    "verdict":"drop","ttl_ns":0,"name":"evil.example"}
 * "flow" is the direction-free 5-tuple (lower address first), the same form
 * as the `flow` column of the captures' ground truth; "name" is the last
 * DPI name seen on the flow (HTTP Host, TLS SNI or DNS query name). */
#include "cli/inspect_policy.h"
#include "base/file.h"
#include "base/json.h"
#include "base/names.h"
#include "base/time.h"
#include "dataplane/dataplane.h"
#include "dataplane/event_json.h"
#include "dataplane/testrun.h"
#include "policy/policy.h"

#include "lockstep.skel.h"

#include "obs/log.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct seen {
	uint64_t flow_id;
	char name[LS_NAME_MAX];
};

struct inspect_policy {
	struct ls_policy *p;
	struct ls_testrun *t;
	int print_events;
	struct seen *seen;
	size_t nseen, capseen;
	uint64_t verdicts, write_errors;
	struct ls_dp *dp;	   /* the test run's maps, for kernel rules (opened on first use) */
	struct pending_rule *pend; /* rules from init, before the test run exists */
	size_t npend;
	inspect_verdict_fn on_verdict; /* told after each verdict written (the hold model) */
	void *on_verdict_ctx;
};

struct pending_rule {
	uint32_t kind, verdict;
	int del;
	uint64_t deadline_k;
	size_t len;
	char pat[LS_RULE_PATTERN_MAX];
};

static struct seen *seen_get(struct inspect_policy *ip, uint64_t flow_id, int add)
{
	for (size_t i = ip->nseen; i-- > 0;) /* recent flows are hit most */
		if (ip->seen[i].flow_id == flow_id)
			return &ip->seen[i];
	if (!add)
		return NULL;
	if (ip->nseen == ip->capseen) {
		size_t cap = ip->capseen ? ip->capseen * 2 : 256;
		struct seen *n = realloc(ip->seen, cap * sizeof(*n));
		if (!n)
			return NULL;
		ip->seen = n;
		ip->capseen = cap;
	}
	struct seen *s = &ip->seen[ip->nseen++];
	memset(s, 0, sizeof(*s));
	s->flow_id = flow_id;
	return s;
}

static void json_str(const char *s)
{
	putchar('"');
	ls_json_fput(stdout, s, strlen(s));
	putchar('"');
}

/* kernel rules go into the test run's maps, so that later frames of the
 * capture meet them as live traffic would; printed as a line each */
static int sink_rule(void *ctx, uint32_t kind, const char *pat, size_t len, uint32_t verdict,
		     uint64_t deadline_k, int del)
{
	struct inspect_policy *ip = ctx;
	struct ls_err err;
	if (!ip->t) { /* init runs before the test run is open: keep it for then */
		struct pending_rule *n = realloc(ip->pend, (ip->npend + 1) * sizeof(*n));
		if (!n || len > sizeof(n->pat))
			return -ENOMEM;
		ip->pend = n;
		n += ip->npend++;
		*n = (struct pending_rule){.kind = kind,
					   .verdict = verdict,
					   .del = del,
					   .deadline_k = deadline_k,
					   .len = len};
		memcpy(n->pat, pat, len);
		return 0;
	}
	if (!ip->dp && ls_dp_open_testrun(&ip->dp, ip->t, &err))
		return -EOPNOTSUPP;
	int rc = del ? ls_dp_rule_del(ip->dp, kind, pat, len, &err)
		     : ls_dp_rule_set(ip->dp, kind, pat, len, verdict, deadline_k, &err);
	if (!ls_print_wants(LS_PRINT_RULE))
		return rc;
	char ts[LS_RFC3339_LEN];
	uint64_t now = ls_now_k();
	printf("{\"event\":\"rule\",\"ts_k\":%llu,\"ts\":\"%s\",\"op\":\"%s\",\"kind\":%u,"
	       "\"pattern\":",
	       (unsigned long long)now, ls_event_ts(ts, sizeof(ts), now), del ? "del" : "add",
	       kind);
	char buf[LS_RULE_PATTERN_MAX + 1];
	memcpy(buf, pat, len < sizeof(buf) - 1 ? len : sizeof(buf) - 1);
	buf[len < sizeof(buf) - 1 ? len : sizeof(buf) - 1] = 0;
	json_str(buf);
	printf(",\"verdict\":\"%s\",\"ok\":%s}\n", ls_verdict_name(verdict), rc ? "false" : "true");
	return rc;
}

static int sink_write(void *ctx, const struct ls_flow_key *key, uint64_t flow_id, uint32_t verdict,
		      uint64_t deadline_k)
{
	struct inspect_policy *ip = ctx;
	char flow[160];
	uint64_t now = ls_now_k();

	if (ip->t) {
		struct ls_verdict_rec rec = {
		    .deadline_k = deadline_k, .set_k = now, .verdict = verdict};
		int rc = ls_testrun_verdict_set(ip->t, key, &rec);
		if (rc && ip->write_errors++ == 0)
			fprintf(stderr, "lockstep inspect: writing a verdict: %s\n", strerror(-rc));
	}
	ip->verdicts++;
	if (!ls_print_wants(LS_PRINT_VERDICT))
		goto told;
	ls_flow_key_str(key, flow, sizeof(flow));
	char ts[LS_RFC3339_LEN];
	printf(
	    "{\"event\":\"verdict\",\"ts_k\":%llu,\"ts\":\"%s\",\"flow\":\"%s\",\"flow_id\":%llu,"
	    "\"verdict\":\"%s\",\"ttl_ns\":%llu",
	    (unsigned long long)now, ls_event_ts(ts, sizeof(ts), now), flow,
	    (unsigned long long)flow_id, ls_verdict_name(verdict),
	    (unsigned long long)(deadline_k > now ? deadline_k - now : 0));
	struct seen *s = seen_get(ip, flow_id, 0);
	if (s && s->name[0]) {
		printf(",\"name\":");
		json_str(s->name);
	}
	printf("}\n");
told:
	if (ip->on_verdict) /* after the line: what the verdict released follows it */
		ip->on_verdict(ip->on_verdict_ctx, key, verdict);
	return 0;
}

void inspect_policy_event(void *ctx, const struct ls_event *ev)
{
	struct inspect_policy *ip = ctx;
	if (ip->print_events)
		ls_event_json_print(stdout, ev);
	if (ev->kind == LS_EV_DPI) {
		struct seen *s = seen_get(ip, ev->flow_id, 1);
		size_t n =
		    ev->u.dpi.name_len < LS_NAME_MAX - 1 ? ev->u.dpi.name_len : LS_NAME_MAX - 1;
		if (s && n) {
			memcpy(s->name, ev->u.dpi.name, n);
			s->name[n] = 0;
		}
	}
	ls_policy_dispatch(ip->p, ev, 1);
}

/* The agent's log schema (obs/log.h) on stderr, not rate-limited: a
 * capture is replayed faster than real time. */
static void log_line(void *ctx, int level, const char *kind, const char *msg, size_t msg_len,
		     const char *fields)
{
	(void)ctx;
	ls_log_line(stderr, level, kind, msg, msg_len, "%s", fields);
}

int inspect_policy_open(struct inspect_policy **out, const struct inspect_policy_opts *o)
{
	struct inspect_policy *ip = calloc(1, sizeof(*ip));
	size_t clen;
	char *cfgstr = NULL;
	struct ls_err e;
	if (ls_read_arg(o->config, LS_POLICY_CONFIG_MAX, &cfgstr, &clen, &e))
		fprintf(stderr, "lockstep inspect: --policy-config: %s\n", e.msg);
	if (!ip || !cfgstr) {
		free(ip);
		free(cfgstr);
		return -1;
	}
	ip->print_events = o->print_events;
	struct ls_policy_config cfg = {
	    .fuel = o->fuel,
	    .max_memory_pages = o->max_memory_pages,
	    .memory_budget = o->memory_budget,
	    .deadline_ns = o->deadline_ns,
	    .default_verdict = LS_VERDICT_PASS,
	    .guest_config = cfgstr,
	    .guest_config_len = clen,
	    .log = log_line,
	    .min_log_level = o->log_level,
	};
	struct ls_verdict_sink sink = {.ctx = ip, .write = sink_write, .rule = sink_rule};
	struct ls_err perr;
	int rc = ls_policy_new(&cfg, &sink, &ip->p, &perr);
	free(cfgstr);
	if (rc || ls_policy_load_file(ip->p, o->policy, &perr)) {
		fprintf(stderr, "lockstep inspect: %s\n", perr.msg);
		inspect_policy_close(ip);
		return -1;
	}
	*out = ip;
	return 0;
}

void inspect_policy_set_testrun(struct inspect_policy *ip, struct ls_testrun *t)
{
	ip->t = t;
	for (size_t i = 0; i < ip->npend; i++) {
		struct pending_rule *r = &ip->pend[i];
		sink_rule(ip, r->kind, r->pat, r->len, r->verdict, r->deadline_k, r->del);
	}
	free(ip->pend);
	ip->pend = NULL;
	ip->npend = 0;
}

void inspect_policy_on_verdict(struct inspect_policy *ip, inspect_verdict_fn fn, void *ctx)
{
	ip->on_verdict = fn;
	ip->on_verdict_ctx = ctx;
}

void inspect_policy_close(struct inspect_policy *ip)
{
	if (!ip)
		return;
	if (ip->p) {
		struct ls_policy_stats st;
		ls_policy_stats(ip->p, &st);
		fprintf(stderr,
			"{\"policy_events\":%llu,\"verdicts\":%llu,\"guest_failures\":%llu}\n",
			(unsigned long long)st.events, (unsigned long long)ip->verdicts,
			(unsigned long long)(st.failures[LS_PF_TRAP] + st.failures[LS_PF_FUEL]));
	}
	ls_policy_free(ip->p);
	ls_dp_close(ip->dp);
	free(ip->pend);
	free(ip->seen);
	free(ip);
}
