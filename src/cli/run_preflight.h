/* run_preflight.h - `lockstep run`'s checks before anything is attached
 * (docs/configuration.md, "Refused before attaching"). */
#ifndef LS_CLI_RUN_PREFLIGHT_H
#define LS_CLI_RUN_PREFLIGHT_H

#include <stdbool.h>

#include "agent/agent.h"

/* 0, or 2 with one line on stderr naming the option and what is wrong.
 * probe: also bind the metrics address once, knock on the control socket
 * and look for the directories of --log and --trace (a start does; --check
 * does not: it runs beside the agent it checks a new configuration for,
 * which holds the first two, and may run before the service manager makes
 * the directories, LogsDirectory=). */
int run_preflight(const struct agent_opts *a, bool probe);

#endif
