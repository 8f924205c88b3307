/* printf.c - WASI test program: printf formats, argv and environ.
 * Run with args "alpha" "beta gamma" and LS_GREETING=hello. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d]=\"%s\" (%zu bytes)\n", i, argv[i], strlen(argv[i]));
	const char *g = getenv("LS_GREETING");
	printf("LS_GREETING=%s\n", g ? g : "(unset)");
	printf("LS_MISSING=%s\n", getenv("LS_MISSING") ? "set" : "(unset)");

	printf("[%d] [%i] [%u] [%x] [%X] [%o]\n", -42, 42, 4000000000u, 0xbeef, 0xbeef, 8);
	printf("[%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42);
	printf("[%ld] [%lld] [%llu]\n", -1234567L, -9007199254740993LL, 18446744073709551615ULL);
	printf("[%zu] [%c%c%c] [%%]\n", sizeof(int64_t), 'w', 'a', 's');
	printf("[%s] [%10s] [%-10s] [%.3s]\n", "str", "right", "left", "truncate");
	printf("[%*d] [%-*d] [%.*s]\n", 6, 7, 6, 7, 2, "xyz");
	printf("[%#x] [%#o] [%hhd] [%hd]\n", 255, 8, (signed char)200, (short)70000);
	printf("[%" PRId64 "] [%08.3f] [%e]\n", (int64_t)1 << 40, 3.14159, 12345.678);
	int n = printf("counted\n");
	printf("printf returned %d\n", n);
	char buf[16];
	int w = snprintf(buf, sizeof buf, "%s-%d-%s", "overflowing", 123456, "buffer");
	printf("snprintf wanted %d, got \"%s\"\n", w, buf);
	fprintf(stderr, "this line goes to stderr\n");
	return 0;
}
