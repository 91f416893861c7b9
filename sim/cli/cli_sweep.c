/* cli_sweep.c -- `evsim sweep SWEEP.yaml --out DIR`: options into
 * sweep_options, the sweep opened (every check before anything runs), run
 * on local workers or MPI ranks, a progress line on standard error; and
 * `evsim check SWEEP.yaml`. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sweep/sweep.h"

static const char synopsis[] =
    "usage: evsim sweep SWEEP.yaml --out DIR [options]\n"
    "       mpirun -np N evsim sweep SWEEP.yaml --out DIR [options]\n"
    "\n"
    "Runs a design-space sweep: the base scenario the sweep file names, once per point\n"
    "(its parameters' values combined as a grid or zipped, minus the excludes), each\n"
    "point an ordinary run. Writes DIR/results.csv and DIR/results.json (a row per\n"
    "point, in point order: the same bytes for any -j or rank count) and\n"
    "DIR/timing.csv (wall time, worker, host), rewritten as points finish. A point\n"
    "that fails is a row with status failed and its error; the sweep goes on.\n"
    "Under mpirun the points spread over the ranks (rank 0 coordinates).\n"
    "\n"
    "Exit status: 0 every point ran (see the failed count); 1 bad input or no\n"
    "results; 2 usage error; 4 some points failed.\n";

#define CLI_EXIT_POINTS_FAILED 4

typedef struct {
    sweep_options so;
    bool quiet;
    const char *file;
    int n_pos;
    bool tty;
    double last_line_s; /* not on a terminal: a line every 10 s */
} sweep_cli;

static int parse(sweep_cli *c, int argc, char **argv)
{
    sweep_options *o = &c->so;
    const cli_opt opts[] = {
        {.name = "out", .short_name = 'o', .kind = CLI_STR, .ptr = &o->out_dir, .arg = "DIR",
         .help = "where the results go (required)"},
        {.name = "jobs", .short_name = 'j', .kind = CLI_INT, .ptr = &o->jobs, .arg = "N",
         .min = 0, .max = 256, .no_default = true,
         .help = "worker processes (default: the number of cores)"},
        {.name = "max-points", .kind = CLI_U64, .ptr = &o->max_points, .arg = "N",
         .help = "refuse a larger sweep unless --force"},
        {.name = "force", .kind = CLI_FLAG, .ptr = &o->force,
         .help = "run a sweep larger than --max-points"},
        {.name = "resume", .kind = CLI_FLAG, .ptr = &o->resume,
         .help = "skip the points DIR/results.csv holds as run\n"
                 "(failed ones run again)"},
        {.name = "quiet", .short_name = 'q', .kind = CLI_FLAG, .ptr = &c->quiet,
         .help = "no progress line and no summary"},
        {.name = NULL}};
    const cli_spec spec = {.cmd = "sweep", .synopsis = synopsis, .tables = {opts},
                           .pos = &c->file, .max_pos = 1, .n_pos = &c->n_pos};
    int rc = cli_parse(&spec, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!c->file)
        return cli_usage_error(&spec, "no sweep file given");
    if (!o->out_dir)
        return cli_usage_error(&spec, "--out DIR is required");
    return -1;
}

static void fmt_s(double s, char *b, size_t n)
{
    if (s >= 3600)
        snprintf(b, n, "%.0fh%02.0fm", s / 3600, (s - 3600 * (int)(s / 3600)) / 60);
    else if (s >= 60)
        snprintf(b, n, "%.0fm%02.0fs", (double)(int)(s / 60), s - 60 * (int)(s / 60));
    else
        snprintf(b, n, "%.1fs", s);
}

static void progress(void *ctx, const sweep_progress *p)
{
    sweep_cli *c = ctx;
    char eta[32];
    if (!c->tty && p->done < p->total && p->elapsed_s - c->last_line_s < 10.0)
        return;
    c->last_line_s = p->elapsed_s;
    fmt_s(p->eta_s, eta, sizeof eta);
    fprintf(stderr, "%ssweep: %u/%u points done, %u failed, %.2f points/s, ETA %s%s",
            c->tty ? "\r" : "", p->done, p->total, p->failed, p->rate, eta,
            c->tty ? "   " : "\n");
    fflush(stderr);
}

/* Opens the sweep; prints its errors. */
static sweep *open_sweep(const char *file, const sweep_options *o, bool say)
{
    base_errors err;
    base_errors_init(&err);
    sweep *s = sweep_open(file, o, &err);
    if (!s && say) {
        cli_print_cfg_errors(stderr, "", &err);
        if (err.count == 0)
            fprintf(stderr, "evsim sweep: %s does not load\n", file);
    }
    base_errors_clear(&err);
    return s;
}

static int finish(const sweep_cli *c, int rc, const sweep_progress *p, const base_error *err)
{
    if (rc != 0) {
        char b[BASE_MSG_MAX + BASE_PATH_MAX + 16];
        fprintf(stderr, "%sevsim sweep: %s\n", c->tty && !c->quiet ? "\n" : "",
                base_error_str(err, b, sizeof b));
        return 1;
    }
    if (!c->quiet)
        fprintf(stderr, "%ssweep: %u points (%u already done), %u failed; results in "
                "%s/results.csv\n", c->tty ? "\n" : "", p->total, p->skipped, p->failed,
                c->so.out_dir);
    return p->failed ? CLI_EXIT_POINTS_FAILED : 0;
}

int cli_sweep_main(int argc, char **argv)
{
    sweep_cli c = {0};
    sweep_options_default(&c.so);
    int rank = 0, ranks = 1;
    if (sweep_mpi_init(&argc, &argv, &rank, &ranks) != 0) {
        fprintf(stderr, "evsim sweep: MPI did not start\n");
        return 1;
    }
    int prc = parse(&c, argc, argv);
    if (prc >= 0) {
        sweep_mpi_finish();
        return prc;
    }
    c.tty = isatty(2);
    if (!c.quiet && rank == 0) {
        c.so.progress = progress;
        c.so.progress_ctx = &c;
    }
    sweep *s = open_sweep(c.file, &c.so, rank == 0);
    int status = 1;
    if (s) {
        sweep_progress p = {0};
        base_error err;
        int rc = ranks > 1 ? sweep_run_mpi(s, &c.so, &p, &err) : sweep_run(s, &c.so, &p, &err);
        status = rank == 0 ? finish(&c, rc, &p, &err) : 0;
        sweep_free(s);
    }
    sweep_mpi_finish();
    return status;
}

int cli_sweep_check(const char *path, bool quiet)
{
    sweep_options o;
    sweep_options_default(&o);
    sweep *s = open_sweep(path, &o, true);
    if (!s)
        return 1;
    if (!quiet) {
        printf("%s: sweep of %s, %u points over %d parameters:\n", path, sweep_base(s),
               sweep_n_points(s), sweep_n_params(s));
        for (int i = 0; i < sweep_n_params(s); i++)
            printf("  %s\n", sweep_param_key(s, i));
    }
    sweep_free(s);
    return 0;
}

const char *cli_build_features(void)
{
    return sweep_mpi_available() ? "MPI: yes (evsim sweep under mpirun)" : "MPI: no";
}
