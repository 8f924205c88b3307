/* control_policy.c - what the control socket can ask of the policy pipeline:
 * "reload [PATH]" and "status". Separate from control.c so that the socket's
 * client (`lockstep reload`) does not pull in the engine. */
#include "agent/control.h"
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

int ls_control_policy(void *ctx, const char *cmd, const char *arg, char *reply,
		      size_t len)
{
	struct ls_policy *p = ctx;
	struct ls_policy_stats st;
	struct ls_err err;

	if (!strcmp(cmd, "reload")) {
		int rc = arg[0] ? ls_policy_load_file(p, arg, &err) : ls_policy_reload(p, &err);
		if (rc) {
			snprintf(reply, len, "reload refused, the running policy is unchanged: %s",
				 err.msg);
			return -1;
		}
		snprintf(reply, len, "reloaded %s", ls_policy_path(p));
		return 0;
	}
	if (!strcmp(cmd, "status")) {
		ls_policy_stats(p, &st);
		snprintf(reply, len,
			 "{\"policy\":\"%s\",\"healthy\":%d,\"health\":\"%s\",\"events\":%llu,"
			 "\"calls\":%llu,"
			 "\"traps\":%llu,\"fuel\":%llu,\"restarts\":%llu,\"reloads\":%llu,"
			 "\"reload_refused\":%llu,\"flows\":%llu}",
			 ls_policy_path(p), st.healthy, ls_policy_health_name(st.health),
			 (unsigned long long)st.events,
			 (unsigned long long)st.calls,
			 (unsigned long long)st.failures[LS_PF_TRAP],
			 (unsigned long long)st.failures[LS_PF_FUEL],
			 (unsigned long long)st.restarts, (unsigned long long)st.reloads,
			 (unsigned long long)st.reload_refused, (unsigned long long)st.flows);
		return 0;
	}
	snprintf(reply, len, "unknown request '%s' (reload [PATH] | status)", cmd);
	return -1;
}
