/* main.c - the `lockstep` command: dispatches to one subcommand per file
 * (src/cli/cmd_*.c). Conventions, as xdp-loader and bpftool: `--help` on every
 * command, human output by default and JSON where scripts need it, exit 0 on
 * success, 1 on a runtime failure, 2 on bad usage. */
#include "base/build_info.h"
#include "cli/cli.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

static const struct ls_command commands[] = {
    {"run", cmd_run, "attach to an interface and run the agent"},
    {"stop", cmd_stop, "detach lockstep and remove its pins"},
    {"verdict", cmd_verdict, "set, delete or show a flow's verdict"},
    {"flows", cmd_flows, "list the flows the data plane tracks"},
    {"counters", cmd_counters, "print the data plane's counters"},
    {"inspect", cmd_inspect, "run a capture through the kernel data plane"},
    {"wasm", cmd_wasm, "run or validate a WebAssembly module"},
    {"reload", cmd_reload, "load a new policy into the running agent"},
    {"status", cmd_status, "show the running agent's state, clock and alarms"},
    {"trace", cmd_trace, "change trace levels or dump the trace of the running agent"},
    {"report", cmd_report, "turn a trace into a self-contained HTML report"},
    {"clock", cmd_clock, "run the heartbeat alone and show the clock mapping"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: lockstep <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'lockstep help <command>' or 'lockstep <command> --help' describes a "
		   "command;\n'lockstep --version' names this build.\n");
}

/* The first line is the one scripts read (`lockstep --version | head -1`);
 * the rest says what a bug report needs. */
static int version(void)
{
	printf("lockstep %s\n", ls_version());
	printf("commit %s\n", ls_build_commit());
	printf("wire format %u, guest ABI %u\n", ls_wire_version(), ls_guest_abi_version());
	printf("libbpf %u.%u\n", libbpf_major_version(), libbpf_minor_version());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version"))
		return version();
	if (!strcmp(argv[1], "help")) { /* help CMD: CMD --help, from its option table */
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(argv[2], commands[i].name)) {
				char *args[] = {argv[2], "--help", NULL};
				return commands[i].fn(2, args);
			}
		fprintf(stderr, "lockstep help: unknown command '%s'\n", argv[2]);
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "lockstep: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
