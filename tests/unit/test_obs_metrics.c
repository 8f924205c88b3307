/* test_obs_metrics.c - the metrics registry and its exposition, checked by
 * the strict format checker (tests/tools/promcheck.h) and by exact text. */
#include "test.h"
#include "../tools/promcheck.h"
#include "obs/metrics.h"

#include <math.h>
#include <stdlib.h>

static char *render(struct ls_metrics *reg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ls_metrics_write(reg, f);
	fclose(f);
	return buf;
}

static struct pc_state st;

TEST(names_are_checked)
{
	struct ls_metrics *reg = ls_metrics_new();
	CHECK(reg);
	CHECK(!ls_metric_counter(reg, "lockstep_events", "no _total", NULL));
	CHECK(strstr(ls_metrics_error(reg), "_total"));
	CHECK(!ls_metric_gauge(reg, "lockstep_x_total", "gauge with _total", NULL));
	CHECK(!ls_metric_gauge(reg, "9bad", "digit first", NULL));
	CHECK(!ls_metric_gauge(reg, "bad-name", "dash", NULL));
	CHECK(!ls_metric_gauge(reg, "ok_name", "bad label", "le"));
	CHECK(!ls_metric_gauge(reg, "ok_name", "bad label", "__x"));
	CHECK(ls_metric_gauge(reg, "ok_name", "fine", "kind"));
	CHECK(!ls_metric_gauge(reg, "ok_name", "twice", NULL));
	double bad[] = {1, 1};
	CHECK(!ls_metric_histogram(reg, "h_seconds", "not increasing", NULL, bad, 2));
	ls_metrics_free(reg);
}

TEST(exact_text)
{
	struct ls_metrics *reg = ls_metrics_new();
	struct ls_metric *c = ls_metric_counter(reg, "t_events_total", "events by kind", "kind");
	struct ls_metric *g = ls_metric_gauge(reg, "t_offset_seconds", "offset\nwith \\ newline", NULL);
	double b[] = {0.001, 0.01};
	struct ls_metric *h = ls_metric_histogram(reg, "t_lat_seconds", "latency", NULL, b, 2);
	ls_metric_add(c, "flow_new", 2);
	ls_metric_add(c, "weird\"\\\nvalue", 1);
	ls_metric_add(c, "flow_new", -5); /* ignored: counters never go down */
	ls_metric_set(g, NULL, -0.25);
	ls_metric_observe(h, NULL, 0.0005);
	ls_metric_observe(h, NULL, 0.001); /* le is inclusive */
	ls_metric_observe(h, NULL, 0.005);
	ls_metric_observe(h, NULL, 3);
	char *t = render(reg);
	const char *want =
		"# HELP t_events_total events by kind\n"
		"# TYPE t_events_total counter\n"
		"t_events_total{kind=\"flow_new\"} 2\n"
		"t_events_total{kind=\"weird\\\"\\\\\\nvalue\"} 1\n"
		"# HELP t_offset_seconds offset\\nwith \\\\ newline\n"
		"# TYPE t_offset_seconds gauge\n"
		"t_offset_seconds -0.25\n"
		"# HELP t_lat_seconds latency\n"
		"# TYPE t_lat_seconds histogram\n"
		"t_lat_seconds_bucket{le=\"0.001\"} 2\n"
		"t_lat_seconds_bucket{le=\"0.01\"} 3\n"
		"t_lat_seconds_bucket{le=\"+Inf\"} 4\n"
		"t_lat_seconds_sum 3.0065\n"
		"t_lat_seconds_count 4\n";
	CHECK(strstr(t, want) != NULL);
	if (!strstr(t, want))
		printf("# got:\n%s", t);
	CHECK(pc_check(&st, t) > 0);
	CHECK_EQ_INT(ls_metric_value(c, "flow_new"), 2);
	CHECK_EQ_INT(ls_metric_value(h, NULL), 4);
	free(t);
	ls_metrics_free(reg);
}

TEST(quantile_and_set_total)
{
	struct ls_metrics *reg = ls_metrics_new();
	double b[] = {1, 2, 4};
	struct ls_metric *h = ls_metric_histogram(reg, "q_seconds", "q", "call", b, 3);
	CHECK(isnan(ls_metric_quantile(h, "x", 0.5)));
	for (int i = 0; i < 100; i++)
		ls_metric_observe(h, "x", i < 50 ? 0.5 : 1.5);
	/* by hand, as Prometheus' histogram_quantile interpolates: rank q x 100
	 * within its bucket, linearly from the bucket's lower to upper bound */
	double q = ls_metric_quantile(h, "x", 0.5);
	CHECK(fabs(q - 1.0) < 1e-9); /* rank 50: the top of (0, 1] */
	double q25 = ls_metric_quantile(h, "x", 0.25);
	CHECK(fabs(q25 - 0.5) < 1e-9); /* rank 25 of 50 in (0, 1] */
	double q99 = ls_metric_quantile(h, "x", 0.99);
	CHECK(fabs(q99 - 1.98) < 1e-9); /* rank 99: 1 + (2 - 1) x 49/50 */
	struct ls_metric *c = ls_metric_counter(reg, "mirror_total", "m", NULL);
	ls_metric_set_total(c, NULL, 10);
	ls_metric_set_total(c, NULL, 7); /* a counter never goes down */
	CHECK_EQ_INT(ls_metric_value(c, NULL), 10);
	CHECK(ls_metric_set(c, NULL, 1) < 0);     /* wrong type */
	CHECK(ls_metric_observe(c, NULL, 1) < 0); /* wrong type */
	ls_metrics_free(reg);
}

TEST(full_family_counts_dropped)
{
	struct ls_metrics *reg = ls_metrics_new();
	struct ls_metric *c = ls_metric_counter(reg, "many_total", "m", "k");
	char lv[16];
	for (int i = 0; i < LS_METRIC_MAX_SERIES + 5; i++) {
		snprintf(lv, sizeof(lv), "v%d", i);
		ls_metric_add(c, lv, 1);
	}
	char *t = render(reg);
	CHECK(strstr(t, "lockstep_metrics_dropped_total 5\n"));
	CHECK(pc_check(&st, t) > LS_METRIC_MAX_SERIES);
	free(t);
	ls_metrics_free(reg);
}

static void extra(void *ctx, FILE *f)
{
	fprintf(f, "# HELP %s x\n# TYPE %s gauge\n%s 1\n", (const char *)ctx, (const char *)ctx,
		(const char *)ctx);
}

TEST(writers_append)
{
	struct ls_metrics *reg = ls_metrics_new();
	ls_metrics_add_writer(reg, extra, "extra_metric");
	char *t = render(reg);
	CHECK(strstr(t, "extra_metric 1\n"));
	CHECK(pc_check(&st, t) == 2);
	free(t);
	ls_metrics_free(reg);
}

TEST(values)
{
	char b[32];
	CHECK_EQ_STR(ls_metric_fmt_value(b, 3), "3");
	CHECK_EQ_STR(ls_metric_fmt_value(b, -0.5), "-0.5");
	CHECK_EQ_STR(ls_metric_fmt_value(b, INFINITY), "+Inf");
	CHECK_EQ_STR(ls_metric_fmt_value(b, -INFINITY), "-Inf");
	CHECK_EQ_STR(ls_metric_fmt_value(b, NAN), "NaN");
	CHECK_EQ_STR(ls_metric_fmt_value(b, 1e20), "1e+20");
	CHECK_EQ_STR(ls_metric_fmt_value(b, 0.005), "0.005");     /* shortest form */
	CHECK_EQ_STR(ls_metric_fmt_value(b, 2.5e-6), "2.5e-06");
	CHECK_EQ_STR(ls_metric_fmt_value(b, 0.1 + 0.2), "0.30000000000000004");
}

/* The checker itself must refuse what is wrong, or the tests above prove
 * nothing: first the format, then the naming conventions. */
TEST(checker_refuses)
{
	static const char *bad[] = {
		"x 1",                                           /* no final newline */
		"x{a=\"1\"} 1\nx{a=\"1\"} 2\n",                  /* duplicate series */
		"# TYPE x counter\nx -1\n",                      /* negative counter */
		"x{a=1} 1\n",                                    /* unquoted */
		"x{a=\"\\t\"} 1\n",                              /* bad escape */
		"x{a=\"1\",} 1\n",                               /* trailing comma */
		"x abc\n",                                       /* bad value */
		"x 1\ny 1\nx{a=\"2\"} 1\n",                      /* family not contiguous */
		"x 1\n# TYPE x gauge\n",                         /* TYPE after samples */
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_count 2\nh_sum 0\n", /* no +Inf */
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",     /* count mismatch */
		"# TYPE h histogram\nh 1\n",                     /* bare histogram sample */
		"# TYPE x blah\n",                               /* unknown type */
		"x-y 1\n",                                       /* bad name */
		"x{__name=\"a\"} 1\n",                          /* reserved label */
		"# HELP x a\\tb\nx 1\n",                        /* bad escape in HELP */
		"x{a=\"1\" } 1\n",                              /* junk in labels */
		"x 1 12ab\n",                                   /* bad timestamp */
		"x  1\n",                                       /* two spaces */
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n",  /* no _sum */
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n",    /* no _count */
		"# TYPE h histogram\nh_sum 1\nh_count 0\n",                  /* no buckets */
		"# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
		"h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",             /* le decreasing */
		"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n",                 /* bad le */
		"# TYPE g gauge\ng{le=\"1\"} 1\n",                            /* le off a bucket */
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_sum 1\nh_count 1\n",
		"# HELP x a\n# HELP x b\nx 1\n",               /* second HELP */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = pc_check_format(&st, bad[i]);
		if (rc >= 0)
			printf("# format: accepted bad input %zu\n", i);
		CHECK(rc < 0);
	}
	/* well-formed, but against the naming conventions */
	static const char *badnames[] = {
		"x_total 1\n",                                                  /* no HELP/TYPE */
		"# HELP x_total a\nx_total 1\n",                                 /* no TYPE */
		"# TYPE x_total counter\nx_total 1\n",                           /* no HELP */
		"# HELP x a\n# TYPE x counter\nx 1\n",                           /* no _total */
		"# HELP x_total a\n# TYPE x_total gauge\nx_total 1\n",            /* gauge _total */
		"# HELP x_total_seconds a\n# TYPE x_total_seconds counter\nx_total_seconds 1\n",
		"# HELP x_count a\n# TYPE x_count gauge\nx_count 1\n",            /* reserved */
		"# HELP x_sum a\n# TYPE x_sum gauge\nx_sum 1\n",
		"# HELP lat_ms a\n# TYPE lat_ms gauge\nlat_ms 1\n",                /* unit */
		"# HELP t_milliseconds_total a\n# TYPE t_milliseconds_total counter\n"
		"t_milliseconds_total 1\n",
		"# HELP mem_kilobytes a\n# TYPE mem_kilobytes gauge\nmem_kilobytes 1\n",
		"# HELP cpu_percent a\n# TYPE cpu_percent gauge\ncpu_percent 1\n",
		"# HELP fooBar a\n# TYPE fooBar gauge\nfooBar 1\n",               /* camelCase */
	};
	for (size_t i = 0; i < sizeof(badnames) / sizeof(badnames[0]); i++) {
		CHECK(pc_check_format(&st, badnames[i]) >= 0);
		int rc = pc_check(&st, badnames[i]);
		if (rc >= 0)
			printf("# conventions: accepted bad input %zu\n", i);
		CHECK(rc < 0);
	}
	CHECK(pc_check_format(&st, "# a comment\n\nx 1 1700000000000\n") == 1);
	/* what is right passes both, summaries included */
	const char *good =
		"# HELP a_seconds_total time\n# TYPE a_seconds_total counter\na_seconds_total 2.5\n"
		"# HELP b_bytes size\n# TYPE b_bytes gauge\nb_bytes{k=\"x\\\"y\\\\z\\n\"} 1\n"
		"# HELP c_seconds lat\n# TYPE c_seconds histogram\n"
		"c_seconds_bucket{op=\"r\",le=\"0.1\"} 1\nc_seconds_bucket{op=\"r\",le=\"+Inf\"} 2\n"
		"c_seconds_sum{op=\"r\"} 0.3\nc_seconds_count{op=\"r\"} 2\n"
		"c_seconds_bucket{op=\"w\",le=\"0.1\"} 0\nc_seconds_bucket{op=\"w\",le=\"+Inf\"} 0\n"
		"c_seconds_sum{op=\"w\"} 0\nc_seconds_count{op=\"w\"} 0\n";
	CHECK(pc_check(&st, good) == 10);
	if (pc_check(&st, good) != 10)
		printf("# refused good input: %s\n", st.err);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(names_are_checked);
	RUN(exact_text);
	RUN(quantile_and_set_total);
	RUN(full_family_counts_dropped);
	RUN(writers_append);
	RUN(values);
	RUN(checker_refuses);
	return test_done();
}
