/* pcap_read.c - libpcap-backed capture reader (see pcap_read.h). */
#include "dataplane/pcap_read.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

struct ls_pcap {
	pcap_t *p;
	uint64_t frame;
	uint64_t ts_ns; /* the last frame's capture time */
	const char *path;
};

struct ls_pcap *ls_pcap_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	/* nanosecond timestamps whatever the file holds (libpcap scales) */
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!p) {
		snprintf(err, errlen, "%s: cannot read capture: %s", path, perr);
		return NULL;
	}
	int dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);
		snprintf(err, errlen,
			 "%s: link type %s (%d) is not supported: only Ethernet (EN10MB) captures "
			 "can be run through the data plane",
			 path, name ? name : "unknown", dlt);
		pcap_close(p);
		return NULL;
	}
	struct ls_pcap *pc = calloc(1, sizeof(*pc));
	if (!pc) {
		snprintf(err, errlen, "%s: out of memory", path);
		pcap_close(p);
		return NULL;
	}
	pc->p = p;
	pc->path = path;
	return pc;
}

int ls_pcap_next(struct ls_pcap *pc, const uint8_t **data, uint32_t *caplen, uint32_t *wirelen,
		 char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = pcap_next_ex(pc->p, &h, &d);
	if (rc == 1) {
		pc->frame++;
		*data = d;
		*caplen = h->caplen;
		*wirelen = h->len;
		pc->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	snprintf(err, errlen, "%s: corrupt capture after frame %llu: %s", pc->path,
		 (unsigned long long)pc->frame, pcap_geterr(pc->p));
	return -1;
}

uint64_t ls_pcap_frame(const struct ls_pcap *pc)
{
	return pc->frame;
}

uint64_t ls_pcap_ts_ns(const struct ls_pcap *pc)
{
	return pc->ts_ns;
}

void ls_pcap_close(struct ls_pcap *pc)
{
	if (!pc)
		return;
	pcap_close(pc->p);
	free(pc);
}
