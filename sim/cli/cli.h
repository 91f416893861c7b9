/* cli.h -- the subcommands of the evsim binary. Each lives in its own
 * sim/cli_*.c, takes the arguments after its name (argv[0] is the
 * subcommand) and returns the process exit status: 0 success, 1 the input
 * was read but is wrong (a failed check, a bad config), 2 a usage error. */
#ifndef EVSIM_CLI_H
#define EVSIM_CLI_H

#define EVSIM_VERSION "0.1.0"

typedef struct {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} cli_command;

/* One line per subcommand; add yours here and to the table in main.c. */
int cli_run_main(int argc, char **argv);
int cli_check_main(int argc, char **argv);
int cli_map_main(int argc, char **argv);
int cli_noc_main(int argc, char **argv);
int cli_events_main(int argc, char **argv);

#endif
