/* promcheck.c - checks a Prometheus text exposition strictly (promcheck.h).
 *   promcheck FILE|-            format and naming conventions: prints
 *                               "promcheck: ok, N samples" or the first error
 *   promcheck --format-only FILE|-   the format alone (another exporter's
 *                               names are its own business)
 *   promcheck FILE 'SERIES'     prints the value of one series, given as
 *                               written in the text (name{labels}); exit 3
 *                               when it is absent
 *   promcheck --families FILE   prints every family with samples, one a
 *                               line: "NAME TYPE LABELS" (LABELS: the label
 *                               names but le, comma-separated, or "-") */
#include "promcheck.h"

int main(int argc, char **argv)
{
	bool format_only = false, families = false;
	if (argc > 1 && !strcmp(argv[1], "--format-only")) {
		format_only = true;
		argv++, argc--;
	} else if (argc > 1 && !strcmp(argv[1], "--families")) {
		families = true;
		argv++, argc--;
	}
	if (argc < 2 || argc > 3 || ((format_only || families) && argc != 2)) {
		fprintf(stderr, "usage: promcheck [--format-only | --families] FILE|-\n"
				"       promcheck FILE SERIES\n");
		return 2;
	}
	FILE *f = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (!buf)
		return 2;
	buf[n] = 0;
	static struct pc_state st;
	int samples = format_only ? pc_check_format(&st, buf) : pc_check(&st, buf);
	if (samples < 0) {
		printf("promcheck: %s\n", st.err);
		free(buf);
		return 1;
	}
	if (families) {
		for (int i = 0; i < st.nfam; i++)
			if (st.fam[i].has_samples)
				printf("%s %s %s\n", st.fam[i].name,
				       st.fam[i].typed ? st.fam[i].type : "untyped",
				       st.fam[i].labels[0] ? st.fam[i].labels : "-");
		free(buf);
		return 0;
	}
	if (argc == 3) {
		size_t sl = strlen(argv[2]);
		for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (!strncmp(p, argv[2], sl) && p[sl] == ' ') {
				printf("%.*s\n", (int)strcspn(p + sl + 1, "\n"), p + sl + 1);
				free(buf);
				return 0;
			}
		free(buf);
		return 3;
	}
	printf("promcheck: ok, %d samples\n", samples);
	free(buf);
	if (f != stdin)
		fclose(f);
	return 0;
}
