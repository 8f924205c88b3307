/* test_policy_gmetrics.c - labelled guest metrics (policy/gmetrics.h):
 * the validation of label names and values, the exposition text (expected
 * lines written by hand from the Prometheus text format: a label value
 * escapes backslash, double quote and line feed as \\, \" and \n, and
 * nothing else), the series caps, delete, and two workers' sets merged
 * series by series (the sums computed by hand). */
#include "test.h"

#include <math.h>

#include "policy/gmetrics.h"

/* a packed list from a literal: "a\0b" -> "a\0b\0", its sizeof */
#define L(lit) lit, sizeof(lit)

static char *render(const struct ls_gmetrics *const *parts, int n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ls_gm_write_merged(parts, n, f);
	fclose(f);
	return text;
}

TEST(label_names_follow_prometheus_rules)
{
	static struct ls_gmetrics g;
	int c = ls_gm_define_l(&g, LS_GM_COUNTER, "req", 3, "", 0, L("model\0verdict"));
	CHECK_EQ_INT(c, 0);
	/* again with the same names: the same id; other names or order: a clash */
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_COUNTER, "req", 3, "", 0, L("model\0verdict")), 0);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_COUNTER, "req", 3, "", 0, L("verdict\0model")),
		     LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_COUNTER, "req", 3, "", 0, L("model")), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define(&g, LS_GM_COUNTER, "req", 3, "", 0), LS_GM_EINVAL);
	/* [a-zA-Z_][a-zA-Z0-9_]* */
	CHECK(ls_gm_define_l(&g, LS_GM_GAUGE, "g1", 2, "", 0, L("_ok\0A9_z")) >= 0);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("9a")), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("a-b")), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("a.b")), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("é")), LS_GM_EINVAL);
	/* reserved: the __ prefix, worker (the agent's), le on a histogram */
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("__name__")), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("__")), LS_GM_EINVAL);
	CHECK(ls_gm_define_l(&g, LS_GM_GAUGE, "g3", 2, "", 0, L("_x")) >= 0);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("worker")), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_HISTOGRAM, "h", 1, "", 0, L("a\0le")), LS_GM_EINVAL);
	CHECK(ls_gm_define_l(&g, LS_GM_COUNTER, "c_le", 4, "", 0, L("le")) >= 0);
	CHECK(ls_gm_define_l(&g, LS_GM_HISTOGRAM, "h", 1, "", 0, L("lee")) >= 0);
	/* no duplicate */
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("a\0b\0a")), LS_GM_EINVAL);
	/* malformed lists: an empty name, no final NUL */
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, L("a\0")), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, "a\0b", 3), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g2", 2, "", 0, "\0", 1), LS_GM_EINVAL);
	/* 8 names at most, 64 bytes each, 520 bytes of list */
	CHECK(ls_gm_define_l(&g, LS_GM_GAUGE, "g8", 2, "", 0, L("a\0b\0c\0d\0e\0f\0g\0h")) >= 0);
	CHECK_EQ_INT(
	    ls_gm_define_l(&g, LS_GM_GAUGE, "g9", 2, "", 0, L("a\0b\0c\0d\0e\0f\0g\0h\0i")),
	    LS_GM_EINVAL);
	char n64[66], big[600];
	memset(n64, 'n', 65);
	n64[64] = '\0'; /* 64 bytes + NUL */
	CHECK(ls_gm_define_l(&g, LS_GM_GAUGE, "g64", 3, "", 0, n64, 65) >= 0);
	n64[64] = 'n';
	n64[65] = '\0';
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "g65", 3, "", 0, n64, 66), LS_GM_EINVAL);
	memset(big, 'a', sizeof big);
	big[520] = '\0';
	CHECK_EQ_INT(ls_gm_define_l(&g, LS_GM_GAUGE, "gbig", 4, "", 0, big, 521), LS_GM_ETOOBIG);
	ls_gm_free(&g);
}

TEST(label_values_are_checked)
{
	static struct ls_gmetrics g;
	memset(&g, 0, sizeof g);
	int c = ls_gm_define_l(&g, LS_GM_COUNTER, "req", 3, "", 0, L("a\0b"));
	int u = ls_gm_define(&g, LS_GM_COUNTER, "plain", 5, "", 0);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("x\0y"), 1), 0);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("\0"), 1), 0); /* two empty values */
	/* the count must be the definition's; the list must end in a NUL */
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("x"), 1), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("x\0y\0z"), 1), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, "x\0y", 3, 1), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, "", 0, 1), LS_GM_EINVAL);
	/* a labelled metric needs values; an unlabelled one takes the empty list */
	CHECK_EQ_INT(ls_gm_add(&g, c, 1), -1);
	CHECK_EQ_INT(ls_gm_add_l(&g, u, "", 0, 2), 0);
	CHECK_EQ_INT(ls_gm_add_l(&g, u, L("x"), 1), LS_GM_EINVAL);
	CHECK(g.m[u].value == 2);
	/* UTF-8 (RFC 3629): valid 2-, 3-, 4-byte forms pass */
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("\xc3\xa9\0\xe2\x82\xac\xf0\x9f\x98\x80"), 1), 0);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("\xef\xbf\xbf\0\xf4\x8f\xbf\xbf"), 1), 0);
	static const char *const bad[] = {
	    "\x80",		/* a lone continuation byte */
	    "\xc3",		/* cut short */
	    "\xe2\x82",		/* cut short */
	    "\xc0\xaf",		/* overlong '/' */
	    "\xe0\x80\xaf",	/* overlong */
	    "\xf0\x80\x80\xaf", /* overlong */
	    "\xed\xa0\x80",	/* a UTF-16 surrogate, U+D800 */
	    "\xf4\x90\x80\x80", /* U+110000 */
	    "\xf8\x88\x80\x80\x80",
	    "\xff",
	    "a\xc3(",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char list[16];
		size_t n = strlen(bad[i]);
		memcpy(list, "ok", 3);
		memcpy(list + 3, bad[i], n + 1);
		CHECK_EQ_INT(ls_gm_add_l(&g, c, list, n + 4, 1), LS_GM_EINVAL);
		CHECK(!ls_gm_utf8_ok(bad[i], n));
	}
	/* 128 bytes a value, 256 a list */
	char v[300];
	memset(v, 'v', sizeof v);
	v[128] = '\0';
	v[129] = '\0';
	CHECK_EQ_INT(ls_gm_add_l(&g, c, v, 130, 1), 0);
	v[128] = 'v';
	v[129] = '\0';
	v[130] = '\0';
	CHECK_EQ_INT(ls_gm_add_l(&g, c, v, 131, 1), LS_GM_ETOOBIG);
	memset(v, 'v', sizeof v);
	v[100] = '\0';
	v[256] = '\0';
	CHECK_EQ_INT(ls_gm_add_l(&g, c, v, 257, 1), LS_GM_ETOOBIG);
	/* the op must fit the kind; NaN and infinities are refused */
	CHECK_EQ_INT(ls_gm_set_l(&g, c, L("x\0y"), 1), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("x\0y"), -1), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("x\0y"), NAN), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("x\0y"), INFINITY), LS_GM_EINVAL);
	CHECK_EQ_INT(ls_gm_add_l(&g, 42, L("x\0y"), 1), LS_GM_EINVAL);
	/* refused updates created no series: x/y, two empties, é/€😀, U+FFFF/U+10FFFF, v128/empty */
	CHECK_EQ_INT(g.ns, 5);
	ls_gm_free(&g);
}

/* The exposition, whole, written by hand from the text format. */
TEST(exposition_of_labelled_series_is_escaped)
{
	static struct ls_gmetrics g;
	memset(&g, 0, sizeof g);
	int c = ls_gm_define_l(&g, LS_GM_COUNTER, "req", 3, "requests", 8, L("path\0v"));
	int h = ls_gm_define_l(&g, LS_GM_HISTOGRAM, "lat_seconds", 11, "", 0, L("m"));
	int q = ls_gm_define_l(&g, LS_GM_GAUGE, "q", 1, "queue", 5, L("m"));
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("a\\b\"c\nd\0\xc3\xa9\t{}=,"), 2), 0);
	CHECK_EQ_INT(ls_gm_add_l(&g, c, L("\0plain"), 0.5), 0);
	CHECK_EQ_INT(ls_gm_observe_l(&g, h, L("x"), 0.002), 0);
	CHECK_EQ_INT(ls_gm_set_l(&g, q, L("\"\""), -3), 0);
	const struct ls_gmetrics *p = &g;
	char *text = render(&p, 1);
	const char *want =
	    "# HELP lockstep_guest_req_total requests\n"
	    "# TYPE lockstep_guest_req_total counter\n"
	    "lockstep_guest_req_total{path=\"a\\\\b\\\"c\\nd\",v=\"\xc3\xa9\t{}=,\"} 2\n"
	    "lockstep_guest_req_total{path=\"\",v=\"plain\"} 0.5\n"
	    "# HELP lockstep_guest_lat_seconds defined by the policy guest\n"
	    "# TYPE lockstep_guest_lat_seconds histogram\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"1e-06\"} 0\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"1e-05\"} 0\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"0.0001\"} 0\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"0.001\"} 0\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"0.01\"} 1\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"0.1\"} 1\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"1\"} 1\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"10\"} 1\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"100\"} 1\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"1000\"} 1\n"
	    "lockstep_guest_lat_seconds_bucket{m=\"x\",le=\"+Inf\"} 1\n"
	    "lockstep_guest_lat_seconds_sum{m=\"x\"} 0.002\n"
	    "lockstep_guest_lat_seconds_count{m=\"x\"} 1\n"
	    "# HELP lockstep_guest_q queue\n"
	    "# TYPE lockstep_guest_q gauge\n"
	    "lockstep_guest_q{m=\"\\\"\\\"\"} -3\n";
	CHECK_EQ_STR(text, want);
	free(text);
	/* the escaper alone: only \, " and LF change */
	text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ls_gm_write_lvalue(f, "\\\\n\"\n\r'", 7);
	fclose(f);
	CHECK_EQ_STR(text, "\\\\\\\\n\\\"\\n\r'");
	free(text);
	ls_gm_free(&g);
}

/* 1,000 series a metric, 4,000 a set: past a cap nothing is created (the
 * set's memory stays bounded), existing series still update, and a delete
 * makes room again. */
TEST(series_caps_bound_memory)
{
	static struct ls_gmetrics g;
	memset(&g, 0, sizeof g);
	int id[5];
	for (int m = 0; m < 5; m++) {
		char name[3] = {'m', (char)('0' + m), 0};
		id[m] = ls_gm_define_l(&g, LS_GM_COUNTER, name, 2, "", 0, L("k"));
	}
	char v[16];
	int n, ok = 1;
	for (int i = 0; i < LS_GM_SERIES_PER_METRIC; i++) {
		n = snprintf(v, sizeof v, "%d", i);
		ok &= ls_gm_add_l(&g, id[0], v, (size_t)n + 1, 1) == 0;
	}
	CHECK(ok);
	CHECK_EQ_INT(ls_gm_add_l(&g, id[0], L("one more"), 1), LS_GM_EFULL);
	CHECK_EQ_INT(ls_gm_add_l(&g, id[0], L("7"), 1), 0); /* an existing one */
	CHECK_EQ_INT(g.m[id[0]].nseries, 1000);
	/* the set's cap: 4,000 over all metrics */
	for (int m = 1; m < 5; m++)
		for (int i = 0; i < LS_GM_SERIES_PER_METRIC; i++) {
			n = snprintf(v, sizeof v, "%d", i);
			int rc = ls_gm_add_l(&g, id[m], v, (size_t)n + 1, 1);
			if (m < 4)
				ok &= rc == 0;
			else
				ok &= rc == LS_GM_EFULL;
		}
	CHECK(ok);
	CHECK_EQ_INT(g.ns, LS_GM_SERIES_MAX);
	CHECK(g.scap <= LS_GM_SERIES_MAX);
	/* a delete makes room */
	CHECK_EQ_INT(ls_gm_delete_l(&g, id[1], L("5")), 0);
	CHECK_EQ_INT(ls_gm_delete_l(&g, id[1], L("5")), LS_GM_ENOTFOUND);
	CHECK_EQ_INT(ls_gm_add_l(&g, id[4], L("0"), 3), 0);
	CHECK_EQ_INT(ls_gm_add_l(&g, id[4], L("1"), 3), LS_GM_EFULL);
	ls_gm_free(&g);
}

/* The store against a plain model: random adds and deletes of 300 keys
 * over 3 metrics, then every key's value as the model says (the index's
 * backward-shift delete and the move of the last series into a hole). */
TEST(series_store_matches_a_model)
{
	static struct ls_gmetrics g;
	static double model[3][300];
	memset(&g, 0, sizeof g);
	memset(model, 0, sizeof model);
	static char present[3][300];
	memset(present, 0, sizeof present);
	for (int m = 0; m < 3; m++) {
		char name[4] = {'m', (char)('0' + m), 0};
		ls_gm_define_l(&g, LS_GM_GAUGE, name, 2, "", 0, L("k"));
	}
	unsigned s = 12345;
	int ok = 1;
	for (int step = 0; step < 20000; step++) {
		s = s * 1103515245u + 12345u;
		int m = (int)((s >> 8) % 3), k = (int)((s >> 12) % 300), del = (s >> 24) % 3 == 0;
		char v[8];
		int n = snprintf(v, sizeof v, "%d", k);
		if (del) {
			int rc = ls_gm_delete_l(&g, m, v, (size_t)n + 1);
			ok &= rc == (present[m][k] ? 0 : LS_GM_ENOTFOUND);
			present[m][k] = 0;
		} else {
			ok &= ls_gm_set_l(&g, m, v, (size_t)n + 1, step) == 0;
			present[m][k] = 1;
			model[m][k] = step;
		}
	}
	CHECK(ok);
	int live = 0;
	for (int m = 0; m < 3; m++)
		for (int k = 0; k < 300; k++) {
			char v[8];
			int n = snprintf(v, sizeof v, "%d", k);
			int i = ls_gm_series_find(&g, m, v, (size_t)n + 1);
			live += present[m][k];
			ok &= present[m][k] ? i >= 0 && g.v[i].value == model[m][k] : i < 0;
		}
	CHECK(ok);
	CHECK_EQ_INT(g.ns, live);
	ls_gm_free(&g);
}

/* Two workers merged, by hand: req{m="a",v="ok"} 2 + 5 = 7, {b,no} 1 (worker
 * 0 only), {c,ok} 4 (worker 1 only); the histogram {m="a"} 0.0005 on each
 * -> le 0.001: 2, count 2, sum 0.001; a gauge one series per worker with
 * worker="i" after the guest's labels; worker 1's "clash" (other label
 * names) left out. The copies are taken the way the agent takes them. */
TEST(labelled_series_of_two_workers_merge)
{
	static struct ls_gmetrics a, b, pa, pb;
	int ra = ls_gm_define_l(&a, LS_GM_COUNTER, "req_total", 9, "r", 1, L("m\0v"));
	int ha = ls_gm_define_l(&a, LS_GM_HISTOGRAM, "lat", 3, "l", 1, L("m"));
	int ga = ls_gm_define_l(&a, LS_GM_GAUGE, "open", 4, "o", 1, L("m"));
	int xa = ls_gm_define_l(&a, LS_GM_COUNTER, "clash", 5, "", 0, L("m"));
	int gb = ls_gm_define_l(&b, LS_GM_GAUGE, "open", 4, "o", 1, L("m"));
	int xb = ls_gm_define_l(&b, LS_GM_COUNTER, "clash", 5, "", 0, L("n"));
	int hb = ls_gm_define_l(&b, LS_GM_HISTOGRAM, "lat", 3, "l", 1, L("m"));
	int rb = ls_gm_define_l(&b, LS_GM_COUNTER, "req_total", 9, "r", 1, L("m\0v"));
	CHECK(ra >= 0 && ha >= 0 && ga >= 0 && xa >= 0 && gb >= 0 && xb >= 0 && hb >= 0 && rb >= 0);
	ls_gm_add_l(&a, ra, L("a\0ok"), 2);
	ls_gm_add_l(&a, ra, L("b\0no"), 1);
	ls_gm_add_l(&b, rb, L("c\0ok"), 4);
	ls_gm_add_l(&b, rb, L("a\0ok"), 5);
	ls_gm_observe_l(&a, ha, L("a"), 0.0005);
	ls_gm_observe_l(&b, hb, L("a"), 0.0005);
	ls_gm_set_l(&a, ga, L("a"), 3);
	ls_gm_set_l(&b, gb, L("a"), -1.5);
	ls_gm_add_l(&a, xa, L("z"), 1);
	ls_gm_add_l(&b, xb, L("z"), 100);
	CHECK(ls_gm_copy(&pa, &a));
	CHECK(!ls_gm_copy(&pa, &a));
	CHECK(ls_gm_copy(&pb, &b));
	const struct ls_gmetrics *parts[2] = {&pa, &pb};
	char *text = render(parts, 2);
	const char *want = "# HELP lockstep_guest_req_total r\n"
			   "# TYPE lockstep_guest_req_total counter\n"
			   "lockstep_guest_req_total{m=\"a\",v=\"ok\"} 7\n"
			   "lockstep_guest_req_total{m=\"b\",v=\"no\"} 1\n"
			   "lockstep_guest_req_total{m=\"c\",v=\"ok\"} 4\n"
			   "# HELP lockstep_guest_lat l\n"
			   "# TYPE lockstep_guest_lat histogram\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"1e-06\"} 0\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"1e-05\"} 0\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"0.0001\"} 0\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"0.001\"} 2\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"0.01\"} 2\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"0.1\"} 2\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"1\"} 2\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"10\"} 2\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"100\"} 2\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"1000\"} 2\n"
			   "lockstep_guest_lat_bucket{m=\"a\",le=\"+Inf\"} 2\n"
			   "lockstep_guest_lat_sum{m=\"a\"} 0.001\n"
			   "lockstep_guest_lat_count{m=\"a\"} 2\n"
			   "# HELP lockstep_guest_open o\n"
			   "# TYPE lockstep_guest_open gauge\n"
			   "lockstep_guest_open{m=\"a\",worker=\"0\"} 3\n"
			   "lockstep_guest_open{m=\"a\",worker=\"1\"} -1.5\n"
			   "# HELP lockstep_guest_clash_total defined by the policy guest\n"
			   "# TYPE lockstep_guest_clash_total counter\n"
			   "lockstep_guest_clash_total{m=\"z\"} 1\n";
	CHECK_EQ_STR(text, want);
	free(text);
	/* a delete on worker 0 is seen in its next copy: b/no is gone, a/ok is 5 */
	CHECK_EQ_INT(ls_gm_delete_l(&a, ra, L("b\0no")), 0);
	CHECK_EQ_INT(ls_gm_delete_l(&a, ra, L("a\0ok")), 0);
	CHECK(ls_gm_copy(&pa, &a));
	text = render(parts, 2);
	CHECK(strstr(text, "# TYPE lockstep_guest_req_total counter\n"
			   "lockstep_guest_req_total{m=\"c\",v=\"ok\"} 4\n"
			   "lockstep_guest_req_total{m=\"a\",v=\"ok\"} 5\n# HELP"));
	free(text);
	/* one worker: no worker label */
	const struct ls_gmetrics *one = &pa;
	text = render(&one, 1);
	CHECK(strstr(text, "lockstep_guest_open{m=\"a\"} 3\n"));
	free(text);
	ls_gm_free(&a);
	ls_gm_free(&b);
	ls_gm_free(&pa);
	ls_gm_free(&pb);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(label_names_follow_prometheus_rules);
	RUN(label_values_are_checked);
	RUN(exposition_of_labelled_series_is_escaped);
	RUN(series_caps_bound_memory);
	RUN(series_store_matches_a_model);
	RUN(labelled_series_of_two_workers_merge);
	return test_done();
}
