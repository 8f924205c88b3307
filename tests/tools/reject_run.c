/* reject_run.c - runs frames through the real data plane program with the
 * reject default (every new flow is rejected) and prints what it made of
 * each, for tests/dataplane/reject_frames.sh to check against its own
 * reading of the RFCs:
 *
 *   reject_run [--tc] [--nxdomain] [--rate N] < FRAMES
 * FRAMES: one frame per line, in hex. Output: one line per frame,
 * "ACTION HEX" -- ACTION is tx|drop|pass (XDP_TX / XDP_DROP / XDP_PASS, or
 * for --tc redirect|shot|ok, ok being TC_ACT_OK or TC_ACT_UNSPEC: the packet
 * goes on) and HEX the frame as the program left it
 * (BPF_PROG_TEST_RUN's data_out). Needs root. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/testrun.h"
#include "lockstep.skel.h"

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

int main(int argc, char **argv)
{
	int tc = 0;
	struct ls_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.default_verdict = LS_VERDICT_REJECT;
	cfg.reject_rate = 1000000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tc"))
			tc = 1;
		else if (!strcmp(argv[i], "--nxdomain"))
			cfg.default_verdict |= LS_VERDICT_F_NXDOMAIN;
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			cfg.reject_rate = (uint32_t)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr,
				"usage: reject_run [--tc] [--nxdomain] [--rate N] < FRAMES\n");
			return 2;
		}
	}
	struct ls_err err;
	struct ls_testrun *t;
	ls_testrun_open(&t, &cfg, NULL, NULL, &err);
	if (!t) {
		fprintf(stderr, "reject_run: %s\n", err.msg);
		return 1;
	}
	struct lockstep_bpf *sk = ls_testrun_skel(t);
	int fd = bpf_program__fd(tc ? sk->progs.ls_tc : sk->progs.ls_xdp);
	static char line[65536];
	static uint8_t in[16384], out[16384];
	while (fgets(line, sizeof(line), stdin)) {
		uint32_t n = 0;
		for (char *c = line; c[0] && c[1] && n < sizeof(in); c += 2) {
			int h = hexval(c[0]), l = hexval(c[1]);
			if (h < 0 || l < 0)
				break;
			in[n++] = (uint8_t)(h << 4 | l);
		}
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = n, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);
		if (bpf_prog_test_run_opts(fd, &o)) {
			perror("reject_run: BPF_PROG_TEST_RUN");
			printf("error\n");
			continue;
		}
		const char *act = "other";
		if (tc)
			act = o.retval == TC_ACT_REDIRECT ? "redirect"
			      : o.retval == TC_ACT_SHOT	  ? "shot"
			      : o.retval == TC_ACT_OK || o.retval == (__u32)TC_ACT_UNSPEC ? "ok"
							  : "other";
		else
			act = o.retval == XDP_TX     ? "tx"
			      : o.retval == XDP_DROP ? "drop"
			      : o.retval == XDP_PASS ? "pass"
						     : "other";
		printf("%s ", act);
		for (uint32_t i = 0; i < o.data_size_out && i < sizeof(out); i++)
			printf("%02x", out[i]);
		printf("\n");
		ls_testrun_drain(t);
	}
	for (unsigned i = LS_CNT_REJECT_DNS; i <= LS_CNT_REJECT_NONE; i++)
		fprintf(stderr, "counter %u %llu\n", i,
			(unsigned long long)ls_testrun_counter(t, i));
	ls_testrun_close(t);
	return 0;
}
