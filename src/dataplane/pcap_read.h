/* pcap_read.h - reads Ethernet frames from a capture file (pcap or pcapng,
 * through libpcap) for `lockstep inspect` and the tests. Any other link type,
 * and a corrupt or truncated file, is an error with a message a user can act
 * on. */
#ifndef LS_DATAPLANE_PCAP_READ_H
#define LS_DATAPLANE_PCAP_READ_H

#include <stdint.h>

#include "base/err.h"

struct ls_pcap;

/* Opens path into *out: 0, or a negative errno with why in err (-ENOENT and
 * the like when libpcap cannot read it, -EPROTONOSUPPORT for a link type
 * other than Ethernet, -ENOMEM). */
int ls_pcap_open(struct ls_pcap **out, const char *path, struct ls_err *err);

/* Next frame: 1 with data, caplen and wirelen set (valid until the next call),
 * 0 at the end of the file, -EIO on a read error (message in err). */
int ls_pcap_next(struct ls_pcap *pc, const uint8_t **data, uint32_t *caplen, uint32_t *wirelen,
		 struct ls_err *err);

/* 1-based number of the frame last returned. */
uint64_t ls_pcap_frame(const struct ls_pcap *pc);

/* Capture time of the frame last returned, ns since the epoch (tv_usec
 * holds ns: the file is opened with nanosecond precision). */
uint64_t ls_pcap_ts_ns(const struct ls_pcap *pc);

void ls_pcap_close(struct ls_pcap *pc);

#endif
