/* config_reload.h - SIGHUP re-reads `lockstep run --config FILE`
 * (docs/configuration.md, "Reload"): the file and then the command line are
 * parsed again, by the command's own parser (cli/cmd_run.c hands it down as
 * agent_reread_fn), into a fresh set of options; each key whose value
 * differs from the running one is applied when it can change at run time,
 * or logged as needing a restart (the running value is kept); a file that
 * does not parse is refused whole and the running configuration kept.
 * The policy is reloaded as SIGHUP always did, from its new path or with
 * its new configuration string when those keys changed. */
#ifndef LS_AGENT_CONFIG_RELOAD_H
#define LS_AGENT_CONFIG_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

/* The options as applied (the file's, then the command line's), key by
 * key: a key's effective value, the last one given, or all of them in
 * order joined by ", " for a repeatable one (alarm). */
#define AGENT_OPTREC_MAX 96
#define AGENT_OPTREC_VALUE 480
struct agent_optrec {
	int n;
	struct {
		char name[32];
		char value[AGENT_OPTREC_VALUE];
	} e[AGENT_OPTREC_MAX];
};
void agent_optrec_set(struct agent_optrec *r, const char *name, const char *value, bool repeat);
/* The key's value, NULL when it was not given. */
const char *agent_optrec_get(const struct agent_optrec *r, const char *name);

struct agent_opts;
/* Parse the configuration again: the file, then the command line, into out
 * (initialised by the callee) and rec. 0, or non-zero with why (the file,
 * line and reason: "lockstep.yaml:3: unknown key 'x' ..."). */
typedef int (*agent_reread_fn)(void *ctx, struct agent_opts *out, struct agent_optrec *rec,
			       char *why, size_t len);

struct obs_link;
struct policy_link;
struct agent_workers;
struct config_reload {
	const char *path; /* --config FILE */
	agent_reread_fn reread;
	void *ctx;
	struct agent_optrec running; /* what runs, key by key */
	struct obs_link *ro;
	struct policy_link *rp;	  /* one worker: the policy here */
	struct agent_workers *wk; /* several: theirs */
	bool policy_runs;
};

/* The whole SIGHUP: the file, then the policy. */
void config_reload(struct config_reload *c);

#endif
