/* names.h - the words lockstep prints and parses for its enums (verdicts,
 * event kinds, protocols, end reasons, log levels), one table each, so that
 * the JSON, the CLI and the metrics say the same thing for the same value.
 *
 * A name function returns a static string; for a value outside its table it
 * returns "unknown" (never NULL, never a different word per caller). A parse
 * function returns 0 and sets *out, or -1 for a word not in the table. */
#ifndef LS_BASE_NAMES_H
#define LS_BASE_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* One row: a word and the value it stands for. A table ends at name NULL. */
struct ls_name {
	const char *name;
	uint32_t value;
};

/* The first word for v in t, or "unknown". */
const char *ls_name_of(const struct ls_name *t, uint32_t v);
/* The value of word s in t (exact, case-sensitive); 0 or -1. */
int ls_value_of(const struct ls_name *t, const char *s, uint32_t *out);

/* LS_VERDICT_*: "undecided", "pass", "drop", "reject", "reject-nxdomain"
 * (reject with LS_VERDICT_F_NXDOMAIN), "hold" (a default, never stored). */
const char *ls_verdict_name(uint32_t v);
/* Parses any word of that table but "undecided" (a state, not something
 * one sets); callers check what they accept (ls_verdict_valid() for a
 * stored verdict). 0 or -1. */
int ls_verdict_parse(const char *s, uint32_t *out);

/* LS_EV_*: "flow_new", "dpi", "flow_end", ... (docs/events.md). */
const char *ls_event_kind_name(uint32_t kind);
/* IP protocol numbers: "tcp", "udp", "icmp", "icmpv6". */
const char *ls_proto_name(uint32_t proto);
/* Case-insensitive "tcp", "udp", "icmp", "icmpv6" / "ipv6-icmp", or a number
 * 0..255. 0 or -1. */
int ls_proto_parse(const char *s, uint32_t *out);
/* LS_END_*: "fin", "rst", "idle". */
const char *ls_end_reason_name(uint32_t r);
/* enum ls_tun_type: "vxlan", "gre", ... ("unknown" otherwise) */
const char *ls_tun_name(uint32_t t);

/* Log levels (obs/log.h enum ls_log_level): "debug", "info", "warn", "error". */
const char *ls_log_level_name(int level);
int ls_log_level_parse(const char *s, int *out);

/* What stdout carries (--print KINDS): a bit per event kind (1 << LS_EV_*)
 * and for the lines user space adds. */
#define LS_PRINT_VERDICT (1u << 30) /* the policy's verdict lines */
#define LS_PRINT_HOLD (1u << 29)    /* inspect: what the hold did to a frame */
#define LS_PRINT_RULE (1u << 28)    /* inspect: kernel rules the policy set */
#define LS_PRINT_ALL 0xffffffffu
/* A comma list, applied left to right: a kind ("dpi", "flow_new", "verdict",
 * ...) adds it, "-KIND" removes it, "all" and "none" set every bit or none;
 * a list that begins with a kind starts from none, one that begins with
 * "-KIND" from all. 0 and *mask, or -1 with the bad item in bad (len). */
int ls_print_kinds_parse(const char *s, uint32_t *mask, char *bad, size_t len);
/* The names ls_print_kinds_parse knows, comma-separated (help, messages). */
const char *ls_print_kinds_names(void);

#endif
