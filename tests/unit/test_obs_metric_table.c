/* test_obs_metric_table.c - the one table of metric families
 * (src/obs/metric_table.c): every row follows the Prometheus conventions
 * (docs/metrics.md) and registers; every kernel counter is exported by
 * exactly one family with a label value its row lists; the HELP and TYPE a
 * hand-written exposition prints are the row's. */
#include "test.h"

#include <stdlib.h>

#include "dataplane/dataplane.h"
#include "obs/metric_table.h"

static bool ends_with(const char *s, const char *t)
{
	size_t a = strlen(s), b = strlen(t);
	return a >= b && !strcmp(s + a - b, t);
}

TEST(every_row_follows_the_conventions_and_registers)
{
	static const char *const sections[] = {"events",    "dataplane", "verdicts", "policy",
					       "heartbeat", "agent",	 "process",  "hold",
					       "state",	    "workers",	 NULL};
	struct ls_metrics *reg = ls_metrics_new();
	int registered = 0;
	for (int i = 0; i < ls_metric_table_n; i++) {
		const struct ls_metric_def *d = &ls_metric_table[i];
		bool known = false;
		for (const char *const *s = sections; *s; s++)
			known |= !strcmp(*s, d->section);
		CHECK(known);
		CHECK(d->help[0] && !strchr(d->help, '\n') && !strchr(d->help, '\\'));
		CHECK(d->doc[0] != 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(ls_metric_table[j].name, d->name) != 0);
		if (d->type == LS_METRIC_ANY)
			continue;
		CHECK_EQ_INT(ends_with(d->name, "_total"), d->type == LS_METRIC_COUNTER);
		char labels[64];
		ls_metric_def_label_names(d, labels, sizeof(labels));
		if (strchr(labels, ',') || !strcmp(d->name, "lockstep_metrics_dropped_total") ||
		    !strncmp(d->name, "process_", 8) || !strcmp(d->name, "lockstep_build_info"))
			continue; /* written by hand, or the registry's own */
		if (ls_metric_std(reg, d->name, NULL, 0))
			registered++;
		else
			fprintf(stderr, "# %s: %s\n", d->name, ls_metrics_error(reg));
	}
	CHECK(registered >= 70);
	ls_metrics_free(reg);
}

/* the label names of a row, by hand from docs/metrics.md's spelling */
TEST(label_names_of_a_row)
{
	char b[64];
	const struct ls_metric_def *d = ls_metric_def("lockstep_worker_failsafe_transitions_total");
	CHECK(d != NULL);
	if (d)
		CHECK_EQ_STR(ls_metric_def_label_names(d, b, sizeof(b)), "worker,direction");
	d = ls_metric_def("lockstep_packets_total");
	CHECK(d != NULL);
	if (d)
		CHECK_EQ_STR(ls_metric_def_label_names(d, b, sizeof(b)), "result");
	d = ls_metric_def("lockstep_policy_flows");
	CHECK(d != NULL);
	if (d)
		CHECK_EQ_STR(ls_metric_def_label_names(d, b, sizeof(b)), "");
	CHECK(ls_metric_def("lockstep_dataplane_total") == NULL); /* renamed away */
}

/* every counter the data plane names is exported once: pkts is the sum of
 * lockstep_packets_total and ringbuf_full is lockstep_ringbuf_lost_total,
 * the others each a (family, label value) that the family's row lists */
TEST(every_kernel_counter_has_one_family_and_value)
{
	int mapped = 0;
	for (int i = 0; i < LS_CNT__MAX; i++) {
		const struct ls_dp_counter_metric *m = &ls_dp_counter_metrics[i];
		if (!ls_counter_name(i)) {
			CHECK(m->family == NULL);
			continue;
		}
		if (i == LS_CNT_PKTS || i == LS_CNT_RINGBUF_FULL) {
			CHECK(m->family == NULL);
			continue;
		}
		CHECK(m->family != NULL);
		if (!m->family)
			continue;
		const struct ls_metric_def *d = ls_metric_def(m->family);
		CHECK(d != NULL && d->type == LS_METRIC_COUNTER &&
		      !strcmp(d->section, "dataplane"));
		if (!d)
			continue;
		char labels[64];
		ls_metric_def_label_names(d, labels, sizeof(labels));
		CHECK_EQ_STR(labels, m->label ? m->label : "");
		if (m->lv) { /* listed among the row's values: ": a, b" */
			char want[64];
			const char *vals = strchr(d->labels, ':');
			snprintf(want, sizeof(want), " %s,", m->lv);
			char list[512];
			snprintf(list, sizeof(list), "%s,", vals ? vals + 1 : "");
			CHECK(strstr(list, want) != NULL);
		}
		for (int j = 0; j < i; j++) /* one series per counter */
			CHECK(!ls_dp_counter_metrics[j].family ||
			      strcmp(ls_dp_counter_metrics[j].family, m->family) || !m->lv ||
			      strcmp(ls_dp_counter_metrics[j].lv, m->lv));
		mapped++;
	}
	CHECK_EQ_INT(mapped, 47);
	/* the packets' results: each packet ends in one (bpf/lockstep.bpf.c) */
	CHECK_EQ_STR(ls_dp_counter_metrics[LS_CNT_DROP_VERDICT].lv, "drop_verdict");
	CHECK_EQ_STR(ls_dp_counter_metrics[LS_CNT_HELD].family, "lockstep_packets_total");
	CHECK_EQ_STR(ls_dp_counter_metrics[LS_CNT_REJECT_LIMITED].lv, "reject_limited");
}

TEST(hand_written_head_is_the_rows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ls_metric_head(f, "lockstep_policy_flows");
	fclose(f);
	CHECK_EQ_STR(buf, "# HELP lockstep_policy_flows flows the policy knows\n"
			  "# TYPE lockstep_policy_flows gauge\n");
	free(buf);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(every_row_follows_the_conventions_and_registers);
	RUN(label_names_of_a_row);
	RUN(every_kernel_counter_has_one_family_and_value);
	RUN(hand_written_head_is_the_rows);
	return test_done();
}
