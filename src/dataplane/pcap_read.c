/* pcap_read.c - libpcap-backed capture reader (see pcap_read.h). */
#include "dataplane/pcap_read.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>

struct ls_pcap {
	pcap_t *p;
	uint64_t frame;
	uint64_t ts_ns; /* the last frame's capture time */
	const char *path;
};

int ls_pcap_open(struct ls_pcap **out, const char *path, struct ls_err *err)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	errno = 0;
	/* nanosecond timestamps whatever the file holds (libpcap scales) */
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!p) /* errno is fopen's (ENOENT, EACCES), or 0 for a file that is no capture */
		return ls_errf(err, errno ? -errno : -EINVAL, "%s: cannot read capture: %s", path,
			       perr);
	int dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);
		pcap_close(p);
		return ls_errf(err, -EPROTONOSUPPORT,
			       "%s: link type %s (%d) is not supported: only Ethernet (EN10MB) "
			       "captures can be run through the data plane",
			       path, name ? name : "unknown", dlt);
	}
	struct ls_pcap *pc = calloc(1, sizeof(*pc));
	if (!pc) {
		pcap_close(p);
		return ls_errf(err, -ENOMEM, "%s: out of memory", path);
	}
	pc->p = p;
	pc->path = path;
	*out = pc;
	return 0;
}

int ls_pcap_next(struct ls_pcap *pc, const uint8_t **data, uint32_t *caplen, uint32_t *wirelen,
		 struct ls_err *err)
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
	return ls_errf(err, -EIO, "%s: corrupt capture after frame %llu: %s", pc->path,
		       (unsigned long long)pc->frame, pcap_geterr(pc->p));
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
