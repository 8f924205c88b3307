/* event_line.h - one ring-buffer event as one JSON line for `lockstep run`.
 * A stand-in until src/dataplane/event_json (the documented schema shared
 * with `lockstep inspect`) lands; then this forwards to it. */
#ifndef LS_CLI_EVENT_LINE_H
#define LS_CLI_EVENT_LINE_H

#include <stddef.h>

#include "lockstep/wire.h"

/* Writes a NUL-terminated JSON object (no newline) into buf; returns its
 * length, or -1 when it does not fit. */
int ls_event_line(const struct ls_event *ev, char *buf, size_t len);

#endif
