/* shardcheck.c - checks, from inside one instance, that a flow's callbacks
 * all reach it and in order (tests/policy/workers_live.sh): with N policy
 * workers each has its own instance, so a flow whose events were split
 * between workers shows up here as an on_dpi or on_flow_end for a flow
 * this instance never saw start ("orphan"), and a callback after the
 * flow's end as "late". Only TCP flows to port 80 are counted (the test's
 * traffic). Every tick it logs its counts with its own id (the G time of
 * its init: two instances never share one) so that the test can tell the
 * workers apart:
 *   shardcheck id=ID new=N dpi=D end=E orphan=O late=L
 * Every counted flow passes (no deadline). */
#include <lockstep/guest.h>

#define SLOTS 4096 /* a power of two, far more than the test's flows */

/* flows seen at on_flow_new, by flow_id (open addressing; 0 is free: the
 * kernel numbers flows from 1) */
static uint64_t slot_flow[SLOTS];
static uint8_t slot_ended[SLOTS];
static uint64_t inst_id, n_new, n_dpi, n_end, n_orphan, n_late;

LSG_EXPORT(init) int32_t init(int32_t len)
{
	(void)len;
	inst_id = lsg_now_g();
	return 0;
}

static int counted(void)
{
	const struct lsg_flow_info *fi = &lsg_event()->info;
	return fi->proto == 6 && fi->dport == 80;
}

/* the slot of flow_id, or of the free place where it would go */
static int32_t slot_of(uint64_t flow_id)
{
	uint32_t i = (uint32_t)(flow_id * 0x9e3779b97f4a7c15ull >> 52) & (SLOTS - 1);
	while (slot_flow[i] && slot_flow[i] != flow_id)
		i = (i + 1) & (SLOTS - 1);
	return (int32_t)i;
}

/* the event's flow's slot when this instance saw it start, else -1 */
static int32_t known(int32_t flow)
{
	(void)flow;
	uint64_t id = lsg_event()->info.flow_id;
	int32_t s = slot_of(id);
	return slot_flow[s] == id ? s : -1;
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	if (!counted())
		return lsg_set_verdict(flow, LSG_PASS, 0);
	n_new++;
	uint64_t fid = lsg_event()->info.flow_id;
	int32_t s = slot_of(fid);
	slot_flow[s] = fid;
	slot_ended[s] = 0;
	return lsg_set_verdict(flow, LSG_PASS, 0);
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	if (!counted())
		return 0;
	n_dpi++;
	int32_t s = known(flow);
	if (s < 0)
		n_orphan++;
	else if (slot_ended[s])
		n_late++;
	return 0;
}

LSG_EXPORT(on_flow_end) int32_t on_flow_end(int32_t flow)
{
	if (!counted())
		return 0;
	n_end++;
	int32_t s = known(flow);
	if (s < 0)
		n_orphan++;
	else if (slot_ended[s]++)
		n_late++;
	return 0;
}

static char *put(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *num(char *p, uint64_t v)
{
	return p + lsg_fmt_u64(p, v);
}

LSG_EXPORT(on_tick) int32_t on_tick(void)
{
	char line[160], *p = line;
	p = num(put(p, "shardcheck id="), inst_id);
	p = num(put(p, " new="), n_new);
	p = num(put(p, " dpi="), n_dpi);
	p = num(put(p, " end="), n_end);
	p = num(put(p, " orphan="), n_orphan);
	p = num(put(p, " late="), n_late);
	*p = 0;
	lsg_logs(LSG_INFO, line);
	return 0;
}
