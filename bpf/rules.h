/* rules.h - decisions a policy installed in the kernel, applied to a flow's
 * first packet with no round trip to user space (docs/dataplane.md, "What
 * is decided where"):
 *
 *   by name  (DNS query name, TLS SNI, HTTP Host): exact, suffix ("*.x.y":
 *            any name ending in ".x.y", not x.y itself) or every name ("*"),
 *            looked up once a DPI result is complete;
 *   by prefix (client or server address, IPv4 or IPv6, LPM), looked up for
 *            an undecided flow's packets before anything else.
 *
 * Names live in one LPM trie keyed by (kind, reversed lower-case name): a
 * suffix rule is a prefix of the reversed name ending in '.', an exact rule
 * one ending in the NUL that follows a whole name, so one lookup finds the
 * most specific rule, however many labels the name has -- no loop over
 * parent suffixes, no per-label hash lookups (what the verifier would have
 * to walk). Prefix rules are a second trie keyed by (side, address).
 *
 * A rule's value is a verdict and a deadline in K (0: none; the host turns
 * the guest's TTL into it like every deadline). An expired rule is ignored
 * (and counted); the host removes it. A rule hit decides the flow: the
 * verdict is written into `verdicts` for the flow (no deadline: the rule's
 * TTL bounds which flows it decides, not how long a decided flow keeps its
 * verdict), this packet gets it at once, and no DPI event is sent for it. */
#ifndef LS_RULES_H
#define LS_RULES_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lockstep/wire.h"
#include "dpi_common.h"
#include "bpf_loops.h"
#include "ls_clock.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, LS_RULES_MAX);
	__uint(map_flags, 1); /* BPF_F_NO_PREALLOC: required for LPM tries */
	__type(key, struct ls_rule_name_key);
	__type(value, struct ls_rule);
} ls_rules_name SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, LS_RULES_MAX);
	__uint(map_flags, 1);
	__type(key, struct ls_rule_prefix_key);
	__type(value, struct ls_rule);
} ls_rules_prefix SEC(".maps");

/* The verdict of a rule found for key (map m), 0 when none is in force.
 * `now` is the cached clock: a deadline it cannot call is checked exactly. */
static __always_inline __u32 ls_rule_verdict(const struct ls_rule *r, __u64 now,
					     struct ls_scratch *s)
{
	if (!r)
		return 0;
	__u64 d = r->deadline_k;
	if (d && (now > d || (ls_clock_near(now, d) && ls_clock_exact(s) > d))) {
		__u32 idx = LS_CNT_RULE_EXPIRED;
		__u64 *c = bpf_map_lookup_elem(&ls_counters, &idx);
		if (c)
			(*c)++;
		return LS_VERDICT_UNDECIDED; /* expired: as if absent */
	}
	return r->verdict;
}

/* The key for a DPI name (s->ev.u.dpi.name, name_len bytes) of DPI kind
 * `kind`: the name reversed and lower-cased after the kind byte, a ":port"
 * (HTTP Host) and a trailing dot left out, NUL after it (the key is zeroed).
 * Returns 0 when the name cannot have a rule (empty, too long). */
static __always_inline int ls_rule_name_key(struct ls_scratch *s, __u32 kind)
{
	struct ls_rule_name_key *k = &s->rkey;
	const struct ls_event_dpi *d = &s->ev.u.dpi;
	__u32 n = d->name_len;
	if (n == 0 || n >= LS_NAME_MAX)
		return 0;
	__builtin_memset(k, 0, sizeof(*k));
	/* the Host's port: a ':' after the last ']' (an IPv6 literal) */
	int i;
	__u32 end = n;
	if (kind == LS_DPI_HTTP) {
		ls_for(i, 0, LS_NAME_MAX)
		{
			if ((__u32)i >= n)
				break;
			char c = d->name[i & (LS_NAME_MAX - 1)];
			if (c == ':')
				end = i;
			else if (c == ']')
				end = n;
		}
	}
	if (end && d->name[(end - 1) & (LS_NAME_MAX - 1)] == '.')
		end--;
	if (end == 0 || end > LS_RULE_NAME_MAX - 1)
		return 0;
	k->kind = (__u8)kind;
	ls_for(i, 0, LS_RULE_NAME_MAX)
	{
		if ((__u32)i >= end)
			break;
		char c = d->name[(end - 1 - i) & (LS_NAME_MAX - 1)];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		k->name[i] = c;
	}
	k->prefixlen = 8 * (1 + LS_RULE_NAME_MAX);
	return 1;
}

/* The rule verdict for a complete DPI name in s->ev.u.dpi, 0 for none. */
static __always_inline __u32 ls_rule_for_name(struct ls_scratch *s, __u64 now)
{
	__u32 kind = s->ev.u.dpi.kind;
	if (!ls_rule_name_key(s, kind))
		return 0;
	return ls_rule_verdict(bpf_map_lookup_elem(&ls_rules_name, &s->rkey), now, s);
}

/* The rule verdict for a flow by its client's or server's address, 0 for
 * none; the server rule wins when both match. */
static __always_inline __u32 ls_rule_for_addrs(struct ls_scratch *s, const __u32 client[4],
					       const __u32 server[4], __u64 now)
{
	struct ls_rule_prefix_key k = {.prefixlen = 8 * 20, .side = LS_RULE_SIDE_SERVER};
	/* one lookup per side: an empty trie answers at once */
	__builtin_memcpy(k.addr, server, 16);
	__u32 v = ls_rule_verdict(bpf_map_lookup_elem(&ls_rules_prefix, &k), now, s);
	if (v)
		return v;
	k.side = LS_RULE_SIDE_CLIENT;
	__builtin_memcpy(k.addr, client, 16);
	return ls_rule_verdict(bpf_map_lookup_elem(&ls_rules_prefix, &k), now, s);
}

#endif
