/* args.h - small argument parsers shared by the lockstep subcommands. */
#ifndef LS_CLI_ARGS_H
#define LS_CLI_ARGS_H

#include <stdint.h>

/* "250ms", "10s", "5m", "1h", "100us", "20ns"; a bare number is seconds.
 * Returns 0, or -1 for anything else (negative, overflow, unknown unit). */
int ls_cli_duration_ns(const char *s, uint64_t *ns);
/* Whole number in [min, max]; 0 or -1. */
int ls_cli_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Bytes: "65536", "64K" / "64KiB", "4M", "1G" (binary multiples). 0 or -1. */
int ls_cli_bytes(const char *s, uint64_t *out);

#endif
