/* cli.h - subcommand entry points of the `lockstep` command. Each takes the
 * arguments after `lockstep` (argv[0] is the subcommand name) and returns the
 * process exit code: 0 ok, 1 runtime failure, 2 usage error. */
#ifndef LS_CLI_H
#define LS_CLI_H

struct ls_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

int cmd_run(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_verdict(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_counters(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_wasm(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_clock(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
