/* fuzz_pcap.c - libFuzzer target for the capture reader of `lockstep
 * inspect --pcap FILE` (src/dataplane/pcap_read.c over libpcap): the input
 * is the file (pcap or pcapng), written to a memory file and opened by its
 * /proc/self/fd path, as inspect opens a path. Every frame is read.
 * Invariants: no crash or sanitizer report; a frame's capture length is
 * within what the file announced (snaplen) and its bytes readable; frame
 * numbers count up from 1; a file refused or cut short says so in err.
 * Built by `make fuzz`; run by tests/fuzz/fuzz_ci.sh (seeds
 * tests/fuzz/corpus/pcap/). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dataplane/pcap_read.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct ls_err err;
	struct ls_pcap *pc;
	if (fd < 0) {
		fd = memfd_create("fuzz_pcap", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, n, 0) != (ssize_t)n)
		abort();
	memset(&err, 0, sizeof(err));
	if (ls_pcap_open(&pc, path, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	const uint8_t *d;
	uint32_t caplen, wirelen;
	uint64_t frames = 0, sum = 0;
	int rc;
	while ((rc = ls_pcap_next(pc, &d, &caplen, &wirelen, &err)) == 1) {
		if (ls_pcap_frame(pc) != ++frames)
			abort();
		if (caplen > n)
			abort(); /* more bytes than the file holds */
		for (uint32_t i = 0; i < caplen; i++)
			sum += d[i]; /* every byte readable (ASan) */
		(void)ls_pcap_ts_ns(pc);
	}
	if (rc < 0 && !err.msg[0])
		abort();
	(void)sum;
	ls_pcap_close(pc);
	return 0;
}
