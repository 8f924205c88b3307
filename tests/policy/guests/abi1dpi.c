/* abi1dpi.c - a policy built for lockstep ABI version 1, as a module built
 * before version 2 would be: it exports version 1 itself. The host must
 * run it unchanged and never write past the version-1 record: init fills
 * the bytes after struct lsg_event with a pattern, on_dpi drops the flow
 * if the pattern changed, else passes "example.com" (any DPI kind) and
 * drops every other name. */
#define LSG_NO_DEFAULT_EXPORTS
#include <lockstep/guest.h>

__attribute__((aligned(16))) uint8_t lsg_event_buffer[LSG_EVENT_BUF_SIZE];

LSG_EXPORT(lockstep_abi_version) int32_t lockstep_abi_version(void)
{
	return 1;
}

LSG_EXPORT(lockstep_event_buffer) int32_t lockstep_event_buffer(void)
{
	return (int32_t)(uintptr_t)lsg_event_buffer;
}

#define GUARD_AT sizeof(struct lsg_event)
#define GUARD_LEN 256

LSG_EXPORT(init) int32_t init(int32_t len)
{
	(void)len;
	volatile uint8_t *g = lsg_event_buffer + GUARD_AT; /* no memset here */
	for (unsigned i = 0; i < GUARD_LEN; i++)
		g[i] = 0xab;
	return 0;
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	const struct lsg_event *ev = lsg_event();
	for (unsigned i = 0; i < GUARD_LEN; i++)
		if (lsg_event_buffer[GUARD_AT + i] != 0xab)
			return lsg_set_verdict(flow, LSG_DROP, 0);
	const char *want = "example.com";
	for (unsigned i = 0; i < 12; i++)
		if (ev->u.dpi.name[i] != want[i])
			return lsg_set_verdict(flow, LSG_DROP, 0);
	return lsg_set_verdict(flow, LSG_PASS, 0);
}
