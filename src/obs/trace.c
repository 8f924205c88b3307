/* trace.c - bounded trace recorder and Chrome trace event writer (trace.h). */
#include "obs/trace.h"

#include "base/outfile.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"

struct ls_trace {
	struct ls_trace_rec *ring;
	uint32_t cap;
	uint64_t head;    /* records ever added */
	uint64_t window_ns;
	uint64_t newest_k;
};

static const struct {
	int pid, tid;
	const char *thread;
} tracks[LS_TR__MAX] = {
	[LS_TR_KERNEL_EVENTS] = {1, 1, "events"},
	[LS_TR_KERNEL_BEAT] = {1, 2, "heartbeat / fail-safe"},
	[LS_TR_KERNEL_PACKET] = {1, 3, "packets (trace level)"},
	[LS_TR_GUEST] = {2, 1, "guest calls"},
	[LS_TR_VERDICT] = {2, 2, "verdicts"},
	[LS_TR_CLOCK] = {2, 3, "clock"},
	[LS_TR_ALARM] = {2, 4, "alarms"},
};

struct ls_trace *ls_trace_new(uint32_t capacity, uint64_t window_ns)
{
	struct ls_trace *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = capacity ? capacity : 65536;
	t->window_ns = window_ns ? window_ns : 60ull * 1000000000ull;
	t->ring = calloc(t->cap, sizeof(*t->ring));
	if (!t->ring) {
		free(t);
		return NULL;
	}
	return t;
}

void ls_trace_free(struct ls_trace *t)
{
	if (!t)
		return;
	free(t->ring);
	free(t);
}

/* The policy worker the calling thread is (ls_trace_thread_worker). */
static _Thread_local int tl_worker = -1;

void ls_trace_thread_worker(int worker)
{
	tl_worker = worker >= 0 && worker < 255 ? worker : -1;
}

static struct ls_trace_rec *add(struct ls_trace *t, char ph, int track, const char *name,
				uint64_t ts_k)
{
	if (!t)
		return NULL;
	struct ls_trace_rec *r = &t->ring[t->head++ % t->cap];
	memset(r, 0, offsetof(struct ls_trace_rec, name));
	r->ph = ph;
	r->track = (uint8_t)(track >= 0 && track < LS_TR__MAX ? track : LS_TR_ALARM);
	if (tl_worker >= 0 && (r->track == LS_TR_GUEST || r->track == LS_TR_VERDICT))
		r->worker = (uint8_t)(tl_worker + 1);
	r->ts_k = ts_k;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	r->args[0] = 0;
	if (ts_k > t->newest_k)
		t->newest_k = ts_k;
	return r;
}

static void set_args(struct ls_trace_rec *r, const char *args)
{
	/* a member cut in half would break the JSON: keep all or nothing */
	if (args && strlen(args) < sizeof(r->args))
		strcpy(r->args, args);
}

void ls_trace_slice(struct ls_trace *t, int track, const char *name, uint64_t start_k,
		    uint64_t dur_ns, const char *args)
{
	struct ls_trace_rec *r = add(t, 'X', track, name, start_k);
	if (!r)
		return;
	r->dur_ns = dur_ns;
	set_args(r, args);
}

void ls_trace_instant(struct ls_trace *t, int track, const char *name, uint64_t ts_k,
		      char scope, const char *args)
{
	struct ls_trace_rec *r = add(t, 'i', track, name, ts_k);
	if (!r)
		return;
	r->scope = scope == 'g' || scope == 'p' ? scope : 't';
	set_args(r, args);
}

void ls_trace_counter(struct ls_trace *t, const char *name, uint64_t ts_k, double value)
{
	struct ls_trace_rec *r = add(t, 'C', LS_TR_CLOCK, name, ts_k);
	if (r)
		r->value = value;
}

void ls_trace_flow_start(struct ls_trace *t, int track, uint64_t id, uint64_t ts_k)
{
	struct ls_trace_rec *r = add(t, 's', track, "event->verdict", ts_k);
	if (r)
		r->id = id;
}

void ls_trace_flow_end(struct ls_trace *t, int track, uint64_t id, uint64_t ts_k)
{
	struct ls_trace_rec *r = add(t, 'f', track, "event->verdict", ts_k);
	if (r)
		r->id = id;
}

uint64_t ls_trace_count(const struct ls_trace *t)
{
	return t->head < t->cap ? t->head : t->cap;
}

uint64_t ls_trace_dropped(const struct ls_trace *t)
{
	return t->head > t->cap ? t->head - t->cap : 0;
}

static int by_time(const void *a, const void *b)
{
	const struct ls_trace_rec *x = *(const struct ls_trace_rec *const *)a;
	const struct ls_trace_rec *y = *(const struct ls_trace_rec *const *)b;
	if (x->ts_k != y->ts_k)
		return x->ts_k < y->ts_k ? -1 : 1;
	/* at one instant an arrow's start sits after its slice, its end
	 * after the verdict slice: viewers bind arrows to enclosing slices */
	return (x->ph == 's' || x->ph == 'f') - (y->ph == 's' || y->ph == 'f');
}

int ls_trace_write(const struct ls_trace *t, FILE *f, ls_trace_wall_fn wall, void *ctx,
		   const char *otherdata)
{
	uint64_t n = ls_trace_count(t), first = t->head - n, kept = 0;
	const struct ls_trace_rec **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	uint64_t horizon = t->newest_k > t->window_ns ? t->newest_k - t->window_ns : 0;
	uint8_t seen[256] = {0}; /* the workers with a record kept */
	for (uint64_t i = first; i < t->head; i++) {
		const struct ls_trace_rec *r = &t->ring[i % t->cap];
		if (r->ts_k >= horizon) {
			v[kept++] = r;
			seen[r->worker] = 1;
		}
	}
	qsort(v, kept, sizeof(*v), by_time);
	int64_t base = 0;
	if (!wall && kept)
		base = (int64_t)v[0]->ts_k;

	fputs("{\"traceEvents\":[\n", f);
	fputs("{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"kernel (eBPF data plane)\"}},\n"
	      "{\"ph\":\"M\",\"pid\":2,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"agent (host + Wasm guest)\"}}",
	      f);
	for (int i = 0; i < LS_TR__MAX; i++)
		fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\",\"args\":{\"name\":\"%s\"}}",
			tracks[i].pid, tracks[i].tid, tracks[i].thread);
	for (int i = 1; i < 256; i++)
		if (seen[i])
			fprintf(f, ",\n{\"ph\":\"M\",\"pid\":2,\"tid\":%d,\"name\":\"thread_name\",\"args\":{\"name\":\"worker %d (guest calls, verdicts)\"}}",
				10 + i - 1, i - 1);
	for (uint64_t i = 0; i < kept; i++) {
		const struct ls_trace_rec *r = v[i];
		int64_t w = wall ? wall(ctx, r->ts_k) : (int64_t)r->ts_k - base;
		int pid = tracks[r->track].pid, tid = tracks[r->track].tid;
		if (r->worker) /* one track per policy worker */
			pid = 2, tid = 10 + r->worker - 1;
		/* microseconds with ns precision, as the format wants */
		fprintf(f, ",\n{\"ph\":\"%c\",\"pid\":%d,\"tid\":%d,\"ts\":%lld.%03lld,\"name\":\"", r->ph,
			pid, tid, (long long)(w / 1000), (long long)((w % 1000 + 1000) % 1000));
		ls_json_fput(f, r->name, strlen(r->name));
		fputc('"', f);
		switch (r->ph) {
		case 'X':
			fprintf(f, ",\"dur\":%llu.%03llu", (unsigned long long)(r->dur_ns / 1000),
				(unsigned long long)(r->dur_ns % 1000));
			break;
		case 'i':
			fprintf(f, ",\"s\":\"%c\"", r->scope ? r->scope : 't');
			break;
		case 'C':
			fprintf(f, ",\"args\":{\"value\":%.9g}", r->value);
			break;
		case 's':
			fprintf(f, ",\"cat\":\"flow\",\"id\":%llu", (unsigned long long)r->id);
			break;
		case 'f':
			fprintf(f, ",\"cat\":\"flow\",\"id\":%llu,\"bp\":\"e\"", (unsigned long long)r->id);
			break;
		}
		if (r->ph != 'C') {
			fprintf(f, ",\"k_ns\":%llu", (unsigned long long)r->ts_k);
			if (r->args[0])
				fprintf(f, ",\"args\":{%s}", r->args);
		}
		fputc('}', f);
	}
	fprintf(f, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"clock\":\"%s\","
		   "\"records\":%llu,\"overwritten\":%llu%s%s}}\n",
		wall ? "wall-clock us derived from K (CLOCK_BOOTTIME)" : "K (CLOCK_BOOTTIME) us since the first record",
		(unsigned long long)kept, (unsigned long long)ls_trace_dropped(t),
		otherdata && *otherdata ? "," : "", otherdata ? otherdata : "");
	free(v);
	return ferror(f) ? (errno ? -errno : -EIO) : 0;
}

int ls_trace_write_file(const struct ls_trace *t, const char *path, ls_trace_wall_fn wall,
			void *ctx, const char *otherdata)
{
	struct ls_outfile o;
	int rc = ls_outfile_begin(&o, path, LS_FILE_MODE_DEFAULT);
	if (rc)
		return rc;
	rc = ls_trace_write(t, o.f, wall, ctx, otherdata);
	if (rc) {
		ls_outfile_abort(&o);
		return rc;
	}
	return ls_outfile_commit(&o);
}
