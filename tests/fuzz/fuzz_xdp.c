/* fuzz_xdp.c - libFuzzer target: every input is a frame run through the real
 * data plane program in the kernel (BPF_PROG_TEST_RUN, XDP and TC). With no
 * verdicts and a pass default, a drop is a bug; every DPI name must sit
 * inside its buffer, be non-empty, be made only of bytes its parser accepts
 * and (for HTTP and TLS) appear verbatim in the frame; a partial result must
 * carry no name. Built by `make fuzz`; run by tests/dataplane/fuzz_xdp_short.sh.
 * Needs root. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/testrun.h"
#include "dpi_check.h"

static struct ls_testrun *T;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct ls_err err;
	ls_testrun_open(&T, NULL, check_event, NULL, &err);
	if (!T) {
		fprintf(stderr, "fuzz_xdp: %s\n", err.msg);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t act;
	if (size < 14 || size > 9000)
		return 0; /* the kernel refuses frames shorter than Ethernet */
	cur = data, cur_n = size;
	dpi_events = 0;
	if (ls_testrun_packet(T, LS_TR_XDP, data, (uint32_t)size, &act) == 0 && act != XDP_PASS)
		die("XDP dropped without a drop verdict or default", NULL);
	dpi_events = 0;
	if (ls_testrun_packet(T, LS_TR_TC, data, (uint32_t)size, &act) == 0 && act != (uint32_t)TC_ACT_UNSPEC)
		die("TC dropped without a drop verdict or default", NULL);
	return 0;
}
