/* dpi_ext.h - the guest ABI version 2 DPI extension (struct lsg_dpi_ext,
 * guest.h) made from a kernel/user-space DPI result: ALPN, DNS question
 * index, tunnel id, and the gRPC service and method split from :path. */
#ifndef LS_POLICY_DPI_EXT_H
#define LS_POLICY_DPI_EXT_H

#include <stddef.h>

#include "lockstep/guest.h"
#include "lockstep/wire.h"

/* gRPC's :path is "/" Service-Name "/" method-name (grpc/doc/PROTOCOL-
 * HTTP2.md); Service-Name may hold dots ("pkg.Service"), neither part a
 * "/". 0 and both parts written NUL-terminated (cut to their buffers),
 * or -1 when path is not of that form. */
int ls_grpc_split(const char *path, size_t len, char *svc, size_t svc_cap, char *meth,
		  size_t meth_cap);

/* Fills x (every byte) from k and its flow's key (the tunnel). */
void ls_dpi_ext_fill(struct lsg_dpi_ext *x, const struct ls_event_dpi *k,
		     const struct ls_flow_key *key);

#endif
