/* config_reload.c - SIGHUP with --config (config_reload.h): re-read, diff
 * key by key against what runs, apply what can change at run time, say
 * what needs a restart, reload the policy. */
#include "agent/config_reload.h"
#include "agent/agent.h"
#include "agent/obs_link.h"
#include "agent/policy_link.h"
#include "agent/worker.h"
#include "base/json.h"
#include "base/names.h"
#include "dataplane/event_json.h"
#include "obs/log.h"

#include <stdio.h>
#include <string.h>

void agent_optrec_set(struct agent_optrec *r, const char *name, const char *value, bool repeat)
{
	int i = 0;
	while (i < r->n && strcmp(r->e[i].name, name))
		i++;
	if (i == r->n) {
		if (r->n == AGENT_OPTREC_MAX)
			return; /* more keys than options exist: cannot happen */
		r->n++;
		snprintf(r->e[i].name, sizeof(r->e[i].name), "%s", name);
		r->e[i].value[0] = 0;
	} else if (!repeat) {
		r->e[i].value[0] = 0;
	}
	size_t l = strlen(r->e[i].value);
	snprintf(r->e[i].value + l, sizeof(r->e[i].value) - l, "%s%s", l ? ", " : "", value);
}

const char *agent_optrec_get(const struct agent_optrec *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->e[i].name, name))
			return r->e[i].value;
	return NULL;
}

static void drop(struct agent_optrec *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->e[i].name, name)) {
			r->e[i] = r->e[--r->n];
			return;
		}
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* What SIGHUP can change without a restart (docs/configuration.md). */
static bool live_key(const char *k)
{
	static const char *const keys[] = {"log-level",	  "print",	"alarm",
					   "trace-level", "trace-port", NULL};
	for (const char *const *p = keys; *p; p++)
		if (!strcmp(*p, k))
			return true;
	return false;
}

static struct ls_log *logger(struct config_reload *c)
{
	return ls_obs_log(obs_link_hub(c->ro));
}

/* One changed key's line: applied, or kept until a restart. */
static void say(struct config_reload *c, bool applied, const char *key, const char *was,
		const char *now)
{
	char e0[600], e1[AGENT_OPTREC_VALUE + 64], e2[AGENT_OPTREC_VALUE + 64];
	obs_link_lock(c->ro);
	ls_log(logger(c), applied ? LS_LOG_INFO : LS_LOG_WARN,
	       applied ? "config_changed" : "config_needs_restart",
	       applied ? "SIGHUP: a configuration key changed and is applied"
		       : "SIGHUP: a configuration key changed that only a restart applies; "
			 "the running value is kept",
	       "\"path\":\"%s\",\"key\":\"%s\",\"was\":%s%s%s,\"now\":%s%s%s",
	       ls_json_str(e0, sizeof(e0), c->path), key, was ? "\"" : "",
	       was ? ls_json_str(e1, sizeof(e1), was) : "null", was ? "\"" : "", now ? "\"" : "",
	       now ? ls_json_str(e2, sizeof(e2), now) : "null", now ? "\"" : "");
	obs_link_unlock(c->ro);
	if (!applied)
		fprintf(stderr,
			"lockstep: SIGHUP: %s: '%s' changed (%s -> %s); it needs a restart, the "
			"running value is kept\n",
			c->path, key, was ? was : "unset", now ? now : "unset");
}

/* Apply one run-time key from the new options n. */
static int apply(struct config_reload *c, const char *key, const struct agent_opts *n, char *why,
		 size_t len)
{
	struct ls_obs *hub = obs_link_hub(c->ro);
	int rc = 0;
	obs_link_lock(c->ro);
	if (!strcmp(key, "log-level")) {
		ls_log_set_level(logger(c), n->obs.cfg.log_level);
	} else if (!strcmp(key, "print")) {
		ls_print_filter(n->obs.print_set ? n->obs.print_mask : LS_PRINT_ALL);
	} else if (!strcmp(key, "alarm")) {
		ls_obs_set_detect(hub, &n->obs.cfg.detect);
	} else { /* trace-level, trace-port: as `lockstep trace level K,G PORT` */
		char arg[48];
		snprintf(arg, sizeof(arg), "%d,%d %d", n->obs.kernel_level, n->obs.guest_level,
			 n->obs.trace_port);
		rc = obs_link_control(c->ro, "trace.level", arg, why, len) ? -1 : 0;
	}
	obs_link_unlock(c->ro);
	return rc;
}

/* Set the policy's configuration string (every worker's); -1 with why. */
static int set_guest_config(struct config_reload *c, const char *arg, char *why, size_t len)
{
	struct ls_err err;
	int rc = c->wk ? agent_workers_guest_config(c->wk, arg ? arg : "", &err)
		       : policy_link_guest_config(c->rp, arg ? arg : "", &err);
	if (rc)
		snprintf(why, len, "%.400s", err.msg);
	return rc;
}

/* The policy's reload (as SIGHUP always did): path NULL for the same file. */
static int reload_policy(struct config_reload *c, const char *path, char *reply, size_t len)
{
	int rc = c->wk ? agent_workers_request(c->wk, "reload", path ? path : "", reply, len)
		       : policy_link_request(c->rp, "reload", path ? path : "", reply, len);
	fprintf(stderr, "lockstep: SIGHUP: %s\n", reply);
	return rc;
}

static void policy_keys(struct config_reload *c, const struct agent_optrec *rec)
{
	const char *op = agent_optrec_get(&c->running, "policy"),
		   *np = agent_optrec_get(rec, "policy"),
		   *oc = agent_optrec_get(&c->running, "policy-config"),
		   *nc = agent_optrec_get(rec, "policy-config");
	char reply[1024], why[512];
	bool path_changed = !same(op, np), cfg_changed = !same(oc, nc);
	if (!c->policy_runs) {
		if (path_changed) /* starting one is a restart; the rest waits with it */
			say(c, false, "policy", op, np);
		return;
	}
	if (path_changed && !np) { /* stopping the policy is a restart */
		say(c, false, "policy", op, np);
		path_changed = false;
	}
	if (cfg_changed && set_guest_config(c, nc, why, sizeof(why))) {
		obs_link_lock(c->ro);
		ls_log(logger(c), LS_LOG_WARN, "config_refused",
		       "SIGHUP: the new policy-config cannot be read; the running one is kept",
		       "\"error\":\"%s\"", ls_json_str(reply, sizeof(reply), why));
		obs_link_unlock(c->ro);
		cfg_changed = false;
	}
	if (reload_policy(c, path_changed ? np : NULL, reply, sizeof(reply))) {
		/* refused: the running module and its configuration stay */
		if (cfg_changed)
			set_guest_config(c, oc, why, sizeof(why));
		obs_link_lock(c->ro);
		ls_log(logger(c), LS_LOG_WARN, "config_refused",
		       "SIGHUP: the policy's reload is refused; its running path and "
		       "configuration are kept",
		       "\"error\":\"%s\"", ls_json_str(why, sizeof(why), reply));
		obs_link_unlock(c->ro);
		return;
	}
	if (path_changed) {
		say(c, true, "policy", op, np);
		agent_optrec_set(&c->running, "policy", np, false);
	}
	if (cfg_changed) {
		say(c, true, "policy-config", oc, nc);
		if (nc)
			agent_optrec_set(&c->running, "policy-config", nc, false);
		else
			drop(&c->running, "policy-config");
	}
}

void config_reload(struct config_reload *c)
{
	static struct agent_opts n; /* large; SIGHUP runs on the main thread only */
	static struct agent_optrec rec;
	char why[512] = "", esc[1200], reply[1024];
	memset(&rec, 0, sizeof(rec));
	if (c->reread(c->ctx, &n, &rec, why, sizeof(why))) {
		obs_link_lock(c->ro);
		ls_log(logger(c), LS_LOG_ERROR, "config_refused",
		       "SIGHUP: the configuration file is refused; the running configuration is "
		       "kept",
		       "\"path\":\"%s\",\"error\":\"%s\"", ls_json_str(esc, sizeof(esc), c->path),
		       ls_json_str(reply, sizeof(reply), why));
		obs_link_unlock(c->ro);
		fprintf(stderr, "lockstep: SIGHUP: %s refused, the running configuration is kept\n",
			c->path);
		if (c->policy_runs)
			reload_policy(c, NULL, reply, sizeof(reply));
		return;
	}
	int applied = 0, kept = 0;
	/* every key of either side, once (collected first: applying changes
	 * the running record) */
	const struct agent_optrec *sides[2] = {&c->running, &rec};
	static char keys[AGENT_OPTREC_MAX * 2][32];
	int nkeys = 0;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < sides[s]->n; i++) {
			bool dup = false;
			for (int j = 0; j < nkeys && !dup; j++)
				dup = !strcmp(keys[j], sides[s]->e[i].name);
			if (!dup)
				snprintf(keys[nkeys++], sizeof(keys[0]), "%s", sides[s]->e[i].name);
		}
	for (int k = 0; k < nkeys; k++) {
		const char *key = keys[k];
		if (!strcmp(key, "policy") || !strcmp(key, "policy-config"))
			continue; /* with the policy's reload, below */
		const char *was = agent_optrec_get(&c->running, key),
			   *now = agent_optrec_get(&rec, key);
		if (same(was, now))
			continue;
		char w[AGENT_OPTREC_VALUE];
		snprintf(w, sizeof(w), "%s", was ? was : "");
		if (live_key(key) && !apply(c, key, &n, why, sizeof(why))) {
			say(c, true, key, was ? w : NULL, now);
			if (now)
				agent_optrec_set(&c->running, key, now, false);
			else
				drop(&c->running, key);
			applied++;
		} else {
			say(c, false, key, was ? w : NULL, now);
			kept++;
		}
	}
	policy_keys(c, &rec);
	obs_link_lock(c->ro);
	ls_log(logger(c), LS_LOG_INFO, "config_reloaded", "SIGHUP: the configuration file re-read",
	       "\"path\":\"%s\",\"applied\":%d,\"needs_restart\":%d",
	       ls_json_str(esc, sizeof(esc), c->path), applied, kept);
	obs_link_unlock(c->ro);
}
