/* flowkey.c - the canonical 5-tuple of wire.h built from a packet's (or a
 * user's) orientation, parsed from "PROTO SRC SPORT DST DPORT" and printed.
 * Must agree byte for byte with the kernel side's canonicalisation. */
#include "dataplane/dataplane.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"

static void to16(uint8_t out[16], int family, const void *addr)
{
	memset(out, 0, 16);
	if (family == 4) {
		out[10] = out[11] = 0xff; /* IPv4-mapped ::ffff:a.b.c.d */
		memcpy(out + 12, addr, 4);
	} else {
		memcpy(out, addr, 16);
	}
}

bool ls_flow_key_make(struct ls_flow_key *key, uint8_t proto, int family, const void *src,
		      uint16_t sport, const void *dst, uint16_t dport)
{
	uint8_t s[16], d[16];
	to16(s, family, src);
	to16(d, family, dst);
	int c = memcmp(s, d, 16);
	bool src_lo = c < 0 || (c == 0 && sport <= dport);

	memset(key, 0, sizeof(*key));
	memcpy(key->lo_addr, src_lo ? s : d, 16);
	memcpy(key->hi_addr, src_lo ? d : s, 16);
	key->lo_port = src_lo ? sport : dport;
	key->hi_port = src_lo ? dport : sport;
	key->proto = proto;
	key->family = (uint8_t)family;
	return src_lo;
}

static int parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 && v <= 65535 ? (int)v : -1;
}

/* Returns the family (4 or 6) or 0. */
static int parse_addr(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 6;
	return 0;
}

int ls_flow_key_parse(struct ls_flow_key *key, const char *s, struct ls_err *err)
{
	char f[5][64];
	char extra[2];
	uint8_t src[16], dst[16];

	if (sscanf(s, "%63s %63s %63s %63s %63s %1s", f[0], f[1], f[2], f[3], f[4], extra) != 5)
		return ls_errf(err, -EINVAL,
			       "flow '%s': expected 'PROTO SRC SPORT DST DPORT', "
			       "e.g. 'tcp 198.18.0.1 40000 198.18.0.2 80'",
			       s);
	uint32_t proto;
	if (ls_proto_parse(f[0], &proto))
		return ls_errf(err, -EINVAL,
			       "flow: unknown protocol '%s' (tcp, udp, icmp, "
			       "icmpv6 or a number 0-255)",
			       f[0]);
	int fs = parse_addr(f[1], src), fd = parse_addr(f[3], dst);
	if (!fs)
		return ls_errf(err, -EINVAL, "flow: '%s' is not an IPv4 or IPv6 address", f[1]);
	if (!fd)
		return ls_errf(err, -EINVAL, "flow: '%s' is not an IPv4 or IPv6 address", f[3]);
	if (fs != fd)
		return ls_errf(err, -EINVAL, "flow: '%s' and '%s' are not the same address family",
			       f[1], f[3]);
	int sp = parse_port(f[2]), dpt = parse_port(f[4]);
	if (sp < 0)
		return ls_errf(err, -EINVAL, "flow: '%s' is not a port (0-65535)", f[2]);
	if (dpt < 0)
		return ls_errf(err, -EINVAL, "flow: '%s' is not a port (0-65535)", f[4]);
	ls_flow_key_make(key, (uint8_t)proto, fs, src, (uint16_t)sp, dst, (uint16_t)dpt);
	return 0;
}

void ls_flow_addr_str(const uint8_t addr[16], int family, char *buf, size_t len)
{
	if (family == 4)
		inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, addr, buf, (socklen_t)len);
}

void ls_flow_key_str(const struct ls_flow_key *key, char *buf, size_t len)
{
	char lo[64], hi[64], num[8];
	const char *proto = ls_proto_name(key->proto);
	if (!strcmp(proto, "unknown")) {
		snprintf(num, sizeof(num), "%u", key->proto);
		proto = num;
	}
	ls_flow_addr_str(key->lo_addr, key->family, lo, sizeof(lo));
	ls_flow_addr_str(key->hi_addr, key->family, hi, sizeof(hi));
	snprintf(buf, len, "%s %s %u %s %u", proto, lo, key->lo_port, hi, key->hi_port);
}
