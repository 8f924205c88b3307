/* fmt.h - decimal integers and IP addresses written without printf, for the
 * lines printed once per event or verdict (dataplane/event_json.c,
 * agent/policy_link.c): vsnprintf and glibc's inet_ntop (itself sprintf)
 * were a quarter of the agent's CPU at 100k new flows/s. Each writes
 * exactly what printf("%" PRIu64) / printf("%u") / inet_ntop write, without
 * a NUL, and returns the length written. */
#ifndef LS_BASE_FMT_H
#define LS_BASE_FMT_H

#include <stddef.h>
#include <stdint.h>

/* room for any value: UINT64_MAX has 20 digits */
#define LS_FMT_U64_MAX 20
/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45 bytes */
#define LS_FMT_IP_MAX 46

size_t ls_fmt_u64(char *out, uint64_t v);
size_t ls_fmt_u32(char *out, uint32_t v);

/* a4: 4 bytes, network order, as inet_ntop(AF_INET) */
size_t ls_fmt_ip4(char *out, const uint8_t *a4);
/* a16: 16 bytes, as glibc's inet_ntop(AF_INET6): the longest run of two or
 * more zero words (the first of equal ones) is "::", words in lower-case
 * hex without leading zeros, and ::a.b.c.d / ::ffff:a.b.c.d as dotted quad */
size_t ls_fmt_ip6(char *out, const uint8_t *a16);

#endif
