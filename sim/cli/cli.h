/* cli.h -- the subcommands of the evsim binary and the one option parser
 * they share. Each subcommand lives in its own sim/cli/cli_*.c, takes the
 * arguments after its name (argv[0] is the subcommand), only parses and
 * prints, and returns the process exit status: 0 success, 1 the input was
 * read but is wrong (a failed check, a bad config), 2 a usage error. */
#ifndef EVSIM_CLI_H
#define EVSIM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "run/run.h"

#define EVSIM_VERSION "0.1.0"

typedef struct {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} cli_command;

/* One line per subcommand; add yours here and to the table in main.c. */
/* `evsim run` exit status when a time or event limit stopped the run (0
 * complete, 1 error, 2 usage, 130/143 signals: see main.c). */
#define CLI_EXIT_INCOMPLETE 3
/* Unlinks every temporary output still open (async-signal-safe; for
 * main.c's SIGINT / SIGTERM handler). */
void cli_remove_temporaries(void);
int cli_run_main(int argc, char **argv);
int cli_check_main(int argc, char **argv);
/* `evsim check FILE.nir`: the graph, its shapes and counts, and the evsim
 * layers it becomes (cli_nir.c). 0 when it loads, 1 when not. */
int cli_nir_check(const char *path, bool quiet);
/* `evsim check FILE.onnx`: the model's nodes, the layers they become with
 * their loop sizes and producers, MACs (cli_onnx.c). 0 when it converts,
 * 1 when not. */
int cli_onnx_check(const char *path, bool quiet);
/* The --force row shared by run and check; 0 and warnings printed to
 * stderr with PREFIX, or the number of implausible values of chip C
 * (added to ERR when given, else printed). cli_opt.c. */
#define CLI_FORCE_HELP "run sizes and values beyond the plausible ranges\n(clock, mesh, NoC memory) anyway"
int cli_range_check(const cfg_chip *c, bool force, const char *prefix, base_errors *err);
int cli_map_main(int argc, char **argv);
/* `evsim map --stream` (cli_map_stream.c): the chip of the --hw core
 * (core 0) and the --offchip memory core (core 1, NULL: none), and one
 * layer's Stream cost printed from it (0, or -1 after a message). */
cfg_chip *cli_map_stream_chip(const cfg_core *core, const cfg_core *offchip);
int cli_map_stream_layer(const cfg_chip *chip, const cfg_mapping *m, const cfg_layer *l,
                         const bool too_large[3], const loma_options *opt, loma_cache *cache,
                         bool json);
int cli_noc_main(int argc, char **argv);
int cli_events_main(int argc, char **argv);
int cli_sweep_main(int argc, char **argv);
/* `evsim check SWEEP.yaml` (cli_sweep.c): 0 when the sweep would run. */
int cli_sweep_check(const char *path, bool quiet);
/* What --version adds: whether MPI is in. */
const char *cli_build_features(void);

/* ---- the option table ----------------------------------------------------
 * A command describes its options as a table of rows; cli_parse reads
 * argv with it and cli_help prints the help from it, each option's
 * default read from where its value goes (so the help shows what the
 * command's structs start from, never a typed copy). */
typedef enum {
    CLI_FLAG,   /* bool: set when given */
    CLI_U64,    /* uint64_t, within [min, max] unless both are 0 */
    CLI_U32,    /* uint32_t, likewise */
    CLI_INT,    /* int, likewise */
    CLI_DOUBLE, /* double, likewise (NaN never) */
    CLI_STR,    /* const char *: the argument itself */
    CLI_TIME,   /* trc_time: cycles ("500") or a time ("2.5us", "10ns") */
    CLI_CUSTOM  /* parsed by the row's `parse` */
} cli_kind;

/* A CLI_CUSTOM value parser: 0; -1 with what was expected in msg (the
 * error reads "--opt: expected MSG, found 'V'"); or -2 with the whole
 * message in msg. */
typedef int (*cli_parse_fn)(const char *v, void *ptr, char *msg, size_t len);
/* Writes the default shown in the help; "" shows none. */
typedef void (*cli_show_fn)(const void *ptr, char *buf, size_t len);

typedef struct {
    const char *name;   /* long name without "--"; NULL ends a table */
    char short_name;    /* '-q'; 0: none */
    cli_kind kind;
    void *ptr;          /* where the value goes (see kind) */
    const char *arg;    /* the value's name in the help ("FILE", "N") */
    const char *help;
    double min, max;    /* numeric range, inclusive; both 0: any */
    cli_parse_fn parse; /* CLI_CUSTOM */
    cli_show_fn show;   /* CLI_CUSTOM's default in the help; NULL: none */
    bool no_default;    /* do not show a default for this one */
} cli_opt;

#define CLI_MAX_TABLES 4
typedef struct {
    const char *cmd;       /* "run": messages start with "evsim run: " */
    const char *synopsis;  /* the usage line(s) and description, ends with "\n" */
    const cli_opt *tables[CLI_MAX_TABLES]; /* NULL-ended list of tables */
    const char **pos;      /* positional arguments go here ... */
    int max_pos;           /* ... at most this many (0: none allowed) */
    int *n_pos;            /* how many were given */
    const char *footer;    /* printed after the options, or NULL */
} cli_spec;

/* Parses argv[1..argc-1] with the spec. Returns 0 when parsed, 1 when the
 * help was asked for (printed on stdout: exit 0), 2 on a usage error (one
 * line naming it and the usage printed on stderr: exit 2). "--" ends the
 * options. */
int cli_parse(const cli_spec *s, int argc, char **argv);
void cli_help(FILE *out, const cli_spec *s);
/* A usage error found after parsing: "evsim CMD: msg", the usage, 2. */
int cli_usage_error(const cli_spec *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A decimal count without sign: 0, or -1 when s is not one. */
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_u32(const char *s, uint32_t *out);
int cli_parse_double(const char *s, double *out);

/* Every error a config loader found, one per line with prefix ("" or
 * "evsim map: "), then "(N more errors)". */
void cli_print_cfg_errors(FILE *out, const char *prefix, const base_errors *e);

/* The --trace* options every simulating command accepts, filling r:
 *   --trace FILE, --trace-json FILE, --trace-level summary|default|full,
 *   --trace-from T, --trace-to T, --trace-sample N, --trace-cycles.
 * Fills out (a table of CLI_TRACE_OPTS rows, ended) to put into a spec. */
#define CLI_TRACE_OPTS 8
void cli_trace_opts(trc_request *r, cli_opt out[CLI_TRACE_OPTS]);

#endif
