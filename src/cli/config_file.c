/* config_file.c - a command's options from a YAML file, read with libyaml's
 * event parser (config_file.h). The file is a flat mapping; each value goes
 * through the command's option handler exactly as a flag would. */
#include "cli/config_file.h"
#include "base/file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_KEYS 128

/* The values handed to the handler outlive the parser (a handler keeps the
 * pointer, as it keeps argv's): they are copied here until released. */
struct kept {
	struct kept *next;
	char s[];
};
static struct kept *kept;

static const char *keep(const char *v)
{
	size_t n = strlen(v) + 1;
	struct kept *k = malloc(sizeof(*k) + n);
	if (!k)
		return NULL;
	memcpy(k->s, v, n);
	k->next = kept;
	kept = k;
	return k->s;
}

void ls_config_file_release(void)
{
	while (kept) {
		struct kept *k = kept;
		kept = k->next;
		free(k);
	}
}

struct reader {
	const struct ls_cmd_spec *s;
	const char *path;
	yaml_parser_t p;
	yaml_event_t ev;
	bool have_ev;
};

static int fail(struct reader *r, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char last_error[512];

const char *ls_config_file_error(void)
{
	return last_error;
}

static int fail(struct reader *r, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(last_error, sizeof(last_error), "%s:%zu: ", r->path, line + 1);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(last_error))
		vsnprintf(last_error + n, sizeof(last_error) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "lockstep %s: %s\n", r->s->name, last_error);
	return 2;
}

/* The next event, or -1 after saying why the file is not YAML. */
static int next(struct reader *r)
{
	if (r->have_ev)
		yaml_event_delete(&r->ev);
	r->have_ev = false;
	if (!yaml_parser_parse(&r->p, &r->ev)) {
		fail(r, r->p.problem_mark.line, "not valid YAML: %s",
		     r->p.problem ? r->p.problem : "parse error");
		return -1;
	}
	r->have_ev = true;
	if (r->ev.type == YAML_ALIAS_EVENT) {
		fail(r, r->ev.start_mark.line, "anchors and aliases are not supported");
		return -1;
	}
	return 0;
}

static const char *scalar(const struct reader *r)
{
	return (const char *)r->ev.data.scalar.value;
}

/* A plain (unquoted) empty, ~ or null is YAML's null: no value. */
static bool is_null(const struct reader *r)
{
	const char *v = scalar(r);
	return r->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || !strcmp(v, "~") || !strcmp(v, "null"));
}

/* One value of option o (the current event is a scalar). */
static int apply_scalar(struct reader *r, const struct ls_opt *o, const char *key, ls_opt_fn fn,
			void *ctx)
{
	size_t line = r->ev.start_mark.line;
	if (is_null(r))
		return fail(r, line, "%s: no value (it takes %s)", key,
			    o->arg ? o->arg : "true|false");
	if (!o->arg) {
		if (!strcmp(scalar(r), "false"))
			return 0;
		if (strcmp(scalar(r), "true"))
			return fail(r, line, "%s takes true or false, not '%s'", key, scalar(r));
		int rc = fn(ctx, o, NULL);
		return rc ? (fail(r, line, "(in the file: %s)", key), rc) : 0;
	}
	const char *v = keep(scalar(r));
	if (!v)
		return fail(r, line, "%s: out of memory", key);
	int rc = fn(ctx, o, v);
	if (rc) /* the handler said what; this says where */
		fail(r, line, "(in the file: %s: %s)", key, scalar(r));
	return rc;
}

static int apply(struct reader *r, ls_opt_fn fn, void *ctx, const char *const *skip)
{
	char *seen[MAX_KEYS];
	int nseen = 0, rc = 2;

	if (next(r) || r->ev.type != YAML_STREAM_START_EVENT || next(r))
		goto bad;
	if (r->ev.type == YAML_STREAM_END_EVENT) { /* an empty file: no options */
		rc = 0;
		goto out;
	}
	if (next(r))
		goto bad;
	if (r->ev.type == YAML_SCALAR_EVENT && is_null(r)) { /* a document of comments */
		rc = 0;
		goto out;
	}
	if (r->ev.type != YAML_MAPPING_START_EVENT) {
		rc = fail(r, r->ev.start_mark.line,
			  "expected a mapping of options (key: value), one per line");
		goto out;
	}
	for (;;) {
		if (next(r))
			goto bad;
		if (r->ev.type == YAML_MAPPING_END_EVENT)
			break;
		size_t line = r->ev.start_mark.line;
		if (r->ev.type != YAML_SCALAR_EVENT) {
			rc = fail(r, line, "a key must be an option name");
			goto out;
		}
		char *key = strdup(scalar(r));
		if (!key || nseen == MAX_KEYS) {
			free(key);
			rc = fail(r, line, "too many keys");
			goto out;
		}
		seen[nseen++] = key;
		for (int i = 0; i < nseen - 1; i++)
			if (!strcmp(seen[i], key)) {
				rc = fail(r, line, "%s given twice", key);
				goto out;
			}
		for (const char *const *k = skip; k && *k; k++)
			if (!strcmp(*k, key)) {
				rc = fail(r, line,
					  "%s belongs on the command line, not in the file", key);
				goto out;
			}
		const struct ls_opt *o = key[0] == '-' ? NULL : ls_opts_find(r->s, key);
		if (!o) {
			char hint[96];
			snprintf(hint, sizeof(hint),
				 "(keys are the options of lockstep %s, without --)", r->s->name);
			rc = fail(r, line, "unknown key '%s' %s", key, hint);
			goto out;
		}
		if (next(r))
			goto bad;
		if (r->ev.type == YAML_SCALAR_EVENT) {
			if ((rc = apply_scalar(r, o, key, fn, ctx)))
				goto out;
		} else if (r->ev.type == YAML_SEQUENCE_START_EVENT) { /* a repeated option */
			for (;;) {
				if (next(r))
					goto bad;
				if (r->ev.type == YAML_SEQUENCE_END_EVENT)
					break;
				if (r->ev.type != YAML_SCALAR_EVENT) {
					rc = fail(r, r->ev.start_mark.line,
						  "%s: a list holds plain values only", key);
					goto out;
				}
				if ((rc = apply_scalar(r, o, key, fn, ctx)))
					goto out;
			}
		} else {
			rc = fail(r, line,
				  "%s: the value must be a plain value or a list, not a mapping",
				  key);
			goto out;
		}
	}
	if (next(r))
		goto bad;
	if (r->ev.type != YAML_DOCUMENT_END_EVENT || next(r) ||
	    r->ev.type != YAML_STREAM_END_EVENT) {
		rc = fail(r, r->ev.start_mark.line, "one document only");
		goto out;
	}
	rc = 0;
	goto out;
bad: /* next() said why */
	rc = 2;
out:
	for (int i = 0; i < nseen; i++)
		free(seen[i]);
	return rc;
}

int ls_config_text_apply(const struct ls_cmd_spec *s, const char *name, const char *text,
			 size_t len, ls_opt_fn fn, void *ctx, const char *const *skip)
{
	struct reader r = {.s = s, .path = name};
	if (!yaml_parser_initialize(&r.p)) {
		fprintf(stderr, "lockstep %s: out of memory\n", s->name);
		return 1;
	}
	yaml_parser_set_input_string(&r.p, (const unsigned char *)text, len);
	int rc = apply(&r, fn, ctx, skip);
	if (r.have_ev)
		yaml_event_delete(&r.ev);
	yaml_parser_delete(&r.p);
	return rc;
}

int ls_config_file_apply(const struct ls_cmd_spec *s, const char *path, ls_opt_fn fn, void *ctx,
			 const char *const *skip)
{
	/* a regular file of bounded size: `--config /dev/zero` or a FIFO is
	 * refused, not read forever */
	char *text;
	size_t len;
	struct ls_err err;
	if (ls_read_file(path, LS_CONFIG_FILE_MAX, &text, &len, &err)) {
		snprintf(last_error, sizeof(last_error), "%.500s", err.msg);
		fprintf(stderr, "lockstep %s: --config %s\n", s->name, err.msg);
		return 2;
	}
	int rc = ls_config_text_apply(s, path, text, len, fn, ctx, skip);
	free(text);
	return rc;
}
