/* rules.c - kernel rules from user space (dataplane.h, "rules"): a pattern
 * turned into the key of the `rules_name` or `rules_prefix` LPM trie the
 * data plane looks up on a flow's first packet or first DPI name
 * (bpf/rules.h, wire.h describe the keys). */
#include "dataplane/dataplane.h"
#include "dataplane/dp_internal.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The name key of a pattern: "www.a.test" (exact), "*.a.test" (suffix), "*"
 * (every name); case-insensitive, a trailing dot ignored. */
static int name_key(struct ls_rule_name_key *k, uint32_t kind, const char *pat, size_t len,
		    struct ls_err *err)
{
	memset(k, 0, sizeof(*k));
	k->kind = (uint8_t)kind;
	if (len == 1 && pat[0] == '*') {
		k->prefixlen = 8;
		return 0;
	}
	bool suffix = len >= 2 && pat[0] == '*' && pat[1] == '.';
	const char *name = suffix ? pat + 1 : pat; /* a suffix keeps its '.' */
	size_t n = len - (suffix ? 1 : 0);
	if (n && name[n - 1] == '.' && n > (suffix ? 1u : 0u))
		n--;
	if (n == 0 || n > LS_RULE_NAME_MAX - 1)
		return ls_errf(err, -EINVAL, "rule name '%.*s' is empty or longer than %d bytes",
				  (int)(len > 300 ? 300 : len), pat, LS_RULE_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[n - 1 - i];
		if (c == 0 || c == '*' || (c == '.' && i + 1 < n && name[n - 2 - i] == '.'))
			return ls_errf(err, -EINVAL,
					  "rule name '%.*s': a '*' only as '*.suffix' or '*', no "
					  "NUL, no empty label",
					  (int)len, pat);
		k->name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	/* exact: the NUL after the name is part of the prefix */
	k->prefixlen = (uint32_t)(8 * (1 + n + (suffix ? 0 : 1)));
	return 0;
}

/* The prefix key of "ADDR/LEN" or "ADDR" (a host). */
static int prefix_key(struct ls_rule_prefix_key *k, uint32_t side, const char *pat, size_t len,
		      struct ls_err *err)
{
	char buf[64];
	memset(k, 0, sizeof(*k));
	k->side = (uint8_t)side;
	if (len == 0 || len >= sizeof(buf))
		return ls_errf(err, -EINVAL, "prefix '%.*s' is not ADDR/LEN",
				  (int)(len > 60 ? 60 : len), pat);
	memcpy(buf, pat, len);
	buf[len] = 0;
	char *slash = strchr(buf, '/');
	long plen = -1;
	if (slash) {
		char *end;
		*slash = 0;
		plen = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1)
			plen = -2;
	}
	struct in_addr a4;
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (plen == -1)
			plen = 32;
		if (plen < 0 || plen > 32)
			return ls_errf(err, -EINVAL, "prefix '%s': IPv4 length must be 0..32",
					  pat);
		k->addr[10] = k->addr[11] = 0xff;
		memcpy(k->addr + 12, &a4, 4);
		plen += 96;
	} else if (inet_pton(AF_INET6, buf, k->addr) == 1) {
		if (plen == -1)
			plen = 128;
		if (plen < 0 || plen > 128)
			return ls_errf(err, -EINVAL, "prefix '%s': IPv6 length must be 0..128",
					  pat);
	} else {
		return ls_errf(err, -EINVAL, "prefix '%s' is not ADDR/LEN (IPv4 or IPv6)", buf);
	}
	/* host bits past the prefix are not part of the rule */
	for (long b = plen; b < 128; b++)
		k->addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	k->prefixlen = (uint32_t)(8 + plen);
	return 0;
}

static int rule_map(struct ls_dp *dp, uint32_t kind, struct ls_err *err)
{
	int i = kind & (LS_RULE_CLIENT | LS_RULE_SERVER) ? LS_MAP_RULES_PREFIX : LS_MAP_RULES_NAME;
	if (kind != LS_RULE_HTTP && kind != LS_RULE_TLS && kind != LS_RULE_DNS &&
	    kind != LS_RULE_CLIENT && kind != LS_RULE_SERVER)
		return ls_errf(err, -EINVAL,
				  "rule kind %u is none of http, tls, dns, client, server", kind);
	if (dp->map_fd[i] < 0)
		return ls_errf(err, -EOPNOTSUPP,
				  "the data plane pinned in %s has no kernel rules "
				  "(it predates them: restart it with this lockstep)",
				  dp->pin_dir);
	return dp->map_fd[i];
}

static int rule_key(uint32_t kind, const char *pat, size_t len, union ls_rule_key *k,
		    struct ls_err *err)
{
	if (kind & (LS_RULE_CLIENT | LS_RULE_SERVER))
		return prefix_key(
		    &k->prefix, kind == LS_RULE_CLIENT ? LS_RULE_SIDE_CLIENT : LS_RULE_SIDE_SERVER,
		    pat, len, err);
	return name_key(&k->name, kind, pat, len, err);
}

int ls_dp_rule_set(struct ls_dp *dp, uint32_t kind, const char *pat, size_t len, uint32_t verdict,
		   uint64_t deadline_k, struct ls_err *err)
{
	union ls_rule_key k;
	int fd = rule_map(dp, kind, err), rc;
	if (fd < 0)
		return fd;
	if (!ls_verdict_valid(verdict))
		return ls_errf(err, -EINVAL, "verdict %#x is not pass, drop or reject", verdict);
	if ((rc = rule_key(kind, pat, len, &k, err)))
		return rc;
	struct ls_rule r = {.deadline_k = deadline_k, .verdict = verdict};
	if (bpf_map_update_elem(fd, &k, &r, BPF_ANY))
		return ls_errf(err, -errno, "writing a kernel rule: %s%s", strerror(errno),
				  errno == ENOSPC || errno == E2BIG ? " (the rule table is full)"
								    : "");
	return 0;
}

int ls_dp_rule_del(struct ls_dp *dp, uint32_t kind, const char *pat, size_t len,
		   struct ls_err *err)
{
	union ls_rule_key k;
	int fd = rule_map(dp, kind, err), rc;
	if (fd < 0)
		return fd;
	if ((rc = rule_key(kind, pat, len, &k, err)))
		return rc;
	if (bpf_map_delete_elem(fd, &k))
		return ls_errf(err, -errno,
				  errno == ENOENT ? "no such rule" : "deleting a rule: %s",
				  strerror(errno));
	return 0;
}
