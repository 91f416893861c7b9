/* main.c -- evsim's command line: global options and subcommand dispatch.
 * The subcommands live in sim/cli/cli_*.c (see cli/cli.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const cli_command commands[] = {
    {"run", cli_run_main, "simulate a scenario on the whole chip; report and trace"},
    {"check", cli_check_main, "load configuration files and summarise them or list their errors"},
    {"map", cli_map_main, "map layers on a core with LOMA; print loop orders and costs"},
    {"noc", cli_noc_main, "simulate the NoC alone under synthetic traffic"},
    {"sweep", cli_sweep_main, "run a design-space sweep of a scenario (workers or MPI ranks)"},
    {"events", cli_events_main, "summarise or convert an event trace (N-MNIST, AEDAT 2/4, EVT 2/3, DAT, CSV)"},
    {NULL, NULL, NULL}
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: evsim [--help] [--version] COMMAND [ARGS...]\n"
            "\n"
            "evsim simulates multicore neuromorphic / NoC accelerators.\n"
            "\n"
            "commands:\n");
    for (const cli_command *c = commands; c->name; c++)
        fprintf(out, "  %-8s %s\n", c->name, c->summary);
    fprintf(out, "\nRun 'evsim COMMAND --help' for a command's options.\n");
}

/* The command being run, for the interrupt message (main.c is where
 * process-wide state may live). */
static const char *running = "";

static void say(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

/* SIGINT / SIGTERM: remove every temporary output (PATH.tmp; finished
 * outputs stay), say what was interrupted, exit 130 / 143 as shells do.
 * Only async-signal-safe calls. */
static void on_signal(int sig)
{
    cli_remove_temporaries();
    say("\nevsim ");
    say(running);
    say(sig == SIGINT ? ": interrupted by SIGINT" : ": terminated by SIGTERM");
    say("; temporary outputs removed, nothing half-written left\n");
    _exit(128 + sig);
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("evsim %s\n%s\n", EVSIM_VERSION, cli_build_features());
        return 0;
    }
    for (const cli_command *c = commands; c->name; c++)
        if (!strcmp(cmd, c->name)) {
            running = c->name;
            catch_signals();
            return c->main(argc - 1, argv + 1);
        }
    if (cmd[0] == '-')
        fprintf(stderr, "evsim: unknown option '%s'\n", cmd);
    else
        fprintf(stderr, "evsim: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
