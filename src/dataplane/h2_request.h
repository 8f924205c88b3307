/* h2_request.h - the first request of an HTTP/2 client stream (RFC 9113),
 * read in user space from the client's bytes in order: the connection
 * preface, then frames; SETTINGS recognised (a HEADER_TABLE_SIZE is the
 * peer's encoder limit, not ours: ignored), HEADERS with its CONTINUATION
 * frames joined and stripped of padding and priority, the header block
 * decoded with HPACK (h2_hpack.h) into :method, :authority (or host),
 * :path and content-type. Bounded: a header block over LS_H2_BLOCK_MAX is
 * refused. Pure. */
#ifndef LS_DATAPLANE_H2_REQUEST_H
#define LS_DATAPLANE_H2_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/h2_hpack.h"

#define LS_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define LS_H2_PREFACE_LEN 24
#define LS_H2_BLOCK_MAX 16384
#define LS_H2_BUF_MAX (LS_H2_BLOCK_MAX + 4096)

struct ls_h2_req {
	char method[16], authority[256], path[256], content_type[128];
	uint8_t truncated; /* a field was longer than its buffer */
	uint8_t grpc;	   /* content-type application/grpc[+proto|;...] */
};

struct ls_h2_conn {
	struct ls_hpack hpack;	    /* the client's (request) direction */
	uint8_t buf[LS_H2_BUF_MAX]; /* bytes not yet parsed */
	uint32_t len;
	uint8_t preface;       /* the preface was seen */
	uint8_t done;	       /* reported, or gave up */
	uint32_t block_stream; /* a HEADERS awaiting CONTINUATION */
	uint32_t block_len;
	uint8_t block[LS_H2_BLOCK_MAX];
};

enum ls_h2_rc {
	LS_H2_MORE = 0,	     /* nothing yet */
	LS_H2_REQUEST = 1,   /* *out filled: the first request's headers */
	LS_H2_NOT = 2,	     /* not HTTP/2 (no preface) */
	LS_H2_MALFORMED = 3, /* a frame or header block that lies */
};

void ls_h2_init(struct ls_h2_conn *c);

/* The next n client bytes in stream order. */
int ls_h2_feed(struct ls_h2_conn *c, const uint8_t *p, size_t n, struct ls_h2_req *out);

#endif
