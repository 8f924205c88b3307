/* verifier_stats.c - the verifier's cost of each program in a BPF object:
 * loads it (BPF_LOG_STATS) and prints the "processed N insns" line the
 * kernel writes for every program, the number docs/dataplane.md quotes as
 * the verifier budget used (the limit is 1M per program).
 *
 *   cc -O2 -o build/verifier_stats bench/verifier_stats.c -lbpf
 *   build/verifier_stats build/bpf/lockstep.bpf.o
 *
 * Needs root (it loads the programs, attaches nothing). */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static char logs[16][1 << 16];

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.bpf.o\n", argv[0]);
		return 2;
	}
	struct bpf_object *o = bpf_object__open_file(argv[1], NULL);
	if (!o) {
		fprintf(stderr, "%s: cannot open: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct bpf_program *p;
	int n = 0;
	bpf_object__for_each_program(p, o)
	{
		if (n >= 16)
			break;
		bpf_program__set_log_level(p, 4); /* BPF_LOG_STATS */
		bpf_program__set_log_buf(p, logs[n], sizeof(logs[n]));
		n++;
	}
	if (bpf_object__load(o)) {
		fprintf(stderr, "%s: load failed (root? see the verifier log above)\n", argv[1]);
		return 1;
	}
	n = 0;
	bpf_object__for_each_program(p, o)
	{
		if (n >= 16)
			break;
		const char *l = strstr(logs[n], "processed ");
		const char *e = l ? strchr(l, '\n') : NULL;
		printf("%s\t%.*s\n", bpf_program__name(p),
		       l ? (int)(e ? e - l : (long)strlen(l)) : 1, l ? l : "-");
		n++;
	}
	bpf_object__close(o);
	return 0;
}
