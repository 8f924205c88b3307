/* test_obs_trace.c - the trace recorder: the file is valid JSON in the Chrome
 * trace event format, sorted on one timeline, with flow arrows, bounded by
 * its ring and its time window. Parsed back with cJSON. */
#include "test.h"
#include "obs/trace.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <unistd.h>

static cJSON *dump(struct ls_trace *t, ls_trace_wall_fn wall)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ls_trace_write(t, f, wall, NULL, "\"test\":1");
	fclose(f);
	cJSON *j = cJSON_Parse(buf);
	if (!j)
		printf("# not JSON:\n%.2000s\n", buf);
	free(buf);
	return j;
}

static int64_t wall(void *ctx, uint64_t k)
{
	(void)ctx;
	return 1700000000000000000ll + (int64_t)k;
}

static cJSON *find(cJSON *evs, const char *ph, const char *name)
{
	cJSON *e;
	cJSON_ArrayForEach(e, evs)
	{
		cJSON *p = cJSON_GetObjectItem(e, "ph"), *n = cJSON_GetObjectItem(e, "name");
		if (!strcmp(p->valuestring, ph) && (!name || !strcmp(n->valuestring, name)))
			return e;
	}
	return NULL;
}

TEST(chrome_format_and_order)
{
	struct ls_trace *t = ls_trace_new(1024, 0);
	/* recorded out of order, as the agent does: the kernel event happened
	 * before the guest call that handled it */
	ls_trace_slice(t, LS_TR_GUEST, "dispatch", 2000000, 50000, "\"events\":1");
	ls_trace_slice(t, LS_TR_KERNEL_EVENTS, "flow_new", 1000000, 1000, "\"flow_id\":7");
	ls_trace_flow_start(t, LS_TR_KERNEL_EVENTS, 1, 1000000);
	ls_trace_slice(t, LS_TR_VERDICT, "verdict", 2040000, 2000, "\"flow_id\":7");
	ls_trace_flow_end(t, LS_TR_VERDICT, 1, 2041000);
	ls_trace_instant(t, LS_TR_KERNEL_BEAT, "failsafe enter", 3000000, 'g', NULL);
	ls_trace_counter(t, "offset_us", 3000001, -12.5);
	cJSON *j = dump(t, wall);
	CHECK(j);
	if (!j)
		return;
	cJSON *evs = cJSON_GetObjectItem(j, "traceEvents");
	CHECK(cJSON_IsArray(evs));
	double last = -1;
	int n = 0;
	cJSON *e;
	cJSON_ArrayForEach(e, evs)
	{
		const char *ph = cJSON_GetObjectItem(e, "ph")->valuestring;
		CHECK(cJSON_IsNumber(cJSON_GetObjectItem(e, "pid")));
		CHECK(cJSON_IsNumber(cJSON_GetObjectItem(e, "tid")));
		if (!strcmp(ph, "M"))
			continue;
		double ts = cJSON_GetObjectItem(e, "ts")->valuedouble;
		CHECK(ts >= last);
		last = ts;
		n++;
	}
	CHECK_EQ_INT(n, 7);
	cJSON *k = find(evs, "X", "flow_new"), *g = find(evs, "X", "dispatch");
	CHECK(k && g);
	/* kernel on pid 1, guest on pid 2, kernel first on the timeline */
	CHECK_EQ_INT(cJSON_GetObjectItem(k, "pid")->valueint, 1);
	CHECK_EQ_INT(cJSON_GetObjectItem(g, "pid")->valueint, 2);
	/* wall us = 1.7e12 s * 1e6 + 1000 us */
	CHECK(cJSON_GetObjectItem(k, "ts")->valuedouble == 1700000000001000.0);
	CHECK(cJSON_GetObjectItem(g, "dur")->valuedouble == 50.0);
	cJSON *s = find(evs, "s", NULL), *f = find(evs, "f", NULL);
	CHECK(s && f);
	CHECK_EQ_INT(cJSON_GetObjectItem(s, "id")->valueint, cJSON_GetObjectItem(f, "id")->valueint);
	CHECK_EQ_STR(cJSON_GetObjectItem(f, "bp")->valuestring, "e");
	CHECK(cJSON_GetObjectItem(s, "ts")->valuedouble == cJSON_GetObjectItem(k, "ts")->valuedouble);
	cJSON *fs = find(evs, "i", "failsafe enter");
	CHECK(fs && !strcmp(cJSON_GetObjectItem(fs, "s")->valuestring, "g"));
	cJSON *c = find(evs, "C", "offset_us");
	CHECK(c && cJSON_GetObjectItem(cJSON_GetObjectItem(c, "args"), "value")->valuedouble == -12.5);
	CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "otherData"), "test")->valueint, 1);
	cJSON_Delete(j);
	ls_trace_free(t);
}

TEST(ring_and_window_bound_it)
{
	struct ls_trace *t = ls_trace_new(100, 5000000000ull); /* 100 records, 5 s */
	for (uint64_t i = 0; i < 1000; i++)
		ls_trace_instant(t, LS_TR_KERNEL_EVENTS, "e", i * 1000000ull, 't', NULL);
	CHECK_EQ_INT(ls_trace_count(t), 100);
	CHECK_EQ_INT(ls_trace_dropped(t), 900);
	cJSON *j = dump(t, NULL);
	CHECK(j);
	int n = 0;
	cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "traceEvents"))
		n += strcmp(cJSON_GetObjectItem(e, "ph")->valuestring, "M") != 0;
	CHECK_EQ_INT(n, 100);
	cJSON_Delete(j);
	/* now spread over 20 s: only the last 5 s are written */
	for (uint64_t i = 0; i < 100; i++)
		ls_trace_instant(t, LS_TR_KERNEL_EVENTS, "e", 1000000000000ull + i * 200000000ull, 't', NULL);
	j = dump(t, NULL);
	n = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "traceEvents"))
		n += strcmp(cJSON_GetObjectItem(e, "ph")->valuestring, "M") != 0;
	CHECK_EQ_INT(n, 26); /* 19.8 s - 5 s = 14.8 s: records at 14.8..19.8 */
	cJSON_Delete(j);
	ls_trace_free(t);
}

TEST(names_and_args_stay_valid)
{
	struct ls_trace *t = ls_trace_new(16, 0);
	ls_trace_instant(t, LS_TR_ALARM, "quote\"back\\slash\nnl", 1, 't', NULL);
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ls_trace_instant(t, LS_TR_ALARM, "big args dropped whole", 2, 't', big);
	cJSON *j = dump(t, NULL);
	CHECK(j);
	cJSON_Delete(j);
	char path[] = "/tmp/ls-obs-trace-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(ls_trace_write_file(t, path, NULL, NULL, NULL), 0);
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	unlink(path);
	cJSON *k = cJSON_Parse(buf);
	CHECK(k);
	cJSON_Delete(k);
	CHECK_EQ_INT(ls_trace_write_file(t, "/nonexistent-dir/x.json", NULL, NULL, NULL) < 0, 1);
	ls_trace_free(t);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(chrome_format_and_order);
	RUN(ring_and_window_bound_it);
	RUN(names_and_args_stay_valid);
	return test_done();
}
