/* hold_opts.c - the --hold-* options shared by `lockstep run` (the hold
 * itself) and `lockstep inspect` (its model on a capture), as option rows
 * (opts.h). Their values are parsed by agent_hold_parse() (agent/hold.h)
 * under the same ids. */
#include "cli/opts.h"
#include "agent/hold.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct ls_opt rows[] = {
    LS_OPT_SECTION("hold (--default-verdict hold; docs/dataplane.md \"Hold\"):"),
    LS_OPT("hold-max-packets", 0, "N", AGENT_HOLD_OPT_MAX_PACKETS,
	   "packets held per flow (default " STR(LS_HOLD_MAX_PKTS_DEFAULT) ")"),
    LS_OPT("hold-max-bytes", 0, "BYTES", AGENT_HOLD_OPT_MAX_BYTES,
	   "bytes held in total (default 16M)"),
    LS_OPT("hold-timeout", 0, "DUR", AGENT_HOLD_OPT_TIMEOUT,
	   "longest a packet waits for its verdict (default 2s)"),
    LS_OPT("hold-fallback", 0, "V", AGENT_HOLD_OPT_FALLBACK,
	   "pass|drop: what a packet gets when it cannot be held\n"
	   "or waited too long (default drop)"),
};

const struct ls_opt_list ls_hold_opt_rows = LS_OPT_LIST(rows);
