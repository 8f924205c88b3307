/* strings.c - WASI test program: string-heavy libc use (strtok, snprintf,
 * strcmp, strstr, strtol, memmove, ctype) on a small text. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char text[] =
	"The quick brown fox jumps over the lazy dog. The dog sleeps; the fox "
	"runs, and the quick fox wins. Numbers: 42, -17, 0x1f, 077, 1e3.";

struct word {
	char w[24];
	int n;
};

static int by_count(const void *a, const void *b)
{
	const struct word *x = a, *y = b;
	if (x->n != y->n)
		return y->n - x->n;
	return strcmp(x->w, y->w);
}

int main(void)
{
	char buf[sizeof text];
	strcpy(buf, text);
	struct word words[64];
	int nw = 0, tokens = 0;
	for (char *t = strtok(buf, " .,;:"); t; t = strtok(NULL, " .,;:")) {
		tokens++;
		for (char *p = t; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		int i;
		for (i = 0; i < nw; i++)
			if (!strcmp(words[i].w, t))
				break;
		if (i == nw && nw < 64) {
			snprintf(words[nw].w, sizeof words[nw].w, "%s", t);
			words[nw++].n = 0;
		}
		if (i < 64)
			words[i].n++;
	}
	qsort(words, nw, sizeof words[0], by_count);
	printf("%d tokens, %d distinct\n", tokens, nw);
	for (int i = 0; i < 6; i++)
		printf("%-6s %d\n", words[i].w, words[i].n);

	const char *nums[] = {"42", "-17", "0x1f", "077", "junk", "123abc"};
	for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		char *end;
		long v = strtol(nums[i], &end, 0);
		printf("strtol(\"%s\") = %ld, rest \"%s\"\n", nums[i], v, end);
	}
	const char *fox = strstr(text, "fox");
	printf("first fox at %d, last 'o' at %d, first ';' at %d\n", (int)(fox - text),
	       (int)(strrchr(text, 'o') - text), (int)(strchr(text, ';') - text));
	printf("strcmp: %d %d %d strncmp: %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0,
	       strcmp("same", "same") == 0, strncmp("prefix-a", "prefix-b", 6) == 0);

	char m[32] = "0123456789";
	memmove(m + 3, m, 8);
	m[11] = 0;
	printf("memmove overlap: %s\n", m);

	char line[128];
	int len = snprintf(line, sizeof line, "%s|%5.2f|%-4s|%04x", "id", 2.5, "ab", 0x2a);
	printf("snprintf: \"%s\" (%d)\n", line, len);
	char rev[64];
	const char *s = "lockstep";
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		rev[i] = (char)toupper((unsigned char)s[n - 1 - i]);
	rev[n] = 0;
	printf("reversed upper: %s\n", rev);
	char *dup = strdup(text);
	size_t spaces = 0;
	for (char *p = dup; (p = strchr(p, ' ')); p++)
		spaces++;
	printf("spaces=%zu strspn=%zu strcspn=%zu\n", spaces, strspn("aaabbc", "ab"), strcspn("hello, world", ", "));
	free(dup);
	return 0;
}
