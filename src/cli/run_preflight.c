/* run_preflight.c - what `lockstep run` checks before it attaches anything
 * (run_preflight.h). Everything a start would refuse later is refused here
 * first, with exit 2 and one line naming the option, so that a mistyped
 * flag never leaves a data plane attached, maps pinned or a half-started
 * agent behind: the interface, the policy module (compiled), the policy
 * config, the metrics address (parsed and bound once), the log and trace
 * files' places, the state directory, and the control socket (another
 * agent on it). */
#include "cli/run_preflight.h"
#include "agent/control.h"
#include "base/file.h"
#include "cli/wasm_cli.h"
#include "obs/http.h"
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int refuse(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "lockstep run: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 2;
}

static int check_policy(const char *path)
{
	char label[512];
	snprintf(label, sizeof(label), "lockstep run: --policy %s", path);
	return wasm_validate_file(path, label) ? 2 : 0;
}

/* A file the agent will write (append, or create beside and rename): if it
 * exists it must be a regular file; its directory must exist and be
 * writable. */
static int check_out(const char *opt, const char *path, bool probe)
{
	struct stat st;
	char buf[4096], msg[160];
	if (!lstat(path, &st)) {
		if (S_ISLNK(st.st_mode) && stat(path, &st))
			return refuse("%s %s: a dangling symlink", opt, path);
		if (!S_ISREG(st.st_mode)) {
			snprintf(msg, sizeof(msg), "%s %%s: not a regular file", opt);
			return refuse(msg, path, "");
		}
	}
	if (!probe)
		return 0; /* its directory may be made at start (LogsDirectory=) */
	snprintf(buf, sizeof(buf), "%s", path);
	const char *dir = dirname(buf);
	if (access(dir, W_OK | X_OK)) {
		snprintf(msg, sizeof(msg), "%s %%s: cannot write in %%s", opt);
		char why[4200];
		snprintf(why, sizeof(why), "%s (%s)", dir, strerror(errno));
		return refuse(msg, path, why);
	}
	return 0;
}

/* --state-dir: a directory (a symlink to one is fine: it is the operator's)
 * the agent can create its file in; a kv.state already there must be a
 * regular file. Not probed under --check: StateDirectory= makes it at
 * start. */
static int check_state_dir(const char *dir, bool probe)
{
	struct stat st;
	char path[4200], why[4300];
	if (strlen(dir) + sizeof("/kv.state") > 4096)
		return refuse("--state-dir %s: path too long%s", dir, "");
	if (stat(dir, &st)) {
		if (errno == ENOENT && !probe)
			return 0;
		snprintf(why, sizeof(why), "%s", strerror(errno));
		return refuse("--state-dir %s: %s", dir, why);
	}
	if (!S_ISDIR(st.st_mode))
		return refuse("--state-dir %s: not a directory%s", dir, "");
	snprintf(path, sizeof(path), "%s/kv.state", dir);
	if (!lstat(path, &st) && !S_ISREG(st.st_mode))
		return refuse("--state-dir %s: %s/kv.state is not a regular file", dir, dir);
	if (probe && access(dir, W_OK | X_OK)) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		return refuse("--state-dir %s: cannot write in it (%s)", dir, why);
	}
	return 0;
}

/* Parsed and bound once: a typo or a port in use is refused now, not after
 * the attach. The probe socket is closed at once; the endpoint binds again
 * at start (with SO_REUSEADDR, as libmicrohttpd does). */
static int check_metrics(const char *addr, bool probe)
{
	struct sockaddr_storage ss;
	size_t sslen;
	if (ls_http_parse_addr(addr, &ss, &sslen))
		return refuse("--metrics wants HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464), not "
			      "'%s'%s",
			      addr, "");
	if (!probe)
		return 0;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return refuse("--metrics %s: %s", addr, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc = bind(fd, (struct sockaddr *)&ss, (socklen_t)sslen) ? errno : 0;
	close(fd);
	if (rc)
		return refuse("--metrics %s: cannot listen there: %s", addr, strerror(rc));
	return 0;
}

int run_preflight(const struct agent_opts *a, bool probe)
{
	const struct policy_link_opts *po = &a->policy;
	const struct ls_obs_config *oc = &a->obs.cfg;
	struct ls_err err;
	int rc;

	if (!if_nametoindex(a->dp.ifname))
		return refuse("--iface: no interface named '%s' in this network namespace%s",
			      a->dp.ifname, "");
	if (po->policy && (rc = check_policy(po->policy)))
		return rc;
	if (po->config) {
		char *text = NULL;
		size_t len;
		rc = ls_read_arg(po->config, LS_POLICY_CONFIG_MAX, &text, &len, &err);
		free(text);
		if (rc)
			return refuse("--policy-config %s%s", err.msg, "");
	}
	if (oc->metrics_addr && (rc = check_metrics(oc->metrics_addr, probe)))
		return rc;
	if (oc->log_path && (rc = check_out("--log", oc->log_path, probe)))
		return rc;
	if (oc->trace_path && (rc = check_out("--trace", oc->trace_path, probe)))
		return rc;
	if (po->state_dir && (rc = check_state_dir(po->state_dir, probe)))
		return rc;
	if (probe && ls_control_busy(a->control_path, &err))
		return refuse("%s%s", err.msg, "");
	return 0;
}
