/* promcheck.c - checks a Prometheus text exposition strictly (promcheck.h).
 *   promcheck FILE|-            prints "promcheck: ok, N samples" or the first error
 *   promcheck FILE 'SERIES'     also prints the value of one series, given as
 *                               written in the text (name{labels}); exit 3
 *                               when it is absent */
#include "promcheck.h"

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: promcheck FILE|- [SERIES]\n");
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
	int samples = pc_check(&st, buf);
	if (samples < 0) {
		printf("promcheck: %s\n", st.err);
		free(buf);
		return 1;
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
