/* names.c - the enum name tables (see names.h). The values come from
 * include/lockstep/wire.h, the contract with the kernel side. */
#include "base/names.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lockstep/wire.h"

const char *ls_name_of(const struct ls_name *t, uint32_t v)
{
	for (; t->name; t++)
		if (t->value == v)
			return t->name;
	return "unknown";
}

int ls_value_of(const struct ls_name *t, const char *s, uint32_t *out)
{
	for (; s && t->name; t++)
		if (!strcmp(t->name, s)) {
			*out = t->value;
			return 0;
		}
	return -1;
}

static const struct ls_name verdicts[] = {
    {"undecided", LS_VERDICT_UNDECIDED},
    {"pass", LS_VERDICT_PASS},
    {"drop", LS_VERDICT_DROP},
    {"reject", LS_VERDICT_REJECT},
    {"reject-nxdomain", LS_VERDICT_REJECT | LS_VERDICT_F_NXDOMAIN},
    {"hold", LS_VERDICT_HOLD},
    {NULL, 0},
};

const char *ls_verdict_name(uint32_t v)
{
	return ls_name_of(verdicts, v);
}

int ls_verdict_parse(const char *s, uint32_t *out)
{
	/* "undecided" is a state, not something one can set */
	return ls_value_of(verdicts + 1, s, out);
}

static const struct ls_name kinds[] = {
    {"flow_new", LS_EV_FLOW_NEW}, {"dpi", LS_EV_DPI},
    {"flow_end", LS_EV_FLOW_END}, {"verdict_expired", LS_EV_VERDICT_EXPIRED},
    {"failsafe", LS_EV_FAILSAFE}, {"beat", LS_EV_BEAT},
    {"held", LS_EV_HELD},	  {"trace", LS_EV_TRACE},
    {"payload", LS_EV_PAYLOAD},	  {NULL, 0},
};

const char *ls_event_kind_name(uint32_t kind)
{
	return ls_name_of(kinds, kind);
}

static const struct ls_name protos[] = {
    {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"ipv6-icmp", 58}, {NULL, 0},
};

const char *ls_proto_name(uint32_t proto)
{
	return ls_name_of(protos, proto);
}

int ls_proto_parse(const char *s, uint32_t *out)
{
	for (const struct ls_name *t = protos; t->name; t++)
		if (!strcasecmp(s, t->name)) {
			*out = t->value;
			return 0;
		}
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 255)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static const struct ls_name ends[] = {
    {"fin", LS_END_FIN},
    {"rst", LS_END_RST},
    {"idle", LS_END_IDLE},
    {NULL, 0},
};

const char *ls_end_reason_name(uint32_t r)
{
	return ls_name_of(ends, r);
}

static const struct ls_name tuns[] = {
    {"none", LS_TUN_NONE},  {"vxlan", LS_TUN_VXLAN},	 {"geneve", LS_TUN_GENEVE},
    {"gre", LS_TUN_GRE},    {"gre-udp", LS_TUN_GRE_UDP}, {"erspan", LS_TUN_ERSPAN},
    {"ipip", LS_TUN_IPIP},  {"pppoe", LS_TUN_PPPOE},	 {"vxlan-gpe", LS_TUN_VXLAN_GPE},
    {"gtp-u", LS_TUN_GTPU}, {"teredo", LS_TUN_TEREDO},	 {NULL, 0},
};

const char *ls_tun_name(uint32_t t)
{
	return ls_name_of(tuns, t);
}

static const struct ls_name levels[] = {
    {"debug", 0}, {"info", 1}, {"warn", 2}, {"error", 3}, {NULL, 0},
};

const char *ls_log_level_name(int level)
{
	/* a level out of range is logged as info, as the logger treats it */
	return level >= 0 && level <= 3 ? ls_name_of(levels, (uint32_t)level) : "info";
}

int ls_log_level_parse(const char *s, int *out)
{
	uint32_t v;
	if (ls_value_of(levels, s, &v))
		return -1;
	*out = (int)v;
	return 0;
}

/* ---- --print KINDS ------------------------------------------------------ */

static const struct ls_name print_extra[] = {
    {"verdict", LS_PRINT_VERDICT},
    {"hold", LS_PRINT_HOLD},
    {"rule", LS_PRINT_RULE},
    {NULL, 0},
};

static int print_bit(const char *item, size_t n, uint32_t *bit)
{
	char name[32];
	if (!n || n >= sizeof(name))
		return -1;
	memcpy(name, item, n);
	name[n] = 0;
	uint32_t v;
	if (!ls_value_of(kinds, name, &v) && v < 28) {
		*bit = 1u << v;
		return 0;
	}
	return ls_value_of(print_extra, name, bit);
}

int ls_print_kinds_parse(const char *s, uint32_t *mask, char *bad, size_t len)
{
	uint32_t m = s && s[0] == '-' ? LS_PRINT_ALL : 0;
	const char *p = s ? s : "";
	do {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		bool neg = n && *p == '-';
		const char *item = neg ? p + 1 : p;
		size_t in = neg ? n - 1 : n;
		uint32_t bit;
		if (in == 3 && !strncmp(item, "all", 3) && !neg)
			m = LS_PRINT_ALL;
		else if (in == 4 && !strncmp(item, "none", 4) && !neg)
			m = 0;
		else if (!print_bit(item, in, &bit))
			m = neg ? m & ~bit : m | bit;
		else {
			snprintf(bad, len, "%.*s", (int)(n < 64 ? n : 64), p);
			return -1;
		}
		p = e ? e + 1 : NULL;
	} while (p);
	*mask = m;
	return 0;
}

const char *ls_print_kinds_names(void)
{
	return "flow_new,dpi,flow_end,verdict_expired,failsafe,beat,held,trace,payload,verdict,"
	       "hold,rule,all,none";
}
