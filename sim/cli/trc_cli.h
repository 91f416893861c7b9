/* trc_cli.h -- the trace options every simulating subcommand accepts, so
 * each command adds them with a few lines:
 *   --trace FILE          Perfetto protobuf trace
 *   --trace-json FILE     Chrome JSON trace instead
 *   --trace-level L       summary | full (default full)
 *   --trace-from T        write only from time T ...
 *   --trace-to T          ... up to time T
 *   --trace-sample N      counter sampling period in cycles (default 100)
 *   --trace-cycles        timestamps in cycles of the model's clock, not ns
 * T is a number of cycles of the model's clock, or a time with a unit:
 * 10ns, 2.5us, 1ms, 500ps. Parsing does not print; the command does. */
#ifndef EVSIM_TRC_CLI_H
#define EVSIM_TRC_CLI_H

#include "trace/trc.h"

typedef struct {
    const char *path; /* NULL: no trace */
    trc_format format;
    trc_level level;
    double from, to;          /* as given */
    int from_unit, to_unit;   /* 0: cycles; else ps per unit */
    bool has_from, has_to;
    uint64_t sample_cycles;
    bool cycles;              /* --trace-cycles */
} trc_cli;

void trc_cli_init(trc_cli *c);

/* If argv[*i] is a trace option, consumes it and its value if it takes
 * one (advancing *i past the value) and returns 1; returns 0 if it is not one, -1 with err
 * filled on a bad or missing value. */
int trc_cli_parse(trc_cli *c, int argc, char **argv, int *i, base_error *err);

/* Writer options for a model whose clock has cycle_ps; -1 with err if
 * the window is empty. */
int trc_cli_options(const trc_cli *c, uint64_t cycle_ps, trc_options *o,
                    base_error *err);

/* Help text for the options above, one line each, indented by two. */
const char *trc_cli_help(void);

#endif
