/* promcheck.h - a strict checker of the Prometheus text exposition format
 * (0.0.4), shared by the promcheck tool and the metrics unit tests.
 *
 * pc_check_format() refuses what Prometheus' own parser refuses and a bit
 * more: bad metric or label names (and the reserved "__" label prefix), bad
 * escapes in HELP (\\ \n) and label values (\\ \" \n), unparsable values
 * or timestamps, HELP or TYPE twice, TYPE after the family's samples, a
 * family split in two, duplicate series, samples whose name does not belong
 * to the declared type (histograms: _bucket with le, _sum, _count; le only
 * on buckets), buckets out of increasing le order or not cumulative, a
 * histogram series without its +Inf bucket, _sum or _count, or a _count
 * that disagrees with +Inf, negative counters, a missing final newline. It
 * is stricter than the spec in one way: tokens are separated by exactly
 * one space, as every exporter writes them.
 *
 * pc_check() adds the naming conventions of prometheus.io/docs/practices/
 * naming (what `promtool check metrics` lints): every family has HELP and
 * TYPE, counters and only counters end in _total (nothing after it: the
 * unit comes before, as in _seconds_total), no gauge or counter ends in
 * _count/_sum/_bucket, names are snake_case, and units are base units
 * (seconds, bytes, ratio; not milliseconds, kilobytes, percent ...).
 * Header-only (static functions) so that both users compile it in. */
#ifndef LS_PROMCHECK_H
#define LS_PROMCHECK_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PC_MAX_FAM 512
#define PC_MAX_SERIES 8192

struct pc_family {
	char name[128];
	char type[16];
	bool help, typed, has_samples, closed;
	char labels[128]; /* label names of its first sample, but le ("a,b") */
};

/* one histogram series (family + labels without le) and what it had */
struct pc_hseries {
	char *key;
	bool inf, sum, count;
	int line;
};

struct pc_state {
	struct pc_family fam[PC_MAX_FAM];
	int nfam, cur;
	char *series[PC_MAX_SERIES];
	int nseries;
	struct pc_hseries hs[PC_MAX_SERIES];
	int nhs;
	/* histogram bucket checks for the current series */
	char hkey[1200];
	double last_le, last_cum;
	bool saw_inf;
	double inf_count;
	char err[512];
	int line;
	int samples;
};

static bool pc_name_ok(const char *s, size_t n, bool label)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool a = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
		if (!a && !(i && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static bool pc_value_ok(const char *s, double *v)
{
	if (!strcmp(s, "NaN")) {
		*v = NAN;
		return true;
	}
	if (!strcmp(s, "+Inf") || !strcmp(s, "Inf")) {
		*v = INFINITY;
		return true;
	}
	if (!strcmp(s, "-Inf")) {
		*v = -INFINITY;
		return true;
	}
	char *e;
	if (!*s || strchr(s, ' '))
		return false;
	*v = strtod(s, &e);
	return *e == 0 && !isinf(*v) && !isnan(*v);
}

static int pc_fail(struct pc_state *st, const char *msg, const char *detail)
{
	snprintf(st->err, sizeof(st->err), "line %d: %s%s%s", st->line, msg, detail ? ": " : "",
		 detail ? detail : "");
	return -1;
}

static struct pc_family *pc_family(struct pc_state *st, const char *name, bool create)
{
	for (int i = 0; i < st->nfam; i++)
		if (!strcmp(st->fam[i].name, name))
			return &st->fam[i];
	if (!create || st->nfam == PC_MAX_FAM)
		return NULL;
	struct pc_family *f = &st->fam[st->nfam++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

/* Make family f the current one: a family may not come back after another. */
static int pc_enter(struct pc_state *st, struct pc_family *f)
{
	int idx = (int)(f - st->fam);
	if (st->cur == idx)
		return 0;
	if (f->closed)
		return pc_fail(st, "metric family appears twice (not contiguous)", f->name);
	if (st->cur >= 0)
		st->fam[st->cur].closed = true;
	st->cur = idx;
	return 0;
}

static bool pc_suffix(const char *name, const char *suf, char *base, size_t blen)
{
	size_t a = strlen(name), b = strlen(suf);
	if (a <= b || strcmp(name + a - b, suf))
		return false;
	snprintf(base, blen, "%.*s", (int)(a - b), name);
	return true;
}

static int pc_comment(struct pc_state *st, const char *l)
{
	char kw[8], name[256];
	int off = 0;
	if (sscanf(l, "# %7s %255s %n", kw, name, &off) < 2 || (strcmp(kw, "HELP") && strcmp(kw, "TYPE")))
		return 0; /* a plain comment */
	if (!pc_name_ok(name, strlen(name), false))
		return pc_fail(st, "bad metric name in comment", name);
	const char *rest = off ? l + off : "";
	struct pc_family *f = pc_family(st, name, true);
	if (!f)
		return pc_fail(st, "too many families", NULL);
	if (pc_enter(st, f))
		return -1;
	if (!strcmp(kw, "HELP")) {
		if (f->help)
			return pc_fail(st, "second HELP", name);
		for (const char *p = rest; *p; p++)
			if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
				return pc_fail(st, "bad escape in HELP", name);
			else if (*p == '\\')
				p++;
		f->help = true;
		return 0;
	}
	if (f->typed)
		return pc_fail(st, "second TYPE", name);
	if (f->has_samples)
		return pc_fail(st, "TYPE after samples", name);
	static const char *types[] = {"counter", "gauge", "histogram", "summary", "untyped"};
	bool ok = false;
	for (int i = 0; i < 5; i++)
		ok |= !strcmp(rest, types[i]);
	if (!ok)
		return pc_fail(st, "unknown TYPE", rest);
	snprintf(f->type, sizeof(f->type), "%s", rest);
	f->typed = true;
	return 0;
}

/* Parses `{a="x",b="y"}` at *pp; canonical text of the labels without le
 * goes to key, le's value to le (or ""). */
static int pc_labels(struct pc_state *st, const char **pp, char *key, size_t klen, char *le,
		     size_t lelen)
{
	const char *p = *pp;
	char names[16][128];
	int nn = 0;
	key[0] = le[0] = 0;
	if (*p != '{')
		return 0;
	p++;
	while (*p != '}') {
		const char *n0 = p;
		while (*p && *p != '=' && *p != '}' && *p != ',')
			p++;
		if (*p != '=' || !pc_name_ok(n0, (size_t)(p - n0), true))
			return pc_fail(st, "bad label name", NULL);
		if (p - n0 >= 2 && n0[0] == '_' && n0[1] == '_')
			return pc_fail(st, "label names starting with __ are reserved", NULL);
		if (p - n0 >= 128 || nn == 16)
			return pc_fail(st, "label name too long or too many labels", NULL);
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(p - n0), n0);
		for (int i = 0; i < nn; i++)
			if (!strcmp(names[i], name))
				return pc_fail(st, "duplicate label", name);
		strcpy(names[nn++], name);
		p++;
		if (*p != '"')
			return pc_fail(st, "label value not quoted", name);
		p++;
		char val[512];
		size_t vn = 0;
		while (*p && *p != '"') {
			char c = *p;
			if (c == '\\') {
				p++;
				if (*p == 'n')
					c = '\n';
				else if (*p == '\\' || *p == '"')
					c = *p;
				else
					return pc_fail(st, "bad escape in label value", name);
			} else if (c == '\n') {
				return pc_fail(st, "newline in label value", name);
			}
			if (vn + 1 < sizeof(val))
				val[vn++] = c;
			p++;
		}
		if (*p != '"')
			return pc_fail(st, "unterminated label value", name);
		val[vn] = 0;
		p++;
		if (!strcmp(name, "le"))
			snprintf(le, lelen, "%.*s", (int)(lelen - 1), val);
		else {
			size_t kl = strlen(key);
			snprintf(key + kl, klen - kl, "%s=%s;", name, val);
		}
		if (*p == ',') {
			p++;
			if (*p == '}')
				return pc_fail(st, "trailing comma in labels", NULL);
		} else if (*p != '}') {
			return pc_fail(st, "expected , or } in labels", NULL);
		}
	}
	*pp = p + 1;
	return 1;
}

static struct pc_hseries *pc_hseries(struct pc_state *st, const char *key)
{
	for (int i = 0; i < st->nhs; i++)
		if (!strcmp(st->hs[i].key, key))
			return &st->hs[i];
	if (st->nhs == PC_MAX_SERIES)
		return NULL;
	struct pc_hseries *h = &st->hs[st->nhs++];
	memset(h, 0, sizeof(*h));
	h->key = strdup(key);
	h->line = st->line;
	return h->key ? h : NULL;
}

static int pc_sample(struct pc_state *st, const char *l)
{
	const char *p = l;
	while (*p && *p != '{' && *p != ' ')
		p++;
	char name[256];
	if (!pc_name_ok(l, (size_t)(p - l), false) || p - l >= 256)
		return pc_fail(st, "bad metric name", NULL);
	snprintf(name, sizeof(name), "%.*s", (int)(p - l), l);
	char key[1024], le[512];
	int hl = pc_labels(st, &p, key, sizeof(key), le, sizeof(le));
	if (hl < 0)
		return -1;
	if (*p != ' ')
		return pc_fail(st, "expected a space before the value", name);
	p++;
	char vbuf[64];
	const char *sp = strchr(p, ' ');
	size_t vl = sp ? (size_t)(sp - p) : strlen(p);
	if (vl >= sizeof(vbuf))
		return pc_fail(st, "value too long", name);
	snprintf(vbuf, sizeof(vbuf), "%.*s", (int)vl, p);
	double v;
	if (!pc_value_ok(vbuf, &v))
		return pc_fail(st, "bad value", vbuf);
	if (sp) {
		char *e;
		strtoll(sp + 1, &e, 10);
		if (!sp[1] || *e)
			return pc_fail(st, "bad timestamp", name);
	}
	/* which family, and is the name allowed for its type */
	char base[256];
	struct pc_family *f = pc_family(st, name, false);
	const char *suffix = "";
	if (!f || !f->typed || (strcmp(f->type, "histogram") && strcmp(f->type, "summary"))) {
		const char *sufs[] = {"_bucket", "_sum", "_count"};
		for (int i = 0; i < 3; i++)
			if (pc_suffix(name, sufs[i], base, sizeof(base))) {
				struct pc_family *h = pc_family(st, base, false);
				if (h && (!strcmp(h->type, "histogram") || !strcmp(h->type, "summary"))) {
					f = h;
					suffix = sufs[i];
				}
			}
	}
	if (!f)
		f = pc_family(st, name, true);
	if (!f)
		return pc_fail(st, "too many families", NULL);
	if (pc_enter(st, f))
		return -1;
	if (!f->has_samples) /* key is "a=x;b=y;": keep the names */
		for (const char *k = key; *k;) {
			const char *eq = strchr(k, '='), *sc = eq ? strchr(eq, ';') : NULL;
			if (!sc)
				break;
			size_t fl = strlen(f->labels);
			snprintf(f->labels + fl, sizeof(f->labels) - fl, "%s%.*s", fl ? "," : "",
				 (int)(eq - k), k);
			k = sc + 1;
		}
	f->has_samples = true;
	bool hist = !strcmp(f->type, "histogram");
	if (hist && !suffix[0])
		return pc_fail(st, "histogram sample without _bucket/_sum/_count", name);
	if (!strcmp(suffix, "_bucket") != !!le[0] && hist)
		return pc_fail(st, le[0] ? "le on a non-bucket sample" : "bucket without le", name);
	if (!hist && le[0] && strcmp(f->type, "untyped"))
		return pc_fail(st, "le label outside a histogram", name);
	if (!strcmp(f->type, "counter") && (v < 0 || isnan(v)))
		return pc_fail(st, "negative counter", name);
	/* duplicate series */
	char sk[2400];
	snprintf(sk, sizeof(sk), "%s|%s|%s", name, key, le);
	for (int i = 0; i < st->nseries; i++)
		if (!strcmp(st->series[i], sk))
			return pc_fail(st, "duplicate series", sk);
	if (st->nseries < PC_MAX_SERIES)
		st->series[st->nseries++] = strdup(sk);
	if (hist) {
		char hk[1200];
		snprintf(hk, sizeof(hk), "%s|%s", f->name, key);
		struct pc_hseries *h = pc_hseries(st, hk);
		if (!h)
			return pc_fail(st, "too many histogram series", NULL);
		if (!strcmp(suffix, "_sum")) {
			if (h->sum)
				return pc_fail(st, "second _sum for a histogram series", name);
			h->sum = true;
		} else if (!strcmp(suffix, "_count")) {
			h->count = true;
		}
		if (!strcmp(suffix, "_bucket")) {
			double lev;
			if (!pc_value_ok(le, &lev))
				return pc_fail(st, "bad le", le);
			if (strcmp(hk, st->hkey)) {
				snprintf(st->hkey, sizeof(st->hkey), "%s", hk);
				st->last_le = -INFINITY;
				st->last_cum = 0;
				st->saw_inf = false;
			}
			if (lev <= st->last_le)
				return pc_fail(st, "buckets not in increasing le order", name);
			if (v < st->last_cum)
				return pc_fail(st, "buckets not cumulative", name);
			st->last_le = lev;
			st->last_cum = v;
			if (isinf(lev)) {
				st->saw_inf = true;
				st->inf_count = v;
				h->inf = true;
			}
		} else if (!strcmp(suffix, "_count")) {
			if (strcmp(hk, st->hkey) || !st->saw_inf)
				return pc_fail(st, "histogram without a +Inf bucket", name);
			if (v != st->inf_count)
				return pc_fail(st, "_count differs from the +Inf bucket", name);
		}
	}
	st->samples++;
	return 0;
}

/* Every histogram series has its +Inf bucket, _sum and _count. */
static int pc_histograms_complete(struct pc_state *st)
{
	for (int i = 0; i < st->nhs; i++) {
		const struct pc_hseries *h = &st->hs[i];
		const char *miss = !h->inf ? "+Inf bucket" : !h->sum ? "_sum" : !h->count ? "_count" : NULL;
		if (miss) {
			st->line = h->line;
			return pc_fail(st, !h->inf ? "histogram series without a +Inf bucket"
					 : !h->sum ? "histogram series without _sum"
						   : "histogram series without _count",
				       h->key);
		}
	}
	return 0;
}

static bool pc_ends(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* The naming conventions (see the top of this file), family by family. */
static int pc_lint(struct pc_state *st)
{
	/* a unit that is not the base unit, as a whole word of the name */
	static const char *const nonbase[] = {
		"milliseconds", "microseconds", "nanoseconds", "minutes", "hours", "days",
		"ms", "us", "ns", "millis", "micros", "nanos", "kilobytes", "megabytes",
		"gigabytes", "kibibytes", "mebibytes", "gibibytes", "kb", "mb", "gb", "bits",
		"percent", "percentage", "celsius", "fahrenheit",
	};
	st->line = 0;
	for (int i = 0; i < st->nfam; i++) {
		const struct pc_family *f = &st->fam[i];
		const char *n = f->name;
		if (!f->has_samples)
			continue;
		if (!f->help || !f->typed)
			return pc_fail(st, f->help ? "family without TYPE" : "family without HELP", n);
		for (const char *p = n; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				return pc_fail(st, "metric names are snake_case (no capitals)", n);
		bool counter = !strcmp(f->type, "counter"), total = pc_ends(n, "_total");
		if (counter && (!total || !strcmp(n, "_total")))
			return pc_fail(st, "a counter's name ends in _total", n);
		if (!counter && total)
			return pc_fail(st, "only counters end in _total", n);
		if (strstr(n, "_total_"))
			return pc_fail(st, "_total is the last word (the unit goes before it)", n);
		if (strcmp(f->type, "histogram") && strcmp(f->type, "summary") &&
		    (pc_ends(n, "_count") || pc_ends(n, "_sum") || pc_ends(n, "_bucket")))
			return pc_fail(st, "_count/_sum/_bucket are for histograms and summaries", n);
		char words[256];
		snprintf(words, sizeof(words), "_%s_", n);
		for (size_t u = 0; u < sizeof(nonbase) / sizeof(nonbase[0]); u++) {
			char w[32];
			snprintf(w, sizeof(w), "_%s_", nonbase[u]);
			if (strstr(words, w))
				return pc_fail(st, "use base units (seconds, bytes, ratio), not", nonbase[u]);
		}
	}
	return 0;
}

static void pc_reset(struct pc_state *st)
{
	for (int i = 0; i < st->nseries; i++)
		free(st->series[i]);
	for (int i = 0; i < st->nhs; i++)
		free(st->hs[i].key);
	st->nseries = st->nhs = 0;
}

/* Checks text (NUL-terminated) against the format. Returns the number of
 * samples, or -1 with the reason in st->err. */
static int pc_check_format(struct pc_state *st, const char *text)
{
	memset(st, 0, sizeof(*st));
	st->cur = -1;
	size_t n = strlen(text);
	if (n && text[n - 1] != '\n') {
		st->line = 0;
		return pc_fail(st, "no newline at the end", NULL);
	}
	int rc = 0;
	const char *p = text;
	while (*p && !rc) {
		const char *e = strchr(p, '\n');
		char line[4096];
		size_t len = (size_t)(e - p);
		st->line++;
		if (len >= sizeof(line)) {
			rc = pc_fail(st, "line too long", NULL);
			break;
		}
		memcpy(line, p, len);
		line[len] = 0;
		p = e + 1;
		if (!len)
			continue;
		if (line[0] == '#')
			rc = pc_comment(st, line);
		else
			rc = pc_sample(st, line);
	}
	if (!rc)
		rc = pc_histograms_complete(st);
	pc_reset(st);
	return rc ? -1 : st->samples;
}

/* The format and the naming conventions: what lockstep's endpoint must
 * pass. */
static int pc_check(struct pc_state *st, const char *text)
{
	int n = pc_check_format(st, text);
	if (n < 0)
		return -1;
	return pc_lint(st) ? -1 : n;
}

#endif
