/* state_link.c - the key-value store's state file for the agent
 * (state_link.h). */
#include "obs/metric_table.h"
#include "agent/state_link.h"
#include "obs/metrics.h"
#include "policy/kv.h"
#include "policy/kv_state.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state_link {
	struct ls_kv *kv; /* a reference of its own */
	char path[4200];
	uint64_t saved_gen; /* the generation the file holds */
	bool failing;	    /* the last save failed (said once) */
	uint64_t failures;  /* in the current run of failures */
	struct ls_metric *m_writes, *m_errors;
};

int state_link_path(char *buf, size_t len, const char *dir)
{
	int n = snprintf(buf, len, "%s/%s", dir, STATE_LINK_FILE);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void state_link_load(struct ls_kv *kv, const char *dir)
{
	char path[4200], aside[4300];
	struct ls_err err = {0};
	if (state_link_path(path, sizeof(path), dir)) {
		fprintf(stderr, "lockstep: state: --state-dir %s: path too long\n", dir);
		return;
	}
	int rc = ls_kv_state_load(kv, path, &err);
	if (!rc) {
		fprintf(stderr, "lockstep: state: loaded %zu keys of the key-value store from %s\n",
			ls_kv_count(kv), path);
		return;
	}
	if (rc == -ENOENT) {
		fprintf(stderr, "lockstep: state: no %s yet: the key-value store starts empty\n",
			path);
		return;
	}
	snprintf(aside, sizeof(aside), "%s.rejected", path);
	bool moved = rc != -EINVAL ? false : !rename(path, aside);
	fprintf(stderr, "lockstep: state: refused %s; the key-value store starts empty%s%s\n",
		err.msg, moved ? "; the file is kept as " : "", moved ? aside : "");
}

struct state_link *state_link_open(const char *dir, struct ls_kv *kv, struct ls_metrics *reg)
{
	struct state_link *s = calloc(1, sizeof(*s));
	if (!s || state_link_path(s->path, sizeof(s->path), dir)) {
		fprintf(stderr, "lockstep: state: cannot keep the key-value store in %s\n", dir);
		free(s);
		return NULL;
	}
	s->kv = ls_kv_ref(kv);
	s->saved_gen = ls_kv_generation(kv); /* what was just loaded is on disk */
	if (reg) {
		s->m_writes = ls_metric_std(reg, "lockstep_state_writes_total", NULL, 0);
		s->m_errors = ls_metric_std(reg, "lockstep_state_write_errors_total", NULL, 0);
	}
	return s;
}

int state_link_save(struct state_link *s)
{
	if (!s || ls_kv_generation(s->kv) == s->saved_gen)
		return 0;
	struct ls_err err = {0};
	uint64_t gen;
	if (ls_kv_state_save(s->kv, s->path, &gen, &err)) {
		if (!s->failing)
			fprintf(stderr,
				"lockstep: state: saving the key-value store failed: %s; it stays "
				"in memory and is tried again each second (counted in "
				"lockstep_state_write_errors_total)\n",
				err.msg);
		s->failing = true;
		s->failures++;
		return -1;
	}
	if (s->failing)
		fprintf(stderr,
			"lockstep: state: saving the key-value store to %s works again (after %llu "
			"failed tries)\n",
			s->path, (unsigned long long)s->failures);
	s->failing = false;
	s->failures = 0;
	s->saved_gen = gen;
	return 1;
}

void state_link_account(struct state_link *s, int rc)
{
	if (!s || !rc)
		return;
	ls_metric_add(rc > 0 ? s->m_writes : s->m_errors, NULL, 1);
}

void state_link_close(struct state_link *s)
{
	if (!s)
		return;
	if (state_link_save(s) > 0)
		fprintf(stderr, "lockstep: state: saved %zu keys of the key-value store to %s\n",
			ls_kv_count(s->kv), s->path);
	ls_kv_free(s->kv);
	free(s);
}
