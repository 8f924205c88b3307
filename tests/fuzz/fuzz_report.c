/* fuzz_report.c - libFuzzer target for `lockstep report`'s reader: the input
 * is a trace file's text (Chrome trace event JSON as src/obs/trace.c writes
 * it) handed to ls_report_html (src/obs/report.c, cJSON underneath), the
 * page going to /dev/null. A first line starting with "#title " is used as
 * the page's title (the report escapes it into HTML). Invariants: no crash,
 * no sanitizer report, no leak; a trace refused is refused with a message.
 * Built by `make fuzz`; run by tests/fuzz/fuzz_ci.sh (seeds:
 * tests/fuzz/corpus/report/). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/report.h"

static FILE *sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct ls_report_summary sum;
	struct ls_err err;
	char title[128] = "fuzz";
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	char *text = malloc(n + 1);
	if (!text)
		return 0;
	memcpy(text, data, n);
	text[n] = 0;
	const char *body = text;
	if (!strncmp(text, "#title ", 7)) {
		char *nl = strchr(text, '\n');
		size_t tl = nl ? (size_t)(nl - text - 7) : strlen(text + 7);
		snprintf(title, sizeof(title), "%.*s", (int)tl, text + 7);
		body = nl ? nl + 1 : "";
	}
	memset(&err, 0, sizeof(err));
	int rc = ls_report_html(body, sink, title, &sum, &err);
	if (rc && !err.msg[0])
		abort(); /* a refusal says why */
	free(text);
	return 0;
}
